import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Order, ShopEventSchema } from "../src/contracts/shop.ts";
import { readRun } from "../src/trajectory/run-dir.ts";
import { ROOT } from "./helpers/datasets.ts";

const MAIN = join(ROOT, "src/cli/main.ts");

function shopsimRun(out: string, ...args: string[]) {
  const res = spawnSync(process.execPath, [MAIN, "run", "--out", out, ...args], {
    encoding: "utf8",
    timeout: 240_000,
    env: { ...process.env, SHOPSIM_LOG_LEVEL: "error" },
  });
  if (res.status !== 0) throw new Error(`shopsim run failed (${res.status}): ${res.stderr}`);
  return res;
}

describe("shopsim run, end to end on the built-in shop with the heuristic shopper", () => {
  it("writes 12 valid trajectories whose actions name elements on the page and whose orders the shop recorded; the same seed replays the same actions", {
    timeout: 600_000,
  }, async () => {
    const base = mkdtempSync(join(tmpdir(), "shopsim-e2e-"));
    const first = shopsimRun(join(base, "a"), "--sessions", "12", "--concurrency", "3", "--seed", "7");
    expect(first.stdout).toMatch(/12 sessions in/);
    expect(first.stdout).toMatch(/purchase rate \d/);

    const run = await readRun(join(base, "a"));
    expect(run.manifest.status).toBe("finished");
    expect(run.manifest.counts).toMatchObject({ planned: 12, recorded: 12 });
    expect(run.sessions).toHaveLength(12);
    expect(run.sessions.filter((s) => s.status === "error")).toEqual([]);

    for (const s of run.sessions) {
      expect(s.steps.length).toBeGreaterThan(0);
      for (const step of s.steps) {
        expect(step.rationale.length, `${s.session_id} step ${step.index}`).toBeGreaterThan(10);
        if (step.action && "name" in step.action) {
          expect(step.observation, `${s.session_id} step ${step.index}: ${step.action.name}`).toContain(
            `name="${step.action.name}"`,
          );
        }
      }
    }

    const events = readFileSync(join(base, "a", "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => ShopEventSchema.parse(JSON.parse(l)));
    const shopOrders = new Map(
      events.filter((e) => e.order).map((e) => [e.order!.order_id, e.order as Order]),
    );
    const trajectoryOrders = run.sessions.flatMap((s) => s.outcome.orders.map((o) => ({ s, o })));
    expect(trajectoryOrders.length).toBeGreaterThan(0);
    expect(trajectoryOrders.length).toBe(shopOrders.size);
    for (const { s, o } of trajectoryOrders) {
      expect(shopOrders.get(o.order_id)).toEqual(o);
      expect(o.session_id).toBe(s.session_id);
      expect(s.status).toBe("purchased");
    }
    // Every purchase's goal score is on the order the shop recorded.
    for (const s of run.sessions.filter((x) => x.status === "purchased" && x.scenario.goal.target)) {
      expect(s.outcome.goal_score).not.toBeNull();
    }

    shopsimRun(join(base, "b"), "--sessions", "12", "--concurrency", "3", "--seed", "7");
    const again = await readRun(join(base, "b"));
    const actions = (r: typeof run) =>
      r.sessions
        .map((s) => ({ job: s.session_id.split("-").at(-1), actions: s.steps.map((x) => x.action) }))
        .sort((a, b) => (a.job! < b.job! ? -1 : 1));
    expect(actions(again)).toEqual(actions(run));
  });
});

describe("shopsim run on a variant with a sign-up pop-up over the first page", () => {
  it("closes the pop-up, which covers the page, and then shops as usual", { timeout: 600_000 }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), "shopsim-popup-")), "run");
    shopsimRun(out, "--variant", "newsletter_popup", "--sessions", "6", "--concurrency", "3", "--seed", "7");
    const run = await readRun(out);
    expect(run.sessions).toHaveLength(6);
    for (const s of run.sessions) {
      const [first, second] = s.steps;
      expect(first?.observation).toContain("Get 10% off your first order");
      expect(first?.rationale).toBe(
        "A pop-up (“Get 10% off your first order”) covers the page; I close it (“×”) and go on shopping.",
      );
      expect(second?.observation).not.toContain("Get 10% off your first order");
      // Every action after it reached its element: nothing was left under the pop-up.
      expect(s.steps.filter((st) => !st.result.ok)).toEqual([]);
    }
    const events = readFileSync(join(out, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => ShopEventSchema.parse(JSON.parse(l)));
    expect(events.filter((e) => e.selection?.popup === "close")).toHaveLength(6);
    expect(run.sessions.some((s) => s.status === "purchased")).toBe(true);
  });
});

describe("shopsim run on a variant whose results grow with a 'Load more' button", () => {
  it("loads more in place, sees the products it added, and goes on from there", {
    timeout: 600_000,
  }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), "shopsim-load-more-")), "run");
    shopsimRun(out, "--variant", "load_more", "--sessions", "20", "--concurrency", "4", "--seed", "7");
    const run = await readRun(out);
    expect(run.sessions.flatMap((s) => s.steps).filter((st) => !st.result.ok)).toEqual([]);
    const cards = (html: string | null | undefined) => (html?.match(/<li>(?:(?!<li>).)*?<h3>/g) ?? []).length;
    let loads = 0;
    for (const s of run.sessions) {
      s.steps.forEach((step, i) => {
        if (!/so I load more \(“Load more”\)\.$/.test(step.rationale)) return;
        loads++;
        const after = s.steps[i + 1];
        // The shop's script fetched the next page and appended it (pushing its address): the next
        // observation has the longer list.
        expect(step.result).toMatchObject({ ok: true, navigated: true });
        expect(cards(after?.observation)).toBeGreaterThan(cards(step.observation));
        const page = Number(new URL(step.url).searchParams.get("page") ?? 1);
        expect(new URL(after!.url).searchParams.get("page")).toBe(String(page + 1));
      });
    }
    expect(loads).toBeGreaterThan(0);
    const events = readFileSync(join(out, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => ShopEventSchema.parse(JSON.parse(l)));
    const later = events.filter((e) => e.page === "search" && (e.page_number ?? 1) > 1);
    expect(later.length).toBeGreaterThanOrEqual(loads);
    for (const e of later) expect(e.product_ids.length).toBeLessThanOrEqual(12);
  });
});
