import type { Action, SimplifiedPage } from "../contracts/action.ts";
import type { Persona, Scenario } from "../contracts/scenario.ts";
import type { Order } from "../contracts/shop.ts";
import type { SessionRecord, SessionStatus, Step, StepResult } from "../contracts/trajectory.ts";
import type { Policy } from "../policy/types.ts";
import { Budget, type BudgetLimits, NO_LIMITS } from "./budget.ts";
import type { ShopClient } from "./shop-client.ts";

/** The browser as a session sees it (implemented by src/browser's BrowserSession). */
export interface SessionBrowser {
  goto(url: string, opts?: { signal?: AbortSignal }): Promise<void>;
  observe(opts?: {
    screenshot?: boolean;
    signal?: AbortSignal;
  }): Promise<{ url: string; title: string; html: string; screenshot?: Buffer }>;
  act(
    action: Action,
    elements: SimplifiedPage["elements"],
    opts: { signal: AbortSignal },
  ): Promise<StepResult>;
}

export interface SessionLimits {
  maxSteps: number;
  /** Wall-clock budget for the whole session. */
  maxWallMs: number;
  /** Budget for one policy decision. */
  decideTimeoutMs: number;
  /** The same page and the same action this many times in a row ends the session as a loop. */
  loopRepeats: number;
}

export const DEFAULT_LIMITS: SessionLimits = {
  maxSteps: 30,
  maxWallMs: 5 * 60_000,
  decideTimeoutMs: 60_000,
  loopRepeats: 4,
};

export interface SessionSpec {
  sessionId: string;
  runId: string;
  persona: Persona;
  scenario: Scenario;
  variant: string | null;
  replica: number;
  seed: number;
  startUrl: string;
  /** 1 for a session's first start; more when a queue started it again from the beginning. */
  attempt?: number;
  /** The id the shop knows this attempt by (default: the session id). */
  shopSessionId?: string;
}

export interface SessionDeps {
  browser: SessionBrowser;
  simplify: (html: string, url: string) => SimplifiedPage;
  policy: Policy;
  shop: ShopClient | null;
  limits?: Partial<SessionLimits>;
  /** Saves each step's screenshot; returns the path to record. */
  saveScreenshot?: (step: number, png: Buffer) => Promise<string>;
  signal?: AbortSignal;
  now?: () => number;
  /** Model-usage cap for this session alone. */
  sessionBudget?: BudgetLimits;
  /** The run's shared model-usage cap; this session's usage is added to it as it goes. */
  runBudget?: Budget;
  /**
   * Pages that confirm an order, for a shop without an order API: reaching one ends the session as
   * `purchased`. The shop's own records, when it has them, count as well.
   */
  purchaseUrl?: RegExp;
}

class Stop {
  readonly status: SessionStatus;
  readonly reason: string;
  constructor(status: SessionStatus, reason: string) {
    this.status = status;
    this.reason = reason;
  }
}

/**
 * One shopping session: observe → simplify → decide → act, until the policy terminates, an order is
 * placed, or a limit is hit. Never throws for what happens inside the session: a failure becomes
 * status `error` with its message, a cancellation becomes `aborted`; the record is always complete.
 */
/** Ends that cut a session short rather than end it by a choice or an order. */
const LIMITS: ReadonlySet<string> = new Set(["max_steps", "max_time", "loop", "budget_exceeded"]);

export async function runSession(spec: SessionSpec, deps: SessionDeps): Promise<SessionRecord> {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const now = deps.now ?? (() => performance.now());
  const signal = deps.signal ?? new AbortController().signal;
  const shopSession = spec.shopSessionId ?? spec.sessionId;
  const startedAt = new Date();
  const t0 = now();
  const steps: Step[] = [];
  let policyMs = 0;
  const budget = new Budget(deps.sessionBudget ?? NO_LIMITS, "session");
  let stop: Stop | null = null;
  let purchaseCheck: Promise<Order[] | null> | null = null;

  try {
    // The goal reaches the shop before any order can; the first page loads meanwhile.
    await Promise.all([
      deps.shop && spec.scenario.goal
        ? deps.shop.setGoal(shopSession, spec.scenario.goal, spec.variant, signal)
        : null,
      deps.browser.goto(spec.startUrl, { signal }),
    ]);
    for (let index = 0; index < limits.maxSteps && !stop; index++) {
      if (signal.aborted) throw signal.reason ?? new Error("aborted");
      if (now() - t0 > limits.maxWallMs) {
        stop = new Stop("max_time", `wall-time limit of ${limits.maxWallMs} ms reached after ${index} steps`);
        break;
      }
      const stepStart = now();
      const observing = deps.browser.observe({
        signal,
        ...(deps.saveScreenshot ? { screenshot: true } : {}),
      });
      if (purchaseCheck) {
        // The shop's answer to "did the last page place an order?" arrives while the page is read.
        observing.catch(() => {});
        const orders = await purchaseCheck;
        purchaseCheck = null;
        if (orders && orders.length > 0) {
          stop = new Stop("purchased", `order ${orders.map((o) => o.order_id).join(", ")} placed`);
          break;
        }
      }
      const seen = await observing;
      if (deps.purchaseUrl && steps.length > 0 && deps.purchaseUrl.test(seen.url)) {
        stop = new Stop(
          "purchased",
          `reached ${seen.url}, a page that confirms an order (purchase URL pattern)`,
        );
        break;
      }
      const screenshot =
        seen.screenshot && deps.saveScreenshot
          ? await deps.saveScreenshot(index, seen.screenshot)
          : undefined;
      const observed = now();
      const page = deps.simplify(seen.html, seen.url);
      const simplified = now();
      const decideSignal = AbortSignal.any([signal, AbortSignal.timeout(limits.decideTimeoutMs)]);
      const decision = await deps.policy.decide({
        persona: spec.persona,
        scenario: spec.scenario,
        history: steps,
        observation: { url: seen.url, title: seen.title, html: page.html, names: Object.keys(page.elements) },
        signal: decideSignal,
      });
      const decided = now();
      policyMs += decided - simplified;
      if (decision.usage) {
        budget.add(decision.usage);
        deps.runBudget?.add(decision.usage);
      }
      const action = decision.action;
      const result: StepResult =
        action === null
          ? { ok: false, error: `the policy gave no usable action: ${decision.error ?? "no reason given"}` }
          : action.type === "terminate"
            ? { ok: true, navigated: false }
            : await deps.browser.act(action, page.elements, { signal });
      const acted = now();
      steps.push({
        index,
        timestamp: new Date().toISOString(),
        url: seen.url,
        observation: page.html,
        rationale: decision.rationale,
        action,
        result,
        duration_ms: round(acted - stepStart),
        ...(screenshot ? { screenshot } : {}),
        ...(decision.usage
          ? {
              usage: {
                prompt_tokens: decision.usage.input_tokens,
                completion_tokens: decision.usage.output_tokens,
                calls: decision.usage.calls,
                retries: decision.usage.retries,
                cached_calls: decision.usage.cached_calls,
                latency_ms: round(decision.usage.latency_ms),
                cost_usd: decision.usage.cost_usd,
                ...(decision.usage.per_call ? { per_call: decision.usage.per_call } : {}),
              },
            }
          : {}),
        timings: {
          observe_ms: round(observed - stepStart),
          simplify_ms: round(simplified - observed),
          decide_ms: round(decided - simplified),
          act_ms: round(acted - decided),
        },
      });
      if (action === null && decision.end) {
        stop = new Stop("error", `the policy gave no usable action: ${decision.error ?? "no reason given"}`);
      } else if (action?.type === "terminate") {
        stop = new Stop("terminated", decision.rationale || "the policy ended the session");
      } else if (result.ok && result.navigated && deps.shop) {
        // A new page may be an order confirmation: ask the shop, and read the answer next step.
        purchaseCheck = deps.shop.orders(shopSession, signal);
        purchaseCheck.catch(() => {});
      }
      if (!stop) {
        const spent = budget.exceeded() ?? deps.runBudget?.exceeded() ?? null;
        if (spent) stop = new Stop("budget_exceeded", spent);
      }
      const period: number = stop ? 0 : loopPeriod(steps, limits.loopRepeats);
      if (period > 0) {
        stop = new Stop(
          "loop",
          period === 1
            ? `the same action on the same page ${limits.loopRepeats} times in a row`
            : `the same ${period} actions on the same pages, ${limits.loopRepeats} times in a row`,
        );
      }
    }
    stop ??= new Stop("max_steps", `step limit of ${limits.maxSteps} reached`);
    // A limit may end the loop on the very action that reached the confirmation page, before the
    // loop looked at it: one more look at where that action led.
    const last = steps.at(-1);
    if (deps.purchaseUrl && LIMITS.has(stop.status) && last?.result.ok && last.result.navigated) {
      const seen = await deps.browser.observe({ signal }).catch(() => null);
      if (seen && deps.purchaseUrl.test(seen.url)) {
        stop = new Stop(
          "purchased",
          `reached ${seen.url}, a page that confirms an order (purchase URL pattern), with the last step`,
        );
      }
    }
  } catch (error) {
    stop = signal.aborted
      ? new Stop("aborted", `stopped: ${reasonText(signal.reason)}`)
      : new Stop("error", error instanceof Error ? error.message : String(error));
  }

  let outcome: SessionRecord["outcome"] = { orders: [], goal_score: null, events: null };
  if (deps.shop) {
    try {
      const [orders, events] = await Promise.all([
        deps.shop.orders(shopSession),
        deps.shop.events(shopSession),
      ]);
      const scores = (orders ?? [])
        .map((o) => o.goal_score?.score)
        .filter((s): s is number => s !== undefined);
      outcome = {
        orders: orders ?? [],
        goal_score: scores.length > 0 ? Math.max(...scores) : null,
        events: events ? events.length : null,
      };
      // An order the shop recorded is a purchase whatever ended the loop (e.g. the last step).
      if (outcome.orders.length > 0 && stop.status !== "error" && stop.status !== "aborted") {
        stop = new Stop("purchased", `order ${outcome.orders.map((o) => o.order_id).join(", ")} placed`);
      }
    } catch (error) {
      if (stop.status !== "error")
        stop = new Stop("error", `reading the outcome from the shop failed: ${(error as Error).message}`);
    }
  }

  const endedAt = new Date();
  return {
    session_id: spec.sessionId,
    run_id: spec.runId,
    persona: { id: spec.persona.id, name: spec.persona.name },
    scenario: { id: spec.scenario.id, goal: spec.scenario.goal },
    variant: spec.variant,
    replica: spec.replica,
    seed: spec.seed,
    attempt: spec.attempt ?? 1,
    policy: {
      kind: deps.policy.kind,
      model: deps.policy.model,
      prompt_version: deps.policy.promptVersion,
      ...(deps.policy.params ? { params: { ...deps.policy.params, seed: spec.seed } } : {}),
    },
    status: stop.status,
    reason: stop.reason,
    steps,
    outcome,
    usage: budget.meter.totals(round(policyMs)),
    started_at: startedAt.toISOString(),
    ended_at: endedAt.toISOString(),
    duration_ms: round(now() - t0),
  };
}

/** The longest cycle of steps loop detection looks for (A, then A B, then A B C, repeated). */
const MAX_LOOP_PERIOD = 3;

/**
 * The period of a loop the last steps are stuck in: the same one to three actions on the same pages,
 * repeated `repeats` times in a row (e.g. open a product, go back, open it again, …), or 0.
 */
function loopPeriod(steps: readonly Step[], repeats: number): number {
  const key = (s: Step) => `${s.url}\n${JSON.stringify(s.action)}`;
  const n = steps.length;
  for (let period = 1; period <= MAX_LOOP_PERIOD; period++) {
    if (n < period * repeats) break;
    const keys = steps.slice(n - period * repeats).map(key);
    if (keys.every((k, i) => k === keys[i % period])) return period;
  }
  return 0;
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? "aborted" : String(reason);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
