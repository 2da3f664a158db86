import { z } from "zod";
import { PurchaseUrlSchema } from "./shop.ts";

/**
 * An A/B experiment as a user writes it (YAML or JSON): which arms, who shops, what is measured and
 * how the decision is made. `shopsim ab --experiment FILE` reads it; the flags form builds the same
 * object. Everything here is validated once, at the boundary.
 */

export const METRIC_NAMES = [
  "conversion",
  "revenue_per_session",
  "aov",
  "goal_score",
  "steps",
  "steps_to_purchase",
  "time_to_purchase",
  "cart_abandonment",
  "searches",
  "filter_use",
  "bounce",
  "errors",
] as const;
export const MetricNameSchema = z.enum(METRIC_NAMES);
export type MetricName = z.infer<typeof MetricNameSchema>;

/** Which way is better for a metric. */
export const DirectionSchema = z.enum(["increase", "decrease"]);
export type Direction = z.infer<typeof DirectionSchema>;

/** A metric named alone, or with the direction that counts as better (overriding the metric's default). */
export const MetricRefSchema = z.union([
  MetricNameSchema,
  z.object({ metric: MetricNameSchema, direction: DirectionSchema.optional() }).strict(),
]);
export type MetricRef = z.infer<typeof MetricRefSchema>;

const ArmNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "arm names use letters, digits, _ and - (at most 64)");

/**
 * One arm: a variant of the built-in sandbox shop (a named variant, flag overrides, or both), or the
 * base URL of a deployment (staging A vs staging B). An arm with neither is the shop's defaults.
 */
export const ArmSchema = z
  .object({
    name: ArmNameSchema,
    /** A variant name: a built-in one (see `shopsim ab --help`) or one from the experiment's `variants` file. */
    variant: z.string().min(1).optional(),
    /** Site flags on top of the variant (filter_panel, buy_now, checkout, …). */
    flags: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
    /** A running shop for this arm instead of the built-in one. */
    url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).optional(),
  })
  .strict()
  .refine((a) => !(a.url && (a.variant || a.flags)), {
    message: "an arm is either a shop variant (variant/flags) or a deployment (url), not both",
  });
export type Arm = z.infer<typeof ArmSchema>;

export const PolicyKindSchema = z.enum(["heuristic", "llm"]);

export const ExperimentSchema = z
  .object({
    name: z.string().min(1).max(120),
    hypothesis: z.string().min(1).default("(none stated)"),
    /** The first arm is the control; every other arm is compared with it. */
    arms: z
      .array(ArmSchema)
      .min(2, "an experiment needs at least two arms (the first is the control)")
      .max(8)
      .superRefine((arms, ctx) => {
        const seen = new Set<string>();
        for (const [i, arm] of arms.entries()) {
          if (seen.has(arm.name))
            ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate arm "${arm.name}"` });
          seen.add(arm.name);
        }
      }),
    /** A variants file (YAML/JSON, as `shopsim shop --variants`) whose names arms may use. */
    variants: z.string().min(1).optional(),
    /** Who shops: a persona file or folder, or a population (distributions) file to draw from. */
    population: z
      .object({
        personas: z.string().min(1).optional(),
        distributions: z.string().min(1).optional(),
      })
      .strict()
      .refine((p) => !(p.personas && p.distributions), {
        message: "use either personas or distributions, not both",
      })
      .default({}),
    /** A scenario file or folder (default: the shipped scenarios). */
    scenarios: z.string().min(1).optional(),
    /** Persona × scenario units; each runs once per arm (per replica). */
    sessions_per_arm: z.number().int().min(2).max(100_000).default(30),
    /** Runs of each unit per arm with different shopper seeds, to tell policy randomness from the treatment. */
    replicas: z.number().int().min(1).max(100).default(1),
    metrics: z
      .object({
        primary: MetricRefSchema.default("conversion"),
        secondary: z.array(MetricRefSchema).default(["revenue_per_session", "goal_score", "steps"]),
        guardrails: z.array(MetricRefSchema).default(["errors", "bounce"]),
      })
      .strict()
      .default({
        primary: "conversion",
        secondary: ["revenue_per_session", "goal_score", "steps"],
        guardrails: ["errors", "bounce"],
      }),
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** Power for the minimum detectable effect and the recommended sample size. */
    power: z.number().gt(0.5).lt(1).default(0.8),
    /** Effect on the primary metric worth detecting (absolute, in the metric's units), for the recommended sample size. */
    target_effect: z.number().positive().optional(),
    /** Test for continuous metrics: Wilcoxon signed-rank (default) or the paired t-test. */
    test: z.enum(["wilcoxon", "t"]).default("wilcoxon"),
    bootstrap_resamples: z.number().int().min(200).max(100_000).default(2000),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
    policy: PolicyKindSchema.default("heuristic"),
    /** LLM policy settings file (as --llm-config), with policy: llm. */
    llm_config: z.string().min(1).optional(),
    max_steps: z.number().int().min(1).max(500).optional(),
    /** For deployments without the sandbox's order API, as `shopsim run --purchase-url`. */
    purchase_url: PurchaseUrlSchema.optional(),
    /** Built-in shop catalog (as --catalog). */
    catalog: z.string().min(1).default("builtin"),
  })
  .strict();
export type Experiment = z.infer<typeof ExperimentSchema>;
export type ExperimentInput = z.input<typeof ExperimentSchema>;
