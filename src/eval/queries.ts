import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { describeZodError, InputError } from "../contracts/errors.ts";
import { planFor } from "../policy/heuristic/plan.ts";
import { queryModel } from "../policy/heuristic/query-model.ts";
import { mean, median } from "../stats.ts";
import { mdTable, num, pct } from "./report.ts";

/**
 * Query formation: how close a policy's first search query for a goal comes to the queries real
 * people typed for the same goal (WebShop's goal_query_map). Pure apart from the two file loaders.
 *
 * Tokenisation (used by every figure): lowercase, then split on every run of characters that are not
 * ASCII letters or digits; numbers are kept as tokens. "Men's 3.4-oz T-Shirt" → men s 3 4 oz t shirt.
 *
 * Per goal, the predicted query is scored against each human query and the best one is kept:
 * - token F1: the multiset overlap of tokens, precision = overlap / predicted tokens, recall =
 *   overlap / human tokens, F1 = 2PR / (P + R); 0 when there is no overlap (or an empty prediction);
 * - the best-matching human query is the one with the highest F1 (the first listed on a tie);
 * - exact match: the predicted token sequence equals the token sequence of any human query;
 * - length ratio: predicted tokens / tokens of the best-matching human query.
 * Figures are then averaged over goals (each goal counts once, however many queries it has).
 */

/** `{ "<instruction>": ["query", …] }`: the search queries people typed for each instruction. */
export const GoalQueryMapSchema = z.record(z.string().min(1), z.array(z.string()).min(1));
export type GoalQueryMap = z.infer<typeof GoalQueryMapSchema>;

const HumanGoalsSchema = z.array(z.string());

const MAP_EXPECTED =
  'expected a JSON object mapping each instruction to a non-empty list of the search queries people typed, e.g. {"i need a red mug": ["red mug"]} (WebShop goal_query_map format)';
const GOALS_EXPECTED =
  "expected a JSON array of instruction strings in WebShop split order (index 0–499 test, 500–1499 eval, the rest train), like WebShop's human_goals.json";

async function readJson(path: string, expected: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      path,
      `${code === "ENOENT" ? "no such file" : `cannot be read (${code})`}; ${expected}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(path, `is not valid JSON (${(error as Error).message}); ${expected}`);
  }
}

/** Reads a goal → human queries file; a bad shape is an InputError naming the file and the format. */
export async function loadGoalQueryMap(path: string): Promise<GoalQueryMap> {
  const value = await readJson(path, MAP_EXPECTED);
  const parsed = GoalQueryMapSchema.safeParse(value);
  if (!parsed.success) throw new InputError(path, `${describeZodError(parsed.error)}; ${MAP_EXPECTED}`);
  if (Object.keys(parsed.data).length === 0) throw new InputError(path, `has no goals; ${MAP_EXPECTED}`);
  return parsed.data;
}

/** Reads WebShop's human_goals.json (instructions in split order). */
export async function loadHumanGoals(path: string): Promise<string[]> {
  const value = await readJson(path, GOALS_EXPECTED);
  const parsed = HumanGoalsSchema.safeParse(value);
  if (!parsed.success) throw new InputError(path, `${describeZodError(parsed.error)}; ${GOALS_EXPECTED}`);
  return parsed.data;
}

// --- metrics ----------------------------------------------------------------------------------

/** Lowercase, split on non-alphanumerics (ASCII), keep numbers. */
export function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== "");
}

/** Token-level F1 of two token lists (multiset overlap). */
export function tokenF1(predicted: readonly string[], reference: readonly string[]): number {
  if (predicted.length === 0 || reference.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const t of reference) counts.set(t, (counts.get(t) ?? 0) + 1);
  let overlap = 0;
  for (const t of predicted) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      overlap += 1;
      counts.set(t, left - 1);
    }
  }
  if (overlap === 0) return 0;
  const precision = overlap / predicted.length;
  const recall = overlap / reference.length;
  return (2 * precision * recall) / (precision + recall);
}

/** One predicted query against all human queries of its goal. */
export interface QueryScore {
  /** Best token F1 over the human queries. */
  token_f1: number;
  /** The human query with that F1 (the first listed on a tie). */
  best_human_query: string;
  /** The predicted token sequence equals some human query's. */
  exact: boolean;
  /** Predicted tokens / tokens of the best-matching human query; null when that query has no tokens. */
  length_ratio: number | null;
}

export function scoreQuery(predicted: string, humanQueries: readonly string[]): QueryScore {
  if (humanQueries.length === 0) throw new Error("scoreQuery: a goal needs at least one human query");
  const p = tokenize(predicted);
  const joined = p.join(" ");
  let bestF1 = -1;
  let best = humanQueries[0] as string;
  let bestTokens: string[] = [];
  let exact = false;
  for (const q of humanQueries) {
    const h = tokenize(q);
    if (h.join(" ") === joined) exact = true;
    const f1 = tokenF1(p, h);
    if (f1 > bestF1) {
      bestF1 = f1;
      best = q;
      bestTokens = h;
    }
  }
  return {
    token_f1: bestF1,
    best_human_query: best,
    exact,
    length_ratio: bestTokens.length === 0 ? null : p.length / bestTokens.length,
  };
}

// --- goal selection ---------------------------------------------------------------------------

export type Split = "test" | "eval" | "train";
export const SPLIT_CHOICES = ["eval", "train", "all"] as const;
export type SplitChoice = (typeof SPLIT_CHOICES)[number];

/** WebShop's split of an index in human_goals.json: 0–499 test, 500–1499 eval, the rest train. */
export function splitOfIndex(index: number): Split {
  return index < 500 ? "test" : index < 1500 ? "eval" : "train";
}

/** Written into reports and the query model: how a goal's split is decided. */
export const SPLIT_RULE =
  "WebShop order of human_goals.json (index 0-499 test, 500-1499 eval, rest train); a goal takes the split of the first goal there with the same token sequence (lowercase, split on non-alphanumerics), so a goal that also occurs in test or eval is never train; a goal not found takes the split of index floor(u * N), u = first 32 bits of sha256(instruction) / 2^32, N = number of human goals";

export interface GoalSplit {
  split: Split;
  /** First index in human_goals.json with the same token sequence, or the hash-derived index. */
  index: number;
  /** "exact": the string occurs in human_goals.json; "tokens": only its token sequence does; "hash": neither. */
  how: "exact" | "tokens" | "hash";
}

/** The WebShop split of each instruction, decided by SPLIT_RULE. */
export function assignSplits(
  instructions: readonly string[],
  humanGoals: readonly string[],
): Map<string, GoalSplit> {
  if (humanGoals.length === 0) throw new Error("assignSplits: the human goals list is empty");
  const exact = new Set(humanGoals);
  const byTokens = new Map<string, number>();
  humanGoals.forEach((g, i) => {
    const key = tokenize(g).join(" ");
    if (!byTokens.has(key)) byTokens.set(key, i);
  });
  const out = new Map<string, GoalSplit>();
  for (const instruction of instructions) {
    const t = byTokens.get(tokenize(instruction).join(" "));
    if (t !== undefined) {
      out.set(instruction, {
        split: splitOfIndex(t),
        index: t,
        how: exact.has(instruction) ? "exact" : "tokens",
      });
      continue;
    }
    const u = createHash("sha256").update(instruction).digest().readUInt32BE(0) / 2 ** 32;
    const index = Math.floor(u * humanGoals.length);
    out.set(instruction, { split: splitOfIndex(index), index, how: "hash" });
  }
  return out;
}

/**
 * A goal's fingerprint: the first 12 hex digits of the SHA-256 of its token sequence. The query model
 * records the fingerprints of the goals it was fit on; evaluation skips any goal with one of them
 * (so a goal that differs only in case, spacing or punctuation is caught too).
 */
export function goalFingerprint(instruction: string): string {
  return createHash("sha256").update(tokenize(instruction).join(" ")).digest("hex").slice(0, 12);
}

export interface SelectedGoals {
  goals: GoalWithQueries[];
  /** Goals of the chosen split that the fit saw, left out. */
  excluded_seen_by_fit: number;
  /** Goals of the chosen split before exclusion and --limit. */
  in_split: number;
  /** How the splits of all goals in the file were decided. */
  split_assignment: { exact: number; tokens: number; hash: number };
  by_split: Record<Split, number>;
}

export interface GoalWithQueries {
  instruction: string;
  human_queries: string[];
  split: Split;
}

/**
 * The goals to evaluate: those of `split` ("all": every goal) in file order, minus every goal whose
 * fingerprint is in `seenByFit`, then the first `limit`.
 */
export function selectGoals(opts: {
  map: GoalQueryMap;
  humanGoals: readonly string[];
  split: SplitChoice;
  seenByFit: ReadonlySet<string>;
  limit?: number;
}): SelectedGoals {
  const instructions = Object.keys(opts.map);
  const splits = assignSplits(instructions, opts.humanGoals);
  const split_assignment = { exact: 0, tokens: 0, hash: 0 };
  const by_split: Record<Split, number> = { test: 0, eval: 0, train: 0 };
  const inSplit: GoalWithQueries[] = [];
  for (const instruction of instructions) {
    const s = splits.get(instruction) as GoalSplit;
    split_assignment[s.how] += 1;
    by_split[s.split] += 1;
    if (opts.split === "all" || s.split === opts.split) {
      inSplit.push({ instruction, human_queries: opts.map[instruction] as string[], split: s.split });
    }
  }
  const unseen = inSplit.filter((g) => !opts.seenByFit.has(goalFingerprint(g.instruction)));
  return {
    goals: opts.limit === undefined ? unseen : unseen.slice(0, opts.limit),
    excluded_seen_by_fit: inSplit.length - unseen.length,
    in_split: inSplit.length,
    split_assignment,
    by_split,
  };
}

// --- evaluation -------------------------------------------------------------------------------

/** Turns an instruction into the first search query a shopper would type. */
export type QueryPredictor = (instruction: string) => string;

export interface QueryFigures {
  /** Mean over goals of the best token F1. */
  token_f1: number | null;
  /** Share of goals whose query equals a human query (token sequence). */
  exact_match: number | null;
  length_ratio_mean: number | null;
  length_ratio_median: number | null;
}

export interface PerGoalQuery {
  goal: string;
  split: Split;
  predicted: string;
  best_human_query: string;
  token_f1: number;
  exact: boolean;
  length_ratio: number | null;
  baseline_token_f1: number;
}

export interface QueryEvaluation {
  policy: QueryFigures;
  /** The naive baseline: the whole instruction typed as the query. */
  baseline: QueryFigures;
  goals_evaluated: number;
  per_goal: PerGoalQuery[];
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

function figures(scores: readonly QueryScore[]): QueryFigures {
  if (scores.length === 0) {
    return { token_f1: null, exact_match: null, length_ratio_mean: null, length_ratio_median: null };
  }
  const ratios = scores.map((s) => s.length_ratio).filter((r): r is number => r !== null);
  return {
    token_f1: round(mean(scores.map((s) => s.token_f1))),
    exact_match: round(scores.filter((s) => s.exact).length / scores.length),
    length_ratio_mean: ratios.length > 0 ? round(mean(ratios)) : null,
    length_ratio_median: ratios.length > 0 ? round(median(ratios)) : null,
  };
}

/** Scores `predict` and the whole-instruction baseline on each goal. */
export function evaluateQueries(opts: {
  goals: readonly GoalWithQueries[];
  predict: QueryPredictor;
}): QueryEvaluation {
  const policy: QueryScore[] = [];
  const baseline: QueryScore[] = [];
  const per_goal: PerGoalQuery[] = [];
  for (const g of opts.goals) {
    const predicted = opts.predict(g.instruction);
    const s = scoreQuery(predicted, g.human_queries);
    const b = scoreQuery(g.instruction, g.human_queries);
    policy.push(s);
    baseline.push(b);
    per_goal.push({
      goal: g.instruction,
      split: g.split,
      predicted,
      best_human_query: s.best_human_query,
      token_f1: round(s.token_f1),
      exact: s.exact,
      length_ratio: s.length_ratio === null ? null : round(s.length_ratio),
      baseline_token_f1: round(b.token_f1),
    });
  }
  return {
    policy: figures(policy),
    baseline: figures(baseline),
    goals_evaluated: opts.goals.length,
    per_goal,
  };
}

// --- policies ---------------------------------------------------------------------------------

/** A query-forming policy under evaluation, and the goals its fit saw (never scored). */
export interface QueryPolicy {
  name: string;
  predict: QueryPredictor;
  /** goalFingerprint of every goal the policy was fit on. */
  seenByFit: ReadonlySet<string>;
  /** What the policy's model was fit on, for the report; null when it has none. */
  model: { version: number; train_sha256: string; goals_sha256: string; goals: number } | null;
}

/** The built-in shopper: its first query for a goal that has only an instruction. */
export function heuristicQueryPolicy(): QueryPolicy {
  const model = queryModel();
  return {
    name: "heuristic",
    predict: (instruction) => planFor({ instruction }).queries[0] ?? "",
    seenByFit: new Set(model.fit_goal_fingerprints),
    model: {
      version: model.version,
      train_sha256: model.fit.train_file.sha256,
      goals_sha256: model.fit.goals_file.sha256,
      goals: model.fit.goals,
    },
  };
}

/** Policies `shopsim eval queries --policy` accepts. */
export const QUERY_POLICIES: Record<string, () => QueryPolicy> = { heuristic: heuristicQueryPolicy };

// --- report -----------------------------------------------------------------------------------

/** The `result` of a `queries` report (queries.json). */
export interface QueriesResult {
  policy_name: string;
  policy: QueryFigures;
  baseline: QueryFigures;
  goals_evaluated: number;
  goals_excluded_seen_by_fit: number;
  split: SplitChoice;
  /** Goals of the split in the file, before exclusion and --limit. */
  goals_in_split: number;
  split_rule: string;
  split_assignment: SelectedGoals["split_assignment"];
  goals_by_split: Record<Split, number>;
  query_model: QueryPolicy["model"];
  per_goal: PerGoalQuery[];
}

/** Selects the goals, evaluates the policy on them and assembles the report's result. */
export function queriesResult(opts: {
  map: GoalQueryMap;
  humanGoals: readonly string[];
  split: SplitChoice;
  policy: QueryPolicy;
  limit?: number;
}): QueriesResult {
  const selected = selectGoals({
    map: opts.map,
    humanGoals: opts.humanGoals,
    split: opts.split,
    seenByFit: opts.policy.seenByFit,
    ...(opts.limit === undefined ? {} : { limit: opts.limit }),
  });
  const evaluation = evaluateQueries({ goals: selected.goals, predict: opts.policy.predict });
  return {
    policy_name: opts.policy.name,
    policy: evaluation.policy,
    baseline: evaluation.baseline,
    goals_evaluated: evaluation.goals_evaluated,
    goals_excluded_seen_by_fit: selected.excluded_seen_by_fit,
    split: opts.split,
    goals_in_split: selected.in_split,
    split_rule: SPLIT_RULE,
    split_assignment: selected.split_assignment,
    goals_by_split: selected.by_split,
    query_model: opts.policy.model,
    per_goal: evaluation.per_goal,
  };
}

/** The Markdown body of a `queries` report. */
export function renderQueries(r: QueriesResult): string {
  const row = (name: string, f: QueryFigures) => [
    name,
    num(f.token_f1, 3),
    pct(f.exact_match),
    num(f.length_ratio_mean),
    num(f.length_ratio_median),
  ];
  const worst = [...r.per_goal].sort((a, b) => a.token_f1 - b.token_f1).slice(0, 10);
  return [
    `## Query formation: ${r.policy_name} vs real people (split ${r.split})`,
    "",
    `${r.goals_evaluated} goals evaluated; ${r.goals_excluded_seen_by_fit} of the ${r.goals_in_split} goals in the split left out because the query model was fit on them.`,
    "",
    mdTable(
      ["first query", "token F1", "exact match", "length ratio (mean)", "length ratio (median)"],
      [row(r.policy_name, r.policy), row("baseline: whole instruction", r.baseline)],
    ),
    "",
    "Each goal's first query is scored against every query people typed for it and the best match is kept: token F1 (tokens: lowercase, split on non-alphanumerics, numbers kept), exact match of the token sequence, and length ratio (predicted tokens / tokens of the best-matching human query). Figures are means (and the median) over goals.",
    "",
    `Splits (${r.split_rule}): ${r.goals_by_split.eval} eval, ${r.goals_by_split.train} train, ${r.goals_by_split.test} test goals in the file; ${r.split_assignment.exact} found verbatim, ${r.split_assignment.tokens} by token sequence, ${r.split_assignment.hash} assigned by hash.`,
    ...(r.query_model
      ? [
          "",
          `Query model v${r.query_model.version}: fit on ${r.query_model.goals} train goals (queries file sha256 ${r.query_model.train_sha256.slice(0, 16)}…).`,
        ]
      : []),
    ...(worst.length > 0
      ? [
          "",
          "### Lowest token F1",
          "",
          mdTable(
            ["goal", "predicted", "best human query", "token F1"],
            worst.map((g) => [g.goal, g.predicted, g.best_human_query, g.token_f1.toFixed(2)]),
          ),
        ]
      : []),
  ].join("\n");
}
