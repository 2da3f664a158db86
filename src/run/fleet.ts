import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SimplifiedPage } from "../contracts/action.ts";
import type { Persona, Scenario } from "../contracts/scenario.ts";
import type { SessionRecord, SessionStatus } from "../contracts/trajectory.ts";
import type { Logger } from "../log.ts";
import type { Policy } from "../policy/types.ts";
import type { Job, JobQueue } from "../queue/types.ts";
import { Budget, type BudgetLimits, NO_LIMITS } from "../session/budget.ts";
import { runSession, type SessionBrowser, type SessionLimits } from "../session/run-session.ts";
import { ShopClient } from "../session/shop-client.ts";
import type { RunWriter } from "../trajectory/run-dir.ts";
import { UsageMeter } from "../trajectory/usage.ts";

/** A browser session the fleet can drive and must close (src/browser's BrowserSession). */
export interface FleetBrowserSession extends SessionBrowser {
  close(): Promise<void>;
}

/** Hands out isolated browser sessions (src/browser's BrowserPool). */
export interface FleetBrowsers {
  session(opts: {
    origin: string;
    extraHeaders: Record<string, string>;
    signal?: AbortSignal;
  }): Promise<FleetBrowserSession>;
}

export interface FleetProgress {
  done: number;
  total: number;
  running: number;
  steps: number;
  purchases: number;
  errors: number;
}

export interface FleetSummary {
  sessions: number;
  /** Planned sessions that never started: the run was stopped, or its budget ran out. */
  notStarted: number;
  /** Model usage summed over the recorded sessions. */
  usage: ReturnType<UsageMeter["totals"]>;
  /** Why the run's budget stopped it, or null. */
  budgetExceeded: string | null;
  byStatus: Partial<Record<SessionStatus, number>>;
  purchaseRate: number;
  meanGoalScore: number | null;
  stepsPerSession: number;
  errors: number;
  wallMs: number;
}

export interface FleetInput {
  runId: string;
  shopUrl: string;
  jobs: readonly Job[];
  personas: ReadonlyMap<string, Persona>;
  scenarios: ReadonlyMap<string, Scenario>;
  concurrency: number;
  limits: Partial<SessionLimits>;
  makePolicy: (persona: Persona, scenario: Scenario, job: Job) => Policy;
  /** Save a PNG of every observed page under <run dir>/screenshots/<session>/<step>.png. */
  screenshots?: boolean;
  /** Model-usage caps: for the whole run, and for each session. */
  budget?: { run: BudgetLimits; session: BudgetLimits };
}

export interface FleetDeps {
  queue: JobQueue;
  browsers: FleetBrowsers;
  simplify: (html: string, url: string) => SimplifiedPage;
  writer: RunWriter;
  logger: Logger;
  signal: AbortSignal;
  onProgress?: (p: FleetProgress) => void;
}

/**
 * Runs every job as one shopping session and records each as it ends. A session that fails is
 * recorded with status `error` and the run goes on; once the signal aborts no new session starts and
 * the running ones are recorded as `aborted`.
 */
export async function runFleet(input: FleetInput, deps: FleetDeps): Promise<FleetSummary> {
  const started = performance.now();
  const shop = new ShopClient(input.shopUrl);
  const origin = new URL(input.shopUrl).origin;
  const progress: FleetProgress = {
    done: 0,
    total: input.jobs.length,
    running: 0,
    steps: 0,
    purchases: 0,
    errors: 0,
  };
  const records: SessionRecord[] = [];
  const runBudget = new Budget(input.budget?.run ?? NO_LIMITS, "run");
  let notStarted = 0;

  await deps.queue.run(
    input.jobs,
    async (job, signal) => {
      if (runBudget.exceeded() !== null) {
        // The run's budget is spent: this session does not start (the manifest counts it).
        notStarted += 1;
        progress.done += 1;
        deps.onProgress?.({ ...progress });
        return;
      }
      const persona = input.personas.get(job.persona_id);
      const scenario = input.scenarios.get(job.scenario_id);
      if (!persona || !scenario) throw new Error(`job ${job.job_id} names an unknown persona or scenario`);
      const sessionId = `${input.runId}-${job.job_id}`;
      const log = deps.logger.child({ job: job.job_id, persona: persona.id, scenario: scenario.id });
      progress.running += 1;
      deps.onProgress?.({ ...progress });
      let browser: FleetBrowserSession | null = null;
      let record: SessionRecord;
      try {
        browser = await deps.browsers.session({
          origin,
          extraHeaders: ShopClient.headers(sessionId, job.variant),
          signal,
        });
        record = await runSession(
          {
            sessionId,
            runId: input.runId,
            persona,
            scenario,
            variant: job.variant,
            replica: job.replica,
            seed: job.seed,
            startUrl: new URL(scenario.start, input.shopUrl).toString(),
          },
          {
            browser,
            simplify: deps.simplify,
            policy: input.makePolicy(persona, scenario, job),
            shop,
            limits: { maxSteps: scenario.max_steps, ...input.limits },
            ...(input.screenshots
              ? {
                  saveScreenshot: async (step: number, png: Buffer) => {
                    const rel = join("screenshots", sessionId, `${String(step).padStart(3, "0")}.png`);
                    await mkdir(join(deps.writer.dir, "screenshots", sessionId), { recursive: true });
                    await writeFile(join(deps.writer.dir, rel), png);
                    return rel;
                  },
                }
              : {}),
            signal,
            sessionBudget: input.budget?.session ?? NO_LIMITS,
            runBudget,
          },
        );
      } catch (error) {
        // Only reached when no session could start (e.g. the browser failed to launch).
        const now = new Date().toISOString();
        record = {
          session_id: sessionId,
          run_id: input.runId,
          persona: { id: persona.id, name: persona.name },
          scenario: { id: scenario.id, goal: scenario.goal },
          variant: job.variant,
          replica: job.replica,
          seed: job.seed,
          policy: { kind: "none", model: null, prompt_version: null },
          status: signal.aborted ? "aborted" : "error",
          reason: error instanceof Error ? error.message : String(error),
          steps: [],
          outcome: { orders: [], goal_score: null, events: null },
          usage: new UsageMeter().totals(0),
          started_at: now,
          ended_at: now,
          duration_ms: 0,
        };
      } finally {
        await browser
          ?.close()
          .catch((e: unknown) => log.warn({ err: e }, "closing the browser session failed"));
      }
      await deps.writer.appendSession(record);
      records.push(record);
      progress.running -= 1;
      progress.done += 1;
      progress.steps += record.steps.length;
      if (record.status === "purchased") progress.purchases += 1;
      if (record.status === "error") progress.errors += 1;
      log.info({ status: record.status, steps: record.steps.length, reason: record.reason }, "session ended");
      deps.onProgress?.({ ...progress });
    },
    { concurrency: input.concurrency, signal: deps.signal },
  );

  const plannedButNotRun = input.jobs.length - records.length - notStarted;
  return {
    ...summarize(records, performance.now() - started),
    notStarted: notStarted + Math.max(0, plannedButNotRun),
    budgetExceeded: runBudget.exceeded(),
  };
}

export function summarize(
  records: readonly SessionRecord[],
  wallMs: number,
): Omit<FleetSummary, "notStarted" | "budgetExceeded"> {
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
