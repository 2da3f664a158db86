import { US_STATES } from "../../src/contracts/scenario.ts";
import type { Order } from "../../src/contracts/shop.ts";
import type { Product } from "../catalog/types.ts";
import { type Address, FREE_SHIPPING_THRESHOLD, SHIPPING_METHODS } from "../checkout.ts";
import { html, money, type SafeHtml } from "../html.ts";
import type { CartLine } from "../state.ts";
import { layout, type PageContext } from "./layout.ts";
import { priceLabel } from "./pages.ts";

export interface PricedLine {
  line: CartLine;
  product: Product;
  unitPrice: number;
  lineTotal: number;
}

function optionText(options: Record<string, string>): string {
  return Object.entries(options)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
}

export function cartPage(
  ctx: PageContext,
  lines: readonly PricedLine[],
  subtotal: number,
  recommended: readonly Product[],
  errors: readonly string[] = [],
): SafeHtml {
  const itemCount = lines.reduce((n, l) => n + l.line.quantity, 0);
  return layout(
    ctx,
    "Shopping cart",
    html`<section class="cart" aria-labelledby="cart-title"><h1 id="cart-title">Shopping cart</h1>
${errors.length > 0 ? html`<div class="errors" role="alert"><ul>${errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ""}
${
  lines.length === 0
    ? html`<p>Your cart is empty. <a href="/">Continue shopping</a></p>`
    : html`<table class="cart-lines"><thead><tr><th scope="col">Item</th><th scope="col">Price</th><th scope="col">Quantity</th><th scope="col">Total</th></tr></thead><tbody>
${lines.map(
  (
    l,
  ) => html`<tr aria-label="${l.product.title}"><td><a href="/product/${l.product.id}">${l.product.title}</a>${Object.keys(l.line.options).length > 0 ? html`<p class="line-options">${optionText(l.line.options)}</p>` : ""}</td>
<td>${money(l.unitPrice)}</td>
<td><form method="post" action="/cart/update"><input type="hidden" name="line_id" value="${l.line.line_id}"><label class="visually-hidden" for="qty-${l.line.line_id}">Quantity</label><select id="qty-${l.line.line_id}" name="quantity">${Array.from({ length: 11 }, (_, i) => html`<option value="${i}"${i === l.line.quantity ? html` selected` : ""}>${i === 0 ? "0 (remove)" : i}</option>`)}</select><button type="submit">Update</button></form>
<form method="post" action="/cart/remove"><input type="hidden" name="line_id" value="${l.line.line_id}"><button type="submit">Remove</button></form></td>
<td>${money(l.lineTotal)}</td></tr>`,
)}
</tbody></table>
<p class="subtotal">Subtotal (${itemCount} ${itemCount === 1 ? "item" : "items"}): <strong>${money(subtotal)}</strong></p>
${subtotal >= FREE_SHIPPING_THRESHOLD ? html`<p>Your order qualifies for free standard shipping.</p>` : html`<p>Add ${money(FREE_SHIPPING_THRESHOLD - subtotal)} more for free standard shipping.</p>`}
<p><a class="button" href="/checkout">Proceed to checkout</a></p>`
}
</section>
${
  ctx.flags.recommendations && recommended.length > 0
    ? html`<section class="related" aria-labelledby="rec-title"><h2 id="rec-title">Frequently bought together</h2><ul class="results grid">${recommended.map(
        (p) =>
          html`<li class="product-card"><article aria-label="${p.title}"><h3><a href="/product/${p.id}">${p.title}</a></h3><p class="price">${priceLabel(p)}</p></article></li>`,
      )}</ul></section>`
    : ""
}`,
    { page: "cart", products: [...lines.map((l) => l.product), ...recommended] },
  );
}

function summary(
  lines: readonly PricedLine[],
  subtotal: number,
  shipping: number | null,
  tax: number,
  total: number,
): SafeHtml {
  return html`<section class="order-summary" aria-labelledby="summary-title"><h2 id="summary-title">Order summary</h2>
<ul>${lines.map((l) => html`<li>${l.line.quantity} × ${l.product.title}${Object.keys(l.line.options).length > 0 ? ` (${optionText(l.line.options)})` : ""}: ${money(l.lineTotal)}</li>`)}</ul>
<dl><dt>Items</dt><dd>${money(subtotal)}</dd><dt>Shipping</dt><dd>${shipping === null ? "Calculated at next step" : shipping === 0 ? "FREE" : money(shipping)}</dd><dt>Estimated tax</dt><dd>${money(tax)}</dd><dt>Order total</dt><dd><strong>${money(total)}</strong></dd></dl>
</section>`;
}

function errorSummary(errors: Record<string, string>): SafeHtml | string {
  const entries = Object.entries(errors);
  if (entries.length === 0) return "";
  return html`<div class="errors" role="alert" aria-labelledby="error-title"><h2 id="error-title">There ${entries.length === 1 ? "is a problem" : `are ${entries.length} problems`} with your order</h2><ul>${entries.map(([field, msg]) => html`<li><a href="#${field}">${msg}</a></li>`)}</ul></div>`;
}

function field(
  name: string,
  label: string,
  values: Record<string, string>,
  errors: Record<string, string>,
  opts: { type?: string; autocomplete?: string; required?: boolean } = {},
): SafeHtml {
  const error = errors[name];
  return html`<div class="field${error ? " has-error" : ""}"><label for="${name}">${label}${opts.required === false ? " (optional)" : ""}</label>
<input id="${name}" name="${name}" type="${opts.type ?? "text"}" value="${values[name] ?? ""}"${opts.autocomplete ? html` autocomplete="${opts.autocomplete}"` : ""}${error ? html` aria-invalid="true" aria-describedby="${name}-error"` : ""}>
${error ? html`<p class="field-error" id="${name}-error">${error}</p>` : ""}</div>`;
}

function addressFields(values: Record<string, string>, errors: Record<string, string>): SafeHtml {
  const stateError = errors.state;
  return html`<fieldset class="address"><legend>Shipping address</legend>
${field("full_name", "Full name", values, errors, { autocomplete: "name" })}
${field("email", "Email", values, errors, { type: "email", autocomplete: "email" })}
${field("address1", "Street address", values, errors, { autocomplete: "address-line1" })}
${field("address2", "Apartment, suite, etc.", values, errors, { autocomplete: "address-line2", required: false })}
${field("city", "City", values, errors, { autocomplete: "address-level2" })}
<div class="field${stateError ? " has-error" : ""}"><label for="state">State</label><select id="state" name="state"${stateError ? html` aria-invalid="true" aria-describedby="state-error"` : ""}><option value="">Select a state</option>${Object.entries(US_STATES).map(([code, name]) => html`<option value="${code}"${values.state === code ? html` selected` : ""}>${name}</option>`)}</select>${stateError ? html`<p class="field-error" id="state-error">${stateError}</p>` : ""}</div>
${field("zip", "ZIP code", values, errors, { autocomplete: "postal-code" })}
${field("phone", "Phone", values, errors, { type: "tel", autocomplete: "tel", required: false })}
</fieldset>`;
}

function shippingFields(subtotal: number, chosen: string, error?: string): SafeHtml {
  return html`<fieldset class="shipping-methods"${error ? html` aria-describedby="shipping_method-error"` : ""}><legend>Shipping method</legend>
${SHIPPING_METHODS.map((m) => {
  const cost = m.cost(subtotal);
  return html`<div><input type="radio" id="ship-${m.id}" name="shipping_method" value="${m.id}"${m.id === chosen ? html` checked` : ""}><label for="ship-${m.id}">${m.label} (${m.eta}): ${cost === 0 ? "FREE" : money(cost)}</label></div>`;
})}
${error ? html`<p class="field-error" id="shipping_method-error">${error}</p>` : ""}
</fieldset>`;
}

export interface CheckoutView {
  lines: readonly PricedLine[];
  subtotal: number;
  values: Record<string, string>;
  errors: Record<string, string>;
  shippingMethod: string;
  shipping: number | null;
  tax: number;
  total: number;
}

/** One-page checkout: address, shipping method and the place-order button on one form. */
export function onePageCheckout(ctx: PageContext, v: CheckoutView): SafeHtml {
  return layout(
    ctx,
    "Checkout",
    html`<section class="checkout" aria-labelledby="checkout-title"><h1 id="checkout-title">Checkout</h1>
${errorSummary(v.errors)}
<form method="post" action="/checkout/place" novalidate>
<input type="hidden" name="checkout" value="one_page">
${addressFields(v.values, v.errors)}
${shippingFields(v.subtotal, v.shippingMethod, v.errors.shipping_method)}
<button type="submit">Place your order</button>
</form>
${summary(v.lines, v.subtotal, v.shipping, v.tax, v.total)}
</section>`,
    { page: "checkout", products: v.lines.map((l) => l.product) },
  );
}

/** Multi-step checkout, step 1 of 3: address. */
export function addressStep(ctx: PageContext, v: CheckoutView): SafeHtml {
  return layout(
    ctx,
    "Checkout: shipping address",
    html`<section class="checkout" aria-labelledby="checkout-title"><h1 id="checkout-title">Checkout</h1>
<ol class="steps" aria-label="Checkout steps"><li aria-current="step">1. Address</li><li>2. Shipping</li><li>3. Review</li></ol>
${errorSummary(v.errors)}
<form method="post" action="/checkout/address" novalidate>
${addressFields(v.values, v.errors)}
<button type="submit">Continue to shipping</button>
</form>
${summary(v.lines, v.subtotal, null, v.tax, v.total)}
</section>`,
    { page: "checkout", products: v.lines.map((l) => l.product) },
  );
}

/** Multi-step checkout, step 2 of 3: shipping method. */
export function shippingStep(ctx: PageContext, v: CheckoutView, address: Address): SafeHtml {
  return layout(
    ctx,
    "Checkout: shipping method",
    html`<section class="checkout" aria-labelledby="checkout-title"><h1 id="checkout-title">Checkout</h1>
<ol class="steps" aria-label="Checkout steps"><li><a href="/checkout">1. Address</a></li><li aria-current="step">2. Shipping</li><li>3. Review</li></ol>
${errorSummary(v.errors)}
<p>Shipping to ${address.full_name}, ${address.address1}, ${address.city}, ${address.state} ${address.zip}</p>
<form method="post" action="/checkout/shipping" novalidate>
${shippingFields(v.subtotal, v.shippingMethod, v.errors.shipping_method)}
<button type="submit">Continue to review</button>
</form>
${summary(v.lines, v.subtotal, v.shipping, v.tax, v.total)}
</section>`,
    { page: "checkout", products: v.lines.map((l) => l.product) },
  );
}

/** Multi-step checkout, step 3 of 3: review and place the order. */
export function reviewStep(
  ctx: PageContext,
  v: CheckoutView,
  address: Address,
  methodLabel: string,
): SafeHtml {
  return layout(
    ctx,
    "Checkout: review your order",
    html`<section class="checkout" aria-labelledby="checkout-title"><h1 id="checkout-title">Review your order</h1>
<ol class="steps" aria-label="Checkout steps"><li><a href="/checkout">1. Address</a></li><li><a href="/checkout/shipping">2. Shipping</a></li><li aria-current="step">3. Review</li></ol>
<p>Shipping to ${address.full_name}, ${address.address1}, ${address.city}, ${address.state} ${address.zip} by ${methodLabel}.</p>
${summary(v.lines, v.subtotal, v.shipping, v.tax, v.total)}
<form method="post" action="/checkout/place"><input type="hidden" name="checkout" value="multi_step"><button type="submit">Place your order</button></form>
</section>`,
    { page: "checkout", products: v.lines.map((l) => l.product) },
  );
}

export function orderPage(ctx: PageContext, order: Order): SafeHtml {
  return layout(
    ctx,
    `Order ${order.order_id}`,
    html`<section class="order-confirmation" aria-labelledby="order-title"><h1 id="order-title">Thank you, your order has been placed</h1>
<p>Order number <strong class="order-id">${order.order_id}</strong>. A confirmation will be sent by email.</p>
<table><thead><tr><th scope="col">Item</th><th scope="col">Quantity</th><th scope="col">Total</th></tr></thead><tbody>
${order.items.map((i) => html`<tr><td>${i.title}${Object.keys(i.options).length > 0 ? html`<p class="line-options">${optionText(i.options)}</p>` : ""}</td><td>${i.quantity}</td><td>${money(i.line_total)}</td></tr>`)}
</tbody></table>
<dl><dt>Items</dt><dd>${money(order.subtotal)}</dd><dt>Shipping</dt><dd>${order.shipping_cost === 0 ? "FREE" : money(order.shipping_cost)}</dd><dt>Tax</dt><dd>${money(order.tax)}</dd><dt>Order total</dt><dd><strong class="order-total">${money(order.total)}</strong></dd></dl>
<p>Ships to ${order.ship_to.city}, ${order.ship_to.state} ${order.ship_to.zip}.</p>
<p><a href="/">Continue shopping</a></p>
</section>`,
    { page: "order" },
  );
}
