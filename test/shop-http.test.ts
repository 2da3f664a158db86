import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShop, type Shop } from "../sandbox-shop/server.ts";
import { VariantSet, variantsFromData } from "../sandbox-shop/variants.ts";
import { type Order, type ShopEvent, ShopEventSchema } from "../src/contracts/shop.ts";
import { fixtureCatalog } from "./helpers/fixture-catalog.ts";
import { Client } from "./helpers/http.ts";

let shop: Shop;
let eventsPath: string;

beforeAll(async () => {
  eventsPath = join(mkdtempSync(join(tmpdir(), "shopsim-http-")), "events.jsonl");
  const variants = variantsFromData(
    {
      variants: {
        control: {},
        lean: {
          filter_panel: "reduced",
          results_layout: "list",
          buy_now: false,
          recommendations: false,
          free_shipping_badges: true,
          page_weight: "lean",
        },
        multistep: { checkout: "multi_step" },
        friction: { promo_banner: true, cookie_consent: true, out_of_stock: true },
        popup: { newsletter_popup: true, cookie_consent: true },
        more: { results_paging: "load_more" },
      },
      split: { control: 1, lean: 1, multistep: 0, friction: 0, popup: 0, more: 0 },
    },
    "test-variants",
  );
  shop = await createShop({ catalog: fixtureCatalog(), variants, eventsPath, seed: 7 });
  await shop.listen(0);
});
afterAll(async () => {
  await shop.close();
});

const client = (variant = "control", sid?: string) =>
  new Client(shop.url, { "x-shopsim-variant": variant, ...(sid ? { "x-shopsim-session": sid } : {}) });
const eventsOf = async (sid: string) =>
  (await new Client(shop.url).json<{ events: ShopEvent[] }>(`/api/events?session=${sid}`)).body.events;

describe("home", () => {
  it("has a search bar, every category and featured products, and gives a session cookie", async () => {
    const c = new Client(shop.url);
    const page = await c.get("/");
    expect(page.status).toBe(200);
    expect(page.body).toContain('role="search"');
    expect(page.body).toContain('name="q"');
    for (const slug of ["electronics", "clothing", "sports", "home-kitchen"]) {
      expect(page.body).toContain(`href="/search?category=${slug}"`);
    }
    expect(page.productIds().length).toBeGreaterThan(0);
    expect(c.cookies.get("shopsim_sid")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("search", () => {
  it("ranks full-text matches first and records the query", async () => {
    const c = client("control", "search-1");
    const page = await c.get("/search?q=noise+cancelling+headphones");
    expect(page.status).toBe(200);
    expect(page.productIds()[0]).toBe("HP1");
    expect(page.productIds()).toContain("HP2");
    const ev = (await eventsOf("search-1")).at(-1)!;
    expect(ev).toMatchObject({ page: "search", query: "noise cancelling headphones", status: 200 });
    expect(ev.product_ids[0]).toBe("HP1");
  });

  it("stems and matches plural and singular forms", async () => {
    const page = await client().get("/search?q=mug");
    expect(page.productIds().every((id) => id.startsWith("MUG"))).toBe(true);
    expect(page.body).toContain("26 results");
  });

  it("escapes HTML in the query", async () => {
    const page = await client().get(`/search?q=${encodeURIComponent("<script>alert(1)</script>")}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain("<script>alert(1)</script>");
    expect(page.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("paginates 12 per page with next/previous links", async () => {
    const c = client();
    const p1 = await c.get("/search?category=home-kitchen");
    const p2 = await c.get("/search?category=home-kitchen&page=2");
    const p3 = await c.get("/search?category=home-kitchen&page=3");
    expect(p1.productIds()).toHaveLength(12);
    expect(p2.productIds()).toHaveLength(12);
    expect(p3.productIds()).toHaveLength(2);
    const all = new Set([...p1.productIds(), ...p2.productIds(), ...p3.productIds()]);
    expect(all.size).toBe(26);
    expect(p1.body).toContain('rel="next"');
    expect(p1.body).not.toContain('rel="prev"');
    expect(p2.body).toContain('rel="prev"');
    expect(p3.body).not.toContain('rel="next"');
  });

  it("shows per_page results per page and keeps per_page in paging and sorting", async () => {
    const c = client();
    const p1 = await c.get("/search?category=home-kitchen&per_page=20");
    expect(p1.productIds()).toHaveLength(20);
    expect(p1.body).toContain("page=2&amp;per_page=20");
    expect(p1.body).toMatch(/name="per_page" value="20"/);
    const p2 = await c.get("/search?category=home-kitchen&per_page=20&page=2");
    expect(p2.productIds()).toHaveLength(6);
    expect(new Set([...p1.productIds(), ...p2.productIds()]).size).toBe(26);
  });

  it("sorts by price both ways and by rating", async () => {
    const c = client();
    const price = (id: string) => shop.catalog.products.find((p) => p.id === id)!.price;
    const asc = (await c.get("/search?category=home-kitchen&sort=price_asc")).productIds().map(price);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    expect(asc[0]).toBe(6);
    const desc = (await c.get("/search?category=home-kitchen&sort=price_desc")).productIds().map(price);
    expect(desc[0]).toBe(31);
    const rating = (id: string) => shop.catalog.products.find((p) => p.id === id)!.rating ?? 0;
    const byRating = (await c.get("/search?category=home-kitchen&sort=rating")).productIds().map(rating);
    expect(byRating).toEqual([...byRating].sort((a, b) => b - a));
  });

  it("filters by price range, rating, brand and feature, with facet counts", async () => {
    const c = client();
    const inRange = await c.get("/search?category=home-kitchen&min_price=10&max_price=20");
    const prices = inRange.productIds().map((id) => shop.catalog.products.find((p) => p.id === id)!.price);
    expect(prices.length).toBe(10);
    expect(prices.every((p) => p >= 10 && p < 20)).toBe(true);
    const rated = await c.get("/search?category=home-kitchen&rating=4");
    for (const id of rated.productIds())
      expect(shop.catalog.products.find((p) => p.id === id)!.rating).toBeGreaterThanOrEqual(4);
    const brand = await c.get("/search?q=mug&brand=Hearth");
    expect(brand.body).toContain("13 results");
    expect(brand.body).toMatch(/name="brand" value="Hearth" checked/);
    const feature = await c.get("/search?q=mug&feature=microwave+safe");
    expect(feature.body).toContain("8 results");
    // The brand facet counts what a click would give.
    expect(feature.body).toMatch(/Hearth \(4\)/);
  });

  it("rejects bad parameters with a 400 page naming the field", async () => {
    const c = client();
    for (const [query, field] of [
      ["page=abc", "page"],
      ["page=0", "page"],
      ["sort=cheapest", "sort"],
      ["rating=9", "rating"],
      ["min_price=-5", "min_price"],
      ["category=spaceships", "category"],
      ["min_price=50&max_price=10", "min_price"],
      ["per_page=0", "per_page"],
      ["per_page=5000", "per_page"],
    ] as const) {
      const page = await c.get(`/search?${query}`);
      expect(page.status, query).toBe(400);
      expect(page.body, query).toContain(field);
    }
  });
});

describe("product page", () => {
  it("shows title, price range, rating, bullets, options, reviews and related products", async () => {
    const page = await client().get("/product/HP1");
    expect(page.status).toBe(200);
    expect(page.body).toContain("Acme Wireless Noise Cancelling Headphones");
    expect(page.body).toContain("$59.99 – $64.99");
    expect(page.body).toContain("4.5 out of 5 stars");
    expect(page.body).toContain("30 hour battery");
    expect(page.body).toContain("Quiet at last");
    expect(page.body).toMatch(/Red[^<]*— out of stock/);
    expect(page.body).toContain("Customers also viewed");
    expect(page.body).toContain('value="buy_now"');
  });

  it("prices the selected options", async () => {
    const page = await client().get("/product/HP1?color=White");
    expect(page.body).toMatch(/class="price" aria-label="Price">\$64\.99</);
    expect(page.body).toContain('name="option_color" value="White"');
  });

  it("explains an option value that does not exist or is out of stock", async () => {
    const page = await client().get("/product/HP1?color=Purple");
    expect(page.body).toContain("“Purple” is not a color of this product");
    const oos = await client().get("/product/HP1?color=Red");
    expect(oos.body).toContain("Color “Red” is out of stock");
  });

  it("escapes product text and shows a 404 page for an unknown product", async () => {
    const mat = await client().get("/product/YM1");
    expect(mat.body).toContain("Zen Non-Slip Yoga Mat &lt;Pro&gt;");
    expect(mat.body).toContain("No ratings yet");
    const missing = await client().get("/product/NOPE");
    expect(missing.status).toBe(404);
    expect(missing.body).toContain("There is no product with id “NOPE”");
  });
});

describe("cart", () => {
  it("requires options, adds, merges, updates and removes lines", async () => {
    const c = client("control", "cart-1");
    const missing = await c.post("/cart/add", { product_id: "TS1", quantity: "1" });
    expect(missing.status).toBe(422);
    expect(missing.body).toContain("Please select a size.");
    expect(missing.body).toContain("Please select a color.");

    const added = await c.post("/cart/add", {
      product_id: "TS1",
      option_size: "L",
      option_color: "Navy",
      quantity: "2",
      intent: "add",
    });
    expect(added.status).toBe(303);
    expect(added.location).toBe("/cart");
    await c.post("/cart/add", { product_id: "TS1", option_size: "L", option_color: "Navy", quantity: "1" });
    let cart = await c.get("/cart");
    expect(cart.body).toContain("size: L, color: Navy");
    expect(cart.body).toContain("Subtotal (3 items): <strong>$42.00</strong>");

    await c.post("/cart/update", { line_id: "L1", quantity: "5" });
    cart = await c.get("/cart");
    expect(cart.body).toContain("Subtotal (5 items): <strong>$70.00</strong>");

    const bad = await c.post("/cart/update", { line_id: "L1", quantity: "99" });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain("Quantity must be a whole number from 0 to 10.");

    await c.post("/cart/remove", { line_id: "L1" });
    cart = await c.get("/cart");
    expect(cart.body).toContain("Your cart is empty");

    const changes = (await eventsOf("cart-1"))
      .filter((e) => e.cart)
      .map((e) => [e.cart!.action, e.cart!.quantity]);
    expect(changes).toEqual([
      ["add", 2],
      ["add", 1],
      ["update", 5],
      ["remove", 0],
    ]);
  });

  it("rejects an out-of-range quantity and an unknown product", async () => {
    const c = client();
    const q = await c.post("/cart/add", { product_id: "HP2", quantity: "11" });
    expect(q.status).toBe(422);
    expect(q.body).toContain("Quantity must be a whole number from 1 to 10.");
    const p = await c.post("/cart/add", { product_id: "NOPE", quantity: "1" });
    expect(p.status).toBe(404);
  });
});

const ADDRESS = {
  full_name: "Ada Lovelace",
  email: "ada@example.com",
  address1: "12 Analytical Way",
  city: "Portland",
  state: "OR",
  zip: "97201",
  shipping_method: "standard",
};

describe("checkout", () => {
  it("validates every field server-side with clear messages and keeps what was typed", async () => {
    const c = client("control", "co-1");
    await c.post("/cart/add", { product_id: "HP2", quantity: "1" });
    const empty = await c.post("/checkout/place", { checkout: "one_page" });
    expect(empty.status).toBe(422);
    for (const msg of [
      "Enter your full name",
      "Enter your email address",
      "Enter your street address",
      "Enter your city",
      "Choose your state",
      "Enter your ZIP code",
    ]) {
      expect(empty.body).toContain(msg);
    }
    const badZip = await c.post("/checkout/place", { ...ADDRESS, zip: "9720", checkout: "one_page" });
    expect(badZip.status).toBe(422);
    expect(badZip.body).toContain("Enter a 5-digit ZIP code, like 94103");
    expect(badZip.body).toContain('value="Ada Lovelace"');
    expect(badZip.body).toContain('aria-invalid="true" aria-describedby="zip-error"');
  });

  it("places an order (one-page), shows the confirmation and scores it against the session goal", async () => {
    const sid = "co-2";
    const api = new Client(shop.url);
    const put = await api.json(`/api/sessions/${sid}/goal`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        instruction: "wireless noise cancelling headphones in white under $70",
        target: {
          product_type: "over-ear headphones",
          attributes: ["noise cancelling", "wireless"],
          options: { color: "white" },
          max_price: 70,
        },
      }),
    });
    expect(put.status).toBe(200);
    const c = client("control", sid);
    const buy = await c.post("/cart/add", {
      product_id: "HP1",
      option_color: "White",
      quantity: "1",
      intent: "buy_now",
    });
    expect(buy.location).toBe("/checkout");
    const form = await c.get("/checkout");
    expect(form.body).toContain("Place your order");
    const placed = await c.post("/checkout/place", { ...ADDRESS, checkout: "one_page" });
    expect(placed.status).toBe(303);
    const confirmation = await c.get(placed.location!);
    expect(confirmation.body).toContain("Thank you, your order has been placed");
    // 64.99 + 0 shipping (over $35) + 7.25% tax (4.71) = 69.70
    expect(confirmation.body).toContain("$69.70");
    const orders = (await api.json<{ orders: Order[] }>(`/api/orders?session=${sid}`)).body.orders;
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      total: 69.7,
      shipping_cost: 0,
      tax: 4.71,
      items: [{ product_id: "HP1", options: { color: "White" } }],
    });
    expect(orders[0]!.goal_score?.score).toBe(1);
    expect((await c.get("/cart")).body).toContain("Your cart is empty");
    // Another session cannot see the order.
    expect((await client().get(placed.location!)).status).toBe(404);
  });

  it("walks the multi-step checkout of the multistep variant", async () => {
    const c = client("multistep", "co-3");
    await c.post("/cart/add", { product_id: "HP2", quantity: "1" });
    const step1 = await c.get("/checkout");
    expect(step1.body).toContain("Continue to shipping");
    const badAddress = await c.post("/checkout/address", { ...ADDRESS, email: "nope" });
    expect(badAddress.status).toBe(422);
    const toShipping = await c.post("/checkout/address", ADDRESS);
    expect(toShipping.location).toBe("/checkout/shipping");
    const step2 = await c.get("/checkout/shipping");
    expect(step2.body).toContain("Next-day delivery");
    const badMethod = await c.post("/checkout/shipping", { shipping_method: "teleport" });
    expect(badMethod.status).toBe(422);
    const toReview = await c.post("/checkout/shipping", { shipping_method: "expedited" });
    expect(toReview.location).toBe("/checkout/review");
    const review = await c.get("/checkout/review");
    expect(review.body).toContain("Review your order");
    const placed = await c.post("/checkout/place", { checkout: "multi_step" });
    expect(placed.status).toBe(303);
    const order = (await new Client(shop.url).json<{ orders: Order[] }>("/api/orders?session=co-3")).body
      .orders[0]!;
    expect(order).toMatchObject({
      shipping_method: "expedited",
      shipping_cost: 12.99,
      variant: "multistep",
      goal_score: null,
    });
  });

  it("refuses to check out an empty cart", async () => {
    const page = await client().get("/checkout");
    expect(page.status).toBe(409);
    expect(page.body).toContain("Your cart is empty. Add a product before checking out.");
  });
});

describe("page weight", () => {
  const stateOf = (body: string) =>
    JSON.parse(/<script id="__SHOP_STATE__" type="application\/json">(.*?)<\/script>/s.exec(body)![1]!) as {
      page: string;
      query: string;
      products: { id: string; title: string }[];
    };

  it("realistic pages carry inline CSS, JSON-LD, a data layer and hydration state with the page's products", async () => {
    const page = await client("control").get("/search?q=mug");
    expect(page.body).toContain('<style data-critical="true">');
    const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/s.exec(page.body)![1]!) as {
      "@type": string;
      itemListElement?: { name: string }[];
    }[];
    expect(ld.map((x) => x["@type"])).toEqual(["WebSite", "ItemList"]);
    const state = stateOf(page.body);
    expect(state.page).toBe("search");
    expect(state.products.map((p) => p.id)).toEqual(page.productIds());
    expect(ld[1]!.itemListElement!.map((x) => x.name)).toEqual(state.products.map((p) => p.title));
    const product = await client("control").get("/product/HP1");
    expect(stateOf(product.body).products[0]!.id).toBe("HP1");
    expect(product.body).toContain('"@type":"Product"');
  });

  it("keeps hostile text inside the state script, and lean pages carry none of it", async () => {
    const hostile = "</script><script>alert(1)</script>";
    const page = await client("control").get(`/search?q=${encodeURIComponent(hostile)}`);
    expect(page.body).not.toContain("<script>alert(1)");
    expect(stateOf(page.body).query).toBe(hostile);
    const lean = await client("lean").get("/search?q=mug");
    expect(lean.body).not.toContain("__SHOP_STATE__");
    expect(lean.body).not.toContain("application/ld+json");
    expect(lean.body).toContain('<link rel="stylesheet" href="/static/shop.css">');
    expect(lean.productIds().length).toBeGreaterThan(0);
  });
});

describe("variants and friction", () => {
  it("splits sessions deterministically by hash, by weight", () => {
    const v = shop.variants;
    const counts: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const name = v.assign(`visitor-${i}`).name;
      counts[name] = (counts[name] ?? 0) + 1;
      expect(v.assign(`visitor-${i}`).name).toBe(name);
    }
    expect(counts.multistep ?? 0).toBe(0);
    expect(counts.control).toBeGreaterThan(900);
    expect(counts.lean).toBeGreaterThan(900);
  });

  it("takes the variant from the query (then a cookie), a header, or the split, and logs it", async () => {
    const c = new Client(shop.url, { "x-shopsim-session": "var-1" });
    await c.get("/?variant=lean");
    expect(c.cookies.get("shopsim_variant")).toBe("lean");
    await c.get("/search?q=mug");
    const events = await eventsOf("var-1");
    expect(events.map((e) => e.variant)).toEqual(["lean", "lean"]);
    const unknown = await new Client(shop.url).get("/?variant=nope");
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain("There is no variant called “nope”");
  });

  it("changes the page per flag: filter panel, layout, badges, buy now, recommendations", async () => {
    const control = await client("control").get("/search?q=headphones");
    const lean = await client("lean").get("/search?q=headphones");
    expect(control.body).toContain("Customer reviews</h3>");
    expect(control.body).toContain('name="brand"');
    expect(lean.body).not.toContain('name="brand"');
    expect(lean.body).toContain('class="results list"');
    expect(control.body).toContain('class="results grid"');
    expect(lean.body).toContain("FREE Shipping");
    expect(control.body).not.toContain("FREE Shipping");
    const leanProduct = await client("lean").get("/product/HP1");
    expect(leanProduct.body).not.toContain('value="buy_now"');
    expect(leanProduct.body).not.toContain("Customers also viewed");
  });

  it("shows the promo banner and a cookie dialog until dismissed, and hides some options as out of stock", async () => {
    const c = client("friction", "fr-1");
    let home = await c.get("/");
    expect(home.body).toContain('aria-label="Promotion"');
    expect(home.body).toContain('role="dialog"');
    const consent = await c.post("/consent", { choice: "accept", return_to: "/" });
    expect(consent.location).toBe("/");
    await c.post("/banner/dismiss", { return_to: "/" });
    home = await c.get("/");
    expect(home.body).not.toContain('role="dialog"');
    expect(home.body).not.toContain('aria-label="Promotion"');
    // With out_of_stock on, some values of the mugless products become unavailable, never all.
    const shirt = await c.get("/product/TS1");
    const control = await client("control").get("/product/TS1");
    const oos = (p: string) => (p.match(/— out of stock/g) ?? []).length;
    expect(oos(control.body)).toBe(0);
    expect(oos(shirt.body)).toBeGreaterThan(0);
    expect(oos(shirt.body)).toBeLessThan(6);
  });
});

describe("newsletter_popup", () => {
  it("shows the sign-up pop-up after the cookie choice, until closed or answered with an email", async () => {
    const c = client("popup", "popup-1");
    const shown = (body: string) => body.includes("Get 10% off your first order");
    let home = await c.get("/");
    expect(shown(home.body)).toBe(false); // the cookie dialog comes first
    await c.post("/consent", { choice: "accept", return_to: "/" });
    home = await c.get("/search?q=mug");
    expect(shown(home.body)).toBe(true);
    expect(home.body).toMatch(/role="dialog" aria-modal="true" aria-labelledby="popup-title"/);
    // A sign-up without a real address leaves it up; one with an address closes it.
    const bad = await c.post("/popup", { choice: "signup", email: "nope", return_to: "/search?q=mug" });
    expect(bad.location).toBe("/search?q=mug");
    expect(shown((await c.get("/")).body)).toBe(true);
    await c.post("/popup", { choice: "signup", email: "pat@example.com", return_to: "/" });
    expect(shown((await c.get("/")).body)).toBe(false);
    const other = client("popup", "popup-2");
    await other.post("/consent", { choice: "accept", return_to: "/" });
    await other.post("/popup", { choice: "decline", return_to: "/" });
    expect(shown((await other.get("/")).body)).toBe(false);
    expect(shown((await client("control", "popup-3").get("/")).body)).toBe(false);
    const answers = async (sid: string) =>
      (await eventsOf(sid)).filter((e) => e.selection?.popup).map((e) => e.selection?.popup);
    expect(await answers("popup-1")).toEqual(["invalid_email", "signup"]);
    expect(await answers("popup-2")).toEqual(["decline"]);
  });
});

describe("results_paging: load_more", () => {
  it("shows every page loaded so far as one list, with a Load more link up to the last", async () => {
    const ids = (body: string) => [...body.matchAll(/data-product-id="([^"]+)"/g)].map((m) => m[1]);
    const more = client("more", "more-1");
    const pages = client("control", "more-2");
    const first = await more.get("/search?per_page=8");
    expect(ids(first.body)).toHaveLength(8);
    expect(first.body).toContain(
      '<a class="load-more-button" href="/search?page=2&amp;per_page=8" rel="next">Load more</a>',
    );
    expect(first.body).not.toContain('aria-label="Pagination"');
    const second = await more.get("/search?page=2&per_page=8");
    const pageTwo = ids((await pages.get("/search?page=2&per_page=8")).body);
    expect(ids(second.body)).toEqual([...ids(first.body), ...pageTwo]);
    expect(second.body).toContain("Showing 1–16 of 30");
    const last = await more.get("/search?page=4&per_page=8");
    expect(ids(last.body)).toHaveLength(30);
    expect(last.body).not.toContain("Load more");
    // The event of each request names the products it added, as numbered pages would.
    const shown = (await eventsOf("more-1")).map((e) => [e.page_number, e.product_ids.length]);
    expect(shown).toEqual([
      [1, 8],
      [2, 8],
      [4, 6],
    ]);
    expect((await eventsOf("more-1"))[1]?.product_ids).toEqual(pageTwo);
  });
});

describe("sessions", () => {
  it("remembers a visitor only once they change something, but logs every page they read", async () => {
    const before = shop.state.sessionCount;
    for (let i = 0; i < 10; i++) await new Client(shop.url).get("/search?q=mug");
    expect(shop.state.sessionCount).toBe(before);
    const c = client("control", "remember-1");
    await c.get("/product/HP2");
    expect(shop.state.peek("remember-1")).toBeUndefined();
    await c.post("/cart/add", { product_id: "HP2", quantity: "1" });
    expect(shop.state.peek("remember-1")?.cart).toHaveLength(1);
    expect((await eventsOf("remember-1")).map((e) => e.page)).toEqual(["product", "cart"]);
  });
});

describe("event log", () => {
  it("writes one schema-valid JSON line per shopper request", async () => {
    const sid = "log-1";
    const c = client("control", sid);
    await c.get("/");
    await c.get("/search?q=mug&page=2&sort=price_asc");
    await c.get("/product/MUG03");
    await c.get("/static/shop.css");
    await c.get("/img/MUG03.svg");
    const mine = (await eventsOf(sid)).map((e) => ShopEventSchema.parse(e));
    expect(mine.map((e) => e.page)).toEqual(["home", "search", "product"]);
    expect(mine[1]).toMatchObject({ query: "mug", sort: "price_asc", page_number: 2, total_results: 26 });
    expect(mine[2]!.product_ids).toEqual(["MUG03"]);
    await shop.events.close().catch(() => undefined);
    const lines = readFileSync(eventsPath, "utf8")
      .trim()
      .split("\n")
      .map((l) => ShopEventSchema.parse(JSON.parse(l)));
    expect(lines.filter((e) => e.session_id === sid).map((e) => e.page)).toEqual([
      "home",
      "search",
      "product",
    ]);
    // seq is strictly increasing across the file
    expect(lines.every((e, i) => i === 0 || e.seq > lines[i - 1]!.seq)).toBe(true);
  });
});

describe("API", () => {
  it("answers health, product JSON, goals and validates goal input", async () => {
    const api = new Client(shop.url);
    const health = await api.json<{ status: string; products: number; variants: string[] }>("/healthz");
    expect(health.body).toMatchObject({
      status: "ok",
      products: 30,
      variants: ["control", "lean", "multistep", "friction", "popup", "more"],
    });
    const product = await api.json<{ id: string }>("/api/products/HP1");
    expect(product.body.id).toBe("HP1");
    expect((await api.json("/api/products/NOPE")).status).toBe(404);
    const goals = await api.json<{ goals: unknown[] }>("/api/goals?count=3&seed=2");
    expect(goals.body.goals).toHaveLength(3);
    const bad = await api.json<{ error: string }>("/api/sessions/x/goal", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instruction: "", target: { max_price: -3 } }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("instruction");
    expect((await api.json("/api/events")).status).toBe(400);
  });
});

describe("unexpected errors", () => {
  it("answer 500 with a plain page, keep internals out of it, and log them", async () => {
    const lines: string[] = [];
    const logger = pino({ level: "error" }, { write: (line: string) => lines.push(line) });
    const broken = {
      ...fixtureCatalog(),
      reviewsFor: () => {
        throw new Error("review store down: secret-host:5432");
      },
    };
    const sep = await createShop({ catalog: broken, logger });
    await sep.listen(0);
    try {
      const page = await new Client(sep.url).get("/product/HP1");
      expect(page.status).toBe(500);
      expect(page.body).toContain("Something went wrong");
      expect(page.body).not.toContain("secret-host");
      expect(lines.join("")).toContain("review store down: secret-host:5432");
    } finally {
      await sep.close();
    }
  });
});

describe("reset", () => {
  it("forgets sessions, carts and orders", async () => {
    const sep = await createShop({ catalog: fixtureCatalog(), variants: VariantSet.single() });
    await sep.listen(0);
    try {
      const c = new Client(sep.url, { "x-shopsim-session": "r-1" });
      await c.post("/cart/add", { product_id: "HP2", quantity: "1" });
      expect((await c.get("/cart")).body).toContain("Acme Wired Headphones");
      const res = await c.json<{ status: string }>("/api/reset", { method: "POST" });
      expect(res.body.status).toBe("reset");
      expect((await c.get("/cart")).body).toContain("Your cart is empty");
      expect((await c.json<{ events: unknown[] }>("/api/events?session=r-1")).body.events).toHaveLength(1);
    } finally {
      await sep.close();
      await sep.close();
    }
  });
});
