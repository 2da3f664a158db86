#!/usr/bin/env node
/**
 * Fits the built-in shopper's query-formation model (src/policy/heuristic/query-model.ts) on the
 * TRAIN split of WebShop's human queries and writes it as JSON. Deterministic: the same inputs give
 * the same bytes (no dates, sorted keys, fixed rounding, hash-based folds).
 *
 *   node scripts/fit-query-model.ts \
 *     --train ../shared/datasets/webshop-goals/goal_query_map.train.json \
 *     --goals ../shared/datasets/webshop-goals/human_goals.json \
 *     --out src/policy/heuristic/query-model.json
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ShopsimError } from "../src/contracts/errors.ts";
import {
  assignSplits,
  type GoalQueryMap,
  goalFingerprint,
  loadGoalQueryMap,
  loadHumanGoals,
  SPLIT_RULE,
  scoreQuery,
  tokenize,
} from "../src/eval/queries.ts";
import {
  CLASS_NAMES,
  formQuery,
  instructionTokens,
  type QueryModel,
  QueryModelSchema,
  type TokenClass,
  tokenClass,
} from "../src/policy/heuristic/query-model.ts";
import { mean, quantile } from "../src/stats.ts";

/** Feature definitions (the rates are learned; which words form a class is fixed here). */
const CLASS_WORDS: QueryModel["class_words"] = {
  filler: (
    "i im id ive am is are be was looking look searching search seeking shopping want wanted wanna need " +
    "would like love to for find me get buy purchase order some a an the please hi hello hey there can could " +
    "you help show have got interested in it " +
    // what the tokenizer leaves of "i'm", "i'd", "i've", "you're", "i'll"
    "m d ve re ll"
  )
    .split(" ")
    .sort(),
  colour: (
    "black white blue red green pink grey gray purple yellow orange brown beige navy gold silver ivory " +
    "cream khaki teal tan multicolor multicolored clear natural rose burgundy maroon turquoise violet " +
    "lavender coral charcoal olive mint aqua"
  )
    .split(" ")
    .sort(),
  size: "small medium large xl xxl xxxl xs xx x s m l size sized big little extra".split(" ").sort(),
  unit: (
    "ounce ounces oz fl pack packs count ct inch inches ft feet foot pound pounds lb lbs ml liter liters " +
    "gram grams g kg mg piece pieces pcs pc set sets cm mm meter meters gallon gallons quart pair pairs"
  )
    .split(" ")
    .sort(),
};

/** Words need this many occurrences (outside the leading filler) for a rate of their own. */
const MIN_COUNT = 3;
/** Pseudo-occurrences of the class rate added to a word's own rate. */
const PRIOR_STRENGTH = 2;
const FOLDS = 5;
const THRESHOLDS = Array.from({ length: 17 }, (_, k) => 0.2 + 0.025 * k);
const DIGITS = 4;
/** The query length histogram's last bucket: this many tokens or more. */
const HISTOGRAM_TOP = 15;

const round = (x: number, digits = DIGITS): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

interface TrainGoal {
  instruction: string;
  queries: string[];
}

type Tally = Map<string, { kept: number; seen: number }>;

function tally(map: Tally, key: string, kept: number, weight: number): void {
  const t = map.get(key) ?? { kept: 0, seen: 0 };
  t.kept += kept * weight;
  t.seen += weight;
  map.set(key, t);
}

/**
 * The model's rates from these goals. Every query of a goal is one example, weighted 1/(number of
 * the goal's queries), so each goal counts once; a token is "kept" when the query contains it.
 */
function rates(goals: readonly TrainGoal[]): Pick<QueryModel, "classes" | "words"> {
  const filler = new Set(CLASS_WORDS.filler);
  const perGoal = goals.map((g) => ({
    tokens: instructionTokens(g.instruction, filler),
    queries: g.queries.map((q) => new Set(tokenize(q))),
  }));
  const occurrences = new Map<string, number>();
  for (const g of perGoal)
    for (const t of g.tokens) if (!t.filler) occurrences.set(t.token, (occurrences.get(t.token) ?? 0) + 1);
  const words: Tally = new Map();
  const classes: Tally = new Map();
  for (const g of perGoal) {
    const weight = 1 / g.queries.length;
    for (const q of g.queries) {
      for (const t of g.tokens) {
        const kept = q.has(t.token) ? 1 : 0;
        if (!t.filler && (occurrences.get(t.token) ?? 0) >= MIN_COUNT) tally(words, t.token, kept, weight);
        else tally(classes, tokenClass(t, CLASS_WORDS), kept, weight);
      }
    }
  }
  const asRate = (t: { kept: number; seen: number }): [number, number] => [
    round(t.kept / t.seen),
    Math.round(t.seen),
  ];
  const classOut = {} as Record<TokenClass, [number, number]>;
  for (const c of CLASS_NAMES) {
    const t = classes.get(c);
    if (t !== undefined && t.seen > 0) classOut[c] = asRate(t);
  }
  const wordOut: Record<string, [number, number]> = {};
  for (const w of [...words.keys()].sort())
    wordOut[w] = asRate(words.get(w) as { kept: number; seen: number });
  return { classes: classOut, words: wordOut };
}

function meanF1(model: QueryModel, goals: readonly TrainGoal[]): number {
  return mean(goals.map((g) => scoreQuery(formQuery(g.instruction, model), g.queries).token_f1));
}

function fold(instruction: string): number {
  return createHash("sha256").update(instruction).digest().readUInt32BE(0) % FOLDS;
}

export function fitQueryModel(opts: {
  map: GoalQueryMap;
  humanGoals: readonly string[];
  trainFile: { name: string; sha256: string };
  goalsFile: { name: string; sha256: string };
}): QueryModel {
  const splits = assignSplits(Object.keys(opts.map), opts.humanGoals);
  const goals: TrainGoal[] = Object.keys(opts.map)
    .filter((instruction) => splits.get(instruction)?.split === "train")
    .sort()
    .map((instruction) => ({ instruction, queries: opts.map[instruction] as string[] }));
  if (goals.length === 0) throw new Error("no goal of the train split in the queries file");

  const lengths = goals.flatMap((g) => g.queries.map((q) => tokenize(q).length));
  const maxLen = Math.max(...lengths);
  const histogram: Record<string, number> = {};
  for (let n = 1; n <= Math.min(maxLen, HISTOGRAM_TOP); n++) {
    const count = lengths.filter((x) => (n === HISTOGRAM_TOP ? x >= n : x === n)).length;
    histogram[n === HISTOGRAM_TOP ? `${n}+` : String(n)] = round(count / lengths.length, 3);
  }
  const query_length = {
    mean: round(mean(lengths), 2),
    p10: quantile(lengths, 0.1),
    median: quantile(lengths, 0.5),
    p90: quantile(lengths, 0.9),
    p95: quantile(lengths, 0.95),
    histogram,
  };
  const base = {
    prior_strength: PRIOR_STRENGTH,
    min_count: MIN_COUNT,
    class_words: CLASS_WORDS,
  };
  const model = (r: Pick<QueryModel, "classes" | "words">, threshold: number, maxTokens: number) =>
    ({ ...base, ...r, threshold, max_tokens: maxTokens }) as unknown as QueryModel;

  // Threshold and length cap by 5-fold cross-validation on the train split (folds by hash).
  const caps = [...new Set([query_length.p95, maxLen].map((n) => Math.ceil(n)))];
  const folds = Array.from({ length: FOLDS }, (_, k) => ({
    rates: rates(goals.filter((g) => fold(g.instruction) !== k)),
    held: goals.filter((g) => fold(g.instruction) === k),
  }));
  let best = { threshold: THRESHOLDS[0] as number, cap: caps[0] as number, f1: -1 };
  const curve: Record<string, number> = {};
  for (const cap of caps) {
    for (const threshold of THRESHOLDS) {
      let sum = 0;
      for (const f of folds) sum += meanF1(model(f.rates, threshold, cap), f.held) * f.held.length;
      const f1 = sum / goals.length;
      if (cap === caps[0]) curve[threshold.toFixed(3)] = round(f1);
      if (f1 > best.f1 + 1e-9) best = { threshold: round(threshold, 3), cap, f1 };
    }
  }

  const out: QueryModel = {
    kind: "shopsim-query-model",
    version: 1,
    description:
      "Per-word rates at which people keep a word of a WebShop instruction in their search query; a word too rare for its own rate uses its class's rate. Read by src/policy/heuristic/query-model.ts; regenerate with scripts/fit-query-model.ts.",
    tokenizer: "lowercase; split on non-alphanumerics (ASCII); numbers kept",
    fit: {
      train_file: opts.trainFile,
      goals_file: opts.goalsFile,
      split_rule: SPLIT_RULE,
      split_used: "train",
      goals: goals.length,
      queries: lengths.length,
      threshold_selection: `${FOLDS}-fold cross-validation on the train split (fold = first 32 bits of sha256(instruction) mod ${FOLDS}); the threshold (0.200 to 0.600 by 0.025) and length cap (p95 or longest human query) with the best mean token F1; cv_token_f1 is the curve at the p95 cap`,
      cv_token_f1: curve,
    },
    threshold: best.threshold,
    max_tokens: best.cap,
    prior_strength: PRIOR_STRENGTH,
    min_count: MIN_COUNT,
    query_length,
    class_words: CLASS_WORDS,
    ...rates(goals),
    fit_goal_fingerprints: [...new Set(goals.map((g) => goalFingerprint(g.instruction)))].sort(),
  };
  return QueryModelSchema.parse(out);
}

/** The repository formatter's line width (biome.json). */
const LINE_WIDTH = 110;

/**
 * JSON as the repository's formatter (biome) writes it, so `biome check` passes on the file:
 * two-space indentation, objects one key a line, an array on one line when it fits in the line
 * width, else one item a line. `lead` is the text before the value on its line.
 */
export function serialize(value: unknown, indent = "", lead = 0): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const items = value.map((v) => serialize(v, inner, inner.length));
    const oneLine = `[${items.join(", ")}]`;
    if (lead + oneLine.length + 1 <= LINE_WIDTH) return oneLine;
    if (value.some((v) => typeof v !== "string"))
      throw new Error("serialize: a long array must hold strings");
    return `[\n${items.map((s) => `${inner}${s}`).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    const lines = entries.map(([k, v]) => {
      const key = `${inner}${JSON.stringify(k)}: `;
      return `${key}${serialize(v, inner, key.length)}`;
    });
    return `{\n${lines.join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { train: { type: "string" }, goals: { type: "string" }, out: { type: "string" } },
  });
  for (const flag of ["train", "goals", "out"] as const) {
    if (values[flag] === undefined) {
      throw new ShopsimError(
        `--${flag} is missing. Usage: node scripts/fit-query-model.ts --train goal_query_map.json --goals human_goals.json --out src/policy/heuristic/query-model.json`,
      );
    }
  }
  const train = values.train as string;
  const goals = values.goals as string;
  const model = fitQueryModel({
    map: await loadGoalQueryMap(train),
    humanGoals: await loadHumanGoals(goals),
    trainFile: { name: basename(train), sha256: sha256(train) },
    goalsFile: { name: basename(goals), sha256: sha256(goals) },
  });
  const text = `${serialize(model)}\n`;
  writeFileSync(values.out as string, text);
  process.stderr.write(
    `fit-query-model: ${model.fit.goals} train goals, ${Object.keys(model.words).length} words, threshold ${model.threshold}, max ${model.max_tokens} tokens, ${text.length} bytes → ${values.out}\n`,
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`fit-query-model: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
