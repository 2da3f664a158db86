import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Action } from "../src/contracts/action.ts";
import type { HumanSession, HumanStep } from "../src/contracts/human-log.ts";
import {
  actionsMatch,
  compareResults,
  evaluateNextAction,
  namesIn,
  oraclePolicy,
  type PolicyMaker,
} from "../src/eval/next-action.ts";
import { silentLogger } from "../src/log.ts";
import { LlmClient } from "../src/policy/llm/client.ts";
import { LlmSettingsSchema } from "../src/policy/llm/config.ts";
import { LlmPolicy } from "../src/policy/llm/policy.ts";
import type { Policy } from "../src/policy/types.ts";
import { startOpenAIServer } from "./helpers/openai-server.ts";

const PAGE = (names: string[]) =>
  `<html><head><title>Shop</title></head><body>${names.map((n) => `<a name="${n}">${n}</a>`).join("")}</body></html>`;

function step(p: Partial<HumanStep> & Pick<HumanStep, "action_type">): HumanStep {
  return {
    index: 0,
    timestamp: null,
    url: "https://shop.test/",
    observation: PAGE(["search_input", "search_results.red_shoe", "buy_box.add_to_cart", "pagination.next"]),
    semantic_id: null,
    input_text: null,
    rationale: null,
    category: null,
    source_label: null,
    ...p,
  };
}

function session(id: string, outcome: HumanSession["outcome"], steps: HumanStep[]): HumanSession {
  return {
    session_id: id,
    source: "hand",
    file: "hand-built",
    persona: "Tests things.",
    goal: "buy red shoes",
    outcome,
    steps: steps.map((s, i) => ({ ...s, index: i })),
    summary: null,
    meta: {},
  };
}

/** A small log whose figures are worked out by hand below. */
const LOG: HumanSession[] = [
  session("A", "terminate", [
    step({ action_type: "type_and_submit", semantic_id: "search_input", input_text: "red shoes" }),
    step({ action_type: "click", semantic_id: "search_results.red_shoe" }),
    step({ action_type: "click", semantic_id: "buy_box.add_to_cart" }),
    step({ action_type: "terminate" }),
  ]),
  session("B", "purchase", [
    step({ action_type: "click", semantic_id: "nav.home" }),
    step({ action_type: "type_and_submit", semantic_id: "search_input", input_text: "Blue  Mug " }),
    step({ action_type: "click", semantic_id: "checkout.place_your_order" }),
  ]),
  session("C", "terminate", [
    step({ action_type: "type_and_submit", semantic_id: "search_input", input_text: "lamp" }),
    step({ action_type: "type_and_submit", semantic_id: "search_input", input_text: "lamp" }),
    step({ action_type: "terminate" }),
  ]),
  // Its only step after the first has no stored page: nothing to predict.
  session("D", "terminate", [
    step({ action_type: "type_and_submit", semantic_id: "search_input", input_text: "x" }),
    step({ action_type: "terminate", observation: null }),
  ]),
];

/** What the scripted "model" answers at (session, step). */
const SCRIPT: Record<string, Action> = {
  "A:1": { type: "click", name: "search_results.red_shoe" }, // right
  "A:2": { type: "click", name: "pagination.next" }, // wrong button
  "A:3": { type: "terminate" }, // right
  "B:1": { type: "type_and_submit", name: "search_input", text: "blue mug" }, // right after normalisation
  "B:2": { type: "terminate" }, // did not click
  "C:1": { type: "type_and_submit", name: "search_input", text: "desk lamp" }, // wrong keyword
  "C:2": { type: "click", name: "search_results.red_shoe" }, // did not terminate
};

const scripted: PolicyMaker = ({ session, index }): Policy => ({
  kind: "scripted",
  model: null,
  promptVersion: null,
  async decide(input) {
    expect(input.history).toHaveLength(index); // the true history, up to the step
    const action = SCRIPT[`${session.session_id}:${index}`] ?? null;
    return { rationale: "scripted", action };
  },
});

describe("next-action evaluation", () => {
  it("matches the figures worked out by hand", async () => {
    const r = await evaluateNextAction(LOG, scripted);
    expect(r.steps).toBe(7);
    expect(r.steps_without_observation).toBe(1);
    expect(r.sessions_without_steps).toBe(1);
    // Per session: A 2/3, B 1/2, C 0/2 → macro (2/3 + 1/2 + 0) / 3 = 7/18; micro 3/7.
    expect(r.accuracy_macro).toBeCloseTo(7 / 18, 10);
    expect(r.accuracy_micro).toBeCloseTo(3 / 7, 10);
    // Types: click tp 2 fp 1 fn 1 → 2/3; terminate tp 1 fp 1 fn 1 → 1/2; type_and_submit 2/2 → 1.
    expect(r.action_type.per_class.click?.f1).toBeCloseTo(2 / 3, 10);
    expect(r.action_type.per_class.terminate?.f1).toBeCloseTo(0.5, 10);
    expect(r.action_type.macro_f1).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 10);
    expect(r.action_type.confusion.click).toEqual({ click: 2, terminate: 1 });
    // Outcomes at the last step: A terminate→terminate, B purchase→terminate, C terminate→continue.
    // purchase: tp 0 → F1 0; terminate: tp 1, fp 1, fn 1 → 1/2; macro 1/4.
    expect(r.outcome.sessions).toBe(3);
    expect(r.outcome.purchase_f1).toBe(0);
    expect(r.outcome.terminate_f1).toBeCloseTo(0.5, 10);
    expect(r.outcome.macro_f1).toBeCloseTo(0.25, 10);
    expect(r.errors).toEqual({
      did_not_terminate: 1,
      did_not_click: 1,
      did_not_search: 0,
      wrong_keyword: 1,
      wrong_button: 1,
      other: 0,
    });
  });

  it("the oracle that replays the human actions scores 100%", async () => {
    const r = await evaluateNextAction(LOG, ({ session, index }) => oraclePolicy(session, index));
    expect(r.accuracy_macro).toBe(1);
    expect(r.accuracy_micro).toBe(1);
    expect(r.action_type.macro_f1).toBe(1);
    expect(r.outcome.macro_f1).toBe(1);
    expect(Object.values(r.errors).every((n) => n === 0)).toBe(true);
  });

  it("McNemar between two result files pairs steps by session and index", async () => {
    const a = await evaluateNextAction(LOG, ({ session, index }) => oraclePolicy(session, index));
    const b = await evaluateNextAction(LOG, scripted);
    const m = compareResults(a, b);
    // The oracle is right on all 7, the script on 3: only A right on 4, never only B → p = 2·(1/2)^4.
    expect(m).toMatchObject({ paired_steps: 7, unpaired_steps: 0, only_a: 4, only_b: 0, both_correct: 3 });
    expect(m.p_value).toBeCloseTo(0.125, 10);
  });

  it("exact match: type, name and normalised text; names from name-like attributes", () => {
    const t = { type: "type_and_submit" as const, name: "search_input", text: "Red Shoes" };
    expect(actionsMatch({ ...t, text: "  red   shoes" }, t)).toBe(true);
    expect(actionsMatch({ ...t, text: "red shoe" }, t)).toBe(false);
    expect(actionsMatch({ ...t, name: "search_box" }, t)).toBe(false);
    expect(
      actionsMatch(
        { type: "terminate", name: null, text: null },
        { type: "terminate", name: null, text: null },
      ),
    ).toBe(true);
    expect(
      namesIn(
        '<div><a semantic-id="nav.home">Home</a><input data-semantic-id="search_input"><button name="go">Go</button></div>',
      ),
    ).toEqual(["nav.home", "search_input", "go"]);
  });
});

describe("next-action with the LLM policy (a real HTTP server speaking the OpenAI protocol)", () => {
  it("sends the true history and the stored page, scores the replies, and replays from the cache with no server", async () => {
    const sessions = LOG.slice(0, 2); // A (3 steps to predict) and B (2)
    const server = await startOpenAIServer((req) => {
      const text = req.messages.map((m) => String(m.content ?? "")).join("\n");
      // Every prompt carries the human's earlier actions: session B began on nav.home.
      const action = text.includes("nav.home")
        ? { type: "terminate" }
        : { type: "click", name: "search_results.red_shoe" };
      return { content: JSON.stringify({ rationale: "scripted", action }) };
    });
    const dir = mkdtempSync(join(tmpdir(), "shopsim-eval-llm-"));
    const settings = (mode: "record" | "replay") =>
      LlmSettingsSchema.parse({
        model: "scripted-model",
        base_url: server.url,
        cache_dir: dir,
        cache_mode: mode,
      });
    const recording = new LlmClient({
      settings: settings("record"),
      apiKey: "sk-test",
      logger: silentLogger,
    });
    const first = await evaluateNextAction(sessions, () => new LlmPolicy(recording, 3));
    expect(first.policy).toMatchObject({ kind: "llm", model: "scripted-model" });
    expect(first.steps).toBe(5);
    const chats = server.chatRequests();
    expect(chats).toHaveLength(5);
    // The prompt of session A's step 2 holds the human's earlier search text and the current page's names.
    const third = chats[1]?.messages.map((m) => String(m.content ?? "")).join("\n") ?? "";
    expect(third).toContain("red shoes");
    expect(third).toContain("pagination.next");
    // A:1 is a right click; B:1 (a search) is answered with terminate: wrong.
    expect(first.predictions.find((p) => p.session_id === "A" && p.index === 1)?.correct).toBe(true);
    expect(first.predictions.find((p) => p.session_id === "B" && p.index === 1)?.error).toBe(
      "did_not_search",
    );
    await server.close();

    const replaying = new LlmClient({
      settings: settings("replay"),
      apiKey: "sk-test",
      logger: silentLogger,
    });
    const again = await evaluateNextAction(sessions, () => new LlmPolicy(replaying, 3));
    expect(replaying.networkCalls).toBe(0);
    expect(again.predictions).toEqual(first.predictions);
    expect(again.accuracy_macro).toBe(first.accuracy_macro);
  });
});
