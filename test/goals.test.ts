import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { type Catalog, type Product, ProductSchema, unitPrice } from "../sandbox-shop/catalog/types.ts";
import {
  loadWebShopCatalog,
  loadWebShopInstructions,
  webShopInstructionToGoal,
} from "../sandbox-shop/catalog/webshop.ts";
import {
  generateGoals,
  matchesAttribute,
  matchesOptionValue,
  niceCeil,
  scorePurchase,
  typeFactor,
} from "../sandbox-shop/goals.ts";
import { InputError } from "../src/contracts/errors.ts";
import { type Goal, GoalSchema, type GoalTarget, GoalTargetSchema } from "../src/contracts/goal.ts";
import { GoalScoreSchema } from "../src/contracts/shop.ts";

const DATA = resolve(dirname(fileURLToPath(import.meta.url)), "../../shared/datasets/webshop-1k");

type ProductInput = z.input<typeof ProductSchema>;
const product = (
  p: Partial<ProductInput> & Pick<ProductInput, "id" | "title" | "category" | "product_type">,
): Product =>
  ProductSchema.parse({
    brand: "Acme",
    category_path: [p.category],
    price: 10,
    rating: null,
    review_count: 0,
    bullets: [],
    description: "",
    attributes: [],
    options: [],
    ...p,
  });

const shoe = product({
  id: "shoe-1",
  title: "Acme Trail Running Shoes",
  category: "fashion",
  category_path: ["Fashion", "Shoes", "Running Shoes"],
  product_type: "running shoes",
  price: 45,
  bullets: ["Breathable mesh upper"],
  description: "A shoe for long runs.",
  attributes: ["lightweight", "long-lasting"],
  options: [
    {
      name: "color",
      values: [
        { value: "Black", price_delta: 0 },
        { value: "Red", price_delta: 5 },
        { value: "Blue", price_delta: 0, available: false },
      ],
    },
    {
      name: "size",
      values: [
        { value: "Small", price_delta: 0 },
        { value: "Medium", price_delta: 0 },
        { value: "X-Large", price_delta: 2 },
      ],
    },
  ],
});

const boot = product({
  id: "boot-1",
  title: "Summit Hiking Boots for Men",
  category: "fashion",
  product_type: "hiking boots",
  price: 80,
  attributes: ["waterproof"],
  options: [{ name: "color", values: [{ value: "Black" }, { value: "Brown" }] }],
});

const mug = product({
  id: "mug-1",
  title: "Stoneware Coffee Mug, 12 oz",
  category: "garden",
  category_path: ["Home & Kitchen", "Kitchen & Dining", "Coffee Mugs"],
  product_type: "coffee mugs",
  price: 12,
  attributes: ["dishwasher safe", "lightweight"],
  options: [{ name: "color", values: [{ value: "Black" }, { value: "White" }] }],
});

const target = (t: Partial<GoalTarget>): GoalTarget => GoalTargetSchema.parse(t);

// The worked example: two attributes, one option, a price cap.
const runningShoes = target({
  product_type: "running shoes",
  category: "fashion",
  attributes: ["lightweight", "waterproof"],
  options: { color: "black" },
  max_price: 50,
});

describe("scorePurchase: hand-worked examples", () => {
  it("right type, one of two attributes, right color, under the cap: 1 × (1+1+1)/(2+1+1) = 0.75", () => {
    const s = scorePurchase(runningShoes, {
      product: shoe,
      selection: { color: "Black", size: "Small" },
      unit_price: 45,
    });
    expect(s).toEqual({
      score: 0.75,
      type_factor: 1,
      attributes: { wanted: ["lightweight", "waterproof"], matched: ["lightweight"] },
      options: { wanted: { color: "black" }, matched: ["color"] },
      price_ok: true,
    });
    expect(GoalScoreSchema.parse(s)).toEqual(s);
  });

  it("wrong type and category: 0.1 × (1+1+1)/4 = 0.075", () => {
    const s = scorePurchase(runningShoes, { product: mug, selection: { color: "Black" }, unit_price: 12 });
    expect(s.type_factor).toBe(0.1);
    expect(s.attributes.matched).toEqual(["lightweight"]);
    expect(s.score).toBeCloseTo(0.075, 10);
  });

  it("same category, other type, over the cap: 0.5 × (1+1+0)/4 = 0.25", () => {
    const s = scorePurchase(runningShoes, { product: boot, selection: { color: "Black" }, unit_price: 80 });
    expect(s.type_factor).toBe(0.5);
    expect(s.attributes.matched).toEqual(["waterproof"]);
    expect(s.price_ok).toBe(false);
    expect(s.score).toBeCloseTo(0.25, 10);
  });

  it("wrong color and over the cap: 1 × (1+0+0)/4 = 0.25", () => {
    const selection = { color: "Red", size: "X-Large" };
    const s = scorePurchase(runningShoes, {
      product: shoe,
      selection,
      unit_price: unitPrice(shoe, selection),
    });
    expect(unitPrice(shoe, selection)).toBe(52);
    expect(s.price_ok).toBe(false);
    expect(s.options.matched).toEqual([]);
    expect(s.score).toBeCloseTo(0.25, 10);
  });

  it("no target attributes: 1 × (0+1+1)/(0+1+1) = 1", () => {
    const t = target({ product_type: "running shoes", options: { color: "black" }, max_price: 50 });
    const s = scorePurchase(t, { product: shoe, selection: { color: "Black" }, unit_price: 45 });
    expect(s.score).toBe(1);
    expect(s.attributes).toEqual({ wanted: [], matched: [] });
  });

  it("no max_price: the price term counts as met and price_ok is null: (1+0+1)/(2+0+1)", () => {
    const t = target({ attributes: ["lightweight", "waterproof"] });
    const s = scorePurchase(t, { product: shoe, selection: {}, unit_price: 999 });
    expect(s.price_ok).toBeNull();
    expect(s.type_factor).toBe(1); // nothing about the type is asked
    expect(s.score).toBeCloseTo(2 / 3, 5);
  });

  it("an empty target scores 1 for anything", () => {
    expect(scorePurchase(target({}), { product: mug, selection: {}, unit_price: 12 }).score).toBe(1);
  });

  it("the target's product id decides the type factor when it is the product", () => {
    expect(typeFactor(target({ product_id: "shoe-1", product_type: "coffee mugs" }), shoe)).toBe(1);
    expect(typeFactor(target({ product_id: "mug-1", product_type: "coffee mugs" }), shoe)).toBe(0.1);
    expect(typeFactor(target({ product_id: "mug-1", product_type: "trail running shoes" }), shoe)).toBe(1);
  });

  it("a category alone: slug, display name or breadcrumb", () => {
    expect(typeFactor(target({ category: "garden" }), mug)).toBe(1);
    expect(typeFactor(target({ category: "Home & Garden" }), mug)).toBe(1);
    expect(typeFactor(target({ category: "Home & Kitchen" }), mug)).toBe(1);
    expect(typeFactor(target({ category: "garden" }), shoe)).toBe(0.1);
    // With a dissimilar type, a matching category gives the partial factor.
    expect(typeFactor(target({ category: "fashion", product_type: "coffee mugs" }), shoe)).toBe(0.5);
  });
});

describe("fuzzy matching", () => {
  it("matches option values ignoring case and punctuation, but not a different size", () => {
    expect(matchesOptionValue("X-Large", "x-large")).toBe(true);
    expect(matchesOptionValue("Black", "black")).toBe(true);
    expect(matchesOptionValue("Blue Light", "light blue")).toBe(true);
    expect(matchesOptionValue("X-Large", "large")).toBe(false);
    expect(matchesOptionValue("X-Small", "small")).toBe(false);
    expect(matchesOptionValue("Plain Black", "black")).toBe(false);
  });

  it("looks at the selected value of the named option, or any value when the name is not an option", () => {
    const sel = { color: "Black", size: "X-Large" };
    const score = (options: Record<string, string>) =>
      scorePurchase(target({ options }), { product: shoe, selection: sel, unit_price: 47 }).options.matched;
    expect(score({ size: "x-large" })).toEqual(["size"]);
    expect(score({ size: "large" })).toEqual([]);
    expect(score({ Color: "BLACK" })).toEqual(["Color"]);
    expect(score({ colour: "black" })).toEqual(["colour"]); // not an option name: any selected value
    expect(score({ color: "x-large" })).toEqual([]); // an option name: only its own value counts
    const unselected = scorePurchase(target({ options: { color: "black" } }), {
      product: shoe,
      selection: { size: "Small" },
      unit_price: 45,
    });
    expect(unselected.options.matched).toEqual([]);
  });

  it("matches attributes fuzzily against attributes, and as whole words in the text", () => {
    expect(matchesAttribute(shoe, "light weight")).toBe(true); // ≈ "lightweight"
    expect(matchesAttribute(shoe, "long lasting")).toBe(true); // = "long-lasting"
    expect(matchesAttribute(shoe, "Trail Running")).toBe(true); // in the title
    expect(matchesAttribute(shoe, "breathable mesh")).toBe(true); // in the bullets
    expect(matchesAttribute(shoe, "long runs")).toBe(true); // in the description
    expect(matchesAttribute(shoe, "run")).toBe(false); // "runs" is another word
    expect(matchesAttribute(shoe, "waterproof")).toBe(false);
  });
});

// ------------------------------------------------------------------------------------------------
// Goal generation

const onlyOptions = product({
  id: "tee-1",
  title: "Plain Cotton Tee",
  category: "fashion",
  product_type: "t-shirts",
  price: 8,
  options: [
    {
      name: "size",
      values: [
        { value: "Small", available: false },
        { value: "Medium", price_delta: 1.5 },
      ],
    },
  ],
});
const soldOut = product({
  id: "gone-1",
  title: "Sold Out Lamp",
  category: "garden",
  product_type: "lamps",
  attributes: ["dimmable"],
  options: [{ name: "color", values: [{ value: "Brass", available: false }] }],
});
const bare = product({ id: "bare-1", title: "Mystery Box", category: "garden", product_type: "boxes" });

const handBuilt: Catalog = {
  source: "test:hand-built",
  categories: [
    { slug: "fashion", name: "Fashion" },
    { slug: "garden", name: "Home & Garden" },
  ],
  products: [shoe, boot, mug, onlyOptions, soldOut, bare],
  reviewsFor: () => [],
};

/** Scores a goal against buying its own product with the wanted options (and optionally the rest). */
function scoreOwn(catalog: Catalog, goal: Goal, completeDearest = false) {
  const t = goal.target!;
  const p = catalog.products.find((x) => x.id === t.product_id)!;
  const selection: Record<string, string> = { ...t.options };
  if (completeDearest) {
    for (const o of p.options) {
      if (o.name in selection) continue;
      const dearest = o.values.filter((v) => v.available).sort((a, b) => b.price_delta - a.price_delta)[0]!;
      selection[o.name] = dearest.value;
    }
  }
  const unit_price = unitPrice(p, selection);
  return { product: p, unit_price, score: scorePurchase(t, { product: p, selection, unit_price }) };
}

function checkGoals(catalog: Catalog, goals: Goal[]) {
  for (const goal of goals) {
    expect(GoalSchema.parse(goal)).toEqual(goal);
    const t = goal.target!;
    const { product: p, score } = scoreOwn(catalog, goal);
    expect(score.score, goal.instruction).toBe(1);
    const dearest = scoreOwn(catalog, goal, true);
    expect(dearest.score.score, goal.instruction).toBe(1);
    expect(t.category).toBe(p.category);
    expect(t.product_type).toBe(p.product_type);
    expect(t.attributes.length).toBeLessThanOrEqual(3);
    expect(Object.keys(t.options).length).toBeLessThanOrEqual(2);
    expect(t.attributes.length + Object.keys(t.options).length).toBeGreaterThan(0);
    for (const a of t.attributes) expect(p.attributes).toContain(a);
    for (const [name, value] of Object.entries(t.options)) {
      const v = p.options.find((o) => o.name === name)?.values.find((x) => x.value === value);
      expect(v?.available, `${p.id} ${name}=${value}`).toBe(true);
    }
    // The cap is 10–60% above the dearest purchase with the wanted options, rounded up.
    expect(t.max_price!).toBeGreaterThanOrEqual(1.1 * dearest.unit_price - 1e-9);
    expect(t.max_price!).toBeLessThanOrEqual(niceCeil(1.6 * dearest.unit_price));
    expect(goal.instruction).toContain(p.product_type);
    expect(goal.instruction).toContain(String(t.max_price));
  }
}

describe("generateGoals on a hand-built catalog", () => {
  it("every goal scores 1 against buying its product with the wanted options", () => {
    const goals = generateGoals(handBuilt, { count: 60, seed: 3 });
    expect(goals).toHaveLength(60);
    checkGoals(handBuilt, goals);
    const used = new Set(goals.map((g) => g.target!.product_id));
    expect(used).toEqual(new Set(["shoe-1", "boot-1", "mug-1", "tee-1"])); // never the sold-out or bare ones
    for (const g of goals.filter((x) => x.target!.product_id === "tee-1")) {
      expect(g.target!.options).toEqual({ size: "Medium" });
    }
  });

  it("is deterministic for a seed and varies with it", () => {
    const a = generateGoals(handBuilt, { count: 12, seed: 42 });
    expect(generateGoals(handBuilt, { count: 12, seed: 42 })).toEqual(a);
    expect(generateGoals(handBuilt, { count: 12, seed: 43 })).not.toEqual(a);
    expect(generateGoals(handBuilt, { count: 0, seed: 1 })).toEqual([]);
  });

  it("rounds caps up to nice numbers", () => {
    expect(niceCeil(3.2)).toBe(4);
    expect(niceCeil(41)).toBe(45);
    expect(niceCeil(123.4)).toBe(130);
    expect(niceCeil(612)).toBe(650);
    expect(niceCeil(1234)).toBe(1300);
  });

  it("rejects a bad count and a catalog with nothing to ask for", () => {
    expect(() => generateGoals(handBuilt, { count: -1, seed: 1 })).toThrow(InputError);
    expect(() => generateGoals(handBuilt, { count: 1.5, seed: 1 })).toThrow(InputError);
    const empty: Catalog = { ...handBuilt, products: [soldOut, bare] };
    expect(() => generateGoals(empty, { count: 1, seed: 1 })).toThrow(InputError);
  });
});

describe("goals on the real WebShop catalog", () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadWebShopCatalog(join(DATA, "products_1000.jsonl"));
  });

  it("every generated goal scores 1 against buying its product with the wanted options", () => {
    const goals = generateGoals(catalog, { count: 1200, seed: 7 });
    expect(goals).toHaveLength(1200);
    checkGoals(catalog, goals);
    // Options with odd names and priced variants are asked for too.
    expect(goals.some((g) => Object.keys(g.target!.options).length === 2)).toBe(true);
    expect(goals.some((g) => Object.keys(g.target!.options).some((n) => n.includes(" ")))).toBe(true);
  });

  it("is deterministic for a seed and varies with it", () => {
    const a = generateGoals(catalog, { count: 50, seed: 1 });
    expect(generateGoals(catalog, { count: 50, seed: 1 })).toEqual(a);
    expect(generateGoals(catalog, { count: 50, seed: 2 })).not.toEqual(a);
  });

  it("every WebShop instruction scores 1 against its own product", () => {
    const byId = new Map(catalog.products.map((p) => [p.id, p]));
    for (const ins of loadWebShopInstructions(join(DATA, "items_ins_v2_1000.json"))) {
      const p = byId.get(ins.product_id)!;
      const goal = webShopInstructionToGoal(ins, p);
      expect(scorePurchase(goal.target!, { product: p, selection: {}, unit_price: p.price }).score).toBe(1);
    }
  });
});
