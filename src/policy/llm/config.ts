import { z } from "zod";

/** How the model is asked for structured output; `auto` starts with json_schema and falls back. */
export const OUTPUT_MODES = ["json_schema", "json_object", "tools", "text"] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

export const CONTEXT_STRATEGIES = ["full", "last-k", "actions-only"] as const;
export type ContextStrategy = (typeof CONTEXT_STRATEGIES)[number];

export const CACHE_MODES = ["record", "replay", "auto"] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

/** Dollars per million tokens for one model. */
export const PriceSchema = z
  .object({
    input_per_mtok: z.number().nonnegative(),
    output_per_mtok: z.number().nonnegative(),
  })
  .strict();
export type Price = z.infer<typeof PriceSchema>;

/** model id → price. No prices are built in: published prices change, and a wrong one misleads. */
export const PriceTableSchema = z.record(z.string().min(1), PriceSchema);
export type PriceTable = z.infer<typeof PriceTableSchema>;

/**
 * Everything about the LLM policy, as it appears in a config file (`--llm-config`, YAML or JSON)
 * under the key `llm`, or as flags. The API key is never part of it: it comes from `--api-key` or
 * OPENAI_API_KEY (or the env var named by `api_key_env`) and is never written anywhere.
 */
export const LlmSettingsSchema = z
  .object({
    model: z.string().min(1),
    base_url: z.url().optional(),
    /** Name of the environment variable holding the API key (default OPENAI_API_KEY). */
    api_key_env: z.string().min(1).default("OPENAI_API_KEY"),
    temperature: z.number().min(0).max(2).default(1),
    /** Pass the job's seed to the server (most OpenAI-compatible servers honour it). */
    send_seed: z.boolean().default(true),
    max_output_tokens: z.number().int().positive().default(1024),
    output: z.enum([...OUTPUT_MODES, "auto"]).default("auto"),
    /** `single`: one JSON object with rationale and action; `two-turn`: the paper's rationale turn, then action turn. */
    reply: z.enum(["single", "two-turn"]).default("single"),
    context: z.enum(CONTEXT_STRATEGIES).default("last-k"),
    /** last-k: how many past pages besides the current one are shown. */
    last_k: z.number().int().nonnegative().default(1),
    /** last-k: past pages are cut to their <main> content and this many tokens (0: whole pages). */
    past_page_tokens: z.number().int().nonnegative().default(800),
    /** full: token cap on the history pages (the paper used 40k); the oldest pages are dropped first. */
    history_tokens: z.number().int().positive().default(40_000),
    timeout_ms: z.number().int().positive().default(60_000),
    max_retries: z.number().int().nonnegative().default(4),
    /** Process-wide limits on requests to the server. */
    max_concurrent_requests: z.number().int().positive().default(8),
    requests_per_minute: z.number().positive().nullable().default(null),
    tokens_per_minute: z.number().positive().nullable().default(null),
    /** A decision that is still invalid after one re-ask: record a failed step and go on, or end the session. */
    on_invalid: z.enum(["continue", "end"]).default("continue"),
    /** This many failed decisions in a row end the session (status error) even with on_invalid: continue. */
    max_invalid_in_a_row: z.number().int().positive().default(3),
    prices: PriceTableSchema.default({}),
    cache_dir: z.string().min(1).optional(),
    cache_mode: z.enum(CACHE_MODES).default("auto"),
  })
  .strict();
export type LlmSettings = z.infer<typeof LlmSettingsSchema>;

/** Cost of one call in dollars, or null when the model has no price in the table. */
export function costOf(prices: PriceTable, model: string, input: number, output: number): number | null {
  const price = prices[model];
  if (!price) return null;
  return (input * price.input_per_mtok + output * price.output_per_mtok) / 1_000_000;
}
