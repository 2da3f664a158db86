import type { Category, Product } from "../catalog/types.ts";
import { count, html, type SafeHtml } from "../html.ts";
import type { Flags } from "../variants.ts";
import { CART_ICON, heavyHead, hydrationState, ICON_SPRITE, SEARCH_ICON } from "./weight.ts";

/** What every page needs to know about the visitor and the variant they are in. */
export interface PageContext {
  flags: Flags;
  variant: string;
  categories: readonly Category[];
  cartCount: number;
  query: string;
  showConsent: boolean;
  showBanner: boolean;
  showPopup: boolean;
  /** Current path + query, so dismissing a dialog comes back here. */
  returnTo: string;
}

/** What a page shows, for the structured data and hydration state of realistic page weight. */
export interface PageData {
  /** "home", "search", "product", "cart", "checkout", … */
  page: string;
  /** The products on the page, the main one first. */
  products?: readonly Product[];
}

export function layout(ctx: PageContext, title: string, main: SafeHtml, data?: PageData): SafeHtml {
  const heavy = ctx.flags.page_weight === "realistic";
  const page = data?.page ?? "other";
  const products = data?.products ?? [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} | Shopsim Market</title>
${heavy ? heavyHead(ctx, title, products, page) : html`<link rel="stylesheet" href="/static/shop.css">`}
<script src="/static/shop.js" defer></script>
</head>
<body class="layout-${ctx.flags.results_layout}">
${heavy ? ICON_SPRITE : ""}
${ctx.showBanner ? promoBanner(ctx) : ""}
<header class="site-header">
  <a class="logo" href="/">Shopsim Market</a>
  <form class="search-bar" role="search" method="get" action="/search">
    <label class="visually-hidden" for="search-input">Search products</label>
    <input id="search-input" type="search" name="q" value="${ctx.query}" placeholder="Search products" maxlength="200" autocomplete="off">
    <button type="submit">${heavy ? SEARCH_ICON : ""}Search</button>
  </form>
  <a class="cart-link" href="/cart" aria-label="Cart, ${ctx.cartCount} ${ctx.cartCount === 1 ? "item" : "items"}">${heavy ? CART_ICON : ""}Cart <span class="cart-count">${ctx.cartCount}</span></a>
</header>
<nav class="categories" aria-label="Categories">
  <ul>${ctx.categories.map((c) => html`<li><a href="/search?category=${c.slug}">${c.name}</a></li>`)}</ul>
</nav>
<main id="main">
${main}
</main>
<footer class="site-footer"><p>Shopsim Market is a sandbox shop for simulated shoppers. Prices in US dollars.</p></footer>
${ctx.showConsent ? consentDialog(ctx) : ""}
${ctx.showPopup ? newsletterPopup(ctx) : ""}
${heavy ? hydrationState(ctx, products, page) : ""}
</body>
</html>`;
}

function promoBanner(ctx: PageContext): SafeHtml {
  return html`<aside class="promo-banner" aria-label="Promotion">
  <p><strong>Holiday sale:</strong> extra 10% off home &amp; kitchen this week. Free shipping on orders over $35.</p>
  <form method="post" action="/banner/dismiss"><input type="hidden" name="return_to" value="${ctx.returnTo}"><button type="submit">Dismiss promotion</button></form>
</aside>`;
}

function consentDialog(ctx: PageContext): SafeHtml {
  return html`<div class="consent-backdrop">
<div class="consent" role="dialog" aria-modal="true" aria-labelledby="consent-title">
  <h2 id="consent-title">We value your privacy</h2>
  <p>We use cookies to keep your cart and to measure how the shop is used. Choose whether to accept optional cookies.</p>
  <form method="post" action="/consent">
    <input type="hidden" name="return_to" value="${ctx.returnTo}">
    <button type="submit" name="choice" value="accept">Accept all cookies</button>
    <button type="submit" name="choice" value="reject">Reject optional cookies</button>
  </form>
</div>
</div>`;
}

/** The sign-up pop-up of the `newsletter_popup` flag: a modal over the page until closed or answered. */
function newsletterPopup(ctx: PageContext): SafeHtml {
  // A pop-up vendor's script brings its own styles with it, so they are not in the shop's stylesheet.
  return html`<style>.popup-backdrop{position:fixed;inset:0;background:rgba(0,0,0,.55);display:flex;align-items:center;justify-content:center;z-index:20}
.popup{position:relative;background:#fff;max-width:420px;width:90%;padding:1.5rem;border-radius:8px;text-align:center}
.popup-close{position:absolute;top:.5rem;right:.5rem;border:0;background:none;font-size:1.4rem}</style>
<div class="popup-backdrop">
<div class="popup" role="dialog" aria-modal="true" aria-labelledby="popup-title">
  <form method="post" action="/popup"><input type="hidden" name="return_to" value="${ctx.returnTo}"><button type="submit" name="choice" value="close" class="popup-close" aria-label="Close">×</button></form>
  <h2 id="popup-title">Get 10% off your first order</h2>
  <p>Join our list for early access to sales, and we will email you a welcome code.</p>
  <form method="post" action="/popup">
    <input type="hidden" name="return_to" value="${ctx.returnTo}">
    <label for="popup-email">Email</label>
    <input id="popup-email" type="email" name="email" placeholder="you@example.com" autocomplete="email">
    <button type="submit" name="choice" value="signup">Unlock 10% off</button>
  </form>
  <form method="post" action="/popup"><input type="hidden" name="return_to" value="${ctx.returnTo}"><button type="submit" name="choice" value="decline">No, thanks</button></form>
</div>
</div>`;
}

export function stars(rating: number | null, reviewCount: number): SafeHtml {
  if (rating === null) return html`<span class="rating none">No ratings yet</span>`;
  const full = Math.round(rating);
  return html`<span class="rating"><span class="stars" aria-hidden="true">${"★".repeat(full)}${"☆".repeat(5 - full)}</span> ${rating.toFixed(1)} out of 5 stars <span class="review-count">(${count(reviewCount)} ratings)</span></span>`;
}
