import { z } from "zod";
import { type Action, ActionSchema } from "../../contracts/action.ts";
import { closestNames } from "../../simplify/closest.ts";

/** What the model answers in one turn: the reason first, then the action (the paper's order). */
export const DecisionReplySchema = z
  .object({
    rationale: z.string().describe("What you notice on the page and why you take the action, as the shopper"),
    action: ActionSchema,
  })
  .strict();

/** The second turn of the two-turn form: the action alone, after the rationale turn. */
export const ActionReplySchema = z.object({ action: ActionSchema }).strict();

/**
 * The reply schema as JSON Schema in the subset strict structured-output servers accept: every
 * property required, no extra properties, `anyOf` rather than `oneOf`, `enum` rather than `const`,
 * no string-length keywords, no `$schema`.
 */
export function replyJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const raw = z.toJSONSchema(schema, { target: "draft-7" }) as Record<string, unknown>;
  return portable(raw) as Record<string, unknown>;
}

function portable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(portable);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema" || key === "minLength" || key === "maxLength") continue;
    if (key === "oneOf") out.anyOf = portable(value);
    else if (key === "const") out.enum = [value];
    else out[key] = portable(value);
  }
  return out;
}

/** Why a reply could not be used; `message` is what the re-ask quotes back to the model. */
export interface ReplyProblem {
  kind: "invalid_json" | "schema" | "unknown_name";
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: ReplyProblem };

/**
 * The first JSON object in a model's text: the whole text, a fenced ```json block, or the first
 * balanced {...} that parses. Reasoning models' <think>…</think> preambles are skipped.
 */
export function extractJson(text: string): unknown {
  const body = text.replace(/<think>[\s\S]*?<\/think>/gi, "").trim();
  try {
    return JSON.parse(body);
  } catch {
    // fall through to searching
  }
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(body);
  if (fence?.[1]) {
    try {
      return JSON.parse(fence[1].trim());
    } catch {
      // fall through
    }
  }
  for (let start = body.indexOf("{"); start >= 0; start = body.indexOf("{", start + 1)) {
    const end = matchingBrace(body, start);
    if (end < 0) continue;
    try {
      return JSON.parse(body.slice(start, end + 1));
    } catch {
      // try the next opening brace
    }
  }
  return undefined;
}

/** Index of the `}` closing the `{` at `start`, skipping strings; -1 if it never closes. */
function matchingBrace(s: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  return -1;
}

/**
 * Small models often flatten the reply ({"rationale":…, "type":"click", "name":…}) or send the
 * action alone; both are read as the intended shape.
 */
function normalize(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  if (!("action" in v) && typeof v.type === "string") {
    const { rationale, thought, reasoning, ...action } = v;
    const why = rationale ?? thought ?? reasoning;
    return why === undefined ? { action } : { rationale: why, action };
  }
  return v;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(reply)"}: ${i.message}`)
    .join("; ");
}

/** Reads a reply text against `schema`, and checks the action's element name against the page. */
export function parseReply<T extends { action: Action }>(
  text: string,
  schema: z.ZodType<T>,
  names: readonly string[],
): Parsed<T> {
  const json = extractJson(text);
  if (json === undefined) {
    return {
      ok: false,
      problem: {
        kind: "invalid_json",
        message: `the reply is not valid JSON (it began: ${JSON.stringify(text.slice(0, 120))})`,
      },
    };
  }
  const parsed = schema.safeParse(normalize(json));
  if (!parsed.success) {
    return {
      ok: false,
      problem: {
        kind: "schema",
        message: `the reply does not match the schema: ${describeIssues(parsed.error)}`,
      },
    };
  }
  const action = parsed.data.action;
  if ("name" in action && !names.includes(action.name)) {
    const close = closestNames(action.name, names, 5);
    return {
      ok: false,
      problem: {
        kind: "unknown_name",
        message: `there is no element named "${action.name}" on this page${close.length ? `; the closest names are: ${close.join(", ")}` : ""}`,
      },
    };
  }
  return { ok: true, value: parsed.data };
}
