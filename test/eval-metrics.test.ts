import { describe, expect, it } from "vitest";
import type { HumanSession, HumanStep } from "../src/contracts/human-log.ts";
import { compareSessions } from "../src/eval/compare.ts";
import { categorize, sessionFeatures } from "../src/eval/features.ts";
import {
  bootstrapTwoSample,
  confusionMatrix,
  f1Scores,
  jensenShannon,
  ksStatistic,
  macroAccuracy,
  mcnemar,
  microAccuracy,
  wasserstein1,
} from "../src/eval/metrics.ts";

// Every expected figure below was worked out by hand (the working is in the comments).

describe("classification metrics", () => {
  it("macro averages per-session accuracy; micro pools steps", () => {
    const sessions = [
      { correct: 2, total: 3 },
      { correct: 1, total: 2 },
      { correct: 0, total: 2 },
      { correct: 0, total: 0 }, // nothing to score: left out of the macro mean
    ];
    // macro (2/3 + 1/2 + 0) / 3 = 0.388…; micro 3 / 7 = 0.428…
    expect(macroAccuracy(sessions)).toBeCloseTo(7 / 18, 10);
    expect(microAccuracy(sessions)).toBeCloseTo(3 / 7, 10);
    expect(macroAccuracy([])).toBeNaN();
  });

  it("per-class and macro F1, confusion counts", () => {
    const pairs = [
      { truth: "click", predicted: "click" },
      { truth: "click", predicted: "click" },
      { truth: "terminate", predicted: "terminate" },
      { truth: "type_and_submit", predicted: "type_and_submit" },
      { truth: "click", predicted: "terminate" },
      { truth: "type_and_submit", predicted: "type_and_submit" },
      { truth: "terminate", predicted: "click" },
    ];
    const { per_class, macro_f1 } = f1Scores(pairs);
    // click: tp 2, fp 1, fn 1 → P = R = F1 = 2/3; terminate: tp 1, fp 1, fn 1 → 1/2; type_and_submit: 1.
    expect(per_class.click?.f1).toBeCloseTo(2 / 3, 10);
    expect(per_class.terminate?.precision).toBeCloseTo(0.5, 10);
    expect(per_class.type_and_submit?.f1).toBe(1);
    expect(per_class.click?.support).toBe(3);
    expect(macro_f1).toBeCloseTo((2 / 3 + 1 / 2 + 1) / 3, 10);
    expect(confusionMatrix(pairs)).toEqual({
      click: { click: 2, terminate: 1 },
      terminate: { terminate: 1, click: 1 },
      type_and_submit: { type_and_submit: 2 },
    });
    // A class that is never predicted has F1 0 when it is in the label list.
    expect(f1Scores([{ truth: "purchase", predicted: "continue" }], ["purchase"]).macro_f1).toBe(0);
  });

  it("McNemar: exact binomial p-value and corrected chi-square", () => {
    const a = [true, true, false, false, true, false, true, true];
    const b = [true, false, false, true, false, false, false, false];
    const r = mcnemar(a, b);
    expect(r).toMatchObject({ both_correct: 1, only_a: 4, only_b: 1, neither: 2 });
    // 2 · P(X ≤ 1 | n = 5, p = ½) = 2 · 6/32 = 0.375; chi² = (|4 − 1| − 1)² / 5 = 0.8
    expect(r.p_value).toBeCloseTo(0.375, 10);
    expect(r.chi2).toBeCloseTo(0.8, 10);
    expect(mcnemar([true, false], [true, false]).p_value).toBe(1);
    expect(() => mcnemar([true], [])).toThrow(/paired/);
  });
});

describe("distances", () => {
  it("Kolmogorov–Smirnov statistic", () => {
    // ECDFs of {1,2,3} and {2,3,4,5}: the largest gap is at 3: 1 − 2/4 = 0.5
    expect(ksStatistic([1, 2, 3], [2, 3, 4, 5])).toBeCloseTo(0.5, 10);
    expect(ksStatistic([1, 1, 2], [1, 1, 2])).toBe(0);
    expect(ksStatistic([0], [10])).toBe(1);
  });

  it("Wasserstein-1 in the data's units", () => {
    expect(wasserstein1([0, 1], [1, 2])).toBeCloseTo(1, 10);
    // {0,0,4} vs {0,2,2}: ∫|F−G| = 2 · 1/3 (on [0,2)) + 2 · 1/3 (on [2,4)) = 4/3
    expect(wasserstein1([0, 0, 4], [0, 2, 2])).toBeCloseTo(4 / 3, 10);
  });

  it("Jensen–Shannon divergence, base 2", () => {
    expect(jensenShannon({ a: 1 }, { b: 1 })).toBeCloseTo(1, 10);
    expect(jensenShannon({ a: 3, b: 1 }, { a: 6, b: 2 })).toBeCloseTo(0, 10);
    // P = (½, ½), Q = (1, 0), M = (¾, ¼): ½·KL(P‖M) + ½·KL(Q‖M) = ½(0.20752) + ½(0.41504) = 0.31128
    expect(jensenShannon({ a: 1, b: 1 }, { a: 1 })).toBeCloseTo(0.311278, 5);
  });

  it("bootstrap intervals are seeded and bracket the estimate", () => {
    const xs = [1, 2, 2, 3, 3, 3, 4, 5, 6, 8];
    const ys = [2, 3, 4, 4, 5, 6, 6, 7, 9, 12];
    const a = bootstrapTwoSample(xs, ys, wasserstein1, { rounds: 500, seed: 3 });
    const b = bootstrapTwoSample(xs, ys, wasserstein1, { rounds: 500, seed: 3 });
    expect(a).toEqual(b);
    expect(a.estimate).toBeCloseTo(wasserstein1(xs, ys), 10);
    expect(a.low).toBeLessThan(a.estimate);
    expect(a.high).toBeGreaterThan(a.estimate);
  });
});

function step(partial: Partial<HumanStep> & Pick<HumanStep, "action_type">, index = 0): HumanStep {
  return {
    index,
    timestamp: null,
    url: null,
    observation: null,
    semantic_id: null,
    input_text: null,
    rationale: null,
    category: null,
    source_label: null,
    ...partial,
  };
}

function session(id: string, steps: HumanStep[], outcome: HumanSession["outcome"]): HumanSession {
  return {
    session_id: id,
    source: "test",
    file: "test",
    persona: null,
    goal: null,
    outcome,
    steps: steps.map((s, i) => ({ ...s, index: i })),
    summary: null,
    meta: {},
  };
}

describe("session features", () => {
  it("infers what steps did from names any shop's elements have", () => {
    const c = (action_type: HumanStep["action_type"], semantic_id: string | null) =>
      categorize(step({ action_type, semantic_id }));
    expect(c("type_and_submit", "search_bar.search_products")).toBe("search");
    expect(c("click", "search_results.leather_bag_tote")).toBe("product_view");
    expect(c("click", "search_results.pagination.next")).toBe("pagination");
    expect(c("click", "refinements.price.under_25")).toBe("filter");
    expect(c("select", "search_results.sort.sort_by")).toBe("sort");
    expect(c("click", "acme_kettle.size.8")).toBe("option");
    expect(c("click", "acme_kettle.buy_box.add_to_cart")).toBe("cart");
    expect(c("click", "acme_kettle.buy_box.buy_now")).toBe("checkout");
    expect(c("click", "checkout.place_your_order")).toBe("purchase");
    expect(c("type", "checkout.shipping_address.zip_code")).toBe("checkout");
    expect(c("back", null)).toBe("back");
    expect(c("terminate", null)).toBe("terminate");
    // A click with an unknown name that lands on a product page is a product view.
    expect(
      categorize(
        step({ action_type: "click", semantic_id: "tile_3", url: "https://x.test/" }),
        step({ action_type: "click", url: "https://x.test/product/B123" }),
      ),
    ).toBe("product_view");
  });

  it("counts per session, query lengths, reformulations and gaps", () => {
    const t0 = Date.parse("2025-01-01T10:00:00Z");
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const s = session(
      "a",
      [
        step({
          action_type: "type_and_submit",
          semantic_id: "search_input",
          input_text: "red shoes",
          timestamp: at(0),
        }),
        step({ action_type: "click", semantic_id: "search_results.red_shoe", timestamp: at(4) }),
        step({ action_type: "back", timestamp: at(10) }),
        step({
          action_type: "type_and_submit",
          semantic_id: "search_input",
          input_text: "red  Shoes",
          timestamp: at(12),
        }),
        step({
          action_type: "type_and_submit",
          semantic_id: "search_input",
          input_text: "red sneakers women",
          timestamp: at(20),
        }),
        step({ action_type: "type", semantic_id: "checkout.zip", timestamp: at(30) }),
        step({ action_type: "terminate", timestamp: at(31) }),
      ],
      "terminate",
    );
    const f = sessionFeatures(s);
    expect(f.actions).toBe(5); // terminate and checkout form filling are not shopping actions
    expect(f.searches).toBe(3);
    expect(f.product_views).toBe(1);
    expect(f.back_uses).toBe(1);
    expect(f.query_lengths).toEqual([2, 2, 3]);
    expect(f.reformulations).toBe(1); // "red  Shoes" is the same query as "red shoes"
    expect(f.gaps_s).toEqual([4, 6, 2, 8, 10, 1]);
    expect(f.purchased).toBe(false);
  });

  it("compare: identical samples score 1, shifted ones score lower, and skipped features say why", () => {
    const mk = (id: string, n: number, outcome: HumanSession["outcome"]) =>
      session(
        id,
        [
          ...Array.from({ length: n }, () =>
            step({ action_type: "type_and_submit", semantic_id: "search_input", input_text: "a b" }),
          ),
          step({ action_type: "terminate" }),
        ],
        outcome,
      );
    const human = [mk("h1", 1, "terminate"), mk("h2", 2, "purchase"), mk("h3", 3, "terminate")];
    const same = compareSessions(human, human, { rounds: 50 });
    expect(same.realism_score).toBeCloseTo(1, 10);
    expect(same.skipped.map((s) => s.feature)).toEqual(["gaps_s"]);
    const far = compareSessions(human, [mk("s1", 8, "purchase"), mk("s2", 9, "purchase")], { rounds: 50 });
    // actions and searches are fully apart (KS 1) and the purchase mix differs; the other features agree.
    expect(far.realism_score).toBeLessThan(same.realism_score - 0.2);
    const searches = far.features.find((f) => f.feature === "searches");
    expect(searches?.distance.estimate).toBe(1);
    expect(far.references.find((r) => r.name.startsWith("ShopCART"))?.purchase_rate).toBeCloseTo(0.139, 3);
    expect(far.references[0]?.sim_searches_per_session).toBe(8.5);
  });
});
