import { z } from "zod";

/**
 * The internal model of a recorded shopping session, human or simulated: what every importer
 * (OPeRA, WebShop human logs, shopsim run directories, UCI Online Shoppers) produces and what every
 * evaluation reads. Field meanings follow OPeRA's where they are the same thing.
 */

/**
 * The action types of a log step. The paper's three (`click`, `type_and_submit`, `terminate`) plus
 * the ones shopsim's own sessions can contain. OPeRA's `input` is imported as `type_and_submit`.
 */
export const HUMAN_ACTION_TYPES = [
  "click",
  "type_and_submit",
  "type",
  "select",
  "back",
  "terminate",
] as const;
export const HumanActionTypeSchema = z.enum(HUMAN_ACTION_TYPES);
export type HumanActionType = z.infer<typeof HumanActionTypeSchema>;

/**
 * What a step did in shopping terms, for session-shape statistics. Importers set it when the source
 * says so (WebShop page kinds, OPeRA click types); otherwise it is inferred from the action, target
 * name and URL (see `src/eval/features.ts`).
 */
export const STEP_CATEGORIES = [
  "search",
  "product_view",
  "option",
  "filter",
  "sort",
  "pagination",
  "back",
  "detail",
  "cart",
  "checkout",
  "purchase",
  "navigation",
  "terminate",
  "other",
] as const;
export const StepCategorySchema = z.enum(STEP_CATEGORIES);
export type StepCategory = z.infer<typeof StepCategorySchema>;

export const HumanStepSchema = z
  .object({
    /** 0-based position in the session. */
    index: z.number().int().nonnegative(),
    /** ISO 8601 time of the action, or null when the source has no clock (WebShop logs). */
    timestamp: z.string().nullable(),
    /** The page the action was taken on. */
    url: z.string().nullable(),
    /** Simplified HTML of that page with named elements (OPeRA: simplified_html), when recorded. */
    observation: z.string().nullable(),
    /** OPeRA: action_type (with `input` → `type_and_submit`). */
    action_type: HumanActionTypeSchema,
    /** OPeRA: semantic_id. The element acted on; null for terminate and back, or when unknown. */
    semantic_id: z.string().nullable(),
    /** OPeRA: input_text. Typed text or chosen value; null when the action types nothing. */
    input_text: z.string().nullable(),
    /** Why the shopper did it, when the source recorded it. */
    rationale: z.string().nullable(),
    /** Shopping meaning of the step when the source states it (else inferred by the features). */
    category: StepCategorySchema.nullable(),
    /** The source's own finer label (OPeRA click_type, WebShop page transition). */
    source_label: z.string().nullable(),
  })
  .strict();
export type HumanStep = z.infer<typeof HumanStepSchema>;

export const SESSION_OUTCOMES = ["purchase", "terminate", "unknown"] as const;
export const SessionOutcomeSchema = z.enum(SESSION_OUTCOMES);
export type SessionOutcome = z.infer<typeof SessionOutcomeSchema>;

/**
 * What a session-level source (UCI Online Shoppers: one row per session, no steps) knows about a
 * session. Every field is optional; features use these where a session has no steps.
 */
export const SessionSummarySchema = z
  .object({
    actions: z.number().nonnegative(),
    product_views: z.number().nonnegative(),
    searches: z.number().nonnegative(),
    /** Mean seconds between actions. */
    mean_gap_s: z.number().nonnegative(),
    duration_s: z.number().nonnegative(),
  })
  .partial()
  .strict();
export type SessionSummary = z.infer<typeof SessionSummarySchema>;

export const HumanSessionSchema = z
  .object({
    session_id: z.string().min(1),
    /** Where it came from: `opera`, `webshop`, `shopsim`, `uci`, or another importer's name. */
    source: z.string().min(1),
    /** The file it was read from. */
    file: z.string(),
    /** Persona text (OPeRA's survey answers; shopsim's persona description) when known. */
    persona: z.string().nullable(),
    /** The shopping goal or instruction when known. */
    goal: z.string().nullable(),
    outcome: SessionOutcomeSchema,
    steps: z.array(HumanStepSchema),
    /** Session-level figures for sources without steps. */
    summary: SessionSummarySchema.nullable(),
    /** Source fields kept for reference (e.g. WebShop reward, shopsim status, persona id). */
    meta: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  })
  .strict();
export type HumanSession = z.infer<typeof HumanSessionSchema>;

/** One record an importer could not use: where it is and what was wrong with it. */
export interface ImportIssue {
  file: string;
  /** 1-based line (JSON lines, CSV) or row (Parquet) number; null when the whole file is bad. */
  line: number | null;
  /** The field at fault, e.g. `action_type`; null when the record as a whole is unusable. */
  field: string | null;
  problem: string;
}

/** What an import read, kept and skipped: nothing is dropped without a line here. */
export interface ImportReport {
  format: string;
  files: string[];
  records: number;
  sessions: number;
  skipped: number;
  issues: ImportIssue[];
}

export interface HumanLogs {
  sessions: HumanSession[];
  report: ImportReport;
}
