import { readFileSync } from "node:fs";
import { z } from "zod";
import { describeZodError } from "../../contracts/errors.ts";

/**
 * A small learned model of how people turn a shopping instruction into a search query, fit on the
 * train split of WebShop's human queries (scripts/fit-query-model.ts writes query-model.json beside
 * this file). People mostly keep some of the instruction's words, in order, and drop the rest
 * ("i am looking for a light weight bag for my laptop" → "light weight laptop bag"), so the model is
 * one number per word: how often people keep it.
 *
 * Each token of the instruction (lowercase, split on non-alphanumerics, numbers kept) gets a keep
 * probability:
 * - a token in the leading filler ("i'm looking for a …": the longest run of filler words the
 *   instruction starts with) gets the filler class's rate;
 * - any other token gets its word's rate when the word was seen often enough in training, shrunk
 *   towards its class rate: (rate·n + strength·class_rate) / (n + strength);
 * - a rarer word gets its class's rate: number, colour, size, unit, after "for", after "with", other
 *   (the first that applies; "after for" holds from "for" up to the next "with", "and", "that" or
 *   "which").
 * Tokens at or above the threshold are kept, at most `max_tokens` of them (the most probable), in
 * the instruction's order, without repeating a token. No dataset is read at run time.
 */

const WordRateSchema = z.tuple([z.number().min(0).max(1), z.number().int().positive()]);

export const CLASS_NAMES = [
  "filler",
  "number",
  "colour",
  "size",
  "unit",
  "after_for",
  "after_with",
  "other",
] as const;
export type TokenClass = (typeof CLASS_NAMES)[number];

export const QueryModelSchema = z
  .object({
    kind: z.literal("shopsim-query-model"),
    version: z.literal(1),
    description: z.string(),
    tokenizer: z.string(),
    fit: z
      .object({
        train_file: z.object({ name: z.string(), sha256: z.string() }),
        goals_file: z.object({ name: z.string(), sha256: z.string() }),
        split_rule: z.string(),
        split_used: z.literal("train"),
        goals: z.number().int().nonnegative(),
        queries: z.number().int().nonnegative(),
        threshold_selection: z.string(),
        /** Cross-validated mean token F1 on the train split at each threshold tried. */
        cv_token_f1: z.record(z.string(), z.number()),
      })
      .strict(),
    threshold: z.number().min(0).max(1),
    max_tokens: z.number().int().positive(),
    prior_strength: z.number().nonnegative(),
    min_count: z.number().int().positive(),
    /** Lengths, in tokens, of the human queries of the train split. */
    query_length: z
      .object({
        mean: z.number(),
        p10: z.number(),
        median: z.number(),
        p90: z.number(),
        p95: z.number(),
        /** Share of queries with 1, 2, … tokens (the last bucket, "15+": that many or more). */
        histogram: z.record(z.string(), z.number()),
      })
      .strict(),
    class_words: z
      .object({
        filler: z.array(z.string()),
        colour: z.array(z.string()),
        size: z.array(z.string()),
        unit: z.array(z.string()),
      })
      .strict(),
    /** [keep rate, occurrences] of the words too rare for their own rate, per class. */
    classes: z.partialRecord(z.enum(CLASS_NAMES), WordRateSchema),
    /** [keep rate, occurrences] per frequent word, outside the leading filler. */
    words: z.record(z.string(), WordRateSchema),
    /** goalFingerprint (src/eval/queries.ts) of every goal the fit saw, sorted: evaluation skips them. */
    fit_goal_fingerprints: z.array(z.string()),
  })
  .strict();

export type QueryModel = z.infer<typeof QueryModelSchema>;

const MODEL_URL = new URL("./query-model.json", import.meta.url);
let loaded: QueryModel | undefined;

/** The shipped model (query-model.json beside this file), read once. */
export function queryModel(): QueryModel {
  if (loaded === undefined) {
    const path = MODEL_URL.pathname;
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(MODEL_URL, "utf8"));
    } catch (error) {
      throw new Error(
        `cannot read the query model ${path} (${(error as Error).message}); regenerate it with scripts/fit-query-model.ts`,
      );
    }
    const parsed = QueryModelSchema.safeParse(value);
    if (!parsed.success) {
      throw new Error(
        `the query model ${path} is not a shopsim query model (${describeZodError(parsed.error)}); regenerate it with scripts/fit-query-model.ts`,
      );
    }
    loaded = parsed.data;
  }
  return loaded;
}

/** One token of an instruction with what the model looks at. */
export interface InstructionToken {
  token: string;
  /** Index of the whitespace-separated word it comes from. */
  word: number;
  /** In the leading filler run. */
  filler: boolean;
  /** "for" or "with" when the token follows one of them in the same clause. */
  after: "for" | "with" | null;
}

const CLAUSE_BREAK = new Set(["and", "that", "which", "with", "for"]);

/**
 * The instruction's tokens (lowercase, split on non-alphanumerics, numbers kept) with their word,
 * whether they are in the leading filler made of `fillerWords`, and whether they follow "for"/"with".
 */
export function instructionTokens(instruction: string, fillerWords: ReadonlySet<string>): InstructionToken[] {
  const out: InstructionToken[] = [];
  let filler = true;
  let after: "for" | "with" | null = null;
  instruction
    .toLowerCase()
    .split(/\s+/)
    .forEach((w, word) => {
      for (const token of w.split(/[^a-z0-9]+/)) {
        if (token === "") continue;
        if (filler && !fillerWords.has(token)) filler = false;
        out.push({ token, word, filler, after });
        if (token === "for" || token === "with") after = token;
        else if (CLAUSE_BREAK.has(token)) after = null;
      }
    });
  return out;
}

/** The class whose rate stands in for a word too rare to have its own. */
export function tokenClass(t: InstructionToken, classWords: QueryModel["class_words"]): TokenClass {
  if (t.filler) return "filler";
  if (/^\d+$/.test(t.token)) return "number";
  if (classWords.colour.includes(t.token)) return "colour";
  if (classWords.size.includes(t.token)) return "size";
  if (classWords.unit.includes(t.token)) return "unit";
  if (t.after === "for") return "after_for";
  if (t.after === "with") return "after_with";
  return "other";
}

/** The model's probability that a person keeps this token in the query. */
export function keepProbability(model: QueryModel, t: InstructionToken): number {
  const cls = tokenClass(t, model.class_words);
  const prior = model.classes[cls]?.[0] ?? 0.5;
  if (cls === "filler") return prior;
  const w = model.words[t.token];
  if (w === undefined || w[1] < model.min_count) return prior;
  return (w[0] * w[1] + model.prior_strength * prior) / (w[1] + model.prior_strength);
}

const fillerCache = new WeakMap<QueryModel, ReadonlySet<string>>();
function fillerOf(model: QueryModel): ReadonlySet<string> {
  let set = fillerCache.get(model);
  if (set === undefined) {
    set = new Set(model.class_words.filler);
    fillerCache.set(model, set);
  }
  return set;
}

/**
 * The search query the model forms from an instruction: the kept tokens in the instruction's order.
 * A word kept whole is written as in the instruction (lowercased, outer punctuation trimmed), so
 * "t-shirt" stays "t-shirt". Empty when the model keeps nothing.
 */
export function formQuery(instruction: string, model: QueryModel = queryModel()): string {
  const tokens = instructionTokens(instruction, fillerOf(model));
  const p = tokens.map((t) => keepProbability(model, t));
  let kept = tokens.map((_, i) => (p[i] as number) >= model.threshold);
  const keptIdx = tokens.map((_, i) => i).filter((i) => kept[i]);
  if (keptIdx.length > model.max_tokens) {
    const top = new Set(
      keptIdx.sort((a, b) => (p[b] as number) - (p[a] as number) || a - b).slice(0, model.max_tokens),
    );
    kept = tokens.map((_, i) => top.has(i));
  }
  const words = instruction.toLowerCase().split(/\s+/);
  const out: string[] = [];
  const emitted = new Set<string>();
  let i = 0;
  while (i < tokens.length) {
    const word = (tokens[i] as InstructionToken).word;
    let j = i;
    while (j < tokens.length && (tokens[j] as InstructionToken).word === word) j++;
    const group = tokens.slice(i, j);
    const keep = group.filter((_, k) => kept[i + k]);
    if (keep.length === group.length && group.length > 1) {
      if (group.some((t) => !emitted.has(t.token))) {
        out.push((words[word] ?? "").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, ""));
        for (const t of group) emitted.add(t.token);
      }
    } else {
      for (const t of keep) {
        if (emitted.has(t.token)) continue;
        out.push(t.token);
        emitted.add(t.token);
      }
    }
    i = j;
  }
  return out.join(" ");
}
