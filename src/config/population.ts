import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../contracts/errors.ts";
import { type Persona, PersonaFileSchema, type Scenario, ScenarioFileSchema } from "../contracts/scenario.ts";
import { loadYamlFile } from "./files.ts";

const ROOT = new URL("../../", import.meta.url);
/** The personas and scenarios shipped in the repository. */
export const SHIPPED_PERSONAS = new URL("personas", ROOT).pathname;
export const SHIPPED_SCENARIOS = new URL("scenarios", ROOT).pathname;

/** Every .yaml/.yml/.json file of a path (a file, or a folder's files in name order). */
function filesOf(path: string, flag: string): string[] {
  if (!existsSync(path)) throw new InputError(`${flag} ${path}`, "no such file or folder");
  if (!statSync(path).isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0)
    throw new InputError(`${flag} ${path}`, "the folder has no .yaml, .yml or .json files");
  return files;
}

/** Loads and validates every item of a file or folder by id; an id defined twice names both files. */
async function loadAll<T extends { id: string }>(
  path: string,
  flag: string,
  load: (file: string) => Promise<T[]>,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  const from = new Map<string, string>();
  for (const file of filesOf(path, flag)) {
    for (const item of await load(file)) {
      const earlier = from.get(item.id);
      if (earlier) throw new InputError(file, `id "${item.id}" is already defined in ${earlier}`);
      out.set(item.id, item);
      from.set(item.id, file);
    }
  }
  return out;
}

/** Personas from a YAML/JSON file or a folder of them; `flag` names the option in errors. */
export function loadPersonas(path = SHIPPED_PERSONAS, flag = "--personas"): Promise<Map<string, Persona>> {
  return loadAll(path, flag, async (f) => (await loadYamlFile(f, PersonaFileSchema)).personas);
}

/** Scenarios from a YAML/JSON file or a folder of them; `flag` names the option in errors. */
export function loadScenarios(
  path = SHIPPED_SCENARIOS,
  flag = "--scenarios",
): Promise<Map<string, Scenario>> {
  return loadAll(path, flag, async (f) => (await loadYamlFile(f, ScenarioFileSchema)).scenarios);
}
