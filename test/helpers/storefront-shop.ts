import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Catalog, type Product, unitPrice } from "../../sandbox-shop/catalog/types.ts";
import { SearchIndex } from "../../sandbox-shop/search.ts";
import { US_STATES } from "../../src/contracts/scenario.ts";
import { SESSION_HEADER } from "../../src/contracts/shop.ts";
import { escapeHtml, listenLoopback, readForm } from "./http.ts";

/**
 * A shop that shopsim did not write, laid out like a theme of a hosted storefront platform (BEM
 * classes, a grid of cards whose whole card is the link, icon-only buttons named by aria-label, the
 * header's search box in a dialog that a magnifier icon opens), with
 * what such shops ask of a buyer and the sandbox does not:
 *
 * - the first option of a product is a drop-down list, the others are radio "pills";
 * - the cart is a page of its own, with a "Check out" button;
 * - checkout takes three steps: contact and address (first and last name apart, a country list),
 *   shipping method, then payment by card, checked as a payment gateway's test mode does: its test
 *   cards are accepted (4242 4242 4242 4242) or declined (4000 0000 0000 0002), with an expiry and a
 *   3- or 4-digit code;
 * - checkout starts at a sign-in step (no shopper has an account: "Continue as guest"), offers a
 *   marketing opt-in beside the email, and wants its terms agreed to before it takes payment;
 * - missing or wrong fields come back as the same step with error messages;
 * - the order ends on `/orders/N/thank-you`.
 *
 * With `clientSide`, it navigates as a single-page app does (see CLIENT_NAVIGATION).
 *
 * No shopsim API. It keeps its orders, per session header, for the test to check.
 */
export interface StorefrontOrder {
  session: string;
  lines: { product_id: string; options: Record<string, string>; quantity: number; price: number }[];
  shipping: string;
  address: Record<string, string>;
}

export interface StorefrontShop {
  url: string;
  orders: StorefrontOrder[];
  close(): Promise<void>;
}

interface Cart {
  lines: StorefrontOrder["lines"];
  contact: Record<string, string>;
  shipping: string | null;
  /** Chose "Continue as guest" at the sign-in step. */
  guest: boolean;
}

function emptyCart(): Cart {
  return { lines: [], contact: {}, shipping: null, guest: false };
}

const STATES: readonly string[] = Object.values(US_STATES);

const ICON = '<svg class="icon" aria-hidden="true" viewBox="0 0 20 20"><path d="M1 1h18v18H1z"/></svg>';

function layout(title: string, main: string, cartCount: number): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} – Northwind Goods</title>
<link rel="stylesheet" href="/cdn/shop/t/4/assets/base.css"></head>
<body class="template-page"><a class="skip-to-content-link visually-hidden" href="#MainContent">Skip to content</a>
<div class="shopify-section header-section"><header class="header header--middle-left page-width">
<a href="/" class="header__heading-link"><span class="h2">Northwind Goods</span></a>
<div class="header__icons"><details-modal class="header__search"><details><summary class="header__icon header__icon--search header__icon--summary link focus-inset modal__toggle" aria-haspopup="dialog" aria-label="Search"><span>${ICON}</span></summary>
<div class="search-modal modal__content gradient" role="dialog" aria-modal="true" aria-label="Search"><div class="modal-overlay"></div><div class="search-modal__content search-modal__content-bottom" tabindex="-1">
<form action="/search" method="get" role="search" class="search search-modal__form"><div class="field"><input class="search__input field__input" id="Search-In-Modal" type="search" name="q" value="" placeholder="Search">
<label class="field__label" for="Search-In-Modal">Search</label><button type="submit" class="search__button field__button" aria-label="Search">${ICON}</button></div></form>
<button type="button" class="search-modal__close-button modal__close-button link link--text focus-inset" aria-label="Close">${ICON}</button></div></div></details></details-modal>
<a href="/cart" class="header__icon header__icon--cart link" id="cart-icon-bubble" aria-label="Cart, ${cartCount} items">${ICON}<div class="cart-count-bubble"><span aria-hidden="true">${cartCount}</span></div></a></div>
</header></div>
<main id="MainContent" class="content-for-layout" role="main">${main}</main>
<footer class="footer"><ul class="footer-block__details-content list-unstyled"><li><a href="/pages/shipping" class="link link--text list-menu__item">Shipping policy</a></li><li><a href="/pages/returns" class="link link--text list-menu__item">Refund policy</a></li></ul></footer>
</body></html>`;
}

function money(n: number): string {
  return `$${n.toFixed(2)}`;
}

function card(p: Product): string {
  return `<li class="grid__item"><div class="card-wrapper product-card-wrapper"><div class="card card--standard">
<a href="/products/${p.id.toLowerCase()}" class="full-unstyled-link card__link"><div class="card__media"><img src="/cdn/shop/files/${p.id}.jpg" alt="" loading="lazy" width="533" height="533"></div>
<div class="card__content"><h3 class="card__heading h5">${escapeHtml(p.title)}</h3></div></a>
<div class="card-information"><div class="price"><span class="visually-hidden">Regular price</span> <span class="price-item price-item--regular">${money(p.price)}</span></div>
${p.rating === null ? "" : `<div class="rating" role="img" aria-label="${p.rating} out of 5 stars"><span aria-hidden="true">★★★★☆</span></div><p class="rating-count caption"><span aria-hidden="true">(${p.review_count})</span><span class="visually-hidden">${p.review_count} total reviews</span></p>`}
</div></div></div></li>`;
}

function searchPage(index: SearchIndex, q: string, page: number, cartCount: number): string {
  const r = index.search({ q, filters: {}, sort: "relevance", page, perPage: 16 });
  const next =
    page < r.pages
      ? `<a class="pagination__item pagination__item--prev pagination__item-arrow link motion-reduce" href="/search?q=${encodeURIComponent(q)}&amp;page=${page + 1}" aria-label="Next page">${ICON}</a>`
      : "";
  return layout(
    `Search: ${r.total} results found for "${q}"`,
    `<div class="template-search page-width"><h1 class="h2 center">Search results</h1>
<div class="template-search__search"><form action="/search" method="get" role="search" class="search"><div class="field"><input class="search__input field__input" id="Search-In-Template" type="search" name="q" value="${escapeHtml(q)}" placeholder="Search">
<label class="field__label" for="Search-In-Template">Search</label><button type="submit" class="search__button field__button" aria-label="Search">${ICON}</button></div></form></div>
<p role="status">${r.total} results found for “${escapeHtml(q)}”</p>
<ul id="product-grid" class="grid product-grid grid--2-col-tablet-down grid--4-col-desktop">${r.items.map(card).join("")}</ul>
<nav class="pagination-wrapper" role="navigation" aria-label="Pagination"><ul class="pagination__list list-unstyled"><li><span class="pagination__item pagination__item--current" aria-current="page">${page}</span></li><li>${next}</li></ul></nav></div>`,
    cartCount,
  );
}

function productPage(p: Product, cartCount: number, error: string | null): string {
  const [first, ...rest] = p.options;
  const select = first
    ? `<div class="product-form__input product-form__input--dropdown"><label class="form__label" for="Option-1">${escapeHtml(first.name[0]!.toUpperCase() + first.name.slice(1))}</label>
<div class="select"><select id="Option-1" class="select__select" name="options[${escapeHtml(first.name)}]">${first.values
        .map(
          (v) =>
            `<option value="${escapeHtml(v.value)}"${v.available ? "" : " disabled"}>${escapeHtml(v.value)}${v.price_delta > 0 ? ` (+${money(v.price_delta)})` : ""}${v.available ? "" : " - Sold out"}</option>`,
        )
        .join("")}</select></div></div>`
    : "";
  const pills = rest
    .map(
      (o, i) =>
        `<fieldset class="js product-form__input product-form__input--pill"><legend class="form__label">${escapeHtml(o.name[0]!.toUpperCase() + o.name.slice(1))}</legend>${o.values
          .map(
            (v, j) =>
              `<input type="radio" id="opt-${i}-${j}" name="options[${escapeHtml(o.name)}]" value="${escapeHtml(v.value)}"${j === 0 ? " checked" : ""}${v.available ? "" : ' class="disabled"'}><label for="opt-${i}-${j}">${escapeHtml(v.value)}${v.price_delta > 0 ? ` (+${money(v.price_delta)})` : ""}<span class="visually-hidden">${v.available ? "" : " Variant sold out or unavailable"}</span></label>`,
          )
          .join("")}</fieldset>`,
    )
    .join("");
  return layout(
    p.title,
    `<section class="page-width product product--large"><div class="product__media-wrapper"><img src="/cdn/shop/files/${p.id}.jpg" alt="${escapeHtml(p.title)}" width="1066"></div>
<div class="product__info-wrapper"><p class="product__text inline-richtext caption-with-letter-spacing">${escapeHtml(p.brand)}</p>
<div class="product__title"><h1>${escapeHtml(p.title)}</h1></div>
<div class="price price--large"><span class="price-item price-item--regular">${p.options.length > 0 ? "From " : ""}${money(p.price)}</span></div>
${p.rating === null ? "" : `<div class="rating" role="img" aria-label="${p.rating} out of 5 stars"></div><p class="rating-count caption">(${p.review_count})</p>`}
<form method="post" action="/cart/add" id="product-form" class="form" novalidate><input type="hidden" name="id" value="${p.id}">
${select}${pills}
${error ? `<div class="product-form__error-message-wrapper" role="alert"><span class="product-form__error-message">${escapeHtml(error)}</span></div>` : ""}
<div class="product-form__buttons"><button type="submit" name="add" class="product-form__submit button button--full-width button--secondary"><span>Add to cart</span></button></div></form>
<div class="product__description rte quick-add-hidden"><p>${escapeHtml(p.description)}</p><ul>${p.bullets.map((b) => `<li>${escapeHtml(b)}</li>`).join("")}</ul></div></div></section>`,
    cartCount,
  );
}

/** The notification a theme shows over the product page when something was added. */
function cartDrawer(cart: Cart, byId: Map<string, Product>): string {
  const last = cart.lines.at(-1)!;
  const count = cart.lines.reduce((n, l) => n + l.quantity, 0);
  const subtotal = cart.lines.reduce((n, l) => n + l.price * l.quantity, 0);
  return `<div class="cart-notification" role="dialog" aria-modal="true" aria-label="Item added to your cart" style="position:fixed;top:0;right:0;width:360px;background:#fff;z-index:5">
<h2 class="cart-notification__heading caption-large">Item added to your cart</h2><div class="cart-notification-product"><h3 class="cart-notification-product__name h4">${escapeHtml(byId.get(last.product_id)!.title)}</h3></div>
<p>Subtotal ${money(subtotal)}</p><div class="cart-notification__links"><a href="/cart" id="cart-notification-button" class="button button--secondary button--full-width">View cart (${count})</a>
<form action="/checkout" method="get" id="cart-notification-form"><button class="button button--primary button--full-width" name="checkout">Check out</button></form>
<button type="button" class="link button-label" onclick="this.closest('.cart-notification').remove()">Continue shopping</button></div></div>`;
}

function cartPage(cart: Cart, byId: Map<string, Product>): string {
  const count = cart.lines.reduce((n, l) => n + l.quantity, 0);
  if (count === 0)
    return layout(
      "Your cart",
      `<div class="cart__warnings"><h1 class="cart__empty-text">Your cart is empty</h1><a href="/collections/all" class="button">Continue shopping</a></div>`,
      0,
    );
  const subtotal = cart.lines.reduce((n, l) => n + l.price * l.quantity, 0);
  const rows = cart.lines
    .map((l, i) => {
      const p = byId.get(l.product_id)!;
      const opts = Object.entries(l.options)
        .map(
          ([k, v]) =>
            `<div class="product-option"><dt>${escapeHtml(k)}: </dt><dd>${escapeHtml(v)}</dd></div>`,
        )
        .join("");
      return `<tr class="cart-item"><td class="cart-item__details"><a href="/products/${p.id.toLowerCase()}" class="cart-item__name h4 break">${escapeHtml(p.title)}</a><dl>${opts}</dl></td>
<td class="cart-item__quantity"><label class="visually-hidden" for="Quantity-${i}">Quantity</label><input class="quantity__input" type="number" name="updates[]" value="${l.quantity}" min="0" id="Quantity-${i}"></td>
<td class="cart-item__totals right"><span class="price price--end">${money(l.price * l.quantity)}</span></td></tr>`;
    })
    .join("");
  return layout(
    "Your cart",
    `<div class="page-width"><div class="title-wrapper-with-link"><h1 class="title title--primary">Your cart</h1></div>
<form action="/cart" class="cart__contents critical-hidden" method="post" id="cart"><table class="cart-items"><thead><tr><th>Product</th><th>Quantity</th><th>Total</th></tr></thead><tbody>${rows}</tbody></table></form>
<div class="cart__footer"><div class="totals"><h2 class="totals__total">Estimated total</h2><p class="totals__total-value">${money(subtotal)} USD</p></div>
<small class="tax-note caption-large rte">Taxes, discounts and shipping calculated at checkout</small>
<form action="/checkout" method="get"><button type="submit" id="checkout" class="cart__checkout-button button" name="checkout">Check out</button></form></div></div>`,
    count,
  );
}

function field(
  id: string,
  label: string,
  value: string,
  type = "text",
  errors: Record<string, string> = {},
): string {
  const err = errors[id];
  return `<div class="field${err ? " field--error" : ""}"><label class="field__label" for="${id}">${label}</label><input class="field__input" id="${id}" name="${id}" type="${type}" value="${escapeHtml(value)}"${err ? ` aria-invalid="true" aria-describedby="${id}-error"` : ""}>${err ? `<p class="field__message" id="${id}-error">${escapeHtml(err)}</p>` : ""}</div>`;
}

function checkoutShell(step: string, body: string): string {
  // Checkout pages of hosted platforms drop the store's header and footer.
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(step)} - Northwind Goods - Checkout</title></head>
<body><div class="content"><div class="wrap"><div class="main"><header class="main__header"><a href="/cart" class="logo">Northwind Goods</a>
<nav aria-label="Breadcrumb"><ol class="breadcrumb"><li><a href="/cart">Cart</a></li><li>Information</li><li>Shipping</li><li>Payment</li></ol></nav></header>
<main class="main__content">${body}</main></div></div></div></body></html>`;
}

/** What platforms that keep accounts ask first: sign in, or go on as a guest. */
function signInStep(error: string | null): string {
  return checkoutShell(
    "Sign in",
    `<div class="section section--login"><h2 class="section__title">Returning customer</h2>
${error ? `<div class="notice notice--error" role="alert"><p>${escapeHtml(error)}</p></div>` : ""}
<form action="/checkout/login" method="post">${field("email", "Email", "", "email", {})}${field("password", "Password", "", "password", {})}
<button type="submit" class="btn">Sign in</button></form></div>
<div class="section section--guest"><h2 class="section__title">New customer</h2><p>You can create an account after checkout.</p>
<form action="/checkout/guest" method="post"><button type="submit" class="btn btn--secondary">Continue as guest</button></form></div>`,
  );
}

function informationStep(cart: Cart, errors: Record<string, string>): string {
  const c = cart.contact;
  return checkoutShell(
    "Information",
    `<form action="/checkout/information" method="post" novalidate><div class="section section--contact-information"><h2 class="section__title">Contact</h2>
${field("email", "Email", c.email ?? "", "email", errors)}
<div class="checkbox-wrapper"><input class="input-checkbox" type="checkbox" id="marketing" name="marketing" value="1"${c.marketing === "1" ? " checked" : ""}><label class="checkbox__label" for="marketing">Email me with news and offers</label></div></div>
<div class="section section--shipping-address"><h2 class="section__title">Shipping address</h2>
<div class="field field--select"><label class="field__label" for="country">Country/region</label><select id="country" name="country"><option>Canada</option><option selected>United States</option><option>Mexico</option></select></div>
${field("first_name", "First name", c.first_name ?? "", "text", errors)}${field("last_name", "Last name", c.last_name ?? "", "text", errors)}
${field("address1", "Address", c.address1 ?? "", "text", errors)}${field("address2", "Apartment, suite, etc. (optional)", c.address2 ?? "")}
${field("city", "City", c.city ?? "", "text", errors)}
<div class="field field--select"><label class="field__label" for="province">State</label><select id="province" name="province"><option value="">State</option>${STATES.map((s) => `<option${c.province === s ? " selected" : ""}>${s}</option>`).join("")}</select>${errors.province ? `<p class="field__message">${escapeHtml(errors.province)}</p>` : ""}</div>
${field("zip", "ZIP code", c.zip ?? "", "text", errors)}${field("phone", "Phone (optional)", c.phone ?? "", "tel")}</div>
<div class="step__footer"><button type="submit" class="step__footer__continue-btn btn"><span class="btn__content">Continue to shipping</span></button><a href="/cart" class="step__footer__previous-link">Return to cart</a></div></form>`,
  );
}

function shippingStep(): string {
  return checkoutShell(
    "Shipping",
    `<form action="/checkout/shipping" method="post"><div class="section section--shipping-method"><h2 class="section__title">Shipping method</h2>
<fieldset class="content-box"><legend class="visually-hidden">Choose a shipping method</legend>
<div class="radio-wrapper"><input class="input-radio" type="radio" id="ship-standard" name="shipping" value="standard" checked><label for="ship-standard">Standard (5 to 8 business days) $4.99</label></div>
<div class="radio-wrapper"><input class="input-radio" type="radio" id="ship-express" name="shipping" value="express"><label for="ship-express">Express (1 to 2 business days) $14.99</label></div></fieldset></div>
<div class="step__footer"><button type="submit" class="step__footer__continue-btn btn">Continue to payment</button><a href="/checkout" class="step__footer__previous-link">Return to information</a></div></form>`,
  );
}

function paymentStep(values: Record<string, string>, errors: Record<string, string>): string {
  return checkoutShell(
    "Payment",
    `<form action="/checkout/payment" method="post" novalidate><div class="section section--payment-method"><h2 class="section__title">Payment</h2>
<p class="section__text">All transactions are secure and encrypted.</p>
${errors.card ? `<div class="notice notice--error" role="alert"><p>${escapeHtml(errors.card)}</p></div>` : ""}
<fieldset class="content-box"><legend>Credit card</legend>
${field("number", "Card number", values.number ?? "", "text", errors)}${field("name", "Name on card", values.name ?? "", "text", errors)}
${field("expiry", "Expiration date (MM / YY)", values.expiry ?? "", "text", errors)}${field("verification_value", "Security code", values.verification_value ?? "", "text", errors)}</fieldset></div>
<div class="checkbox-wrapper${errors.terms ? " field--error" : ""}"><input class="input-checkbox" type="checkbox" id="terms" name="terms" value="1"${values.terms === "1" ? " checked" : ""}><label class="checkbox__label" for="terms">I agree to the Terms of Service and the Refund policy</label>${errors.terms ? `<p class="field__message">${escapeHtml(errors.terms)}</p>` : ""}</div>
<div class="step__footer"><button type="submit" class="step__footer__continue-btn btn">Pay now</button><a href="/checkout/shipping" class="step__footer__previous-link">Return to shipping</a></div></form>`,
  );
}

function thankYou(order: StorefrontOrder, n: number, byId: Map<string, Product>): string {
  return checkoutShell(
    "Thank you",
    `<div class="section"><h2 class="os-header__title">Thank you, ${escapeHtml(order.address.first_name ?? "")}!</h2><p class="os-order-number">Order #${1000 + n}</p>
<h3>Your order is confirmed</h3><ul>${order.lines.map((l) => `<li>${escapeHtml(byId.get(l.product_id)!.title)} × ${l.quantity}</li>`).join("")}</ul></div>`,
  );
}

/**
 * What a gateway in test mode makes of a card number (spaces allowed): Stripe's test cards 4242 4242
 * 4242 4242 and 5555 5555 5555 4444 are accepted, 4000 0000 0000 0002 is declined, anything else is
 * not a card it knows.
 */
function testCard(number: string): "ok" | "declined" | "invalid" {
  const digits = number.replace(/[\s-]/g, "");
  if (digits === "4242424242424242" || digits === "5555555555554444") return "ok";
  return digits === "4000000000000002" ? "declined" : "invalid";
}

function expiryOk(expiry: string): boolean {
  const m = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(expiry);
  if (!m) return false;
  const month = Number(m[1]);
  const year = Number(m[2]!.length === 2 ? `20${m[2]}` : m[2]);
  return month >= 1 && month <= 12 && year * 12 + month >= 2026 * 12 + 12;
}

/**
 * Client-side navigation, as Turbo, pjax or a storefront's section rendering do it: links and form
 * submissions are fetched by script and the new page's body swapped in, with `history.pushState`;
 * back and forward fetch again. The browser never loads a new document after the first.
 */
const CLIENT_NAVIGATION = `<script>
(() => {
  const go = async (url, init, push) => {
    const res = await fetch(url, { ...init, headers: { "x-client-navigation": "1" } });
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    document.title = doc.title;
    document.body.replaceWith(doc.body);
    if (push) history.pushState({}, "", res.url);
    scrollTo(0, 0);
  };
  document.addEventListener("click", (e) => {
    const a = e.target.closest && e.target.closest("a[href]");
    if (!a || a.origin !== location.origin || e.defaultPrevented) return;
    e.preventDefault();
    go(a.href, {}, true);
  });
  document.addEventListener("submit", (e) => {
    const form = e.target;
    e.preventDefault();
    const data = new URLSearchParams(new FormData(form, e.submitter));
    if ((form.getAttribute("method") || "get").toLowerCase() === "post") go(form.action, { method: "POST", body: data }, true);
    else go(form.action.split("?")[0] + "?" + data, {}, true);
  });
  addEventListener("popstate", () => go(location.href, {}, false));
})();
</script>`;

export interface StorefrontOptions {
  /** Navigate by script (fetch, swap, pushState) instead of loading documents. */
  clientSide?: boolean;
  /** Answer "Add to cart" with a drawer over the product page ("Item added", "Check out"), not the cart page. */
  cartDrawer?: boolean;
}

/** Starts the storefront-style shop on a free loopback port, selling `catalog`. */
export async function startStorefrontShop(
  catalog: Catalog,
  opts: StorefrontOptions = {},
): Promise<StorefrontShop> {
  const index = new SearchIndex(catalog);
  const byId = new Map(catalog.products.map((p) => [p.id, p]));
  const byHandle = new Map(catalog.products.map((p) => [p.id.toLowerCase(), p]));
  const carts = new Map<string, Cart>();
  const orders: StorefrontOrder[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://shop.local");
    const cookie = /(?:^|;\s*)cart=([a-f0-9]+)/.exec(req.headers.cookie ?? "")?.[1];
    const token = cookie ?? randomBytes(8).toString("hex");
    const cart = carts.get(token) ?? emptyCart();
    carts.set(token, cart);
    const headers: Record<string, string> = cookie ? {} : { "set-cookie": `cart=${token}; Path=/; HttpOnly` };
    const send = (status: number, body: string) => {
      res.writeHead(status, { ...headers, "content-type": "text/html; charset=utf-8" });
      res.end(opts.clientSide ? body.replace("</body>", `${CLIENT_NAVIGATION}</body>`) : body);
    };
    const redirect = (to: string) => {
      res.writeHead(303, { ...headers, location: to });
      res.end();
    };
    const count = cart.lines.reduce((n, l) => n + l.quantity, 0);
    const path = url.pathname;
    const product = /^\/products\/([^/]+)$/.exec(path);

    if (req.method === "GET" && path === "/")
      return send(
        200,
        layout(
          "Home",
          `<div class="banner"><h2 class="banner__heading">New season, new goods</h2><a href="/search?q=new" class="button">Shop all</a></div>`,
          count,
        ),
      );
    if (req.method === "GET" && path === "/search") {
      const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
      return send(200, searchPage(index, url.searchParams.get("q") ?? "", page, count));
    }
    if (req.method === "GET" && product) {
      const p = byHandle.get(product[1] ?? "");
      if (!p) return send(404, layout("Not found", "<h1>Page not found</h1>", count));
      const page = productPage(p, count, null);
      const added = opts.cartDrawer && url.searchParams.get("added") === "1" && cart.lines.length > 0;
      return send(200, added ? page.replace("</main>", `</main>${cartDrawer(cart, byId)}`) : page);
    }
    if (req.method === "POST" && path === "/cart/add") {
      const form = await readForm(req);
      const p = byId.get(form.get("id") ?? "");
      if (!p) return send(404, layout("Not found", "<h1>Page not found</h1>", count));
      const options: Record<string, string> = {};
      for (const o of p.options) {
        const v = form.get(`options[${o.name}]`);
        const value = o.values.find((x) => x.value === v);
        if (!value?.available)
          return send(422, productPage(p, count, `This ${o.name} is unavailable; choose another.`));
        options[o.name] = value.value;
      }
      cart.lines.push({ product_id: p.id, options, quantity: 1, price: unitPrice(p, options) });
      return redirect(opts.cartDrawer ? `/products/${p.id.toLowerCase()}?added=1` : "/cart");
    }
    if (req.method === "GET" && path === "/cart") return send(200, cartPage(cart, byId));
    if (path.startsWith("/checkout") && cart.lines.length === 0) return redirect("/cart");
    if (req.method === "GET" && path === "/checkout")
      return send(200, cart.guest ? informationStep(cart, {}) : signInStep(null));
    if (req.method === "POST" && path === "/checkout/login") {
      // No shopper has an account here.
      return send(401, signInStep("Incorrect email or password."));
    }
    if (req.method === "POST" && path === "/checkout/guest") {
      cart.guest = true;
      return redirect("/checkout");
    }
    if (req.method === "POST" && path === "/checkout/information") {
      const form = await readForm(req);
      const keys = [
        "email",
        "first_name",
        "last_name",
        "address1",
        "address2",
        "city",
        "province",
        "zip",
        "phone",
        "country",
        "marketing",
      ];
      for (const k of keys) cart.contact[k] = (form.get(k) ?? "").trim();
      const errors: Record<string, string> = {};
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(cart.contact.email ?? "")) errors.email = "Enter a valid email";
      for (const [k, what] of [
        ["first_name", "a first name"],
        ["last_name", "a last name"],
        ["address1", "an address"],
        ["city", "a city"],
      ] as const)
        if (!cart.contact[k]) errors[k] = `Enter ${what}`;
      if (!STATES.includes(cart.contact.province ?? "")) errors.province = "Select a state / province";
      if (!/^\d{5}(-\d{4})?$/.test(cart.contact.zip ?? "")) errors.zip = "Enter a ZIP / postal code";
      if (Object.keys(errors).length > 0) return send(422, informationStep(cart, errors));
      return redirect("/checkout/shipping");
    }
    if (req.method === "GET" && path === "/checkout/shipping") return send(200, shippingStep());
    if (req.method === "POST" && path === "/checkout/shipping") {
      const form = await readForm(req);
      cart.shipping = form.get("shipping") === "express" ? "express" : "standard";
      return redirect("/checkout/payment");
    }
    if (req.method === "GET" && path === "/checkout/payment") return send(200, paymentStep({}, {}));
    if (req.method === "POST" && path === "/checkout/payment") {
      const form = await readForm(req);
      const values = Object.fromEntries(
        ["number", "name", "expiry", "verification_value", "terms"].map((k) => [
          k,
          (form.get(k) ?? "").trim(),
        ]),
      );
      const errors: Record<string, string> = {};
      if (values.terms !== "1") errors.terms = "You must agree to the terms of service to place your order";
      const card = testCard(values.number ?? "");
      if (card === "invalid") errors.number = "Enter a valid card number";
      if (!values.name) errors.name = "Enter your name exactly as it's written on your card";
      if (!expiryOk(values.expiry ?? "")) errors.expiry = "Enter a valid expiration date";
      if (!/^\d{3,4}$/.test(values.verification_value ?? ""))
        errors.verification_value = "Enter the CVV or security code on your card";
      if (Object.keys(errors).length > 0) {
        errors.card = "Your payment details couldn't be verified. Check your card details and try again.";
        return send(422, paymentStep(values, errors));
      }
      if (card === "declined") {
        return send(
          402,
          paymentStep(values, { card: "Your card was declined. Try another payment method." }),
        );
      }
      orders.push({
        session: String(req.headers[SESSION_HEADER] ?? ""),
        lines: cart.lines,
        shipping: cart.shipping ?? "standard",
        address: { ...cart.contact },
      });
      carts.set(token, emptyCart());
      return redirect(`/orders/${orders.length - 1}/thank-you`);
    }
    const done = /^\/orders\/(\d+)\/thank-you$/.exec(path);
    if (req.method === "GET" && done) {
      const order = orders[Number(done[1])];
      if (!order) return send(404, layout("Not found", "<h1>Page not found</h1>", count));
      return send(200, thankYou(order, Number(done[1]), byId));
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  };

  const server = await listenLoopback(handle);
  return {
    url: server.url,
    orders,
    close: () => server.close(),
  };
}
