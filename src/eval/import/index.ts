import { createReadStream, existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { createInterface } from "node:readline";
import { InputError } from "../../contracts/errors.ts";
import type { HumanLogs } from "../../contracts/human-log.ts";
import { RUN_FILES } from "../../trajectory/run-dir.ts";
import { importOpera } from "./opera.ts";
import { importRunDir } from "./run-dir.ts";
import { importUci } from "./uci.ts";
import { importWebShop } from "./webshop.ts";

/** The human-log formats shopsim reads, with a one-line description each (for CLI help). */
export const FORMATS = [
  {
    name: "opera",
    description:
      "OPeRA (real Amazon sessions): action + user/session files, Parquet or JSON; input → type_and_submit",
  },
  {
    name: "webshop",
    description:
      "WebShop raw human logs: one JSON line per page view; actions derived from consecutive pages",
  },
  { name: "shopsim", description: "a shopsim run directory (manifest.json + sessions.jsonl)" },
  { name: "uci", description: "UCI Online Shoppers CSV: one aggregated row per session, no steps" },
] as const;

export type HumanLogFormat = (typeof FORMATS)[number]["name"];
export type ImportFormat = "auto" | HumanLogFormat;

export interface ImportOptions {
  /** `auto` (default) detects the format from the path. */
  format?: ImportFormat;
  /** Keep at most this many sessions. */
  limit?: number;
}

const FORMAT_NAMES: readonly string[] = FORMATS.map((f) => f.name);
const EXPECTED = `expected one of: ${FORMATS.map((f) => `${f.name} (${f.description})`).join("; ")}`;

/** What a path holds: its format and the files (or, for shopsim, the run directory) to read. */
export interface DetectedInput {
  format: HumanLogFormat;
  paths: string[];
}

const DATA_EXTS: Record<HumanLogFormat, string[]> = {
  opera: [".parquet", ".json", ".jsonl"],
  webshop: [".jsonl", ".json"],
  uci: [".csv"],
  shopsim: [],
};

/** Data files under a folder (recursively, hidden entries skipped), sorted. */
async function listFiles(dir: string, exts: string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && exts.includes(extname(entry.name).toLowerCase())) out.push(path);
    }
  };
  await walk(dir);
  return out.sort();
}

const isRunDir = (dir: string) =>
  existsSync(join(dir, RUN_FILES.manifest)) && existsSync(join(dir, RUN_FILES.sessions));

/** The first JSON object of a JSON array or JSON-lines file (first 20 lines tried), or null. */
async function firstRecord(file: string): Promise<Record<string, unknown> | null> {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  const input = createReadStream(file, "utf8");
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let tried = 0;
  let array = false;
  try {
    for await (const raw of lines) {
      const line = raw.trim();
      if (line === "") continue;
      if (tried === 0 && line.startsWith("[")) {
        array = true;
        break;
      }
      tried += 1;
      try {
        const value: unknown = JSON.parse(line);
        if (isObject(value)) return value;
      } catch {
        // a bad line: try the next one
      }
      if (tried >= 20) break;
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (!array) return null;
  try {
    const data: unknown = JSON.parse(await readFile(file, "utf8"));
    return Array.isArray(data) ? (data.find(isObject) ?? null) : null;
  } catch {
    return null;
  }
}

/** The format a JSON record belongs to, from its keys; null when it is none we know. */
function sniff(record: Record<string, unknown>): HumanLogFormat | null {
  if ("page" in record && "goal" in record) return "webshop";
  if ("action_type" in record || "semantic_id" in record) return "opera";
  if ("run_id" in record && "steps" in record && "persona" in record) return "shopsim";
  return null;
}

/** The format of one file, by extension and, for JSON, by its first record. */
async function fileFormat(file: string): Promise<HumanLogFormat | null> {
  const ext = extname(file).toLowerCase();
  if (ext === ".parquet") return "opera";
  if (ext === ".csv") return "uci";
  if (ext === ".json" || ext === ".jsonl") {
    const record = await firstRecord(file);
    return record ? sniff(record) : null;
  }
  return null;
}

/**
 * Works out what `path` holds. With a format given, only collects its files. `auto`: a folder with
 * manifest.json + sessions.jsonl is a shopsim run; `.parquet` is OPeRA; `.csv` is UCI; `.json` and
 * `.jsonl` are sniffed from their first record (`page` + `goal` → WebShop; `action_type` or
 * `semantic_id` → OPeRA); another folder has the format of its data files.
 */
export async function detectInput(path: string, format: ImportFormat = "auto"): Promise<DetectedInput> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      path,
      `${code === "ENOENT" ? "no such file or folder" : `cannot read (${code})`}; ${EXPECTED}`,
    );
  }
  if (format !== "auto" && !FORMAT_NAMES.includes(format)) {
    throw new InputError(`--format ${format}`, `unknown format; expected auto or ${FORMAT_NAMES.join(", ")}`);
  }

  if (format === "shopsim" || (format === "auto" && isDir && isRunDir(path))) {
    const dir = isDir ? path : dirname(path);
    if (!isRunDir(dir)) {
      throw new InputError(
        path,
        `not a shopsim run directory (expected ${RUN_FILES.manifest} and ${RUN_FILES.sessions})`,
      );
    }
    return { format: "shopsim", paths: [dir] };
  }
  if (format !== "auto") {
    const paths = isDir ? await listFiles(path, DATA_EXTS[format]) : [path];
    if (paths.length === 0) {
      throw new InputError(
        path,
        `no ${DATA_EXTS[format].join(", ")} files in this folder for format ${format}`,
      );
    }
    return { format, paths };
  }

  if (!isDir) {
    const detected = await fileFormat(path);
    if (detected === null) {
      const ext = extname(path).toLowerCase();
      const why =
        ext === ".json" || ext === ".jsonl"
          ? "no usable record: the first records are not JSON objects of a known log format"
          : `unknown file type ${ext === "" ? "(no extension)" : ext}`;
      throw new InputError(path, `${why}; ${EXPECTED}`);
    }
    if (detected === "shopsim") {
      if (basename(path) === RUN_FILES.sessions && isRunDir(dirname(path))) {
        return { format: "shopsim", paths: [dirname(path)] };
      }
      throw new InputError(path, `shopsim session records outside a run directory; pass the run directory`);
    }
    return { format: detected, paths: [path] };
  }

  const files = await listFiles(path, [".parquet", ".json", ".jsonl", ".csv"]);
  if (files.length === 0)
    throw new InputError(path, `no .parquet, .json, .jsonl or .csv files in this folder; ${EXPECTED}`);
  const byFormat = new Map<HumanLogFormat, string>();
  for (const file of files) {
    const detected = await fileFormat(file);
    if (detected !== null && !byFormat.has(detected)) byFormat.set(detected, file);
  }
  if (byFormat.has("shopsim")) {
    throw new InputError(
      path,
      `holds shopsim run directories (e.g. ${byFormat.get("shopsim")}); pass one run directory`,
    );
  }
  if (byFormat.size === 0)
    throw new InputError(path, `no file here is a human log of a known format; ${EXPECTED}`);
  if (byFormat.size > 1) {
    const examples = [...byFormat].map(([f, file]) => `${file} is ${f}`).join(", ");
    throw new InputError(path, `mixes formats (${examples}); pass one format's files or --format`);
  }
  const [detected] = [...byFormat.keys()] as [HumanLogFormat];
  const exts = DATA_EXTS[detected];
  return { format: detected, paths: files.filter((f) => exts.includes(extname(f).toLowerCase())) };
}

/**
 * Reads human shopping logs (or a shopsim run) into the common human-log model. Malformed records
 * are reported in `report.issues` and skipped; an input with no usable record at all is an
 * InputError naming the path and what was expected.
 */
export async function importHumanLogs(path: string, opts: ImportOptions = {}): Promise<HumanLogs> {
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit > 0)) {
    throw new InputError(`--limit ${opts.limit}`, "expected a whole number of sessions, at least 1");
  }
  const input = await detectInput(path, opts.format ?? "auto");
  const limit = opts.limit === undefined ? {} : { limit: opts.limit };
  let logs: HumanLogs;
  switch (input.format) {
    case "opera":
      logs = await importOpera(input.paths, limit);
      break;
    case "webshop":
      logs = await importWebShop(input.paths, limit);
      break;
    case "uci":
      logs = await importUci(input.paths, limit);
      break;
    case "shopsim":
      logs = await importRunDir(input.paths[0]!, limit);
      break;
  }
  if (logs.sessions.length === 0) {
    const issues = logs.report.issues;
    const first = issues
      .slice(0, 3)
      .map(
        (i) => `${i.file}${i.line !== null ? `:${i.line}` : ""}${i.field ? ` ${i.field}` : ""}: ${i.problem}`,
      )
      .join("; ");
    throw new InputError(
      path,
      `no usable ${input.format} record${issues.length > 0 ? ` (${issues.length} issue(s), e.g. ${first})` : ""}; ${EXPECTED}`,
    );
  }
  return logs;
}
