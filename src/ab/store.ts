import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
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
  .object({ session_id: z.string(), events: z.array(ShopEventSchema).nullable() })
  .strict();

/**
 * Fetches each session's server-side events from the shop its arm ran on (the attempt's own shop
 * session) and writes them to `server-events.jsonl`. A shop without an events API gives null.
 */
export async function collectServerEvents(
  dir: string,
  records: readonly SessionRecord[],
  urlOfSession: (sessionId: string) => string | undefined,
  signal?: AbortSignal,
): Promise<Map<string, ShopEvent[] | null>> {
  const clients = new Map<string, ShopClient>();
  const out = new Map<string, ShopEvent[] | null>();
  const queue = [...records];
  const worker = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      const url = urlOfSession(r.session_id);
      if (!url) continue;
      const client = clients.get(url) ?? new ShopClient(url);
      clients.set(url, client);
      const events = await client.events(
        shopSessionOf({ session_id: r.session_id, attempt: r.attempt ?? 1 }),
        signal,
      );
      out.set(r.session_id, events ? events.map((e) => ShopEventSchema.parse(e)) : null);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const lines = [...out].map(([session_id, events]) => JSON.stringify({ session_id, events }));
  await writeFile(join(dir, AB_FILES.events), lines.length > 0 ? `${lines.join("\n")}\n` : "");
  return out;
}

export async function readServerEvents(dir: string): Promise<Map<string, ShopEvent[] | null>> {
  const path = join(dir, AB_FILES.events);
  const out = new Map<string, ShopEvent[] | null>();
  if (!existsSync(path)) return out;
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
    out.set(row.session_id, row.events);
  }
  return out;
}

/** Reads an experiment directory and analyses it; `experiment` may override the stored one (alpha, metrics …). */
export async function analyzeDir(
  dir: string,
  opts: { experiment?: DesignFile["experiment"]; events?: Map<string, ShopEvent[] | null> } = {},
): Promise<ReturnType<typeof analyzeExperiment>> {
  const design = await readDesign(dir);
  const runDir = join(dir, AB_FILES.run);
  const { manifest, sessions } = await readRun(runDir);
  const events = opts.events ?? (await readServerEvents(dir));
  const input: AnalysisInput = {
    experiment: opts.experiment ?? design.experiment,
    arms: design.arms.map((a) => ({ name: a.name, source: a.source })),
    assignments: design.assignments,
    personas: new Map(design.personas.map((p) => [p.id, p])),
    records: sessions,
    events,
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
