import type { Persona, Scenario } from "../contracts/scenario.ts";
import type { Job } from "../queue/types.ts";

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
