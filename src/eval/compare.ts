import type { HumanSession } from "../contracts/human-log.ts";
import { mean, median, quantile } from "../stats.ts";
import { type SessionFeatures, sessionFeatures } from "./features.ts";
import {
  bootstrapTwoSample,
  countsOf,
  type Interval,
  jensenShannon,
  ksStatistic,
  wasserstein1,
} from "./metrics.ts";

/**
 * Session-shape realism: simulated sessions against human ones, feature by feature, each with a
 * distance and a bootstrap confidence interval, and one overall score.
 */

export const COUNT_FEATURES = [
  "actions",
  "searches",
  "product_views",
  "option_selections",
  "filter_uses",
  "back_uses",
  "pagination_uses",
  "reformulations",
] as const;
export type CountFeature = (typeof COUNT_FEATURES)[number];
/** Features pooled over steps rather than one value per session. */
export const POOLED_FEATURES = ["gaps_s", "query_lengths"] as const;
export type PooledFeature = (typeof POOLED_FEATURES)[number];

export interface Distribution {
  n: number;
  mean: number;
  median: number;
  p10: number;
  p90: number;
  /** value → how many (counts features only; omitted for continuous ones). */
  histogram?: Record<string, number>;
}

export interface FeatureComparison {
  feature: string;
  kind: "numeric" | "categorical";
  human: Distribution | Record<string, number>;
  sim: Distribution | Record<string, number>;
  /** `ks` (0..1) for numeric features, `js` (Jensen–Shannon, base 2, 0..1) for categorical mixes. */
  distance_name: "ks" | "js";
  distance: Interval;
  /** Wasserstein-1 in the feature's units (numeric features), for reading the size of a gap. */
  wasserstein: number | null;
}

export interface CompareResult {
  human_sessions: number;
  sim_sessions: number;
  features: FeatureComparison[];
  /** Features left out and why (a side has no data for it). */
  skipped: { feature: string; reason: string }[];
  /** 1 − mean distance over the compared features: 1 = indistinguishable shapes, 0 = disjoint. */
  realism_score: number;
  realism_features: string[];
  /** Simulated means beside published human aggregates. */
  references: ReferenceComparison[];
}

/** A published human aggregate, with where it comes from. */
export interface ReferenceRow {
  name: string;
  population: "human" | "llm_agent";
  citation: string;
  actions_per_session: number | null;
  searches_per_session: number | null;
  purchase_rate: number | null;
  sessions: number | null;
}

export const REFERENCE_ROWS: readonly ReferenceRow[] = [
  {
    name: "ShopCART (Amazon)",
    population: "human",
    citation:
      "Lu et al. 2025, 'LLM Agents That Act Like Us', arXiv 2503.20749: 31,865 sessions, 230,965 actions, 4,432 purchases",
    actions_per_session: 230965 / 31865,
    searches_per_session: 2.82,
    purchase_rate: 4432 / 31865,
    sessions: 31865,
  },
  {
    name: "AgentA/B human control (Amazon)",
    population: "human",
    citation:
      "Lu et al. 2025, AgentA/B: human control arm on Amazon (as summarised in shared/datasets/README.md)",
    actions_per_session: 15.96,
    searches_per_session: 6.4,
    purchase_rate: null,
    sessions: null,
  },
  {
    name: "AgentA/B LLM agents (Amazon)",
    population: "llm_agent",
    citation: "Lu et al. 2025, AgentA/B: LLM agent arm on Amazon",
    actions_per_session: 6.05,
    searches_per_session: 1.42,
    purchase_rate: null,
    sessions: null,
  },
  {
    name: "UCI Online Shoppers",
    population: "human",
    citation:
      "Sakar et al. 2018, UCI Online Shoppers Purchasing Intention dataset: 12,330 sessions, 1,908 with revenue",
    actions_per_session: null,
    searches_per_session: null,
    purchase_rate: 1908 / 12330,
    sessions: 12330,
  },
];

export interface ReferenceComparison extends ReferenceRow {
  sim_actions_per_session: number;
  sim_searches_per_session: number;
  sim_purchase_rate: number;
}

function describe(xs: readonly number[], histogram: boolean): Distribution {
  const d: Distribution = {
    n: xs.length,
    mean: mean(xs),
    median: median(xs),
    p10: quantile(xs, 0.1),
    p90: quantile(xs, 0.9),
  };
  if (histogram) d.histogram = countsOf(xs.map(String));
  return d;
}

function countsValues(fs: readonly SessionFeatures[], f: CountFeature): number[] {
  return fs.map((x) => x[f]).filter((v): v is number => v !== null);
}

/** Compares two sets of sessions. `rounds` bootstrap resamples per feature; `seed` makes CIs repeatable. */
export function compareSessions(
  human: readonly HumanSession[],
  sim: readonly HumanSession[],
  opts: { rounds?: number; seed?: number } = {},
): CompareResult {
  const hf = human.map(sessionFeatures);
  const sf = sim.map(sessionFeatures);
  const boot = { rounds: opts.rounds ?? 1000, seed: opts.seed ?? 1 };
  const features: FeatureComparison[] = [];
  const skipped: { feature: string; reason: string }[] = [];

  /** A feature one side has no data for is listed as not compared, with the reason. */
  const missing = (feature: string, humans: number, sims: number): boolean => {
    if (humans > 0 && sims > 0) return false;
    const side = humans === 0 ? "human" : "simulated";
    skipped.push({ feature, reason: `the ${side} sessions do not record it` });
    return true;
  };
  const numeric = (feature: string, h: number[], s: number[], histogram: boolean) => {
    if (missing(feature, h.length, s.length)) return;
    features.push({
      feature,
      kind: "numeric",
      human: describe(h, histogram),
      sim: describe(s, histogram),
      distance_name: "ks",
      distance: bootstrapTwoSample(h, s, ksStatistic, boot),
      wasserstein: wasserstein1(h, s),
    });
  };
  const categorical = (feature: string, h: string[], s: string[]) => {
    if (missing(feature, h.length, s.length)) return;
    features.push({
      feature,
      kind: "categorical",
      human: countsOf(h),
      sim: countsOf(s),
      distance_name: "js",
      distance: bootstrapTwoSample(h, s, (a, b) => jensenShannon(countsOf(a), countsOf(b)), boot),
      wasserstein: null,
    });
  };

  for (const f of COUNT_FEATURES) numeric(f, countsValues(hf, f), countsValues(sf, f), true);
  const outcome = (fs: readonly SessionFeatures[]) =>
    fs.filter((x) => x.purchased !== null).map((x) => (x.purchased ? "purchase" : "no_purchase"));
  categorical("purchase", outcome(hf), outcome(sf));
  numeric(
    "gaps_s",
    hf.flatMap((x) => x.gaps_s),
    sf.flatMap((x) => x.gaps_s),
    false,
  );
  numeric(
    "query_lengths",
    hf.flatMap((x) => x.query_lengths),
    sf.flatMap((x) => x.query_lengths),
    true,
  );
  // The mix of what steps do (searching, viewing, filtering …), pooled over sessions; terminate and
  // checkout form filling are not shopping choices.
  const mix = (fs: readonly SessionFeatures[]) =>
    fs.flatMap((x) => x.categories).filter((c) => c !== "terminate" && c !== "checkout");
  categorical("action_mix", mix(hf), mix(sf));

  const distances = features.map((f) => f.distance.estimate).filter((d) => Number.isFinite(d));
  const realism_score = distances.length === 0 ? Number.NaN : 1 - mean(distances);
  const simMean = (f: CountFeature) => mean(countsValues(sf, f));
  const simPurchase = outcome(sf);
  const references = REFERENCE_ROWS.map((r) => ({
    ...r,
    sim_actions_per_session: simMean("actions"),
    sim_searches_per_session: simMean("searches"),
    sim_purchase_rate:
      simPurchase.length === 0
        ? Number.NaN
        : simPurchase.filter((x) => x === "purchase").length / simPurchase.length,
  }));
  return {
    human_sessions: human.length,
    sim_sessions: sim.length,
    features,
    skipped,
    realism_score,
    realism_features: features.filter((f) => Number.isFinite(f.distance.estimate)).map((f) => f.feature),
    references,
  };
}
