import type { SessionRecord, SessionStatus } from "../contracts/trajectory.ts";
import type { Logger } from "../log.ts";
import {
  type JobQueue,
  type JobResult,
  type QueueOutcome,
  resultSessionId,
  type SessionJob,
} from "../queue/types.ts";
import { Budget, type BudgetLimits, NO_LIMITS } from "../session/budget.ts";
import type { RunWriter } from "../trajectory/run-dir.ts";
import { UsageMeter } from "../trajectory/usage.ts";

export type { FleetBrowserSession, FleetBrowsers } from "./executor.ts";

export interface FleetProgress {
  done: number;
  total: number;
  running: number;
  steps: number;
  purchases: number;
  errors: number;
}

/** A job that ended without a session record. */
export interface FailedJob {
  session_id: string;
  reason: string;
}

export interface FleetSummary {
  sessions: number;
  /** Planned sessions that never started: the run was stopped, or its budget ran out. */
  notStarted: number;
  /** Jobs that failed for good without a record (bad job data, every attempt failed). */
  failed: FailedJob[];
  /** Model usage summed over the recorded sessions. */
  usage: ReturnType<UsageMeter["totals"]>;
  /** Why the run's budget stopped it, or null. */
  budgetExceeded: string | null;
  /** The run was stopped: by the caller's signal, or cancelled from elsewhere (not by its budget). */
  cancelled: boolean;
  byStatus: Partial<Record<SessionStatus, number>>;
  purchaseRate: number;
  meanGoalScore: number | null;
  stepsPerSession: number;
  errors: number;
  wallMs: number;
}

export interface FleetInput {
  jobs: readonly SessionJob[];
  /** The run's model-usage cap (each job carries its own session cap). */
  budget?: BudgetLimits;
}

export interface FleetDeps {
  queue: JobQueue;
  writer: RunWriter;
  logger: Logger;
  signal: AbortSignal;
  onProgress?: (p: FleetProgress) => void;
}

/**
 * Runs every job of a run through a queue and records each session once, as it ends, in the run
 * directory (with its screenshots). A session that fails is recorded with status `error` and the run
 * goes on; once the signal aborts no new session starts and the running ones are recorded as
 * `aborted`. The run's budget is checked on every record: once it is spent no new session starts.
 */
export async function runFleet(input: FleetInput, deps: FleetDeps): Promise<FleetSummary> {
  const started = performance.now();
  const progress: FleetProgress = {
    done: 0,
    total: input.jobs.length,
    running: 0,
    steps: 0,
    purchases: 0,
    errors: 0,
  };
  const records: SessionRecord[] = [];
  const failed: FailedJob[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  const runBudget = new Budget(input.budget ?? NO_LIMITS, "run");
  // Stops the queue when the budget runs out, as the user's signal does.
  const stop = new AbortController();
  const onAbort = () => stop.abort(deps.signal.reason);
  if (deps.signal.aborted) onAbort();
  else deps.signal.addEventListener("abort", onAbort, { once: true });

  const onResult = async (result: JobResult) => {
    const id = resultSessionId(result);
    // A queue may deliver a session twice (a worker finished it just as its lock ran out): once only.
    if (seen.has(id)) return;
    seen.add(id);
    if (result.kind === "skipped") {
      skipped += 1;
    } else if (result.kind === "failed") {
      failed.push({ session_id: id, reason: result.reason });
      deps.logger.warn({ session: id, reason: result.reason }, "job failed");
      progress.errors += 1;
    } else {
      const { record } = result;
      for (const f of result.files) await deps.writer.writeFile(f.path, f.data);
      await deps.writer.appendSession(record);
      records.push(record);
      runBudget.add(record.usage);
      progress.steps += record.steps.length;
      if (record.status === "purchased") progress.purchases += 1;
      if (record.status === "error") progress.errors += 1;
      if (runBudget.exceeded() !== null && !stop.signal.aborted) stop.abort(new Error(runBudget.exceeded()!));
    }
    progress.done = seen.size;
    deps.onProgress?.({ ...progress });
  };

  let outcome: QueueOutcome;
  try {
    outcome = await deps.queue.run(input.jobs, {
      signal: stop.signal,
      onResult,
      onProgress: (p) => {
        progress.running = p.running;
        deps.onProgress?.({ ...progress });
      },
    });
  } finally {
    deps.signal.removeEventListener("abort", onAbort);
  }
  return {
    ...summarize(records, performance.now() - started),
    notStarted: skipped + (input.jobs.length - seen.size),
    failed,
    budgetExceeded: runBudget.exceeded(),
    cancelled: deps.signal.aborted || (outcome.cancelled && runBudget.exceeded() === null),
  };
}

export function summarize(
  records: readonly SessionRecord[],
  wallMs: number,
): Omit<FleetSummary, "notStarted" | "budgetExceeded" | "failed" | "cancelled"> {
  const byStatus: Partial<Record<SessionStatus, number>> = {};
  for (const r of records) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const scores = records.map((r) => r.outcome.goal_score).filter((s): s is number => s !== null);
  const steps = records.reduce((n, r) => n + r.steps.length, 0);
  const usage = new UsageMeter();
  let policyMs = 0;
  for (const r of records) {
    usage.add(r.usage);
    policyMs += r.usage.policy_ms;
  }
  return {
    usage: usage.totals(Math.round(policyMs)),
    sessions: records.length,
    byStatus,
    purchaseRate: records.length ? (byStatus.purchased ?? 0) / records.length : 0,
    meanGoalScore: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
    stepsPerSession: records.length ? steps / records.length : 0,
    errors: byStatus.error ?? 0,
    wallMs,
  };
}
