import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import zlib from "node:zlib";
import { parquetWriteFile } from "hyparquet-writer";
import { beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../src/contracts/errors.ts";
import { type HumanLogs, type HumanSession, HumanSessionSchema } from "../src/contracts/human-log.ts";
import type { RunManifestInput, SessionRecord, Step } from "../src/contracts/trajectory.ts";
import { detectInput, FORMATS, importHumanLogs } from "../src/eval/import/index.ts";
import { importOpera, operaCategory, operaTimestamp } from "../src/eval/import/opera.ts";
import { importRunDir } from "../src/eval/import/run-dir.ts";
import { importUci } from "../src/eval/import/uci.ts";
import { importWebShop, parsePythonLiteral } from "../src/eval/import/webshop.ts";
import { RunWriter } from "../src/trajectory/run-dir.ts";
import { dataset } from "./helpers/datasets.ts";

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `shopsim-import-${prefix}-`));

/** Every produced session must satisfy the contract. */
function expectValid(logs: HumanLogs): void {
  for (const session of logs.sessions) expect(HumanSessionSchema.parse(session)).toEqual(session);
  expect(logs.report.sessions).toBe(logs.sessions.length);
}

const issueKeys = (logs: HumanLogs) => logs.report.issues.map((i) => [i.line, i.field]);
const withoutFile = (sessions: HumanSession[]) => sessions.map(({ file: _file, ...rest }) => rest);

// ---------------------------------------------------------------------------------------------
// WebShop raw human logs
// ---------------------------------------------------------------------------------------------

const WEBSHOP_FILES = ["20220427_1_12", "20220427_1_13", "20220427_1_15"].map((id) =>
  dataset(`webshop-human-sessions/${id}.jsonl`),
);
const WEBSHOP_DIR = dirname(WEBSHOP_FILES[0]!);

/** [action_type, semantic_id, input_text, category, line of the page the action was taken on]. */
type Expected = [string, string | null, string | null, string, number];

const WEBSHOP_EXPECTED: Record<string, { goal: string; reward: number; steps: Expected[] }> = {
  // index → results → index ("Back to Search") → a second search → item → buy
  "20220427_1_12": {
    goal: "i'm looking for living room furniture and kitchen furniture and need to buy it, and price lower than 490.00 dollars",
    reward: 0.5,
    steps: [
      ["type_and_submit", "search_input", "living room furniture", "search", 1],
      ["click", "back_to_search", null, "back", 2],
      ["type_and_submit", "search_input", "living room and kitchen furniture", "search", 3],
      ["click", "search_results.b09lylklvx", null, "product_view", 4],
      ["click", "buy_now", null, "purchase", 5],
    ],
  },
  // index logged twice (no action) → results → item → back to results → another item → buy
  "20220427_1_13": {
    goal: "i am looking for a hair salon capacity spray bottle, and price lower than 50.00 dollars",
    reward: 0.5,
    steps: [
      ["type_and_submit", "search_input", "spray bottle hair salon capacity below $50", "search", 2],
      ["click", "search_results.b095lqzbrn", null, "product_view", 3],
      ["back", null, null, "back", 4],
      ["click", "search_results.b089rkprn3", null, "product_view", 5],
      ["click", "buy_now", null, "purchase", 6],
    ],
  },
  // results → item → size 8 → color z2-pink → buy
  "20220427_1_15": {
    goal: "i need a pair of pink loafers for teen girls. they should be size eight, and price lower than 50.00 dollars",
    reward: 0.75,
    steps: [
      ["type_and_submit", "search_input", "teen girl pink loafers size eight", "search", 1],
      ["click", "search_results.b0868kf3zb", null, "product_view", 2],
      ["click", "options.size.8", null, "option", 3],
      ["click", "options.color.z2_pink", null, "option", 4],
      ["click", "buy_now", null, "purchase", 5],
    ],
  },
};

const urlsOf = (file: string): string[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { url: string }).url);

describe("WebShop human logs", () => {
  it("derives the exact action sequence of each real log, with goals and outcomes", async () => {
    const logs = await importHumanLogs(WEBSHOP_DIR);
    expectValid(logs);
    expect(logs.report).toMatchObject({
      format: "webshop",
      records: 19,
      sessions: 3,
      skipped: 0,
      issues: [],
    });
    expect(logs.report.files).toEqual(WEBSHOP_FILES);
    expect(logs.sessions.map((s) => s.session_id)).toEqual(Object.keys(WEBSHOP_EXPECTED));
    for (const [i, session] of logs.sessions.entries()) {
      const expected = WEBSHOP_EXPECTED[session.session_id]!;
      const urls = urlsOf(WEBSHOP_FILES[i]!);
      expect(session.source).toBe("webshop");
      expect(session.file).toBe(WEBSHOP_FILES[i]);
      expect(session.goal).toBe(expected.goal);
      expect(session.outcome).toBe("purchase");
      expect(session.meta.reward).toBe(expected.reward);
      expect(session.persona).toBeNull();
      expect(
        session.steps.map((s) => [s.action_type, s.semantic_id, s.input_text, s.category, s.url]),
      ).toEqual(expected.steps.map(([t, n, text, c, line]) => [t, n, text, c, urls[line - 1]]));
      expect(session.steps.map((s) => s.index)).toEqual(expected.steps.map((_, k) => k));
      for (const step of session.steps) {
        expect(step.timestamp).toBeNull();
        expect(step.observation).toBeNull();
        expect(step.rationale).toBeNull();
      }
    }
    const loafers = logs.sessions[2]!;
    expect(loafers.meta).toMatchObject({
      purchased_asin: "B0868KF3ZB",
      goal_asin: "B096W49HCJ",
      "reward_info.r_option": 1,
    });
  });

  it("reads one log file, and parses WebShop's Python literals", async () => {
    const logs = await importHumanLogs(WEBSHOP_FILES[1]!);
    expect(logs.report.format).toBe("webshop");
    expect(logs.sessions.map((s) => s.session_id)).toEqual(["20220427_1_13"]);
    expect(parsePythonLiteral("['a', \"b's\", 'c\\'d']")).toEqual(["a", "b's", "c'd"]);
    expect(parsePythonLiteral("{'size': '8', 'n': 2, 'x': None, 'y': True}")).toEqual({
      size: "8",
      n: 2,
      x: null,
      y: true,
    });
  });

  describe("derived transitions and malformed lines (synthetic logs in WebShop's layout)", () => {
    const H = "http://3.83.245.205:3000";
    const kw = (words: string[]) => encodeURIComponent(`[${words.map((w) => `'${w}'`).join(", ")}]`);
    const opt = (o: Record<string, string>) =>
      encodeURIComponent(
        `{${Object.entries(o)
          .map(([k, v]) => `'${k}': '${v}'`)
          .join(", ")}}`,
      );
    const goal = { asin: "B000TEST01", instruction_text: "i want a red mug", price_upper: 20 };
    const line = (o: object) => JSON.stringify({ goal, ...o });
    let dir: string;
    let logs: HumanLogs;

    beforeAll(async () => {
      dir = tmp("webshop");
      const red = ["red", "mug"];
      const s1 = [
        line({ page: "index", url: `${H}/synth_1` }),
        // content JSON-encoded a second time, as some real lines have it
        line({
          page: "search_results",
          url: `${H}/search_results/synth_1/${kw(red)}/1`,
          content: JSON.stringify({ keywords: red, search_result_asins: ["B000TEST01"], page: 1 }),
        }),
        line({
          page: "search_results",
          url: `${H}/search_results/synth_1/${kw(red)}/2`,
          content: { keywords: red, page: 2 },
        }),
        line({
          page: "search_results",
          url: `${H}/search_results/synth_1/${kw(red)}/1`,
          content: { keywords: red, page: 1 },
        }),
        line({
          page: "item_page",
          url: `${H}/item_page/synth_1/B000TEST01/${kw(red)}/1/%7B%7D`,
          content: { keywords: "['red', 'mug']", page: "1", asin: "B000TEST01", options: {} },
        }),
        line({
          page: "item_sub_page",
          url: `${H}/item_sub_page/synth_1/B000TEST01/${kw(red)}/1/Reviews/%7B%7D`,
          content: { keywords: "['red', 'mug']", page: "1", asin: "B000TEST01", options: {} },
        }),
        line({
          page: "item_page",
          url: `${H}/item_page/synth_1/B000TEST01/${kw(red)}/1/%7B%7D`,
          content: { keywords: "['red', 'mug']", page: "1", asin: "B000TEST01", options: {} },
        }),
        '{"page": "index", "url": ', // line 8: bad JSON
        line({ page: "checkout", url: `${H}/checkout/synth_1` }), // line 9: unknown page
        line({ page: "index", url: `${H}/synth_1` }), // item_page → index: back_to_search
        line({ page: "index", url: `${H}/synth_1` }), // same page again: no action
        line({ page: "search_results", url: `${H}/search_results/synth_1/${kw(["blue", "mug"])}/1` }), // keywords from the url
        // line 13: results → a sub page: WebShop has no such link
        line({
          page: "item_sub_page",
          url: `${H}/item_sub_page/synth_1/B000TEST02/${kw(["blue", "mug"])}/1/Description/%7B%7D`,
          content: { keywords: "['blue', 'mug']", page: "1", asin: "B000TEST02", options: {} },
        }),
      ];
      const shoe = ["shoe"];
      const item = (o: Record<string, string>) =>
        line({
          page: "item_page",
          url: `${H}/item_page/synth_2/B0SHOE0001/${kw(shoe)}/1/${opt(o)}`,
          content: { keywords: "['shoe']", page: "1", asin: "B0SHOE0001", options: o },
        });
      const s2 = [
        line({ page: "index", url: `${H}/synth_2` }),
        line({
          page: "search_results",
          url: `${H}/search_results/synth_2/${kw(shoe)}/1`,
          content: { keywords: shoe, page: 1 },
        }),
        item({}),
        item({ size: "10" }),
        item({ size: "10.5" }), // a changed choice is an option click too
        item({ size: "10.5", color: "Navy Blue" }),
        item({}), // line 7: choices removed: no single action explains it
        JSON.stringify({
          page: "done",
          url: `${H}/done/synth_2/B0SHOE0001/%7B%7D`,
          goal,
          content: { asin: "B0SHOE0001", options: {}, price: 12.5 },
          reward: 1.0,
          reward_info: { r_type: 1.0, r_price: true },
        }),
      ];
      writeFileSync(join(dir, "synth_1.jsonl"), `${s1.join("\n")}\n`);
      writeFileSync(join(dir, "synth_2.jsonl"), `${s2.join("\r\n")}\r\n`);
      logs = await importWebShop([join(dir, "synth_2.jsonl"), join(dir, "synth_1.jsonl")]);
    });

    it("derives pagination, detail, back, back_to_search and a final terminate", () => {
      expectValid(logs);
      const s1 = logs.sessions.find((s) => s.session_id === "synth_1")!;
      expect(s1.outcome).toBe("terminate");
      expect(s1.goal).toBe("i want a red mug");
      expect(s1.steps.map((s) => [s.action_type, s.semantic_id, s.input_text, s.category])).toEqual([
        ["type_and_submit", "search_input", "red mug", "search"],
        ["click", "pagination.next", null, "pagination"],
        ["click", "pagination.prev", null, "pagination"],
        ["click", "search_results.b000test01", null, "product_view"],
        ["click", "reviews", null, "detail"],
        ["back", null, null, "back"],
        ["click", "back_to_search", null, "back"],
        ["type_and_submit", "search_input", "blue mug", "search"],
        ["terminate", null, null, "terminate"],
      ]);
      expect(s1.steps[0]!.url).toBe(`${H}/synth_1`);
      expect(s1.steps[4]!.url).toBe(`${H}/item_page/synth_1/B000TEST01/${kw(["red", "mug"])}/1/%7B%7D`);
      // the terminate step is on the last page viewed
      expect(s1.steps[8]!.url).toContain("/item_sub_page/synth_1/B000TEST02/");
    });

    it("derives option choices (slugged) and buy_now", () => {
      const s2 = logs.sessions.find((s) => s.session_id === "synth_2")!;
      expect(s2.outcome).toBe("purchase");
      expect(s2.meta.reward).toBe(1);
      expect(s2.steps.map((s) => [s.action_type, s.semantic_id, s.category])).toEqual([
        ["type_and_submit", "search_input", "search"],
        ["click", "search_results.b0shoe0001", "product_view"],
        ["click", "options.size.10", "option"],
        ["click", "options.size.10_5", "option"],
        ["click", "options.color.navy_blue", "option"],
        ["click", "buy_now", "purchase"],
      ]);
    });

    it("reports bad lines and unknown transitions with file, line and field, and skips them", () => {
      expect(logs.report.records).toBe(13 + 8);
      expect(logs.report.skipped).toBe(2);
      expect(logs.report.issues.map((i) => [i.file.split("/").pop(), i.line, i.field])).toEqual([
        ["synth_1.jsonl", 8, null],
        ["synth_1.jsonl", 9, "page"],
        ["synth_1.jsonl", 13, "page"],
        ["synth_2.jsonl", 7, "content.options"],
      ]);
      expect(logs.report.issues[0]!.problem).toMatch(/not valid JSON/);
      expect(logs.report.issues[2]!.problem).toMatch(/search_results \(line 12\) to item_sub_page/);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// UCI Online Shoppers
// ---------------------------------------------------------------------------------------------

describe("UCI Online Shoppers", () => {
  const CSV = dataset("uci-online-shoppers/online_shoppers_intention.csv");

  it("reads all 12,330 real sessions with a 15.5% purchase share", async () => {
    const logs = await importHumanLogs(CSV);
    expectValid(logs);
    expect(logs.report).toMatchObject({
      format: "uci",
      records: 12330,
      sessions: 12330,
      skipped: 0,
      issues: [],
    });
    // An independent count from the raw file: the last field of each data line is Revenue.
    const rows = readFileSync(CSV, "utf8").split("\r\n").slice(1).filter(Boolean);
    const trueRows = rows.filter((r) => r.endsWith(";TRUE")).length;
    expect(trueRows).toBe(1908);
    const purchases = logs.sessions.filter((s) => s.outcome === "purchase").length;
    expect(purchases).toBe(1908);
    expect(logs.sessions.filter((s) => s.outcome === "terminate")).toHaveLength(12330 - 1908);
    expect(((100 * purchases) / logs.sessions.length).toFixed(1)).toBe("15.5");
    for (const s of logs.sessions.slice(0, 50)) expect(s.steps).toEqual([]);
  });

  it("maps the first rows' counts and durations to summaries", async () => {
    const logs = await importUci([CSV], { limit: 2 });
    expect(logs.sessions).toHaveLength(2);
    const [first, second] = logs.sessions;
    // 0;0;0;0;1;0;0.2;0.2;0;0;Feb;1;1;1;1;Returning_Visitor;FALSE;FALSE
    expect(first).toEqual({
      session_id: "online_shoppers_intention:2",
      source: "uci",
      file: CSV,
      persona: null,
      goal: null,
      outcome: "terminate",
      steps: [],
      summary: { actions: 1, product_views: 1, duration_s: 0 },
      meta: {
        month: "Feb",
        visitor_type: "Returning_Visitor",
        weekend: false,
        bounce_rate: 0.2,
        exit_rate: 0.2,
        page_values: 0,
      },
    });
    // 0;0;0;0;2;64;0;0.1;...: two pages, 64 s → one gap of 64 s
    expect(second!.summary).toEqual({ actions: 2, product_views: 2, duration_s: 64, mean_gap_s: 64 });
  });

  it("reports bad rows with line and field and keeps the good ones", async () => {
    const dir = tmp("uci");
    const header =
      "Administrative;Administrative_Duration;Informational;Informational_Duration;ProductRelated;ProductRelated_Duration;BounceRates;ExitRates;PageValues;SpecialDay;Month;OperatingSystems;Browser;Region;TrafficType;VisitorType;Weekend;Revenue";
    const lines = [
      header,
      "1;10;0;0;3;30;0;0.1;5.5;0;Mar;1;1;1;1;New_Visitor;TRUE;TRUE", // 2: good
      "abc;10;0;0;3;30;0;0.1;0;0;Mar;1;1;1;1;New_Visitor;FALSE;TRUE", // 3: count not a number
      "0;0;0", // 4: missing columns
      "0;0;0;0;2;20;0;0.1;0;0;Mar;1;1;1;1;New_Visitor;FALSE;maybe", // 5: Revenue not TRUE/FALSE
      "", // 6: empty line
      "0;0;1;5;0;0;0;0.1;0;0;Nov;1;1;1;1;Other;FALSE;FALSE", // 7: good
    ];
    const file = join(dir, "shoppers.csv");
    writeFileSync(file, `${lines.join("\r\n")}\r\n`);
    const logs = await importHumanLogs(file);
    expectValid(logs);
    expect(logs.sessions.map((s) => [s.session_id, s.outcome])).toEqual([
      ["shoppers:2", "purchase"],
      ["shoppers:7", "terminate"],
    ]);
    expect(logs.sessions[0]!.summary).toEqual({
      actions: 4,
      product_views: 3,
      duration_s: 40,
      mean_gap_s: 40 / 3,
    });
    expect(logs.sessions[0]!.meta).toMatchObject({ weekend: true, page_values: 5.5, month: "Mar" });
    expect(logs.report).toMatchObject({ records: 5, sessions: 2, skipped: 3 });
    expect(issueKeys(logs)).toEqual([
      [3, "Administrative"],
      [4, "ProductRelated"],
      [5, "Revenue"],
    ]);
    expect(logs.report.issues.every((i) => i.file === file)).toBe(true);
    expect(logs.report.issues[2]!.problem).toContain('"maybe"');
  });
});

// ---------------------------------------------------------------------------------------------
// OPeRA
// ---------------------------------------------------------------------------------------------

const SESSION_A = "u1_2025-04-14T21:52:46.756000Z_2025-04-14T21:55:50.785000Z";
const html = (body: string) => `<html><body><div name="nav_bar"></div>${body}</body></html>`;

/** Action records in file order (deliberately not time order), including malformed ones. */
const ACTIONS: Record<string, unknown>[] = [
  // A: purchase session, linked to u1 by its session_id prefix
  {
    session_id: SESSION_A,
    action_id: "a1",
    timestamp: "2025-04-14T21:52:50.000Z",
    action_type: "input",
    click_type: null,
    semantic_id: "search_input",
    url: "https://www.amazon.com/",
    simplified_html: html('<input name="search_input"/>'),
    rationale: "I need a rice cooker for my family.",
    input_text: "rice cooker",
  },
  {
    session_id: SESSION_A,
    action_id: "a3",
    timestamp: "2025-04-14T21:52:57.792Z",
    action_type: "click",
    click_type: "product_option",
    semantic_id: "product_options.color.white",
    url: "https://www.amazon.com/dp/B01L9SD3K0",
    simplified_html: html('<button data-semantic-id="product_options.color.white">White</button>'),
    rationale: null,
  },
  {
    session_id: SESSION_A,
    action_id: "a2",
    timestamp: "2025-04-14T21:52:57.792Z",
    action_type: "click",
    click_type: "product_link",
    semantic_id: "search_results.tiger_rice_cooker.product_title",
    url: "https://www.amazon.com/s?k=rice+cooker",
    simplified_html: html('<a semantic-id="search_results.tiger_rice_cooker.product_title">Tiger</a>'),
    rationale: "This one has good reviews.",
  },
  {
    session_id: SESSION_A,
    action_id: "a4",
    timestamp: "2025-04-14T21:53:30.000Z",
    action_type: "click",
    click_type: "add_to_cart",
    semantic_id: "add_to_cart",
    url: "https://www.amazon.com/dp/B01L9SD3K0",
    simplified_html: html('<button name="add_to_cart">Add</button>'),
  },
  // B: terminate session; epoch seconds, epoch ms and a zone-less time; linked to u2 by a session record
  {
    session_id: "s2",
    action_id: "b3",
    timestamp: "2025-04-14 21:53:00",
    action_type: "terminate",
    semantic_id: "x",
  },
  {
    session_id: "s2",
    action_id: "b1",
    timestamp: 1744667570,
    action_type: "click",
    click_type: "search",
    semantic_id: "search_button",
    url: "https://www.amazon.com/",
  },
  {
    session_id: "s2",
    action_id: "b2",
    timestamp: 1744667575000,
    action_type: "click",
    click_type: "next_page",
    semantic_id: "pagination.next",
  },
  // malformed: unknown action type, missing session_id, bad time, input without its text
  { session_id: "s2", action_id: "m1", timestamp: 1744667571, action_type: "scroll", semantic_id: "page" },
  { action_id: "m2", timestamp: 1744667572, action_type: "click", semantic_id: "logo" },
  { session_id: "s2", action_id: "m3", timestamp: "yesterday", action_type: "click", semantic_id: "logo" },
  {
    session_id: "s2",
    action_id: "m4",
    timestamp: 1744667573,
    action_type: "input",
    semantic_id: "search_input",
  },
  {
    session_id: SESSION_A,
    action_id: "a5",
    timestamp: "2025-04-14T21:54:00.000Z",
    action_type: "click",
    click_type: "purchase",
    semantic_id: "buy_now",
    url: "https://www.amazon.com/dp/B01L9SD3K0",
    simplified_html: html('<button name="buy_now">Buy Now</button>'),
    rationale: "Price is fine, buying it.",
  },
  // C: ends on an ordinary click, but its products record a purchase; user_id on the actions
  {
    session_id: "s3",
    action_id: "c1",
    timestamp: "2025-04-15T10:00:00Z",
    action_type: "click",
    click_type: "product_link",
    semantic_id: "p1",
    user_id: "u2",
  },
  {
    session_id: "s3",
    action_id: "c2",
    timestamp: "2025-04-15T10:01:00Z",
    action_type: "click",
    click_type: "other",
    semantic_id: "thank_you.continue",
    user_id: "u2",
    products: JSON.stringify([{ asin: "B01", title: "Mug", purchased: true }]),
  },
  // D: one filter click, no end: unknown outcome, no user
  {
    session_id: "s4",
    action_id: "d1",
    timestamp: "2025-04-16T09:00:00Z",
    action_type: "click",
    click_type: "filter",
    semantic_id: "refinements.brand.tiger",
  },
];
const BAD_ROWS = [8, 9, 10, 11];
const USERS = [
  { user_id: "u1", age: "34", shopping_habits: "I compare reviews before buying.", gender: "female" },
  { user_id: "u2", occupation: "teacher", budget: "tight" },
];
const SESSIONS = [{ session_id: "s2", user_id: "u2" }];

const COLUMNS = [
  "session_id",
  "action_id",
  "timestamp",
  "action_type",
  "click_type",
  "semantic_id",
  "url",
  "simplified_html",
  "rationale",
  "input_text",
  "products",
  "user_id",
];

/** Records as string columns (numbers as text: one Parquet column has one type). */
function stringColumns(records: Record<string, unknown>[], names: string[]) {
  return names.map((name) => ({
    name,
    type: "STRING" as const,
    data: records.map((r) => (r[name] === undefined || r[name] === null ? null : String(r[name]))),
  }));
}

const zlibCompressors = {
  GZIP: (b: Uint8Array) => new Uint8Array(zlib.gzipSync(b)),
  BROTLI: (b: Uint8Array) => new Uint8Array(zlib.brotliCompressSync(b)),
  ZSTD: (b: Uint8Array) => new Uint8Array(zlib.zstdCompressSync(b)),
};

describe("OPeRA", () => {
  let root: string;
  let fromArray: HumanLogs;
  let fromLines: HumanLogs;
  let fromParquet: HumanLogs;

  beforeAll(async () => {
    root = tmp("opera");
    const jsonDir = join(root, "json");
    const linesDir = join(root, "jsonl");
    const pqDir = join(root, "parquet");
    for (const d of [jsonDir, linesDir, join(pqDir, "action"), join(pqDir, "user"), join(pqDir, "session")])
      mkdirSync(d, { recursive: true });
    writeFileSync(join(jsonDir, "action.json"), JSON.stringify(ACTIONS, null, 2));
    writeFileSync(join(jsonDir, "user.json"), JSON.stringify(USERS));
    writeFileSync(join(jsonDir, "session.json"), JSON.stringify(SESSIONS));
    // JSON lines; a broken line at the end so that the other line numbers equal the array positions
    writeFileSync(
      join(linesDir, "action.jsonl"),
      `${ACTIONS.map((a) => JSON.stringify(a)).join("\n")}\n{"session_id": "s2", "action_type": \n`,
    );
    writeFileSync(join(linesDir, "user.jsonl"), USERS.map((u) => JSON.stringify(u)).join("\n"));
    writeFileSync(join(linesDir, "session.jsonl"), SESSIONS.map((u) => JSON.stringify(u)).join("\n"));
    parquetWriteFile({
      filename: join(pqDir, "action", "train-00000.parquet"),
      columnData: stringColumns(ACTIONS, COLUMNS),
    });
    parquetWriteFile({
      filename: join(pqDir, "user", "train.parquet"),
      columnData: stringColumns(USERS, [
        "user_id",
        "age",
        "shopping_habits",
        "gender",
        "occupation",
        "budget",
      ]),
    });
    parquetWriteFile({
      filename: join(pqDir, "session", "train.parquet"),
      columnData: stringColumns(SESSIONS, ["session_id", "user_id"]),
    });
    fromArray = await importHumanLogs(jsonDir);
    fromLines = await importHumanLogs(linesDir);
    fromParquet = await importHumanLogs(pqDir);
  });

  it("groups actions by session, orders them by time then action_id, maps input → type_and_submit", () => {
    expectValid(fromArray);
    expect(fromArray.report.format).toBe("opera");
    expect(fromArray.sessions.map((s) => [s.session_id, s.outcome])).toEqual([
      [SESSION_A, "purchase"],
      ["s2", "terminate"],
      ["s3", "purchase"],
      ["s4", "unknown"],
    ]);
    const a = fromArray.sessions[0]!;
    expect(a.source).toBe("opera");
    expect(a.file).toBe(join(root, "json", "action.json"));
    expect(
      a.steps.map((s) => [s.index, s.action_type, s.semantic_id, s.input_text, s.category, s.source_label]),
    ).toEqual([
      [0, "type_and_submit", "search_input", "rice cooker", null, null],
      [1, "click", "search_results.tiger_rice_cooker.product_title", null, "product_view", "product_link"],
      [2, "click", "product_options.color.white", null, "option", "product_option"],
      [3, "click", "add_to_cart", null, "cart", "add_to_cart"],
      [4, "click", "buy_now", null, "purchase", "purchase"],
    ]);
    expect(a.steps[0]).toMatchObject({
      timestamp: "2025-04-14T21:52:50.000Z",
      url: "https://www.amazon.com/",
      observation: html('<input name="search_input"/>'),
      rationale: "I need a rice cooker for my family.",
    });
    // simplified_html is kept verbatim, whatever attribute carries the element names
    expect(a.steps[1]!.observation).toContain('semantic-id="search_results.tiger_rice_cooker.product_title"');
    expect(a.steps[2]!.rationale).toBeNull();
    const b = fromArray.sessions[1]!;
    expect(b.steps.map((s) => [s.timestamp, s.action_type, s.semantic_id, s.category])).toEqual([
      ["2025-04-14T21:52:50.000Z", "click", "search_button", "search"],
      ["2025-04-14T21:52:55.000Z", "click", "pagination.next", "pagination"],
      ["2025-04-14T21:53:00.000Z", "terminate", null, "terminate"],
    ]);
    expect(fromArray.sessions[3]!.steps[0]!.category).toBe("filter");
  });

  it("joins user survey text into the persona, linked by user_id, session record or session_id prefix", () => {
    const [a, b, c, d] = fromArray.sessions;
    expect(a!.persona).toBe("age: 34\nshopping_habits: I compare reviews before buying.\ngender: female");
    expect(a!.meta.user_id).toBe("u1");
    expect(b!.persona).toBe("occupation: teacher\nbudget: tight");
    expect(b!.meta.user_id).toBe("u2");
    expect(c!.persona).toBe(b!.persona);
    expect(d!.persona).toBeNull();
    expect(d!.meta.user_id).toBeNull();
  });

  it("reports malformed records with file, line/row and field, and skips them", () => {
    const expected = BAD_ROWS.map((row, i) => [
      row,
      ["action_type", "session_id", "timestamp", "input_text"][i],
    ]);
    expect(issueKeys(fromArray)).toEqual(expected);
    expect(issueKeys(fromParquet)).toEqual(expected);
    expect(issueKeys(fromLines)).toEqual([...expected, [ACTIONS.length + 1, null]]);
    expect(fromArray.report.issues.every((i) => i.file === join(root, "json", "action.json"))).toBe(true);
    expect(fromParquet.report.issues[0]!.file).toBe(join(root, "parquet", "action", "train-00000.parquet"));
    expect(fromArray.report.issues[0]!.problem).toContain('"scroll"');
    expect(fromLines.report.issues[4]!.problem).toMatch(/not valid JSON/);
    // records: actions + users + session records (+ the broken line)
    expect(fromArray.report).toMatchObject({ records: ACTIONS.length + 3, skipped: 4 });
    expect(fromLines.report).toMatchObject({ records: ACTIONS.length + 4, skipped: 5 });
    expect(fromParquet.report).toMatchObject({ records: ACTIONS.length + 3, skipped: 4 });
    expect(fromParquet.report.files).toHaveLength(3);
  });

  it("gives identical sessions from JSON, JSON lines and Parquet", () => {
    expectValid(fromLines);
    expectValid(fromParquet);
    expect(withoutFile(fromLines.sessions)).toEqual(withoutFile(fromArray.sessions));
    expect(withoutFile(fromParquet.sessions)).toEqual(withoutFile(fromArray.sessions));
  });

  it("reads Parquet compressed with GZIP, BROTLI, ZSTD and SNAPPY", async () => {
    const dir = tmp("opera-codecs");
    for (const codec of ["GZIP", "BROTLI", "ZSTD", "SNAPPY", "UNCOMPRESSED"] as const) {
      const file = join(dir, `actions-${codec}.parquet`);
      parquetWriteFile({
        filename: file,
        codec,
        compressors: zlibCompressors,
        columnData: stringColumns(ACTIONS, COLUMNS),
      });
      const logs = await importOpera([file]);
      expect(logs.report.issues.filter((i) => i.line === null)).toEqual([]);
      // no user/session files here: only the personas of sessions B (session record) and A (prefix) differ
      expect(logs.sessions.map((s) => s.steps)).toEqual(fromArray.sessions.map((s) => s.steps));
      expect(logs.sessions.map((s) => s.outcome)).toEqual(fromArray.sessions.map((s) => s.outcome));
    }
  });

  it("reads epoch milliseconds (INT64 → bigint) and Parquet timestamp columns", async () => {
    const dir = tmp("opera-times");
    const file = join(dir, "actions.parquet");
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: "session_id", type: "STRING", data: ["t", "t", "t"] },
        { name: "action_id", type: "STRING", data: ["1", "2", "3"] },
        { name: "timestamp", type: "INT64", data: [1744667575000n, 1744667570n, 1744667580000n] },
        { name: "action_type", type: "STRING", data: ["click", "click", "terminate"] },
        { name: "click_type", type: "STRING", data: ["buy_now", "search", null] },
        { name: "semantic_id", type: "STRING", data: ["buy_now", "search_button", null] },
      ],
    });
    const logs = await importOpera([file]);
    expect(logs.sessions[0]!.steps.map((s) => [s.timestamp, s.semantic_id])).toEqual([
      ["2025-04-14T21:52:50.000Z", "search_button"],
      ["2025-04-14T21:52:55.000Z", "buy_now"],
      ["2025-04-14T21:53:00.000Z", null],
    ]);
    // a purchase click that is not the last action does not make a purchase
    expect(logs.sessions[0]!.outcome).toBe("terminate");

    const dated = join(dir, "dated.parquet");
    parquetWriteFile({
      filename: dated,
      columnData: [
        { name: "session_id", type: "STRING", data: ["d"] },
        { name: "timestamp", type: "TIMESTAMP", data: [new Date("2025-04-14T21:52:46.756Z")] },
        { name: "action_type", type: "STRING", data: ["click"] },
        { name: "click_type", type: "STRING", data: ["place_order"] },
        { name: "semantic_id", type: "STRING", data: ["place_your_order"] },
      ],
    });
    const d = await importOpera([dated]);
    expect(d.sessions[0]).toMatchObject({
      outcome: "purchase",
      steps: [{ timestamp: "2025-04-14T21:52:46.756Z" }],
    });
  });

  it("parses timestamps and click types as documented", () => {
    const iso = (v: unknown) => operaTimestamp(v)?.iso ?? null;
    expect(iso(1744667570)).toBe("2025-04-14T21:52:50.000Z");
    expect(iso(1744667570123)).toBe("2025-04-14T21:52:50.123Z");
    expect(iso(1744667570n)).toBe("2025-04-14T21:52:50.000Z");
    expect(iso("1744667570123")).toBe("2025-04-14T21:52:50.123Z");
    expect(iso("2025-04-14T21:52:46.756000Z")).toBe("2025-04-14T21:52:46.756Z");
    expect(iso("2025-04-14 21:52:46")).toBe("2025-04-14T21:52:46.000Z");
    expect(iso("2025-04-14T23:52:46+02:00")).toBe("2025-04-14T21:52:46.000Z");
    expect(iso("yesterday")).toBeNull();
    expect(iso(null)).toBeNull();
    expect(operaCategory("buy_now")).toBe("purchase");
    expect(operaCategory("Add to cart")).toBe("cart");
    expect(operaCategory("product_link")).toBe("product_view");
    expect(operaCategory("review")).toBe("detail");
    expect(operaCategory("something_else")).toBeNull();
    expect(operaCategory("constructor")).toBeNull();
    expect(operaCategory(null)).toBeNull();
  });

  it("detects OPeRA from a Parquet file, a JSON array and JSON lines", async () => {
    for (const file of [
      join(root, "parquet", "action", "train-00000.parquet"),
      join(root, "json", "action.json"),
      join(root, "jsonl", "action.jsonl"),
    ]) {
      expect(await detectInput(file)).toEqual({ format: "opera", paths: [file] });
    }
    const folder = await detectInput(join(root, "parquet"));
    expect(folder.format).toBe("opera");
    expect(folder.paths).toHaveLength(3);
  });
});

// ---------------------------------------------------------------------------------------------
// shopsim run directories
// ---------------------------------------------------------------------------------------------

const manifest = (): RunManifestInput => ({
  run_id: "run-9",
  status: "running",
  started_at: "2026-11-22T10:00:00.000Z",
  ended_at: null,
  seed: 7,
  config: {},
  versions: { shopsim: "0.1.0", node: process.version, playwright: null },
  git_revision: null,
  shop: { url: "http://127.0.0.1:1", started_by_run: true, catalog: "builtin" },
  counts: { planned: 3, recorded: 0, by_status: {}, steps: 0 },
});

function step(index: number, action: Step["action"], extra: Partial<Step> = {}): Step {
  return {
    index,
    timestamp: `2026-11-22T10:00:0${index}.000Z`,
    url: `http://127.0.0.1:1/page${index}`,
    observation: `<main>page ${index}</main>`,
    rationale: `reason ${index}`,
    action,
    result: action === null ? { ok: false, error: "no usable action" } : { ok: true, navigated: true },
    duration_ms: 10,
    timings: { observe_ms: 1, simplify_ms: 1, decide_ms: 1, act_ms: 1 },
    ...extra,
  };
}

function record(
  id: string,
  status: SessionRecord["status"],
  steps: Step[],
  extra: Partial<SessionRecord> = {},
): SessionRecord {
  return {
    session_id: id,
    run_id: "run-9",
    persona: { id: "p-budget", name: "Budget Bea" },
    scenario: { id: "mug", goal: { instruction: "buy a blue mug under $20" } },
    variant: "B",
    replica: 1,
    seed: 42,
    policy: { kind: "heuristic", model: null, prompt_version: null },
    status,
    reason: "done",
    steps,
    outcome: { orders: [], goal_score: status === "purchased" ? 0.8 : null, events: 3 },
    usage: {
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: 0,
      calls: 0,
      retries: 0,
      cached_calls: 0,
      policy_ms: 1,
    },
    started_at: "2026-11-22T10:00:00.000Z",
    ended_at: "2026-11-22T10:00:09.000Z",
    duration_ms: 9000,
    ...extra,
  };
}

describe("shopsim run directory", () => {
  let dir: string;

  beforeAll(async () => {
    dir = join(tmp("run"), "run-9");
    const w = await RunWriter.create(dir, manifest());
    await w.appendSession(
      record("s-1", "purchased", [
        step(0, { type: "type_and_submit", name: "search_input", text: "blue mug" }),
        step(1, { type: "click", name: "search_results.blue_mug.view_product" }),
        step(2, null),
        step(3, { type: "select", name: "options.size", value: "Large" }),
        step(4, { type: "click", name: "buy_now" }, { rationale: "" }),
      ]),
    );
    await w.appendSession(
      record(
        "s-2",
        "max_steps",
        [
          step(0, { type: "type", name: "search_input", text: "mug" }),
          step(1, { type: "back" }),
          step(2, { type: "terminate" }),
        ],
        { variant: null, replica: 0 },
      ),
    );
    await w.appendSession(record("s-3", "error", []));
    await w.finish("finished");
  });

  it("maps session records to log sessions", async () => {
    const logs = await importHumanLogs(dir);
    expectValid(logs);
    expect(logs.report).toMatchObject({ format: "shopsim", records: 3, sessions: 3, skipped: 0, issues: [] });
    const [a, b, c] = logs.sessions;
    expect(a).toMatchObject({
      session_id: "s-1",
      source: "shopsim",
      file: join(dir, "sessions.jsonl"),
      persona: "p-budget: Budget Bea",
      goal: "buy a blue mug under $20",
      outcome: "purchase",
      summary: null,
      meta: {
        status: "purchased",
        persona_id: "p-budget",
        scenario_id: "mug",
        variant: "B",
        replica: 1,
        seed: 42,
        goal_score: 0.8,
        failed_steps: 1,
      },
    });
    expect(
      a!.steps.map((s) => [s.index, s.action_type, s.semantic_id, s.input_text, s.category, s.url]),
    ).toEqual([
      [0, "type_and_submit", "search_input", "blue mug", null, "http://127.0.0.1:1/page0"],
      [1, "click", "search_results.blue_mug.view_product", null, null, "http://127.0.0.1:1/page1"],
      [2, "select", "options.size", "Large", null, "http://127.0.0.1:1/page3"],
      [3, "click", "buy_now", null, null, "http://127.0.0.1:1/page4"],
    ]);
    expect(a!.steps[0]).toMatchObject({
      timestamp: "2026-11-22T10:00:00.000Z",
      observation: "<main>page 0</main>",
      rationale: "reason 0",
    });
    expect(a!.steps[3]!.rationale).toBeNull();
    expect(b!.outcome).toBe("terminate");
    expect(b!.meta).toMatchObject({
      status: "max_steps",
      variant: null,
      replica: 0,
      goal_score: null,
      failed_steps: 0,
    });
    expect(b!.steps.map((s) => [s.action_type, s.semantic_id, s.input_text])).toEqual([
      ["type", "search_input", "mug"],
      ["back", null, null],
      ["terminate", null, null],
    ]);
    expect(c).toMatchObject({ outcome: "unknown", steps: [], meta: { status: "error" } });
  });

  it("is detected from its sessions file, honours limit, and reports bad lines", async () => {
    const viaFile = await importHumanLogs(join(dir, "sessions.jsonl"), { limit: 2 });
    expect(viaFile.report.format).toBe("shopsim");
    expect(viaFile.sessions.map((s) => s.session_id)).toEqual(["s-1", "s-2"]);

    const broken = join(tmp("run-broken"), "run");
    const w = await RunWriter.create(broken, manifest());
    await w.appendSession(record("ok", "terminated", [step(0, { type: "terminate" })]));
    await w.finish("finished");
    appendFileSync(join(broken, "sessions.jsonl"), '{"session_id": "half\n{"session_id": 5}\n');
    const logs = await importRunDir(broken);
    expect(logs.sessions.map((s) => s.session_id)).toEqual(["ok"]);
    expect(issueKeys(logs)).toEqual([
      [2, null],
      [3, "session_id"],
    ]);
    expect(logs.report).toMatchObject({ records: 3, skipped: 2 });
  });
});

// ---------------------------------------------------------------------------------------------
// Format detection and input errors
// ---------------------------------------------------------------------------------------------

describe("format detection", () => {
  it("lists every format with a description", () => {
    expect(FORMATS.map((f) => f.name)).toEqual(["opera", "webshop", "shopsim", "uci"]);
    for (const f of FORMATS) expect(f.description.length).toBeGreaterThan(10);
  });

  it("detects WebShop logs, UCI CSV and a forced format", async () => {
    expect(await detectInput(WEBSHOP_DIR)).toEqual({ format: "webshop", paths: WEBSHOP_FILES });
    expect((await detectInput(WEBSHOP_FILES[0]!)).format).toBe("webshop");
    const csv = dataset("uci-online-shoppers/online_shoppers_intention.csv");
    expect(await detectInput(csv)).toEqual({ format: "uci", paths: [csv] });
    expect(await detectInput(WEBSHOP_DIR, "webshop")).toEqual({ format: "webshop", paths: WEBSHOP_FILES });
    const limited = await importHumanLogs(WEBSHOP_DIR, { format: "webshop", limit: 1 });
    expect(limited.sessions.map((s) => s.session_id)).toEqual(["20220427_1_12"]);
  });

  it("refuses a missing path, an unknown format, unusable files and mixed folders", async () => {
    const dir = tmp("detect");
    const missing = join(dir, "nope.jsonl");
    await expect(importHumanLogs(missing)).rejects.toThrow(InputError);
    await expect(importHumanLogs(missing)).rejects.toThrow(
      /nope\.jsonl: no such file or folder; expected one of: opera/,
    );

    const txt = join(dir, "log.txt");
    writeFileSync(txt, "hello\n");
    await expect(importHumanLogs(txt)).rejects.toThrow(
      /log\.txt: unknown file type \.txt; expected one of: opera .*webshop .*shopsim .*uci/,
    );

    await expect(importHumanLogs(WEBSHOP_DIR, { format: "csv" as never })).rejects.toThrow(
      /unknown format; expected auto or opera, webshop, shopsim, uci/,
    );

    const odd = join(dir, "odd.json");
    writeFileSync(odd, '{"foo": 1}\n');
    await expect(importHumanLogs(odd)).rejects.toThrow(/odd\.json: no usable record.*expected one of/);
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "");
    await expect(importHumanLogs(empty)).rejects.toThrow(/empty\.jsonl: no usable record/);

    // a WebShop-looking file whose lines are all unusable
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, '{"page": "nowhere", "goal": {}, "url": "x"}\n');
    await expect(importHumanLogs(bad)).rejects.toThrow(/bad\.jsonl: no usable webshop record \(2 issue/);

    await expect(importHumanLogs(WEBSHOP_DIR, { limit: 0 })).rejects.toThrow(InputError);

    const mixed = join(dir, "mixed");
    mkdirSync(mixed);
    writeFileSync(join(mixed, "a.jsonl"), readFileSync(WEBSHOP_FILES[0]!));
    writeFileSync(join(mixed, "b.csv"), "Administrative;Revenue\r\n0;FALSE\r\n");
    await expect(importHumanLogs(mixed)).rejects.toThrow(/mixes formats/);

    const nothing = join(dir, "nothing");
    mkdirSync(nothing);
    writeFileSync(join(nothing, "README.md"), "# hi\n");
    await expect(importHumanLogs(nothing)).rejects.toThrow(/no \.parquet, \.json, \.jsonl or \.csv files/);
    await expect(importHumanLogs(nothing, { format: "shopsim" })).rejects.toThrow(
      /not a shopsim run directory/,
    );
  });
});
