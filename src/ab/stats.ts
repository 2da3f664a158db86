import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import ttest from "@stdlib/stats-ttest";
import wilcoxon from "@stdlib/stats-wilcoxon";
import { mcnemar } from "../eval/metrics.ts";
import { mulberry32 } from "../random.ts";
import { mean, quantile } from "../stats.ts";

/**
 * Statistics of paired A/B experiments. A *unit* (persona × scenario) runs in the control arm and in a
 * treatment arm with the same seed, so every comparison here is paired: on per-unit differences
 * (treatment − control), on paired binary outcomes, or on a bootstrap that resamples whole units (so a
 * ratio metric Σnum/Σden is recomputed from the resampled units' sums, never averaged per unit).
 *
 * Pure functions, no I/O; every random choice comes from a seeded mulberry32, so the same inputs and
 * seed give the same numbers. Inputs are never modified. Invalid arguments (a NaN p-value, an alpha
 * outside 0..1) throw a RangeError: they are programming mistakes, not user input.
 */

/** A confidence interval; both ends null when it cannot be computed (no data, no valid resample). */
export interface Interval {
  low: number | null;
  high: number | null;
}

/** The outcome of one significance test. */
export interface TestResult {
  /** "wilcoxon-signed-rank", "paired-t" or "mcnemar-exact". */
  test: string;
  /** The test's statistic (see each test); null when it is undefined (e.g. a t with one unit). */
  statistic: number | null;
  /** Two-sided p-value in 0..1. */
  p_value: number;
}

/**
 * Paired bootstrap over units: resample unit indices with replacement `resamples` times (seeded),
 * evaluate `statistic` on each resample (a resample where it returns null, NaN or ±Infinity is
 * skipped), return the point estimate on the full data, the percentile CI at `level` (default 0.95),
 * and a two-sided bootstrap p-value for "statistic = 0": min(1, 2 · min(share of resampled values ≤ 0,
 * share ≥ 0)), which is 1 when every resample equals exactly 0. The p-value's resolution is
 * 1 / valid_resamples (it can be 0). CI and p-value are null when no resample is valid (e.g. no unit).
 *
 * Because whole units are resampled, `statistic` sees each unit with both of its arms, so it can
 * compute a paired difference, a relative difference, or a ratio metric Σnum/Σden per arm.
 */
export function pairedBootstrap<U>(
  units: readonly U[],
  statistic: (sample: readonly U[]) => number | null,
  opts: { resamples: number; seed: number; level?: number },
): { estimate: number | null; ci: Interval; p_value: number | null; valid_resamples: number } {
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(opts.resamples) || opts.resamples < 1) {
    throw new RangeError(`pairedBootstrap: resamples must be a positive integer, got ${opts.resamples}`);
  }
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`pairedBootstrap: level must lie strictly between 0 and 1, got ${level}`);
  }
  const estimate = finiteOrNull(statistic(units));
  const n = units.length;
  const values: number[] = [];
  if (n > 0) {
    const rng = mulberry32(opts.seed);
    const sample: U[] = new Array<U>(n);
    for (let r = 0; r < opts.resamples; r++) {
      for (let i = 0; i < n; i++) sample[i] = units[Math.floor(rng() * n)] as U;
      const v = finiteOrNull(statistic(sample));
      if (v !== null) values.push(v);
    }
  }
  if (values.length === 0) {
    return { estimate, ci: { low: null, high: null }, p_value: null, valid_resamples: 0 };
  }
  const tail = (1 - level) / 2;
  let atMost = 0;
  let atLeast = 0;
  for (const v of values) {
    if (v <= 0) atMost += 1;
    if (v >= 0) atLeast += 1;
  }
  const k = values.length;
  // Every resample exactly 0 counts on both sides: 2 · min(1, 1) caps to p = 1.
  const p_value = Math.min(1, (2 * Math.min(atMost, atLeast)) / k);
  return {
    estimate,
    ci: { low: quantile(values, tail), high: quantile(values, 1 - tail) },
    p_value,
    valid_resamples: k,
  };
}

/**
 * Wilcoxon signed-rank test on paired differences (treatment − control), two-sided, via
 * @stdlib/stats-wilcoxon.
 *
 * Zero differences are DROPPED (Wilcoxon's original method, `zeroMethod: "wilcox"`, scipy's default):
 * units where both arms agree carry no information about the direction, and the test runs on the n′
 * non-zero differences. Before that, differences are rounded to 12 significant digits and those within
 * 1e-12 · max(1, max |d|) of zero count as zero, so floating-point noise from averaging replicas neither
 * breaks ties nor turns an exact agreement into a "difference".
 *
 * statistic = W+, the sum of the ranks (average ranks for ties) of the positive differences among the
 * non-zero ones. p-value: exact signed-rank distribution when n′ ≤ 50 and there are no tied |d|;
 * otherwise the normal approximation with tie correction and continuity correction. All differences
 * zero → p 1, statistic 0; a single non-zero difference → p 1 (statistic 1 if it is positive, else 0).
 */
export function wilcoxonSignedRank(diffs: readonly number[]): TestResult {
  const nonZero = cleanDiffs(diffs, "wilcoxonSignedRank").filter((d) => d !== 0);
  if (nonZero.length === 0) return { test: "wilcoxon-signed-rank", statistic: 0, p_value: 1 };
  if (nonZero.length === 1) {
    return { test: "wilcoxon-signed-rank", statistic: (nonZero[0] as number) > 0 ? 1 : 0, p_value: 1 };
  }
  const out = wilcoxon(nonZero, { zeroMethod: "wilcox", alternative: "two-sided" });
  // @stdlib's exact two-sided p doubles one tail without capping: W+ at the centre gives p > 1.
  return { test: "wilcoxon-signed-rank", statistic: out.statistic, p_value: clampP(out.pValue) };
}

/**
 * Paired t-test: a one-sample t-test of the differences (treatment − control) against 0, two-sided,
 * via @stdlib/stats-ttest; statistic = t = mean / (sd / √n), with n − 1 degrees of freedom. The
 * differences are cleaned as in `wilcoxonSignedRank` (rounded to 12 significant digits, near-zero → 0).
 * Fewer than 2 differences → p 1, statistic null. All differences 0 → p 1, statistic 0. All differences
 * equal and non-zero (zero variance) → p 0, statistic ±Infinity with the sign of the difference (note
 * that JSON.stringify writes Infinity as null).
 */
export function pairedT(diffs: readonly number[]): TestResult {
  const d = cleanDiffs(diffs, "pairedT");
  if (d.length < 2) return { test: "paired-t", statistic: null, p_value: 1 };
  const first = d[0] as number;
  if (d.every((x) => x === first)) {
    if (first === 0) return { test: "paired-t", statistic: 0, p_value: 1 };
    return { test: "paired-t", statistic: first > 0 ? Infinity : -Infinity, p_value: 0 };
  }
  const out = ttest(d, { mu: 0, alternative: "two-sided" });
  return { test: "paired-t", statistic: out.statistic, p_value: clampP(out.pValue) };
}

/**
 * McNemar's exact test for paired binary outcomes: control[i] and treatment[i] are unit i's outcome in
 * each arm. The p-value is the exact two-sided binomial test on the discordant pairs (src/eval/metrics.ts
 * `mcnemar`); statistic = the continuity-corrected χ² (|b − c| − 1)² / (b + c), reported for reference
 * only. Returns the discordant counts: control_only (success in control only) and treatment_only.
 * Arrays of different lengths throw.
 */
export function mcnemarPaired(
  control: readonly boolean[],
  treatment: readonly boolean[],
): TestResult & { control_only: number; treatment_only: number } {
  const r = mcnemar(control, treatment);
  return {
    test: "mcnemar-exact",
    statistic: r.chi2,
    p_value: r.p_value,
    control_only: r.only_a,
    treatment_only: r.only_b,
  };
}

/**
 * Holm–Bonferroni step-down adjusted p-values, in the same order as the input: with the m non-null
 * p-values sorted ascending p(1) ≤ … ≤ p(m), adjusted p(k) = max over j ≤ k of min(1, (m − j + 1) · p(j)).
 * Nulls stay null and do not count in m. Reject where adjusted p ≤ alpha to control the family-wise
 * error rate at alpha. A NaN or out-of-range p-value throws.
 */
export function holm(pValues: readonly (number | null)[]): (number | null)[] {
  const present: { p: number; index: number }[] = [];
  pValues.forEach((p, index) => {
    if (p === null) return;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`holm: p-value #${index} is ${p}, expected 0..1`);
    present.push({ p, index });
  });
  present.sort((a, b) => a.p - b.p || a.index - b.index);
  const out: (number | null)[] = pValues.map(() => null);
  const m = present.length;
  let running = 0;
  present.forEach(({ p, index }, j) => {
    running = Math.max(running, Math.min(1, (m - j) * p));
    out[index] = running;
  });
  return out;
}

/**
 * Minimum detectable absolute effect for a paired design (normal approximation, two-sided alpha):
 * (z_{1−α/2} + z_{power}) · sd_diff / √n, where sd_diff is the standard deviation of the per-unit
 * differences. null when n < 2 or sd_diff is null.
 */
export function minimumDetectableEffect(opts: {
  sdDiff: number | null;
  n: number;
  alpha: number;
  power: number;
}): number | null {
  const z = zSum(opts.alpha, opts.power, "minimumDetectableEffect");
  if (opts.sdDiff === null || !(opts.n >= 2)) return null;
  return (z * opts.sdDiff) / Math.sqrt(opts.n);
}

/**
 * Units needed to detect `effect` (absolute; its sign is ignored) in a paired design at alpha
 * (two-sided) and power (normal approximation): ceil(((z_{1−α/2} + z_{power}) · sd_diff / effect)²),
 * at least 2. The inverse of `minimumDetectableEffect`: requiredUnits at effect = MDE(n) is n. null
 * when effect is 0 or null, or sd_diff is null.
 */
export function requiredUnits(opts: {
  sdDiff: number | null;
  effect: number | null;
  alpha: number;
  power: number;
}): number | null {
  const z = zSum(opts.alpha, opts.power, "requiredUnits");
  if (opts.sdDiff === null || opts.effect === null || opts.effect === 0) return null;
  const exact = ((z * opts.sdDiff) / opts.effect) ** 2;
  if (!Number.isFinite(exact)) return null;
  // Shave off rounding noise so that an exact integer (the MDE round trip) does not ceil one too high.
  return Math.max(2, Math.ceil(exact * (1 - 1e-12)));
}

/** Sample standard deviation (divisor n − 1); null for fewer than 2 values. */
export function sampleSd(xs: readonly number[]): number | null {
  const v = sampleVariance(xs);
  return v === null ? null : Math.sqrt(v);
}

/**
 * Variance components for replicated units in one arm: values[u] = the replica values of unit u.
 *
 * - within: pooled within-unit variance Σ_u Σ_r (x_ur − x̄_u)² / Σ_u (k_u − 1) over units with k_u ≥ 2
 *   replicas: the policy's own randomness. null when no unit has ≥ 2 replicas.
 * - between: variance of the true unit means by the method of moments, from the sample variance of
 *   the unit means (units with ≥ 1 replica) minus the part replica noise adds to it:
 *   max(0, var(x̄_u) − within · mean_u(1 / k_u)). null with fewer than 2 units or when within is null
 *   (with one replica per unit the two sources cannot be told apart).
 * - within_share = within / (within + between); null when either is null or both are 0.
 */
export function varianceComponents(values: readonly (readonly number[])[]): {
  within: number | null;
  between: number | null;
  within_share: number | null;
} {
  const units = values.filter((v) => v.length > 0);
  let ss = 0;
  let df = 0;
  for (const v of units) {
    if (v.length < 2) continue;
    const m = mean(v);
    for (const x of v) ss += (x - m) ** 2;
    df += v.length - 1;
  }
  const within = df > 0 ? ss / df : null;
  const meansVar = sampleVariance(units.map((v) => mean(v)));
  const between =
    within === null || meansVar === null
      ? null
      : Math.max(0, meansVar - within * mean(units.map((v) => 1 / v.length)));
  const within_share =
    within === null || between === null || within + between === 0 ? null : within / (within + between);
  return { within, between, within_share };
}

// ---------------------------------------------------------------------------------------------------

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

function clampP(p: number): number {
  return Math.min(1, Math.max(0, p));
}

/** Sample variance (n − 1), two-pass; null for fewer than 2 values. */
function sampleVariance(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return ss / (xs.length - 1);
}

/** Differences rounded to 12 significant digits, with those near zero (relative to the largest) set to 0. */
function cleanDiffs(diffs: readonly number[], where: string): number[] {
  let scale = 1;
  diffs.forEach((d, i) => {
    if (!Number.isFinite(d))
      throw new RangeError(`${where}: difference #${i} is ${d}, expected a finite number`);
    scale = Math.max(scale, Math.abs(d));
  });
  const eps = 1e-12 * scale;
  return diffs.map((d) => (Math.abs(d) <= eps ? 0 : Number(d.toPrecision(12))));
}

/** z_{1−α/2} + z_{power}, validating both. */
function zSum(alpha: number, power: number, where: string): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`${where}: alpha must lie in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`${where}: power must lie in (0, 1), got ${power}`);
  return normalQuantile(1 - alpha / 2, 0, 1) + normalQuantile(power, 0, 1);
}
