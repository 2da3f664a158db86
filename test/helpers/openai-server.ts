/**
 * A scripted OpenAI-compatible HTTP server for tests.
 *
 * It speaks the non-streaming Chat Completions protocol on 127.0.0.1 (free port), validates
 * requests the way a strict server does, and answers valid ones from a script. Give `url` to the
 * real `openai` client as `baseURL`.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  /** The request target as received, e.g. "/v1/chat/completions". */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (null if none or not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary request fields
  body: any;
  /** The messages of a chat request, for convenience (empty array otherwise). */
  messages: Array<{ role: string; content: string | null; tool_calls?: unknown; tool_call_id?: string }>;
}

export type ScriptedReply =
  | { content: string; usage?: { prompt_tokens: number; completion_tokens: number }; finish_reason?: string }
  | {
      tool_call: { name: string; arguments: string };
      usage?: { prompt_tokens: number; completion_tokens: number };
    }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { hang: true }
  | { delay_ms: number; reply: ScriptedReply };

/** Called for every valid chat-completions request; `index` counts valid chat requests from 0. */
export type Script = (req: RecordedRequest, index: number) => ScriptedReply | Promise<ScriptedReply>;

export interface OpenAIServerOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`, else 401 in OpenAI's error shape. */
  apiKey?: string;
  /** response_format types this server refuses with a 400 (as many self-hosted servers do), e.g. ["json_schema"]. */
  rejectResponseFormats?: Array<"json_schema" | "json_object">;
  /** When false, requests with `tools` get a 400 ("tools are not supported"). Default true. */
  supportsTools?: boolean;
  /** Model ids listed by GET /v1/models and accepted; default: any model accepted, list = ["scripted-model"]. */
  models?: string[];
}

export interface OpenAIServer {
  /** Base URL to give the openai client, ending in "/v1", e.g. "http://127.0.0.1:41234/v1". */
  url: string;
  /** Every request received, in order, including invalid and rejected ones. */
  requests: RecordedRequest[];
  /** Only the valid chat-completions requests that reached the script. */
  chatRequests(): RecordedRequest[];
  /** Closes the server and every connection (including hung ones); safe to call twice. */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
type Usage = { prompt_tokens: number; completion_tokens: number };
type RecordedMessage = RecordedRequest["messages"][number];

/** A request the server refuses, in OpenAI's error shape. */
class Rejection {
  readonly status: number;
  readonly message: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly type: string;

  constructor(status: number, message: string, param: string | null = null, code: string | null = null) {
    this.status = status;
    this.message = message;
    this.param = param;
    this.code = code;
    this.type = "invalid_request_error";
  }
}

const ROLES = ["system", "developer", "user", "assistant", "tool"];
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const SCHEMA_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function errorBody(message: string, type: string, param: string | null, code: string | null): Json {
  return { error: { message, type, param, code } };
}

function errorTypeFor(status: number): string {
  if (status === 429) return "requests";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

function randomId(prefix: string, bytes = 12): string {
  return prefix + randomBytes(bytes).toString("hex");
}

/** Text of a message content: the string itself, or its text parts joined; null when absent. */
function contentText(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .filter((p): p is Json => isObject(p) && p.type === "text" && typeof p.text === "string")
      .map((p) => p.text as string)
      .join("");
  }
  return null;
}

function recordMessages(body: unknown): RecordedMessage[] {
  if (!isObject(body) || !Array.isArray(body.messages)) return [];
  return body.messages.map((m): RecordedMessage => {
    if (!isObject(m)) return { role: "", content: null };
    const out: RecordedMessage = {
      role: typeof m.role === "string" ? m.role : "",
      content: contentText(m.content),
    };
    if (m.tool_calls !== undefined) out.tool_calls = m.tool_calls;
    if (typeof m.tool_call_id === "string") out.tool_call_id = m.tool_call_id;
    return out;
  });
}

/** Treats null like absent, as OpenAI does for optional parameters. */
function present(body: Json, key: string): boolean {
  return body[key] !== undefined && body[key] !== null;
}

function checkNumber(body: Json, key: string, min: number, max: number): void {
  if (!present(body, key)) return;
  const v = body[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new Rejection(
      400,
      `Invalid type for '${key}': expected a decimal, but got ${describe(v)} instead.`,
      key,
    );
  }
  if (v < min) {
    throw new Rejection(
      400,
      `Invalid '${key}': decimal below minimum value. Expected a value >= ${min}, but got ${v} instead.`,
      key,
    );
  }
  if (v > max) {
    throw new Rejection(
      400,
      `Invalid '${key}': decimal above maximum value. Expected a value <= ${max}, but got ${v} instead.`,
      key,
    );
  }
}

function checkInteger(body: Json, key: string, min?: number): void {
  if (!present(body, key)) return;
  const v = body[key];
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new Rejection(
      400,
      `Invalid type for '${key}': expected an integer, but got ${describe(v)} instead.`,
      key,
    );
  }
  if (min !== undefined && v < min) {
    throw new Rejection(
      400,
      `Invalid '${key}': integer below minimum value. Expected a value >= ${min}, but got ${v} instead.`,
      key,
    );
  }
}

function checkBoolean(body: Json, key: string): void {
  if (present(body, key) && typeof body[key] !== "boolean") {
    throw new Rejection(
      400,
      `Invalid type for '${key}': expected a boolean, but got ${describe(body[key])} instead.`,
      key,
    );
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return "a string";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a decimal";
  return `a ${typeof v}`;
}

function checkContent(content: unknown, role: string, param: string): void {
  if (typeof content === "string") return;
  if (!Array.isArray(content)) {
    throw new Rejection(
      400,
      `Invalid type for '${param}': expected one of a string or array of objects, but got ${describe(content)} instead.`,
      param,
    );
  }
  content.forEach((part, j) => {
    const p = `${param}[${j}]`;
    if (!isObject(part)) {
      throw new Rejection(
        400,
        `Invalid type for '${p}': expected an object, but got ${describe(part)} instead.`,
        p,
      );
    }
    if (part.type === "text") {
      if (typeof part.text !== "string") {
        throw new Rejection(400, `Missing required parameter: '${p}.text'.`, `${p}.text`);
      }
      return;
    }
    if (part.type === "image_url" && role === "user") {
      if (!isObject(part.image_url) || typeof part.image_url.url !== "string") {
        throw new Rejection(400, `Missing required parameter: '${p}.image_url.url'.`, `${p}.image_url.url`);
      }
      return;
    }
    const supported = role === "user" ? "'text' and 'image_url'" : "'text'";
    throw new Rejection(
      400,
      `Invalid value: '${String(part.type)}'. Supported values for '${p}.type' in a ${role} message are: ${supported}.`,
      `${p}.type`,
    );
  });
}

function checkToolCalls(calls: unknown, param: string): string[] {
  if (!Array.isArray(calls) || calls.length === 0) {
    throw new Rejection(400, `Invalid '${param}': expected a non-empty array of tool calls.`, param);
  }
  return calls.map((c, j) => {
    const p = `${param}[${j}]`;
    if (!isObject(c) || typeof c.id !== "string" || c.id === "") {
      throw new Rejection(400, `Missing required parameter: '${p}.id'.`, `${p}.id`);
    }
    if (c.type !== "function") {
      throw new Rejection(
        400,
        `Invalid value: '${String(c.type)}'. Supported values are: 'function'.`,
        `${p}.type`,
      );
    }
    if (
      !isObject(c.function) ||
      typeof c.function.name !== "string" ||
      typeof c.function.arguments !== "string"
    ) {
      throw new Rejection(
        400,
        `Invalid '${p}.function': expected an object with string 'name' and 'arguments'.`,
        `${p}.function`,
      );
    }
    return c.id;
  });
}

function checkMessages(body: Json): void {
  const messages = body.messages;
  if (messages === undefined || messages === null) {
    throw new Rejection(400, "Missing required parameter: 'messages'.", "messages");
  }
  if (!Array.isArray(messages)) {
    throw new Rejection(
      400,
      `Invalid type for 'messages': expected an array, but got ${describe(messages)} instead.`,
      "messages",
    );
  }
  if (messages.length === 0) {
    throw new Rejection(
      400,
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "messages",
    );
  }
  // Tool call ids of the latest assistant message that still await their tool messages.
  let pending: string[] = [];
  messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    if (!isObject(m)) {
      throw new Rejection(
        400,
        `Invalid type for '${param}': expected an object, but got ${describe(m)} instead.`,
        param,
      );
    }
    const role = m.role;
    if (typeof role !== "string" || !ROLES.includes(role)) {
      const got = role === undefined ? "Missing required parameter" : `Invalid value: '${String(role)}'`;
      throw new Rejection(
        400,
        `${got} for '${param}.role'. Supported values are: 'system', 'developer', 'user', 'assistant', and 'tool'.`,
        `${param}.role`,
      );
    }
    if (pending.length > 0 && role !== "tool") {
      throw new Rejection(
        400,
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(", ")}`,
        `${param}.role`,
      );
    }
    if (present(m, "name") && typeof m.name !== "string") {
      throw new Rejection(400, `Invalid type for '${param}.name': expected a string.`, `${param}.name`);
    }
    const hasToolCalls = role === "assistant" && present(m, "tool_calls");
    if (present(m, "tool_calls") && role !== "assistant") {
      throw new Rejection(
        400,
        `Invalid parameter: 'tool_calls' is only allowed in assistant messages.`,
        `${param}.tool_calls`,
      );
    }
    if (m.content === undefined || m.content === null) {
      if (!hasToolCalls) {
        throw new Rejection(
          400,
          `Invalid value for '${param}.content': expected a string or an array of content parts, got null.`,
          `${param}.content`,
        );
      }
    } else {
      checkContent(m.content, role, `${param}.content`);
    }
    if (hasToolCalls) pending = checkToolCalls(m.tool_calls, `${param}.tool_calls`);
    if (role === "tool") {
      if (typeof m.tool_call_id !== "string" || m.tool_call_id === "") {
        throw new Rejection(
          400,
          `Missing required parameter: '${param}.tool_call_id'.`,
          `${param}.tool_call_id`,
        );
      }
      const at = pending.indexOf(m.tool_call_id);
      if (at < 0) {
        throw new Rejection(
          400,
          "Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls'.",
          `${param}.role`,
        );
      }
      pending.splice(at, 1);
    }
  });
  if (pending.length > 0) {
    throw new Rejection(
      400,
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(", ")}`,
      `messages[${messages.length - 1}]`,
    );
  }
}

function checkResponseFormat(body: Json): string | undefined {
  if (!present(body, "response_format")) return undefined;
  const rf = body.response_format;
  if (!isObject(rf)) {
    throw new Rejection(
      400,
      `Invalid type for 'response_format': expected an object, but got ${describe(rf)} instead.`,
      "response_format",
    );
  }
  if (rf.type === "text" || rf.type === "json_object") return rf.type;
  if (rf.type === "json_schema") {
    const js = rf.json_schema;
    if (!isObject(js)) {
      throw new Rejection(
        400,
        "Missing required parameter: 'response_format.json_schema'.",
        "response_format.json_schema",
      );
    }
    if (typeof js.name !== "string" || !SCHEMA_NAME.test(js.name)) {
      throw new Rejection(
        400,
        "Invalid 'response_format.json_schema.name': expected a string of 1 to 64 letters, digits, '_' or '-'.",
        "response_format.json_schema.name",
      );
    }
    if (!isObject(js.schema)) {
      throw new Rejection(
        400,
        `Invalid type for 'response_format.json_schema.schema': expected an object, but got ${describe(js.schema)} instead.`,
        "response_format.json_schema.schema",
      );
    }
    if (present(js, "strict") && typeof js.strict !== "boolean") {
      throw new Rejection(
        400,
        "Invalid type for 'response_format.json_schema.strict': expected a boolean.",
        "response_format.json_schema.strict",
      );
    }
    return "json_schema";
  }
  throw new Rejection(
    400,
    `Invalid value: '${String(rf.type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
    "response_format.type",
  );
}

/** Returns the declared function names, or undefined without tools. */
function checkTools(body: Json): string[] | undefined {
  if (!present(body, "tools")) return undefined;
  const tools = body.tools;
  if (!Array.isArray(tools)) {
    throw new Rejection(
      400,
      `Invalid type for 'tools': expected an array, but got ${describe(tools)} instead.`,
      "tools",
    );
  }
  if (tools.length === 0) {
    throw new Rejection(
      400,
      "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "tools",
    );
  }
  return tools.map((t, i) => {
    const param = `tools[${i}]`;
    if (!isObject(t)) {
      throw new Rejection(
        400,
        `Invalid type for '${param}': expected an object, but got ${describe(t)} instead.`,
        param,
      );
    }
    if (t.type !== "function") {
      throw new Rejection(
        400,
        `Invalid value: '${String(t.type)}'. Supported values are: 'function'.`,
        `${param}.type`,
      );
    }
    const fn = t.function;
    if (!isObject(fn))
      throw new Rejection(400, `Missing required parameter: '${param}.function'.`, `${param}.function`);
    if (typeof fn.name !== "string" || !FUNCTION_NAME.test(fn.name)) {
      throw new Rejection(
        400,
        `Invalid '${param}.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.`,
        `${param}.function.name`,
      );
    }
    if (present(fn, "parameters") && !isObject(fn.parameters)) {
      throw new Rejection(
        400,
        `Invalid type for '${param}.function.parameters': expected an object, but got ${describe(fn.parameters)} instead.`,
        `${param}.function.parameters`,
      );
    }
    if (present(fn, "description") && typeof fn.description !== "string") {
      throw new Rejection(
        400,
        `Invalid type for '${param}.function.description': expected a string.`,
        `${param}.function.description`,
      );
    }
    return fn.name;
  });
}

function checkToolChoice(body: Json, toolNames: string[] | undefined): void {
  if (!present(body, "tool_choice")) return;
  const tc = body.tool_choice;
  if (toolNames === undefined) {
    throw new Rejection(
      400,
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
      "tool_choice",
    );
  }
  if (tc === "none" || tc === "auto" || tc === "required") return;
  if (
    isObject(tc) &&
    tc.type === "function" &&
    isObject(tc.function) &&
    typeof tc.function.name === "string"
  ) {
    if (!toolNames.includes(tc.function.name)) {
      throw new Rejection(
        400,
        `Invalid value for 'tool_choice': function '${tc.function.name}' is not one of the declared 'tools'.`,
        "tool_choice",
      );
    }
    return;
  }
  throw new Rejection(
    400,
    "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or {\"type\": \"function\", \"function\": {\"name\": ...}}.",
    "tool_choice",
  );
}

function validateChat(body: unknown, opts: OpenAIServerOptions): void {
  if (!isObject(body)) {
    throw new Rejection(
      400,
      "We could not parse the JSON body of your request. (HINT: The OpenAI API expects a JSON object as payload, but what was sent was not one.)",
    );
  }
  if (typeof body.model !== "string" || body.model === "") {
    throw new Rejection(400, "you must provide a model parameter", "model");
  }
  if (opts.models && !opts.models.includes(body.model)) {
    throw new Rejection(
      404,
      `The model \`${body.model}\` does not exist or you do not have access to it.`,
      null,
      "model_not_found",
    );
  }
  checkMessages(body);
  if (body.stream === true) {
    throw new Rejection(
      400,
      "Streaming is not supported by the scripted test server; send stream: false.",
      "stream",
    );
  }
  checkBoolean(body, "stream");
  checkNumber(body, "temperature", 0, 2);
  checkNumber(body, "top_p", 0, 1);
  checkNumber(body, "presence_penalty", -2, 2);
  checkNumber(body, "frequency_penalty", -2, 2);
  checkInteger(body, "seed");
  checkInteger(body, "max_tokens", 1);
  checkInteger(body, "max_completion_tokens", 1);
  checkInteger(body, "n", 1);
  if (present(body, "n") && body.n !== 1) {
    throw new Rejection(400, "The scripted test server answers with exactly one choice; n must be 1.", "n");
  }
  checkBoolean(body, "parallel_tool_calls");
  const format = checkResponseFormat(body);
  const toolNames = checkTools(body);
  checkToolChoice(body, toolNames);
  if (format && opts.rejectResponseFormats?.includes(format as "json_schema" | "json_object")) {
    throw new Rejection(
      400,
      `response_format type '${format}' is not supported by this server.`,
      "response_format",
    );
  }
  if (toolNames !== undefined && opts.supportsTools === false) {
    throw new Rejection(400, "tools are not supported by this server.", "tools");
  }
}

function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

function usageOf(given: Usage | undefined, req: RecordedRequest, completionChars: number): Json {
  const prompt =
    given?.prompt_tokens ?? estimateTokens(req.messages.reduce((n, m) => n + (m.content?.length ?? 0), 0));
  const completion = given?.completion_tokens ?? estimateTokens(completionChars);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function completion(req: RecordedRequest, message: Json, finishReason: string, usage: Json): Json {
  return {
    id: randomId("chatcmpl-"),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: req.body.model,
    choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
    usage,
    system_fingerprint: "fp_scripted",
  };
}

export async function startOpenAIServer(
  script: Script | ScriptedReply[],
  opts: OpenAIServerOptions = {},
): Promise<OpenAIServer> {
  const requests: RecordedRequest[] = [];
  const chat: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;

  const run: Script = Array.isArray(script)
    ? (_req, index) => {
        const reply = script[index];
        if (reply === undefined) {
          return {
            status: 500,
            body: errorBody(
              `Scripted server: the script has only ${script.length} replies, but chat request #${index + 1} arrived.`,
              "server_error",
              null,
              null,
            ),
          };
        }
        return reply;
      }
    : script;

  function gone(res: ServerResponse): boolean {
    return (
      closing !== undefined ||
      res.destroyed ||
      res.writableEnded ||
      res.socket === null ||
      res.socket.destroyed
    );
  }

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    if (gone(res)) return;
    const text = JSON.stringify(body === undefined ? null : body);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader("content-type", "application/json");
    res.setHeader("content-length", Buffer.byteLength(text));
    if (!res.hasHeader("x-request-id")) res.setHeader("x-request-id", randomId("req_", 16));
    res.statusCode = status;
    res.end(text);
  }

  function reject(res: ServerResponse, r: Rejection): void {
    send(res, r.status, errorBody(r.message, r.type, r.param, r.code));
  }

  function answer(res: ServerResponse, req: RecordedRequest, reply: unknown): void {
    if (gone(res)) return;
    if (!isObject(reply)) throw new Error(`invalid scripted reply: ${JSON.stringify(reply)}`);
    if ("delay_ms" in reply) {
      const ms = reply.delay_ms;
      if (typeof ms !== "number" || ms < 0) throw new Error(`invalid scripted delay_ms: ${String(ms)}`);
      const timer = setTimeout(() => {
        timers.delete(timer);
        try {
          answer(res, req, reply.reply);
        } catch (err) {
          send(res, 500, errorBody(messageOf(err), "server_error", null, null));
        }
      }, ms);
      timers.add(timer);
      // The client gave up: drop the pending answer.
      res.once("close", () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
      return;
    }
    if ("hang" in reply) return; // Never answer; close() destroys the socket.
    if ("status" in reply) {
      const status = reply.status;
      if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
        throw new Error(`invalid scripted status: ${String(status)}`);
      }
      const body =
        reply.body !== undefined
          ? reply.body
          : errorBody(`Scripted error with status ${status}.`, errorTypeFor(status), null, null);
      send(res, status, body, isObject(reply.headers) ? (reply.headers as Record<string, string>) : {});
      return;
    }
    if ("tool_call" in reply) {
      const call = reply.tool_call;
      if (!isObject(call) || typeof call.name !== "string" || typeof call.arguments !== "string") {
        throw new Error("invalid scripted tool_call: expected { name: string, arguments: string }");
      }
      const message = {
        role: "assistant",
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: randomId("call_"),
            type: "function",
            function: { name: call.name, arguments: call.arguments },
          },
        ],
      };
      const usage = usageOf(reply.usage as Usage | undefined, req, call.name.length + call.arguments.length);
      send(res, 200, completion(req, message, "tool_calls", usage));
      return;
    }
    if ("content" in reply) {
      if (typeof reply.content !== "string") throw new Error("invalid scripted content: expected a string");
      const message = { role: "assistant", content: reply.content, refusal: null };
      const finish = typeof reply.finish_reason === "string" ? reply.finish_reason : "stop";
      send(
        res,
        200,
        completion(
          req,
          message,
          finish,
          usageOf(reply.usage as Usage | undefined, req, reply.content.length),
        ),
      );
      return;
    }
    throw new Error(`invalid scripted reply: ${JSON.stringify(reply)}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown = null;
    let parsed = raw.trim() === "";
    if (!parsed) {
      try {
        body = JSON.parse(raw);
        parsed = true;
      } catch {
        body = null;
      }
    }
    const path = req.url ?? "/";
    const pathname = new URL(path, "http://localhost").pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    const isChat = pathname === "/v1/chat/completions" || pathname === "/chat/completions";
    const recorded: RecordedRequest = {
      method,
      path,
      headers: req.headers,
      body,
      messages: isChat ? recordMessages(body) : [],
    };
    requests.push(recorded);

    if (opts.apiKey !== undefined) {
      const auth = req.headers.authorization;
      if (auth === undefined || !/^Bearer\s+/i.test(auth)) {
        send(
          res,
          401,
          errorBody(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            "invalid_request_error",
            null,
            null,
          ),
        );
        return;
      }
      const key = auth.replace(/^Bearer\s+/i, "").trim();
      if (key !== opts.apiKey) {
        const shown = key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : "*****";
        send(
          res,
          401,
          errorBody(
            `Incorrect API key provided: ${shown}.`,
            "invalid_request_error",
            null,
            "invalid_api_key",
          ),
        );
        return;
      }
    }

    const modelIds = opts.models ?? ["scripted-model"];
    const modelObject = (id: string) => ({
      id,
      object: "model",
      created: 1_700_000_000,
      owned_by: "shopsim-test",
    });
    if (method === "GET" && (pathname === "/v1/models" || pathname === "/models")) {
      send(res, 200, { object: "list", data: modelIds.map(modelObject) });
      return;
    }
    const one = /^(?:\/v1)?\/models\/(.+)$/.exec(pathname);
    if (method === "GET" && one) {
      const id = decodeURIComponent(one[1]!);
      if (modelIds.includes(id) || opts.models === undefined) send(res, 200, modelObject(id));
      else reject(res, new Rejection(404, `The model '${id}' does not exist`, "model", "model_not_found"));
      return;
    }
    if (!isChat || method !== "POST") {
      reject(res, new Rejection(404, `Invalid URL (${method} ${pathname || "/"})`));
      return;
    }
    if (!parsed) {
      reject(
        res,
        new Rejection(
          400,
          "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        ),
      );
      return;
    }
    try {
      validateChat(body, opts);
    } catch (err) {
      if (err instanceof Rejection) {
        reject(res, err);
        return;
      }
      throw err;
    }
    const index = chat.length;
    chat.push(recorded);
    let reply: ScriptedReply;
    try {
      reply = await run(recorded, index);
    } catch (err) {
      send(
        res,
        500,
        errorBody(`Scripted server: the script threw: ${messageOf(err)}`, "server_error", null, null),
      );
      return;
    }
    answer(res, recorded, reply);
  }

  const server = createServer((req, res) => {
    res.on("error", () => {});
    handle(req, res).catch((err: unknown) => {
      send(res, 500, errorBody(`Scripted server: ${messageOf(err)}`, "server_error", null, null));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => [...chat],
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
