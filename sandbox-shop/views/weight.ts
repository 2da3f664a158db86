/**
 * What makes a real storefront's HTML heavy, for the `page_weight: realistic` flag (the default):
 * inlined critical CSS, JSON-LD structured data, an analytics data layer, a hydration state blob
 * with the page's full product data (as Next.js, Nuxt or Shopify themes ship), and inline SVG icons.
 * None of it is visible text or a control, so a shopper sees the same page; an agent's page reader
 * must strip it. `page_weight: lean` renders the markup alone.
 */
import { readFileSync } from "node:fs";
import type { Category, Product } from "../catalog/types.ts";
import { raw, type SafeHtml } from "../html.ts";

/** What of the page's context the weight needs (layout's PageContext has it). */
interface WeightContext {
  variant: string;
  query: string;
  flags: object;
  cartCount: number;
  categories: readonly Category[];
}

const STATIC_DIR = new URL("../public/", import.meta.url);
export const SHOP_CSS = readFileSync(new URL("shop.css", STATIC_DIR), "utf8");
export const SHOP_JS = readFileSync(new URL("shop.js", STATIC_DIR), "utf8");

/** JSON safe to place inside a <script> element: no `</script>`, no HTML comment openers, no line separators. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Every option combination as its own sellable variant, as Shopify's product JSON lists them (capped). */
function variantMatrix(p: Product): Record<string, unknown>[] {
  let combos: { value: string; delta: number; available: boolean }[][] = [[]];
  for (const o of p.options) {
    const next: typeof combos = [];
    for (const c of combos)
      for (const v of o.values) {
        if (next.length >= 100) break;
        next.push([...c, { value: v.value, delta: v.price_delta, available: v.available }]);
      }
    combos = next;
  }
  return combos.map((c, i) => {
    const price = p.price + c.reduce((sum, v) => sum + v.delta, 0);
    return {
      id: `${p.id}-${i + 1}`,
      sku: `${p.id}${c.map((v) => `-${v.value.replace(/\W+/g, "").slice(0, 6).toUpperCase()}`).join("")}`,
      title: c.length > 0 ? c.map((v) => v.value).join(" / ") : "Default Title",
      options: c.map((v) => v.value),
      price: Math.round(price * 100),
      compare_at_price: null,
      available: c.every((v) => v.available),
      inventory_policy: "deny",
      requires_shipping: true,
      taxable: true,
      weight: 0,
      featured_image: { src: `/img/${p.id}.svg`, width: 320, height: 320 },
    };
  });
}

function productState(p: Product): Record<string, unknown> {
  return {
    id: p.id,
    handle: p.id.toLowerCase(),
    title: p.title,
    vendor: p.brand,
    product_type: p.product_type,
    breadcrumbs: p.category_path,
    price: Math.round(p.price * 100),
    currency: "USD",
    rating: p.rating,
    review_count: p.review_count,
    tags: p.attributes,
    bullets: p.bullets,
    description_html: `<p>${p.description}</p>`,
    variants: p.options.map((o) => ({
      option: o.name,
      values: o.values.map((v) => ({
        value: v.value,
        price_delta: Math.round(v.price_delta * 100),
        available: v.available,
      })),
    })),
    variants_matrix: variantMatrix(p),
    media: [{ src: `/img/${p.id}.svg`, width: 320, height: 320, alt: p.title }],
    tracking: { list: "search", impression_id: `${p.id}-imp` },
  };
}

function structuredData(title: string, products: readonly Product[], page: string): unknown[] {
  const site = {
    "@context": "https://schema.org",
    "@type": "WebSite",
    name: "Shopsim Market",
    potentialAction: {
      "@type": "SearchAction",
      target: "/search?q={search_term_string}",
      "query-input": "required name=search_term_string",
    },
  };
  const main = products[0];
  if (page === "product" && main) {
    return [
      site,
      {
        "@context": "https://schema.org",
        "@type": "Product",
        name: main.title,
        brand: { "@type": "Brand", name: main.brand },
        description: main.description,
        image: `/img/${main.id}.svg`,
        sku: main.id,
        ...(main.rating === null
          ? {}
          : {
              aggregateRating: {
                "@type": "AggregateRating",
                ratingValue: main.rating,
                reviewCount: main.review_count,
              },
            }),
        offers: {
          "@type": "Offer",
          price: main.price.toFixed(2),
          priceCurrency: "USD",
          availability: "https://schema.org/InStock",
        },
      },
    ];
  }
  if (products.length === 0) return [site];
  return [
    site,
    {
      "@context": "https://schema.org",
      "@type": "ItemList",
      name: title,
      itemListElement: products.map((p, i) => ({
        "@type": "ListItem",
        position: i + 1,
        url: `/product/${p.id}`,
        name: p.title,
      })),
    },
  ];
}

/** Head additions: critical CSS inline, structured data, the analytics data layer. */
export function heavyHead(
  ctx: WeightContext,
  title: string,
  products: readonly Product[],
  page: string,
): SafeHtml {
  const layer = {
    event: "page_view",
    page_type: page,
    page_title: title,
    experiment: { variant: ctx.variant },
    ecommerce: {
      currency: "USD",
      items: products.map((p, i) => ({
        item_id: p.id,
        item_name: p.title,
        item_brand: p.brand,
        price: p.price,
        index: i,
      })),
    },
  };
  return raw(`<style data-critical="true">${SHOP_CSS}</style>
<script type="application/ld+json">${scriptJson(structuredData(title, products, page))}</script>
<script>window.dataLayer=window.dataLayer||[];window.dataLayer.push(${scriptJson(layer)});(function(w,d){w.__track=function(e,p){w.dataLayer.push(Object.assign({event:e},p||{}))};d.addEventListener("click",function(ev){var t=ev.target&&ev.target.closest&&ev.target.closest("a,button");if(t)w.__track("ui_click",{text:(t.textContent||"").trim().slice(0,80)})},true)})(window,document);</script>`);
}

/** End of body: the hydration state a client-side framework would boot from. */
export function hydrationState(ctx: WeightContext, products: readonly Product[], page: string): SafeHtml {
  const state = {
    page,
    query: ctx.query,
    variant: ctx.variant,
    flags: ctx.flags,
    cart: { count: ctx.cartCount },
    navigation: ctx.categories.map((c) => ({
      handle: c.slug,
      title: c.name,
      url: `/search?category=${c.slug}`,
    })),
    products: products.map(productState),
  };
  return raw(`<script id="__SHOP_STATE__" type="application/json">${scriptJson(state)}</script>`);
}

export const SEARCH_ICON = raw(
  '<svg class="icon icon-search" aria-hidden="true" focusable="false" width="16" height="16" viewBox="0 0 24 24"><path fill="none" stroke="currentColor" stroke-width="2" d="M10.5 18a7.5 7.5 0 1 0 0-15 7.5 7.5 0 0 0 0 15Zm5.3-2.2L21 21"/></svg>',
);
export const CART_ICON = raw(
  '<svg class="icon icon-cart" aria-hidden="true" focusable="false" width="20" height="20" viewBox="0 0 24 24"><path fill="none" stroke="currentColor" stroke-width="2" d="M3 4h2l2.4 10.4a2 2 0 0 0 2 1.6h7.7a2 2 0 0 0 2-1.5L21 8H6.2M10 20.5a1 1 0 1 1-2 0 1 1 0 0 1 2 0Zm9 0a1 1 0 1 1-2 0 1 1 0 0 1 2 0Z"/></svg>',
);

const IMAGE_WIDTHS = [165, 240, 360, 533, 720, 940, 1066, 1500];

/** `srcset`/`sizes` attributes for a product image, a responsive-images habit of real themes. */
export function srcset(productId: string): SafeHtml {
  const set = IMAGE_WIDTHS.map((w) => `/img/${productId}.svg?width=${w} ${w}w`).join(", ");
  return raw(
    ` srcset="${set}" sizes="(min-width: 990px) calc((100vw - 130px) / 4), (min-width: 750px) calc((100vw - 120px) / 3), calc((100vw - 35px) / 2)"`,
  );
}

const SPRITE_SYMBOLS: [string, string][] = [
  ["account", "M12 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10Zm-9 10a9 9 0 0 1 18 0"],
  [
    "heart",
    "M12 21s-7.5-4.6-9.6-9.2C.9 8.3 3.2 4 7.1 4c2 0 3.6 1.1 4.9 2.9C13.3 5.1 14.9 4 16.9 4c3.9 0 6.2 4.3 4.7 7.8C19.5 16.4 12 21 12 21Z",
  ],
  ["chevron-down", "m6 9 6 6 6-6"],
  ["chevron-right", "m9 6 6 6-6 6"],
  ["close", "M6 6l12 12M18 6 6 18"],
  [
    "truck",
    "M1 4h14v11H1zM15 8h4l4 4v3h-8M5.5 18.5a2 2 0 1 0 0-4 2 2 0 0 0 0 4Zm13 0a2 2 0 1 0 0-4 2 2 0 0 0 0 4Z",
  ],
  ["return", "M3 12a9 9 0 1 0 3-6.7L3 8m0-5v5h5"],
  ["lock", "M5 11h14v10H5zM8 11V7a4 4 0 1 1 8 0v4"],
  ["star", "m12 2 3.1 6.3 6.9 1-5 4.9 1.2 6.8-6.2-3.2-6.2 3.2L7 14.2 2 9.3l6.9-1z"],
  ["facebook", "M18 2h-3a5 5 0 0 0-5 5v3H7v4h3v8h4v-8h3l1-4h-4V7a1 1 0 0 1 1-1h3z"],
  [
    "instagram",
    "M7 2h10a5 5 0 0 1 5 5v10a5 5 0 0 1-5 5H7a5 5 0 0 1-5-5V7a5 5 0 0 1 5-5Zm5 5a5 5 0 1 0 0 10 5 5 0 0 0 0-10Zm5.5-1.5h.01",
  ],
  [
    "pinterest",
    "M12 2a10 10 0 0 0-3.6 19.3c-.1-.8-.2-2 0-2.9l1.2-5s-.3-.6-.3-1.5c0-1.4.8-2.5 1.8-2.5.9 0 1.3.6 1.3 1.4 0 .9-.5 2.1-.8 3.3-.2 1 .5 1.8 1.5 1.8 1.8 0 3.2-1.9 3.2-4.6 0-2.4-1.7-4.1-4.2-4.1-2.9 0-4.6 2.2-4.6 4.4 0 .9.3 1.8.8 2.3",
  ],
];

/** The hidden icon sprite themes put at the top of the body. */
export const ICON_SPRITE = raw(
  `<svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">${SPRITE_SYMBOLS.map(([id, d]) => `<symbol id="icon-${id}" viewBox="0 0 24 24"><path fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" d="${d}"/></symbol>`).join("")}</svg>`,
);
