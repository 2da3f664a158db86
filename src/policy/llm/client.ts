import OpenAI from "openai";
import { InputError, ShopsimError } from "../../contracts/errors.ts";
import type { Logger } from "../../log.ts";
import { countTokens } from "../../tokens.ts";
import type { CallUsage } from "../types.ts";
import { LlmCache } from "./cache.ts";
import { costOf, type LlmSettings, OUTPUT_MODES, type OutputMode } from "./config.ts";
import { RateLimiter } from "./limiter.ts";
import type { ChatMessage } from "./prompt.ts";
import { backoffMs, retryAfterMs, sleepFor } from "./retry.ts";

/** One request for a reply: the conversation and, for structured modes, the schema to answer in. */
export interface ChatRequest {
  messages: readonly ChatMessage[];
  /** The reply's JSON schema; absent for a free-text turn (the two-turn form's rationale). */
  schema?: { name: string; description: string; schema: Record<string, unknown> };
  seed?: number;
}

export interface ChatResult {
  /** The reply text, or the tool call's arguments in `tools` mode. */
  text: string;
  mode: OutputMode | "free_text";
  usage: CallUsage;
}

/** The model server failed in a way retrying this request will not fix now. */
export class LlmError extends ShopsimError {
  override readonly retryable: boolean;
  override readonly userFacing = true;
  readonly status: number | null;
  constructor(message: string, status: number | null, retryable: boolean) {
    super(message);
    this.name = "LlmError";
    this.status = status;
    this.retryable = retryable;
  }
}

export interface LlmClientOptions {
  settings: LlmSettings;
  apiKey: string | undefined;
  logger: Logger;
  /** For tests: a fixed random source for backoff jitter. */
  random?: () => number;
}

const UNSUPPORTED = /response_format|json_schema|json_object|tool_choice|\btools?\b|function|structured/i;

/**
 * The OpenAI-compatible chat client every LLM policy in the process shares: it owns the connection,
 * the process-wide rate limiter, the record/replay cache, retries and the structured-output mode
 * (in `auto`, json_schema first, falling back to json_object, tool calls, then plain text when the
 * server refuses one). The API key lives only inside the openai client and is scrubbed from errors.
 */
export class LlmClient {
  readonly settings: LlmSettings;
  readonly cache: LlmCache | null;
  readonly #openai: OpenAI;
  readonly #limiter: RateLimiter;
  readonly #log: Logger;
  readonly #secret: string | undefined;
  readonly #random: () => number;
  #mode: OutputMode;
  /** Network calls made (cache hits excluded), for tests and the manifest. */
  networkCalls = 0;

  constructor(opts: LlmClientOptions) {
    const { settings } = opts;
    this.settings = settings;
    if (!opts.apiKey && !settings.base_url && settings.cache_mode !== "replay") {
      throw new InputError(
        "--api-key",
        `no API key for ${settings.model}: set ${settings.api_key_env} (or pass --api-key), or point --base-url at a server that needs none`,
      );
    }
    this.#secret = opts.apiKey || undefined;
    this.#openai = new OpenAI({
      apiKey: opts.apiKey || "no-key",
      ...(settings.base_url ? { baseURL: settings.base_url } : {}),
      maxRetries: 0,
      timeout: settings.timeout_ms,
    });
    this.#limiter = new RateLimiter({
      maxConcurrent: settings.max_concurrent_requests,
      requestsPerMinute: settings.requests_per_minute,
      tokensPerMinute: settings.tokens_per_minute,
    });
    this.cache = settings.cache_dir ? new LlmCache(settings.cache_dir, settings.cache_mode) : null;
    this.#log = opts.logger.child({ component: "llm", model: settings.model });
    this.#random = opts.random ?? Math.random;
    this.#mode = settings.output === "auto" ? "json_schema" : settings.output;
  }

  get model(): string {
    return this.settings.model;
  }

  /** The structured-output mode in use (after any fallback). */
  get mode(): OutputMode {
    return this.#mode;
  }

  /** One reply, with retries on rate limits, server errors, timeouts and dropped connections. */
  async chat(request: ChatRequest, signal: AbortSignal): Promise<ChatResult> {
    for (;;) {
      const mode: OutputMode | "free_text" = request.schema ? this.#mode : "free_text";
      const body = this.#body(request, mode);
      try {
        return await this.#call(body, mode, signal);
      } catch (err) {
        const next = this.#fallback(err, mode);
        if (!next) throw err;
        this.#log.warn(
          { from: mode, to: next, reason: this.#scrub(errorMessage(err)) },
          "the server refused this structured-output mode; falling back",
        );
        this.#mode = next;
      }
    }
  }

  #fallback(err: unknown, mode: OutputMode | "free_text"): OutputMode | null {
    if (this.settings.output !== "auto" || mode === "free_text" || mode === "text") return null;
    if (!(err instanceof LlmError) || (err.status !== 400 && err.status !== 422)) return null;
    if (!UNSUPPORTED.test(err.message)) return null;
    return OUTPUT_MODES[OUTPUT_MODES.indexOf(mode) + 1] ?? null;
  }

  #body(request: ChatRequest, mode: OutputMode | "free_text"): Record<string, unknown> {
    const s = this.settings;
    const body: Record<string, unknown> = {
      model: s.model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      temperature: s.temperature,
      max_tokens: s.max_output_tokens,
    };
    if (s.send_seed && request.seed !== undefined) body.seed = request.seed;
    const schema = request.schema;
    if (schema && mode === "json_schema") {
      body.response_format = {
        type: "json_schema",
        json_schema: {
          name: schema.name,
          description: schema.description,
          schema: schema.schema,
          strict: true,
        },
      };
    } else if (schema && mode === "json_object") {
      body.response_format = { type: "json_object" };
    } else if (schema && mode === "tools") {
      body.tools = [
        {
          type: "function",
          function: { name: schema.name, description: schema.description, parameters: schema.schema },
        },
      ];
      body.tool_choice = { type: "function", function: { name: schema.name } };
    }
    return body;
  }

  async #call(
    body: Record<string, unknown>,
    mode: OutputMode | "free_text",
    signal: AbortSignal,
  ): Promise<ChatResult> {
    const key = LlmCache.keyOf(body);
    const started = performance.now();
    const hit = this.cache ? await this.cache.get(key) : null;
    if (hit) {
      return {
        text: (mode === "tools" ? hit.tool_arguments : hit.content) ?? hit.content ?? "",
        mode,
        usage: {
          prompt_tokens: hit.prompt_tokens,
          completion_tokens: hit.completion_tokens,
          latency_ms: round(performance.now() - started),
          retries: 0,
          cached: true,
          // A replayed reply costs nothing; null still says the model has no known price.
          cost_usd: costOf(this.settings.prices, this.settings.model, 0, 0),
        },
      };
    }
    const estimate =
      (body.messages as ChatMessage[]).reduce((n, m) => n + countTokens(m.content), 0) +
      this.settings.max_output_tokens;
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      const release = await this.#limiter.acquire(estimate, signal);
      let used: number | undefined;
      try {
        this.networkCalls += 1;
        const completion = (await this.#openai.chat.completions.create(
          body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming,
          { signal },
        )) as OpenAI.ChatCompletion;
        const message = completion.choices[0]?.message;
        const toolArgs = message?.tool_calls?.find((c) => c.type === "function")?.function.arguments ?? null;
        const content = message?.content ?? null;
        const promptTokens = completion.usage?.prompt_tokens ?? estimate - this.settings.max_output_tokens;
        const completionTokens =
          completion.usage?.completion_tokens ?? countTokens(content ?? toolArgs ?? "");
        used = promptTokens + completionTokens;
        if (this.cache) {
          await this.cache.put(key, body, {
            content,
            tool_arguments: toolArgs,
            prompt_tokens: promptTokens,
            completion_tokens: completionTokens,
            model: completion.model ?? this.settings.model,
          });
        }
        return {
          text: (mode === "tools" ? toolArgs : content) ?? content ?? toolArgs ?? "",
          mode,
          usage: {
            prompt_tokens: promptTokens,
            completion_tokens: completionTokens,
            latency_ms: round(performance.now() - started),
            retries: attempt,
            cached: false,
            cost_usd: costOf(this.settings.prices, this.settings.model, promptTokens, completionTokens),
          },
        };
      } catch (err) {
        release(used);
        if (signal.aborted) throw signal.reason ?? err;
        const failure = this.#classify(err);
        if (!failure.retryable || attempt >= this.settings.max_retries) {
          throw new LlmError(
            `${failure.message}${failure.retryable ? ` (gave up after ${attempt + 1} attempts)` : ""}`,
            failure.status,
            failure.retryable,
          );
        }
        const wait = backoffMs(attempt + 1, failure.retryAfterMs, {
          baseMs: 500,
          maxMs: 30_000,
          random: this.#random,
        });
        this.#log.warn(
          { attempt: attempt + 1, wait_ms: wait, status: failure.status, reason: failure.message },
          "model request failed; retrying",
        );
        await sleepFor(wait, signal);
      } finally {
        release(used);
      }
    }
  }

  #classify(err: unknown): {
    message: string;
    status: number | null;
    retryable: boolean;
    retryAfterMs: number | null;
  } {
    const where = this.settings.base_url ?? "the OpenAI API";
    if (err instanceof OpenAI.APIConnectionTimeoutError) {
      return {
        message: `${this.settings.model} at ${where} did not answer within ${this.settings.timeout_ms} ms`,
        status: null,
        retryable: true,
        retryAfterMs: null,
      };
    }
    if (err instanceof OpenAI.APIConnectionError) {
      return {
        message: `cannot reach ${where}: ${this.#scrub(errorMessage(err.cause ?? err))}`,
        status: null,
        retryable: true,
        retryAfterMs: null,
      };
    }
    if (err instanceof OpenAI.APIError) {
      const status = err.status ?? null;
      const detail = this.#scrub(errorMessage(err));
      const retryable =
        status === null || status === 408 || status === 409 || status === 429 || status >= 500;
      const hint =
        status === 401 || status === 403
          ? `; check the API key in ${this.settings.api_key_env} or --api-key`
          : status === 404
            ? `; check --model (${this.settings.model}) and --base-url (${where})`
            : "";
      return {
        message: `${where} answered ${status ?? "an error"}: ${detail}${hint}`,
        status,
        retryable,
        retryAfterMs: retryAfterMs(err.headers as Headers | undefined),
      };
    }
    throw err;
  }

  /** Never let the key into a message, whatever a server or library echoes back. */
  #scrub(text: string): string {
    return this.#secret ? text.split(this.#secret).join("***") : text;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
