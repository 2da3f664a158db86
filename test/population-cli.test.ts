import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { registerPopulationCommands } from "../src/cli/population-commands.ts";
import { loadYamlFile } from "../src/config/files.ts";
import { InputError } from "../src/contracts/errors.ts";
import { PersonaFileSchema, ScenarioFileSchema } from "../src/contracts/scenario.ts";
import { generatePersonas } from "../src/population/personas.ts";
import { dataset } from "./helpers/datasets.ts";

/** Runs `shopsim <args>` in-process; returns what it printed. */
async function run(...args: string[]): Promise<{ stdout: string; help: string }> {
  let help = "";
  const program = new Command()
    .name("shopsim")
    .exitOverride()
    .configureOutput({ writeOut: (s) => (help += s), writeErr: (s) => (help += s) });
  registerPopulationCommands(program);
  const lines: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void lines.push(a.join(" ")));
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof Error && "code" in error && error.code === "commander.helpDisplayed")) throw error;
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
  return { stdout: lines.join("\n"), help };
}

const tmp = () => mkdtempSync(join(tmpdir(), "shopsim-population-cli-"));

afterEach(() => vi.restoreAllMocks());

describe("shopsim personas generate", () => {
  it("writes one YAML file with N personas and prints its path", async () => {
    const dir = join(tmp(), "nested");
    const { stdout } = await run("personas", "generate", "--n", "12", "--seed", "4", "--out", dir);
    expect(stdout.trim()).toBe(join(dir, "personas-seed4-n12.yaml"));
    const { personas } = await loadYamlFile(stdout.trim(), PersonaFileSchema);
    expect(personas).toEqual(generatePersonas({ n: 12, seed: 4 }));
  });

  it("reads a distributions file, and names it when it is wrong", async () => {
    const dir = tmp();
    const dist = join(dir, "dist.yaml");
    writeFileSync(dist, "age_bands:\n  - { min: 80, max: 85, weight: 1 }\n");
    const { stdout } = await run("personas", "generate", "--n", "5", "--out", dir, "--distributions", dist);
    const { personas } = await loadYamlFile(stdout.trim(), PersonaFileSchema);
    for (const p of personas) expect(p.demographics.age).toBeGreaterThanOrEqual(80);

    writeFileSync(dist, "age_bands: 3\n");
    await expect(run("personas", "generate", "--out", dir, "--distributions", dist)).rejects.toThrow(
      `${dist}: age_bands`,
    );
  });

  it("reports bad flags as InputErrors naming the flag", async () => {
    await expect(run("personas", "generate", "--n", "0", "--out", tmp())).rejects.toThrow(InputError);
    await expect(run("personas", "generate", "--n", "ten", "--out", tmp())).rejects.toThrow(
      '--n: expected a whole number from 1 to 100000, got "ten"',
    );
    await expect(run("personas", "generate", "--n", "3")).rejects.toThrow("--out: missing");
  });

  it("has examples in its help", async () => {
    expect((await run("personas", "generate", "--help")).help).toContain("Examples:");
  });
});

describe("shopsim scenarios generate", () => {
  it("prints a scenarios YAML file to stdout, deterministically", async () => {
    const a = await run("scenarios", "generate", "--n", "8", "--seed", "2");
    const file = join(tmp(), "s.yaml");
    writeFileSync(file, a.stdout);
    const { scenarios } = await loadYamlFile(file, ScenarioFileSchema);
    expect(scenarios).toHaveLength(8);
    expect(scenarios.filter((s) => s.kind === "browse")).toHaveLength(2);
    expect((await run("scenarios", "generate", "--n", "8", "--seed", "2")).stdout).toBe(a.stdout);
  });

  it("writes --out and turns WebShop instructions into scenarios", async () => {
    const out = join(tmp(), "webshop.yaml");
    const { stdout } = await run(
      "scenarios",
      "generate",
      "--catalog",
      `webshop:${dataset("webshop-1k/products_1000.jsonl")}`,
      "--from-webshop-instructions",
      dataset("webshop-1k/items_ins_v2_1000.json"),
      "--out",
      out,
    );
    expect(stdout.trim()).toBe(out);
    const { scenarios } = await loadYamlFile(out, ScenarioFileSchema);
    expect(scenarios).toHaveLength(415);
    expect(scenarios.every((s) => s.kind === "targeted" && s.goal.target?.product_id)).toBe(true);
  });

  it("reports bad flags as InputErrors and has examples in its help", async () => {
    await expect(run("scenarios", "generate", "--browse-share", "2")).rejects.toThrow(
      "--browse-share: expected a number from 0 to 1",
    );
    await expect(run("scenarios", "generate", "--catalog", "amazon")).rejects.toThrow(InputError);
    expect((await run("scenarios", "generate", "--help")).help).toContain("Examples:");
  });
});
