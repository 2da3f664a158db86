import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import {
  type OpenAIServer,
  type OpenAIServerOptions,
  type Script,
  type ScriptedReply,
  startOpenAIServer,
} from "./helpers/openai-server.ts";

const servers: OpenAIServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(
  script: Script | ScriptedReply[],
  opts?: OpenAIServerOptions,
  clientOpts: { apiKey?: string; timeout?: number } = {},
): Promise<{ server: OpenAIServer; client: OpenAI }> {
  const server = await startOpenAIServer(script, opts);
  servers.push(server);
  const client = new OpenAI({ baseURL: server.url, apiKey: "sk-test", maxRetries: 0, ...clientOpts });
  return { server, client };
}

const user = (content: string) => [{ role: "user" as const, content }];

/** Resolves when `n` chat requests have reached the script. */
function arrivals(): { script: (reply: ScriptedReply) => Script; reached: Promise<void> } {
  let signal = () => {};
  const reached = new Promise<void>((resolve) => {
    signal = resolve;
  });
  return {
    script: (reply) => () => {
      signal();
      return reply;
    },
    reached,
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the request to fail, but it succeeded");
}

describe("scripted OpenAI server with the real openai client", () => {
  it("round-trips a content reply with the given usage and records the request", async () => {
    const { server, client } = await start([
      { content: "Hello shopper", usage: { prompt_tokens: 11, completion_tokens: 3 } },
    ]);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await client.chat.completions.create({
      model: "gpt-test",
      messages: [
        { role: "system", content: "You shop." },
        { role: "user", content: "hi" },
      ],
      temperature: 0.2,
      seed: 7,
    });
    expect(res.object).toBe("chat.completion");
    expect(res.id).toMatch(/^chatcmpl-/);
    expect(res.model).toBe("gpt-test");
    expect(typeof res.created).toBe("number");
    expect(res.choices).toHaveLength(1);
    expect(res.choices[0]).toMatchObject({
      index: 0,
      finish_reason: "stop",
      message: { role: "assistant", content: "Hello shopper", refusal: null },
    });
    expect(res.usage).toEqual({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });

    expect(server.requests).toHaveLength(1);
    const [req] = server.chatRequests();
    expect(req).toMatchObject({ method: "POST", path: "/v1/chat/completions" });
    expect(req!.headers.authorization).toBe("Bearer sk-test");
    expect(req!.headers["content-type"]).toContain("application/json");
    expect(req!.body).toMatchObject({ model: "gpt-test", temperature: 0.2, seed: 7 });
    expect(req!.messages).toEqual([
      { role: "system", content: "You shop." },
      { role: "user", content: "hi" },
    ]);
  });

  it("estimates usage as ceil(chars / 4) when the script gives none", async () => {
    const { client } = await start([{ content: "abcdefghi" }]); // 9 chars -> 3
    const res = await client.chat.completions.create({
      model: "m",
      messages: [
        { role: "system", content: "12345" }, // 5 + 2 = 7 chars -> 2
        { role: "user", content: [{ type: "text", text: "ab" }] },
      ],
    });
    expect(res.usage).toEqual({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
  });

  it("answers a tool call, then accepts the tool result in the follow-up request", async () => {
    const { server, client } = await start([
      { tool_call: { name: "click", arguments: '{"selector":"#buy"}' } },
      { content: "done" },
    ]);
    const tools = [
      {
        type: "function" as const,
        function: {
          name: "click",
          parameters: { type: "object", properties: { selector: { type: "string" } } },
        },
      },
    ];
    const first = await client.chat.completions.create({
      model: "m",
      messages: user("buy it"),
      tools,
      tool_choice: "required",
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const call = choice.message.tool_calls?.[0];
    expect(choice.message.tool_calls).toHaveLength(1);
    if (call?.type !== "function") throw new Error("expected a function tool call");
    expect(call.id).toMatch(/^call_/);
    expect(call.function).toEqual({ name: "click", arguments: '{"selector":"#buy"}' });

    const second = await client.chat.completions.create({
      model: "m",
      messages: [
        ...user("buy it"),
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "clicked" },
      ],
      tools,
    });
    expect(second.choices[0]!.message.content).toBe("done");
    const recorded = server.chatRequests()[1]!;
    expect(recorded.messages[1]).toMatchObject({ role: "assistant", content: null, tool_calls: [call] });
    expect(recorded.messages[2]).toEqual({ role: "tool", content: "clicked", tool_call_id: call.id });
  });

  it("accepts a json_schema response_format and records it in the request body", async () => {
    const { server, client } = await start([{ content: '{"action":"search"}' }]);
    const response_format = {
      type: "json_schema" as const,
      json_schema: {
        name: "action",
        strict: true,
        schema: {
          type: "object",
          properties: { action: { type: "string" } },
          required: ["action"],
          additionalProperties: false,
        },
      },
    };
    const res = await client.chat.completions.create({
      model: "m",
      messages: user("next?"),
      response_format,
    });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ action: "search" });
    expect(server.chatRequests()[0]!.body.response_format).toEqual(response_format);
  });

  it("rejects a refused response_format with a 400 the client raises as BadRequestError", async () => {
    const { server, client } = await start([{ content: "never" }], {
      rejectResponseFormats: ["json_schema"],
    });
    const err = await rejection(
      client.chat.completions.create({
        model: "m",
        messages: user("x"),
        response_format: { type: "json_schema", json_schema: { name: "a", schema: { type: "object" } } },
      }),
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.message).toContain("json_schema");
    expect(e.type).toBe("invalid_request_error");
    expect(e.param).toBe("response_format");
    expect(e.headers.get("content-type")).toBe("application/json");
    // json_object is still accepted, and the refused request never reached the script.
    const ok = await client.chat.completions.create({
      model: "m",
      messages: user("x"),
      response_format: { type: "json_object" },
    });
    expect(ok.choices[0]!.message.content).toBe("never");
    expect(server.requests).toHaveLength(2);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it("rejects tools with a 400 when the server does not support them", async () => {
    const { client } = await start([{ content: "x" }], { supportsTools: false });
    const err = await rejection(
      client.chat.completions.create({
        model: "m",
        messages: user("x"),
        tools: [{ type: "function", function: { name: "click" } }],
      }),
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("tools are not supported");
  });

  it("validates requests like a strict server", async () => {
    const { server, client } = await start(() => ({ content: "should not be reached" }));
    // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed requests
    const bad = (body: any) => rejection(client.chat.completions.create(body));
    const cases: Array<[unknown, string, string | null]> = [
      [{ messages: user("x") }, "model", "model"],
      [{ model: "m", messages: user("x"), stream: true }, "Streaming is not supported", "stream"],
      [{ model: "m", messages: user("x"), temperature: 2.5 }, "temperature", "temperature"],
      [{ model: "m", messages: [] }, "empty array", "messages"],
      [{ model: "m" }, "messages", "messages"],
      [{ model: "m", messages: [{ role: "robot", content: "x" }] }, "robot", "messages[0].role"],
      [
        { model: "m", messages: [{ role: "user", content: 3 }] },
        "messages[0].content",
        "messages[0].content",
      ],
      [{ model: "m", messages: [{ role: "user" }] }, "messages[0].content", "messages[0].content"],
      [
        { model: "m", messages: [{ role: "tool", content: "x" }] },
        "tool_call_id",
        "messages[0].tool_call_id",
      ],
      [{ model: "m", messages: user("x"), seed: 1.5 }, "seed", "seed"],
      [{ model: "m", messages: user("x"), max_tokens: 0 }, "max_tokens", "max_tokens"],
      [
        { model: "m", messages: user("x"), max_completion_tokens: "9" },
        "max_completion_tokens",
        "max_completion_tokens",
      ],
      [{ model: "m", messages: user("x"), response_format: { type: "xml" } }, "xml", "response_format.type"],
      [
        {
          model: "m",
          messages: user("x"),
          response_format: { type: "json_schema", json_schema: { name: "a" } },
        },
        "schema",
        "response_format.json_schema.schema",
      ],
      [{ model: "m", messages: user("x"), tools: [{ type: "function" }] }, "function", "tools[0].function"],
      [
        {
          model: "m",
          messages: user("x"),
          tools: [{ type: "function", function: { name: "a" } }],
          tool_choice: "always",
        },
        "tool_choice",
        "tool_choice",
      ],
    ];
    for (const [body, text, param] of cases) {
      const err = await bad(body);
      expect(err, JSON.stringify(body)).toBeInstanceOf(OpenAI.BadRequestError);
      const e = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect(e.message, JSON.stringify(body)).toContain(text);
      expect(e.param, JSON.stringify(body)).toBe(param);
      expect(e.error).toMatchObject({ type: "invalid_request_error", code: null });
    }
    expect(server.requests).toHaveLength(cases.length);
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("answers malformed JSON, unknown models and unknown routes in OpenAI's error shape", async () => {
    const { server, client } = await start([{ content: "x" }], { models: ["shop-model"] });
    const res = await fetch(`${server.url}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as { error: { message: string; type: string; code: unknown } };
    expect(body.error.message).toContain("could not parse the JSON body");
    expect(body.error).toMatchObject({ type: "invalid_request_error", param: null, code: null });

    const err = await rejection(client.chat.completions.create({ model: "gpt-other", messages: user("x") }));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");

    const missing = await fetch(`${server.url}/completions`, { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/json");
    expect(((await missing.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");

    const list = await client.models.list();
    expect(list.data.map((m) => ({ id: m.id, object: m.object, owned_by: m.owned_by }))).toEqual([
      { id: "shop-model", object: "model", owned_by: "shopsim-test" },
    ]);
    // The path without the /v1 prefix works too.
    const unprefixed = new OpenAI({ baseURL: server.url.replace(/\/v1$/, ""), apiKey: "k", maxRetries: 0 });
    const ok = await unprefixed.chat.completions.create({ model: "shop-model", messages: user("x") });
    expect(ok.choices[0]!.message.content).toBe("x");
    expect(server.chatRequests()[0]!.path).toBe("/chat/completions");
  });

  it("lists the default model", async () => {
    const { client } = await start([]);
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(["scripted-model"]);
  });

  it("surfaces a scripted 429 with retry-after as RateLimitError carrying the header", async () => {
    const { server, client } = await start([
      { status: 429, headers: { "retry-after": "1" } },
      { content: "after the wait" },
    ]);
    const err = await rejection(client.chat.completions.create({ model: "m", messages: user("x") }));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.headers.get("retry-after")).toBe("1");
    expect(e.message).toContain("429");
    expect(server.chatRequests()).toHaveLength(1); // maxRetries: 0, so no retry
    const next = await client.chat.completions.create({ model: "m", messages: user("x") });
    expect(next.choices[0]!.message.content).toBe("after the wait");
  });

  it("sends a scripted status with a custom body", async () => {
    const { client } = await start([
      { status: 503, body: { error: { message: "overloaded", type: "server_error" } } },
    ]);
    const err = await rejection(client.chat.completions.create({ model: "m", messages: user("x") }));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(503);
    expect((err as Error).message).toContain("overloaded");
  });

  it("times out on a hung request with APIConnectionTimeoutError", async () => {
    const { server, client } = await start([{ hang: true }], undefined, { timeout: 300 });
    const t0 = Date.now();
    const err = await rejection(client.chat.completions.create({ model: "m", messages: user("x") }));
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it("answers a delayed reply after the delay", async () => {
    const { client } = await start([{ delay_ms: 150, reply: { content: "late" } }]);
    const t0 = Date.now();
    const res = await client.chat.completions.create({ model: "m", messages: user("x") });
    expect(res.choices[0]!.message.content).toBe("late");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("rejects with APIUserAbortError when the caller aborts mid-request", async () => {
    const { script, reached } = arrivals();
    const { server, client } = await start(script({ delay_ms: 5_000, reply: { content: "too late" } }));
    const controller = new AbortController();
    const pending = rejection(
      client.chat.completions.create({ model: "m", messages: user("x") }, { signal: controller.signal }),
    );
    await reached;
    const t0 = Date.now();
    controller.abort();
    const err = await pending;
    expect(err).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it("refuses a wrong API key with AuthenticationError", async () => {
    const { server, client } = await start([{ content: "secret" }], { apiKey: "sk-right" });
    const err = await rejection(client.chat.completions.create({ model: "m", messages: user("x") }));
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("invalid_api_key");
    expect(server.chatRequests()).toHaveLength(0);
    const good = new OpenAI({ baseURL: server.url, apiKey: "sk-right", maxRetries: 0 });
    const res = await good.chat.completions.create({ model: "m", messages: user("x") });
    expect(res.choices[0]!.message.content).toBe("secret");
  });

  it("answers an array script in order and with a 500 past its end", async () => {
    const { client } = await start([{ content: "one" }, { content: "two" }]);
    const ask = () => client.chat.completions.create({ model: "m", messages: user("x") });
    expect((await ask()).choices[0]!.message.content).toBe("one");
    expect((await ask()).choices[0]!.message.content).toBe("two");
    const err = await rejection(ask());
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(500);
    expect((err as Error).message).toContain("only 2 replies");
  });

  it("passes the request and its index to a function script, and turns a throw into a 500", async () => {
    const seen: Array<[string | null, number]> = [];
    const { client } = await start(async (req, index) => {
      seen.push([req.messages[0]!.content, index]);
      if (index === 1) throw new Error("script exploded");
      return { content: `reply ${index}` };
    });
    const ask = (text: string) => client.chat.completions.create({ model: "m", messages: user(text) });
    expect((await ask("a")).choices[0]!.message.content).toBe("reply 0");
    const err = await rejection(ask("b"));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect((err as Error).message).toContain("script exploded");
    expect((await ask("c")).choices[0]!.message.content).toBe("reply 2");
    expect(seen).toEqual([
      ["a", 0],
      ["b", 1],
      ["c", 2],
    ]);
  });

  it("closes promptly with a hung request open, and close() is safe to call twice", async () => {
    const { script, reached } = arrivals();
    const { server, client } = await start(script({ hang: true }), undefined, { timeout: 30_000 });
    const pending = rejection(client.chat.completions.create({ model: "m", messages: user("x") }));
    await reached;
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(1_000);
    const err = await pending;
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(err).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(Date.now() - t0).toBeLessThan(1_000);
    await server.close();
  });
});
