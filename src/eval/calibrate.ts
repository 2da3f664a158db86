import { createHash } from "node:crypto";
import type { HumanSession } from "../contracts/human-log.ts";
import { STYLE_TRAITS, type StyleTrait } from "../contracts/scenario.ts";
import { DEFAULT_DISTRIBUTIONS, type DistributionsInput } from "../population/personas.ts";
import { mean } from "../stats.ts";
import { type CompareResult, compareSessions, type ReferenceRow } from "./compare.ts";
import { sessionFeatures } from "./features.ts";

/**
 * Calibration of the built-in shopper's population: the means of its shopping-style traits are
 * searched so that simulated session shapes come close to human ones. Human sessions are split
 * into a fit part and a held-out part; the search only sees the fit part, and the report gives the
 * distance before and after on the held-out part, with fresh simulations.
 */

/** The traits the search moves: the ones that change the built-in shopper's session shape. */
export const CALIBRATED_TRAITS: readonly StyleTrait[] = [
  "patience",
  "exploration",
  "impulsiveness",
  "reading_depth",
  "price_sensitivity",
];

export type TraitMeans = Record<StyleTrait, number>;

/** Runs `n` simulated sessions with personas drawn from `distributions` (same seed → same personas). */
export type Simulate = (
  distributions: DistributionsInput,
  n: number,
  seed: number,
) => Promise<HumanSession[]>;

export interface CalibrationOptions {
  /** Simulated sessions per candidate population. */
  sessions: number;
  /** Candidate populations tried, the starting one included. */
  evaluations: number;
  seed: number;
  /** Share of human sessions held out from the fit (0..1). */
  holdout: number;
  /** Published aggregates to match as well (mean actions and searches per session, purchase rate). */
  reference?: ReferenceRow;
  onEvaluation?: (e: CalibrationStep) => void;
}

export interface CalibrationStep {
  evaluation: number;
  means: TraitMeans;
  distance: number;
  accepted: boolean;
}

export interface CalibrationResult {
  fit_sessions: number;
  holdout_sessions: number;
  start: TraitMeans;
  calibrated: TraitMeans;
  trace: CalibrationStep[];
  /** Held-out comparison with the starting population and with the calibrated one. */
  before: { distance: number; compare: CompareResult };
  after: { distance: number; compare: CompareResult };
  reference: { name: string; before: number; after: number } | null;
  distributions: DistributionsInput;
}

/** Splits sessions by a hash of their id, so the same log always splits the same way. */
export function splitHoldout(
  sessions: readonly HumanSession[],
  share: number,
): { fit: HumanSession[]; holdout: HumanSession[] } {
  const fit: HumanSession[] = [];
  const holdout: HumanSession[] = [];
  for (const s of sessions) {
    const h = createHash("sha256").update(`${s.source}\0${s.session_id}`).digest().readUInt32BE(0) / 2 ** 32;
    (h < share ? holdout : fit).push(s);
  }
  return { fit, holdout };
}

/** Relative gap between simulated means and a published row's (actions, searches, purchase rate). */
export function referenceGap(sim: readonly HumanSession[], ref: ReferenceRow): number {
  const f = sim.map(sessionFeatures);
  const gaps: number[] = [];
  const rel = (x: number, target: number) => Math.min(1, Math.abs(x - target) / Math.max(target, 1e-9));
  const actions = f.map((x) => x.actions).filter((v): v is number => v !== null);
  const searches = f.map((x) => x.searches).filter((v): v is number => v !== null);
  const bought = f.map((x) => x.purchased).filter((v): v is boolean => v !== null);
  if (ref.actions_per_session !== null && actions.length > 0)
    gaps.push(rel(mean(actions), ref.actions_per_session));
  if (ref.searches_per_session !== null && searches.length > 0)
    gaps.push(rel(mean(searches), ref.searches_per_session));
  if (ref.purchase_rate !== null && bought.length > 0)
    gaps.push(Math.abs(bought.filter(Boolean).length / bought.length - ref.purchase_rate));
  return gaps.length === 0 ? 0 : mean(gaps);
}

export function distributionsFor(means: TraitMeans): DistributionsInput {
  return {
    style: Object.fromEntries(
      STYLE_TRAITS.map((t) => [t, { mean: round(means[t]), sd: DEFAULT_DISTRIBUTIONS.style[t].sd }]),
    ) as DistributionsInput["style"],
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function clamp(x: number): number {
  return Math.min(0.95, Math.max(0.05, x));
}

/**
 * Coordinate search over the trait means: each trait in turn is moved by ±step and a move is kept
 * when the simulated sessions come closer to the fit sessions; the step halves after a round that
 * kept nothing. Every candidate is simulated with the same seed (common random numbers), so a
 * change of distance comes from the traits, not from drawing other personas and scenarios.
 */
export async function calibrate(
  human: readonly HumanSession[],
  simulate: Simulate,
  opts: CalibrationOptions,
): Promise<CalibrationResult> {
  const { fit, holdout } = splitHoldout(human, opts.holdout);
  const target = fit.length > 0 ? fit : [...human];
  const check = holdout.length > 0 ? holdout : [...human];
  const objective = (sim: HumanSession[]) => {
    const d = target.length > 0 ? 1 - compareSessions(target, sim, { rounds: 0 }).realism_score : 0;
    return opts.reference
      ? target.length > 0
        ? (d + referenceGap(sim, opts.reference)) / 2
        : referenceGap(sim, opts.reference)
      : d;
  };
  const start = Object.fromEntries(
    STYLE_TRAITS.map((t) => [t, DEFAULT_DISTRIBUTIONS.style[t].mean]),
  ) as TraitMeans;
  const trace: CalibrationStep[] = [];
  let evaluation = 0;
  const evaluate = async (means: TraitMeans): Promise<number> => {
    evaluation += 1;
    return objective(await simulate(distributionsFor(means), opts.sessions, opts.seed));
  };
  let best = { ...start };
  let bestDistance = await evaluate(best);
  trace.push({ evaluation, means: { ...best }, distance: bestDistance, accepted: true });
  opts.onEvaluation?.(trace.at(-1) as CalibrationStep);
  let step = 0.3;
  while (evaluation < opts.evaluations && step >= 0.05) {
    let improved = false;
    for (const trait of CALIBRATED_TRAITS) {
      // Both directions are tried and the better one kept, so one lucky draw in the first direction
      // does not decide the move.
      let bestMove: { means: TraitMeans; distance: number } | null = null;
      const tried = trace.length;
      for (const dir of [-1, 1]) {
        if (evaluation >= opts.evaluations) break;
        const value = clamp(best[trait] + dir * step);
        if (Math.abs(value - best[trait]) < 1e-9) continue;
        const candidate = { ...best, [trait]: value };
        const d = await evaluate(candidate);
        trace.push({ evaluation, means: candidate, distance: d, accepted: false });
        if (d < bestDistance && (bestMove === null || d < bestMove.distance))
          bestMove = { means: candidate, distance: d };
      }
      if (bestMove) {
        for (const t of trace) if (t.means === bestMove.means) t.accepted = true;
        best = bestMove.means;
        bestDistance = bestMove.distance;
        improved = true;
      }
      for (const t of trace.slice(tried)) opts.onEvaluation?.(t);
      if (evaluation >= opts.evaluations) break;
    }
    if (!improved) step /= 2;
  }
  // Held-out check with a seed the search never used.
  const checkSeed = opts.seed + 7919;
  const simBefore = await simulate(distributionsFor(start), opts.sessions, checkSeed);
  const simAfter = await simulate(distributionsFor(best), opts.sessions, checkSeed);
  const before = compareSessions(check, simBefore, { seed: opts.seed });
  const after = compareSessions(check, simAfter, { seed: opts.seed });
  return {
    fit_sessions: target.length,
    holdout_sessions: check.length,
    start,
    calibrated: best,
    trace,
    before: { distance: 1 - before.realism_score, compare: before },
    after: { distance: 1 - after.realism_score, compare: after },
    reference: opts.reference
      ? {
          name: opts.reference.name,
          before: referenceGap(simBefore, opts.reference),
          after: referenceGap(simAfter, opts.reference),
        }
      : null,
    distributions: distributionsFor(best),
  };
}
