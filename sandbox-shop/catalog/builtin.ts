/**
 * Deterministic built-in catalog: believable marketplace listings generated from the category
 * templates in `templates.ts`.
 *
 * Product i is a pure function of (seed, i) plus the ids of products 0..i-1 (only to resolve the
 * rare id collision), so a catalog of n products is a prefix of every larger catalog with the
 * same seed. Reviews are not stored: `reviewsFor` regenerates them from the product id.
 */

import { faker } from "@faker-js/faker/locale/en";
import { InputError } from "../../src/contracts/errors.ts";
import { mulberry32 } from "../../src/random.ts";
import {
  ATTRIBUTES,
  CATEGORIES,
  type CategoryTemplate,
  DESCRIPTION_FEATURES,
  DESCRIPTION_OPENERS,
  DESCRIPTION_USES,
  type OptionTemplate,
  type ProductTypeTemplate,
  REVIEW_MINOR_GRIPES,
  REVIEW_SENTENCES,
  REVIEW_TITLES,
  TITLE_PATTERNS,
} from "./templates.ts";
import {
  type Catalog,
  type Category,
  type OptionValue,
  type Product,
  type ProductOption,
  type Review,
  round2,
} from "./types.ts";

export const BUILTIN_DEFAULT_COUNT = 2000;
export const BUILTIN_MAX_COUNT = 1_000_000;

/** At most this many reviews are generated per product (the shop shows "top reviews"). */
export const BUILTIN_MAX_REVIEWS = 8;

export interface BuiltinCatalogOptions {
  /** Any safe integer; the same seed always yields the same catalog. */
  seed: number;
  /** Number of products, 1 to 1,000,000. */
  count: number;
}

/** Builds the catalog. Throws InputError for a non-integer seed or a count outside 1..1,000,000. */
export function generateBuiltinCatalog(opts: BuiltinCatalogOptions): Catalog {
  const { seed, count } = opts;
  if (!Number.isSafeInteger(seed)) {
    throw new InputError("builtin catalog seed", `got ${String(seed)}; expected a whole number such as 42`);
  }
  if (!Number.isInteger(count) || count < 1 || count > BUILTIN_MAX_COUNT) {
    throw new InputError(
      "builtin catalog count",
      `got ${String(count)}; expected a whole number from 1 to ${BUILTIN_MAX_COUNT.toLocaleString("en-US")}`,
    );
  }
  const seedLo = seed >>> 0;
  const seedHi = Math.floor(seed / 2 ** 32) | 0;
  const ids = new Set<string>();
  const products = new Array<Product>(count);
  for (let i = 0; i < count; i++) {
    const id = uniqueId(seedLo, seedHi, i, ids);
    products[i] = generateProduct(id, new Rng(hash4(seedLo, seedHi, i, SALT_PRODUCT)), i);
  }
  const categories: Category[] = CATEGORIES.map(({ slug, name }) => ({ slug, name }));
  return { source: `builtin:seed=${seed}:n=${count}`, categories, products, reviewsFor: builtinReviews };
}

/**
 * Reviews for a product: its stored reviews if it has any, otherwise up to 8 generated from its
 * id. The generated ratings average to the product's rating (exactly, up to rounding, when all
 * reviews fit; the shown sample's mean is within 1/16 of it otherwise).
 */
export function builtinReviews(product: Product): Review[] {
  if (product.reviews.length > 0) return product.reviews;
  const n = Math.min(BUILTIN_MAX_REVIEWS, product.review_count);
  if (n === 0) return [];
  const rng = new Rng(hashString(product.id));
  const ratings = reviewRatings(product.rating ?? 4, n, rng);
  const uses = TYPE_INDEX.get(product.product_type)?.type.uses ?? ["everyday use"];
  const attributes = product.attributes.length > 0 ? product.attributes : [product.product_type];
  const reviews: Review[] = ratings.map((stars) => {
    const attr = rng.pick(attributes);
    const vars: Vars = {
      ...typeVars(product.product_type),
      brand: product.brand,
      attr,
      Attr: capitalize(attr),
      use: rng.pick(uses),
      minor: rng.pick(REVIEW_MINOR_GRIPES),
    };
    const sentences = rng.sample(REVIEW_SENTENCES[stars - 1] ?? [], rng.range(2, 3));
    return {
      author: authorName(rng),
      rating: stars,
      title: fill(rng.pick(REVIEW_TITLES[stars - 1] ?? ["Review"]), vars, rng),
      body: sentences.map((s) => fill(s, vars, rng)).join(" "),
      date: reviewDate(rng),
      verified: rng.chance(0.9),
    };
  });
  return reviews.sort((x, y) => (x.date < y.date ? 1 : x.date > y.date ? -1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Randomness: a hash-seeded mulberry32 PRNG (src/random.ts) per product / per review set.

const SALT_PRODUCT = 0x5eed_0001;
const SALT_ID = 0x1d00_0000;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hash4(a: number, b: number, c: number, d: number): number {
  let h = 0x811c9dc5;
  h = fmix32((h ^ a) + 0x9e3779b9);
  h = fmix32((h ^ b) + 0x9e3779b9);
  h = fmix32((h ^ c) + 0x9e3779b9);
  h = fmix32((h ^ d) + 0x9e3779b9);
  return h;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

class Rng {
  readonly next: () => number;

  constructor(seed: number) {
    /** Uniform in [0, 1). */
    this.next = mulberry32(seed);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("Rng.pick: empty list");
    return item;
  }

  /** k distinct items in random order (k is capped at the list length). */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = items.slice();
    const n = Math.min(k, copy.length);
    for (let i = 0; i < n; i++) {
      const j = i + this.int(copy.length - i);
      const tmp = copy[i] as T;
      copy[i] = copy[j] as T;
      copy[j] = tmp;
    }
    copy.length = n;
    return copy;
  }

  /** Index drawn with the given (unnormalized) weights. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i] ?? 0;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

// ---------------------------------------------------------------------------------------------
// Ids: "B" + 9 base-36 characters, like an ASIN.

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function uniqueId(seedLo: number, seedHi: number, i: number, taken: Set<string>): string {
  for (let attempt = 0; ; attempt++) {
    // 6 characters from one 32-bit hash and 3 from another: ~46 bits, plenty for 1,000,000 ids.
    let a = hash4(seedLo, seedHi, i, SALT_ID + attempt * 2);
    let b = hash4(seedLo, seedHi, i, SALT_ID + attempt * 2 + 1);
    let id = "B";
    for (let k = 0; k < 6; k++, a = Math.floor(a / 36)) id += ID_ALPHABET.charAt(a % 36);
    for (let k = 0; k < 3; k++, b = Math.floor(b / 36)) id += ID_ALPHABET.charAt(b % 36);
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Precomputed template tables

interface TypeEntry {
  category: CategoryTemplate;
  type: ProductTypeTemplate;
  /** Adjective attributes that can go in front of the type without repeating its words. */
  titleAdjectives: string[];
  categoryPath: string[];
}

const TYPE_INDEX = new Map<string, TypeEntry>();
const CATEGORY_TYPES = new Map<CategoryTemplate, TypeEntry[]>();
for (const category of CATEGORIES) {
  const entries: TypeEntry[] = [];
  for (const type of category.types) {
    const typeWords = new Set(type.type.split(/[\s-]+/));
    const titleAdjectives = type.attributes.filter(
      (attr) =>
        ATTRIBUTES[attr]?.placement === "adjective" &&
        !attr.split(/[\s-]+/).some((w) => w.length >= 3 && typeWords.has(w)),
    );
    const entry = { category, type, titleAdjectives, categoryPath: [category.name, ...type.path] };
    entries.push(entry);
    TYPE_INDEX.set(type.type, entry);
  }
  CATEGORY_TYPES.set(category, entries);
}

/** Relative share of products per category (a smooth weighted round-robin over these). */
const CATEGORY_WEIGHTS: Readonly<Record<string, number>> = {
  electronics: 3,
  "home-kitchen": 3,
  clothing: 3,
};

/** Category of product i is CATEGORY_CYCLE[i % length]: every category is evenly spread. */
const CATEGORY_CYCLE: readonly CategoryTemplate[] = (() => {
  const weights = CATEGORIES.map((c) => CATEGORY_WEIGHTS[c.slug] ?? 2);
  const total = weights.reduce((s, w) => s + w, 0);
  const current = weights.map(() => 0);
  const cycle: CategoryTemplate[] = [];
  for (let slot = 0; slot < total; slot++) {
    let best = 0;
    for (let c = 0; c < weights.length; c++) {
      current[c] = (current[c] ?? 0) + (weights[c] ?? 0);
      if ((current[c] ?? 0) > (current[best] ?? 0)) best = c;
    }
    current[best] = (current[best] ?? 0) - total;
    cycle.push(CATEGORIES[best] as CategoryTemplate);
  }
  return cycle;
})();

// ---------------------------------------------------------------------------------------------
// One product

function generateProduct(id: string, rng: Rng, i: number): Product {
  const category = CATEGORY_CYCLE[i % CATEGORY_CYCLE.length] as CategoryTemplate;
  const entry = rng.pick(CATEGORY_TYPES.get(category) ?? []);
  const { type } = entry;
  const brandIndex = rng.int(category.brands.length);
  const brand = category.brands[brandIndex] as string;

  const attributes = pickAttributes(entry, rng);
  const price = basePrice(type.price, brandIndex % 3, rng);
  const options = pickOptions(type.options, price, rng);
  const { rating, reviewCount } = ratingAndReviews(rng);

  const uses = rng.sample(type.uses, 2);
  const use = uses[0] ?? "everyday use";
  const vars: Vars = { ...typeVars(type.type), brand, use, use2: uses[1] ?? use };

  return {
    id,
    title: buildTitle(entry, attributes, vars, rng),
    brand,
    category: category.slug,
    category_path: entry.categoryPath.slice(),
    product_type: type.type,
    price,
    rating,
    review_count: reviewCount,
    bullets: buildBullets(category, type, attributes, vars, rng),
    description: buildDescription(category, attributes, vars, rng),
    attributes,
    options,
    reviews: [],
    image: null,
  };
}

/**
 * 2–5 attributes (never the whole pool, so every attribute discriminates); the first is always one
 * that can be shown in front of the type in the title.
 */
function pickAttributes(entry: TypeEntry, rng: Rng): string[] {
  const pool = entry.type.attributes;
  const k = Math.min(pool.length - 1, 2 + rng.weighted([30, 35, 22, 13]));
  const first = rng.pick(entry.titleAdjectives);
  const rest = rng.sample(
    pool.filter((a) => a !== first),
    k - 1,
  );
  return [first, ...rest];
}

const PRICE_ENDINGS = [0.99, 0.95, 0.49, 0.97, 0.89, 0.5, 0];
const PRICE_ENDING_WEIGHTS = [55, 12, 12, 6, 6, 5, 4];

/** Base price in the band, log-spread, nudged up by the brand's tier (0 budget … 2 premium). */
function basePrice(band: readonly [number, number], tier: number, rng: Rng): number {
  const [lo, hi] = band;
  const u = Math.min(1, Math.max(0, ((tier + rng.next()) / 3) * 0.85 + rng.next() * 0.15));
  const dollars = Math.min(hi - 1, Math.max(lo, Math.floor(lo * (hi / lo) ** u)));
  const ending = PRICE_ENDINGS[rng.weighted(PRICE_ENDING_WEIGHTS)] ?? 0.99;
  return round2(dollars + ending);
}

/** Required option dimensions plus 0–3 optional ones, never more than 3 in all. */
function pickOptions(templates: readonly OptionTemplate[], price: number, rng: Rng): ProductOption[] {
  const required = templates.filter((o) => o.required);
  const optional = templates.filter((o) => !o.required);
  const maxExtra = Math.min(3 - required.length, optional.length);
  const extra = rng.weighted([25, 40, 25, 10].slice(0, maxExtra + 1));
  const chosen = new Set([...required, ...rng.sample(optional, extra)]);
  return templates.filter((o) => chosen.has(o)).map((o) => offerOption(o, price, rng));
}

const UNAVAILABLE_RATE = 0.065;

function offerOption(template: OptionTemplate, price: number, rng: Rng): ProductOption {
  const all = template.values;
  let offered: typeof all;
  if (template.kind === "ladder") {
    const minLen = template.required ? Math.max(2, Math.ceil(all.length * 0.6)) : 2;
    const len = rng.range(Math.min(minLen, all.length), all.length);
    const start = rng.int(all.length - len + 1);
    offered = all.slice(start, start + len);
  } else {
    const picked = new Set(rng.sample(all, rng.range(2, Math.min(all.length, 6))));
    offered = all.filter((v) => picked.has(v));
  }
  // The base price is the cheapest offered value; others cost relatively (factor) and absolutely more.
  let minMultiplier = Number.POSITIVE_INFINITY;
  let minDelta = Number.POSITIVE_INFINITY;
  for (const v of offered) {
    minMultiplier = Math.min(minMultiplier, 1 + v.factor);
    minDelta = Math.min(minDelta, v.delta);
  }
  const values: OptionValue[] = offered.map((v) => ({
    value: v.value,
    price_delta: round2(roundDelta(price * ((1 + v.factor) / minMultiplier - 1)) + v.delta - minDelta),
    available: !rng.chance(UNAVAILABLE_RATE),
  }));
  if (values.every((v) => !v.available)) (values[rng.int(values.length)] as OptionValue).available = true;
  return { name: template.name, values };
}

/** Whole dollars for bigger steps, half dollars for small ones, so option prices stay "nice". */
function roundDelta(x: number): number {
  if (x <= 0) return 0;
  return x < 10 ? Math.round(x * 2) / 2 : Math.round(x);
}

/**
 * Review count is heavy-tailed (log-normal, median ~65, capped at 20,000; 3% have none).
 * Ratings mostly fall in 3.6–4.8 with a tail down to 2.5; products with a handful of reviews
 * get the mean of that many whole-star ratings.
 */
function ratingAndReviews(rng: Rng): { rating: number | null; reviewCount: number } {
  if (rng.chance(0.03)) return { rating: null, reviewCount: 0 };
  let reviewCount: number;
  do reviewCount = Math.max(1, Math.round(Math.exp(4.2 + 1.7 * rng.normal())));
  while (reviewCount > 20_000);
  const quality = rng.chance(0.9) ? 4.3 + 0.3 * rng.normal() : 2.5 + rng.next() * 1.3;
  let rating: number;
  if (reviewCount <= 4) {
    let sum = 0;
    for (let k = 0; k < reviewCount; k++) sum += clamp(Math.round(quality + 0.7 * rng.normal()), 2, 5);
    rating = sum / reviewCount;
  } else {
    rating = quality + 0.08 * rng.normal();
  }
  const top = reviewCount < 20 ? 5 : 4.9;
  return { rating: clamp(Math.round(rating * 10) / 10, 2.5, top), reviewCount };
}

// ---------------------------------------------------------------------------------------------
// Listing text

function buildTitle(entry: TypeEntry, attributes: string[], vars: Vars, rng: Rng): string {
  const { type, titleAdjectives } = entry;
  const adjectives = attributes.filter((a) => titleAdjectives.includes(a)).slice(0, rng.chance(0.55) ? 2 : 1);
  const featureAttributes = attributes.filter((a) => ATTRIBUTES[a]?.placement === "feature");
  const feature =
    featureAttributes.length > 0 && rng.chance(0.5)
      ? titleCase(rng.pick(featureAttributes), false)
      : fill(rng.pick(type.features), vars, rng);
  const titleVars: Vars = {
    ...vars,
    adj: adjectives.map((a) => titleCase(a, false)).join(" "),
    adjs: adjectives.map((a) => titleCase(a, false)).join(", "),
    spec: fill(rng.pick(type.specs), vars, rng),
    feature,
    Use: titleCase(vars.use ?? "", false),
  };
  return fill(rng.pick(TITLE_PATTERNS), titleVars, rng);
}

/** One bullet per attribute (in one of three marketplace styles), then details, maybe a category extra. */
function buildBullets(
  category: CategoryTemplate,
  type: ProductTypeTemplate,
  attributes: string[],
  vars: Vars,
  rng: Rng,
): string[] {
  const style = rng.int(3);
  const total = Math.min(6, Math.max(rng.range(3, 6), attributes.length + 1));
  const bullets = attributes.map((attr) =>
    bullet(attr, type.benefits?.[attr] ?? ATTRIBUTES[attr]?.benefit ?? attr, style),
  );
  const others = total - attributes.length;
  const extra = others >= 2 && rng.chance(0.5) ? 1 : 0;
  const texts = [...rng.sample(type.details, others - extra), ...rng.sample(category.extras, extra)];
  for (const text of texts) {
    const filled = fill(text, vars, rng);
    const colon = filled.indexOf(": ");
    bullets.push(
      colon > 0 ? bullet(filled.slice(0, colon), filled.slice(colon + 2), style) : endSentence(filled),
    );
  }
  return bullets;
}

function bullet(headline: string, body: string, style: number): string {
  if (style === 0) return `${headline.toUpperCase()}: ${endSentence(capitalize(body))}`;
  if (style === 1) return `${capitalize(fixCase(headline))} – ${endSentence(body)}`;
  return `${titleCase(headline, true)}: ${endSentence(capitalize(body))}`;
}

function buildDescription(category: CategoryTemplate, attributes: string[], vars: Vars, rng: Rng): string {
  const sentences = [
    fill(rng.pick(DESCRIPTION_OPENERS), vars, rng),
    fill(rng.pick(DESCRIPTION_FEATURES), { ...vars, attrs: joinList(attributes.map(fixCase)) }, rng),
  ];
  if (rng.chance(0.6)) sentences.push(fill(rng.pick(DESCRIPTION_USES), vars, rng));
  if (rng.chance(0.6)) sentences.push(fill(rng.pick(category.closers), vars, rng));
  return sentences.join(" ");
}

// ---------------------------------------------------------------------------------------------
// Reviews

/** n whole-star ratings whose sum is round(rating × n), spread out a little like real reviews. */
function reviewRatings(rating: number, n: number, rng: Rng): number[] {
  const sum = clamp(Math.round(rating * n), n, 5 * n);
  const base = Math.floor(sum / n);
  const ratings = Array.from({ length: n }, (_, k) => (k < sum - base * n ? base + 1 : base));
  // Random ±1 swaps between reviews keep the sum but polarize the stars, like real review pages.
  for (let step = 0; step < 2 * n; step++) {
    if (!rng.chance(0.7)) continue;
    const up = rng.int(n);
    const down = rng.int(n);
    if (up !== down && (ratings[up] ?? 5) < 5 && (ratings[down] ?? 1) > 1) {
      ratings[up] = (ratings[up] ?? 0) + 1;
      ratings[down] = (ratings[down] ?? 0) - 1;
    }
  }
  return rng.sample(ratings, n);
}

const FIRST_NAMES: readonly string[] = faker.definitions.person.first_name.generic ?? [
  "Alex",
  "Sam",
  "Jordan",
];
const LAST_NAMES: readonly string[] = faker.definitions.person.last_name.generic ?? [
  "Smith",
  "Lee",
  "Garcia",
];

/** "Sarah K." or "Sarah Kim" from faker's English name lists (no shared faker state is touched). */
function authorName(rng: Rng): string {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  return rng.chance(0.6) ? `${first} ${last.charAt(0)}.` : `${first} ${last}`;
}

const REVIEW_EPOCH = Date.UTC(2023, 0, 1);
const REVIEW_DAYS = Math.round((Date.UTC(2026, 8, 30) - REVIEW_EPOCH) / 86_400_000) + 1;

/** ISO date (YYYY-MM-DD) between 2023-01-01 and 2026-09-30. */
function reviewDate(rng: Rng): string {
  return new Date(REVIEW_EPOCH + rng.int(REVIEW_DAYS) * 86_400_000).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Template filling and text helpers

type Vars = Record<string, string | undefined>;

type Part = string | { key: string } | { alternatives: string[] } | { lo: number; hi: number };

const COMPILED = new Map<string, Part[]>();

/** Splits "{brand} {a|b} x{1-3}" into literal and placeholder parts once per template. */
function compile(template: string): Part[] {
  let parts = COMPILED.get(template);
  if (parts) return parts;
  parts = [];
  const re = /\{([^{}]+)\}/g;
  let last = 0;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    const body = m[1] as string;
    const range = /^(\d+)-(\d+)$/.exec(body);
    if (body.includes("|")) parts.push({ alternatives: body.split("|") });
    else if (range) parts.push({ lo: Number(range[1]), hi: Number(range[2]) });
    else parts.push({ key: body });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  COMPILED.set(template, parts);
  return parts;
}

function fill(template: string, vars: Vars, rng: Rng): string {
  let out = "";
  for (const part of compile(template)) {
    if (typeof part === "string") out += part;
    else if ("key" in part) {
      const value = vars[part.key];
      if (value === undefined) throw new Error(`catalog template "${template}": no value for {${part.key}}`);
      out += value;
    } else if ("alternatives" in part) out += rng.pick(part.alternatives);
    else out += String(rng.range(part.lo, part.hi));
  }
  return out;
}

/** Words always written in a fixed case in titles. Each maps from its lowercase form. */
const FIXED_CASE = new Map(
  [
    "BPA",
    "USB",
    "USB-C",
    "LED",
    "HD",
    "UV",
    "SPF",
    "GPS",
    "GMO",
    "DPI",
    "GaN",
    "PFOA",
    "CPSC",
    "USA",
    "TV",
    "TVs",
    "OEKO-TEX",
    "CertiPUR-US",
    "2K",
    "4K",
    "PC",
  ].map((w) => [w.toLowerCase(), w] as const),
);
const SMALL_WORDS = new Set([
  "a",
  "an",
  "and",
  "as",
  "at",
  "by",
  "for",
  "in",
  "of",
  "on",
  "or",
  "the",
  "to",
  "with",
]);

// Inputs come from the templates (a few thousand distinct strings), so caching is cheap and fast.
const TITLE_CASE_FIRST = new Map<string, string>();
const TITLE_CASE_REST = new Map<string, string>();
const FIXED_CASE_CACHE = new Map<string, string>();

/**
 * Title case that only changes letter case (so lowercase(title) still contains every attribute):
 * "bpa free" → "BPA Free", "over-ear headphones" → "Over-Ear Headphones", "men's" → "Men's".
 */
export function titleCase(text: string, capitalizeFirst: boolean): string {
  const cache = capitalizeFirst ? TITLE_CASE_FIRST : TITLE_CASE_REST;
  let cased = cache.get(text);
  if (cased === undefined) {
    cased = computeTitleCase(text, capitalizeFirst);
    cache.set(text, cased);
  }
  return cased;
}

function computeTitleCase(text: string, capitalizeFirst: boolean): string {
  return text
    .split(" ")
    .map((word, i) => {
      const lower = word.toLowerCase();
      const fixed = FIXED_CASE.get(lower);
      if (fixed) return fixed;
      if (SMALL_WORDS.has(lower) && (i > 0 || !capitalizeFirst)) return lower;
      return word
        .split("-")
        .map((piece) => FIXED_CASE.get(piece.toLowerCase()) ?? capitalize(piece))
        .join("-");
    })
    .join(" ");
}

/** Fixes only the case of known acronyms: "usb-c cable" → "USB-C cable", "spf 50" → "SPF 50". */
function fixCase(text: string): string {
  let fixed = FIXED_CASE_CACHE.get(text);
  if (fixed === undefined) {
    fixed = text
      .split(" ")
      .map((word) => FIXED_CASE.get(word.toLowerCase()) ?? word)
      .join(" ");
    FIXED_CASE_CACHE.set(text, fixed);
  }
  return fixed;
}

/** `{type}`, `{Type}` and `{this}` ("these" for plural types such as "wireless earbuds"). */
function typeVars(productType: string): Vars {
  return {
    type: fixCase(productType),
    Type: titleCase(productType, true),
    this: /[^s]s$/.test(productType) ? "these" : "this",
  };
}

function capitalize(s: string): string {
  return s.length === 0 ? s : s.charAt(0).toUpperCase() + s.slice(1);
}

function endSentence(s: string): string {
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** "a", "a and b", "a, b and c". */
function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
