import type { SearchFilters } from "../../src/contracts/shop.ts";
import { type Product, priceRange, type Review, unitPrice } from "../catalog/types.ts";
import { FREE_SHIPPING_THRESHOLD } from "../checkout.ts";
import { count, html, money, type SafeHtml } from "../html.ts";
import {
  MAX_MATCHES,
  PRICE_BUCKETS,
  type SearchResult,
  SORT_KEYS,
  SORT_LABELS,
  type SortKey,
} from "../search.ts";
import { layout, type PageContext, stars } from "./layout.ts";
import { srcset } from "./weight.ts";

export interface SearchState {
  q: string;
  filters: SearchFilters;
  sort: SortKey;
  page: number;
  /** Results per page when not the default (`per_page`, kept by every link and form). */
  perPage?: number;
}

/** Builds a /search URL from the current state with some fields changed. */
export function searchUrl(
  state: SearchState,
  change: Partial<SearchFilters> & { sort?: SortKey; page?: number },
): string {
  const f = { ...state.filters, ...change };
  const p = new URLSearchParams();
  if (state.q) p.set("q", state.q);
  if (f.category) p.set("category", f.category);
  if (f.min_price !== undefined) p.set("min_price", String(f.min_price));
  if (f.max_price !== undefined) p.set("max_price", String(f.max_price));
  if (f.min_rating !== undefined) p.set("rating", String(f.min_rating));
  for (const b of f.brands ?? []) p.append("brand", b);
  for (const a of f.features ?? []) p.append("feature", a);
  const sort = change.sort ?? state.sort;
  if (sort !== "relevance") p.set("sort", sort);
  const page = change.page ?? 1;
  if (page > 1) p.set("page", String(page));
  if (state.perPage !== undefined) p.set("per_page", String(state.perPage));
  return `/search?${p.toString()}`;
}

export function priceLabel(product: Product): string {
  const { min, max } = priceRange(product);
  return max > min ? `${money(min)} – ${money(max)}` : money(min);
}

function shippingBadge(ctx: PageContext, price: number): SafeHtml | string {
  if (!ctx.flags.free_shipping_badges) return "";
  return price >= FREE_SHIPPING_THRESHOLD
    ? html`<span class="badge shipping">FREE Shipping</span>`
    : html`<span class="badge shipping">FREE Shipping on orders over $${FREE_SHIPPING_THRESHOLD}</span>`;
}

function productCard(ctx: PageContext, p: Product, list: boolean): SafeHtml {
  return html`<li class="product-card" data-product-id="${p.id}">
  <article aria-label="${p.title}">
    <img src="/img/${p.id}.svg"${ctx.flags.page_weight === "realistic" ? srcset(p.id) : ""} alt="${p.product_type}" width="160" height="160" loading="lazy">
    <h3><a href="/product/${p.id}">${p.title}</a></h3>
    <p class="brand">by ${p.brand}</p>
    <p>${stars(p.rating, p.review_count)}</p>
    <p class="price">${priceLabel(p)}</p>
    ${shippingBadge(ctx, p.price)}
    ${list && p.bullets.length > 0 ? html`<ul class="bullets">${p.bullets.slice(0, 2).map((b) => html`<li>${b}</li>`)}</ul>` : ""}
  </article>
</li>`;
}

export function homePage(
  ctx: PageContext,
  featured: readonly Product[],
  deals: readonly Product[],
): SafeHtml {
  return layout(
    ctx,
    "Home",
    html`<section class="hero" aria-labelledby="welcome"><h1 id="welcome">Welcome to Shopsim Market</h1>
<p>Search thousands of products, or browse a category.</p></section>
<section aria-labelledby="featured-title"><h2 id="featured-title">Featured products</h2>
<ul class="results grid">${featured.map((p) => productCard(ctx, p, false))}</ul></section>
<section aria-labelledby="deals-title"><h2 id="deals-title">Top-rated under $30</h2>
<ul class="results grid">${deals.map((p) => productCard(ctx, p, false))}</ul></section>`,
    { page: "home", products: [...featured, ...deals] },
  );
}

export function searchPage(
  ctx: PageContext,
  state: SearchState,
  result: SearchResult,
  categoryName?: string,
): SafeHtml {
  const list = ctx.flags.results_layout === "list";
  const shown =
    result.capped && result.total >= MAX_MATCHES ? `over ${count(MAX_MATCHES)}` : count(result.total);
  const heading = state.q
    ? html`${shown} results for “${state.q}”${categoryName ? html` in ${categoryName}` : ""}`
    : html`${categoryName ?? "All products"}: ${count(result.total)} results`;
  const loadMore = ctx.flags.results_paging === "load_more";
  // With "Load more" the list holds every page loaded so far.
  const first = result.total === 0 ? 0 : loadMore ? 1 : (result.page - 1) * result.perPage + 1;
  return layout(
    ctx,
    state.q ? `Results for ${state.q}` : (categoryName ?? "All products"),
    html`<div class="search-layout">
${filterPanel(ctx, state, result)}
<section class="search-results" aria-label="Search results"${loadMore ? html` data-paging="load_more"` : ""}>
  <h1>${heading}</h1>
  ${result.corrected ? html`<p class="corrected">No results for “${state.q}”. Showing results for “${result.corrected}”.</p>` : ""}
  ${activeFilters(state)}
  <form class="sort" method="get" action="/search">
    ${hiddenState(state, ["sort", "page"])}
    <label for="sort">Sort by</label>
    <select id="sort" name="sort">${SORT_KEYS.map((k) => html`<option value="${k}"${k === state.sort ? html` selected` : ""}>${SORT_LABELS[k]}</option>`)}</select>
    <button type="submit">Sort</button>
  </form>
  ${
    result.total === 0
      ? html`<p class="no-results">No products match your search. Try fewer words or remove a filter.</p>`
      : html`<p class="result-range">Showing ${first}–${first + result.items.length - 1} of ${shown}</p>
  <ul class="results ${list ? "list" : "grid"}">${result.items.map((p) => productCard(ctx, p, list))}</ul>`
  }
  ${loadMore ? loadMoreButton(state, result) : pagination(state, result)}
</section>
</div>`,
    { page: "search", products: result.items },
  );
}

function hiddenState(state: SearchState, skip: readonly string[]): SafeHtml {
  const f = state.filters;
  const fields: [string, string][] = [];
  if (state.q) fields.push(["q", state.q]);
  if (f.category && !skip.includes("category")) fields.push(["category", f.category]);
  if (f.min_price !== undefined && !skip.includes("price")) fields.push(["min_price", String(f.min_price)]);
  if (f.max_price !== undefined && !skip.includes("price")) fields.push(["max_price", String(f.max_price)]);
  if (f.min_rating !== undefined && !skip.includes("rating")) fields.push(["rating", String(f.min_rating)]);
  if (!skip.includes("brand")) for (const b of f.brands ?? []) fields.push(["brand", b]);
  if (!skip.includes("feature")) for (const a of f.features ?? []) fields.push(["feature", a]);
  if (!skip.includes("sort") && state.sort !== "relevance") fields.push(["sort", state.sort]);
  if (state.perPage !== undefined) fields.push(["per_page", String(state.perPage)]);
  return html`${fields.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}`;
}

function filterPanel(ctx: PageContext, state: SearchState, result: SearchResult): SafeHtml {
  const f = state.filters;
  const full = ctx.flags.filter_panel === "full";
  const categories = html`<section aria-labelledby="f-cat"><h3 id="f-cat">Department</h3><ul>
    ${f.category ? html`<li><a href="${searchUrl(state, { category: undefined })}">Any department</a></li>` : ""}
    ${result.facets.categories.map((c) =>
      c.value === f.category
        ? html`<li><strong aria-current="true">${c.label}</strong> (${count(c.count)})</li>`
        : html`<li><a href="${searchUrl(state, { category: c.value })}">${c.label}</a> (${count(c.count)})</li>`,
    )}
  </ul></section>`;
  const prices = html`<section aria-labelledby="f-price"><h3 id="f-price">Price</h3><ul>
    ${PRICE_BUCKETS.map((b, i) => {
      const active = f.min_price === b.min && f.max_price === b.max;
      const n = result.facets.prices[i]?.count ?? 0;
      return active
        ? html`<li><strong aria-current="true">${b.label}</strong> (${count(n)})</li>`
        : html`<li><a href="${searchUrl(state, { min_price: b.min, max_price: b.max })}">${b.label}</a> (${count(n)})</li>`;
    })}
  </ul>
  <form class="price-range" method="get" action="/search">
    ${hiddenState(state, ["price", "page"])}
    <label for="min_price">Min $</label><input id="min_price" name="min_price" type="number" min="0" step="1" inputmode="decimal" value="${f.min_price ?? ""}">
    <label for="max_price">Max $</label><input id="max_price" name="max_price" type="number" min="0" step="1" inputmode="decimal" value="${f.max_price ?? ""}">
    <button type="submit">Go</button>
  </form></section>`;
  if (!full) return html`<aside class="filters" aria-label="Filters">${categories}${prices}</aside>`;
  const ratings = html`<section aria-labelledby="f-rating"><h3 id="f-rating">Customer reviews</h3><ul>
    ${result.facets.ratings.map((r) =>
      Number(r.value) === f.min_rating
        ? html`<li><strong aria-current="true">${r.label}</strong> (${count(r.count)})</li>`
        : html`<li><a href="${searchUrl(state, { min_rating: Number(r.value) })}">${r.label}</a> (${count(r.count)})</li>`,
    )}
  </ul></section>`;
  const checkboxes = (
    title: string,
    id: string,
    name: string,
    values: SearchResult["facets"]["brands"],
    selected: readonly string[],
  ) =>
    values.length === 0
      ? ""
      : html`<fieldset aria-labelledby="${id}"><legend id="${id}">${title}</legend>
    ${values.map(
      (v, i) =>
        html`<div><input type="checkbox" id="${name}-${i}" name="${name}" value="${v.value}"${selected.includes(v.value) ? html` checked` : ""}><label for="${name}-${i}">${v.label} (${count(v.count)})</label></div>`,
    )}</fieldset>`;
  return html`<aside class="filters" aria-label="Filters">
${categories}${ratings}${prices}
<form class="facets" method="get" action="/search">
  ${hiddenState(state, ["brand", "feature", "page"])}
  ${checkboxes("Brand", "f-brand", "brand", result.facets.brands, f.brands ?? [])}
  ${checkboxes("Features", "f-feature", "feature", result.facets.features, f.features ?? [])}
  <button type="submit">Apply filters</button>
</form>
</aside>`;
}

function activeFilters(state: SearchState): SafeHtml | string {
  const f = state.filters;
  const chips: SafeHtml[] = [];
  if (f.min_price !== undefined || f.max_price !== undefined) {
    const label =
      f.min_price !== undefined && f.max_price !== undefined
        ? `$${f.min_price} to $${f.max_price}`
        : f.min_price !== undefined
          ? `$${f.min_price} & above`
          : `Under $${f.max_price}`;
    chips.push(
      html`<li>${label} <a href="${searchUrl(state, { min_price: undefined, max_price: undefined })}" aria-label="Remove price filter">×</a></li>`,
    );
  }
  if (f.min_rating !== undefined) {
    chips.push(
      html`<li>${f.min_rating} ${f.min_rating === 1 ? "star" : "stars"} &amp; up <a href="${searchUrl(state, { min_rating: undefined })}" aria-label="Remove rating filter">×</a></li>`,
    );
  }
  for (const b of f.brands ?? []) {
    chips.push(
      html`<li>${b} <a href="${searchUrl(state, { brands: (f.brands ?? []).filter((x) => x !== b) })}" aria-label="Remove brand ${b}">×</a></li>`,
    );
  }
  for (const a of f.features ?? []) {
    chips.push(
      html`<li>${a} <a href="${searchUrl(state, { features: (f.features ?? []).filter((x) => x !== a) })}" aria-label="Remove feature ${a}">×</a></li>`,
    );
  }
  if (chips.length === 0) return "";
  return html`<ul class="active-filters" aria-label="Active filters">${chips}<li><a href="${searchUrl({ ...state, filters: { category: f.category } }, {})}">Clear all filters</a></li></ul>`;
}

/** "Load more": a link to the next page, which the shop's script fetches and appends in place. */
function loadMoreButton(state: SearchState, result: SearchResult): SafeHtml | string {
  if (result.page >= result.pages) return "";
  return html`<nav class="load-more" aria-label="More results"><a class="load-more-button" href="${searchUrl(state, { page: result.page + 1 })}" rel="next">Load more</a></nav>`;
}

function pagination(state: SearchState, result: SearchResult): SafeHtml | string {
  if (result.pages <= 1) return "";
  const pages: number[] = [];
  for (let p = Math.max(1, result.page - 2); p <= Math.min(result.pages, result.page + 2); p++) pages.push(p);
  return html`<nav class="pagination" aria-label="Pagination"><ul>
  ${result.page > 1 ? html`<li><a href="${searchUrl(state, { page: result.page - 1 })}" rel="prev">Previous</a></li>` : ""}
  ${pages.map((p) =>
    p === result.page
      ? html`<li><span aria-current="page">${p}</span></li>`
      : html`<li><a href="${searchUrl(state, { page: p })}">${p}</a></li>`,
  )}
  ${result.page < result.pages ? html`<li><a href="${searchUrl(state, { page: result.page + 1 })}" rel="next">Next</a></li>` : ""}
  </ul><p>Page ${result.page} of ${count(result.pages)}</p></nav>`;
}

export interface ProductView {
  product: Product;
  categoryName: string;
  selection: Record<string, string>;
  available: (option: string, value: string) => boolean;
  reviews: readonly Review[];
  related: readonly Product[];
  errors: readonly string[];
  quantity: number;
}

export function productPage(ctx: PageContext, v: ProductView): SafeHtml {
  const p = v.product;
  const complete = p.options.every((o) => v.selection[o.name] !== undefined);
  const price = complete ? money(unitPrice(p, v.selection)) : priceLabel(p);
  const selectionUrl = (name: string, value: string) => {
    const params = new URLSearchParams({ ...v.selection, [name]: value });
    return `/product/${encodeURIComponent(p.id)}?${params.toString()}`;
  };
  const options = p.options.map(
    (o) => html`<div class="option" role="radiogroup" aria-label="${o.name}">
    <h3>${capitalize(o.name)}: <span class="chosen">${v.selection[o.name] ?? "Select"}</span></h3>
    <ul>${o.values.map((val) => {
      const selected = v.selection[o.name] === val.value;
      const extra = val.price_delta > 0 ? ` (+${money(val.price_delta)})` : "";
      if (!v.available(o.name, val.value)) {
        return html`<li><span class="option-value unavailable" role="radio" aria-checked="false" aria-disabled="true">${val.value}${extra} — out of stock</span></li>`;
      }
      return html`<li><a class="option-value${selected ? " selected" : ""}" role="radio" aria-checked="${selected ? "true" : "false"}" href="${selectionUrl(o.name, val.value)}">${val.value}${extra}</a></li>`;
    })}</ul></div>`,
  );
  return layout(
    ctx,
    p.title,
    html`<nav class="breadcrumbs" aria-label="Breadcrumb"><ol><li><a href="/search?category=${p.category}">${v.categoryName}</a></li>${p.category_path.slice(1).map((c) => html`<li>${c}</li>`)}</ol></nav>
<article class="product" aria-labelledby="product-title">
  <img class="product-image" src="/img/${p.id}.svg"${ctx.flags.page_weight === "realistic" ? srcset(p.id) : ""} alt="${p.title}" width="320" height="320">
  <div class="product-info">
    <h1 id="product-title">${p.title}</h1>
    <p class="brand">Brand: ${p.brand}</p>
    <p>${stars(p.rating, p.review_count)}</p>
    <p class="price" aria-label="Price">${price}</p>
    ${shippingBadge(ctx, p.price)}
    ${v.errors.length > 0 ? html`<div class="errors" role="alert"><ul>${v.errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ""}
    ${options}
    <form class="buy-box" method="post" action="/cart/add">
      <input type="hidden" name="product_id" value="${p.id}">
      ${Object.entries(v.selection).map(([k, val]) => html`<input type="hidden" name="option_${k}" value="${val}">`)}
      <label for="quantity">Quantity</label>
      <select id="quantity" name="quantity">${Array.from({ length: 10 }, (_, i) => html`<option value="${i + 1}"${i + 1 === v.quantity ? html` selected` : ""}>${i + 1}</option>`)}</select>
      <button type="submit" name="intent" value="add">Add to cart</button>
      ${ctx.flags.buy_now ? html`<button type="submit" name="intent" value="buy_now">Buy now</button>` : ""}
    </form>
    <section aria-labelledby="about-title"><h2 id="about-title">About this item</h2>
      <ul class="bullets">${p.bullets.map((b) => html`<li>${b}</li>`)}</ul>
    </section>
  </div>
</article>
<section aria-labelledby="desc-title"><h2 id="desc-title">Product description</h2><p>${p.description}</p></section>
${ctx.flags.recommendations && v.related.length > 0 ? html`<section class="related" aria-labelledby="related-title"><h2 id="related-title">Customers also viewed</h2><ul class="results grid">${v.related.map((r) => productCard(ctx, r, false))}</ul></section>` : ""}
<section class="reviews" aria-labelledby="reviews-title"><h2 id="reviews-title">Customer reviews</h2>
  <p>${stars(p.rating, p.review_count)}</p>
  ${
    v.reviews.length === 0
      ? html`<p>No customer reviews yet.</p>`
      : html`<ul>${v.reviews.map(
          (r) =>
            html`<li class="review"><p><strong>${r.title}</strong> — ${r.rating} out of 5 stars</p><p class="review-meta">${r.author}, ${r.date}${r.verified ? " · Verified purchase" : ""}</p><p>${r.body}</p></li>`,
        )}</ul>`
  }
</section>`,
    { page: "product", products: [p, ...v.related] },
  );
}

export function messagePage(ctx: PageContext, title: string, message: string): SafeHtml {
  return layout(
    ctx,
    title,
    html`<section class="message"><h1>${title}</h1><p>${message}</p><p><a href="/">Go to the home page</a></p></section>`,
  );
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
