import { once } from "node:events";
import { createReadStream, createWriteStream, existsSync, type WriteStream } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { createInterface } from "node:readline";
import { describeZodError, InputError } from "../contracts/errors.ts";
import {
  type RunManifest,
  type RunManifestInput,
  RunManifestSchema,
  type SessionRecord,
  SessionRecordSchema,
} from "../contracts/trajectory.ts";
import { UsageMeter } from "./usage.ts";

/** The files of a run directory. */
export const RUN_FILES = {
  manifest: "manifest.json",
  sessions: "sessions.jsonl",
  events: "events.jsonl",
} as const;

/**
 * Writes a run directory: the manifest first (status "running"), one schema-checked session record
 * per line as each session ends, and the manifest again at the end. Every line is complete when
 * written, so a run stopped at any point leaves readable files.
 */
export class RunWriter {
  readonly dir: string;
  private manifest: RunManifest;
  private readonly stream: WriteStream;
  private closed = false;
  private readonly usage = new UsageMeter();
  private policyMs = 0;

  private constructor(dir: string, manifest: RunManifest, stream: WriteStream) {
    this.dir = dir;
    this.manifest = manifest;
    this.stream = stream;
  }

  /** Creates the directory; refuses one that already holds a run, so no earlier run is overwritten. */
  static async create(dir: string, manifest: RunManifestInput): Promise<RunWriter> {
    if (existsSync(join(dir, RUN_FILES.manifest))) {
      throw new InputError(
        `--out ${dir}`,
        "this directory already holds a run; choose another --out or remove it",
      );
    }
    await mkdir(dir, { recursive: true });
    const parsed = RunManifestSchema.parse(manifest);
    await writeAtomic(join(dir, RUN_FILES.manifest), `${JSON.stringify(parsed, null, 2)}\n`);
    const stream = createWriteStream(join(dir, RUN_FILES.sessions), { flags: "a" });
    return new RunWriter(dir, parsed, stream);
  }

  get eventsPath(): string {
    return join(this.dir, RUN_FILES.events);
  }

  /** Appends one session record (validated: an invalid record is a bug, not user input). */
  async appendSession(record: SessionRecord): Promise<void> {
    const valid = SessionRecordSchema.parse(record);
    const counts = this.manifest.counts;
    counts.recorded += 1;
    counts.steps += valid.steps.length;
    counts.by_status[valid.status] = (counts.by_status[valid.status] ?? 0) + 1;
    this.usage.add(valid.usage);
    this.policyMs += valid.usage.policy_ms;
    if (!this.stream.write(`${JSON.stringify(valid)}\n`)) await once(this.stream, "drain");
  }

  /** Writes a file the run produced (a screenshot) at a path inside the run directory. */
  async writeFile(relative: string, data: Buffer): Promise<void> {
    const root = resolve(this.dir);
    const path = resolve(root, relative);
    if (!path.startsWith(root + sep))
      throw new Error(`refusing to write ${relative} outside the run directory`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
  }

  /** Writes the final manifest and closes the sessions file. Safe to call twice. */
  async finish(
    status: RunManifest["status"],
    extra: { notStarted?: number; budget?: RunManifest["budget"] } = {},
  ): Promise<RunManifest> {
    if (this.closed) return this.manifest;
    this.closed = true;
    await new Promise<void>((resolve, reject) =>
      this.stream.end((e?: Error | null) => (e ? reject(e) : resolve())),
    );
    this.manifest = {
      ...this.manifest,
      status,
      ended_at: new Date().toISOString(),
      counts: {
        ...this.manifest.counts,
        not_started:
          extra.notStarted ?? Math.max(0, this.manifest.counts.planned - this.manifest.counts.recorded),
      },
      usage: this.usage.totals(Math.round(this.policyMs)),
      ...(extra.budget ? { budget: extra.budget } : {}),
    };
    await writeAtomic(join(this.dir, RUN_FILES.manifest), `${JSON.stringify(this.manifest, null, 2)}\n`);
    return this.manifest;
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** Reads a run's manifest. A missing or malformed file is an InputError naming it. */
export async function readManifest(dir: string): Promise<RunManifest> {
  const path = join(dir, RUN_FILES.manifest);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InputError(
      path,
      `cannot read the run manifest (${(error as NodeJS.ErrnoException).code ?? error}); is ${dir} a run directory?`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new InputError(path, `not valid JSON (${(error as Error).message})`);
  }
  const parsed = RunManifestSchema.safeParse(data);
  if (!parsed.success) throw new InputError(path, describeZodError(parsed.error));
  return parsed.data;
}

/** Streams a run's session records in file order; a bad line is an InputError naming `file:line`. */
export async function* readSessions(dir: string): AsyncGenerator<SessionRecord> {
  const path = join(dir, RUN_FILES.sessions);
  if (!existsSync(path)) throw new InputError(path, "no sessions file; is this a run directory?");
  const lines = createInterface({
    input: createReadStream(path, "utf8"),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === "") continue;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (error) {
      throw new InputError(`${path}:${n}`, `not valid JSON (${(error as Error).message})`);
    }
    const parsed = SessionRecordSchema.safeParse(data);
    if (!parsed.success) throw new InputError(`${path}:${n}`, describeZodError(parsed.error));
    yield parsed.data;
  }
}

/** Loads a whole run directory back: manifest and every session record. */
export async function readRun(dir: string): Promise<{ manifest: RunManifest; sessions: SessionRecord[] }> {
  const manifest = await readManifest(dir);
  const sessions: SessionRecord[] = [];
  for await (const s of readSessions(dir)) sessions.push(s);
  return { manifest, sessions };
}
