/**
 * Generating scenarios from a catalog: targeted WebShop-style goals (sandbox-shop/goals.ts) mixed
 * with templated open-ended browsing intents, and scenarios from the real WebShop instructions.
 *
 * Browsing intents pick a product type (drawn without repetition until every type was used), and
 * a price mood from the prices of that type in the catalog:
 *
 * - **budget**: buy only if something under the 30th-percentile price (rounded up) stands out;
 * - **mid**: buy a well-reviewed one under the median price;
 * - **gift**: a present from the category, around the median price;
 * - **splurge**: the nicest one, price no object;
 * - **window**: look and compare, buy nothing (or only a real bargain).
 *
 * Browse scenarios have no goal target (kind "browse"); the shopper decides what, if anything, to buy.
 *
 * It lives with the shop because it needs the shop's catalogs and goal generator (src/ never imports
 * the shop, except the CLI).
 */

import { InputError } from "../src/contracts/errors.ts";
import { type Scenario, ScenarioSchema } from "../src/contracts/scenario.ts";
import { mulberry32, shuffle } from "../src/random.ts";
import type { Catalog, Product } from "./catalog/types.ts";
import { loadWebShopInstructions, webShopInstructionToGoal } from "./catalog/webshop.ts";
import { generateGoals, niceCeil } from "./goals.ts";

export interface GenerateScenariosOptions {
  catalog: Catalog;
  /** How many scenarios in all. */
  n: number;
  seed: number;
  /** Share of browsing intents, 0..1 (default 0.25); the rest are targeted goals. */
  browseShare?: number;
}

export const DEFAULT_BROWSE_SHARE = 0.25;

/**
 * `n` scenarios: round(n × browseShare) browsing intents and the rest targeted goals from
 * {@link generateGoals}. Ids are `goal-001…` and `browse-001…`. Same options → same scenarios.
 */
export function generateScenarios(opts: GenerateScenariosOptions): Scenario[] {
  const share = opts.browseShare ?? DEFAULT_BROWSE_SHARE;
  if (!Number.isInteger(opts.n) || opts.n < 0) {
    throw new InputError("generateScenarios n", `expected a whole number ≥ 0, got ${opts.n}`);
  }
  if (!Number.isInteger(opts.seed) || opts.seed < 0) {
    throw new InputError("generateScenarios seed", `expected a whole number ≥ 0, got ${opts.seed}`);
  }
  if (!(share >= 0 && share <= 1)) {
    throw new InputError("generateScenarios browseShare", `expected a number from 0 to 1, got ${share}`);
  }
  const browseCount = Math.round(opts.n * share);
  const width = Math.max(3, String(opts.n).length);
  const id = (prefix: string, k: number) => `${prefix}-${String(k + 1).padStart(width, "0")}`;

  const targeted = generateGoals(opts.catalog, { count: opts.n - browseCount, seed: opts.seed }).map(
    (goal, k) => ScenarioSchema.parse({ id: id("goal", k), kind: "targeted", goal }),
  );
  const browse = browseIntents(opts.catalog, browseCount, opts.seed).map((instruction, k) =>
    ScenarioSchema.parse({ id: id("browse", k), kind: "browse", goal: { instruction } }),
  );
  return [...targeted, ...browse];
}

interface Shelf {
  type: string;
  categoryName: string;
  /** Unit prices of the type, ascending. */
  prices: number[];
}

type Mood = (s: { type: string; category: string; low: number; mid: number }) => string;

const MOODS: readonly (readonly Mood[])[] = [
  // budget
  [
    ({ type, low }) =>
      `browse the ${type} selection and see what's on offer; buy one only if something under $${low} really stands out`,
    ({ type, low }) =>
      `money is tight this month: look around the ${type} options and buy the best-reviewed one under $${low}, or nothing if none is good enough`,
  ],
  // mid
  [
    ({ type, mid }) =>
      `have a look at ${type} and compare a few; if one is well reviewed and costs less than $${mid}, buy it`,
    ({ type, mid }) =>
      `you're shopping for ${type}: see what the shop has and buy a solid choice for under $${mid} if you find one`,
  ],
  // gift
  [
    ({ category, mid }) =>
      `you need a birthday gift from the ${category} department for about $${mid}; browse until something feels right, then buy it`,
  ],
  // splurge
  [
    ({ type, category }) =>
      `treat yourself: find the nicest ${type} in ${category}; price is not a big concern, but read enough to be sure it is good before buying`,
  ],
  // window
  [
    ({ type }) =>
      `just window-shopping for ${type} today: look at a few, compare prices and features, and don't buy anything`,
    ({ category }) =>
      `you're curious what's new in ${category}; browse for a while and only buy something if it is a real bargain`,
  ],
];

function browseIntents(catalog: Catalog, count: number, seed: number): string[] {
  if (count === 0) return [];
  const shelves = shelvesOf(catalog);
  if (shelves.length === 0) {
    throw new InputError(`catalog ${catalog.source}`, "has no products to write browsing intents about");
  }
  // A different stream from generateGoals' (which uses `seed`), so the two are independent.
  const rng = mulberry32((seed ^ 0x5bd1e995) >>> 0);
  const out: string[] = [];
  let order: Shelf[] = [];
  for (let k = 0; k < count; k++) {
    if (order.length === 0) order = shuffle(shelves, rng);
    const shelf = order.pop()!;
    const templates = MOODS[Math.floor(rng() * MOODS.length)]!;
    const template = templates[Math.floor(rng() * templates.length)]!;
    out.push(
      template({
        type: shelf.type,
        category: shelf.categoryName,
        low: niceCeil(quantile(shelf.prices, 0.3)),
        mid: niceCeil(quantile(shelf.prices, 0.5)),
      }),
    );
  }
  return out;
}

function shelvesOf(catalog: Catalog): Shelf[] {
  const names = new Map(catalog.categories.map((c) => [c.slug, c.name]));
  const byType = new Map<string, Shelf>();
  for (const p of catalog.products) {
    let shelf = byType.get(p.product_type);
    if (!shelf) {
      shelf = { type: p.product_type, categoryName: names.get(p.category) ?? p.category, prices: [] };
      byType.set(p.product_type, shelf);
    }
    shelf.prices.push(p.price);
  }
  const shelves = [...byType.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  for (const s of shelves) s.prices.sort((a, b) => a - b);
  return shelves;
}

function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))));
  return sorted[i]!;
}

/**
 * One targeted scenario per WebShop templated instruction (415 for items_ins_v2_1000.json), each
 * targeting its product (attributes only: WebShop instructions name no options or price). Ids are
 * `webshop-<asin>`. An instruction whose product is not in `catalog` is an InputError: pass the
 * products file the attributes file was shipped with.
 */
export function scenariosFromWebShopInstructions(attributesPath: string, catalog: Catalog): Scenario[] {
  const byId = new Map<string, Product>(catalog.products.map((p) => [p.id, p]));
  return loadWebShopInstructions(attributesPath).map((instruction) => {
    const product = byId.get(instruction.product_id);
    if (!product) {
      throw new InputError(
        attributesPath,
        `instruction for product ${instruction.product_id} has no such product in catalog ${catalog.source}; use the WebShop products file shipped with this attributes file`,
      );
    }
    return ScenarioSchema.parse({
      id: `webshop-${instruction.product_id.toLowerCase()}`,
      kind: "targeted",
      goal: webShopInstructionToGoal(instruction, product),
    });
  });
}
