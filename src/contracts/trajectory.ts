import { z } from "zod";
import { ActionSchema } from "./action.ts";
import { GoalSchema } from "./goal.ts";
import { OrderSchema } from "./shop.ts";

/** What happened when the browser carried out an action. */
export const StepResultSchema = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), navigated: z.boolean() }).strict(),
  z.object({ ok: z.literal(false), error: z.string() }).strict(),
]);
export type StepResult = z.infer<typeof StepResultSchema>;

/** What the policy's decision at one step cost (LLM policies; absent for built-in ones). */
export const StepUsageSchema = z
  .object({
    prompt_tokens: z.number().int().nonnegative(),
    completion_tokens: z.number().int().nonnegative(),
    /** Model calls made for this step: 1, or more with a re-ask or the two-turn form. */
    calls: z.number().int().nonnegative(),
    retries: z.number().int().nonnegative(),
    /** Calls answered from the record/replay cache. */
    cached_calls: z.number().int().nonnegative(),
    latency_ms: z.number().nonnegative(),
    /** Dollars, or null when the model has no price in the price table. */
    cost_usd: z.number().nonnegative().nullable(),
    /** Each model call of the step, in order: what it was for and what it cost. */
    per_call: z
      .array(
        z
          .object({
            purpose: z.enum(["decide", "reask", "rationale"]),
            prompt_tokens: z.number().int().nonnegative(),
            completion_tokens: z.number().int().nonnegative(),
            latency_ms: z.number().nonnegative(),
            retries: z.number().int().nonnegative(),
            cached: z.boolean(),
            cost_usd: z.number().nonnegative().nullable(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();
export type StepUsage = z.infer<typeof StepUsageSchema>;

/** Tokens, cost and calls summed over a session or a run. */
export const UsageTotalsSchema = z
  .object({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    /** Dollars; null when some call had no known price (tokens are always counted). */
    cost_usd: z.number().nonnegative().nullable(),
    calls: z.number().int().nonnegative().default(0),
    retries: z.number().int().nonnegative().default(0),
    cached_calls: z.number().int().nonnegative().default(0),
    policy_ms: z.number().nonnegative(),
  })
  .strict();
export type UsageTotals = z.infer<typeof UsageTotalsSchema>;

/** One observe → decide → act step of a shopping session. */
export const StepSchema = z
  .object({
    index: z.number().int().nonnegative(),
    timestamp: z.string(),
    url: z.string(),
    /** The simplified HTML the policy saw (OPeRA: simplified_html). */
    observation: z.string(),
    /** Written by the policy before the action, at every step. */
    rationale: z.string(),
    /** null when the policy produced no usable action; `result` then says why. */
    action: ActionSchema.nullable(),
    result: StepResultSchema,
    duration_ms: z.number().nonnegative(),
    /** PNG of the page as observed, relative to the run directory (with --screenshots). */
    screenshot: z.string().optional(),
    usage: StepUsageSchema.optional(),
    /** Where the step's time went. */
    timings: z
      .object({
        observe_ms: z.number().nonnegative(),
        simplify_ms: z.number().nonnegative(),
        decide_ms: z.number().nonnegative(),
        act_ms: z.number().nonnegative(),
      })
      .strict(),
  })
  .strict();
export type Step = z.infer<typeof StepSchema>;

export const SESSION_STATUSES = [
  "purchased",
  "terminated",
  "max_steps",
  "max_time",
  "loop",
  "error",
  "aborted",
  "budget_exceeded",
] as const;
export const SessionStatusSchema = z.enum(SESSION_STATUSES);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

export const SessionRecordSchema = z
  .object({
    session_id: z.string(),
    run_id: z.string(),
    persona: z.object({ id: z.string(), name: z.string() }).strict(),
    scenario: z.object({ id: z.string(), goal: GoalSchema }).strict(),
    variant: z.string().nullable(),
    replica: z.number().int().nonnegative(),
    seed: z.number().int(),
    /** Which start of the session this record is (a queue starts a session again when its worker dies). */
    attempt: z.number().int().positive().optional(),
    policy: z
      .object({
        kind: z.string(),
        model: z.string().nullable(),
        prompt_version: z.string().nullable(),
        /** Settings that shape the policy's choices (temperature, seed, context strategy …). */
        params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
      })
      .strict(),
    status: SessionStatusSchema,
    /** Why the session ended, in words (the error message for `error`). */
    reason: z.string(),
    steps: z.array(StepSchema),
    /** From the shop's own event log when the shop provides one. */
    outcome: z
      .object({
        orders: z.array(OrderSchema),
        goal_score: z.number().min(0).max(1).nullable(),
        events: z.number().int().nonnegative().nullable(),
      })
      .strict(),
    usage: UsageTotalsSchema,
    started_at: z.string(),
    ended_at: z.string(),
    duration_ms: z.number().nonnegative(),
  })
  .strict();
export type SessionRecord = z.infer<typeof SessionRecordSchema>;

export const RunManifestSchema = z
  .object({
    run_id: z.string(),
    status: z.enum(["running", "finished", "aborted", "failed"]),
    started_at: z.string(),
    ended_at: z.string().nullable(),
    seed: z.number().int(),
    /** The fully resolved configuration the run used. */
    config: z.record(z.string(), z.unknown()),
    versions: z.object({ shopsim: z.string(), node: z.string(), playwright: z.string().nullable() }).strict(),
    git_revision: z.string().nullable(),
    shop: z.object({ url: z.string(), started_by_run: z.boolean(), catalog: z.string().nullable() }).strict(),
    counts: z
      .object({
        planned: z.number().int().nonnegative(),
        recorded: z.number().int().nonnegative(),
        by_status: z.record(z.string(), z.number().int().nonnegative()),
        steps: z.number().int().nonnegative(),
        /** Planned sessions that never started (the run was stopped or its budget ran out). */
        not_started: z.number().int().nonnegative().default(0),
      })
      .strict(),
    /** Model usage over the run's recorded sessions. */
    usage: UsageTotalsSchema.optional(),
    /** The run's budget and whether it ran out. */
    budget: z
      .object({
        max_tokens: z.number().int().positive().nullable(),
        max_cost_usd: z.number().positive().nullable(),
        session_max_tokens: z.number().int().positive().nullable(),
        session_max_cost_usd: z.number().positive().nullable(),
        exceeded: z.string().nullable(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RunManifest = z.infer<typeof RunManifestSchema>;
/** A manifest as written by a caller: defaults (e.g. counts.not_started) may be left out. */
export type RunManifestInput = z.input<typeof RunManifestSchema>;
