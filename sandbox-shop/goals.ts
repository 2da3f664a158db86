/**
 * Shopping goals for the sandbox shop: scoring a purchase against a structured goal (a WebShop-style
 * reward, Yao et al. 2022) and generating templated goals from a catalog.
 *
 * Score = type_factor × (matched attributes + matched options + price term)
 *                      / (wanted attributes + wanted options + 1)
 *
 * - **price term**: 1 when the unit price is at most `max_price`; when the target has no `max_price`
 *   the term counts as satisfied (1) and `price_ok` is null.
 * - **type_factor** (WebShop's r_type): 1 when the product is the target's `product_id`. Otherwise, with a
 *   target `product_type`, similarity = max(token_set_ratio(type, product.product_type),
 *   token_set_ratio(type, product.title)) (fuzzball, 0–100): ≥ {@link TYPE_STRONG} → 1; else when the
 *   category matches or similarity ≥ {@link TYPE_PARTIAL} → 0.5; else 0.1. Without a product_type, a
 *   target category decides alone (match → 1, else 0.1); a target with neither gets 1.
 * - **attribute** matches when token_set_ratio with one of the product's attributes is ≥
 *   {@link ATTRIBUTE_MATCH} (WebShop's rule, so "natural" matches "natural ingredients"), or when it
 *   occurs as whole words in the title, bullets or description (case and punctuation ignored; WebShop
 *   uses a raw substring, which lets "tea" match "steam").
 * - **option** matches when the selected value for that option name — or, if the product has no option
 *   of that name, any selected value — has token_sort_ratio ≥ {@link OPTION_MATCH} with the wanted value.
 *   token_sort (not WebShop's token_set) so that "large" ≠ "x-large" and "black" ≠ "plain black", while
 *   "x-large" = "X-Large" and "light blue" = "blue light".
 */
import { token_set_ratio, token_sort_ratio } from "fuzzball";
import { InputError } from "../src/contracts/errors.ts";
import { type Goal, GoalSchema, type GoalTarget } from "../src/contracts/goal.ts";
import type { GoalScore } from "../src/contracts/shop.ts";
import { mulberry32, pick, shuffle } from "../src/random.ts";
import { type Catalog, type Product, unitPrice } from "./catalog/types.ts";

export type { GoalScore };

/** Product-type similarity (0–100) at or above which the type counts as the same. */
export const TYPE_STRONG = 80;
/** Product-type similarity at or above which the type counts as related (factor 0.5). */
export const TYPE_PARTIAL = 50;
/** token_set_ratio at or above which a wanted attribute matches a product attribute. */
export const ATTRIBUTE_MATCH = 85;
/** token_sort_ratio at or above which a selected option value matches the wanted one. */
export const OPTION_MATCH = 85;

export interface Purchase {
  product: Product;
  /** Option name → selected value, as in the cart. */
  selection: Readonly<Record<string, string>>;
  unit_price: number;
}

/** Scores one purchased product against a goal target (see the formula at the top of this file). */
export function scorePurchase(target: GoalTarget, purchase: Purchase): GoalScore {
  const { product, selection } = purchase;
  const wantedAttributes = [...new Set(target.attributes ?? [])];
  const wantedOptions: Record<string, string> = { ...(target.options ?? {}) };

  const matchedAttributes = wantedAttributes.filter((a) => matchesAttribute(product, a));
  const matchedOptions = Object.entries(wantedOptions)
    .filter(([name, value]) => matchesOption(product, selection, name, value))
    .map(([name]) => name);

  const price_ok = target.max_price === undefined ? null : purchase.unit_price <= target.max_price + 1e-9;
  const type_factor = typeFactor(target, product);

  const matched = matchedAttributes.length + matchedOptions.length + (price_ok === false ? 0 : 1);
  const wanted = wantedAttributes.length + Object.keys(wantedOptions).length + 1;
  const score = Math.round(((type_factor * matched) / wanted) * 1e6) / 1e6;

  return {
    score,
    type_factor,
    attributes: { wanted: wantedAttributes, matched: matchedAttributes },
    options: { wanted: wantedOptions, matched: matchedOptions },
    price_ok,
  };
}

/** WebShop's r_type: 1, 0.5 or 0.1 (see the top of this file). */
export function typeFactor(target: GoalTarget, product: Product): number {
  if (target.product_id !== undefined && target.product_id === product.id) return 1;
  const categoryOk = target.category === undefined ? null : categoryMatches(target.category, product);
  if (target.product_type === undefined) return categoryOk === false ? 0.1 : 1;
  const similarity = Math.max(
    token_set_ratio(target.product_type, product.product_type),
    token_set_ratio(target.product_type, product.title),
  );
  if (similarity >= TYPE_STRONG) return 1;
  if (categoryOk === true || similarity >= TYPE_PARTIAL) return 0.5;
  return 0.1;
}

/**
 * A category given as a slug ("garden"), a display name ("Home & Garden") or a breadcrumb element
 * ("Home & Kitchen") matches when its slug is the product's category, contains it as a word, or is the
 * slug of an element of the product's category path.
 */
export function categoryMatches(category: string, product: Product): boolean {
  const wanted = slugify(category);
  if (wanted === "") return false;
  if (wanted === product.category || wanted.split("-").includes(product.category)) return true;
  return product.category_path.some((c) => slugify(c) === wanted);
}

/** Whether a wanted attribute matches the product (its attributes, or words of its text). */
export function matchesAttribute(product: Product, attribute: string): boolean {
  for (const a of product.attributes) if (token_set_ratio(attribute, a) >= ATTRIBUTE_MATCH) return true;
  const needle = normalizeWords(attribute);
  return needle !== "" && productText(product).includes(` ${needle} `);
}

/** Whether a selected value fuzzy-matches a wanted option value. */
export function matchesOptionValue(selected: string, wanted: string): boolean {
  return token_sort_ratio(selected, wanted) >= OPTION_MATCH;
}

function matchesOption(
  product: Product,
  selection: Readonly<Record<string, string>>,
  name: string,
  value: string,
): boolean {
  const key = name.trim().toLowerCase();
  const option = product.options.find((o) => o.name.toLowerCase() === key);
  if (option) {
    const selected = selection[option.name] ?? selection[name];
    return selected !== undefined && matchesOptionValue(selected, value);
  }
  return Object.values(selection).some((selected) => matchesOptionValue(selected, value));
}

const textCache = new WeakMap<Product, string>();

/** Title, bullets and description as space-padded lowercase words (cached per product object). */
function productText(product: Product): string {
  let text = textCache.get(product);
  if (text === undefined) {
    text = ` ${normalizeWords([product.title, ...product.bullets, product.description].join(" "))} `;
    textCache.set(product, text);
  }
  return text;
}

function normalizeWords(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

// ---------------------------------------------------------------------------------------------
// Goal generation

/**
 * WebShop-style templated goals drawn from catalog products, deterministic for a seed.
 *
 * A product is eligible when every option dimension has at least one available value (otherwise it
 * cannot be bought) and it has an attribute or an option value to ask for. Each goal asks for 1–3 of
 * the product's attributes (0 when it has none), 0–2 available option values (at least 1 when there
 * are no attributes), and a price cap 10–60% above the highest unit price any purchase of the product
 * with the wanted options can have, rounded up to a "nice" number. Products are drawn without
 * repetition until the eligible set is used up, then again in a new order.
 *
 * Every goal scores 1 against buying its product with the wanted options.
 */
export function generateGoals(catalog: Catalog, opts: { count: number; seed: number }): Goal[] {
  if (!Number.isInteger(opts.count) || opts.count < 0) {
    throw new InputError("generateGoals count", `expected a whole number ≥ 0, got ${opts.count}`);
  }
  if (!Number.isInteger(opts.seed)) {
    throw new InputError("generateGoals seed", `expected a whole number, got ${opts.seed}`);
  }
  const eligible = catalog.products.filter(isEligible);
  if (opts.count > 0 && eligible.length === 0) {
    throw new InputError(
      `catalog ${catalog.source}`,
      "no product can carry a goal: each needs an attribute or option value to ask for, and an available value in every option",
    );
  }
  const rng = mulberry32(opts.seed);
  const goals: Goal[] = [];
  let order: Product[] = [];
  for (let k = 0; k < opts.count; k++) {
    if (order.length === 0) order = shuffle(eligible, rng);
    goals.push(goalFor(order.pop()!, rng));
  }
  return goals;
}

function usableAttributes(product: Product): string[] {
  return product.attributes.filter((a) => matchesAttribute(product, a));
}

function usableValues(product: Product, optionName: string): string[] {
  const option = product.options.find((o) => o.name === optionName);
  if (!option) return [];
  return option.values
    .filter((v) => v.available && normalizeWords(v.value) !== "" && matchesOptionValue(v.value, v.value))
    .map((v) => v.value);
}

function isEligible(product: Product): boolean {
  if (!product.options.every((o) => o.values.some((v) => v.available))) return false;
  return (
    usableAttributes(product).length > 0 ||
    product.options.some((o) => usableValues(product, o.name).length > 0)
  );
}

function goalFor(product: Product, rng: () => number): Goal {
  const attrs = shuffle(usableAttributes(product), rng).slice(0, 1 + Math.floor(rng() * 3));
  const dims = shuffle(
    product.options.filter((o) => usableValues(product, o.name).length > 0),
    rng,
  );
  let optionCount = Math.min(dims.length, Math.floor(rng() * 3));
  if (attrs.length === 0) optionCount = Math.max(optionCount, 1);
  const wanted: Record<string, string> = {};
  for (const o of dims.slice(0, optionCount)) wanted[o.name] = pick(usableValues(product, o.name), rng);

  // The dearest purchase with the wanted options: other options at their dearest available value.
  let highest = unitPrice(product, wanted);
  for (const o of product.options) {
    if (o.name in wanted) continue;
    highest += Math.max(0, ...o.values.filter((v) => v.available).map((v) => v.price_delta));
  }
  const cap = niceCeil(highest * (1.1 + rng() * 0.5));

  const instruction = writeInstruction(
    rng,
    product.product_type,
    attrs,
    Object.entries(wanted).map(([name, value]) => optionPhrase(name, value.toLowerCase())),
    cap,
  );
  return GoalSchema.parse({
    instruction,
    target: {
      product_id: product.id,
      category: product.category,
      product_type: product.product_type,
      attributes: attrs,
      options: wanted,
      max_price: cap,
    },
  });
}

function optionPhrase(name: string, value: string): string {
  if (name === "color") return `in ${value} color`;
  if (name === "size") return `in size ${value}`;
  return `with ${name.replace(/ name$/, "")} ${value}`;
}

type Template = (t: { type: string; attrs: string; opts: string; cap: number }) => string;

const WITH_ATTRIBUTES: Template[] = [
  ({ type, attrs, opts, cap }) =>
    `i'm looking for ${attrs} ${type}${opts}, and price lower than ${cap.toFixed(2)} dollars`,
  ({ type, attrs, opts, cap }) => `find me ${type} that is ${attrs}${opts}, under $${cap}`,
  ({ type, attrs, opts, cap }) => `i need ${type} with ${attrs}${opts}, and keep it below ${cap} dollars`,
  ({ type, attrs, opts, cap }) => `show me ${attrs} ${type}${opts} priced under $${cap}`,
  ({ type, attrs, opts, cap }) =>
    `i want to buy ${type}${opts} that is ${attrs}, and price lower than ${cap.toFixed(2)} dollars`,
];

const WITHOUT_ATTRIBUTES: Template[] = [
  ({ type, opts, cap }) => `i'm looking for ${type}${opts}, and price lower than ${cap.toFixed(2)} dollars`,
  ({ type, opts, cap }) => `find me ${type}${opts}, under $${cap}`,
  ({ type, opts, cap }) => `i need ${type}${opts}, and keep it below ${cap} dollars`,
];

function writeInstruction(
  rng: () => number,
  type: string,
  attrs: string[],
  optionPhrases: string[],
  cap: number,
): string {
  const templates = attrs.length > 0 ? WITH_ATTRIBUTES : WITHOUT_ATTRIBUTES;
  const opts = optionPhrases.length > 0 ? ` ${joinAnd(optionPhrases)}` : "";
  const text = pick(templates, rng)({ type, attrs: joinAnd(attrs), opts, cap });
  return text.replace(/\s+/g, " ").trim();
}

function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Rounds a price up to a round figure: whole dollars below $10, then 5, 10, 50 and 100. */
export function niceCeil(x: number): number {
  const step = x < 10 ? 1 : x < 50 ? 5 : x < 200 ? 10 : x < 1000 ? 50 : 100;
  return Math.ceil(x / step - 1e-9) * step;
}
