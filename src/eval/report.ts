import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../contracts/errors.ts";

/** shopsim's version from package.json, for the reports. */
export const SHOPSIM_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    return String((pkg as { version: unknown }).version);
  } catch {
    return "unknown";
  }
})();

/** One input of an evaluation and the SHA-256 of its bytes (a folder: of its files, in name order). */
export interface InputHash {
  path: string;
  sha256: string;
}

/**
 * What every evaluation writes as JSON: which evaluation, the exact command line, when, the hashes
 * of the data it read, and its result. `shopsim report` renders these files again later.
 */
export interface EvalReport<R> {
  kind: string;
  /** Version of this file's layout. */
  schema: 1;
  command: string;
  created_at: string;
  shopsim_version: string;
  inputs: InputHash[];
  result: R;
}

async function hashInto(hash: ReturnType<typeof createHash>, path: string): Promise<void> {
  if (statSync(path).isDirectory()) {
    for (const entry of (await readdir(path)).sort()) {
      if (entry.startsWith(".")) continue;
      hash.update(`\0${entry}\0`);
      await hashInto(hash, join(path, entry));
    }
    return;
  }
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/** SHA-256 of a file's bytes, or of a folder's files (names and bytes, recursively, in name order). */
export async function hashPath(path: string): Promise<InputHash> {
  const hash = createHash("sha256");
  await hashInto(hash, path);
  return { path, sha256: hash.digest("hex") };
}

/** A report of `kind` made now by the command `argv` (the arguments after `shopsim`). */
export function makeReport<R>(
  kind: string,
  argv: readonly string[],
  inputs: InputHash[],
  result: R,
): EvalReport<R> {
  return {
    kind,
    schema: 1,
    command: commandLine(argv),
    created_at: new Date().toISOString(),
    shopsim_version: SHOPSIM_VERSION,
    inputs,
    result,
  };
}

/** Quotes a command-line argument for a POSIX shell when it needs quoting. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** The command line as a user could paste it again. */
export function commandLine(argv: readonly string[]): string {
  return ["shopsim", ...argv].map(shellQuote).join(" ");
}

/**
 * Writes `<name>.json` and `<name>.md` into `outDir` (created if missing) and returns their paths.
 * The Markdown gets a header with the command and the input hashes.
 */
export async function writeEvalReport<R>(
  outDir: string,
  name: string,
  report: EvalReport<R>,
  markdownBody: string,
): Promise<{ json: string; markdown: string }> {
  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    throw new InputError(
      `--out ${outDir}`,
      `cannot create the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  const json = join(outDir, `${name}.json`);
  const markdown = join(outDir, `${name}.md`);
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(markdown, renderMarkdown(report, markdownBody));
  return { json, markdown };
}

/** The Markdown form: a provenance header, then the evaluation's own body. */
export function renderMarkdown<R>(report: EvalReport<R>, body: string): string {
  const inputs = report.inputs.map((i) => `- \`${i.path}\` sha256 \`${i.sha256.slice(0, 16)}…\``).join("\n");
  return [
    `# shopsim ${report.kind}`,
    "",
    `Command: \`${report.command}\`  `,
    `Created: ${report.created_at} · shopsim ${report.shopsim_version}`,
    "",
    "Inputs:",
    inputs || "- (none)",
    "",
    body.trim(),
    "",
  ].join("\n");
}

/** Formats a fraction as a percentage with one decimal, or "–" for NaN/null. */
export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || Number.isNaN(x) ? "–" : `${(x * 100).toFixed(digits)}%`;
}

/** Formats a number with fixed decimals, or "–" for NaN/null. */
export function num(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || Number.isNaN(x) ? "–" : x.toFixed(digits);
}

/** A Markdown table from a header row and body rows. */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
