import { distance } from "fuzzball";
import { LRUCache } from "lru-cache";
import MiniSearch from "minisearch";
import { stemmer } from "stemmer";
import type { SearchFilters } from "../src/contracts/shop.ts";
import type { Catalog, Product } from "./catalog/types.ts";

export type SortKey = "relevance" | "price_asc" | "price_desc" | "rating" | "reviews";
export const SORT_KEYS: readonly SortKey[] = ["relevance", "price_asc", "price_desc", "rating", "reviews"];
export const SORT_LABELS: Record<SortKey, string> = {
  relevance: "Featured",
  price_asc: "Price: Low to High",
  price_desc: "Price: High to Low",
  rating: "Avg. Customer Review",
  reviews: "Most reviews",
};

export interface SearchRequest {
  q: string;
  filters: SearchFilters;
  sort: SortKey;
  page: number;
  perPage: number;
}

export interface FacetCount {
  value: string;
  label: string;
  count: number;
}

export const PER_PAGE = 12;

export interface SearchResult {
  total: number;
  /** True when the query matched more than MAX_MATCHES products and only the best were kept. */
  capped: boolean;
  /** Set when the query as typed matched nothing and this spelling-corrected query was used. */
  corrected: string | null;
  perPage: number;
  page: number;
  pages: number;
  items: Product[];
  facets: {
    categories: FacetCount[];
    brands: FacetCount[];
    features: FacetCount[];
    ratings: FacetCount[];
    prices: FacetCount[];
  };
}

/** Price refinements offered as one-click links, as [min, max) in dollars. */
export const PRICE_BUCKETS: readonly { label: string; min?: number; max?: number }[] = [
  { label: "Under $25", max: 25 },
  { label: "$25 to $50", min: 25, max: 50 },
  { label: "$50 to $100", min: 50, max: 100 },
  { label: "$100 to $200", min: 100, max: 200 },
  { label: "$200 & above", min: 200 },
];
export const RATING_STEPS: readonly number[] = [4, 3, 2, 1];

const STOP_WORDS = new Set(
  "a an and are as at be but by for from i i'm im in is it its looking me my need of on or please some that the this to want with would like".split(
    " ",
  ),
);

/** Lowercases, drops stop words and stems, so "Headphones" and "headphone" meet. */
export function normalizeTerm(term: string): string | null {
  const t = term.toLowerCase();
  if (t.length === 0 || STOP_WORDS.has(t)) return null;
  return /^[a-z]+$/.test(t) && t.length > 3 ? stemmer(t) : t;
}

const MAX_FACET_VALUES = 12;

/** Most products a text query can match; the result page says "over 2,000 results" beyond it. */
export const MAX_MATCHES = 2000;

/** Catalog indices fit below this (the built-in generator stops at 1,000,000 products). */
const INDEX_SPAN = 2 ** 20;

interface Matches {
  ids: Int32Array;
  /** The corrected query when the typed one matched nothing. */
  corrected: string | null;
}

interface TermHits {
  ids: Int32Array;
  scores: Float64Array;
}

const TOKENIZE = MiniSearch.getDefault("tokenize") as (text: string) => string[];

/**
 * A query's searchable terms as MiniSearch sees them: tokenized, stop words dropped, each with its
 * processed (stemmed) form. Repeated words stay, as in MiniSearch, where they add their score twice.
 */
export function queryTerms(query: string): { raw: string; term: string }[] {
  const out: { raw: string; term: string }[] = [];
  for (const raw of TOKENIZE(query)) {
    const term = normalizeTerm(raw);
    if (term !== null && term !== "") out.push({ raw: raw.toLowerCase(), term });
  }
  return out;
}

interface Computed {
  capped: boolean;
  corrected: string | null;
  ordered: Int32Array;
  facets: SearchResult["facets"];
}

/** The most frequent values of a facet; selected values stay visible even when they fall out of the top. */
function topFacet(counts: Int32Array, names: readonly string[], selected: readonly string[]): FacetCount[] {
  const ids: number[] = [];
  for (let id = 0; id < counts.length; id++) if ((counts[id] as number) > 0) ids.push(id);
  ids.sort(
    (a, b) =>
      (counts[b] as number) - (counts[a] as number) || (names[a] as string).localeCompare(names[b] as string),
  );
  const list = ids.slice(0, MAX_FACET_VALUES).map((id) => ({
    value: names[id] as string,
    label: names[id] as string,
    count: counts[id] as number,
  }));
  for (const s of selected) if (!list.some((x) => x.value === s)) list.push({ value: s, label: s, count: 0 });
  return list;
}

/**
 * Full-text search (MiniSearch, BM25) over a catalog, with filters, disjunctive facet counts,
 * sorting and pagination. Query matches are cached (LRU) so paging and refining a query does not
 * search again; filters and facets are computed over typed arrays in one pass.
 */
export class SearchIndex {
  readonly products: readonly Product[];
  private readonly mini: MiniSearch<{ id: number }>;
  private readonly categoryOf: Uint16Array;
  private readonly categorySlugs: string[];
  private readonly categoryNames: Map<string, string>;
  private readonly brandOf: Int32Array;
  private readonly brands: string[];
  private readonly brandIds: Map<string, number>;
  /** Attribute ids of product i are featureFlat[featureStart[i] .. featureStart[i + 1]). */
  private readonly featureStart: Int32Array;
  private readonly featureFlat: Int32Array;
  /** Index into PRICE_BUCKETS of each product's base price. */
  private readonly priceBucket: Uint8Array;
  /** Whole-star rating level 0–5 (0 = no rating). */
  private readonly ratingLevel: Uint8Array;
  private readonly features: string[];
  private readonly featureIds: Map<string, number>;
  private readonly price: Float64Array;
  private readonly rating: Float32Array;
  private readonly reviews: Int32Array;
  private readonly byPopularity: Int32Array;
  private readonly byPriceAsc: Int32Array;
  private readonly byRating: Int32Array;
  private readonly byReviews: Int32Array;
  private readonly rankPrice: Int32Array;
  private readonly rankRating: Int32Array;
  private readonly rankReviews: Int32Array;
  private readonly matchCache = new LRUCache<string, Matches>({ max: 5000 });
  private readonly resultCache = new LRUCache<string, Computed>({ max: 5000 });
  private readonly mark: Uint8Array;
  private readonly accumulator: Float64Array;
  private readonly hitCount: Uint8Array;
  private readonly lastTerm: Uint8Array;
  /** How many common terms were scored at start-up. */
  warmedTerms = 0;
  /** Distinct alphabetic words of the index, most common first, for spelling correction. */
  private vocabulary: string[] = [];
  /** Per-term MiniSearch results, bounded by the total number of postings they hold. */
  private readonly termCache = new LRUCache<string, TermHits>({
    maxSize: 20_000_000,
    sizeCalculation: (v) => v.ids.length + 1,
  });

  constructor(catalog: Catalog) {
    const products = catalog.products;
    this.products = products;
    const n = products.length;
    if (n >= INDEX_SPAN) throw new Error(`SearchIndex holds at most ${INDEX_SPAN - 1} products, got ${n}`);
    this.categorySlugs = catalog.categories.map((c) => c.slug);
    this.categoryNames = new Map(catalog.categories.map((c) => [c.slug, c.name]));
    const catIds = new Map(this.categorySlugs.map((s, i) => [s, i]));
    this.categoryOf = new Uint16Array(n);
    this.brandOf = new Int32Array(n);
    this.brands = [];
    this.brandIds = new Map();
    this.features = [];
    this.featureIds = new Map();
    this.featureStart = new Int32Array(n + 1);
    this.priceBucket = new Uint8Array(n);
    this.ratingLevel = new Uint8Array(n);
    const flat: number[] = [];
    this.price = new Float64Array(n);
    this.rating = new Float32Array(n);
    this.reviews = new Int32Array(n);
    this.mark = new Uint8Array(n);
    this.accumulator = new Float64Array(n);
    this.hitCount = new Uint8Array(n);
    this.lastTerm = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const p = products[i] as Product;
      this.categoryOf[i] = catIds.get(p.category) ?? 0;
      this.brandOf[i] = intern(p.brand, this.brands, this.brandIds);
      for (const a of p.attributes) flat.push(intern(a, this.features, this.featureIds));
      this.featureStart[i + 1] = flat.length;
      this.priceBucket[i] = Math.max(
        0,
        PRICE_BUCKETS.findIndex((b) => p.price >= (b.min ?? -Infinity) && p.price < (b.max ?? Infinity)),
      );
      this.ratingLevel[i] = Math.floor(p.rating ?? 0);
      this.price[i] = p.price;
      this.rating[i] = p.rating ?? 0;
      this.reviews[i] = p.review_count;
    }
    this.featureFlat = Int32Array.from(flat);
    const ids = () => Int32Array.from({ length: n }, (_, i) => i);
    const popularity = (i: number) => Math.log1p(this.reviews[i] as number) * (this.rating[i] as number);
    this.byPopularity = ids().sort((a, b) => popularity(b) - popularity(a) || a - b);
    this.byPriceAsc = ids().sort((a, b) => (this.price[a] as number) - (this.price[b] as number) || a - b);
    this.byRating = ids().sort(
      (a, b) =>
        (this.rating[b] as number) - (this.rating[a] as number) ||
        (this.reviews[b] as number) - (this.reviews[a] as number) ||
        a - b,
    );
    this.byReviews = ids().sort((a, b) => (this.reviews[b] as number) - (this.reviews[a] as number) || a - b);
    this.rankPrice = inverse(this.byPriceAsc);
    this.rankRating = inverse(this.byRating);
    this.rankReviews = inverse(this.byReviews);

    this.mini = new MiniSearch<{ id: number }>({
      // Bullets and descriptions are not indexed: at 100,000 products they triple the index and
      // the query time, and the catalog's attributes and titles already carry what shoppers search for.
      fields: ["title", "brand", "product_type", "category", "attributes"],
      processTerm: normalizeTerm,
      searchOptions: {
        boost: { title: 3, product_type: 2, attributes: 1.5, brand: 1.5, category: 1 },
        prefix: (term, index, terms) => index === terms.length - 1 && term.length >= 4,
        fuzzy: false,
      },
    });
    const docs = products.map((p, i) => ({
      id: i,
      title: p.title,
      brand: p.brand,
      product_type: p.product_type,
      category: `${this.categoryNames.get(p.category) ?? p.category} ${p.category_path.join(" ")}`,
      attributes: p.attributes.join(" "),
    }));
    this.mini.addAll(docs);
    this.warmCommonTerms(docs);
  }

  /**
   * Scores the catalog's most common words once, up front: a common word is the expensive part of
   * a first-time query (MiniSearch builds one result per matching product), and shoppers use them
   * all the time. Rare words stay lazy; they are cheap.
   */
  private warmCommonTerms(docs: readonly Record<string, string | number>[]): void {
    const threshold = Math.max(50, Math.floor(docs.length / 200));
    const df = new Map<string, number>();
    for (const doc of docs) {
      const seen = new Set<string>();
      for (const field of ["title", "brand", "product_type", "category", "attributes"]) {
        for (const token of TOKENIZE(String(doc[field]))) seen.add(token.toLowerCase());
      }
      for (const token of seen) df.set(token, (df.get(token) ?? 0) + 1);
    }
    this.vocabulary = [...df]
      .filter(([token]) => token.length >= 3 && /^[a-z]+$/.test(token))
      .sort((a, b) => b[1] - a[1])
      .map(([token]) => token);
    const warmed = new Set<string>();
    for (const [token, count] of df) {
      const term = normalizeTerm(token);
      if (count < threshold || term === null || warmed.has(term)) continue;
      warmed.add(term);
      this.termHits(token, false);
    }
    this.warmedTerms = warmed.size;
  }

  categoryName(slug: string): string {
    return this.categoryNames.get(slug) ?? slug;
  }

  /**
   * Product indices matching the query, best first. An empty query matches everything by popularity.
   *
   * Ranking is MiniSearch's own OR search: the sum over query terms of each term's BM25 score (with
   * the field boosts above), times the number of query terms the product matches. MiniSearch scores
   * each term once (`termHits`, cached); the per-query combination runs over typed arrays, so a new
   * query made of known words costs a fraction of a millisecond even at 100,000 products.
   */
  matches(q: string): Int32Array {
    return this.lookup(q).ids;
  }

  private lookup(q: string): Matches {
    const key = q.trim().toLowerCase().replace(/\s+/g, " ");
    if (key === "") return { ids: this.byPopularity, corrected: null };
    const cached = this.matchCache.get(key);
    if (cached) return cached;
    let terms = queryTerms(key);
    let ids = this.rank(terms);
    let corrected: string | null = null;
    if (ids.length === 0 && terms.length > 0) {
      // Nothing matched as typed: correct each unknown word to the closest common word of the
      // catalog and search again ("Showing results for …"), as shops do.
      const fixed = terms.map((t) =>
        this.termHits(t.raw, false).ids.length > 0 ? t.raw : (this.correct(t.raw) ?? t.raw),
      );
      if (fixed.some((w, i) => w !== terms[i]?.raw)) {
        corrected = fixed.join(" ");
        terms = queryTerms(corrected);
        ids = this.rank(terms);
      }
    }
    // A relevance window, as search engines keep: beyond it are products that share one common
    // word with the query. Facets, filters and sorts work within the window.
    if (ids.length > MAX_MATCHES) ids = ids.slice(0, MAX_MATCHES);
    const result = { ids, corrected: ids.length > 0 ? corrected : null };
    this.matchCache.set(key, result);
    return result;
  }

  private rank(terms: readonly { raw: string; term: string }[]): Int32Array {
    // MiniSearch's default: prefix search for the last term when it has 4 or more characters.
    const distinct = [...new Set(terms.map((t) => t.term))];
    return this.combine(
      terms.map((t, i) => ({
        hits: this.termHits(t.raw, i === terms.length - 1 && t.term.length >= 4),
        termIndex: distinct.indexOf(t.term),
      })),
    );
  }

  /** The most common catalog word within 1 edit (2 for words of 8+ letters) of `word`, if any. */
  correct(word: string): string | null {
    const max = word.length >= 8 ? 2 : word.length >= 4 ? 1 : 0;
    if (max === 0 || !/^[a-z]+$/.test(word)) return null;
    let best: string | null = null;
    let bestDistance = max + 1;
    for (const candidate of this.vocabulary) {
      if (Math.abs(candidate.length - word.length) > max) continue;
      const d = distance(word, candidate);
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
        if (d === 1) break;
      }
    }
    return best;
  }

  /** MiniSearch's own search for `q`, uncached: the reference the fast path must rank like. */
  referenceSearch(q: string): { id: number; score: number }[] {
    return this.mini.search(q.trim().toLowerCase()).map((h) => ({ id: h.id as number, score: h.score }));
  }

  /** One query term's hits and MiniSearch scores (a single-term search has MiniSearch's quality factor 1). */
  private termHits(term: string, prefix: boolean): TermHits {
    const key = `${prefix ? "p" : "t"}:${term}`;
    let hits = this.termCache.get(key);
    if (!hits) {
      const found = this.mini.search(term, { prefix, fuzzy: false });
      hits = {
        ids: Int32Array.from(found, (h) => h.id as number),
        scores: Float64Array.from(found, (h) => h.score),
      };
      this.termCache.set(key, hits);
    }
    return hits;
  }

  /**
   * Sums term scores per product and multiplies by the number of distinct query terms it matched
   * (MiniSearch's "quality"). `termIndex` identifies repeated words, which add score but not quality.
   */
  private combine(lists: readonly { hits: TermHits; termIndex: number }[]): Int32Array {
    const touched: number[] = [];
    const acc = this.accumulator;
    const hitCount = this.hitCount;
    const lastTerm = this.lastTerm;
    // Occurrences of the same word are consecutive, so `lastTerm` counts each distinct word once.
    const grouped = [...lists].sort((a, b) => a.termIndex - b.termIndex);
    for (const { hits, termIndex } of grouped) {
      const { ids, scores } = hits;
      const tag = termIndex + 1;
      for (let k = 0; k < ids.length; k++) {
        const i = ids[k] as number;
        if (hitCount[i] === 0) touched.push(i);
        acc[i] = (acc[i] as number) + (scores[k] as number);
        if (lastTerm[i] !== tag) {
          hitCount[i] = (hitCount[i] as number) + 1;
          lastTerm[i] = tag;
        }
      }
    }
    // Sort by score, best first, ties by catalog order: pack (score, index) into one float and let
    // the typed-array sort (no comparator, native) do the work.
    let top = 0;
    for (const i of touched) top = Math.max(top, (acc[i] as number) * (hitCount[i] as number));
    const scale = top > 0 ? Math.min(1e6, 2 ** 32 / top) : 1;
    const keys = new Float64Array(touched.length);
    for (let k = 0; k < touched.length; k++) {
      const i = touched[k] as number;
      keys[k] =
        Math.round((acc[i] as number) * (hitCount[i] as number) * scale) * INDEX_SPAN + (INDEX_SPAN - 1 - i);
      acc[i] = 0;
      hitCount[i] = 0;
      lastTerm[i] = 0;
    }
    // Only the relevance window is kept, so select it first (O(n)) and sort just that.
    const best = topKeys(keys, MAX_MATCHES);
    best.sort();
    const out = new Int32Array(best.length);
    for (let k = 0; k < best.length; k++) {
      out[k] = INDEX_SPAN - 1 - ((best[best.length - 1 - k] as number) % INDEX_SPAN);
    }
    return out;
  }

  search(req: SearchRequest): SearchResult {
    const f = req.filters;
    const key = JSON.stringify([
      req.q.trim().toLowerCase().replace(/\s+/g, " "),
      f.category ?? null,
      f.min_price ?? null,
      f.max_price ?? null,
      f.min_rating ?? null,
      [...(f.brands ?? [])].sort(),
      [...(f.features ?? [])].sort(),
      req.sort,
    ]);
    let computed = this.resultCache.get(key);
    if (!computed) {
      computed = this.compute(req);
      this.resultCache.set(key, computed);
    }
    const { ordered, facets, capped, corrected } = computed;
    const total = ordered.length;
    const pages = Math.max(1, Math.ceil(total / req.perPage));
    const page = Math.min(Math.max(1, req.page), pages);
    const start = (page - 1) * req.perPage;
    const items: Product[] = [];
    for (let k = start; k < Math.min(total, start + req.perPage); k++)
      items.push(this.products[ordered[k] as number] as Product);
    return { total, capped, corrected, perPage: req.perPage, page, pages, items, facets };
  }

  /** Filters, facet counts and order for one query + filters + sort; one pass over the matches. */
  private compute(req: SearchRequest): Computed {
    const f = req.filters;
    const { ids: matches, corrected } = this.lookup(req.q);
    const catFilter = f.category !== undefined ? this.categorySlugs.indexOf(f.category) : -1;
    const unknownCategory = f.category !== undefined && catFilter === -1;
    const minPrice = f.min_price ?? -Infinity;
    const maxPrice = f.max_price ?? Infinity;
    const minRating = f.min_rating ?? 0;
    const brandSet = new Set<number>();
    for (const b of f.brands ?? []) brandSet.add(this.brandIds.get(b) ?? -2);
    const wantedFeatures: number[] = [];
    for (const a of f.features ?? []) wantedFeatures.push(this.featureIds.get(a) ?? -2);

    const catCounts = new Int32Array(this.categorySlugs.length);
    const brandCounts = new Int32Array(this.brands.length);
    const featureCounts = new Int32Array(this.features.length);
    const levelCounts = new Int32Array(6);
    const priceCounts = new Int32Array(PRICE_BUCKETS.length);
    const passing: number[] = [];
    const { categoryOf, price, rating, brandOf, featureStart, featureFlat, priceBucket, ratingLevel } = this;
    const anyBrand = brandSet.size === 0;

    // Facets are disjunctive: each one counts what the results would be with every other filter applied.
    for (let k = 0; k < matches.length; k++) {
      const i = matches[k] as number;
      const okCat = catFilter === -1 ? !unknownCategory : categoryOf[i] === catFilter;
      const p = price[i] as number;
      const okPrice = p >= minPrice && p < maxPrice;
      const okRating = (rating[i] as number) >= minRating;
      const okBrand = anyBrand || brandSet.has(brandOf[i] as number);
      const from = featureStart[i] as number;
      const to = featureStart[i + 1] as number;
      let okFeat = true;
      for (let w = 0; w < wantedFeatures.length && okFeat; w++) {
        okFeat = false;
        for (let a = from; a < to; a++) {
          if (featureFlat[a] === wantedFeatures[w]) {
            okFeat = true;
            break;
          }
        }
      }
      const rest = okPrice && okRating && okBrand && okFeat;
      if (rest) bump(catCounts, categoryOf[i] as number);
      if (!okCat) continue;
      if (okRating && okBrand && okFeat) bump(priceCounts, priceBucket[i] as number);
      if (okPrice && okBrand && okFeat) bump(levelCounts, ratingLevel[i] as number);
      if (okPrice && okRating && okFeat) bump(brandCounts, brandOf[i] as number);
      if (okPrice && okRating && okBrand)
        for (let a = from; a < to; a++) bump(featureCounts, featureFlat[a] as number);
      if (rest) passing.push(i);
    }
    // "N stars & up" counts every product whose whole-star level is at least N.
    const ratingCounts = RATING_STEPS.map((step) => {
      let n = 0;
      for (let level = step; level < levelCounts.length; level++) n += levelCounts[level] as number;
      return n;
    });

    return {
      capped: req.q.trim() !== "" && matches.length >= MAX_MATCHES,
      corrected,
      ordered: Int32Array.from(this.order(passing, req.sort)),
      facets: {
        categories: this.categorySlugs
          .map((slug, c) => ({ value: slug, label: this.categoryName(slug), count: catCounts[c] as number }))
          .filter((x) => x.count > 0 || x.value === f.category),
        brands: topFacet(brandCounts, this.brands, f.brands ?? []),
        features: topFacet(featureCounts, this.features, f.features ?? []),
        ratings: RATING_STEPS.map((r, k) => ({
          value: String(r),
          label: `${r} ${r === 1 ? "star" : "stars"} & up`,
          count: ratingCounts[k] as number,
        })),
        prices: PRICE_BUCKETS.map((b, k) => ({
          value: `${b.min ?? ""}-${b.max ?? ""}`,
          label: b.label,
          count: priceCounts[k] as number,
        })),
      },
    };
  }

  /** Orders the passing indices; non-relevance sorts walk a precomputed permutation (O(n), no sort). */
  private order(passing: number[], sort: SortKey): number[] {
    if (sort === "relevance" || passing.length <= 1) return passing;
    const perm = sort === "rating" ? this.byRating : sort === "reviews" ? this.byReviews : this.byPriceAsc;
    if (passing.length * 16 < perm.length) {
      const rank =
        sort === "rating" ? this.rankRating : sort === "reviews" ? this.rankReviews : this.rankPrice;
      const out = passing.slice().sort((a, b) => (rank[a] as number) - (rank[b] as number));
      return sort === "price_desc" ? out.reverse() : out;
    }
    for (const i of passing) this.mark[i] = 1;
    const out: number[] = [];
    if (sort === "price_desc") {
      for (let k = perm.length - 1; k >= 0; k--)
        if (this.mark[perm[k] as number]) out.push(perm[k] as number);
    } else {
      for (let k = 0; k < perm.length; k++) if (this.mark[perm[k] as number]) out.push(perm[k] as number);
    }
    for (const i of passing) this.mark[i] = 0;
    return out;
  }
}

function intern(value: string, list: string[], ids: Map<string, number>): number {
  let id = ids.get(value);
  if (id === undefined) {
    id = list.length;
    list.push(value);
    ids.set(value, id);
  }
  return id;
}

/** The `k` largest values of `keys` (all distinct), unordered. Reorders `keys`. Quickselect, O(n). */
export function topKeys(keys: Float64Array, k: number): Float64Array {
  if (keys.length <= k) return keys;
  // Move the k largest to the front: select so that keys[k-1] is the k-th largest.
  let lo = 0;
  let hi = keys.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = keys[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((keys[i] as number) > pivot) i++;
      while ((keys[j] as number) < pivot) j--;
      if (i <= j) {
        const t = keys[i] as number;
        keys[i] = keys[j] as number;
        keys[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return keys.subarray(0, k);
}

function inverse(perm: Int32Array): Int32Array {
  const rank = new Int32Array(perm.length);
  for (let k = 0; k < perm.length; k++) rank[perm[k] as number] = k;
  return rank;
}

function bump(counts: Int32Array, index: number): void {
  counts[index] = (counts[index] as number) + 1;
}
