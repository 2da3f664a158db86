import { describe, expect, it } from "vitest";
import type { Action, SimplifiedPage } from "../src/contracts/action.ts";
import type { Persona, Scenario } from "../src/contracts/scenario.ts";
import type { StepResult } from "../src/contracts/trajectory.ts";
import { SessionRecordSchema } from "../src/contracts/trajectory.ts";
import { ReplayPolicy } from "../src/policy/replay.ts";
import type { Policy } from "../src/policy/types.ts";
import { runSession, type SessionBrowser } from "../src/session/run-session.ts";

/** A scripted browser: page i is served after the i-th navigation; records what it was asked to do. */
class FakeBrowser implements SessionBrowser {
  acts: Action[] = [];
  private page = 0;
  private readonly fail: string | null;
  constructor(fail: string | null = null) {
    this.fail = fail;
  }
  async goto(): Promise<void> {}
  async observe() {
    if (this.fail && this.page === 1) throw new Error(this.fail);
    return {
      url: `http://shop.test/p${this.page}`,
      title: `Page ${this.page}`,
      html: `<main><a id="next">Next</a></main>`,
    };
  }
  async act(action: Action): Promise<StepResult> {
    this.acts.push(action);
    if (action.type === "click" && action.name === "next") {
      this.page++;
      return { ok: true, navigated: true };
    }
    if (action.type === "back" && this.page > 0) {
      this.page--;
      return { ok: true, navigated: true };
    }
    return { ok: false, error: `no element named "${"name" in action ? action.name : ""}"` };
  }
}

const simplify = (html: string, url: string): SimplifiedPage => ({
  url,
  title: "",
  html,
  elements: { next: { css: "#next", kind: "link", label: "Next", disabled: false } },
});

const persona = { id: "p1", name: "Pat" } as unknown as Persona;
const scenario = {
  id: "s1",
  goal: { instruction: "look around" },
  start: "/",
  max_steps: 30,
} as unknown as Scenario;
const spec = {
  sessionId: "s-1",
  runId: "r-1",
  persona,
  scenario,
  variant: null,
  replica: 0,
  seed: 1,
  startUrl: "http://shop.test/",
};
const click = (name: string) => ({ action: { type: "click" as const, name }, rationale: `go to ${name}` });

describe("runSession", () => {
  it("records every step with rationale, action, result and timings, and ends on terminate", async () => {
    const browser = new FakeBrowser();
    const policy = new ReplayPolicy([click("next"), click("next")]);
    const record = await runSession(spec, { browser, simplify, policy, shop: null });
    expect(SessionRecordSchema.parse(record)).toBeTruthy();
    expect(record.status).toBe("terminated");
    expect(record.steps.map((s) => s.action?.type)).toEqual(["click", "click", "terminate"]);
    expect(record.steps.map((s) => s.url)).toEqual([
      "http://shop.test/p0",
      "http://shop.test/p1",
      "http://shop.test/p2",
    ]);
    expect(record.steps[0]!.rationale).toBe("go to next");
    expect(record.steps[0]!.result).toEqual({ ok: true, navigated: true });
    expect(record.policy.kind).toBe("replay");
  });

  it("ends as purchased on a page whose URL matches the purchase pattern, not on the page it starts on", async () => {
    const policy = new ReplayPolicy([click("next"), click("next"), click("next")]);
    const record = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy,
      shop: null,
      purchaseUrl: /\/p(0|2)$/,
    });
    expect(record.status).toBe("purchased");
    expect(record.reason).toBe(
      "reached http://shop.test/p2, a page that confirms an order (purchase URL pattern)",
    );
    // The confirmation page is not acted on: two clicks, from p0 and p1.
    expect(record.steps.map((s) => s.url)).toEqual(["http://shop.test/p0", "http://shop.test/p1"]);
    expect(record.outcome).toEqual({ orders: [], goal_score: null, events: null });
  });

  it("counts a purchase that the step limit's last action reached", async () => {
    const record = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy: new ReplayPolicy([click("next"), click("next"), click("next")]),
      shop: null,
      purchaseUrl: /\/p2$/,
      limits: { maxSteps: 2 },
    });
    expect(record.status).toBe("purchased");
    expect(record.reason).toBe(
      "reached http://shop.test/p2, a page that confirms an order (purchase URL pattern), with the last step",
    );
    expect(record.steps).toHaveLength(2);
  });

  it("feeds a failed action back as a step result and goes on", async () => {
    const record = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy: new ReplayPolicy([click("nope"), click("next")]),
      shop: null,
    });
    expect(record.steps[0]!.result).toEqual({ ok: false, error: 'no element named "nope"' });
    expect(record.steps[1]!.result.ok).toBe(true);
  });

  it("stops at max steps and on a loop", async () => {
    const many = Array.from({ length: 10 }, () => click("next"));
    const limited = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy: new ReplayPolicy(many),
      shop: null,
      limits: { maxSteps: 3 },
    });
    expect(limited.status).toBe("max_steps");
    expect(limited.steps).toHaveLength(3);
    const stuck = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy: new ReplayPolicy(Array.from({ length: 10 }, () => click("nope"))),
      shop: null,
      limits: { loopRepeats: 3 },
    });
    expect(stuck.status).toBe("loop");
    expect(stuck.steps).toHaveLength(3);
    // Open, go back, open again…: a two-step cycle is a loop too; a walk forward is not.
    const bouncing = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy: new ReplayPolicy(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 ? { action: { type: "back" as const }, rationale: "back" } : click("next"),
        ),
      ),
      shop: null,
      limits: { loopRepeats: 3 },
    });
    expect(bouncing.status).toBe("loop");
    expect(bouncing.steps).toHaveLength(6);
    expect(bouncing.reason).toContain("the same 2 actions");
    const walking = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy: new ReplayPolicy(Array.from({ length: 8 }, () => click("next"))),
      shop: null,
      limits: { loopRepeats: 3, maxSteps: 8 },
    });
    expect(walking.status).toBe("max_steps");
  });

  it("records a throwing browser as an error, and an abort as aborted", async () => {
    const failed = await runSession(spec, {
      browser: new FakeBrowser("renderer crashed"),
      simplify,
      policy: new ReplayPolicy([click("next"), click("next")]),
      shop: null,
    });
    expect(failed.status).toBe("error");
    expect(failed.reason).toBe("renderer crashed");
    expect(failed.steps).toHaveLength(1);

    const controller = new AbortController();
    const slow: Policy = {
      kind: "slow",
      model: null,
      promptVersion: null,
      decide: ({ signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
        ),
    };
    setTimeout(() => controller.abort(new Error("Ctrl-C")), 30);
    const aborted = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy: slow,
      shop: null,
      signal: controller.signal,
    });
    expect(aborted.status).toBe("aborted");
    expect(aborted.reason).toContain("Ctrl-C");
  });

  it("records a decision without a usable action as a failed step, and ends the session when the policy asks", async () => {
    const usage = {
      input_tokens: 900,
      output_tokens: 50,
      cost_usd: null,
      calls: 2,
      retries: 1,
      cached_calls: 0,
      latency_ms: 12,
    };
    let n = 0;
    const flaky: Policy = {
      kind: "llm",
      model: "m",
      promptVersion: "p1",
      params: { temperature: 0.5 },
      decide: async () => {
        n += 1;
        return n === 1
          ? { rationale: "hmm", action: null, error: "the reply was not JSON twice", end: false, usage }
          : n === 2
            ? { rationale: "go", action: { type: "click", name: "next" }, usage }
            : { rationale: "", action: null, error: "still not JSON", end: true, usage };
      },
    };
    const browser = new FakeBrowser();
    const record = await runSession(spec, { browser, simplify, policy: flaky, shop: null });
    expect(SessionRecordSchema.parse(record)).toBeTruthy();
    expect(record.status).toBe("error");
    expect(record.reason).toBe("the policy gave no usable action: still not JSON");
    expect(record.steps.map((s) => s.action?.type ?? null)).toEqual([null, "click", null]);
    expect(record.steps[0]?.result).toEqual({
      ok: false,
      error: "the policy gave no usable action: the reply was not JSON twice",
    });
    expect(browser.acts).toEqual([{ type: "click", name: "next" }]);
    expect(record.steps[1]?.usage).toEqual({
      prompt_tokens: 900,
      completion_tokens: 50,
      calls: 2,
      retries: 1,
      cached_calls: 0,
      latency_ms: 12,
      cost_usd: null,
    });
    expect(record.usage).toMatchObject({
      input_tokens: 2700,
      output_tokens: 150,
      calls: 6,
      retries: 3,
      cost_usd: null,
    });
    expect(record.policy).toEqual({
      kind: "llm",
      model: "m",
      prompt_version: "p1",
      params: { temperature: 0.5, seed: spec.seed },
    });
  });

  it("ends with budget_exceeded when the session's budget is spent", async () => {
    const usage = {
      input_tokens: 600,
      output_tokens: 0,
      cost_usd: 0.01,
      calls: 1,
      retries: 0,
      cached_calls: 0,
      latency_ms: 1,
    };
    const spender: Policy = {
      kind: "llm",
      model: "m",
      promptVersion: "p1",
      decide: async () => ({ rationale: "go", action: { type: "click", name: "next" }, usage }),
    };
    const byTokens = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy: spender,
      shop: null,
      sessionBudget: { maxTokens: 1000, maxCostUsd: null },
    });
    expect(byTokens.status).toBe("budget_exceeded");
    expect(byTokens.steps).toHaveLength(2);
    expect(byTokens.reason).toBe("session token budget of 1,000 reached (1,200 used)");
    const byCost = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy: spender,
      shop: null,
      sessionBudget: { maxTokens: null, maxCostUsd: 0.025 },
    });
    expect(byCost.status).toBe("budget_exceeded");
    expect(byCost.steps).toHaveLength(3);
    expect(byCost.usage.cost_usd).toBeCloseTo(0.03);
  });

  it("ends on the wall-time limit", async () => {
    let t = 0;
    const record = await runSession(spec, {
      browser: new FakeBrowser(),
      simplify,
      policy: new ReplayPolicy(Array.from({ length: 10 }, () => click("next"))),
      shop: null,
      limits: { maxWallMs: 1000 },
      now: () => (t += 300),
    });
    expect(record.status).toBe("max_time");
  });
});
