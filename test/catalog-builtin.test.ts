import { describe, expect, it } from "vitest";
import {
  BUILTIN_DEFAULT_COUNT,
  BUILTIN_MAX_REVIEWS,
  builtinReviews,
  generateBuiltinCatalog,
} from "../sandbox-shop/catalog/builtin.ts";
import { ATTRIBUTES, CATEGORIES } from "../sandbox-shop/catalog/templates.ts";
import {
  CategorySchema,
  type Product,
  ProductSchema,
  priceRange,
  ReviewSchema,
  unitPrice,
} from "../sandbox-shop/catalog/types.ts";
import { InputError } from "../src/contracts/errors.ts";

const catalog = generateBuiltinCatalog({ seed: 42, count: BUILTIN_DEFAULT_COUNT });
const products = catalog.products;

const allTypes = CATEGORIES.flatMap((c) => c.types.map((t) => ({ category: c, type: t })));

function text(p: Product): string {
  return [p.title, ...p.bullets].join("\n").toLowerCase();
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

describe("templates", () => {
  it("cover at least 10 categories, 6 types each, 70 types in all, with unique type names", () => {
    expect(CATEGORIES.length).toBeGreaterThanOrEqual(10);
    for (const c of CATEGORIES) expect(c.types.length, c.slug).toBeGreaterThanOrEqual(6);
    expect(allTypes.length).toBeGreaterThanOrEqual(70);
    expect(new Set(allTypes.map((t) => t.type.type)).size).toBe(allTypes.length);
  });

  it("describe every attribute, with enough title-able adjectives per type", () => {
    for (const { type } of allTypes) {
      expect(type.attributes.length, type.type).toBeGreaterThanOrEqual(6);
      for (const attr of type.attributes) {
        expect(ATTRIBUTES[attr], `${type.type}: ${attr}`).toBeDefined();
        expect(attr, `${type.type}: ${attr}`).toBe(attr.toLowerCase());
      }
      for (const attr of Object.keys(type.benefits ?? {})) expect(type.attributes, type.type).toContain(attr);
      // Adjectives that can precede the type in a title without repeating its words (see builtin.ts).
      const typeWords = new Set(type.type.split(/[\s-]+/));
      const adjectives = type.attributes.filter(
        (a) =>
          ATTRIBUTES[a]?.placement === "adjective" &&
          !a.split(/[\s-]+/).some((w) => w.length >= 3 && typeWords.has(w)),
      );
      expect(adjectives.length, type.type).toBeGreaterThanOrEqual(3);
      expect(type.price[0], type.type).toBeLessThan(type.price[1]);
    }
  });

  it("use distinct brands per category", () => {
    const brands = CATEGORIES.flatMap((c) => c.brands);
    expect(new Set(brands).size).toBe(brands.length);
    for (const c of CATEGORIES) expect(c.brands.length).toBeGreaterThanOrEqual(8);
  });

  it("give option dimensions lowercase names and at least two values", () => {
    for (const { type } of allTypes) {
      for (const o of type.options) {
        expect(o.name).toBe(o.name.toLowerCase());
        expect(o.values.length, `${type.type}.${o.name}`).toBeGreaterThanOrEqual(2);
      }
    }
  });
});

describe("generateBuiltinCatalog", () => {
  it("is deterministic", () => {
    const again = generateBuiltinCatalog({ seed: 42, count: BUILTIN_DEFAULT_COUNT });
    expect(again.products).toEqual(products);
    expect(again.categories).toEqual(catalog.categories);
    expect(again.source).toBe("builtin:seed=42:n=2000");
  });

  it("makes a smaller catalog a prefix of a larger one", () => {
    const small = generateBuiltinCatalog({ seed: 42, count: 500 });
    expect(small.products).toEqual(products.slice(0, 500));
    const large = generateBuiltinCatalog({ seed: 42, count: 5000 });
    expect(large.products.slice(0, BUILTIN_DEFAULT_COUNT)).toEqual(products);
  });

  it("gives unique ASIN-like ids", () => {
    const big = generateBuiltinCatalog({ seed: 7, count: 20_000 });
    const ids = new Set(big.products.map((p) => p.id));
    expect(ids.size).toBe(20_000);
    for (const id of ids) expect(id).toMatch(/^B[0-9A-Z]{9}$/);
  });

  it("produces different catalogs for different seeds", () => {
    const other = generateBuiltinCatalog({ seed: 43, count: BUILTIN_DEFAULT_COUNT });
    const ids = new Set(products.map((p) => p.id));
    expect(other.products.filter((p) => ids.has(p.id)).length).toBe(0);
    const sameTitle = other.products.filter((p, i) => p.title === products[i]?.title).length;
    expect(sameTitle).toBeLessThan(50);
  });

  it("accepts negative and very large seeds, and a single product", () => {
    expect(generateBuiltinCatalog({ seed: -1, count: 1 }).products).toHaveLength(1);
    const a = generateBuiltinCatalog({ seed: 2 ** 40, count: 3 }).products;
    const b = generateBuiltinCatalog({ seed: 2 ** 40 + 1, count: 3 }).products;
    expect(a[0]?.id).not.toBe(b[0]?.id);
  });

  it.each([
    [{ seed: 1, count: 0 }, "count"],
    [{ seed: 1, count: -5 }, "count"],
    [{ seed: 1, count: 2.5 }, "count"],
    [{ seed: 1, count: 1_000_001 }, "count"],
    [{ seed: 1, count: Number.NaN }, "count"],
    [{ seed: 1.5, count: 10 }, "seed"],
    [{ seed: Number.POSITIVE_INFINITY, count: 10 }, "seed"],
  ])("rejects %o with an InputError naming the %s", (opts, field) => {
    let error: unknown;
    try {
      generateBuiltinCatalog(opts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const message = (error as InputError).message;
    expect(message).toContain(field);
    expect(message).toContain(String(field === "seed" ? opts.seed : opts.count));
    expect(message).toMatch(/expected/);
  });
});

describe("products", () => {
  it("all parse with ProductSchema without needing defaults", () => {
    for (const p of products) expect(ProductSchema.parse(p)).toEqual(p);
    const sample = generateBuiltinCatalog({ seed: 99, count: 30_000 }).products.filter(
      (_, i) => i % 97 === 0,
    );
    for (const p of sample) expect(ProductSchema.parse(p)).toEqual(p);
  });

  it("spread over all categories, each well populated", () => {
    for (const c of catalog.categories) expect(CategorySchema.parse(c)).toEqual(c);
    expect(catalog.categories.find((c) => c.slug === "home-kitchen")?.name).toBe("Home & Kitchen");
    const slugs = new Set(catalog.categories.map((c) => c.slug));
    const counts = countBy(products, (p) => p.category);
    for (const slug of counts.keys()) expect(slugs).toContain(slug);
    const populated = [...counts.values()].filter((n) => n >= 100);
    expect(populated.length).toBeGreaterThanOrEqual(8);
    expect(counts.size).toBe(CATEGORIES.length);
  });

  it("include near-duplicates: every type has several products from several brands", () => {
    const byType = new Map<string, Product[]>();
    for (const p of products) byType.set(p.product_type, [...(byType.get(p.product_type) ?? []), p]);
    expect(byType.size).toBe(allTypes.length);
    for (const [type, list] of byType) {
      expect(list.length, type).toBeGreaterThanOrEqual(5);
      expect(new Set(list.map((p) => p.brand)).size, type).toBeGreaterThanOrEqual(3);
      // No attribute is on (nearly) every product of a type, or filtering by it would be meaningless.
      const attrCounts = countBy(
        list.flatMap((p) => p.attributes),
        (a) => a,
      );
      for (const [attr, n] of attrCounts) expect(n / list.length, `${type}: ${attr}`).toBeLessThan(0.8);
    }
  });

  it("have marketplace-style titles: brand first, product type in title case", () => {
    for (const p of products) {
      expect(p.title.startsWith(`${p.brand} `), p.title).toBe(true);
      expect(p.title.toLowerCase()).toContain(p.product_type);
      expect(p.title).not.toMatch(/[{}]|\s{2}|,,|undefined/);
      expect(p.title.length).toBeLessThanOrEqual(150);
    }
    const headphones = products.find((p) => p.product_type === "over-ear headphones");
    expect(headphones?.title).toContain("Over-Ear Headphones");
  });

  it("have 2–5 attributes from the type's pool, each mentioned in the title or bullets", () => {
    for (const p of products) {
      const pool = allTypes.find((t) => t.type.type === p.product_type)?.type.attributes ?? [];
      expect(p.attributes.length).toBeGreaterThanOrEqual(2);
      expect(p.attributes.length).toBeLessThanOrEqual(5);
      expect(new Set(p.attributes).size).toBe(p.attributes.length);
      const body = text(p);
      for (const attr of p.attributes) {
        expect(pool).toContain(attr);
        expect(body, `${p.id} ${attr}`).toContain(attr);
      }
    }
  });

  it("have 3–6 bullets and a 2–4 sentence description without leftover placeholders", () => {
    for (const p of products) {
      expect(p.bullets.length).toBeGreaterThanOrEqual(3);
      expect(p.bullets.length).toBeLessThanOrEqual(6);
      const sentences = p.description.match(/[.!?](?=\s|$)/g) ?? [];
      expect(sentences.length, p.description).toBeGreaterThanOrEqual(2);
      expect(sentences.length, p.description).toBeLessThanOrEqual(4);
      for (const s of [...p.bullets, p.description]) expect(s).not.toMatch(/[{}]|undefined/);
    }
  });

  it("have valid options: ≤3 dimensions, ≥2 values, never all unavailable, cheapest value at +0", () => {
    let values = 0;
    let unavailable = 0;
    for (const p of products) {
      expect(p.options.length).toBeLessThanOrEqual(3);
      expect(new Set(p.options.map((o) => o.name)).size).toBe(p.options.length);
      for (const o of p.options) {
        expect(o.values.length, `${p.id} ${o.name}`).toBeGreaterThanOrEqual(2);
        expect(new Set(o.values.map((v) => v.value)).size).toBe(o.values.length);
        expect(
          o.values.some((v) => v.available),
          `${p.id} ${o.name}`,
        ).toBe(true);
        expect(Math.min(...o.values.map((v) => v.price_delta))).toBe(0);
        for (const v of o.values) expect(v.price_delta).toBeGreaterThanOrEqual(0);
        values += o.values.length;
        unavailable += o.values.filter((v) => !v.available).length;
      }
    }
    expect(unavailable / values).toBeGreaterThan(0.04);
    expect(unavailable / values).toBeLessThan(0.09);
    expect(products.filter((p) => p.options.length === 0).length).toBeGreaterThan(0);
  });

  it("charge more for bigger sizes and packs, so the price range widens when deltas exist", () => {
    let withDeltas = 0;
    for (const p of products) {
      const range = priceRange(p);
      const hasDelta = p.options.some((o) => o.values.some((v) => v.price_delta > 0));
      if (hasDelta) {
        withDeltas++;
        expect(range.max, p.id).toBeGreaterThan(p.price);
      } else {
        expect(range.max).toBe(p.price);
      }
    }
    expect(withDeltas).toBeGreaterThan(products.length / 5);
    const pack = products.find((p) => p.options.some((o) => o.name === "pack size" && o.values.length >= 2));
    const option = pack?.options.find((o) => o.name === "pack size");
    const [first, second] = option?.values ?? [];
    expect(first && second && pack).toBeTruthy();
    if (first && second && pack) {
      expect(unitPrice(pack, { "pack size": second.value })).toBeGreaterThan(
        unitPrice(pack, { "pack size": first.value }),
      );
    }
  });

  it("price within the type's band with marketplace endings", () => {
    const endings = countBy(products, (p) => p.price.toFixed(2).slice(-3));
    expect((endings.get(".99") ?? 0) / products.length).toBeGreaterThan(0.4);
    for (const p of products) {
      const band = allTypes.find((t) => t.type.type === p.product_type)?.type.price;
      expect(band).toBeDefined();
      if (!band) continue;
      expect(p.price).toBeGreaterThanOrEqual(band[0]);
      expect(p.price).toBeLessThanOrEqual(band[1]);
      expect(Math.round(p.price * 100) / 100).toBe(p.price);
    }
  });

  it("have realistic ratings and heavy-tailed review counts", () => {
    const rated = products.filter((p) => p.rating !== null);
    const unrated = products.filter((p) => p.rating === null);
    for (const p of unrated) expect(p.review_count).toBe(0);
    for (const p of rated) {
      expect(p.review_count).toBeGreaterThan(0);
      expect(p.review_count).toBeLessThanOrEqual(20_000);
      expect(p.rating).toBeGreaterThanOrEqual(2.5);
      expect(p.rating).toBeLessThanOrEqual(5);
      expect(Math.round((p.rating ?? 0) * 10) / 10).toBe(p.rating);
    }
    expect(unrated.length / products.length).toBeGreaterThan(0.01);
    expect(unrated.length / products.length).toBeLessThan(0.06);
    const typical = rated.filter((p) => (p.rating ?? 0) >= 3.6 && (p.rating ?? 0) <= 4.8);
    expect(typical.length / rated.length).toBeGreaterThan(0.75);
    expect(rated.some((p) => (p.rating ?? 5) < 3.2)).toBe(true);
    const counts = rated.map((p) => p.review_count).sort((x, y) => x - y);
    const median = counts[Math.floor(counts.length / 2)] ?? 0;
    expect(median).toBeGreaterThan(20);
    expect(median).toBeLessThan(200);
    expect(counts[counts.length - 1]).toBeGreaterThan(3000);
  });

  it("have no stored reviews and no image", () => {
    for (const p of products) {
      expect(p.reviews).toEqual([]);
      expect(p.image).toBeNull();
      expect(p.category_path[0]).toBe(catalog.categories.find((c) => c.slug === p.category)?.name);
    }
  });

  it("support a goal like 'wireless earbuds with noise cancelling under $60'", () => {
    const matches = products.filter(
      (p) =>
        p.product_type === "wireless earbuds" && p.attributes.includes("noise cancelling") && p.price < 60,
    );
    expect(matches.length).toBeGreaterThan(0);
    const inBlack = products.filter(
      (p) =>
        p.product_type === "wireless earbuds" &&
        p.options.some((o) => o.name === "color" && o.values.some((v) => v.value === "black" && v.available)),
    );
    expect(inBlack.length).toBeGreaterThan(3);
  });
});

describe("reviewsFor", () => {
  const reviewed = products.filter((p) => p.review_count > 0);

  it("is deterministic and independent of object identity", () => {
    for (const p of reviewed.slice(0, 200)) {
      const first = catalog.reviewsFor(p);
      expect(catalog.reviewsFor(p)).toEqual(first);
      expect(builtinReviews(structuredClone(p))).toEqual(first);
    }
  });

  it("returns min(8, review_count) valid reviews, none for unreviewed products", () => {
    for (const p of products) {
      const reviews = catalog.reviewsFor(p);
      expect(reviews.length).toBe(Math.min(BUILTIN_MAX_REVIEWS, p.review_count));
      for (const r of reviews) {
        expect(ReviewSchema.parse(r)).toEqual(r);
        expect(r.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(r.date >= "2023-01-01" && r.date <= "2026-09-30").toBe(true);
        expect(r.title.length).toBeGreaterThan(0);
        expect(r.body.length).toBeGreaterThan(20);
        expect(`${r.title} ${r.body}`).not.toMatch(/[{}]|undefined/);
      }
    }
  });

  it("have ratings consistent with the product rating", () => {
    for (const p of reviewed) {
      const reviews = catalog.reviewsFor(p);
      const mean = reviews.reduce((s, r) => s + r.rating, 0) / reviews.length;
      expect(Math.abs(mean - (p.rating ?? 0)), p.id).toBeLessThanOrEqual(1.2);
      if ((p.rating ?? 5) <= 3) expect(reviews.some((r) => r.rating <= 3)).toBe(true);
    }
    const low = reviewed.filter((p) => (p.rating ?? 5) <= 3.2 && p.review_count >= 8);
    expect(low.length).toBeGreaterThan(0);
    expect(low.some((p) => catalog.reviewsFor(p).some((r) => r.rating <= 2))).toBe(true);
  });

  it("talk about the product: its type or its attributes", () => {
    let mentioning = 0;
    for (const p of reviewed) {
      const all = catalog
        .reviewsFor(p)
        .map((r) => `${r.title} ${r.body}`)
        .join(" ")
        .toLowerCase();
      if (all.includes(p.product_type) || p.attributes.some((a) => all.includes(a))) mentioning++;
    }
    expect(mentioning / reviewed.length).toBeGreaterThan(0.9);
  });

  it("returns stored reviews when a product has them", () => {
    const p = reviewed[0] as Product;
    const stored = [
      { author: "Ann", rating: 5, title: "ok", body: "fine", date: "2024-01-01", verified: true },
    ];
    expect(catalog.reviewsFor({ ...p, reviews: stored })).toBe(stored);
  });
});
