import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import type {
  HumanLogs,
  HumanSession,
  HumanStep,
  ImportIssue,
  StepCategory,
} from "../../contracts/human-log.ts";
import { slug } from "../../simplify/names.ts";
import { show } from "./values.ts";

/**
 * WebShop raw human logs (Yao et al. 2022): one file per session, one JSON line per page view as
 * written by WebShop's web_agent_site/app.py — `page` (index | search_results | item_page |
 * item_sub_page | done), `url`, `goal`, `content` and, on done, `reward` and `reward_info`. The logs
 * hold pages, not actions: each action is derived from two consecutive page views.
 *
 * Transitions (the step is taken ON the earlier page and carries its url):
 * - index → search_results: type_and_submit `search_input`, the keywords joined by spaces (search)
 * - search_results → search_results, same keywords, page n → n±1: click `pagination.next` /
 *   `pagination.prev` (pagination)
 * - search_results → item_page: click `search_results.<asin in lower case>` (product_view)
 * - item_page → item_page, same product, one option chosen or changed: click
 *   `options.<option>.<value>`, both slugged to snake_case (option)
 * - item_page → item_sub_page: click `description` | `features` | `reviews` | `attributes`, read
 *   from the URL (detail)
 * - item_sub_page → item_page, or item_page → search_results with the same keywords: `back` (back).
 *   WebShop's "< Prev" button and the browser's back button both do this and the log cannot tell
 *   them apart, so both are the action type `back`.
 * - search_results | item_page | item_sub_page → index: click `back_to_search` (back). Only
 *   WebShop's "Back to Search" button starts a new search from the index page, so this one is a
 *   click on that button, not `back`.
 * - item_page → done: click `buy_now` (purchase)
 * The same page logged twice in a row (same page and url, e.g. a reload) is no action. Any other
 * transition is reported as an issue (file and line of the later page) and skipped. A log that
 * reaches `done` is a purchase; any other log ends with a `terminate` step on its last page.
 * There are no timestamps and no observations in these logs (null).
 */

export interface WebShopImportOptions {
  /** Keep at most this many sessions (files, in name order). */
  limit?: number;
}

const PAGES = ["index", "search_results", "item_page", "item_sub_page", "done"] as const;
type PageKind = (typeof PAGES)[number];

type Row = Record<string, unknown>;

/** One page view, with what the transitions need from its content and url. */
interface View {
  line: number;
  page: PageKind;
  url: string;
  row: Row;
  content: Row | null;
  keywords: string[] | null;
  pageNumber: number | null;
  asin: string | null;
  options: Record<string, string> | null;
  subPage: string | null;
  urlSession: string | null;
}

/**
 * Parses a Python literal of the kind WebShop puts in URLs and logs (`['a', 'b']`,
 * `{'size': '8'}`): strings in single or double quotes, numbers, True/False/None, lists, dicts.
 */
export function parsePythonLiteral(text: string): unknown {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      let value = "";
      i += 1;
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) {
          const next = text[i + 1]!;
          value += next === "n" ? "\n" : next === "t" ? "\t" : next;
          i += 2;
        } else {
          value += text[i];
          i += 1;
        }
      }
      if (i >= text.length) throw new Error("unterminated string");
      out += JSON.stringify(value);
      i += 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_]\w*/.exec(text.slice(i))![0];
      const json = word === "True" ? "true" : word === "False" ? "false" : word === "None" ? "null" : null;
      if (json === null) throw new Error(`unexpected name ${word}`);
      out += json;
      i += word.length;
    } else {
      out += c;
      i += 1;
    }
  }
  return JSON.parse(out);
}

/** The url's path segments, decoded; null when the url cannot be parsed. */
function urlSegments(url: string): string[] | null {
  try {
    return new URL(url, "http://webshop.invalid").pathname
      .split("/")
      .filter((s) => s !== "")
      .map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
}

function keywordsFrom(value: unknown): string[] | null {
  if (Array.isArray(value)) return value.every((k) => typeof k === "string") ? (value as string[]) : null;
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (text.startsWith("[")) {
    try {
      return keywordsFrom(parsePythonLiteral(text));
    } catch {
      return null;
    }
  }
  return text.split(/\s+/).filter((k) => k !== "");
}

function pageFrom(value: unknown): number | null {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : Number.NaN;
  return Number.isInteger(n) && n > 0 ? n : null;
}

function optionsFrom(value: unknown): Record<string, string> | null {
  let data = value;
  if (typeof data === "string") {
    try {
      data = parsePythonLiteral(data.trim() || "{}");
    } catch {
      return null;
    }
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data as Row)) {
    if (typeof v !== "string" && typeof v !== "number") return null;
    out[k] = `${v}`;
  }
  return out;
}

/** Reads one log line into a page view, or says which field is wrong. */
function parseView(text: string, line: number): View | { field: string | null; problem: string } {
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (error) {
    return { field: null, problem: `not valid JSON (${(error as Error).message})` };
  }
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    return { field: null, problem: `expected a JSON object, got ${show(row)}` };
  }
  const r = row as Row;
  if (typeof r.page !== "string" || !(PAGES as readonly string[]).includes(r.page)) {
    return { field: "page", problem: `expected one of ${PAGES.join(", ")}, got ${show(r.page)}` };
  }
  const page = r.page as PageKind;
  if (typeof r.url !== "string" || r.url === "") {
    return { field: "url", problem: `expected the page's url, got ${show(r.url)}` };
  }
  let content: Row | null = null;
  if (r.content !== undefined && r.content !== null) {
    let c: unknown = r.content;
    if (typeof c === "string") {
      // Some log lines carry content JSON-encoded a second time.
      try {
        c = JSON.parse(c);
      } catch (error) {
        return { field: "content", problem: `a string that is not JSON (${(error as Error).message})` };
      }
    }
    if (c === null || typeof c !== "object" || Array.isArray(c)) {
      return { field: "content", problem: `expected an object, got ${show(r.content)}` };
    }
    content = c as Row;
  }
  // URL layouts (web_agent_site/app.py): /<session>, /search_results/<session>/<keywords>/<page>,
  // /item_page/<session>/<asin>/<keywords>/<page>/<options>,
  // /item_sub_page/<session>/<asin>/<keywords>/<page>/<sub_page>/<options>, /done/<session>/<asin>/<options>
  const seg = urlSegments(r.url) ?? [];
  const at = (i: number): string | undefined => (seg[0] === page ? seg[i] : undefined);
  const view: View = {
    line,
    page,
    url: r.url,
    row: r,
    content,
    keywords: null,
    pageNumber: null,
    asin: null,
    options: null,
    subPage: null,
    urlSession: page === "index" ? (seg[seg.length - 1] ?? null) : (at(1) ?? null),
  };
  if (page === "search_results" || page === "item_page" || page === "item_sub_page") {
    const k = page === "search_results" ? 2 : 3;
    view.keywords = keywordsFrom(content?.keywords) ?? keywordsFrom(at(k));
    view.pageNumber = pageFrom(content?.page) ?? pageFrom(at(k + 1));
    if (view.keywords === null) {
      return { field: "content.keywords", problem: "no search keywords in content or url" };
    }
    if (view.pageNumber === null) {
      return { field: "content.page", problem: "no results page number in content or url" };
    }
  }
  if (page === "item_page" || page === "item_sub_page" || page === "done") {
    const asin = content?.asin ?? at(2);
    if (typeof asin !== "string" || asin === "") {
      return { field: "content.asin", problem: `expected the product's asin, got ${show(asin)}` };
    }
    view.asin = asin;
    const urlOptions = page === "item_page" ? at(5) : page === "item_sub_page" ? at(6) : at(3);
    view.options = optionsFrom(content?.options) ?? optionsFrom(urlOptions ?? "{}");
    if (view.options === null) {
      return {
        field: "content.options",
        problem: `expected an option → value map, got ${show(content?.options)}`,
      };
    }
  }
  if (page === "item_sub_page") {
    const sub = slug(at(5) ?? "");
    if (sub === "")
      return { field: "url", problem: "no sub page (description, features, reviews) in the url" };
    view.subPage = sub;
  }
  return view;
}

type Derived =
  | { action: Omit<HumanStep, "index" | "url"> }
  | { none: true }
  | { field: string; problem: string };

function click(semantic_id: string, category: StepCategory, label: string): Derived {
  return {
    action: {
      timestamp: null,
      observation: null,
      action_type: "click",
      semantic_id,
      input_text: null,
      rationale: null,
      category,
      source_label: label,
    },
  };
}

const sameKeywords = (a: View, b: View) => a.keywords?.join(" ") === b.keywords?.join(" ");
const sameProduct = (a: View, b: View) => a.asin?.toUpperCase() === b.asin?.toUpperCase();

/** The action that leads from page view `a` to page view `b`. */
function derive(a: View, b: View): Derived {
  if (a.page === b.page && a.url === b.url) return { none: true };
  const label = `${a.page}->${b.page}`;
  const unknown = (field: string, why: string): Derived => ({
    field,
    problem: `no WebShop action leads from ${a.page} (line ${a.line}) to ${b.page}: ${why}; transition skipped`,
  });
  if (a.page === "done") return unknown("page", "the session already ended at done");
  if (b.page === "index") {
    if (a.page === "index") return unknown("url", "a different index page");
    return click("back_to_search", "back", label);
  }
  switch (`${a.page}>${b.page}`) {
    case "index>search_results":
      return {
        action: {
          timestamp: null,
          observation: null,
          action_type: "type_and_submit",
          semantic_id: "search_input",
          input_text: b.keywords!.join(" "),
          rationale: null,
          category: "search",
          source_label: label,
        },
      };
    case "search_results>search_results": {
      if (!sameKeywords(a, b)) return unknown("content.keywords", "a new search without the index page");
      if (b.pageNumber! > a.pageNumber!) return click("pagination.next", "pagination", label);
      if (b.pageNumber! < a.pageNumber!) return click("pagination.prev", "pagination", label);
      return unknown("url", "the same results page at another url");
    }
    case "search_results>item_page":
      return click(`search_results.${b.asin!.toLowerCase()}`, "product_view", label);
    case "item_page>item_page": {
      if (!sameProduct(a, b)) return unknown("content.asin", "another product without the results page");
      const before = a.options!;
      const after = b.options!;
      const changed = Object.keys(after).filter((k) => before[k] !== after[k]);
      const removed = Object.keys(before).filter((k) => !(k in after));
      if (changed.length !== 1 || removed.length > 0) {
        return unknown(
          "content.options",
          `expected one option chosen, got ${show(before)} then ${show(after)}`,
        );
      }
      const name = changed[0]!;
      return click(`options.${slug(name) || "option"}.${slug(after[name]!) || "value"}`, "option", label);
    }
    case "item_page>item_sub_page":
      if (!sameProduct(a, b)) return unknown("content.asin", "a sub page of another product");
      return click(b.subPage!, "detail", label);
    case "item_sub_page>item_page":
      if (!sameProduct(a, b)) return unknown("content.asin", "another product's page");
      return back(label);
    case "item_page>search_results":
      if (!sameKeywords(a, b)) return unknown("content.keywords", "results of another search");
      return back(label);
    case "item_page>done":
      if (!sameProduct(a, b)) return unknown("content.asin", "bought another product than the one shown");
      return click("buy_now", "purchase", label);
    default:
      return unknown("page", "WebShop has no link between these pages");
  }
}

function back(label: string): Derived {
  return {
    action: {
      timestamp: null,
      observation: null,
      action_type: "back",
      semantic_id: null,
      input_text: null,
      rationale: null,
      category: "back",
      source_label: label,
    },
  };
}

type Meta = HumanSession["meta"];

function scalar(value: unknown): string | number | boolean | null | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  return undefined;
}

function sessionMeta(views: View[]): Meta {
  const meta: Meta = {};
  const first = views[0]!;
  meta.url_session_id = first.urlSession;
  const goal = views.find((v) => v.row.goal && typeof v.row.goal === "object")?.row.goal as Row | undefined;
  if (goal) {
    for (const key of ["asin", "category", "query", "price_upper"]) {
      const v = scalar(goal[key]);
      if (v !== undefined) meta[`goal_${key}`] = v;
    }
    if (Array.isArray(goal.goal_options)) meta.goal_options = goal.goal_options.map(String).join(", ");
  }
  const done = views.find((v) => v.page === "done");
  if (done) {
    meta.purchased_asin = done.asin;
    const price = scalar(done.content?.price);
    if (price !== undefined) meta.purchased_price = price;
    meta.purchased_options = JSON.stringify(done.options ?? {});
    meta.reward = typeof done.row.reward === "number" ? done.row.reward : null;
    const info = done.row.reward_info;
    if (info && typeof info === "object" && !Array.isArray(info)) {
      for (const [k, v] of Object.entries(info as Row)) {
        const s = scalar(v);
        if (s !== undefined) meta[`reward_info.${k}`] = s;
      }
    }
  }
  return meta;
}

/** One WebShop log file → one session, or null when no line of it is usable. */
async function importFile(
  file: string,
  issues: ImportIssue[],
  counts: { records: number; skipped: number },
): Promise<HumanSession | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    issues.push({ file, line: null, field: null, problem: `cannot read: ${(error as Error).message}` });
    return null;
  }
  const views: View[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    counts.records += 1;
    const parsed = parseView(line, i + 1);
    if ("page" in parsed) views.push(parsed);
    else {
      issues.push({ file, line: i + 1, field: parsed.field, problem: parsed.problem });
      counts.skipped += 1;
    }
  });
  if (views.length === 0) {
    issues.push({
      file,
      line: null,
      field: null,
      problem: "no usable page view (expected WebShop log lines)",
    });
    return null;
  }
  const steps: HumanStep[] = [];
  let prev = views[0]!;
  for (const view of views.slice(1)) {
    const derived = derive(prev, view);
    if ("action" in derived) steps.push({ index: steps.length, url: prev.url, ...derived.action });
    else if ("field" in derived)
      issues.push({ file, line: view.line, field: derived.field, problem: derived.problem });
    // A page after done is reported and ignored: the session stays ended.
    if (prev.page !== "done") prev = view;
  }
  const purchased = prev.page === "done";
  if (!purchased) {
    steps.push({
      index: steps.length,
      timestamp: null,
      url: prev.url,
      observation: null,
      action_type: "terminate",
      semantic_id: null,
      input_text: null,
      rationale: null,
      category: "terminate",
      source_label: "end_of_log",
    });
  }
  const goalRow = views.find((v) => v.row.goal && typeof v.row.goal === "object")?.row.goal as
    | Row
    | undefined;
  const goal = typeof goalRow?.instruction_text === "string" ? goalRow.instruction_text : null;
  return {
    session_id: basename(file, extname(file)),
    source: "webshop",
    file,
    persona: null,
    goal,
    outcome: purchased ? "purchase" : "terminate",
    steps,
    summary: null,
    meta: sessionMeta(views),
  };
}

/**
 * Imports WebShop raw human logs: each file (JSON lines) is one session, named after the file.
 * Files are read in name order.
 */
export async function importWebShop(files: string[], opts: WebShopImportOptions = {}): Promise<HumanLogs> {
  const issues: ImportIssue[] = [];
  const counts = { records: 0, skipped: 0 };
  const sessions: HumanSession[] = [];
  const sorted = [...files].sort();
  const read: string[] = [];
  for (const file of sorted) {
    if (opts.limit !== undefined && sessions.length >= opts.limit) break;
    read.push(file);
    const session = await importFile(file, issues, counts);
    if (session) sessions.push(session);
  }
  return {
    sessions,
    report: {
      format: "webshop",
      files: read,
      records: counts.records,
      sessions: sessions.length,
      skipped: counts.skipped,
      issues,
    },
  };
}
