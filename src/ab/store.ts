import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import { InputError, parseOrThrow } from "../contracts/errors.ts";
import { ExperimentSchema } from "../contracts/experiment.ts";
import { PersonaSchema } from "../contracts/scenario.ts";
import { type ShopEvent, ShopEventSchema } from "../contracts/shop.ts";
import type { SessionRecord } from "../contracts/trajectory.ts";
import { sessionIdOf, shopSessionOf } from "../queue/types.ts";
import { ShopClient } from "../session/shop-client.ts";
import { readRun } from "../trajectory/run-dir.ts";
import { type AnalysisInput, analyzeExperiment } from "./analyze.ts";
import { AssignmentSchema } from "./design.ts";

/**
 * An experiment's directory: `design.json` (the resolved experiment, its arms, every job's place
 * in the design and the personas), `run/` (an ordinary run directory), `server-events.jsonl` (each
 * session's server-side events, fetched from its arm's shop after the run) and the reports. The
 * analysis reads only these files, so an experiment can be analysed again later, anywhere.
 */

export const AB_FILES = {
  design: "design.json",
  run: "run",
  events: "server-events.jsonl",
  json: "report.json",
  markdown: "report.md",
  html: "report.html",
} as const;

export const ArmRecordSchema = z
  .object({
    name: z.string(),
    source: z.string(),
    /** The built-in shop's variant for this arm, or null for a deployment. */
    variant: z.string().nullable(),
    url: z.string(),
    flags: z.record(z.string(), z.union([z.string(), z.boolean()])).nullable(),
  })
  .strict();
export type ArmRecord = z.infer<typeof ArmRecordSchema>;

export const DesignFileSchema = z
  .object({
    kind: z.literal("shopsim.ab-design"),
    run_id: z.string(),
    queue: z.string(),
    experiment: ExperimentSchema,
    arms: z.array(ArmRecordSchema).min(2),
    assignments: z.array(AssignmentSchema),
    personas: z.array(PersonaSchema),
  })
  .strict();
export type DesignFile = z.infer<typeof DesignFileSchema>;

export async function writeDesign(dir: string, design: DesignFile): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, AB_FILES.design), `${JSON.stringify(design, null, 2)}\n`);
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new InputError(path, "not found; is this a `shopsim ab` output directory?");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(path, `not valid JSON (${(error as Error).message})`);
  }
}

export async function readDesign(dir: string): Promise<DesignFile> {
  const path = join(dir, AB_FILES.design);
  return parseOrThrow(DesignFileSchema, await readJson(path), path);
}

const EventsLineSchema = z
  .object({
    session_id: z.string(),
    events: z.array(ShopEventSchema).nullable(),
    /** Why the events could not be fetched (events is then null). */
    error: z.string().optional(),
  })
  .strict();

/** Each session's server-side events (null: the shop has none to give), and the sessions whose fetch failed. */
export interface ServerEvents {
  events: Map<string, ShopEvent[] | null>;
  failures: Map<string, string>;
}

/** The wait before each retry of a session's events (so four attempts in all). */
const FETCH_RETRY_DELAYS_MS = [250, 1_000, 3_000];

/**
 * Fetches each session's server-side events from the shop its arm ran on (the attempt's own shop
 * session) and writes them to `server-events.jsonl`. A shop without an events API gives null. A fetch
 * that fails (the shop went away after the run, a 5xx) is retried; if it still fails the session is
 * recorded with the error and the others go on, so the analysis falls back to that session's
 * trajectory instead of the experiment being lost.
 */
export async function collectServerEvents(
  dir: string,
  records: readonly SessionRecord[],
  urlOfSession: (sessionId: string) => string | undefined,
  opts: { signal?: AbortSignal; retryDelaysMs?: readonly number[] } = {},
): Promise<ServerEvents> {
  const delays = opts.retryDelaysMs ?? FETCH_RETRY_DELAYS_MS;
  const clients = new Map<string, ShopClient>();
  const events = new Map<string, ShopEvent[] | null>();
  const failures = new Map<string, string>();
  const queue = [...records];
  const fetchOne = async (client: ShopClient, r: SessionRecord): Promise<ShopEvent[] | null> => {
    const shopSession = shopSessionOf({ session_id: r.session_id, attempt: r.attempt ?? 1 });
    for (let attempt = 0; ; attempt++) {
      try {
        const got = await client.events(shopSession, opts.signal);
        return got ? got.map((e) => ShopEventSchema.parse(e)) : null;
      } catch (error) {
        if (opts.signal?.aborted || attempt >= delays.length) throw error;
        await delay(delays[attempt]!, undefined, opts.signal ? { signal: opts.signal } : {});
      }
    }
  };
  const worker = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      const url = urlOfSession(r.session_id);
      if (!url) continue;
      const client = clients.get(url) ?? new ShopClient(url);
      clients.set(url, client);
      try {
        events.set(r.session_id, await fetchOne(client, r));
      } catch (error) {
        if (opts.signal?.aborted) throw error;
        events.set(r.session_id, null);
        failures.set(r.session_id, `${url}: ${describeFetchError(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const lines = [...events].map(([session_id, ev]) => {
    const error = failures.get(session_id);
    return JSON.stringify(
      error === undefined ? { session_id, events: ev } : { session_id, events: ev, error },
    );
  });
  await writeFile(join(dir, AB_FILES.events), lines.length > 0 ? `${lines.join("\n")}\n` : "");
  return { events, failures };
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  // fetch() says only "fetch failed"; the cause says why (ECONNREFUSED, a reset, a bad certificate).
  return cause?.code
    ? `${error.message} (${cause.code})`
    : cause?.message
      ? `${error.message} (${cause.message})`
      : error.message;
}

export async function readServerEvents(dir: string): Promise<ServerEvents> {
  const path = join(dir, AB_FILES.events);
  const events = new Map<string, ShopEvent[] | null>();
  const failures = new Map<string, string>();
  if (!existsSync(path)) return { events, failures };
  const lines = (await readFile(path, "utf8")).split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (error) {
      throw new InputError(`${path}:${i + 1}`, `not valid JSON (${(error as Error).message})`);
    }
    const row = parseOrThrow(EventsLineSchema, data, `${path}:${i + 1}`);
    events.set(row.session_id, row.events);
    if (row.error !== undefined) failures.set(row.session_id, row.error);
  }
  return { events, failures };
}

/** Reads an experiment directory and analyses it; `experiment` may override the stored one (alpha, metrics …). */
export async function analyzeDir(
  dir: string,
  opts: { experiment?: DesignFile["experiment"]; events?: ServerEvents } = {},
): Promise<ReturnType<typeof analyzeExperiment>> {
  const design = await readDesign(dir);
  const runDir = join(dir, AB_FILES.run);
  const { manifest, sessions } = await readRun(runDir);
  const { events, failures } = opts.events ?? (await readServerEvents(dir));
  const input: AnalysisInput = {
    experiment: opts.experiment ?? design.experiment,
    arms: design.arms.map((a) => ({ name: a.name, source: a.source })),
    assignments: design.assignments,
    personas: new Map(design.personas.map((p) => [p.id, p])),
    records: sessions,
    events,
    eventFailures: failures,
    runId: design.run_id,
    runDir,
    queue: design.queue,
    durationS:
      manifest.ended_at !== null
        ? (Date.parse(manifest.ended_at) - Date.parse(manifest.started_at)) / 1000
        : null,
    sessionIdOf: (jobId) => sessionIdOf(design.run_id, jobId),
  };
  return analyzeExperiment(input);
}
