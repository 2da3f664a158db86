import { describe, expect, it } from "vitest";
import {
  holm,
  mcnemarPaired,
  minimumDetectableEffect,
  pairedBootstrap,
  pairedT,
  requiredUnits,
  sampleSd,
  varianceComponents,
  wilcoxonSignedRank,
} from "../src/ab/stats.ts";
import { mulberry32, type Rng } from "../src/random.ts";

// Reference values below are computed independently of @stdlib: the exact signed-rank distribution by
// enumerating all 2^n sign patterns, the t statistic from its formula and its p-value from the
// closed-form t CDF for an even number of degrees of freedom (Abramowitz & Stegun 26.7.4).

/** Standard normal draw (Box–Muller). */
function normal(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function exponential(rng: Rng): number {
  return -Math.log(1 - rng());
}

function meanOf(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** W+ and the exact two-sided p-value by enumerating every sign pattern (no zeros, no tied |d|). */
function exactSignedRank(diffs: readonly number[]): { wPlus: number; p: number } {
  const n = diffs.length;
  const order = diffs.map((d, i) => ({ a: Math.abs(d), i })).sort((x, y) => x.a - y.a);
  const rank = new Array<number>(n);
  order.forEach(({ i }, r) => {
    rank[i] = r + 1;
  });
  let wPlus = 0;
  diffs.forEach((d, i) => {
    if (d > 0) wPlus += rank[i] as number;
  });
  let below = 0;
  let above = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let w = 0;
    for (let r = 1; r <= n; r++) if (mask & (1 << (r - 1))) w += r;
    if (w <= wPlus) below += 1;
    if (w >= wPlus) above += 1;
  }
  return { wPlus, p: Math.min(1, (2 * Math.min(below, above)) / 2 ** n) };
}

/** Two-sided p of a t statistic with an even number of degrees of freedom, in closed form (A&S 26.7.4). */
function tTwoSidedEvenDf(t: number, df: number): number {
  const xi = df / (df + t * t);
  let term = 1;
  let sum = 1;
  for (let j = 1; j < df / 2; j++) {
    term *= (2 * j - 1) / (2 * j);
    sum += term * xi ** j;
  }
  return 1 - (Math.abs(t) / Math.sqrt(df + t * t)) * sum;
}

/** ∫_0^z of the standard normal density, by Simpson's rule (error far below 1e-10 for |z| < 6). */
function normalIntegral(z: number): number {
  const steps = 2000;
  const h = z / steps;
  const f = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  let sum = f(0) + f(z);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * f(i * h);
  return (sum * h) / 3;
}

// Hollander & Wolfe (1973, p. 29): Hamilton depression scale before (x) and after (y) a tranquilizer.
// Classic result (R's wilcox.test(x, y, paired = TRUE)): V = 40, p = 0.03906.
const HW_X = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
const HW_Y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
const HW_D = HW_X.map((x, i) => x - (HW_Y[i] as number));

describe("Wilcoxon signed-rank", () => {
  it("matches the exact enumerated distribution and the textbook value", () => {
    const ref = exactSignedRank(HW_D);
    expect(ref.wPlus).toBe(40);
    expect(ref.p).toBeCloseTo(0.0390625, 10); // 2 · 10 / 512
    const r = wilcoxonSignedRank(HW_D);
    expect(r.test).toBe("wilcoxon-signed-rank");
    expect(r.statistic).toBe(40);
    expect(r.p_value).toBeCloseTo(ref.p, 10);
    // Reversing the direction mirrors W+ (n(n+1)/2 − 40 = 5) and keeps p.
    const neg = wilcoxonSignedRank(HW_D.map((d) => -d));
    expect(neg.statistic).toBe(5);
    expect(neg.p_value).toBeCloseTo(ref.p, 10);
  });

  it("agrees with enumeration on random tie-free samples, including W+ at the centre (p capped at 1)", () => {
    const rng = mulberry32(7);
    for (let trial = 0; trial < 40; trial++) {
      const n = 3 + (trial % 8); // 3..10
      const d = Array.from({ length: n }, () => Math.round((normal(rng) + 0.3) * 1e6) / 1e3);
      if (new Set(d.map(Math.abs)).size < n || d.includes(0)) continue;
      const ref = exactSignedRank(d);
      const r = wilcoxonSignedRank(d);
      expect(r.statistic).toBe(ref.wPlus);
      expect(r.p_value).toBeCloseTo(ref.p, 10);
    }
    // n = 4, W+ = 1 + 4 = 5 = n(n+1)/4: the doubled tail 2 · 9/16 must not exceed 1.
    expect(exactSignedRank([1, -2, -3, 4]).p).toBe(1);
    expect(wilcoxonSignedRank([1, -2, -3, 4]).p_value).toBe(1);
  });

  it("drops zero differences (and floating-point near-zeros)", () => {
    const base = wilcoxonSignedRank(HW_D);
    const withZeros = wilcoxonSignedRank([0, ...HW_D, 0, 1e-17, 0]);
    expect(withZeros).toEqual(base);
    expect(wilcoxonSignedRank([0, 0, 0])).toEqual({ test: "wilcoxon-signed-rank", statistic: 0, p_value: 1 });
    expect(wilcoxonSignedRank([])).toEqual({ test: "wilcoxon-signed-rank", statistic: 0, p_value: 1 });
    expect(wilcoxonSignedRank([0, 2.5, 0])).toEqual({
      test: "wilcoxon-signed-rank",
      statistic: 1,
      p_value: 1,
    });
    // 0.1 + 0.2 − 0.3 is 5.5e-17, not a difference.
    expect(wilcoxonSignedRank([0.1 + 0.2 - 0.3, 0])).toEqual({
      test: "wilcoxon-signed-rank",
      statistic: 0,
      p_value: 1,
    });
  });

  it("uses the tie-corrected normal approximation for tied differences", () => {
    // |d| = 1,1,1,2,2,3,3,3,3,4 → average ranks 2,2,2,4.5,4.5,7.5,7.5,7.5,7.5,10.
    const d = [1, 1, -1, 2, 2, 3, 3, 3, -3, 4];
    const wPlus = 2 + 2 + 4.5 + 4.5 + 7.5 + 7.5 + 7.5 + 10;
    const n = 10;
    const ties = [3, 2, 4].reduce((s, t) => s + t * (t * t - 1), 0);
    const sd = Math.sqrt((n * (n + 1) * (2 * n + 1) - ties / 2) / 24);
    const z = (wPlus - n * (n + 1) * 0.25 - 0.5) / sd; // continuity correction 0.5 towards the mean
    expect(z).toBeCloseTo(17.5 / Math.sqrt(94.375), 12);
    const r = wilcoxonSignedRank(d);
    expect(r.statistic).toBe(45.5);
    expect(r.statistic).toBe(wPlus);
    expect(r.p_value).toBeCloseTo(2 * (0.5 - normalIntegral(z)), 8);
  });
});

describe("paired t", () => {
  it("matches the formula for t and the closed-form t distribution", () => {
    const n = HW_D.length;
    const m = meanOf(HW_D);
    const sd = Math.sqrt(HW_D.reduce((s, d) => s + (d - m) ** 2, 0) / (n - 1));
    const t = m / (sd / Math.sqrt(n));
    expect(t).toBeCloseTo(3.0354, 3);
    const r = pairedT(HW_D);
    expect(r.test).toBe("paired-t");
    expect(r.statistic).toBeCloseTo(t, 10);
    expect(r.p_value).toBeCloseTo(tTwoSidedEvenDf(t, n - 1), 8);
    expect(r.p_value).toBeCloseTo(0.01618, 4); // R: t.test(x, y, paired = TRUE)
  });

  it("handles degenerate inputs", () => {
    expect(pairedT([])).toEqual({ test: "paired-t", statistic: null, p_value: 1 });
    expect(pairedT([3])).toEqual({ test: "paired-t", statistic: null, p_value: 1 });
    expect(pairedT([0, 0, 0])).toEqual({ test: "paired-t", statistic: 0, p_value: 1 });
    expect(pairedT([0.5, 0.5, 0.5])).toEqual({ test: "paired-t", statistic: Infinity, p_value: 0 });
    expect(pairedT([-2, -2])).toEqual({ test: "paired-t", statistic: -Infinity, p_value: 0 });
    // Averaging noise (0.1 + 0.2 vs 0.3) does not create a variance.
    expect(pairedT([0.1 + 0.2, 0.3, 0.3]).p_value).toBe(0);
    expect(() => pairedT([1, Number.NaN])).toThrow(/#1/);
  });
});

describe("McNemar (paired binary)", () => {
  it("returns the exact binomial p and the discordant counts in control/treatment terms", () => {
    // 10 units: 2 both, 1 control only, 6 treatment only, 1 neither.
    const control = [true, true, true, false, false, false, false, false, false, false];
    const treatment = [true, true, false, true, true, true, true, true, true, false];
    const r = mcnemarPaired(control, treatment);
    expect(r.test).toBe("mcnemar-exact");
    expect(r.control_only).toBe(1);
    expect(r.treatment_only).toBe(6);
    // p = 2 · P(Bin(7, ½) ≤ 1) = 2 · 8/128 = 0.125; χ² = (|1 − 6| − 1)² / 7 = 16/7.
    expect(r.p_value).toBeCloseTo(0.125, 12);
    expect(r.statistic).toBeCloseTo(16 / 7, 12);
    expect(() => mcnemarPaired([true], [true, false])).toThrow();
  });
});

describe("Holm–Bonferroni", () => {
  it("reproduces the textbook example, keeps order and nulls", () => {
    const adj = holm([0.01, 0.04, 0.03, 0.005]);
    const want = [0.03, 0.06, 0.06, 0.02];
    adj.forEach((p, i) => {
      expect(p).toBeCloseTo(want[i] as number, 12);
    });
    const withNulls = holm([null, 0.01, 0.04, null, 0.03, 0.005]);
    expect(withNulls[0]).toBeNull();
    expect(withNulls[3]).toBeNull();
    [1, 2, 4, 5].forEach((i, k) => {
      expect(withNulls[i]).toBeCloseTo(want[k] as number, 12);
    });
  });

  it("is monotone in the sorted p-values and capped at 1", () => {
    // Sorted 0.01 · 3 = 0.03, 0.5 · 2 = 1, 0.6 · 1 → max(1, 0.6) = 1; and 0.3 · 3 carries up to 0.4 · 2.
    expect(holm([0.5, 0.6, 0.01])).toEqual([1, 1, 0.03]);
    holm([0.5, 0.4, 0.3]).forEach((p) => {
      expect(p).toBeCloseTo(0.9, 12);
    });
    expect(holm([])).toEqual([]);
    expect(holm([null])).toEqual([null]);
    expect(holm([0.02])).toEqual([0.02]);
    const rng = mulberry32(3);
    for (let t = 0; t < 50; t++) {
      const ps = Array.from({ length: 6 }, () => rng() ** 3);
      const adj = holm(ps) as number[];
      const order = ps.map((p, i) => ({ p, a: adj[i] as number })).sort((x, y) => x.p - y.p);
      for (let k = 0; k < order.length; k++) {
        const o = order[k] as { p: number; a: number };
        expect(o.a).toBeGreaterThanOrEqual(o.p);
        expect(o.a).toBeLessThanOrEqual(1);
        if (k > 0) expect(o.a).toBeGreaterThanOrEqual((order[k - 1] as { a: number }).a);
      }
    }
    expect(() => holm([0.1, Number.NaN])).toThrow(/#1/);
  });
});

describe("power: MDE and required units", () => {
  it("gives the textbook sample size and round-trips", () => {
    // (1.959964 + 0.841621)² · 1² / 0.5² = 31.4 → 32.
    expect(requiredUnits({ sdDiff: 1, effect: 0.5, alpha: 0.05, power: 0.8 })).toBe(32);
    expect(requiredUnits({ sdDiff: 1, effect: -0.5, alpha: 0.05, power: 0.8 })).toBe(32);
    expect(minimumDetectableEffect({ sdDiff: 1, n: 32, alpha: 0.05, power: 0.8 })).toBeCloseTo(
      2.801585 / Math.sqrt(32),
      5,
    );
    for (const n of [2, 3, 10, 31, 32, 100, 1000, 12345]) {
      for (const sd of [0.01, 1, 37.5]) {
        const mde = minimumDetectableEffect({ sdDiff: sd, n, alpha: 0.05, power: 0.8 });
        expect(requiredUnits({ sdDiff: sd, effect: mde, alpha: 0.05, power: 0.8 })).toBe(n);
      }
    }
    expect(minimumDetectableEffect({ sdDiff: 1, n: 1, alpha: 0.05, power: 0.8 })).toBeNull();
    expect(minimumDetectableEffect({ sdDiff: null, n: 50, alpha: 0.05, power: 0.8 })).toBeNull();
    expect(requiredUnits({ sdDiff: 1, effect: 0, alpha: 0.05, power: 0.8 })).toBeNull();
    expect(requiredUnits({ sdDiff: 1, effect: null, alpha: 0.05, power: 0.8 })).toBeNull();
    expect(requiredUnits({ sdDiff: null, effect: 1, alpha: 0.05, power: 0.8 })).toBeNull();
    expect(requiredUnits({ sdDiff: 0.01, effect: 5, alpha: 0.05, power: 0.8 })).toBe(2);
    expect(() => requiredUnits({ sdDiff: 1, effect: 1, alpha: 5, power: 0.8 })).toThrow(RangeError);
  });
});

describe("sample sd and variance components", () => {
  it("sample sd uses n − 1", () => {
    expect(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sampleSd([1])).toBeNull();
    expect(sampleSd([])).toBeNull();
  });

  it("recovers constructed components", () => {
    // Replicas m ± 1: within-unit squares 2 per unit, 1 df each → within = 2. Unit means 0, 2, 4, 6 have
    // sample variance 20/3; replica noise adds within / k = 1 of it → between = 20/3 − 1 = 17/3.
    const v = varianceComponents([
      [-1, 1],
      [1, 3],
      [3, 5],
      [5, 7],
    ]);
    expect(v.within).toBeCloseTo(2, 12);
    expect(v.between).toBeCloseTo(17 / 3, 12);
    expect(v.within_share).toBeCloseTo(2 / (2 + 17 / 3), 12);
    // Identical unit means: all variance is within units (between clamps at 0).
    const same = varianceComponents([
      [0, 2],
      [2, 0],
      [-1, 3],
    ]);
    expect(same.between).toBe(0);
    expect(same.within_share).toBe(1);
    // Deterministic policy: no within variance.
    const det = varianceComponents([
      [1, 1, 1],
      [4, 4, 4],
    ]);
    expect(det.within).toBe(0);
    expect(det.between).toBeCloseTo(4.5, 12);
    expect(det.within_share).toBe(0);
    expect(varianceComponents([[1], [2], [3]])).toEqual({ within: null, between: null, within_share: null });
    expect(varianceComponents([[5, 5], [5]]).within_share).toBeNull();
  });

  it("estimates simulated components (σ_between = 2, σ_within = 1, unbalanced replicas)", () => {
    const rng = mulberry32(11);
    const values = Array.from({ length: 400 }, (_, u) => {
      const mu = 2 * normal(rng);
      return Array.from({ length: 2 + (u % 3) }, () => mu + normal(rng));
    });
    const v = varianceComponents(values);
    expect(v.within).toBeGreaterThan(0.9);
    expect(v.within).toBeLessThan(1.1);
    expect(v.between).toBeGreaterThan(3.3);
    expect(v.between).toBeLessThan(4.7);
    expect(v.within_share).toBeGreaterThan(0.15);
    expect(v.within_share).toBeLessThan(0.25);
  });
});

describe("paired bootstrap", () => {
  const meanDiff = (s: readonly number[]) => (s.length === 0 ? null : meanOf(s));

  it("is deterministic for a seed and its CI contains the estimate", () => {
    const rng = mulberry32(5);
    const d = Array.from({ length: 40 }, () => 0.3 + normal(rng));
    const a = pairedBootstrap(d, meanDiff, { resamples: 500, seed: 42 });
    const b = pairedBootstrap(d, meanDiff, { resamples: 500, seed: 42 });
    const c = pairedBootstrap(d, meanDiff, { resamples: 500, seed: 43 });
    expect(a).toEqual(b);
    expect(c.ci).not.toEqual(a.ci);
    expect(a.estimate).toBeCloseTo(meanOf(d), 12);
    expect(a.valid_resamples).toBe(500);
    expect(a.ci.low as number).toBeLessThan(a.estimate as number);
    expect(a.ci.high as number).toBeGreaterThan(a.estimate as number);
    // A narrower level gives a narrower interval.
    const narrow = pairedBootstrap(d, meanDiff, { resamples: 500, seed: 42, level: 0.5 });
    expect(narrow.ci.low as number).toBeGreaterThan(a.ci.low as number);
    expect(narrow.ci.high as number).toBeLessThan(a.ci.high as number);
  });

  it("resamples whole units for a ratio metric and skips undefined resamples", () => {
    // Units carry both arms' numerator and denominator (revenue, orders). Most have no order.
    interface U {
      cNum: number;
      cDen: number;
      tNum: number;
      tDen: number;
    }
    const units: U[] = [
      { cNum: 40, cDen: 1, tNum: 50, tDen: 1 },
      { cNum: 0, cDen: 0, tNum: 0, tDen: 0 },
      { cNum: 0, cDen: 0, tNum: 0, tDen: 0 },
      { cNum: 0, cDen: 0, tNum: 0, tDen: 0 },
      { cNum: 90, cDen: 2, tNum: 80, tDen: 1 },
      { cNum: 0, cDen: 0, tNum: 0, tDen: 0 },
    ];
    const aovDiff = (s: readonly U[]) => {
      let cn = 0;
      let cd = 0;
      let tn = 0;
      let td = 0;
      for (const u of s) {
        cn += u.cNum;
        cd += u.cDen;
        tn += u.tNum;
        td += u.tDen;
      }
      return cd === 0 || td === 0 ? null : tn / td - cn / cd;
    };
    const r = pairedBootstrap(units, aovDiff, { resamples: 2000, seed: 1 });
    // Σ: control 130 / 3, treatment 130 / 2 → 65 − 43.33 = 21.67.
    expect(r.estimate).toBeCloseTo(65 - 130 / 3, 10);
    // P(no purchasing unit among 6 draws) = (4/6)^6 ≈ 0.088 → about 176 of 2000 are skipped.
    expect(r.valid_resamples).toBeLessThan(2000);
    expect(r.valid_resamples).toBeGreaterThan(1700);
    expect(r.ci.low as number).toBeLessThanOrEqual(r.ci.high as number);
    const none = pairedBootstrap([units[1] as U], aovDiff, { resamples: 100, seed: 1 });
    expect(none).toEqual({
      estimate: null,
      ci: { low: null, high: null },
      p_value: null,
      valid_resamples: 0,
    });
    expect(pairedBootstrap([], meanDiff, { resamples: 100, seed: 1 }).valid_resamples).toBe(0);
  });

  it("p-value: 1 when every resample is exactly 0, small for a clear effect", () => {
    const zero = pairedBootstrap([0, 0, 0, 0], meanDiff, { resamples: 200, seed: 9 });
    expect(zero.p_value).toBe(1);
    expect(zero.ci).toEqual({ low: 0, high: 0 });
    const rng = mulberry32(8);
    const strong = Array.from({ length: 40 }, () => 1 + normal(rng));
    expect(pairedBootstrap(strong, meanDiff, { resamples: 400, seed: 2 }).p_value).toBeLessThan(0.01);
    const half = pairedBootstrap([-1, 1], meanDiff, { resamples: 400, seed: 2 });
    // Resample means are −1, 0, 0, 1 with probability ¼, ½, ¼: ≤ 0 and ≥ 0 both ≈ ¾ → p = 1.
    expect(half.p_value).toBe(1);
  });

  it("95% CI covers the true mean difference in 90–99% of simulated experiments", () => {
    const rng = mulberry32(2024);
    const trueDiff = 0.5;
    const sims = 200;
    let covered = 0;
    for (let s = 0; s < sims; s++) {
      const d = Array.from({ length: 40 }, () => trueDiff + normal(rng));
      const r = pairedBootstrap(d, meanDiff, { resamples: 400, seed: s });
      if ((r.ci.low as number) <= trueDiff && trueDiff <= (r.ci.high as number)) covered += 1;
    }
    const coverage = covered / sims;
    expect(coverage).toBeGreaterThanOrEqual(0.9);
    expect(coverage).toBeLessThanOrEqual(0.99);
  });
});

// ----------------------------------------------------------------------------------------------------
// A/A false-positive rates and power, by simulation. N experiments of 30 units each; the bound on the
// rejection share under the null is alpha plus two binomial standard errors.

const ALPHA = 0.05;
const UNITS = 30;
const N_AA = 1500;
const AA_BOUND = ALPHA + 2 * Math.sqrt((ALPHA * (1 - ALPHA)) / N_AA);

/** Paired skewed values: a lognormal unit effect shared by both arms times exponential session noise. */
function skewedPair(rng: Rng, shift: number): { control: number; treatment: number } {
  const unit = Math.exp(0.5 * normal(rng));
  return { control: unit * exponential(rng), treatment: unit * exponential(rng) + shift };
}

/** Correlation of the arms' latent scores within a unit (same persona, same seed). */
const LATENT_CORRELATION = 0.7;

/**
 * Paired binary outcomes with positive within-unit correlation: a latent unit propensity z shared by the
 * arms (see LATENT_CORRELATION), success when the latent score falls below the
 * arm's threshold, chosen so that P(success) = pControl / pTreatment.
 */
function binaryPair(
  rng: Rng,
  thresholdC: number,
  thresholdT: number,
): { control: boolean; treatment: boolean } {
  const z = normal(rng);
  const r = Math.sqrt(LATENT_CORRELATION);
  const s = Math.sqrt(1 - LATENT_CORRELATION);
  return { control: r * z + s * normal(rng) < thresholdC, treatment: r * z + s * normal(rng) < thresholdT };
}

// Φ⁻¹(0.3) and Φ⁻¹(0.6).
const Z30 = -0.5244005127080407;
const Z60 = 0.2533471031357997;

function rejectionRates(
  n: number,
  seed: number,
  experiment: (rng: Rng) => { mcnemar: number; wilcoxon: number; t: number },
): { mcnemar: number; wilcoxon: number; t: number } {
  const rng = mulberry32(seed);
  const hits = { mcnemar: 0, wilcoxon: 0, t: 0 };
  for (let e = 0; e < n; e++) {
    const p = experiment(rng);
    if (p.mcnemar <= ALPHA) hits.mcnemar += 1;
    if (p.wilcoxon <= ALPHA) hits.wilcoxon += 1;
    if (p.t <= ALPHA) hits.t += 1;
  }
  return { mcnemar: hits.mcnemar / n, wilcoxon: hits.wilcoxon / n, t: hits.t / n };
}

function runExperiment(rng: Rng, binaryT: number, shift: number) {
  const bin = Array.from({ length: UNITS }, () => binaryPair(rng, Z30, binaryT));
  const cont = Array.from({ length: UNITS }, () => skewedPair(rng, shift));
  const diffs = cont.map((u) => u.treatment - u.control);
  return {
    mcnemar: mcnemarPaired(
      bin.map((u) => u.control),
      bin.map((u) => u.treatment),
    ).p_value,
    wilcoxon: wilcoxonSignedRank(diffs).p_value,
    t: pairedT(diffs).p_value,
  };
}

describe("A/A false-positive rate and power (simulated, 30 units)", () => {
  it("A/A: each test rejects at most alpha + 2 standard errors of the time", () => {
    const rates = rejectionRates(N_AA, 101, (rng) => runExperiment(rng, Z30, 0));
    expect(rates.mcnemar).toBeLessThanOrEqual(AA_BOUND);
    expect(rates.wilcoxon).toBeLessThanOrEqual(AA_BOUND);
    expect(rates.t).toBeLessThanOrEqual(AA_BOUND);
    // …and not trivially: the continuous tests are close to their nominal level.
    expect(rates.wilcoxon).toBeGreaterThan(0.03);
    expect(rates.t).toBeGreaterThan(0.02);
  });

  it("A/A: Holm keeps the family-wise error of 4 null secondaries at alpha", () => {
    const rng = mulberry32(202);
    const n = 1500;
    let anyRaw = 0;
    let anyHolm = 0;
    for (let e = 0; e < n; e++) {
      const ps = Array.from({ length: 4 }, (_, k) => {
        const cont = Array.from({ length: UNITS }, () => skewedPair(rng, 0));
        const diffs = cont.map((u) => u.treatment - u.control);
        return k % 2 === 0 ? wilcoxonSignedRank(diffs).p_value : pairedT(diffs).p_value;
      });
      if (ps.some((p) => p <= ALPHA)) anyRaw += 1;
      if (holm(ps).some((p) => p !== null && p <= ALPHA)) anyHolm += 1;
    }
    expect(anyHolm / n).toBeLessThanOrEqual(ALPHA + 2 * Math.sqrt((ALPHA * (1 - ALPHA)) / n));
    // Without the adjustment the family-wise error is about 1 − 0.95⁴ ≈ 0.19.
    expect(anyRaw / n).toBeGreaterThan(0.12);
  });

  it("power: a real effect is detected in most experiments", () => {
    // Binary 0.3 → 0.6 (correlated within unit); continuous shift of 0.8 sd of the arm values.
    const sdValues = (() => {
      const rng = mulberry32(303);
      const xs = Array.from({ length: 20000 }, () => skewedPair(rng, 0).control);
      const m = meanOf(xs);
      return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
    })();
    const rates = rejectionRates(400, 404, (rng) => runExperiment(rng, Z60, 0.8 * sdValues));
    expect(rates.mcnemar).toBeGreaterThan(0.7);
    expect(rates.wilcoxon).toBeGreaterThan(0.7);
    expect(rates.t).toBeGreaterThan(0.7);
  });
});
