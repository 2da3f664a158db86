import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveBudget, resolveLlmSettings } from "../src/cli/llm-options.ts";
import type { Action } from "../src/contracts/action.ts";
import { PersonaSchema, type Scenario } from "../src/contracts/scenario.ts";
import type { Step } from "../src/contracts/trajectory.ts";
import { silentLogger } from "../src/log.ts";
import { LlmCacheMissError } from "../src/policy/llm/cache.ts";
import { LlmClient, LlmError } from "../src/policy/llm/client.ts";
import { type LlmSettings, LlmSettingsSchema } from "../src/policy/llm/config.ts";
import { RateLimiter } from "../src/policy/llm/limiter.ts";
import { LlmPolicy } from "../src/policy/llm/policy.ts";
import { PROMPT_VERSION } from "../src/policy/llm/prompt.ts";
import { backoffMs, retryAfterMs } from "../src/policy/llm/retry.ts";
import type { Decision, Observation } from "../src/policy/types.ts";
import { simplify } from "../src/simplify/index.ts";
import { ROOT } from "./helpers/datasets.ts";
import { type OpenAIServer, type ScriptedReply, startOpenAIServer } from "./helpers/openai-server.ts";

/**
 * The LLM policy against a real HTTP server on loopback that speaks the OpenAI protocol and answers
 * from a script, through the real `openai` client. No test reaches a real provider.
 */
const KEY = "sk-test-secret-0123456789";

const persona = PersonaSchema.parse({
  id: "pat",
  name: "Pat, careful saver",
  demographics: {
    age: 41,
    gender: "woman",
    income_band: "50-100k",
    location: { city: "Denver", state: "CO", zip: "80205" },
    occupation: "nurse",
    household: "couple",
  },
  style: {
    patience: 0.8,
    price_sensitivity: 0.9,
    exploration: 0.3,
    brand_loyalty: 0.5,
    impulsiveness: 0.1,
    reading_depth: 0.7,
  },
  big_five: {
    openness: 0.4,
    conscientiousness: 0.9,
    extraversion: 0.3,
    agreeableness: 0.6,
    neuroticism: 0.4,
  },
  description: "Pat compares prices carefully and never pays for fast shipping.",
  shipping_address: {
    full_name: "Pat Doe",
    email: "pat@example.com",
    address1: "1 Main St",
    city: "Denver",
    state: "CO",
    zip: "80205",
  },
  payment_card: { number: "5555 5555 5555 4444", expiry: "04/29", cvc: "321" },
});
const scenario = {
  id: "mug",
  kind: "targeted",
  goal: { instruction: "Buy a ceramic coffee mug under $15." },
  start: "/",
  max_steps: 20,
} as Scenario;

function page(url: string, body: string): Observation {
  const p = simplify(`<html><head><title>Shop</title></head><body>${body}</body></html>`, url);
  return { url, title: p.title, html: p.html, names: Object.keys(p.elements) };
}
const HOME = page(
  "https://shop.test/",
  `<header><form role="search"><input type="search" aria-label="Search products"><button>Search</button></form></header><main><h1>Welcome</h1></main>`,
);
const SEARCH = HOME.names.find((n) => n.endsWith("search_products"))!;

const servers: OpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(
  script:
    | ScriptedReply[]
    | ((req: { messages: { role: string; content: string | null }[] }, i: number) => ScriptedReply),
  opts = {},
) {
  const server = await startOpenAIServer(script, { apiKey: KEY, ...opts });
  servers.push(server);
  return server;
}

function settings(server: OpenAIServer, over: Partial<LlmSettings> = {}): LlmSettings {
  return LlmSettingsSchema.parse({ model: "scripted-model", base_url: server.url, ...over });
}

function policy(s: LlmSettings, seed = 5): { client: LlmClient; policy: LlmPolicy } {
  const client = new LlmClient({ settings: s, apiKey: KEY, logger: silentLogger, random: () => 0 });
  return { client, policy: new LlmPolicy(client, seed) };
}

function decide(
  p: LlmPolicy,
  observation = HOME,
  history: Step[] = [],
  signal?: AbortSignal,
): Promise<Decision> {
  return p.decide({
    persona,
    scenario,
    history,
    observation,
    signal: signal ?? new AbortController().signal,
  });
}

const reply = (rationale: string, action: Action): ScriptedReply => ({
  content: JSON.stringify({ rationale, action }),
  usage: { prompt_tokens: 1000, completion_tokens: 40 },
});
const SEARCH_MUG = reply("I look for a mug.", { type: "type_and_submit", name: SEARCH, text: "ceramic mug" });

describe("LLM policy: structured replies", () => {
  it("sends the persona, goal, action space and the page, with a JSON schema, temperature and seed; reads the reply", async () => {
    const server = await serve([SEARCH_MUG]);
    const { policy: p } = policy(settings(server, { temperature: 0.3 }), 77);
    const d = await decide(p);
    expect(d).toMatchObject({
      rationale: "I look for a mug.",
      action: { type: "type_and_submit", name: SEARCH, text: "ceramic mug" },
      usage: { input_tokens: 1000, output_tokens: 40, calls: 1, retries: 0, cached_calls: 0, cost_usd: null },
    });
    const [req] = server.chatRequests();
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.body).toMatchObject({ model: "scripted-model", temperature: 0.3, seed: 77 });
    expect(req?.body.response_format.type).toBe("json_schema");
    const schema = req?.body.response_format.json_schema.schema;
    expect(schema.required).toEqual(["rationale", "action"]);
    expect(JSON.stringify(schema)).not.toMatch(/oneOf|"const"|minLength/);
    const [system, user] = req?.messages ?? [];
    expect(system?.role).toBe("system");
    expect(system?.content).toContain("Pat compares prices carefully");
    expect(system?.content).toContain("price sensitivity very high");
    expect(system?.content).toContain("Buy a ceramic coffee mug under $15.");
    expect(system?.content).toContain('{"type": "type_and_submit", "name": "<name>", "text": "<text>"}');
    expect(system?.content).toContain("Pat Doe, 1 Main St, Denver, CO 80205");
    expect(system?.content).toContain(
      "Card, if the checkout asks for one: number 5555 5555 5555 4444, expiry 04/29, security code 321, name on card Pat Doe.",
    );
    expect(user?.content).toContain(HOME.html);
    expect(p.promptVersion).toBe(PROMPT_VERSION);
    expect(p.params).toMatchObject({ temperature: 0.3, seed: 77, context: "last-k", reply: "single" });
  });

  it("re-asks once after malformed JSON, quoting the problem, and uses the repaired reply", async () => {
    const server = await serve([{ content: "Sure! I will search for mugs now." }, SEARCH_MUG]);
    const { policy: p } = policy(settings(server));
    const d = await decide(p);
    expect(d.action).toEqual({ type: "type_and_submit", name: SEARCH, text: "ceramic mug" });
    expect(d.usage?.calls).toBe(2);
    expect(d.usage?.per_call?.map((c) => c.purpose)).toEqual(["decide", "reask"]);
    const second = server.chatRequests()[1]!.messages;
    expect(second.at(-2)).toEqual({ role: "assistant", content: "Sure! I will search for mugs now." });
    expect(second.at(-1)?.content).toMatch(/^Your reply cannot be used: the reply is not valid JSON/);
  });

  it("re-asks once after a name that is not on the page, listing the closest real names", async () => {
    const server = await serve([
      reply("Search.", { type: "type_and_submit", name: "search_input", text: "mug" }),
      SEARCH_MUG,
    ]);
    const { policy: p } = policy(settings(server));
    const d = await decide(p);
    expect(d.action).toMatchObject({ name: SEARCH });
    const reask = server.chatRequests()[1]!.messages.at(-1)?.content ?? "";
    expect(reask).toContain('there is no element named "search_input" on this page; the closest names are: ');
    expect(reask).toContain(SEARCH);
  });

  it("gives a failed decision after a second bad reply, and asks to end after too many in a row", async () => {
    const bad: ScriptedReply = { content: '{"rationale": "x", "action": {"type": "fly"}}' };
    const server = await serve([bad, bad, bad, bad]);
    const { policy: p } = policy(settings(server, { max_invalid_in_a_row: 2 }));
    const d = await decide(p);
    expect(d.action).toBeNull();
    expect(d.error).toMatch(/unusable twice: the reply does not match the schema: action.type/);
    expect(d.end).toBe(false);
    const failed: Step = {
      index: 0,
      timestamp: "2026-11-22T00:00:00.000Z",
      url: HOME.url,
      observation: HOME.html,
      rationale: "",
      action: null,
      result: { ok: false, error: `the policy gave no usable action: ${d.error}` },
      duration_ms: 1,
      timings: { observe_ms: 0, simplify_ms: 0, decide_ms: 0, act_ms: 0 },
    };
    expect((await decide(p, HOME, [failed])).end).toBe(true);
  });

  it("reads fenced JSON after a <think> block, and a flattened reply", async () => {
    const server = await serve([
      {
        content: `<think>hmm {not json}</think>\nHere you go:\n\`\`\`json\n${JSON.stringify({ rationale: "a", action: { type: "back" } })}\n\`\`\``,
      },
      { content: JSON.stringify({ rationale: "b", type: "terminate" }) },
    ]);
    const { policy: p } = policy(settings(server));
    expect((await decide(p)).action).toEqual({ type: "back" });
    expect(await decide(p)).toMatchObject({ rationale: "b", action: { type: "terminate" } });
  });

  it("falls back from json_schema to json_object, tool calls and plain text as the server refuses each", async () => {
    const server = await serve(() => SEARCH_MUG, {
      rejectResponseFormats: ["json_schema", "json_object"],
      supportsTools: false,
    });
    const { client, policy: p } = policy(settings(server));
    expect((await decide(p)).action).toMatchObject({ name: SEARCH });
    expect(client.mode).toBe("text");
    const kinds = server.requests.map(
      (r) => r.body?.response_format?.type ?? (r.body?.tools ? "tools" : "text"),
    );
    expect(kinds).toEqual(["json_schema", "json_object", "tools", "text"]);
    // The mode sticks: the next decision goes straight to plain text.
    await decide(p);
    expect(server.requests).toHaveLength(5);
  });

  it("reads the action from a tool call in tools mode", async () => {
    const server = await serve([
      {
        tool_call: {
          name: "shopper_action",
          arguments: JSON.stringify({ rationale: "t", action: { type: "back" } }),
        },
      },
    ]);
    const { policy: p } = policy(settings(server, { output: "tools" }));
    expect((await decide(p)).action).toEqual({ type: "back" });
    expect(server.chatRequests()[0]?.body.tool_choice).toEqual({
      type: "function",
      function: { name: "shopper_action" },
    });
  });

  it("asks in two turns when told to: the rationale as free text, then the action", async () => {
    const server = await serve([
      { content: "The search box is right there; I search for a ceramic mug." },
      { content: JSON.stringify({ action: { type: "type_and_submit", name: SEARCH, text: "ceramic mug" } }) },
    ]);
    const { policy: p } = policy(settings(server, { reply: "two-turn" }));
    const d = await decide(p);
    expect(d.rationale).toBe("The search box is right there; I search for a ceramic mug.");
    expect(d.usage?.per_call?.map((c) => c.purpose)).toEqual(["rationale", "decide"]);
    expect(d.action).toMatchObject({ type: "type_and_submit", name: SEARCH });
    const [first, second] = server.chatRequests();
    expect(first?.body.response_format).toBeUndefined();
    expect(first?.messages.at(-1)?.content).toMatch(/Reply with your rationale only\.$/);
    expect(second?.body.response_format.json_schema.schema.required).toEqual(["action"]);
    expect(second?.messages.at(-2)).toEqual({
      role: "assistant",
      content: "The search box is right there; I search for a ceramic mug.",
    });
  });
});

describe("LLM policy: requests", () => {
  it("waits as long as a 429's Retry-After says, then succeeds", async () => {
    const server = await serve([
      {
        status: 429,
        headers: { "retry-after": "1" },
        body: { error: { message: "slow down", type: "requests" } },
      },
      SEARCH_MUG,
    ]);
    const { policy: p } = policy(settings(server));
    const started = Date.now();
    const d = await decide(p);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(d.usage).toMatchObject({ calls: 1, retries: 1 });
    expect(d.usage?.per_call).toEqual([
      {
        purpose: "decide",
        prompt_tokens: 1000,
        completion_tokens: 40,
        latency_ms: expect.any(Number),
        retries: 1,
        cached: false,
        cost_usd: null,
      },
    ]);
    expect(d.usage?.per_call?.[0]?.latency_ms).toBeGreaterThanOrEqual(950);
  });

  it("retries 500s with backoff and gives up after max_retries with a clear error", async () => {
    const ok = await serve([{ status: 500 }, { status: 502 }, SEARCH_MUG]);
    const { policy: p } = policy(settings(ok, { max_retries: 2 }));
    expect((await decide(p)).usage?.retries).toBe(2);

    const down = await serve(() => ({ status: 503 }));
    const { policy: q } = policy(settings(down, { max_retries: 1 }));
    const err = await decide(q).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).message).toMatch(/answered 503: .*\(gave up after 2 attempts\)/);
    expect(down.chatRequests()).toHaveLength(2);
  });

  it("times out a hung request, retries it, and fails clearly when every attempt hangs", async () => {
    const flaky = await serve([{ hang: true }, SEARCH_MUG]);
    const { policy: p } = policy(settings(flaky, { timeout_ms: 300 }));
    expect((await decide(p)).usage?.retries).toBe(1);

    const hung = await serve(() => ({ hang: true }));
    const { policy: q } = policy(settings(hung, { timeout_ms: 200, max_retries: 1 }));
    await expect(decide(q)).rejects.toThrow(/did not answer within 200 ms \(gave up after 2 attempts\)/);
  });

  it("stops at once when the job's signal aborts mid-request", async () => {
    const server = await serve([{ delay_ms: 10_000, reply: SEARCH_MUG }]);
    const { policy: p } = policy(settings(server));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("job cancelled")), 200);
    const started = Date.now();
    await expect(decide(p, HOME, [], controller.signal)).rejects.toThrow("job cancelled");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("never lets the API key into an error message", async () => {
    const server = await serve([{ status: 400, body: { error: { message: `bad key ${KEY} in request` } } }]);
    const { policy: p } = policy(settings(server));
    const err = (await decide(p).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain("bad key *** in request");
    expect(err.message).not.toContain(KEY);
  });

  it("keeps requests in flight within the process-wide limit", async () => {
    const server = await serve(() => ({ delay_ms: 150, reply: SEARCH_MUG }));
    const s = settings(server, { max_concurrent_requests: 1 });
    const client = new LlmClient({ settings: s, apiKey: KEY, logger: silentLogger });
    const a = new LlmPolicy(client, 1);
    const b = new LlmPolicy(client, 2);
    const started = Date.now();
    await Promise.all([decide(a), decide(b)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("limits requests and tokens per minute over a sliding window", async () => {
    let now = 0;
    const limiter = new RateLimiter({
      maxConcurrent: 10,
      requestsPerMinute: 2,
      tokensPerMinute: 1000,
      now: () => now,
    });
    (await limiter.acquire(100))(100);
    (await limiter.acquire(100))(100);
    let third = false;
    const pending = limiter.acquire(100).then((release) => {
      third = true;
      release(100);
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(third).toBe(false);
    now = 60_001;
    await pending;
    expect(third).toBe(true);
  });

  it("computes backoff from Retry-After (seconds, date, ms) or exponentially with jitter", () => {
    expect(retryAfterMs({ "retry-after": "2" })).toBe(2000);
    expect(retryAfterMs({ "retry-after-ms": "150" })).toBe(150);
    expect(retryAfterMs({ "retry-after": new Date(10_000).toUTCString() }, 4_000)).toBe(6000);
    expect(retryAfterMs({})).toBeNull();
    expect(backoffMs(1, null, { baseMs: 500, maxMs: 30_000, random: () => 0 })).toBe(250);
    expect(backoffMs(3, null, { baseMs: 500, maxMs: 30_000, random: () => 1 })).toBe(2000);
    expect(backoffMs(20, null, { baseMs: 500, maxMs: 30_000, random: () => 1 })).toBe(30_000);
    expect(backoffMs(1, 1234)).toBe(1234);
  });
});

describe("LLM policy: record and replay", () => {
  it("replays recorded replies with zero network calls; a request never recorded is a clear error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shopsim-llm-cache-"));
    const server = await serve([SEARCH_MUG]);
    const recorded = policy(settings(server, { cache_dir: dir, cache_mode: "record" }));
    const first = await decide(recorded.policy);
    await server.close();

    const replayed = policy(settings(server, { cache_dir: dir, cache_mode: "replay" }));
    const again = await decide(replayed.policy);
    expect(again.action).toEqual(first.action);
    expect(again.rationale).toBe(first.rationale);
    expect(again.usage).toMatchObject({ calls: 1, cached_calls: 1, input_tokens: 1000 });
    expect(replayed.client.networkCalls).toBe(0);

    // Another seed is another request: not in the recording.
    const other = new LlmPolicy(replayed.client, 999);
    await expect(decide(other)).rejects.toBeInstanceOf(LlmCacheMissError);
  });
});

describe("LLM prompt: context strategies", () => {
  const pages = [0, 1, 2].map((i) =>
    page(
      `https://shop.test/p${i}`,
      `<main><h1>Marker page ${i}</h1><a href="/p${i + 1}">Next ${i}</a></main>`,
    ),
  );
  const history: Step[] = pages.map((pg, i) => ({
    index: i,
    timestamp: "2026-11-22T00:00:00.000Z",
    url: pg.url,
    observation: pg.html,
    rationale: `Rationale ${i}`,
    action: { type: "click", name: pg.names[0]! },
    result: i === 2 ? { ok: false, error: "element vanished" } : { ok: true, navigated: true },
    duration_ms: 1,
    timings: { observe_ms: 0, simplify_ms: 0, decide_ms: 0, act_ms: 0 },
  }));
  const current = page("https://shop.test/now", "<main><h1>Current page</h1></main>");

  async function messagesFor(over: Partial<LlmSettings>) {
    const server = await serve([reply("done", { type: "terminate" })]);
    const { policy: p } = policy(settings(server, over));
    await decide(p, current, history);
    return server.chatRequests()[0]!.messages;
  }
  const text = (ms: { content: string | null }[]) => ms.map((m) => m.content).join("\n");

  it("full: every past page in full, with every rationale and action", async () => {
    const ms = await messagesFor({ context: "full" });
    for (const i of [0, 1, 2]) expect(text(ms)).toContain(`Marker page ${i}`);
    expect(ms.filter((m) => m.role === "assistant").map((m) => JSON.parse(m.content!).rationale)).toEqual([
      "Rationale 0",
      "Rationale 1",
      "Rationale 2",
    ]);
    expect(ms.at(-1)?.content).toMatch(/^The action failed: element vanished\n\nPage 4 \(current\)/);
    expect(ms.at(-1)?.content).toContain("Current page");
  });

  it("full: drops the oldest pages first to stay within the token cap", async () => {
    const ms = await messagesFor({ context: "full", history_tokens: 60 });
    expect(text(ms)).not.toContain("Marker page 0");
    expect(text(ms)).toContain("Marker page 2");
    expect(text(ms)).toContain("Page 1 (not shown again)\nURL: /p0");
  });

  it("last-k: only the last k past pages in full, all actions, the current page always", async () => {
    const ms = await messagesFor({ context: "last-k", last_k: 1 });
    expect(text(ms)).not.toContain("Marker page 0");
    expect(text(ms)).not.toContain("Marker page 1");
    expect(text(ms)).toContain("Marker page 2");
    expect(text(ms)).toContain("Current page");
    expect(ms.filter((m) => m.role === "assistant")).toHaveLength(3);
  });

  it("last-k: a past page is cut to its main content and the token cap; the current page is not", async () => {
    const long = page(
      "https://shop.test/long",
      `<header><a href="/">Header link</a></header><main><h1>Long page</h1>${"<p>lorem ipsum dolor sit amet</p>".repeat(200)}<p>Tail marker</p></main>`,
    );
    const past: Step = { ...history[0]!, url: long.url, observation: long.html };
    const server = await serve([reply("done", { type: "terminate" }), reply("done", { type: "terminate" })]);
    const { policy: p } = policy(settings(server, { context: "last-k", last_k: 1, past_page_tokens: 100 }));
    await decide(p, current, [past]);
    const pastMessage = server.chatRequests()[0]!.messages[1]!.content!;
    expect(pastMessage).toMatch(/^Page 1\nURL: \/long\nTitle: Shop\n\n<main><h1>Long page<\/h1>/);
    expect(pastMessage).not.toContain("Header link");
    expect(pastMessage).not.toContain("Tail marker");
    expect(pastMessage).toMatch(/… \[the rest of this page, \d+ tokens or so, is not shown again\]$/);
    // The same page as the current page goes in whole.
    await decide(p, long, []);
    expect(server.chatRequests()[1]!.messages.at(-1)?.content).toContain("Tail marker");
  });

  it("actions-only: no past page, every action and rationale, the current page in full", async () => {
    const ms = await messagesFor({ context: "actions-only" });
    for (const i of [0, 1, 2]) {
      expect(text(ms)).not.toContain(`Marker page ${i}`);
      expect(text(ms)).toContain(`Rationale ${i}`);
      expect(text(ms)).toContain(`URL: /p${i}`);
    }
    expect(text(ms)).toContain("Current page");
  });
});

describe("LLM settings", () => {
  it("resolves flags over the settings file over defaults, takes the key apart, and parses the shipped examples", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shopsim-llm-config-"));
    const file = join(dir, "llm.yaml");
    writeFileSync(
      file,
      "llm:\n  model: file-model\n  temperature: 0.2\n  context: full\n  api_key_env: MY_KEY\n",
    );
    const { settings: s, apiKey } = await resolveLlmSettings(
      { llmConfig: file, temperature: 0.9 },
      { MY_KEY: "k1" },
    );
    expect(s).toMatchObject({ model: "file-model", temperature: 0.9, context: "full", last_k: 1 });
    expect(apiKey).toBe("k1");
    expect(JSON.stringify(s)).not.toContain("k1");
    expect(
      (await resolveLlmSettings({ model: "m", apiKey: "flag-key" }, { OPENAI_API_KEY: "env" })).apiKey,
    ).toBe("flag-key");
    const example = await resolveLlmSettings({ llmConfig: join(ROOT, "examples/llm.yaml") }, {});
    expect(example.settings.prices["gpt-4o-mini"]).toBeDefined();
    const priced = await resolveLlmSettings(
      { model: "gpt-4o", prices: join(ROOT, "examples/prices.yaml") },
      {},
    );
    expect(resolveBudget({ maxCost: 1 }, priced.settings).run).toEqual({ maxTokens: null, maxCostUsd: 1 });
  });

  it("names the file and field of a bad setting", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shopsim-llm-config-"));
    const file = join(dir, "llm.yaml");
    writeFileSync(file, "llm:\n  model: m\n  context: everything\n");
    await expect(resolveLlmSettings({ llmConfig: file }, {})).rejects.toThrow(
      new RegExp(`^${file}: llm\\.context: `),
    );
    await expect(resolveLlmSettings({}, {})).rejects.toThrow(/--model: --policy llm needs a model/);
  });
});
