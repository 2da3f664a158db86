import { type Command, InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import { readYamlFile } from "../config/files.ts";
import { describeZodError, InputError } from "../contracts/errors.ts";
import {
  CACHE_MODES,
  CONTEXT_STRATEGIES,
  type LlmSettings,
  LlmSettingsSchema,
  OUTPUT_MODES,
  PriceTableSchema,
} from "../policy/llm/config.ts";
import type { BudgetLimits } from "../session/budget.ts";
import { integer } from "./options.ts";

function positive(name: string): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${name} must be a positive number, got "${value}".`);
    return n;
  };
}

function unitInterval(name: string, max: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > max)
      throw new InvalidArgumentError(`${name} must be a number from 0 to ${max}, got "${value}".`);
    return n;
  };
}

/** The flags of the LLM policy and of model budgets, as commander leaves them (only those given). */
export interface LlmFlags {
  model?: string;
  baseUrl?: string;
  apiKey?: string;
  llmConfig?: string;
  temperature?: number;
  context?: LlmSettings["context"];
  lastK?: number;
  pastPageTokens?: number;
  reply?: LlmSettings["reply"];
  llmOutput?: LlmSettings["output"];
  llmTimeout?: number;
  llmRetries?: number;
  llmConcurrency?: number;
  rpm?: number;
  tpm?: number;
  prices?: string;
  llmCache?: string;
  llmCacheMode?: LlmSettings["cache_mode"];
  maxCost?: number;
  maxTokens?: number;
  sessionMaxCost?: number;
  sessionMaxTokens?: number;
}

/** Adds the LLM policy's flags (used with --policy llm) and the model budget flags to a command. */
export function addLlmOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--model <id>", "LLM policy: model id, as the server names it").env("SHOPSIM_MODEL"),
    )
    .addOption(
      new Option("--base-url <url>", "LLM policy: OpenAI-compatible server (default: OpenAI)").env(
        "OPENAI_BASE_URL",
      ),
    )
    .addOption(
      new Option("--api-key <key>", "LLM policy: API key (better: set OPENAI_API_KEY)").env("OPENAI_API_KEY"),
    )
    .option("--llm-config <file>", "LLM policy: settings file (YAML/JSON, see README); flags override it")
    .option(
      "--temperature <t>",
      "LLM policy: sampling temperature (default 1)",
      unitInterval("--temperature", 2),
    )
    .addOption(
      new Option("--context <strategy>", "LLM policy: past pages in the prompt (default last-k)").choices(
        CONTEXT_STRATEGIES,
      ),
    )
    .option(
      "--last-k <n>",
      "LLM policy: with --context last-k, past pages shown besides the current one (default 1)",
      integer("--last-k", 0, 100),
    )
    .option(
      "--past-page-tokens <n>",
      "LLM policy: with --context last-k, cut past pages to their main content and N tokens (default 800, 0: no cap)",
      integer("--past-page-tokens", 0, 1_000_000),
    )
    .addOption(
      new Option(
        "--reply <form>",
        "LLM policy: one JSON reply, or the paper's rationale turn then action turn",
      ).choices(["single", "two-turn"]),
    )
    .addOption(
      new Option(
        "--llm-output <mode>",
        "LLM policy: how to ask for JSON (default auto: json_schema, then fallbacks)",
      ).choices(["auto", ...OUTPUT_MODES]),
    )
    .option(
      "--llm-timeout <ms>",
      "LLM policy: per-request timeout (default 60000)",
      integer("--llm-timeout", 100, 3_600_000),
    )
    .option(
      "--llm-retries <n>",
      "LLM policy: retries on 429/5xx/timeouts (default 4)",
      integer("--llm-retries", 0, 20),
    )
    .option(
      "--llm-concurrency <n>",
      "LLM policy: requests in flight at once, process-wide (default 8)",
      integer("--llm-concurrency", 1, 1024),
    )
    .option("--rpm <n>", "LLM policy: requests per minute, process-wide", positive("--rpm"))
    .option("--tpm <n>", "LLM policy: tokens per minute, process-wide", positive("--tpm"))
    .option("--prices <file>", "price table (YAML/JSON: model: {input_per_mtok, output_per_mtok}) for costs")
    .option("--llm-cache <dir>", "record/replay cache of model requests and replies")
    .addOption(
      new Option(
        "--llm-cache-mode <mode>",
        "record: always call and store; replay: never call; auto: call on a miss",
      ).choices(CACHE_MODES),
    )
    .option("--max-cost <usd>", "run budget in dollars (needs a price for the model)", positive("--max-cost"))
    .option(
      "--max-tokens <n>",
      "run budget in model tokens",
      integer("--max-tokens", 1, Number.MAX_SAFE_INTEGER),
    )
    .option("--session-max-cost <usd>", "budget per session in dollars", positive("--session-max-cost"))
    .option(
      "--session-max-tokens <n>",
      "budget per session in model tokens",
      integer("--session-max-tokens", 1, Number.MAX_SAFE_INTEGER),
    );
}

/** A settings file: the LLM settings under `llm:` (or at the top level). */
const LlmFileSchema = z.object({ llm: LlmSettingsSchema.partial() }).strict();

/**
 * The LLM settings from defaults < settings file < environment < flags, and the API key (from
 * --api-key / OPENAI_API_KEY, or the variable the file names). The key is returned apart so it
 * never travels with the settings into records.
 */
export async function resolveLlmSettings(
  flags: LlmFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ settings: LlmSettings; apiKey: string | undefined }> {
  let fromFile: Partial<LlmSettings> = {};
  if (flags.llmConfig) {
    const data = await readYamlFile(flags.llmConfig);
    const nested = data !== null && typeof data === "object" && "llm" in data;
    const parsed = nested ? LlmFileSchema.safeParse(data) : LlmSettingsSchema.partial().safeParse(data);
    if (!parsed.success) throw new InputError(flags.llmConfig, describeZodError(parsed.error));
    fromFile =
      "llm" in parsed.data
        ? (parsed.data.llm as Partial<LlmSettings>)
        : (parsed.data as Partial<LlmSettings>);
  }
  if (flags.prices) {
    const data = await readYamlFile(flags.prices);
    const parsed = PriceTableSchema.safeParse(data);
    if (!parsed.success) throw new InputError(flags.prices, describeZodError(parsed.error));
    fromFile = { ...fromFile, prices: { ...fromFile.prices, ...parsed.data } };
  }
  const fromFlags: Partial<Record<keyof LlmSettings, unknown>> = {
    model: flags.model,
    base_url: flags.baseUrl,
    temperature: flags.temperature,
    context: flags.context,
    last_k: flags.lastK,
    past_page_tokens: flags.pastPageTokens,
    reply: flags.reply,
    output: flags.llmOutput,
    timeout_ms: flags.llmTimeout,
    max_retries: flags.llmRetries,
    max_concurrent_requests: flags.llmConcurrency,
    requests_per_minute: flags.rpm,
    tokens_per_minute: flags.tpm,
    cache_dir: flags.llmCache,
    cache_mode: flags.llmCacheMode,
  };
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [k, v] of Object.entries(fromFlags)) if (v !== undefined) merged[k] = v;
  if (merged.model === undefined) {
    throw new InputError(
      "--model",
      "--policy llm needs a model: pass --model (e.g. gpt-4o-mini, or the name your server gives it) or set it in --llm-config",
    );
  }
  const parsed = LlmSettingsSchema.safeParse(merged);
  if (!parsed.success)
    throw new InputError(flags.llmConfig ?? "LLM settings", describeZodError(parsed.error));
  const settings = parsed.data;
  const apiKey = flags.apiKey ?? env[settings.api_key_env] ?? undefined;
  return { settings, apiKey: apiKey || undefined };
}

/** Run and session budgets from the flags; a dollar budget needs a known price for the model. */
export function resolveBudget(
  flags: LlmFlags,
  settings: LlmSettings | null,
): { run: BudgetLimits; session: BudgetLimits } {
  const wantsCost = flags.maxCost !== undefined || flags.sessionMaxCost !== undefined;
  if (wantsCost && settings && !settings.prices[settings.model]) {
    throw new InputError(
      flags.maxCost !== undefined ? "--max-cost" : "--session-max-cost",
      `no price is known for model "${settings.model}", so cost cannot be tracked; give one with --prices FILE (model: {input_per_mtok, output_per_mtok}) or use --max-tokens`,
    );
  }
  return {
    run: { maxTokens: flags.maxTokens ?? null, maxCostUsd: flags.maxCost ?? null },
    session: { maxTokens: flags.sessionMaxTokens ?? null, maxCostUsd: flags.sessionMaxCost ?? null },
  };
}
