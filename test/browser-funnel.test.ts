import { type Browser, chromium } from "playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../sandbox-shop/catalog/index.ts";
import type { Product } from "../sandbox-shop/catalog/types.ts";
import { createShop, type Shop } from "../sandbox-shop/server.ts";
import { variantsFromData } from "../sandbox-shop/variants.ts";
import { chromiumLaunchOptions, findChromium } from "../src/browser/chromium.ts";
import type { Order, ShopEvent } from "../src/contracts/shop.ts";

let shop: Shop;
let browser: Browser;

beforeAll(async () => {
  const catalog = await loadCatalog("builtin", 42);
  const variants = variantsFromData(
    {
      variants: {
        control: {},
        friction: { cookie_consent: true, promo_banner: true, checkout: "multi_step" },
        more: { results_paging: "load_more" },
      },
    },
    "browser-test-variants",
  );
  shop = await createShop({ catalog, variants });
  await shop.listen(0);
  browser = await chromium.launch(chromiumLaunchOptions(findChromium(process.env.SHOPSIM_CHROMIUM)));
});

afterAll(async () => {
  await browser?.close();
  await shop?.close();
});

async function events(sid: string): Promise<ShopEvent[]> {
  const res = await fetch(`${shop.url}/api/events?session=${sid}`);
  return ((await res.json()) as { events: ShopEvent[] }).events;
}

/** A product with two option dimensions, found the way a shopper would: by its type. */
function target(): Product {
  const p = shop.catalog.products.find(
    (x) => x.options.length >= 2 && x.options.every((o) => o.values.every((v) => v.available)),
  );
  if (!p) throw new Error("the built-in catalog has no product with two fully available options");
  return p;
}

describe("a real Chromium shops the sandbox", () => {
  it("searches, opens a product, picks options, adds to cart, checks out and orders; the event log shows that funnel", async () => {
    const product = target();
    const sid = "browser-funnel-1";
    const context = await browser.newContext({
      extraHTTPHeaders: { "x-shopsim-session": sid, "x-shopsim-variant": "control" },
    });
    const page = await context.newPage();
    try {
      await page.goto(`${shop.url}/`);
      await page.getByRole("searchbox", { name: "Search products" }).fill(product.title);
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await page.waitForURL(/\/search\?/);
      await expect(page.locator("h1").textContent()).resolves.toMatch(/results for/);

      await page.getByRole("link", { name: product.title, exact: true }).first().click();
      await page.waitForURL(new RegExp(`/product/${product.id}`));
      await expect(page.locator("#product-title").textContent()).resolves.toBe(product.title);

      const chosen: Record<string, string> = {};
      for (const option of product.options) {
        const value = option.values.at(-1)!.value;
        chosen[option.name] = value;
        await page
          .getByRole("radiogroup", { name: option.name })
          .getByRole("radio", { name: new RegExp(`^${escapeRe(value)}`) })
          .click();
        await page.waitForURL(new RegExp(`${encodeURIComponent(option.name).replace(/%20/g, "(\\+|%20)")}=`));
      }
      await page.getByLabel("Quantity").selectOption("2");
      await page.getByRole("button", { name: "Add to cart" }).click();
      await page.waitForURL(/\/cart$/);
      await expect(page.locator(".subtotal").textContent()).resolves.toContain("2 items");

      await page.getByRole("link", { name: "Proceed to checkout" }).click();
      await page.waitForURL(/\/checkout$/);
      await page.getByLabel("Full name").fill("Grace Hopper");
      await page.getByLabel("Email").fill("grace@example.com");
      await page.getByLabel("Street address").fill("1 Compiler Court");
      await page.getByLabel("City").fill("Arlington");
      await page.getByLabel("State").selectOption("VA");
      await page.getByLabel("ZIP code").fill("2220");
      await page.getByRole("button", { name: "Place your order" }).click();
      // The server rejects the 4-digit ZIP and keeps what was typed.
      await expect(page.getByRole("alert").textContent()).resolves.toContain("Enter a 5-digit ZIP code");
      await expect(page.getByLabel("Full name").inputValue()).resolves.toBe("Grace Hopper");
      await page.getByLabel("ZIP code").fill("22201");
      await page.getByLabel(/Expedited shipping/).check();
      await page.getByRole("button", { name: "Place your order" }).click();
      await page.waitForURL(/\/order\/O\d+$/);
      await expect(page.locator("h1").textContent()).resolves.toContain("your order has been placed");

      const kinds = (await events(sid)).map((e) => `${e.method} ${e.page}`);
      const optionViews = product.options.map(() => "GET product");
      expect(kinds).toEqual([
        "GET home",
        "GET search",
        "GET product",
        ...optionViews,
        "POST cart",
        "GET cart",
        "GET checkout",
        "POST checkout",
        "POST order",
        "GET order",
      ]);
      const log = await events(sid);
      const add = log.find((e) => e.cart)!;
      expect(add.cart).toMatchObject({ action: "add", product_id: product.id, options: chosen, quantity: 2 });
      const placed = log.find((e) => e.order)!.order as Order;
      expect(placed.items).toMatchObject([{ product_id: product.id, options: chosen, quantity: 2 }]);
      expect(placed.shipping_method).toBe("expedited");
      expect(log.find((e) => e.page === "search")!.product_ids).toContain(product.id);
    } finally {
      await context.close();
    }
  });

  it("works through cookie consent, a promo banner and the multi-step checkout with only cookies", async () => {
    const product = shop.catalog.products.find((p) => p.options.length === 0)!;
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${shop.url}/product/${product.id}?variant=friction`);
      const dialog = page.getByRole("dialog", { name: "We value your privacy" });
      await expect(dialog.isVisible()).resolves.toBe(true);
      // The dialog blocks the page, as real consent walls do.
      await expect(
        page.getByRole("button", { name: "Add to cart" }).click({ timeout: 1500 }),
      ).rejects.toThrow();
      await dialog.getByRole("button", { name: "Accept all cookies" }).click();
      await expect(dialog.count()).resolves.toBe(0);
      await page.getByRole("button", { name: "Dismiss promotion" }).click();
      await page.getByRole("button", { name: "Buy now" }).click();
      await page.waitForURL(/\/checkout$/);
      await page.getByLabel("Full name").fill("Alan Turing");
      await page.getByLabel("Email").fill("alan@example.com");
      await page.getByLabel("Street address").fill("2 Bletchley Row");
      await page.getByLabel("City").fill("Boston");
      await page.getByLabel("State").selectOption("MA");
      await page.getByLabel("ZIP code").fill("02115");
      await page.getByRole("button", { name: "Continue to shipping" }).click();
      await page.getByLabel(/Next-day delivery/).check();
      await page.getByRole("button", { name: "Continue to review" }).click();
      await page.getByRole("button", { name: "Place your order" }).click();
      await page.waitForURL(/\/order\/O\d+$/);
      const sid = (await context.cookies()).find((c) => c.name === "shopsim_sid")!.value;
      const log = await events(sid);
      expect(log.every((e) => e.variant === "friction")).toBe(true);
      expect(log.map((e) => e.page)).toEqual([
        "product",
        "consent",
        "product",
        "consent",
        "product",
        "checkout",
        "checkout",
        "checkout",
        "checkout_shipping",
        "checkout_shipping",
        "checkout_review",
        "order",
        "order",
      ]);
    } finally {
      await context.close();
    }
  });

  it("appends the next results in place with 'Load more', and a reload or going back shows what was loaded", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${shop.url}/search?q=shirt&variant=more`);
      const cards = page.locator(".search-results .results > li");
      expect(await cards.count()).toBe(12);
      // A mark on the document: it survives only if the list grows without a new page.
      await page.evaluate(() => Object.assign(globalThis, { sameDocument: true }));
      await page.getByRole("link", { name: "Load more" }).click();
      await expect.poll(() => cards.count()).toBe(24);
      await expect(
        page.evaluate(() => (globalThis as { sameDocument?: boolean }).sameDocument),
      ).resolves.toBe(true);
      expect(new URL(page.url()).searchParams.get("page")).toBe("2");
      const ids = () => cards.evaluateAll((els) => els.map((el) => el.getAttribute("data-product-id")));
      const shown = await ids();
      await page.reload();
      await expect(ids()).resolves.toEqual(shown);
      await page.goBack();
      await expect.poll(() => cards.count()).toBe(12);
    } finally {
      await context.close();
    }
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
