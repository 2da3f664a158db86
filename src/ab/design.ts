import { z } from "zod";
import type { Persona, Scenario } from "../contracts/scenario.ts";
import type { Job } from "../queue/types.ts";
import { mulberry32, shuffle } from "../random.ts";
import { planJobs } from "../run/plan.ts";

/**
 * The paired design of an A/B experiment: `units` persona × scenario pairs are sampled once, and
 * every unit runs in every arm with the same shopper seed (per replica), so arms differ only in the
 * site. Jobs are interleaved: unit by unit, each unit's arms in a seeded random order, so no arm
 * runs systematically earlier (a warmer shop, a busier machine) than another.
 */

export const AssignmentSchema = z
  .object({
    job_id: z.string(),
    arm: z.string(),
    unit: z.string(),
    persona_id: z.string(),
    scenario_id: z.string(),
    replica: z.number().int().nonnegative(),
    seed: z.number().int(),
  })
  .strict();
export type Assignment = z.infer<typeof AssignmentSchema>;

export interface ArmPlan {
  name: string;
  /** The variant the built-in shop serves this arm, or null for a deployment's own default. */
  variant: string | null;
}

export interface PairedDesign {
  /** Jobs in run order (interleaved); `variant` is each arm's shop variant. */
  jobs: Job[];
  /** What each job is in the design: its arm, unit and replica. Same order as `jobs`. */
  assignments: Assignment[];
}

export function planPairedDesign(opts: {
  personas: readonly Persona[];
  scenarios: readonly Scenario[];
  /** Units (persona × scenario pairs): each runs once per arm and replica. */
  units: number;
  replicas: number;
  arms: readonly ArmPlan[];
  seed: number;
}): PairedDesign {
  // One planned job per unit × replica; its seed is shared by every arm.
  const base = planJobs({
    personas: opts.personas,
    scenarios: opts.scenarios,
    sessions: opts.units,
    replicas: opts.replicas,
    variants: [null],
    seed: opts.seed,
  });
  const random = mulberry32(opts.seed ^ 0x5eed_ab);
  const jobs: Job[] = [];
  const assignments: Assignment[] = [];
  for (const [i, planned] of base.entries()) {
    const unit = `u${String(Math.floor(i / opts.replicas) + 1).padStart(5, "0")}`;
    for (const arm of shuffle([...opts.arms], random)) {
      const job_id = `${unit}-r${planned.replica}-${arm.name}`;
      jobs.push({ ...planned, job_id, variant: arm.variant });
      assignments.push({
        job_id,
        arm: arm.name,
        unit,
        persona_id: planned.persona_id,
        scenario_id: planned.scenario_id,
        replica: planned.replica,
        seed: planned.seed,
      });
    }
  }
  return { jobs, assignments };
}
