import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Catalog, type Product, ProductSchema, priceRange } from "../sandbox-shop/catalog/types.ts";
import {
  guessBrand,
  loadWebShopCatalog,
  loadWebShopInstructions,
  webShopInstructionToGoal,
} from "../sandbox-shop/catalog/webshop.ts";
import { InputError } from "../src/contracts/errors.ts";
import { GoalSchema } from "../src/contracts/goal.ts";

// Real data lives outside the repo (../shared/datasets from the repo root). A missing file fails the tests.
const DATA = resolve(dirname(fileURLToPath(import.meta.url)), "../../shared/datasets/webshop-1k");
const PRODUCTS = join(DATA, "products_1000.jsonl");
const ATTRIBUTES = join(DATA, "items_ins_v2_1000.json");

interface RawLine {
  id: string;
  product: {
    asin: string;
    pricing: number[];
    average_rating: number | string;
    Attributes: string[];
    options: Record<string, string[]>;
  };
}

let catalog: Catalog;
let raw: RawLine[];
let items: Record<string, { attributes: string[]; instruction?: string; instruction_attributes?: string[] }>;
let byId: Map<string, Product>;

beforeAll(async () => {
  catalog = await loadWebShopCatalog(PRODUCTS);
  // An independent reading of the same files, as the oracle for the checks below.
  raw = readFileSync(PRODUCTS, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RawLine);
  items = JSON.parse(readFileSync(ATTRIBUTES, "utf8"));
  byId = new Map(catalog.products.map((p) => [p.id, p]));
});

describe("loadWebShopCatalog on the real 1,000-product file", () => {
  it("imports every product, in file order, each one valid", () => {
    expect(catalog.products).toHaveLength(1000);
    expect(raw).toHaveLength(1000);
    expect(catalog.products.map((p) => p.id)).toEqual(raw.map((r) => r.product.asin));
    expect(byId.size).toBe(1000);
    for (const p of catalog.products) expect(ProductSchema.safeParse(p).success, p.id).toBe(true);
    expect(catalog.source).toBe(`webshop:${PRODUCTS}`);
  });

  it("lists the five WebShop categories with display names", () => {
    expect(catalog.categories.map((c) => c.slug).sort()).toEqual([
      "beauty",
      "electronics",
      "fashion",
      "garden",
      "grocery",
    ]);
    expect(catalog.categories.find((c) => c.slug === "garden")?.name).toBe("Home & Garden");
    const slugs = new Set(catalog.categories.map((c) => c.slug));
    for (const p of catalog.products) expect(slugs.has(p.category)).toBe(true);
  });

  it("maps a price range onto option deltas so that priceRange() equals the file's pricing", () => {
    let ranges = 0;
    let withOptions = 0;
    for (const r of raw) {
      const p = byId.get(r.product.asin)!;
      const lo = Math.min(...r.product.pricing);
      const hi = Math.max(...r.product.pricing);
      expect(p.price).toBe(lo);
      if (lo === hi) continue;
      ranges++;
      if (p.options.length > 0) {
        withOptions++;
        expect(priceRange(p), p.id).toEqual({ min: lo, max: hi });
      } else {
        // A range without options: no fake option, the product sells at the low price.
        expect(priceRange(p), p.id).toEqual({ min: lo, max: lo });
      }
    }
    expect(ranges).toBe(93);
    expect(withOptions).toBe(91);
  });

  it("spreads a range linearly over the first option dimension, in listed order", () => {
    // B08ZRR3DZT: pricing [19.99, 27.99], sizes X-Small … X-Large.
    const p = byId.get("B08ZRR3DZT")!;
    expect(p.options[0]?.name).toBe("size");
    expect(p.options[0]?.values.map((v) => v.price_delta)).toEqual([0, 2, 4, 6, 8]);
    expect(p.options[1]?.values.every((v) => v.price_delta === 0)).toBe(true);
    // B07FKGQKZ1 lists its range high-first: [44.99, 33.98].
    expect(priceRange(byId.get("B07FKGQKZ1")!)).toEqual({ min: 33.98, max: 44.99 });
  });

  it("uses an absolute variant price above a single price as that value's delta", () => {
    // B079HGJ5MH: pricing [49.95]; Size 500ml $49.95, 1000ml $79.95.
    const p = byId.get("B079HGJ5MH")!;
    expect(p.price).toBe(49.95);
    expect(p.options).toEqual([
      {
        name: "size",
        values: [
          { value: "500ml", price_delta: 0, available: true },
          { value: "1000ml", price_delta: 30, available: true },
        ],
      },
    ]);
    // B08SKT2TCH: a cheaper variant ($9.90 < $12.98) can't be negative, so it gets 0.
    const loofah = byId.get("B08SKT2TCH")!;
    const colors = loofah.options.find((o) => o.name === "color")!;
    expect(colors.values.find((v) => v.value === "Cleansing Brush")?.price_delta).toBe(0);
    expect(colors.values.find((v) => v.value === "Bath Towel")?.price_delta).toBe(1.82);
  });

  it("reads ratings: '' → null, numbers kept even without reviews", () => {
    let nulls = 0;
    for (const r of raw) {
      const p = byId.get(r.product.asin)!;
      const a = r.product.average_rating;
      if (a === "") {
        nulls++;
        expect(p.rating).toBeNull();
      } else {
        expect(p.rating).toBe(Number(a));
      }
      expect(p.review_count).toBe(0); // Reviews are empty in this subset
      expect(p.reviews).toEqual([]);
      expect(catalog.reviewsFor(p)).toEqual([]);
    }
    expect(nulls).toBe(359);
  });

  it("imports odd option names, availability, and de-duplicated values", () => {
    const names = new Set(catalog.products.flatMap((p) => p.options.map((o) => o.name)));
    for (const n of [
      "color",
      "size",
      "flavor name",
      "number of items",
      "pattern name",
      "fit type",
      "item shape",
    ]) {
      expect(names.has(n), n).toBe(true);
    }
    for (const p of catalog.products) {
      for (const o of p.options) {
        expect(o.name).toBe(o.name.toLowerCase());
        const values = o.values.map((v) => v.value.toLowerCase());
        expect(new Set(values).size, `${p.id} ${o.name}`).toBe(values.length);
      }
    }
    // "12x18 inch" is listed twice for B099WH1RTM.
    expect(byId.get("B099WH1RTM")!.options.find((o) => o.name === "size")?.values).toHaveLength(5);
    expect(catalog.products.some((p) => p.options.some((o) => o.values.some((v) => !v.available)))).toBe(
      true,
    );
    // customization_options {"Color": null} and options {} → no options.
    expect(byId.get("B09DG92LJL")!.options).toEqual([]);
    // Every product with options in the file has them, with the same names.
    for (const r of raw) {
      expect(
        byId
          .get(r.product.asin)!
          .options.map((o) => o.name)
          .sort(),
      ).toEqual(Object.keys(r.product.options).sort());
    }
  });

  it("merges attributes from items_ins_v2 (lowercase, de-duplicated)", () => {
    for (const r of raw) {
      const p = byId.get(r.product.asin)!;
      for (const a of items[r.product.asin]!.attributes) expect(p.attributes).toContain(a.toLowerCase());
      expect(new Set(p.attributes).size).toBe(p.attributes.length);
    }
    expect(byId.get("B06Y3VLDFB")!.attributes).toEqual(["console table", "solid wood"]);
  });

  it("maps titles, paths, types and images, with fallbacks for the empty product", () => {
    const table = byId.get("B06Y3VLDFB")!;
    expect(table.title).toBe(
      "Vhomes Lights Reclaimed Wood Console Table The Genessis Collection Sofa-Tables",
    );
    expect(table.category_path).toEqual([
      "Home & Kitchen",
      "Furniture",
      "Living Room Furniture",
      "Tables",
      "Sofa & Console Tables",
    ]);
    expect(table.product_type).toBe("sofa & console tables");
    expect(table.image).toBe("https://m.media-amazon.com/images/I/51Y1zY1ZdZL.jpg");
    expect(table.bullets[1]).toBe("Material:SOLID WOOD");
    // Line 987 has an empty title, name, category path and image.
    const film = byId.get("B09P71WY8C")!;
    expect(film.title).toBe("Window coverings");
    expect(film.category_path).toEqual(["Home & Garden"]);
    expect(film.product_type).toBe("window coverings");
    expect(film.image).toBeNull();
    for (const p of catalog.products) {
      expect(p.title).toBe(p.title.replace(/\s+/g, " ").trim());
      expect(p.bullets.every((b) => b !== "" && b === b.trim())).toBe(true);
    }
  });

  it("guesses brands conservatively", () => {
    expect(guessBrand('BOWERY HILL Traditional 84" Tall 12-Shelf Double Wide Wood Bookcase')).toBe(
      "BOWERY HILL",
    );
    expect(guessBrand("ARM & HAMMER Peroxicare Toothpaste")).toBe("ARM & HAMMER");
    expect(guessBrand("CubiCubi Computer Desk with Shelves")).toBe("CubiCubi");
    expect(guessBrand("Seacrest White Kitchen Cart by Linon")).toBe("Linon");
    expect(guessBrand("Signature Shakes™ Seasoning Mix, 18oz")).toBe("Signature Shakes");
    expect(guessBrand("USB C Cable 6ft")).toBe("Generic");
    expect(guessBrand("Lingerie for Women Sexy One Piece")).toBe("Generic");
    expect(guessBrand("ORGANIC COCONUT OIL 16 OZ")).toBe("Generic");
    const branded = catalog.products.filter((p) => p.brand !== "Generic").length;
    expect(branded).toBeGreaterThan(150);
    expect(branded).toBeLessThan(400);
  });
});

describe("loadWebShopInstructions", () => {
  it("yields the 415 templated instructions, each turning into a Goal for its product", () => {
    const instructions = loadWebShopInstructions(ATTRIBUTES);
    expect(instructions).toHaveLength(415);
    for (const ins of instructions) {
      const p = byId.get(ins.product_id)!;
      expect(p, ins.product_id).toBeDefined();
      expect(ins.instruction.length).toBeGreaterThan(0);
      expect(ins.instruction_attributes.length).toBeGreaterThan(0);
      for (const a of ins.instruction_attributes) expect(p.attributes).toContain(a);
      const goal = webShopInstructionToGoal(ins, p);
      expect(GoalSchema.parse(goal)).toEqual(goal);
      expect(goal.target).toEqual({
        product_id: p.id,
        category: p.category,
        product_type: p.product_type,
        attributes: ins.instruction_attributes,
        options: {},
      });
    }
    const first = instructions.find((i) => i.product_id === "B07DJJXGB5")!;
    expect(first.instruction).toBe("Find me scrubs & body treatments with tea tree, natural ingredients");
    expect(first.instruction_attributes).toEqual(["tea tree", "natural ingredients"]);
  });

  it("refuses a product that is not the instruction's", () => {
    const [ins] = loadWebShopInstructions(ATTRIBUTES);
    const other = catalog.products.find((p) => p.id !== ins!.product_id)!;
    expect(() => webShopInstructionToGoal(ins!, other)).toThrow(InputError);
  });
});

describe("loadWebShopCatalog on bad files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "shopsim-webshop-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const line = (product: Record<string, unknown>, id = "B000000001") =>
    JSON.stringify({
      id,
      contents: "",
      product: { asin: id, Title: "Acme Widget", category: "electronics", pricing: [9.99], ...product },
    });
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const failure = async (path: string, opts?: { attributesPath?: string }): Promise<InputError> => {
    const err = await loadWebShopCatalog(path, opts).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  };

  it("imports a minimal product, and merges a neighbouring items_ins_v2_1000.json", async () => {
    const sub = mkdtempSync(join(dir, "ok-"));
    const path = join(sub, "products.jsonl");
    writeFileSync(path, `${line({ Attributes: ["Solid Wood"] })}\n\n`);
    writeFileSync(
      join(sub, "items_ins_v2_1000.json"),
      JSON.stringify({ B000000001: { attributes: ["Easy Clean"] } }),
    );
    const c = await loadWebShopCatalog(path);
    expect(c.products).toHaveLength(1);
    expect(c.products[0]).toMatchObject({
      id: "B000000001",
      title: "Acme Widget",
      brand: "Generic",
      category: "electronics",
      category_path: ["Electronics"],
      product_type: "electronics",
      price: 9.99,
      rating: null,
      attributes: ["easy clean", "solid wood"],
      options: [],
      image: null,
    });
    // An explicit attributes file replaces the default one.
    const other = write(
      "attrs.json",
      JSON.stringify({ B000000001: { attributes: ["solid wood", "rustic"] } }),
    );
    const c2 = await loadWebShopCatalog(path, { attributesPath: other });
    expect(c2.products[0]?.attributes).toEqual(["solid wood", "rustic"]);
  });

  it("names the file and line of a line that is not JSON", async () => {
    const path = write("bad.jsonl", `${line({})}\n{"id": "B2", "product": \n`);
    const err = await failure(path);
    expect(err.where).toBe(`${path}:2`);
    expect(err.message).toContain(":2:");
    expect(err.message).toContain("bad.jsonl");
    expect(err.message).toContain("not valid JSON");
  });

  it("names the missing pricing field", async () => {
    const path = write("nopricing.jsonl", `${line({})}\n${line({ pricing: undefined }, "B000000002")}\n`);
    const err = await failure(path);
    expect(err.where).toBe(`${path}:2`);
    expect(err.message).toContain("product.pricing: expected a non-empty array of prices, got nothing");
  });

  it("shows the bad pricing value", async () => {
    const err = await failure(write("abc.jsonl", `${line({ pricing: "abc" })}\n`));
    expect(err.message).toContain(':1: product.pricing: expected a non-empty array of prices, got "abc"');
    const empty = await failure(write("empty-pricing.jsonl", `${line({ pricing: [] })}\n`));
    expect(empty.message).toContain("product.pricing: expected a non-empty array of prices, got []");
  });

  it("rejects a product with no positive price, naming the line", async () => {
    const err = await failure(write("zero.jsonl", `${line({})}\n${line({ pricing: [0] }, "B000000002")}\n`));
    expect(err.message).toContain(":2: product.pricing.0: expected a positive price in dollars, got 0");
  });

  it("rejects a rating outside 1–5 and a missing category", async () => {
    const rating = await failure(write("rating.jsonl", `${line({ average_rating: 7 })}\n`));
    expect(rating.message).toContain("product.average_rating");
    const category = await failure(write("category.jsonl", `${line({ category: undefined })}\n`));
    expect(category.message).toContain("product.category: expected a category");
  });

  it("rejects a duplicate ASIN, naming both lines", async () => {
    const err = await failure(write("dup.jsonl", `${line({})}\n${line({})}\n`));
    expect(err.where).toMatch(/dup\.jsonl:2$/);
    expect(err.message).toContain("already on line 1");
  });

  it("rejects a missing or empty file", async () => {
    const missing = join(dir, "does-not-exist.jsonl");
    const err = await failure(missing);
    expect(err.where).toBe(missing);
    expect(err.message).toContain("no such file");
    await failure(write("empty.jsonl", "\n"));
  });

  it("rejects a missing or broken attributes file", async () => {
    const path = write("one.jsonl", `${line({})}\n`);
    const missing = await failure(path, { attributesPath: join(dir, "nope.json") });
    expect(missing.where).toBe(join(dir, "nope.json"));
    const broken = await failure(path, { attributesPath: write("broken.json", "{") });
    expect(broken.message).toContain("not valid JSON");
    const wrong = await failure(path, { attributesPath: write("wrong.json", '{"B1": {"attributes": "x"}}') });
    expect(wrong.message).toContain("B1.attributes");
    expect(() => loadWebShopInstructions(join(dir, "nope.json"))).toThrow(InputError);
  });
});
