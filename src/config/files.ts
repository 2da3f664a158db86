import { readFile } from "node:fs/promises";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { describeZodError, InputError } from "../contracts/errors.ts";

/**
 * Reads a YAML (or JSON) file a user wrote and checks it against `schema`. Every failure is an
 * InputError naming the file, the line (for syntax errors) or field path, and what was expected.
 */
export async function loadYamlFile<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T>> {
  const data = await readYamlFile(path);
  const result = schema.safeParse(data);
  if (!result.success) throw new InputError(path, describeZodError(result.error));
  return result.data;
}

/** Reads and parses a YAML (or JSON) file; unreadable or malformed files are InputErrors naming the file and line. */
export async function readYamlFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InputError(
      path,
      `cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const line = error.linePos?.[0]?.line;
      throw new InputError(
        line ? `${path}:${line}` : path,
        `not valid YAML/JSON: ${error.message.split("\n")[0]}`,
      );
    }
    throw error;
  }
  return data;
}
