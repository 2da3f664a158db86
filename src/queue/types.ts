import { z } from "zod";
import { PersonaSchema, ScenarioSchema } from "../contracts/scenario.ts";
import { PurchaseUrlSchema } from "../contracts/shop.ts";
import type { SessionRecord } from "../contracts/trajectory.ts";
import { LlmSettingsSchema } from "../policy/llm/config.ts";
import { ReplayStepSchema } from "../policy/replay.ts";

/** One planned session, before it is bound to a run: who, what for, on which variant, which repetition, which seed. */
export interface Job {
  job_id: string;
  persona_id: string;
  scenario_id: string;
  variant: string | null;
  replica: number;
  seed: number;
}

/**
 * Which policy a worker builds for a job. An LLM job carries the model settings but never the API
 * key: each worker reads its key from its own environment (the settings name the variable).
 */
export const PolicySpecSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("heuristic") }).strict(),
  z.object({ kind: z.literal("replay"), steps: z.array(ReplayStepSchema) }).strict(),
  z.object({ kind: z.literal("llm"), settings: LlmSettingsSchema }).strict(),
]);
export type PolicySpec = z.infer<typeof PolicySpecSchema>;

const nullableLimit = z.number().positive().nullable();

/**
 * A session as it travels to a worker: everything needed to run it anywhere, with no files to read.
 * `session_id` is derived from the run and the planned job, so enqueuing a run twice adds nothing.
 * `attempt` is 1 for the first start; a session started again (its worker died, or shut down
 * before it ended) runs from the beginning in a fresh browser context under a new shop session.
 */
export const SessionJobSchema = z
  .object({
    run_id: z.string().min(1),
    session_id: z.string().min(1),
    job_id: z.string().min(1),
    persona: PersonaSchema,
    scenario: ScenarioSchema,
    variant: z.string().nullable(),
    replica: z.number().int().nonnegative(),
    seed: z.number().int(),
    policy: PolicySpecSchema,
    shop_url: z.url(),
    limits: z
      .object({
        maxSteps: z.number().int().positive().optional(),
        maxWallMs: z.number().positive().optional(),
        decideTimeoutMs: z.number().positive().optional(),
        loopRepeats: z.number().int().positive().optional(),
      })
      .strict(),
    session_budget: z.object({ maxTokens: nullableLimit, maxCostUsd: nullableLimit }).strict(),
    screenshots: z.boolean(),
    /** For a shop without the sandbox's order API: the order confirmation page's URL pattern. */
    purchase_url: PurchaseUrlSchema.optional(),
    attempt: z.number().int().positive(),
  })
  .strict();
export type SessionJob = z.infer<typeof SessionJobSchema>;

/** The id a session has in a run: the run id and the planned job's id. */
export function sessionIdOf(runId: string, jobId: string): string {
  return `${runId}-${jobId}`;
}

/**
 * The shop session an attempt shops under: the session id for the first attempt, `<id>:a<n>` for
 * a later one, so orders an interrupted attempt placed are never counted as the rerun's.
 */
export function shopSessionOf(job: Pick<SessionJob, "session_id" | "attempt">): string {
  return job.attempt > 1 ? `${job.session_id}:a${job.attempt}` : job.session_id;
}

/** A file a session produced (a screenshot), relative to the run directory. */
export interface SessionFile {
  path: string;
  data: Buffer;
}

/** How one job ended, as the coordinator learns it. */
export type JobResult =
  | { kind: "record"; record: SessionRecord; files: SessionFile[] }
  /** Never started: the run was cancelled, or its budget ran out before the job's turn. */
  | { kind: "skipped"; session_id: string; reason: string }
  /** Failed for good (bad job data, or every attempt failed) without a session record. */
  | { kind: "failed"; session_id: string; reason: string };

/** The session id a result is about. */
export function resultSessionId(r: JobResult): string {
  return r.kind === "record" ? r.record.session_id : r.session_id;
}

export interface QueueProgress {
  /** Jobs with a result (recorded, skipped or failed). */
  done: number;
  total: number;
  /** Sessions running now, as far as the queue knows. */
  running: number;
}

export interface QueueRunOptions {
  /** Once aborted, no new session starts and running ones end as `aborted` (and are recorded). */
  signal: AbortSignal;
  /** Called once per session id, as each job ends; awaited before the next result is handed over. */
  onResult: (result: JobResult) => Promise<void>;
  onProgress?: (p: QueueProgress) => void;
}

export interface QueueOutcome {
  /** Jobs that ended without a result: the run was stopped before they started. */
  unfinished: number;
  /** The run was cancelled (by its signal, or from elsewhere with `shopsim cancel`). */
  cancelled: boolean;
}

/**
 * Where a run's jobs wait and who runs them. Both backends keep the same semantics: each job's
 * result reaches `onResult` exactly once, in the order sessions end; once the signal aborts no new
 * session starts and running ones are recorded as aborted. The in-process queue runs sessions in
 * this process; the BullMQ queue hands them to worker processes on any machine through Redis.
 */
export interface JobQueue {
  readonly backend: "in-process" | "bullmq";
  run(jobs: readonly SessionJob[], opts: QueueRunOptions): Promise<QueueOutcome>;
  close(): Promise<void>;
}
