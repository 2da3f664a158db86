import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { registerEvalQueriesCommand } from "../src/cli/eval-queries-command.ts";
import { InputError } from "../src/contracts/errors.ts";
import {
  assignSplits,
  evaluateQueries,
  type GoalQueryMap,
  goalFingerprint,
  heuristicQueryPolicy,
  loadGoalQueryMap,
  loadHumanGoals,
  type QueriesResult,
  queriesResult,
  scoreQuery,
  selectGoals,
  tokenF1,
  tokenize,
} from "../src/eval/queries.ts";
import type { EvalReport } from "../src/eval/report.ts";
import { planFor } from "../src/policy/heuristic/plan.ts";
import { formQuery, queryModel } from "../src/policy/heuristic/query-model.ts";
import { dataset, ROOT } from "./helpers/datasets.ts";

const MAP = dataset("webshop-goals/goal_query_map.train.json");
const GOALS = dataset("webshop-goals/human_goals.json");
const MODEL = join(ROOT, "src/policy/heuristic/query-model.json");

describe("query metrics", () => {
  it("tokenizes: lowercase, split on non-alphanumerics, numbers kept", () => {
    expect(tokenize("Men's 3.4-oz T-Shirt, (Pack of 2)")).toEqual([
      "men",
      "s",
      "3",
      "4",
      "oz",
      "t",
      "shirt",
      "pack",
      "of",
      "2",
    ]);
    expect(tokenize("  ")).toEqual([]);
  });

  it("token F1 by hand: partial overlap, repeated tokens, no overlap", () => {
    // 2 of 3 predicted tokens in a 6-token query: P = 2/3, R = 2/6, F1 = 2·(2/9)/(1) = 4/9.
    expect(tokenF1(tokenize("blue running shoes"), tokenize("running shoes for men size 10"))).toBeCloseTo(
      4 / 9,
      10,
    );
    // All 3 human tokens among 4 predicted: P = 3/4, R = 1, F1 = 6/7.
    expect(tokenF1(tokenize("red cotton shirt large"), tokenize("large red shirt"))).toBeCloseTo(6 / 7, 10);
    // Multiset: "pack" counts once against one "pack": overlap 2 of 4 predicted, P = 1/2, R = 1, F1 = 2/3.
    expect(tokenF1(tokenize("pack pack of 2"), tokenize("2 pack"))).toBeCloseTo(2 / 3, 10);
    expect(tokenF1(tokenize("red mug"), tokenize("blue plate"))).toBe(0);
    expect(tokenF1([], tokenize("red mug"))).toBe(0);
  });

  it("scores against the best-matching of several human queries; exact match on normalised tokens", () => {
    // vs "red mug 12 oz": overlap 2, P = 2/3, R = 2/4 → F1 = 4/7; vs "mug": P = 1/3, R = 1 → F1 = 1/2.
    const s = scoreQuery("large red mug", ["mug", "red mug 12 oz"]);
    expect(s.token_f1).toBeCloseTo(4 / 7, 10);
    expect(s.best_human_query).toBe("red mug 12 oz");
    expect(s.length_ratio).toBeCloseTo(3 / 4, 10);
    expect(s.exact).toBe(false);

    const e = scoreQuery("T-Shirt, Red", ["red t-shirt cotton", "t shirt red"]);
    expect(e).toEqual({ token_f1: 1, best_human_query: "t shirt red", exact: true, length_ratio: 1 });
    // Same tokens in another order: F1 1 but not an exact match.
    expect(scoreQuery("red t shirt", ["t shirt red"]).exact).toBe(false);
    // A tie keeps the first listed query.
    expect(scoreQuery("red mug", ["red cup", "blue mug"]).best_human_query).toBe("red cup");
  });

  it("aggregates over goals, with the whole instruction as the baseline", () => {
    const goals = [
      { instruction: "i need a red mug", human_queries: ["red mug"], split: "eval" as const },
      {
        instruction: "looking for large blue shoes",
        human_queries: ["blue shoes", "large shoes"],
        split: "eval" as const,
      },
    ];
    const predicted: Record<string, string> = {
      "i need a red mug": "red mug",
      "looking for large blue shoes": "shoes",
    };
    const r = evaluateQueries({ goals, predict: (i) => predicted[i] ?? "" });
    // Goal 1: exact, F1 1, ratio 1. Goal 2: "shoes" vs "blue shoes": P 1, R 1/2 → F1 2/3 (the first
    // of the tie), ratio 1/2.
    expect(r.policy.token_f1).toBeCloseTo((1 + 2 / 3) / 2, 4);
    expect(r.policy.exact_match).toBe(0.5);
    expect(r.policy.length_ratio_mean).toBeCloseTo(0.75, 4);
    expect(r.policy.length_ratio_median).toBeCloseTo(0.75, 4);
    // Baseline 1: "i need a red mug" (5) vs "red mug" (2): P 2/5, R 1 → F1 4/7, ratio 5/2.
    // Baseline 2: "looking for large blue shoes" (5) vs "blue shoes": P 2/5, R 1 → 4/7, ratio 5/2.
    expect(r.baseline.token_f1).toBeCloseTo(4 / 7, 4);
    expect(r.baseline.exact_match).toBe(0);
    expect(r.baseline.length_ratio_median).toBe(2.5);
    expect(r.goals_evaluated).toBe(2);
    expect(r.per_goal[1]).toMatchObject({ predicted: "shoes", best_human_query: "blue shoes", exact: false });
  });

  it("rejects a file that is not in the goal_query_map format, naming the file and the format", async () => {
    const dir = mkdtempSync(join(tmpdir(), "shopsim-queries-"));
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ "i need a mug": "mug" }));
    await expect(loadGoalQueryMap(bad)).rejects.toThrow(InputError);
    await expect(loadGoalQueryMap(bad)).rejects.toThrow(/bad\.json: i need a mug: .*goal_query_map format/);
    writeFileSync(bad, "[1, 2");
    await expect(loadGoalQueryMap(bad)).rejects.toThrow(/bad\.json: is not valid JSON/);
    await expect(loadGoalQueryMap(join(dir, "nope.json"))).rejects.toThrow(/nope\.json: no such file/);
  });
});

describe("WebShop splits", () => {
  it("finds every goal of the query map in human_goals.json; 53 eval and 973 train goals", async () => {
    const map = await loadGoalQueryMap(MAP);
    const humanGoals = await loadHumanGoals(GOALS);
    expect(humanGoals).toHaveLength(12087);
    const s = selectGoals({ map, humanGoals, split: "all", seenByFit: new Set() });
    expect(s.split_assignment).toEqual({ exact: 1026, tokens: 0, hash: 0 });
    // 14 goals occur in both eval and train of human_goals.json: their first occurrence (eval) wins.
    expect(s.by_split).toEqual({ test: 0, eval: 53, train: 973 });
  });

  it("assigns an instruction by its token sequence, else deterministically by hash", () => {
    const humanGoals = Array.from({ length: 2000 }, (_, i) => `goal number ${i}`);
    const splits = assignSplits(["Goal, number 700!", "goal number 1600", "never seen"], humanGoals);
    expect(splits.get("Goal, number 700!")).toEqual({ split: "eval", index: 700, how: "tokens" });
    expect(splits.get("goal number 1600")).toEqual({ split: "train", index: 1600, how: "exact" });
    const hashed = splits.get("never seen");
    expect(hashed?.how).toBe("hash");
    expect(assignSplits(["never seen"], humanGoals).get("never seen")).toEqual(hashed);
  });
});

describe("the query model", () => {
  const fitInto = (out: string) =>
    spawnSync(
      process.execPath,
      [join(ROOT, "scripts/fit-query-model.ts"), "--train", MAP, "--goals", GOALS, "--out", out],
      { encoding: "utf8", timeout: 120_000 },
    );

  it("is fit deterministically, and the shipped file is a fresh fit (a stale model fails here)", () => {
    const dir = mkdtempSync(join(tmpdir(), "shopsim-qmodel-"));
    const a = fitInto(join(dir, "a.json"));
    const b = fitInto(join(dir, "b.json"));
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const bytes = readFileSync(join(dir, "a.json"));
    expect(readFileSync(join(dir, "b.json")).equals(bytes)).toBe(true);
    expect(readFileSync(MODEL).equals(bytes)).toBe(true);
    expect(statSync(MODEL).size).toBeLessThan(60_000);
  });

  it("records what it was fit on: only train-split goals", async () => {
    const model = queryModel();
    const sha = (await import("node:crypto")).createHash("sha256").update(readFileSync(MAP)).digest("hex");
    expect(model.fit.train_file.sha256).toBe(sha);
    expect(model.fit.split_used).toBe("train");
    expect(model.fit.goals).toBe(973);
    const map = await loadGoalQueryMap(MAP);
    const humanGoals = await loadHumanGoals(GOALS);
    const seen = new Set(model.fit_goal_fingerprints);
    const all = selectGoals({ map, humanGoals, split: "all", seenByFit: new Set() }).goals;
    for (const g of all) expect(seen.has(goalFingerprint(g.instruction))).toBe(g.split === "train");
  });

  it("forms the shopper's first query for an instruction-only product request; targets and browse intents keep theirs", () => {
    const instruction =
      "i am looking for a chrome sputnik chandelier for my dining room, and price lower than 90 dollars";
    const plan = planFor({ instruction });
    expect(plan.queries[0]).toBe(
      formQuery("i am looking for a chrome sputnik chandelier for my dining room"),
    );
    expect(plan.queries[0]).toMatch(/^chrome sputnik chandelier/);
    expect(plan.queries[0]).not.toMatch(/looking|price|90/);
    expect(plan.maxPrice).toBe(90);
    // A structured target still searches "attribute product type" first.
    const targeted = planFor({
      instruction,
      target: { product_type: "chandelier", attributes: ["chrome"], options: {} },
    });
    expect(targeted.queries[0]).toBe("chrome chandelier");
    // A browsing intent searches what it names, as before.
    expect(planFor({ instruction: "Browse running shoes and see what's on offer." }).queries[0]).toBe(
      "running shoes",
    );
  });

  it("beats typing the whole instruction on the eval split, which the fit never saw", async () => {
    const r = queriesResult({
      map: await loadGoalQueryMap(MAP),
      humanGoals: await loadHumanGoals(GOALS),
      split: "eval",
      policy: heuristicQueryPolicy(),
    });
    expect(r.goals_evaluated).toBe(53);
    expect(r.goals_excluded_seen_by_fit).toBe(0);
    // Measured: policy token F1 0.805 (exact 11.3%), baseline 0.610 (exact 0%).
    expect(r.baseline.token_f1).toBeCloseTo(0.61, 2);
    expect(r.policy.token_f1).toBeGreaterThan(0.78);
    expect(r.policy.token_f1! - r.baseline.token_f1!).toBeGreaterThan(0.15);
    expect(r.policy.exact_match).toBeGreaterThan(0.05);
    expect(r.policy.length_ratio_median).toBeGreaterThan(0.8);
    expect(r.policy.length_ratio_median).toBeLessThan(1.5);
  });

  it("never scores a goal the fit saw, even when written differently", async () => {
    const humanGoals = await loadHumanGoals(GOALS);
    const model = queryModel();
    const trainGoal = humanGoals.find(
      (g, i) => i >= 1500 && model.fit_goal_fingerprints.includes(goalFingerprint(g)),
    );
    expect(trainGoal).toBeDefined();
    const map: GoalQueryMap = { [`${trainGoal!.toUpperCase()} !`]: ["x"], [humanGoals[600]!]: ["y"] };
    const s = selectGoals({ map, humanGoals, split: "all", seenByFit: new Set(model.fit_goal_fingerprints) });
    expect(s.excluded_seen_by_fit).toBe(1);
    expect(s.goals.map((g) => g.instruction)).toEqual([humanGoals[600]]);
  });
});

describe("shopsim eval queries", () => {
  let out: string;
  const logs: string[] = [];

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "shopsim-eval-queries-"));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    logs.length = 0;
  });

  async function run(...args: string[]): Promise<void> {
    const program = new Command().exitOverride();
    registerEvalQueriesCommand(program.command("eval"));
    vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
      logs.push(a.join(" "));
    });
    await program.parseAsync(["node", "shopsim", "eval", "queries", ...args]);
  }

  it("writes queries.json and queries.md with the figures named plainly, and prints a summary", async () => {
    await run("--human-queries", MAP, "--out", out);
    const report = JSON.parse(readFileSync(join(out, "queries.json"), "utf8")) as EvalReport<QueriesResult>;
    expect(report.kind).toBe("queries");
    expect(report.command).toMatch(/^shopsim\b/);
    expect(report.inputs.map((i) => i.path)).toEqual([MAP, GOALS, MODEL]);
    for (const i of report.inputs) expect(i.sha256).toMatch(/^[0-9a-f]{64}$/);
    const r = report.result;
    for (const figures of [r.policy, r.baseline]) {
      expect(Object.keys(figures).sort()).toEqual([
        "exact_match",
        "length_ratio_mean",
        "length_ratio_median",
        "token_f1",
      ]);
    }
    expect(r.split).toBe("eval");
    expect(r.goals_evaluated).toBe(53);
    expect(r.goals_excluded_seen_by_fit).toBe(0);
    expect(r.per_goal).toHaveLength(53);
    expect(r.per_goal[0]).toEqual(
      expect.objectContaining({
        goal: expect.any(String),
        predicted: expect.any(String),
        best_human_query: expect.any(String),
        token_f1: expect.any(Number),
      }),
    );
    expect(r.policy.token_f1).toBeGreaterThan(r.baseline.token_f1!);
    const md = readFileSync(join(out, "queries.md"), "utf8");
    expect(md).toMatch(/# shopsim queries/);
    expect(md).toMatch(/\| heuristic \| 0\.\d{3} \|/);
    expect(md).toMatch(/baseline: whole instruction/);
    const summary = logs.join("\n");
    expect(summary).toMatch(/53 goals evaluated, 0 excluded/);
    expect(summary).toMatch(/heuristic +token F1 0\.\d{3} +exact match \d+\.\d%/);
    expect(summary).toMatch(/baseline +token F1 0\.6\d\d/);
  });

  it("--split all leaves out the 973 train goals the fit saw; --split train refuses", async () => {
    await run("--human-queries", MAP, "--goals", GOALS, "--split", "all", "--out", out);
    const r = (JSON.parse(readFileSync(join(out, "queries.json"), "utf8")) as EvalReport<QueriesResult>)
      .result;
    expect(r).toMatchObject({ split: "all", goals_evaluated: 53, goals_excluded_seen_by_fit: 973 });
    await expect(run("--human-queries", MAP, "--split", "train", "--out", out)).rejects.toThrow(
      /--split train: all 973 goals of the train split were seen by the query model's fit/,
    );
  });

  it("--limit scores the first N goals", async () => {
    await run("--human-queries", MAP, "--limit", "5", "--out", out);
    const r = (JSON.parse(readFileSync(join(out, "queries.json"), "utf8")) as EvalReport<QueriesResult>)
      .result;
    expect(r.goals_evaluated).toBe(5);
    expect(r.per_goal).toHaveLength(5);
  });

  it("rejects other policies, a bad split and a missing goals file clearly", async () => {
    await expect(run("--human-queries", MAP, "--policy", "llm", "--out", out)).rejects.toThrow(
      "--policy llm: not supported by eval queries; supported: heuristic",
    );
    await expect(run("--human-queries", MAP, "--split", "test", "--out", out)).rejects.toThrow(
      "--split test: expected one of eval, train, all",
    );
    const dir = mkdtempSync(join(tmpdir(), "shopsim-eval-queries-nogoals-"));
    const lone = join(dir, "map.json");
    writeFileSync(lone, readFileSync(MAP));
    await expect(run("--human-queries", lone, "--out", out)).rejects.toThrow(
      /--goals: not given, and there is no human_goals\.json next to .*map\.json/,
    );
  });
});
