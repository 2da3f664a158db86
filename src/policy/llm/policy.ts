import type { Action } from "../../contracts/action.ts";
import type { CallRecord, DecideInput, Decision, Policy, Usage } from "../types.ts";
import type { ChatResult, LlmClient } from "./client.ts";
import { actionTurn, buildMessages, type ChatMessage, PROMPT_VERSION, type PromptOptions } from "./prompt.ts";
import { ActionReplySchema, DecisionReplySchema, type Parsed, parseReply, replyJsonSchema } from "./reply.ts";

const DECISION_SCHEMA = {
  name: "shopper_action",
  description: "The shopper's rationale, then the one action they take on the current page.",
  schema: replyJsonSchema(DecisionReplySchema),
};
const ACTION_SCHEMA = {
  name: "shopper_action",
  description: "The one action the shopper takes on the current page.",
  schema: replyJsonSchema(ActionReplySchema),
};

/**
 * The language-model shopper: it role-plays the persona on each page, answering with a rationale and
 * then an action (in one JSON reply, or in the paper's two turns). A reply that is not JSON, does not
 * fit the schema, or names an element that is not on the page is re-asked once, quoting the problem
 * (and for a bad name, the closest real names); a second failure is a failed step.
 */
export class LlmPolicy implements Policy {
  readonly kind = "llm";
  readonly promptVersion = PROMPT_VERSION;
  readonly params: Readonly<Record<string, string | number | boolean | null>>;
  readonly #client: LlmClient;
  readonly #seed: number;
  readonly #prompt: PromptOptions;

  constructor(client: LlmClient, seed: number) {
    this.#client = client;
    this.#seed = seed;
    const s = client.settings;
    this.#prompt = {
      context: s.context,
      lastK: s.last_k,
      pastPageTokens: s.past_page_tokens,
      historyTokens: s.history_tokens,
      reply: s.reply,
    };
    this.params = {
      temperature: s.temperature,
      seed: s.send_seed ? seed : null,
      context: s.context,
      ...(s.context === "last-k" ? { last_k: s.last_k, past_page_tokens: s.past_page_tokens } : {}),
      ...(s.context === "full" ? { history_tokens: s.history_tokens } : {}),
      reply: s.reply,
      output: s.output,
      base_url: s.base_url ?? null,
    };
  }

  get model(): string {
    return this.#client.model;
  }

  async decide(input: DecideInput): Promise<Decision> {
    const usage: Usage = {
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: 0,
      calls: 0,
      retries: 0,
      cached_calls: 0,
      latency_ms: 0,
      per_call: [],
    };
    const ask = async (
      messages: readonly ChatMessage[],
      purpose: CallRecord["purpose"],
    ): Promise<ChatResult> => {
      const structured = purpose !== "rationale";
      const result = await this.#client.chat(
        { messages, seed: this.#seed, ...(structured ? { schema: this.#schema() } : {}) },
        input.signal,
      );
      const u = result.usage;
      usage.input_tokens += u.prompt_tokens;
      usage.output_tokens += u.completion_tokens;
      usage.cost_usd = usage.cost_usd === null || u.cost_usd === null ? null : usage.cost_usd + u.cost_usd;
      usage.calls += 1;
      usage.retries += u.retries;
      usage.cached_calls += u.cached ? 1 : 0;
      usage.latency_ms += u.latency_ms;
      usage.per_call?.push({
        purpose,
        prompt_tokens: u.prompt_tokens,
        completion_tokens: u.completion_tokens,
        latency_ms: u.latency_ms,
        retries: u.retries,
        cached: u.cached,
        cost_usd: u.cost_usd,
      });
      return result;
    };

    let conversation = buildMessages(input, this.#prompt);
    let rationale: string | null = null;
    if (this.#prompt.reply === "two-turn") {
      rationale = (await ask(conversation, "rationale")).text.trim();
      conversation = actionTurn(conversation, rationale);
    }
    const names = input.observation.names;
    const read = (text: string): Parsed<{ rationale?: string; action: Action }> =>
      this.#prompt.reply === "two-turn"
        ? parseReply(text, ActionReplySchema, names)
        : parseReply(text, DecisionReplySchema, names);

    const first = await ask(conversation, "decide");
    let parsed = read(first.text);
    let firstProblem: string | null = null;
    if (!parsed.ok) {
      firstProblem = parsed.problem.message;
      const retry = [
        ...conversation,
        { role: "assistant" as const, content: first.text },
        {
          role: "user" as const,
          content: `Your reply cannot be used: ${parsed.problem.message}. Reply again with one JSON object in the required form, using only names that are on the current page.`,
        },
      ];
      parsed = read((await ask(retry, "reask")).text);
    }
    if (!parsed.ok) {
      const settings = this.#client.settings;
      const failuresInARow = 1 + trailingFailures(input.history);
      return {
        rationale: rationale ?? "",
        action: null,
        error: `the model's reply was unusable twice: ${firstProblem}; then ${parsed.problem.message}`,
        end: settings.on_invalid === "end" || failuresInARow >= settings.max_invalid_in_a_row,
        usage,
      };
    }
    return { rationale: rationale ?? parsed.value.rationale ?? "", action: parsed.value.action, usage };
  }

  #schema() {
    return this.#prompt.reply === "two-turn" ? ACTION_SCHEMA : DECISION_SCHEMA;
  }
}

function trailingFailures(history: DecideInput["history"]): number {
  let n = 0;
  for (let i = history.length - 1; i >= 0 && history[i]?.action === null; i--) n++;
  return n;
}
