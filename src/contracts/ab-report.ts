import { z } from "zod";
import { DirectionSchema, MetricNameSchema } from "./experiment.ts";

/**
 * What `shopsim ab` writes as report.json: everything the Markdown and HTML reports show, so they
 * can be re-rendered from it alone (`shopsim ab report FILE`). CI gates read `decision.verdict`.
 */

export const MetricKindSchema = z.enum(["binary", "count", "continuous", "ratio"]);
export type MetricKind = z.infer<typeof MetricKindSchema>;
export const MetricRoleSchema = z.enum(["primary", "secondary", "guardrail"]);
export type MetricRole = z.infer<typeof MetricRoleSchema>;
export const VerdictSchema = z.enum(["ship", "dont_ship", "inconclusive"]);
export type Verdict = z.infer<typeof VerdictSchema>;

const Interval = z.object({ low: z.number().nullable(), high: z.number().nullable() }).strict();

/** One metric in one arm: its value over the arm's sessions, with a bootstrap 95% CI. */
export const ArmMetricSchema = z
  .object({
    metric: MetricNameSchema,
    /** null when no session of the arm defines it (e.g. AOV with no order). */
    value: z.number().nullable(),
    ci: Interval,
    /** Sessions that define the metric (for ratio metrics: the denominator's sessions). */
    n: z.number().int().nonnegative(),
    /** Where the values came from: the shop's server-side events, or the trajectories alone. */
    source: z.enum(["server", "trajectory", "mixed"]),
  })
  .strict();
export type ArmMetric = z.infer<typeof ArmMetricSchema>;

export const FunnelStageSchema = z
  .object({
    stage: z.string(),
    label: z.string(),
    sessions: z.number().int().nonnegative(),
    share: z.number(),
  })
  .strict();

export const ArmSummarySchema = z
  .object({
    arm: z.string(),
    /** "variant NAME on the built-in shop (flags …)" or the deployment URL. */
    source: z.string(),
    sessions: z.number().int().nonnegative(),
    by_status: z.record(z.string(), z.number().int().nonnegative()),
    metrics: z.array(ArmMetricSchema),
    funnel: z.array(FunnelStageSchema),
  })
  .strict();
export type ArmSummary = z.infer<typeof ArmSummarySchema>;

/** One metric, treatment vs control, over paired units. */
export const MetricComparisonSchema = z
  .object({
    metric: MetricNameSchema,
    label: z.string(),
    role: MetricRoleSchema,
    kind: MetricKindSchema,
    direction: DirectionSchema,
    control: z.number().nullable(),
    treatment: z.number().nullable(),
    /** treatment − control, with the paired-bootstrap 95% CI. */
    diff: z.number().nullable(),
    diff_ci: Interval,
    /** (treatment − control) / control, with its paired-bootstrap CI; null when control is 0. */
    relative: z.number().nullable(),
    relative_ci: Interval,
    /** "mcnemar-exact", "wilcoxon-signed-rank", "paired-t" or, for ratio metrics, "delta-method-t". */
    test: z.string(),
    statistic: z.number().nullable(),
    p_value: z.number().nullable(),
    /** Holm-adjusted across the secondary metrics; equal to p_value for the primary and guardrails. */
    p_adjusted: z.number().nullable(),
    significant: z.boolean(),
    /** better / worse (significant, by the metric's direction) or no_difference. */
    outcome: z.enum(["better", "worse", "no_difference"]),
    /** Paired units both arms define the metric for. */
    n_units: z.number().int().nonnegative(),
    /** Minimum detectable absolute effect at alpha and power for n_units (normal approximation). */
    mde: z.number().nullable(),
    /** McNemar's discordant pairs, for binary metrics: control only / treatment only. */
    discordant: z
      .object({ control_only: z.number().int(), treatment_only: z.number().int() })
      .strict()
      .optional(),
  })
  .strict();
export type MetricComparison = z.infer<typeof MetricComparisonSchema>;

export const SegmentEffectSchema = z
  .object({
    attribute: z.string(),
    segment: z.string(),
    n_units: z.number().int().nonnegative(),
    control: z.number().nullable(),
    treatment: z.number().nullable(),
    diff: z.number().nullable(),
    ci: Interval,
  })
  .strict();
export type SegmentEffect = z.infer<typeof SegmentEffectSchema>;

export const DecisionSchema = z
  .object({
    verdict: VerdictSchema,
    /** The rule, in words, as applied. */
    rule: z.string(),
    /** Why this verdict: one line per deciding fact. */
    reasons: z.array(z.string()),
  })
  .strict();
export type Decision = z.infer<typeof DecisionSchema>;

export const ComparisonSchema = z
  .object({
    control: z.string(),
    treatment: z.string(),
    /** Paired units (persona × scenario) with a session in both arms. */
    units: z.number().int().nonnegative(),
    metrics: z.array(MetricComparisonSchema),
    decision: DecisionSchema,
    power: z
      .object({
        metric: MetricNameSchema,
        /** Standard deviation of the per-unit paired difference on the primary metric. */
        sd_diff: z.number().nullable(),
        mde: z.number().nullable(),
        target_effect: z.number().nullable(),
        /** Units per arm for the target effect (or, without one, for the observed effect) at alpha and power. */
        recommended_units: z.number().int().nullable(),
        basis: z.string(),
      })
      .strict(),
    replicas: z
      .object({
        replicas: z.number().int().positive(),
        /** Share of the primary metric's variance within units (policy randomness), per arm. */
        policy_variance_share: z.record(z.string(), z.number().nullable()),
        /** The primary effect measured on each replica alone. */
        per_replica: z.array(
          z.object({ replica: z.number().int(), diff: z.number().nullable(), ci: Interval }).strict(),
        ),
        note: z.string(),
      })
      .strict(),
    segments: z.array(SegmentEffectSchema),
  })
  .strict();
export type Comparison = z.infer<typeof ComparisonSchema>;

export const AbReportSchema = z
  .object({
    kind: z.literal("shopsim.ab-report"),
    schema_version: z.literal(1),
    shopsim_version: z.string(),
    created_at: z.string(),
    command: z.string(),
    experiment: z
      .object({
        name: z.string(),
        hypothesis: z.string(),
        control: z.string(),
        arms: z.array(z.object({ name: z.string(), source: z.string() }).strict()),
        sessions_per_arm: z.number().int(),
        replicas: z.number().int(),
        alpha: z.number(),
        power: z.number(),
        seed: z.number().int(),
        policy: z.string(),
        test: z.string(),
        bootstrap_resamples: z.number().int(),
        primary: MetricNameSchema,
        secondary: z.array(MetricNameSchema),
        guardrails: z.array(MetricNameSchema),
      })
      .strict(),
    run: z
      .object({
        dir: z.string(),
        run_id: z.string(),
        queue: z.string(),
        sessions: z.number().int().nonnegative(),
        /** Sessions left out of the analysis (aborted, never started), with why. */
        excluded: z.array(z.object({ session_id: z.string(), arm: z.string(), reason: z.string() }).strict()),
        duration_s: z.number().nonnegative().nullable(),
      })
      .strict(),
    arms: z.array(ArmSummarySchema),
    comparisons: z.array(ComparisonSchema),
    /** The experiment's verdict: the best treatment's when one ships, else the comparisons' combined. */
    decision: DecisionSchema.extend({ arm: z.string().nullable() }),
    warnings: z.array(z.string()),
  })
  .strict();
export type AbReport = z.infer<typeof AbReportSchema>;
