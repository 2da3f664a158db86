import type { Persona, Scenario } from "../contracts/scenario.ts";
import { type Job, type PolicySpec, type SessionJob, sessionIdOf } from "../queue/types.ts";
import type { BudgetLimits } from "../session/budget.ts";
import type { SessionLimits } from "../session/run-session.ts";

export interface PlanOptions {
  personas: readonly Persona[];
  scenarios: readonly Scenario[];
  /** Sample this many persona × scenario pairs (seeded); omitted: the full cross product. */
  sessions?: number;
  replicas: number;
  variants: readonly (string | null)[];
  seed: number;
}

/** splitmix32-style hash → [0, 1), for seeded sampling without shared state. */
function unit(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/**
 * The run's jobs: persona × scenario pairs (all of them, or `sessions` sampled with the seed, every
 * scenario and persona used as evenly as the count allows), times variants, times replicas. Each
 * job gets its own seed derived from the run seed, so a job replays the same way on any worker.
 */
export function planJobs(opts: PlanOptions): Job[] {
  const { personas, scenarios } = opts;
  const pairs: [Persona, Scenario][] = [];
  if (opts.sessions === undefined) {
    for (const s of scenarios) for (const p of personas) pairs.push([p, s]);
  } else {
    // Walk scenarios round-robin so each is used evenly; pick personas by seeded draws.
    const order = scenarios.map((s, i) => ({ s, k: unit(opts.seed, i) })).sort((a, b) => a.k - b.k);
    for (let i = 0; i < opts.sessions; i++) {
      const scenario = order[i % order.length]!.s;
      const persona = personas[Math.floor(unit(opts.seed + 1, i) * personas.length)]!;
      pairs.push([persona, scenario]);
    }
  }
  const jobs: Job[] = [];
  for (const [persona, scenario] of pairs) {
    for (const variant of opts.variants) {
      for (let replica = 0; replica < opts.replicas; replica++) {
        const n = jobs.length;
        jobs.push({
          job_id: `j${String(n + 1).padStart(5, "0")}`,
          persona_id: persona.id,
          scenario_id: scenario.id,
          variant,
          replica,
          seed: Math.floor(unit(opts.seed + 2, n) * 2 ** 31),
        });
      }
    }
  }
  return jobs;
}

export interface BindOptions {
  runId: string;
  personas: ReadonlyMap<string, Persona>;
  scenarios: ReadonlyMap<string, Scenario>;
  policy: PolicySpec;
  shopUrl: string;
  limits?: Partial<SessionLimits>;
  sessionBudget?: BudgetLimits;
  screenshots?: boolean;
  /** See SessionJob's `purchase_url`. */
  purchaseUrl?: string;
}

/** Turns planned jobs into self-contained session jobs for a run: any worker can run one as it is. */
export function bindJobs(jobs: readonly Job[], opts: BindOptions): SessionJob[] {
  return jobs.map((job) => {
    const persona = opts.personas.get(job.persona_id);
    const scenario = opts.scenarios.get(job.scenario_id);
    if (!persona || !scenario) throw new Error(`job ${job.job_id} names an unknown persona or scenario`);
    return {
      run_id: opts.runId,
      session_id: sessionIdOf(opts.runId, job.job_id),
      job_id: job.job_id,
      persona,
      scenario,
      variant: job.variant,
      replica: job.replica,
      seed: job.seed,
      policy: opts.policy,
      shop_url: opts.shopUrl,
      limits: { ...opts.limits },
      session_budget: opts.sessionBudget ?? { maxTokens: null, maxCostUsd: null },
      screenshots: opts.screenshots ?? false,
      ...(opts.purchaseUrl !== undefined ? { purchase_url: opts.purchaseUrl } : {}),
      attempt: 1,
    };
  });
}
