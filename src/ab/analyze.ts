import type {
  AbReport,
  ArmSummary,
  Comparison,
  Decision,
  MetricComparison,
  MetricRole,
  SegmentEffect,
  Verdict,
} from "../contracts/ab-report.ts";
import type { Direction, Experiment, MetricName, MetricRef } from "../contracts/experiment.ts";
import type { Persona } from "../contracts/scenario.ts";
import type { ShopEvent } from "../contracts/shop.ts";
import type { SessionRecord } from "../contracts/trajectory.ts";
import type { Assignment } from "./design.ts";
import { type Fraction, FUNNEL_STAGES, METRICS, measureSession, type SessionMeasures } from "./metrics.ts";
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
} from "./stats.ts";

/**
 * Turns an experiment's session records into its report: per-arm metrics and funnels, and for
 * each treatment against the control, paired effects with bootstrap CIs, tests, Holm-adjusted
 * secondaries, power, replicate variance, segments, and the decision.
 */

/** Statuses that did not run the whole experience: left out of the analysis and listed. */
const EXCLUDED = new Set(["aborted", "budget_exceeded"]);

export interface ArmInfo {
  name: string;
  /** In words: "built-in shop, variant …" or the deployment's URL. */
  source: string;
}

export interface AnalysisInput {
  experiment: Experiment;
  arms: readonly ArmInfo[];
  assignments: readonly Assignment[];
  personas: ReadonlyMap<string, Persona>;
  records: readonly SessionRecord[];
  /** Server-side events per session id; null when the arm's shop has no events API. */
  events: ReadonlyMap<string, readonly ShopEvent[] | null>;
  /** Sessions whose events could not be fetched, with why (their metrics come from the trajectories). */
  eventFailures?: ReadonlyMap<string, string>;
  runId: string;
  runDir: string;
  queue: string;
  durationS: number | null;
  sessionIdOf: (jobId: string) => string;
}

/** One session's measures, placed in the design. */
interface Measured {
  arm: string;
  unit: string;
  replica: number;
  persona_id: string;
  m: SessionMeasures;
}

/** A unit's sums over its replicas, per arm. */
interface PairedUnit {
  unit: string;
  persona_id: string;
  c: Fraction;
  t: Fraction;
}

function resolveRef(ref: MetricRef): { metric: MetricName; direction: Direction } {
  return typeof ref === "string"
    ? { metric: ref, direction: METRICS[ref].direction }
    : { metric: ref.metric, direction: ref.direction ?? METRICS[ref.metric].direction };
}

function sumFractions(fs: readonly (Fraction | null)[]): Fraction | null {
  const present = fs.filter((f): f is Fraction => f !== null);
  if (present.length === 0) return null;
  return { num: present.reduce((s, f) => s + f.num, 0), den: present.reduce((s, f) => s + f.den, 0) };
}

const ratio = (f: Fraction | null): number | null => (f && f.den > 0 ? f.num / f.den : null);

function ratioOfSums(fs: readonly Fraction[]): number | null {
  let num = 0;
  let den = 0;
  for (const f of fs) {
    num += f.num;
    den += f.den;
  }
  return den > 0 ? num / den : null;
}

function pairUnits(
  measured: readonly Measured[],
  control: string,
  treatment: string,
  metric: MetricName,
  filter: (m: Measured) => boolean = () => true,
): PairedUnit[] {
  const byUnit = new Map<string, { persona_id: string; c: (Fraction | null)[]; t: (Fraction | null)[] }>();
  for (const s of measured) {
    if (!filter(s) || (s.arm !== control && s.arm !== treatment)) continue;
    const entry = byUnit.get(s.unit) ?? { persona_id: s.persona_id, c: [], t: [] };
    (s.arm === control ? entry.c : entry.t).push(s.m.values[metric]);
    byUnit.set(s.unit, entry);
  }
  const out: PairedUnit[] = [];
  for (const [unit, e] of byUnit) {
    const c = sumFractions(e.c);
    const t = sumFractions(e.t);
    if (c && t) out.push({ unit, persona_id: e.persona_id, c, t });
  }
  return out.sort((a, b) => (a.unit < b.unit ? -1 : 1));
}

/** treatment − control over a sample of paired units: means of per-unit values, or ratio of sums. */
function diffStatistic(kind: string) {
  return (units: readonly PairedUnit[]): number | null => {
    if (kind === "ratio") {
      const c = ratioOfSums(units.map((u) => u.c));
      const t = ratioOfSums(units.map((u) => u.t));
      return c === null || t === null ? null : t - c;
    }
    const usable = units.filter((u) => u.c.den > 0 && u.t.den > 0);
    if (usable.length === 0) return null;
    return usable.reduce((s, u) => s + u.t.num / u.t.den - u.c.num / u.c.den, 0) / usable.length;
  };
}

/**
 * Delta-method linearisation of a paired ratio-of-sums difference: per unit,
 * (R_t − R_c) + z_t − z_c with z = (num − R · den) / mean(den). The values' mean is exactly
 * R_t − R_c and their variance is the delta method's, so a one-sample t-test on them is the
 * delta-method test of the difference (Deng et al., "Applying the Delta Method in Metric
 * Analytics", KDD 2018). Empty when either arm has no denominator at all.
 */
function deltaMethodDiffs(units: readonly PairedUnit[]): number[] {
  const rc = ratioOfSums(units.map((u) => u.c));
  const rt = ratioOfSums(units.map((u) => u.t));
  if (rc === null || rt === null) return [];
  const n = units.length;
  const dc = units.reduce((s, u) => s + u.c.den, 0) / n;
  const dt = units.reduce((s, u) => s + u.t.den, 0) / n;
  return units.map((u) => rt - rc + (u.t.num - rt * u.t.den) / dt - (u.c.num - rc * u.c.den) / dc);
}

function levels(kind: string, units: readonly PairedUnit[]): { c: number | null; t: number | null } {
  if (kind === "ratio")
    return { c: ratioOfSums(units.map((u) => u.c)), t: ratioOfSums(units.map((u) => u.t)) };
  const usable = units.filter((u) => u.c.den > 0 && u.t.den > 0);
  if (usable.length === 0) return { c: null, t: null };
  const mean = (f: (u: PairedUnit) => number) => usable.reduce((s, u) => s + f(u), 0) / usable.length;
  return { c: mean((u) => u.c.num / u.c.den), t: mean((u) => u.t.num / u.t.den) };
}

function relativeStatistic(kind: string) {
  return (units: readonly PairedUnit[]): number | null => {
    const { c, t } = levels(kind, units);
    return c === null || t === null || c === 0 ? null : (t - c) / c;
  };
}

interface MetricStats {
  cmp: Omit<MetricComparison, "p_adjusted" | "significant" | "outcome">;
  /** Standard deviation of the per-unit differences the test used (for power and sample size). */
  sdDiff: number | null;
}

function compareMetric(
  exp: Experiment,
  units: readonly PairedUnit[],
  metric: MetricName,
  role: MetricRole,
  direction: Direction,
  replicas: number,
  seed: number,
): MetricStats {
  const def = METRICS[metric];
  const boot = { resamples: exp.bootstrap_resamples, seed };
  const diff = pairedBootstrap(units, diffStatistic(def.kind), boot);
  const rel = pairedBootstrap(units, relativeStatistic(def.kind), boot);
  const { c, t } = levels(def.kind, units);
  // Per-unit metrics: tests on the per-unit differences where both arms define the metric.
  // Ratio metrics (Σ num / Σ den): every unit, linearised by the delta method (below).
  const usable = def.kind === "ratio" ? [...units] : units.filter((u) => u.c.den > 0 && u.t.den > 0);
  const diffs =
    def.kind === "ratio" ? deltaMethodDiffs(units) : usable.map((u) => u.t.num / u.t.den - u.c.num / u.c.den);
  let test: string;
  let statistic: number | null;
  let p: number | null;
  let discordant: MetricComparison["discordant"];
  let mde: number | null;
  const z = { alpha: exp.alpha, power: exp.power };
  if (def.kind === "binary" && replicas === 1) {
    const r = mcnemarPaired(
      usable.map((u) => u.c.num / u.c.den >= 0.5),
      usable.map((u) => u.t.num / u.t.den >= 0.5),
    );
    test = r.test;
    statistic = r.statistic;
    p = usable.length > 0 ? r.p_value : null;
    discordant = { control_only: r.control_only, treatment_only: r.treatment_only };
    mde = minimumDetectableEffect({ sdDiff: sampleSd(diffs), n: usable.length, ...z });
  } else if (def.kind === "ratio") {
    // The paired t-test of the delta method: its statistic is the ratio-of-sums difference over
    // its linearised standard error, so the test and the reported difference always agree.
    const r = pairedT(diffs);
    test = "delta-method-t";
    statistic = r.statistic;
    p = diffs.length > 0 ? r.p_value : null;
    mde = minimumDetectableEffect({ sdDiff: sampleSd(diffs), n: diffs.length, ...z });
  } else {
    const r = exp.test === "t" ? pairedT(diffs) : wilcoxonSignedRank(diffs);
    test = r.test;
    statistic = r.statistic;
    p = usable.length > 0 ? r.p_value : null;
    mde = minimumDetectableEffect({ sdDiff: sampleSd(diffs), n: usable.length, ...z });
  }
  return {
    sdDiff: sampleSd(diffs),
    cmp: {
      metric,
      label: def.label,
      role,
      kind: def.kind,
      direction,
      control: c,
      treatment: t,
      diff: diff.estimate,
      diff_ci: diff.ci,
      relative: rel.estimate,
      relative_ci: rel.ci,
      test,
      statistic: statistic !== null && Number.isFinite(statistic) ? statistic : null,
      p_value: p,
      n_units: usable.length,
      mde,
      ...(discordant ? { discordant } : {}),
    },
  };
}

function outcomeOf(
  diff: number | null,
  significant: boolean,
  direction: Direction,
): MetricComparison["outcome"] {
  if (!significant || diff === null || diff === 0) return "no_difference";
  return diff > 0 === (direction === "increase") ? "better" : "worse";
}

export const DECISION_RULE =
  "Ship when the primary metric is significantly better (two-sided p < alpha, Holm-adjusted across treatments when there are several) and no guardrail is significantly worse (p < alpha); don't ship when the primary metric is significantly worse or a guardrail is significantly worse; otherwise inconclusive. Secondary metrics (Holm-adjusted) inform but do not decide.";

function decide(metrics: readonly MetricComparison[], power: Comparison["power"]): Decision {
  const primary = metrics.find((m) => m.role === "primary");
  const harmed = metrics.filter((m) => m.role === "guardrail" && m.outcome === "worse");
  const reasons: string[] = [];
  const fmt = (m: MetricComparison) =>
    `${m.label} ${m.outcome === "no_difference" ? "shows no significant difference" : `is significantly ${m.outcome}`} (diff ${m.diff === null ? "n/a" : m.diff.toPrecision(3)}, 95% CI ${m.diff_ci.low === null ? "n/a" : `[${m.diff_ci.low.toPrecision(3)}, ${m.diff_ci.high?.toPrecision(3)}]`}, p ${m.p_adjusted === null ? "n/a" : m.p_adjusted.toPrecision(3)})`;
  if (primary) reasons.push(`primary: ${fmt(primary)}`);
  for (const g of harmed) reasons.push(`guardrail: ${fmt(g)}`);
  let verdict: Verdict;
  if (primary?.outcome === "worse" || harmed.length > 0) verdict = "dont_ship";
  else if (primary?.outcome === "better") verdict = "ship";
  else {
    verdict = "inconclusive";
    if (primary?.diff === 0 && primary.diff_ci.low === 0 && primary.diff_ci.high === 0)
      reasons.push("no paired unit differed between the arms on the primary metric");
    else if (power.mde === 0)
      reasons.push(
        `every paired unit moved by the same amount, but ${primary?.n_units ?? 0} units are too few for the test to reach alpha; run more units`,
      );
    else if (power.mde !== null)
      reasons.push(
        `with ${primary?.n_units ?? 0} paired units the smallest effect this experiment could detect is about ${power.mde.toPrecision(3)}${power.recommended_units !== null ? `; ${power.basis}` : ""}`,
      );
  }
  if (verdict !== "dont_ship" && harmed.length === 0) reasons.push("no guardrail is significantly worse");
  return { verdict, rule: DECISION_RULE, reasons };
}

/** Age bands and trait tertiles: the persona attributes results are broken down by. */
const SEGMENTERS: { attribute: string; of: (p: Persona) => string }[] = [
  {
    attribute: "age_band",
    of: (p) => {
      const a = p.demographics.age;
      return a < 25
        ? "18-24"
        : a < 35
          ? "25-34"
          : a < 45
            ? "35-44"
            : a < 55
              ? "45-54"
              : a < 65
                ? "55-64"
                : "65+";
    },
  },
  { attribute: "income_band", of: (p) => p.demographics.income_band },
  { attribute: "household", of: (p) => p.demographics.household },
  { attribute: "price_sensitivity", of: (p) => tertile(p.style.price_sensitivity) },
  { attribute: "patience", of: (p) => tertile(p.style.patience) },
  { attribute: "impulsiveness", of: (p) => tertile(p.style.impulsiveness) },
];

function tertile(x: number): string {
  return x < 1 / 3 ? "low" : x < 2 / 3 ? "medium" : "high";
}

export function analyzeExperiment(
  input: AnalysisInput,
): Omit<AbReport, "command" | "created_at" | "shopsim_version"> {
  const exp = input.experiment;
  const control = input.arms[0]?.name;
  if (!control) throw new Error("an experiment needs arms");
  const bySession = new Map(input.records.map((r) => [r.session_id, r]));
  const measured: Measured[] = [];
  const excluded: AbReport["run"]["excluded"] = [];
  const warnings: string[] = [];
  const failedByArm = new Map<string, string[]>();
  for (const a of input.assignments) {
    const sid = input.sessionIdOf(a.job_id);
    const failure = input.eventFailures?.get(sid);
    if (failure !== undefined) failedByArm.set(a.arm, [...(failedByArm.get(a.arm) ?? []), failure]);
    const record = bySession.get(sid);
    if (!record) {
      excluded.push({ session_id: sid, arm: a.arm, reason: "no record (never started or failed for good)" });
      continue;
    }
    if (EXCLUDED.has(record.status)) {
      excluded.push({ session_id: sid, arm: a.arm, reason: `${record.status}: ${record.reason}` });
      continue;
    }
    const events = input.events.get(sid) ?? null;
    measured.push({
      arm: a.arm,
      unit: a.unit,
      replica: a.replica,
      persona_id: a.persona_id,
      m: measureSession(record, events),
    });
  }

  const arms: ArmSummary[] = input.arms.map((arm) =>
    armSummary(arm, measured, input.records, input.assignments, input.sessionIdOf, exp),
  );
  for (const a of arms) {
    if (a.sessions === 0) warnings.push(`arm ${a.arm} has no analysable session`);
    const failed = failedByArm.get(a.arm) ?? [];
    if (failed.length > 0)
      warnings.push(
        `arm ${a.arm}: the server-side events of ${failed.length} session${failed.length === 1 ? "" : "s"} could not be fetched from its shop (${failed[0]}); for ${failed.length === 1 ? "it" : "them"}, searches, filters, bounce, cart and funnel come from the trajectories`,
      );
    else if (a.metrics.some((m) => m.source === "trajectory"))
      warnings.push(
        `arm ${a.arm}: the shop has no events API; searches, filters, bounce, cart and funnel come from the trajectories`,
      );
  }

  const primary = resolveRef(exp.metrics.primary);
  const secondaries = exp.metrics.secondary.map(resolveRef).filter((m) => m.metric !== primary.metric);
  const guardrails = exp.metrics.guardrails.map(resolveRef);
  const treatments = input.arms.slice(1).map((a) => a.name);

  const comparisons: Comparison[] = treatments.map((treatment, ti) => {
    const seed = exp.seed + 1000 * (ti + 1);
    const roleList: { metric: MetricName; direction: Direction; role: MetricRole }[] = [
      { ...primary, role: "primary" },
      ...secondaries.map((m) => ({ ...m, role: "secondary" as const })),
      ...guardrails.map((m) => ({ ...m, role: "guardrail" as const })),
    ];
    const results = roleList.map((r, i) =>
      compareMetric(
        exp,
        pairUnits(measured, control, treatment, r.metric),
        r.metric,
        r.role,
        r.direction,
        exp.replicas,
        seed + i,
      ),
    );
    const stats = results.map((r) => r.cmp);
    const primaryStats = results[0] as MetricStats;
    const secondaryAdjusted = holm(stats.map((s) => (s.role === "secondary" ? s.p_value : null)));
    const metrics: MetricComparison[] = stats.map((s, i) => {
      const p_adjusted = s.role === "secondary" ? (secondaryAdjusted[i] ?? null) : s.p_value;
      const significant = p_adjusted !== null && p_adjusted < exp.alpha;
      return { ...s, p_adjusted, significant, outcome: outcomeOf(s.diff, significant, s.direction) };
    });
    const primaryUnits = pairUnits(measured, control, treatment, primary.metric);
    const primaryCmp = metrics[0] as MetricComparison;
    const sd = primaryStats.sdDiff;
    const effect =
      exp.target_effect ??
      (primaryCmp.diff !== null && primaryCmp.diff !== 0 ? Math.abs(primaryCmp.diff) : null);
    const recommended = requiredUnits({ sdDiff: sd, effect, alpha: exp.alpha, power: exp.power });
    const power: Comparison["power"] = {
      metric: primary.metric,
      sd_diff: sd,
      mde: primaryCmp.mde,
      target_effect: exp.target_effect ?? null,
      recommended_units: recommended,
      basis:
        recommended === null
          ? "no recommendation: the paired differences have no spread or no effect was given (set target_effect)"
          : `${recommended} units per arm detect ${exp.target_effect !== undefined ? "the target effect" : "the observed effect"} of ${effect?.toPrecision(3)} at alpha ${exp.alpha} with power ${exp.power}`,
    };
    return {
      control,
      treatment,
      units: primaryUnits.length,
      metrics,
      decision: { verdict: "inconclusive", rule: DECISION_RULE, reasons: [] },
      power,
      replicas: replicaAnalysis(measured, control, treatment, primary.metric, exp, seed + 500),
      segments: segmentEffects(measured, control, treatment, primary.metric, input.personas, exp, seed + 700),
    };
  });

  // Several treatments against one control: Holm across them on the primary metric.
  if (comparisons.length > 1) {
    const adjusted = holm(comparisons.map((c) => c.metrics[0]?.p_value ?? null));
    comparisons.forEach((c, i) => {
      const m = c.metrics[0] as MetricComparison;
      m.p_adjusted = adjusted[i] ?? null;
      m.significant = m.p_adjusted !== null && m.p_adjusted < exp.alpha;
      m.outcome = outcomeOf(m.diff, m.significant, m.direction);
    });
  }
  for (const c of comparisons) c.decision = decide(c.metrics, c.power);

  if (measured.length > 0 && comparisons.some((c) => c.units < 10))
    warnings.push("fewer than 10 paired units: tests have little power and bootstrap intervals are rough");

  return {
    kind: "shopsim.ab-report",
    schema_version: 1,
    experiment: {
      name: exp.name,
      hypothesis: exp.hypothesis,
      control,
      arms: input.arms.map((a) => ({ name: a.name, source: a.source })),
      sessions_per_arm: exp.sessions_per_arm,
      replicas: exp.replicas,
      alpha: exp.alpha,
      power: exp.power,
      seed: exp.seed,
      policy: exp.policy,
      test: exp.test,
      bootstrap_resamples: exp.bootstrap_resamples,
      primary: primary.metric,
      secondary: secondaries.map((m) => m.metric),
      guardrails: guardrails.map((m) => m.metric),
    },
    run: {
      dir: input.runDir,
      run_id: input.runId,
      queue: input.queue,
      sessions: input.records.length,
      excluded,
      duration_s: input.durationS,
    },
    arms,
    comparisons,
    decision: overallDecision(comparisons),
    warnings,
  };
}

function overallDecision(comparisons: readonly Comparison[]): AbReport["decision"] {
  const only = comparisons.length === 1 ? comparisons[0] : undefined;
  if (only) return { ...only.decision, arm: only.treatment };
  const shipping = comparisons
    .filter((c) => c.decision.verdict === "ship")
    .sort((a, b) => Math.abs(b.metrics[0]?.diff ?? 0) - Math.abs(a.metrics[0]?.diff ?? 0));
  const best = shipping[0];
  if (best)
    return {
      ...best.decision,
      arm: best.treatment,
      reasons: [`best treatment: ${best.treatment}`, ...best.decision.reasons],
    };
  const all = comparisons.every((c) => c.decision.verdict === "dont_ship");
  return {
    verdict: all ? "dont_ship" : "inconclusive",
    rule: DECISION_RULE,
    arm: null,
    reasons: comparisons.map((c) => `${c.treatment}: ${c.decision.verdict.replace("_", " ")}`),
  };
}

function armSummary(
  arm: ArmInfo,
  measured: readonly Measured[],
  records: readonly SessionRecord[],
  assignments: readonly Assignment[],
  sessionIdOf: (jobId: string) => string,
  exp: Experiment,
): ArmSummary {
  const mine = measured.filter((m) => m.arm === arm.name);
  const ids = new Set(assignments.filter((a) => a.arm === arm.name).map((a) => sessionIdOf(a.job_id)));
  const by_status: Record<string, number> = {};
  for (const r of records) if (ids.has(r.session_id)) by_status[r.status] = (by_status[r.status] ?? 0) + 1;
  // Units are the resampling blocks: a unit's replicas stay together.
  const units = new Map<string, Measured[]>();
  for (const m of mine) units.set(m.unit, [...(units.get(m.unit) ?? []), m]);
  const blocks = [...units.values()];
  const servers = new Set(mine.map((m) => m.m.source));
  const metrics = (Object.keys(METRICS) as MetricName[]).map((metric, i) => {
    const fractions = mine.map((m) => m.m.values[metric]).filter((f): f is Fraction => f !== null);
    const statistic = (sample: readonly Measured[][]) =>
      ratioOfSums(
        sample
          .flat()
          .map((m) => m.m.values[metric])
          .filter((f): f is Fraction => f !== null),
      );
    const b = pairedBootstrap(blocks, statistic, {
      resamples: exp.bootstrap_resamples,
      seed: exp.seed + 31 * (i + 1),
    });
    return {
      metric,
      value: ratioOfSums(fractions),
      ci: b.ci,
      n: fractions.filter((f) => f.den > 0).length,
      source:
        servers.size > 1
          ? ("mixed" as const)
          : servers.has("trajectory")
            ? ("trajectory" as const)
            : ("server" as const),
    };
  });
  const funnel = FUNNEL_STAGES.map(({ stage, label }) => {
    const n = mine.filter((m) => m.m.funnel[stage]).length;
    return { stage, label, sessions: n, share: mine.length > 0 ? n / mine.length : 0 };
  });
  return { arm: arm.name, source: arm.source, sessions: mine.length, by_status, metrics, funnel };
}

function replicaAnalysis(
  measured: readonly Measured[],
  control: string,
  treatment: string,
  metric: MetricName,
  exp: Experiment,
  seed: number,
): Comparison["replicas"] {
  const kind = METRICS[metric].kind;
  const share: Record<string, number | null> = {};
  for (const arm of [control, treatment]) {
    if (exp.replicas < 2) {
      share[arm] = null;
      continue;
    }
    const perUnit = new Map<string, number[]>();
    for (const m of measured) {
      const v = ratio(m.m.values[metric]);
      if (m.arm !== arm || v === null) continue;
      perUnit.set(m.unit, [...(perUnit.get(m.unit) ?? []), v]);
    }
    share[arm] = varianceComponents([...perUnit.values()]).within_share;
  }
  const per_replica = Array.from({ length: exp.replicas }, (_, r) => {
    const units = pairUnits(measured, control, treatment, metric, (m) => m.replica === r);
    const b = pairedBootstrap(units, diffStatistic(kind), {
      resamples: exp.bootstrap_resamples,
      seed: seed + r,
    });
    return { replica: r, diff: b.estimate, ci: b.ci };
  });
  return {
    replicas: exp.replicas,
    policy_variance_share: share,
    per_replica,
    note:
      exp.replicas < 2
        ? "one replica: policy randomness and unit differences cannot be told apart; add replicas to separate them"
        : "each unit ran once per replica with a different shopper seed; the within-unit share is the variance the policy's randomness adds, and the per-replica effects show whether the treatment effect holds across seeds. Tests use unit means over replicas.",
  };
}

function segmentEffects(
  measured: readonly Measured[],
  control: string,
  treatment: string,
  metric: MetricName,
  personas: ReadonlyMap<string, Persona>,
  exp: Experiment,
  seed: number,
): SegmentEffect[] {
  const kind = METRICS[metric].kind;
  const out: SegmentEffect[] = [];
  for (const [si, { attribute, of }] of SEGMENTERS.entries()) {
    const segmentOf = (m: Measured) => {
      const p = personas.get(m.persona_id);
      return p ? of(p) : null;
    };
    const names = [...new Set(measured.map(segmentOf).filter((s): s is string => s !== null))].sort();
    for (const [gi, segment] of names.entries()) {
      const units = pairUnits(measured, control, treatment, metric, (m) => segmentOf(m) === segment);
      if (units.length === 0) continue;
      const b = pairedBootstrap(units, diffStatistic(kind), {
        resamples: Math.min(exp.bootstrap_resamples, 1000),
        seed: seed + 97 * si + gi,
      });
      const { c, t } = levels(kind, units);
      out.push({
        attribute,
        segment,
        n_units: units.length,
        control: c,
        treatment: t,
        diff: b.estimate,
        ci: b.ci,
      });
    }
  }
  return out;
}
