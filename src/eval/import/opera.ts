import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import type {
  HumanActionType,
  HumanLogs,
  HumanSession,
  HumanStep,
  ImportIssue,
  StepCategory,
} from "../../contracts/human-log.ts";
import { show } from "./values.ts";

/**
 * OPeRA (Observation, Persona, Rationale, Action; Wang et al. 2025, the dataset behind Lu et al.):
 * real Amazon shopping sessions. Three kinds of records, published as Parquet and as JSON:
 * - actions: `session_id, action_id, timestamp, action_type (click | input | terminate), click_type,
 *   semantic_id, url, simplified_html, rationale, input_text, products` (and more we ignore);
 * - users: `user_id` and free-text survey answers (the persona);
 * - sessions: `session_id` and, when present, `user_id` (links a session to its user).
 * A file's kind is decided by its columns: any action column → action file; else `session_id` →
 * session file; else `user_id` → user file.
 */

export interface OperaImportOptions {
  /** Keep at most this many sessions (in order of first appearance). */
  limit?: number;
}

type Row = Record<string, unknown>;

/** One record as read: where it came from and its fields. `line` is the 1-based line or row. */
interface SourceRecord {
  file: string;
  line: number;
  row: Row;
}

interface ParsedAction {
  session_id: string;
  action_id: string | null;
  ms: number;
  step: Omit<HumanStep, "index">;
  user_id: string | null;
  purchase_in_products: boolean;
  file: string;
  line: number;
  seq: number;
}

const ACTION_KEYS = ["action_type", "action_id", "semantic_id", "click_type", "simplified_html"];

/** OPeRA action types → ours; `input` is the paper's type_and_submit (the typed text is input_text). */
const ACTION_TYPES: Record<string, HumanActionType> = {
  click: "click",
  input: "type_and_submit",
  type_and_submit: "type_and_submit",
  terminate: "terminate",
};

/** OPeRA click types (normalised to snake_case) whose shopping meaning is clear. */
const CLICK_CATEGORIES: Record<string, StepCategory> = {
  purchase: "purchase",
  buy: "purchase",
  buy_now: "purchase",
  place_order: "purchase",
  place_your_order: "purchase",
  add_to_cart: "cart",
  cart: "cart",
  cart_page: "cart",
  cart_side_bar: "cart",
  view_cart: "cart",
  checkout: "checkout",
  proceed_to_checkout: "checkout",
  search: "search",
  search_button: "search",
  suggested_term: "search",
  product: "product_view",
  product_link: "product_view",
  filter: "filter",
  sort: "sort",
  next_page: "pagination",
  prev_page: "pagination",
  previous_page: "pagination",
  page: "pagination",
  pagination: "pagination",
  option: "option",
  product_option: "option",
  review: "detail",
  reviews: "detail",
  description: "detail",
  detail: "detail",
  nav_bar: "navigation",
  navigation: "navigation",
  back: "back",
};

/** The step category an OPeRA click_type clearly states, or null. */
export function operaCategory(clickType: string | null): StepCategory | null {
  if (!clickType) return null;
  const key = clickType
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return Object.hasOwn(CLICK_CATEGORIES, key) ? (CLICK_CATEGORIES[key] ?? null) : null;
}

const ISO_RE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Epoch seconds, milliseconds, microseconds or nanoseconds → milliseconds, by magnitude. */
function epochToMs(n: number): number {
  const a = Math.abs(n);
  if (a < 1e11) return n * 1000;
  if (a < 1e14) return n;
  if (a < 1e17) return n / 1e3;
  return n / 1e6;
}

/**
 * A timestamp as OPeRA files carry it — an ISO string (a time without zone is UTC), epoch seconds or
 * milliseconds as a number, bigint or numeric string, or a Date (Parquet timestamp columns) — as an
 * ISO string and epoch milliseconds; null when it is none of these.
 */
export function operaTimestamp(value: unknown): { iso: string; ms: number } | null {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "bigint") ms = epochToMs(Number(value));
  else if (typeof value === "number") ms = epochToMs(value);
  else if (typeof value === "string") {
    const text = value.trim();
    if (/^-?\d+(\.\d+)?$/.test(text)) ms = epochToMs(Number(text));
    else {
      const m = ISO_RE.exec(text);
      if (!m) return null;
      const [, date, time, frac, zone] = m;
      let tz = (zone ?? "Z").toUpperCase();
      if (/^[+-]\d{4}$/.test(tz)) tz = `${tz.slice(0, 3)}:${tz.slice(3)}`;
      ms = Date.parse(`${date}T${time ?? "00:00:00"}${frac ? frac.slice(0, 4) : ""}${tz}`);
    }
  } else return null;
  if (!Number.isFinite(ms)) return null;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return null;
  return { iso: date.toISOString(), ms };
}

/** An identifier field: a non-empty string, or a number/bigint as text; null when absent. */
function idField(row: Row, key: string): string | null | { bad: string } {
  const value = row[key];
  if (value === undefined || value === null || value === "") return null;
  if (typeof value === "string") return value.trim() === "" ? null : value;
  if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "bigint") return `${value}`;
  return { bad: `expected a string, got ${show(value)}` };
}

/** An optional text field: string (empty → null), number/boolean as text, else an error. */
function textField(row: Row, key: string): string | null | { bad: string } {
  const value = row[key];
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value === "" ? null : value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return `${value}`;
  return { bad: `expected a string, got ${show(value)}` };
}

const PURCHASE_WORDS = /purchas|bought|buy_now|place_order|order_placed/i;
const PURCHASE_FLAGS = new Set(["purchased", "is_purchased", "bought", "is_bought", "purchase"]);
const LABEL_KEYS = new Set(["action", "status", "event", "type", "label", "click_type"]);

function truthy(value: unknown): boolean {
  if (typeof value === "string") return /^(true|yes|1)$/i.test(value.trim());
  return value === true || value === 1 || value === 1n;
}

/**
 * Whether an action's `products` field records a purchase: an entry flagged `purchased` (or
 * `bought`), or labelled with a purchase word in `action`/`status`/`event`/`type`. The field is
 * free-form (often a JSON string); anything else, or text that is not JSON, is no purchase.
 */
function productsShowPurchase(value: unknown, depth = 0): boolean {
  if (depth > 4 || value === null || value === undefined) return false;
  if (typeof value === "string") {
    const text = value.trim();
    if (!text.startsWith("{") && !text.startsWith("[")) return false;
    try {
      return productsShowPurchase(JSON.parse(text), depth + 1);
    } catch {
      return false;
    }
  }
  if (Array.isArray(value)) return value.some((v) => productsShowPurchase(v, depth + 1));
  if (typeof value === "object") {
    for (const [key, v] of Object.entries(value as Row)) {
      const k = key.toLowerCase();
      if (PURCHASE_FLAGS.has(k) && (truthy(v) || (Array.isArray(v) && v.length > 0))) return true;
      if (LABEL_KEYS.has(k) && typeof v === "string" && PURCHASE_WORDS.test(v)) return true;
      if (typeof v === "object" && productsShowPurchase(v, depth + 1)) return true;
    }
  }
  return false;
}

/** Persona text of a user record: every field but identifiers, as `field: value` lines. */
function personaText(row: Row): string | null {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(row)) {
    if (key === "id" || /(^|_)id$/i.test(key)) continue;
    let text: string | null = null;
    if (typeof value === "string") text = value.trim() || null;
    else if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean")
      text = `${value}`;
    else if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number"))
      text = value.join(", ") || null;
    if (text !== null) lines.push(`${key}: ${text}`);
  }
  return lines.length > 0 ? lines.join("\n") : null;
}

function jsonErrorLine(text: string, message: string): number | null {
  const line = /line (\d+)/.exec(message);
  if (line) return Number(line[1]);
  const pos = /position (\d+)/.exec(message);
  if (pos) return text.slice(0, Number(pos[1])).split("\n").length;
  return null;
}

/**
 * The records of one OPeRA file. Parquet: one per row (line = 1-based row). JSON: an array
 * (line = 1-based position in the array) or JSON lines (line = 1-based line). Bad lines and an
 * unreadable file become issues.
 */
async function readRecords(
  file: string,
  issues: ImportIssue[],
): Promise<{ records: SourceRecord[]; bad: number }> {
  const records: SourceRecord[] = [];
  let bad = 0;
  if (extname(file).toLowerCase() === ".parquet") {
    let rows: Row[];
    try {
      rows = (await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors })) as Row[];
    } catch (error) {
      issues.push({
        file,
        line: null,
        field: null,
        problem: `cannot read Parquet: ${(error as Error).message}`,
      });
      return { records, bad };
    }
    rows.forEach((row, i) => {
      records.push({ file, line: i + 1, row });
    });
    return { records, bad };
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    issues.push({ file, line: null, field: null, problem: `cannot read: ${(error as Error).message}` });
    return { records, bad };
  }
  if (text.trimStart().startsWith("[")) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      issues.push({
        file,
        line: jsonErrorLine(text, message),
        field: null,
        problem: `not a valid JSON array (${message})`,
      });
      return { records, bad };
    }
    (data as unknown[]).forEach((row, i) => {
      if (row !== null && typeof row === "object" && !Array.isArray(row))
        records.push({ file, line: i + 1, row: row as Row });
      else {
        issues.push({ file, line: i + 1, field: null, problem: `expected a JSON object, got ${show(row)}` });
        bad += 1;
      }
    });
    return { records, bad };
  }
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      issues.push({
        file,
        line: i + 1,
        field: null,
        problem: `not valid JSON (${(error as Error).message})`,
      });
      bad += 1;
      return;
    }
    if (row !== null && typeof row === "object" && !Array.isArray(row))
      records.push({ file, line: i + 1, row: row as Row });
    else {
      issues.push({ file, line: i + 1, field: null, problem: `expected a JSON object, got ${show(row)}` });
      bad += 1;
    }
  });
  return { records, bad };
}

type FileKind = "action" | "session" | "user";

function fileKind(records: SourceRecord[]): FileKind | null {
  let session = false;
  let user = false;
  for (const { row } of records) {
    if (ACTION_KEYS.some((k) => k in row)) return "action";
    if ("session_id" in row) session = true;
    if ("user_id" in row) user = true;
  }
  return session ? "session" : user ? "user" : null;
}

/** Validates one action record; returns the parsed action or the field at fault. */
function parseAction(rec: SourceRecord, seq: number): ParsedAction | { field: string; problem: string } {
  const { row } = rec;
  const sessionId = idField(row, "session_id");
  if (sessionId === null) return { field: "session_id", problem: "missing" };
  if (typeof sessionId !== "string") return { field: "session_id", problem: sessionId.bad };
  const rawType = row.action_type;
  const actionType = typeof rawType === "string" ? ACTION_TYPES[rawType.trim().toLowerCase()] : undefined;
  if (actionType === undefined) {
    return {
      field: "action_type",
      problem: `expected click, input or terminate, got ${show(rawType)}`,
    };
  }
  const time = operaTimestamp(row.timestamp);
  if (time === null) {
    return {
      field: "timestamp",
      problem: `expected an ISO 8601 time or epoch seconds/milliseconds, got ${show(row.timestamp)}`,
    };
  }
  const actionId = idField(row, "action_id");
  if (actionId !== null && typeof actionId !== "string") return { field: "action_id", problem: actionId.bad };
  const userId = idField(row, "user_id");
  if (userId !== null && typeof userId !== "string") return { field: "user_id", problem: userId.bad };
  const text: Record<string, string | null> = {};
  for (const key of ["click_type", "semantic_id", "url", "simplified_html", "rationale", "input_text"]) {
    const value = textField(row, key);
    if (value !== null && typeof value !== "string") return { field: key, problem: value.bad };
    text[key] = value;
  }
  let inputText: string | null = null;
  if (actionType === "type_and_submit") {
    // The typed text is the action; "" is a real (empty) input, absent is not.
    const raw = row.input_text;
    if (typeof raw !== "string") {
      return { field: "input_text", problem: `an input action needs its typed text, got ${show(raw)}` };
    }
    inputText = raw;
  }
  const clickType = text.click_type ?? null;
  const category: StepCategory | null = actionType === "terminate" ? "terminate" : operaCategory(clickType);
  return {
    session_id: sessionId,
    action_id: actionId,
    ms: time.ms,
    user_id: userId,
    purchase_in_products: productsShowPurchase(row.products),
    file: rec.file,
    line: rec.line,
    seq,
    step: {
      timestamp: time.iso,
      url: text.url ?? null,
      observation: text.simplified_html ?? null,
      action_type: actionType,
      semantic_id: actionType === "terminate" ? null : (text.semantic_id ?? null),
      input_text: inputText,
      rationale: text.rationale ?? null,
      category,
      source_label: clickType,
    },
  };
}

/**
 * Imports OPeRA files (action, user and session files; Parquet or JSON, any mix). Actions are
 * grouped by session_id and ordered by timestamp, then action_id; `input` becomes type_and_submit.
 * Outcome: purchase when the last action is a purchase click or some action's `products` records a
 * purchase; terminate when the session ends with terminate; else unknown. Persona: the user's survey
 * text, linked through `user_id` on the actions, on a session record, or as the session_id's
 * `<user_id>_` prefix (how OPeRA's session ids are built).
 */
export async function importOpera(files: string[], opts: OperaImportOptions = {}): Promise<HumanLogs> {
  const issues: ImportIssue[] = [];
  let records = 0;
  let skipped = 0;
  const actions: ParsedAction[] = [];
  const seen = new Map<string, string>();
  const users = new Map<string, string | null>();
  const sessionUsers = new Map<string, string>();
  const sorted = [...files].sort();

  for (const file of sorted) {
    const before = issues.length;
    const { records: recs, bad: badRecords } = await readRecords(file, issues);
    skipped += badRecords;
    records += recs.length + badRecords;
    if (recs.length === 0) {
      if (issues.length === before) issues.push({ file, line: null, field: null, problem: "no records" });
      continue;
    }
    const kind = fileKind(recs);
    if (kind === null) {
      const columns = Object.keys(recs[0]?.row ?? {}).slice(0, 8);
      issues.push({
        file,
        line: null,
        field: null,
        problem: `not an OPeRA action, session or user file (fields: ${columns.join(", ")}); expected action_type, session_id or user_id`,
      });
      skipped += recs.length;
      continue;
    }
    for (const rec of recs) {
      const bad = (field: string | null, problem: string) => {
        issues.push({ file: rec.file, line: rec.line, field, problem });
        skipped += 1;
      };
      if (kind === "action") {
        const parsed = parseAction(rec, actions.length);
        if (!("session_id" in parsed)) {
          bad(parsed.field, parsed.problem);
          continue;
        }
        if (parsed.action_id !== null) {
          const key = `${parsed.session_id}\0${parsed.action_id}`;
          const first = seen.get(key);
          if (first !== undefined) {
            bad(
              "action_id",
              `duplicate action ${parsed.action_id} of session ${parsed.session_id} (first at ${first})`,
            );
            continue;
          }
          seen.set(key, `${rec.file}:${rec.line}`);
        }
        actions.push(parsed);
      } else if (kind === "user") {
        const userId = idField(rec.row, "user_id");
        if (typeof userId !== "string") {
          bad("user_id", userId === null ? "missing" : userId.bad);
          continue;
        }
        if (users.has(userId)) {
          bad("user_id", `duplicate user ${userId}; the first record is used`);
          continue;
        }
        users.set(userId, personaText(rec.row));
      } else {
        const sessionId = idField(rec.row, "session_id");
        if (typeof sessionId !== "string") {
          bad("session_id", sessionId === null ? "missing" : sessionId.bad);
          continue;
        }
        const userId = idField(rec.row, "user_id");
        if (userId !== null && typeof userId !== "string") {
          bad("user_id", userId.bad);
          continue;
        }
        if (userId !== null && !sessionUsers.has(sessionId)) sessionUsers.set(sessionId, userId);
      }
    }
  }

  const groups = new Map<string, ParsedAction[]>();
  for (const action of actions) {
    const group = groups.get(action.session_id);
    if (group) group.push(action);
    else groups.set(action.session_id, [action]);
  }
  const sessions: HumanSession[] = [];
  for (const [sessionId, group] of groups) {
    if (opts.limit !== undefined && sessions.length >= opts.limit) break;
    const file = group[0]!.file;
    group.sort(
      (a, b) =>
        a.ms - b.ms ||
        (a.action_id ?? "").localeCompare(b.action_id ?? "", "en", { numeric: true }) ||
        a.seq - b.seq,
    );
    const steps: HumanStep[] = group.map((a, index) => ({ index, ...a.step }));
    const last = steps[steps.length - 1]!;
    const outcome =
      (last.action_type === "click" && last.category === "purchase") ||
      group.some((a) => a.purchase_in_products)
        ? "purchase"
        : last.action_type === "terminate"
          ? "terminate"
          : "unknown";
    let userId = group.find((a) => a.user_id !== null)?.user_id ?? sessionUsers.get(sessionId) ?? null;
    if (userId === null) {
      const byPrefix = [...users.keys()].filter((u) => sessionId.startsWith(`${u}_`));
      if (byPrefix.length === 1) userId = byPrefix[0]!;
    }
    sessions.push({
      session_id: sessionId,
      source: "opera",
      file,
      persona: userId !== null ? (users.get(userId) ?? null) : null,
      goal: null,
      outcome,
      steps,
      summary: null,
      meta: { user_id: userId },
    });
  }
  issues.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
  return {
    sessions,
    report: { format: "opera", files: sorted, records, sessions: sessions.length, skipped, issues },
  };
}
