import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { generateBuiltinCatalog } from "../sandbox-shop/catalog/builtin.ts";
import { loadWebShopCatalog } from "../sandbox-shop/catalog/webshop.ts";
import { MAX_MATCHES, queryTerms, SearchIndex, topKeys } from "../sandbox-shop/search.ts";
import { dataset } from "./helpers/datasets.ts";

const humanQueries = (): string[] => {
  const map = JSON.parse(readFileSync(dataset("webshop-goals/goal_query_map.train.json"), "utf8")) as Record<
    string,
    string[]
  >;
  return [...new Set(Object.values(map).flat())];
};

/**
 * The fast path must rank exactly as MiniSearch's own OR search does: the same products (its best
 * MAX_MATCHES when there are more), in non-increasing MiniSearch score.
 */
function expectSameRanking(index: SearchIndex, q: string): void {
  const fast = [...index.matches(q)];
  const reference = index.referenceSearch(q);
  // No exact match at all: the spelling-corrected fallback answers instead (tested below).
  if (reference.length === 0) return;
  const score = new Map(reference.map((h) => [h.id, h.score]));
  const top = reference[0]!.score;
  const eps = top * 1e-6;
  expect(fast.length, q).toBe(Math.min(reference.length, MAX_MATCHES));
  for (const id of fast) expect(score.has(id), q).toBe(true);
  for (let k = 1; k < fast.length; k++) {
    expect(score.get(fast[k]!)!, `${q} @${k}`).toBeLessThanOrEqual(score.get(fast[k - 1]!)! + eps);
  }
  // Nothing left out scores above what was kept.
  const kept = new Set(fast);
  const worstKept = score.get(fast.at(-1)!)!;
  for (const h of reference) if (!kept.has(h.id)) expect(h.score, q).toBeLessThanOrEqual(worstKept + eps);
}

describe("search ranking", () => {
  let builtin: SearchIndex;
  let webshop: SearchIndex;
  beforeAll(async () => {
    builtin = new SearchIndex(generateBuiltinCatalog({ seed: 42, count: 20000 }));
    webshop = new SearchIndex(await loadWebShopCatalog(dataset("webshop-1k/products_1000.jsonl")));
  });

  it("ranks real human queries exactly like MiniSearch's OR search, on both catalogs", () => {
    const queries = humanQueries().filter((_, i) => i % 10 === 0);
    expect(queries.length).toBeGreaterThan(100);
    let compared = 0;
    let windowed = 0;
    for (const q of queries) {
      expectSameRanking(builtin, q);
      expectSameRanking(webshop, q);
      if (webshop.referenceSearch(q).length > 0) compared++;
      if (builtin.referenceSearch(q).length > MAX_MATCHES) windowed++;
    }
    expect(compared).toBeGreaterThan(queries.length * 0.9);
    // The relevance window is exercised too.
    expect(windowed).toBeGreaterThan(10);
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

describe("topKeys", () => {
  it("selects exactly the k largest of distinct values", () => {
    for (const [n, k] of [
      [10, 3],
      [1000, 1],
      [5000, 2000],
      [2000, 2000],
      [100, 250],
      [7, 7],
    ] as const) {
      const values = Array.from({ length: n }, (_, i) => ((i * 7919) % 10007) + i / 1e6);
      const got = [...topKeys(Float64Array.from(values), k)].sort((a, b) => b - a);
      expect(got, `${n}/${k}`).toEqual([...values].sort((a, b) => b - a).slice(0, k));
    }
  });
});
