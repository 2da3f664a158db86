import binomialCdf from "@stdlib/stats-base-dists-binomial-cdf";
import { mulberry32 } from "../random.ts";
import { quantile } from "../stats.ts";

/**
 * Metric functions of the evaluations: classification scores (accuracy, F1, confusion), McNemar's
 * test, and distances between distributions (Kolmogorov–Smirnov, Wasserstein-1, Jensen–Shannon) with
 * bootstrap confidence intervals. Pure; every input array is left unmodified.
 */

/** Accuracy of each session (correct / steps), then averaged over sessions ("macro", as the paper). */
export function macroAccuracy(perSession: readonly { correct: number; total: number }[]): number {
  const scored = perSession.filter((s) => s.total > 0);
  if (scored.length === 0) return Number.NaN;
  return scored.reduce((sum, s) => sum + s.correct / s.total, 0) / scored.length;
}

/** Correct steps over all steps, pooled across sessions ("micro"). */
export function microAccuracy(perSession: readonly { correct: number; total: number }[]): number {
  let correct = 0;
  let total = 0;
  for (const s of perSession) {
    correct += s.correct;
    total += s.total;
  }
  return total === 0 ? Number.NaN : correct / total;
}

/** counts[truth][predicted]. */
export type Confusion = Record<string, Record<string, number>>;

export function confusionMatrix(pairs: readonly { truth: string; predicted: string }[]): Confusion {
  const m: Confusion = {};
  for (const { truth, predicted } of pairs) {
    const row = m[truth] ?? {};
    row[predicted] = (row[predicted] ?? 0) + 1;
    m[truth] = row;
  }
  return m;
}

export interface ClassScore {
  precision: number;
  recall: number;
  f1: number;
  /** Steps whose true label is this class. */
  support: number;
}

/**
 * Precision, recall and F1 per label, and their unweighted mean over `labels` (default: every label
 * that occurs as truth or prediction). A class never predicted and never true is left out; a class
 * with no prediction has precision 0 (and so F1 0), as scikit-learn's default `zero_division=0`.
 */
export function f1Scores(
  pairs: readonly { truth: string; predicted: string }[],
  labels?: readonly string[],
): { per_class: Record<string, ClassScore>; macro_f1: number } {
  const all = labels ?? [...new Set(pairs.flatMap((p) => [p.truth, p.predicted]))].sort();
  const per_class: Record<string, ClassScore> = {};
  for (const label of all) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const p of pairs) {
      if (p.predicted === label && p.truth === label) tp += 1;
      else if (p.predicted === label) fp += 1;
      else if (p.truth === label) fn += 1;
    }
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    per_class[label] = { precision, recall, f1, support: tp + fn };
  }
  const scores = Object.values(per_class);
  const macro_f1 = scores.length === 0 ? Number.NaN : scores.reduce((s, c) => s + c.f1, 0) / scores.length;
  return { per_class, macro_f1 };
}

export interface McNemarResult {
  /** Items both got right / only A / only B / neither. */
  both_correct: number;
  only_a: number;
  only_b: number;
  neither: number;
  /** Exact two-sided p-value: binomial test of only_a vs only_b with p = 0.5. */
  p_value: number;
  /** Chi-square statistic with Edwards' continuity correction, (|b − c| − 1)² / (b + c); 0 when b + c = 0. */
  chi2: number;
}

/**
 * McNemar's test on paired right/wrong outcomes of two systems over the same items. The exact
 * (binomial) p-value is reported, valid for any number of discordant pairs.
 */
export function mcnemar(a: readonly boolean[], b: readonly boolean[]): McNemarResult {
  if (a.length !== b.length) throw new Error(`mcnemar: ${a.length} vs ${b.length} paired items`);
  let both = 0;
  let onlyA = 0;
  let onlyB = 0;
  let neither = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) both += 1;
    else if (a[i]) onlyA += 1;
    else if (b[i]) onlyB += 1;
    else neither += 1;
  }
  const n = onlyA + onlyB;
  const p_value = n === 0 ? 1 : Math.min(1, 2 * binomialCdf(Math.min(onlyA, onlyB), n, 0.5));
  const chi2 = n === 0 ? 0 : (Math.abs(onlyA - onlyB) - 1) ** 2 / n;
  return { both_correct: both, only_a: onlyA, only_b: onlyB, neither, p_value, chi2: Math.max(0, chi2) };
}

function sorted(xs: readonly number[]): number[] {
  return [...xs].filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
}

/** Two-sample Kolmogorov–Smirnov statistic: the largest gap between the two empirical CDFs (0..1). */
export function ksStatistic(xs: readonly number[], ys: readonly number[]): number {
  const a = sorted(xs);
  const b = sorted(ys);
  if (a.length === 0 || b.length === 0) return Number.NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i] as number, b[j] as number);
    while (i < a.length && (a[i] as number) <= x) i += 1;
    while (j < b.length && (b[j] as number) <= x) j += 1;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

/** Wasserstein-1 (earth mover's) distance between two samples: ∫ |F_x(t) − F_y(t)| dt, in the data's units. */
export function wasserstein1(xs: readonly number[], ys: readonly number[]): number {
  const a = sorted(xs);
  const b = sorted(ys);
  if (a.length === 0 || b.length === 0) return Number.NaN;
  const points = [...new Set([...a, ...b])].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let total = 0;
  for (let k = 0; k < points.length - 1; k++) {
    const t = points[k] as number;
    while (i < a.length && (a[i] as number) <= t) i += 1;
    while (j < b.length && (b[j] as number) <= t) j += 1;
    total += Math.abs(i / a.length - j / b.length) * ((points[k + 1] as number) - t);
  }
  return total;
}

/**
 * Jensen–Shannon divergence between two categorical distributions given as counts (or weights) per
 * category, with base-2 logarithms so it lies in 0..1 (0: identical mixes, 1: disjoint).
 */
export function jensenShannon(
  p: Readonly<Record<string, number>>,
  q: Readonly<Record<string, number>>,
): number {
  const keys = [...new Set([...Object.keys(p), ...Object.keys(q)])];
  const sp = keys.reduce((s, k) => s + (p[k] ?? 0), 0);
  const sq = keys.reduce((s, k) => s + (q[k] ?? 0), 0);
  if (sp === 0 || sq === 0) return Number.NaN;
  let js = 0;
  for (const k of keys) {
    const pk = (p[k] ?? 0) / sp;
    const qk = (q[k] ?? 0) / sq;
    const m = (pk + qk) / 2;
    if (pk > 0) js += 0.5 * pk * Math.log2(pk / m);
    if (qk > 0) js += 0.5 * qk * Math.log2(qk / m);
  }
  return Math.max(0, Math.min(1, js));
}

/** Counts of each value of a categorical sample. */
export function countsOf(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

/**
 * Percentile bootstrap interval of a two-sample statistic: both samples are resampled with
 * replacement `rounds` times (seeded, so the same inputs give the same interval).
 */
export function bootstrapTwoSample<T>(
  xs: readonly T[],
  ys: readonly T[],
  statistic: (a: readonly T[], b: readonly T[]) => number,
  opts: { rounds?: number; level?: number; seed?: number } = {},
): Interval {
  const rounds = opts.rounds ?? 1000;
  const level = opts.level ?? 0.95;
  const estimate = statistic(xs, ys);
  if (xs.length === 0 || ys.length === 0) return { estimate, low: Number.NaN, high: Number.NaN };
  const rng = mulberry32(opts.seed ?? 1);
  const resample = (s: readonly T[]) =>
    Array.from({ length: s.length }, () => s[Math.floor(rng() * s.length)] as T);
  const stats: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const v = statistic(resample(xs), resample(ys));
    if (Number.isFinite(v)) stats.push(v);
  }
  const tail = (1 - level) / 2;
  return { estimate, low: quantile(stats, tail), high: quantile(stats, 1 - tail) };
}
