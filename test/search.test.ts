import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { generateBuiltinCatalog } from "../sandbox-shop/catalog/builtin.ts";
import { loadWebShopCatalog } from "../sandbox-shop/catalog/webshop.ts";
import { queryTerms, SearchIndex } from "../sandbox-shop/search.ts";
import { dataset } from "./helpers/datasets.ts";

const humanQueries = (): string[] => {
  const map = JSON.parse(readFileSync(dataset("webshop-goals/goal_query_map.train.json"), "utf8")) as Record<
    string,
    string[]
  >;
  return [...new Set(Object.values(map).flat())];
};

/** The fast path must rank exactly as MiniSearch's own OR search does (same set, same score order). */
function expectSameRanking(index: SearchIndex, q: string): void {
  const fast = [...index.matches(q)];
  const reference = index.referenceSearch(q);
  // No exact match at all: the typo-forgiving fallback answers instead (tested below).
  if (reference.length === 0) return;
  const score = new Map(reference.map((h) => [h.id, h.score]));
  expect(new Set(fast), q).toEqual(new Set(reference.map((h) => h.id)));
  const top = reference[0]?.score ?? 0;
  for (let k = 1; k < fast.length; k++) {
    expect(score.get(fast[k]!)!, `${q} @${k}`).toBeLessThanOrEqual(score.get(fast[k - 1]!)! + top * 1e-6);
  }
}

describe("search ranking", () => {
  let builtin: SearchIndex;
  let webshop: SearchIndex;
  beforeAll(async () => {
    builtin = new SearchIndex(generateBuiltinCatalog({ seed: 42, count: 5000 }));
    webshop = new SearchIndex(await loadWebShopCatalog(dataset("webshop-1k/products_1000.jsonl")));
  });

  it("ranks real human queries exactly like MiniSearch's OR search, on both catalogs", () => {
    const queries = humanQueries().filter((_, i) => i % 10 === 0);
    expect(queries.length).toBeGreaterThan(100);
    let compared = 0;
    for (const q of queries) {
      expectSameRanking(builtin, q);
      expectSameRanking(webshop, q);
      if (webshop.referenceSearch(q).length > 0) compared++;
    }
    expect(compared).toBeGreaterThan(queries.length * 0.9);
  });

  it("finds what the words say: a product's own title ranks it first", () => {
    for (const p of webshop.products.filter((_, i) => i % 50 === 0)) {
      expect(webshop.matches(p.title.slice(0, 120)).slice(0, 3), p.title).toContain(
        webshop.products.indexOf(p),
      );
    }
  });

  it("drops stop words and stems, keeping repeated words as MiniSearch does", () => {
    expect(queryTerms("looking for the Black black Shoes")).toEqual([
      { raw: "black", term: "black" },
      { raw: "black", term: "black" },
      { raw: "shoes", term: "shoe" },
    ]);
  });

  it("falls back to forgiving typos when nothing matches as typed", () => {
    const exact = builtin.matches("headphones");
    expect(exact.length).toBeGreaterThan(0);
    const typo = builtin.matches("headphnoes");
    expect(typo.length).toBeGreaterThan(0);
    expect(builtin.products[typo[0]!]!.title.toLowerCase()).toContain("headphones");
    expect(builtin.correct("headphnoes")).toBe("headphones");
    expect(builtin.correct("qqqq")).toBeNull();
    const page = builtin.search({
      q: "wireles earbuds",
      filters: {},
      sort: "relevance",
      page: 1,
      perPage: 12,
    });
    expect(page.corrected).toBeNull();
    const fixed = builtin.search({
      q: "wireles earbudz",
      filters: {},
      sort: "relevance",
      page: 1,
      perPage: 12,
    });
    expect(fixed.corrected).toBe("wireless earbuds");
    expect(fixed.items[0]!.title.toLowerCase()).toContain("earbuds");
  });

  it("paginates through every filtered result exactly once, for every sort", () => {
    for (const sort of ["relevance", "price_asc", "price_desc", "rating", "reviews"] as const) {
      const first = builtin.search({
        q: "wireless",
        filters: { max_price: 100 },
        sort,
        page: 1,
        perPage: 25,
      });
      const seen: string[] = [];
      for (let page = 1; page <= first.pages; page++) {
        seen.push(
          ...builtin
            .search({ q: "wireless", filters: { max_price: 100 }, sort, page, perPage: 25 })
            .items.map((p) => p.id),
        );
      }
      expect(seen.length, sort).toBe(first.total);
      expect(new Set(seen).size, sort).toBe(first.total);
    }
  });
});
