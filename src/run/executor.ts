import type { SimplifiedPage } from "../contracts/action.ts";
import type { SessionRecord } from "../contracts/trajectory.ts";
import type { Logger } from "../log.ts";
import type { Policy } from "../policy/types.ts";
import { InProcessQueue } from "../queue/in-process.ts";
import { type JobResult, type SessionFile, type SessionJob, shopSessionOf } from "../queue/types.ts";
import type { Budget } from "../session/budget.ts";
import { runSession, type SessionBrowser } from "../session/run-session.ts";
import { ShopClient } from "../session/shop-client.ts";
import { UsageMeter } from "../trajectory/usage.ts";

/** A browser session the executor can drive and must close (src/browser's BrowserSession). */
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

export interface ExecutorDeps {
  browsers: FleetBrowsers;
  simplify: (html: string, url: string) => SimplifiedPage;
  makePolicy: (job: SessionJob) => Policy;
  logger: Logger;
  /** The run's model-usage cap, when every session of the run runs in this process. */
  runBudget?: Budget;
}

/** The path a screenshot of a session's step has in the run directory. */
export function screenshotPath(sessionId: string, step: number): string {
  return `screenshots/${sessionId}/${String(step).padStart(3, "0")}.png`;
}

/**
 * Runs one job as one shopping session in a fresh, isolated browser context, wherever it runs: in the
 * coordinator's process or in a worker. Whatever happens, a started session ends as a record (a
 * browser that cannot start gives an `error` record); screenshots come back as files.
 */
export class SessionExecutor {
  readonly #deps: ExecutorDeps;
  readonly #shops = new Map<string, ShopClient>();

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
  }

  async execute(job: SessionJob, signal: AbortSignal): Promise<JobResult> {
    const deps = this.#deps;
    const exceeded = deps.runBudget?.exceeded() ?? null;
    if (exceeded !== null) return { kind: "skipped", session_id: job.session_id, reason: exceeded };
    const log = deps.logger.child({
      session: job.session_id,
      persona: job.persona.id,
      scenario: job.scenario.id,
      attempt: job.attempt,
    });
    const shopSession = shopSessionOf(job);
    const files: SessionFile[] = [];
    let browser: FleetBrowserSession | null = null;
    let record: SessionRecord;
    try {
      browser = await deps.browsers.session({
        origin: new URL(job.shop_url).origin,
        extraHeaders: ShopClient.headers(shopSession, job.variant),
        signal,
      });
      record = await runSession(
        {
          sessionId: job.session_id,
          runId: job.run_id,
          persona: job.persona,
          scenario: job.scenario,
          variant: job.variant,
          replica: job.replica,
          seed: job.seed,
          attempt: job.attempt,
          shopSessionId: shopSession,
          startUrl: new URL(job.scenario.start, job.shop_url).toString(),
        },
        {
          browser,
          simplify: deps.simplify,
          policy: deps.makePolicy(job),
          shop: this.#shop(job.shop_url),
          limits: { maxSteps: job.scenario.max_steps, ...job.limits },
          ...(job.purchase_url !== undefined ? { purchaseUrl: new RegExp(job.purchase_url) } : {}),
          ...(job.screenshots
            ? {
                saveScreenshot: async (step: number, png: Buffer) => {
                  const path = screenshotPath(job.session_id, step);
                  files.push({ path, data: png });
                  return path;
                },
              }
            : {}),
          signal,
          sessionBudget: job.session_budget,
          ...(deps.runBudget ? { runBudget: deps.runBudget } : {}),
        },
      );
    } catch (error) {
      // Only reached when no session could start (e.g. the browser failed to launch).
      record = failedRecord(job, signal.aborted ? "aborted" : "error", error);
    } finally {
      await browser
        ?.close()
        .catch((e: unknown) => log.warn({ err: e }, "closing the browser session failed"));
    }
    log.info({ status: record.status, steps: record.steps.length, reason: record.reason }, "session ended");
    return { kind: "record", record, files };
  }

  #shop(url: string): ShopClient {
    let shop = this.#shops.get(url);
    if (!shop) {
      shop = new ShopClient(url);
      this.#shops.set(url, shop);
    }
    return shop;
  }
}

/** The record of a session that never got to its first step. */
export function failedRecord(job: SessionJob, status: "error" | "aborted", error: unknown): SessionRecord {
  const now = new Date().toISOString();
  return {
    session_id: job.session_id,
    run_id: job.run_id,
    persona: { id: job.persona.id, name: job.persona.name },
    scenario: { id: job.scenario.id, goal: job.scenario.goal },
    variant: job.variant,
    replica: job.replica,
    seed: job.seed,
    attempt: job.attempt,
    policy: {
      kind: job.policy.kind,
      model: job.policy.kind === "llm" ? job.policy.settings.model : null,
      prompt_version: null,
    },
    status,
    reason: error instanceof Error ? error.message : String(error),
    steps: [],
    outcome: { orders: [], goal_score: null, events: null },
    usage: new UsageMeter().totals(0),
    started_at: now,
    ended_at: now,
    duration_ms: 0,
  };
}

/** The embedded default: sessions run in this process, `concurrency` at a time. */
export function inProcessQueue(deps: ExecutorDeps, concurrency: number): InProcessQueue {
  const executor = new SessionExecutor(deps);
  return new InProcessQueue((job, signal) => executor.execute(job, signal), { concurrency });
}
