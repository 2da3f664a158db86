import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadCatalog } from "../sandbox-shop/catalog/index.ts";
import type { Catalog } from "../sandbox-shop/catalog/types.ts";
import { matchesOptionValue, scorePurchase } from "../sandbox-shop/goals.ts";
import { scenariosFromWebShopInstructions } from "../sandbox-shop/scenarios.ts";
import { loadPersonas, SHIPPED_PERSONAS } from "../src/config/population.ts";
import { AbReportSchema } from "../src/contracts/ab-report.ts";
import { TEST_CARD, US_STATES } from "../src/contracts/scenario.ts";
import type { SessionRecord } from "../src/contracts/trajectory.ts";
import { planFor } from "../src/policy/heuristic/plan.ts";
import { readRun } from "../src/trajectory/run-dir.ts";
import { shopsimAsync } from "./helpers/cli.ts";
import { dataset } from "./helpers/datasets.ts";
import { type StorefrontShop, startStorefrontShop } from "./helpers/storefront-shop.ts";
import { startWebShopStyleShop, type WebShopStyleShop } from "./helpers/webshop-style-shop.ts";

/**
 * `shopsim run --shop URL` on a shop shopsim did not write: WebShop's page structure (cards in divs,
 * product links that read an ASIN, "Next >" buttons, options as radio inputs, description and
 * features on pages of their own, "Buy Now" and no cart), selling the 1,000 real WebShop products,
 * with no shopsim API. The built-in shopper has only the simplified pages to go on, and purchases are
 * counted by the confirmation page's URL (`--purchase-url`).
 */
const SESSIONS = 20;

describe("shopsim run on a shop with WebShop's markup and no shopsim API", () => {
  let catalog: Catalog;
  let shop: WebShopStyleShop;
  let sessions: SessionRecord[];
  let stdout: string;

  beforeAll(async () => {
    const products = dataset("webshop-1k/products_1000.jsonl");
    catalog = await loadCatalog(`webshop:${products}`, 42);
    const scenarios = scenariosFromWebShopInstructions(dataset("webshop-1k/items_ins_v2_1000.json"), catalog);
    shop = await startWebShopStyleShop(catalog);
    const dir = mkdtempSync(join(tmpdir(), "shopsim-foreign-"));
    const file = join(dir, "webshop.yaml");
    writeFileSync(file, stringify({ scenarios }));
    const out = join(dir, "run");
    // Asynchronous: the shop answers from this process while the run goes on.
    stdout = await shopsimAsync([
      "run",
      "--shop",
      shop.url,
      "--purchase-url",
      "/done/\\d+$",
      "--scenarios",
      file,
      "--sessions",
      String(SESSIONS),
      "--concurrency",
      "4",
      "--seed",
      "42",
      "--out",
      out,
    ]);
    sessions = (await readRun(out)).sessions;
  }, 600_000);

  afterAll(async () => {
    await shop?.close();
  });

  it("records every session, none failed", () => {
    expect(sessions).toHaveLength(SESSIONS);
    expect(sessions.filter((s) => s.status === "error")).toEqual([]);
    // No shopsim API: nothing was read from the shop's records.
    for (const s of sessions) expect(s.outcome).toEqual({ orders: [], goal_score: null, events: null });
  });

  it("buys in a good share of sessions, and a purchase is exactly a session the shop took an order from", () => {
    const purchased = sessions.filter((s) => s.status === "purchased");
    const bought = new Set(shop.orders.map((o) => o.session));
    expect(new Set(purchased.map((s) => s.session_id))).toEqual(bought);
    expect(shop.orders).toHaveLength(bought.size);
    for (const s of purchased) {
      expect(s.reason).toMatch(/\/done\/\d+, a page that confirms an order/);
      const last = s.steps.at(-1)!;
      expect(last.action).toMatchObject({ type: "click", name: "buy_now" });
    }
    process.stderr.write(`webshop-style shop: ${purchased.length}/${SESSIONS} sessions bought\n`);
    // Before the built-in shopper read cards and "Buy Now", it bought nothing here.
    expect(purchased.length).toBeGreaterThanOrEqual(9);
    expect(stdout).toContain(`purchased ${purchased.length}`);
  });

  it("buys products that fit the goal", () => {
    const byId = new Map(catalog.products.map((p) => [p.id, p]));
    const scores = shop.orders.map((o) => {
      const s = sessions.find((x) => x.session_id === o.session)!;
      const product = byId.get(o.product_id)!;
      return scorePurchase(s.scenario.goal.target!, {
        product,
        selection: o.options,
        unit_price: o.price,
      }).score;
    });
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    process.stderr.write(`webshop-style shop: mean goal score of purchases ${mean.toFixed(3)}\n`);
    expect(mean).toBeGreaterThan(0.5);
    // Every option a bought product has was chosen on its page.
    for (const o of shop.orders) {
      const product = byId.get(o.product_id)!;
      expect(Object.keys(o.options).sort()).toEqual(product.options.map((x) => x.name).sort());
    }
  });

  it("acts only on names that were on the page, and says what it saw in words, not ASINs", () => {
    for (const s of sessions) {
      for (const step of s.steps) {
        const a = step.action;
        if (a && "name" in a) expect(step.observation).toContain(`name="${a.name}"`);
        if (a?.type === "click" && /^b0[0-9a-z]{8}$/.test(a.name)) {
          // The link reads the ASIN; the rationale names the product by the title beside it.
          expect(step.rationale).toMatch(/^“.{12,}” matches \d+%/);
          expect(step.rationale).not.toContain(a.name.toUpperCase());
        }
      }
    }
  });

  it("pages with 'Next >', and reads description and features pages", () => {
    const steps = sessions.flatMap((s) => s.steps);
    const clicked = (rx: RegExp) =>
      steps.filter((st) => st.action?.type === "click" && rx.test(st.action.name)).length;
    expect(clicked(/(^|\.)next$/)).toBeGreaterThan(0);
    expect(clicked(/^(description|features)$/)).toBeGreaterThan(0);
    // Reading a details page is followed by going back to the product.
    for (const s of sessions) {
      s.steps.forEach((st, i) => {
        if (st.action?.type === "click" && /^(description|features)$/.test(st.action.name)) {
          const next = s.steps[i + 1];
          if (next) expect(next.action).toEqual({ type: "back" });
        }
      });
    }
    // Many WebShop products have an empty description: that tab does not use up what a shopper
    // reads, so the features tab is opened next.
    const emptyThenFeatures = sessions.filter((s) =>
      s.steps.some(
        (st, i) =>
          /^The description of “.+” says nothing the product page did not/.test(st.rationale) &&
          s.steps[i + 1]?.action?.type === "click" &&
          (s.steps[i + 1]!.action as { name: string }).name === "features",
      ),
    );
    expect(emptyThenFeatures.length).toBeGreaterThan(0);
  });
  it("goes back to the search page to search again when nothing fits, and leaves when no search helps", async () => {
    // A patient shopper (it pages and searches as long as any persona would) after a thing the
    // catalog does not sell; the results page has no search box, only "Back to Search".
    const [first] = [...(await loadPersonas(SHIPPED_PERSONAS)).values()];
    const persona = { ...first!, style: { ...first!.style, patience: 1, exploration: 0 } };
    const dir = mkdtempSync(join(tmpdir(), "shopsim-foreign-research-"));
    writeFileSync(join(dir, "personas.yaml"), stringify({ personas: [persona] }));
    const goal = {
      instruction: "Find me unicycle saddles with titanium rails for trials riding",
      target: { product_type: "unicycle saddles", attributes: ["titanium rails"], options: {} },
    };
    writeFileSync(join(dir, "scenarios.yaml"), stringify({ scenarios: [{ id: "unicycle", goal }] }));
    const out = join(dir, "run");
    const common = ["--purchase-url", "/done/\\d+$", "--seed", "3", "--out", out];
    await shopsimAsync([
      "run",
      "--shop",
      shop.url,
      "--personas",
      join(dir, "personas.yaml"),
      "--scenarios",
      join(dir, "scenarios.yaml"),
      ...common,
    ]);
    const [session] = (await readRun(out)).sessions;
    expect(session!.status).toBe("terminated");
    const searches = session!.steps.flatMap((st, i) => (st.action?.type === "type_and_submit" ? [i] : []));
    expect(searches.length).toBeGreaterThan(1);
    for (const i of searches.slice(1)) {
      // Each later search is typed on the search page that "Back to Search" led to.
      const back = session!.steps.slice(0, i).findLast((st) => st.action?.type === "click");
      expect(back?.action).toEqual({ type: "click", name: "back_to_search" });
      expect(new URL(session!.steps[i]!.url).pathname).toBe("/");
    }
    const texts = searches.map((i) => (session!.steps[i]!.action as { text: string }).text);
    expect(new Set(texts).size).toBe(texts.length);
    expect(session!.steps.at(-1)!.rationale).toMatch(
      /^I have tried every search I can think of.*I leave without buying\.$/,
    );
  });
});

describe("shopsim ab across two deployments of a shop with no shopsim API", () => {
  it("counts conversions by the confirmation page's URL in each arm", { timeout: 600_000 }, async () => {
    const catalog = await loadCatalog(`webshop:${dataset("webshop-1k/products_1000.jsonl")}`, 42);
    const scenarios = scenariosFromWebShopInstructions(dataset("webshop-1k/items_ins_v2_1000.json"), catalog);
    const dir = mkdtempSync(join(tmpdir(), "shopsim-foreign-ab-"));
    const file = join(dir, "webshop.yaml");
    writeFileSync(file, stringify({ scenarios }));
    const [a, b] = [await startWebShopStyleShop(catalog), await startWebShopStyleShop(catalog)];
    try {
      const out = join(dir, "ab");
      // A/A: the same shop twice. Exit code 0 whatever the verdict (no --exit-code).
      await shopsimAsync([
        "ab",
        "--arm-url",
        `control=${a!.url}`,
        "--arm-url",
        `copy=${b!.url}`,
        "--purchase-url",
        "/done/\\d+$",
        "--scenarios",
        file,
        "--sessions-per-arm",
        "6",
        "--seed",
        "42",
        "--concurrency",
        "4",
        "--out",
        out,
      ]);
      const report = AbReportSchema.parse(JSON.parse(readFileSync(join(out, "report.json"), "utf8")));
      const [control, copy] = report.arms;
      for (const [arm, shop] of [
        [control!, a!],
        [copy!, b!],
      ] as const) {
        const orders = new Set(shop.orders.map((o) => o.session)).size;
        expect(orders).toBeGreaterThan(0);
        expect(arm.by_status.purchased ?? 0).toBe(orders);
        const conversion = arm.metrics.find((m) => m.metric === "conversion");
        expect(conversion?.value).toBeCloseTo(orders / arm.sessions);
      }
      // The same shoppers on the same site: the same sessions convert.
      expect(control!.by_status).toEqual(copy!.by_status);
    } finally {
      await a!.close();
      await b!.close();
    }
  });
});

/**
 * The same on a shop laid out like a hosted storefront's theme: cards whose whole card is the link,
 * icon-only buttons, an option as a drop-down list, a cart page, and a three-step checkout that asks
 * for first and last name apart, a country, a shipping method, and a card checked as a gateway's test
 * mode does. The shipped personas and scenarios, on the built-in catalog's products.
 */
describe("shopsim run on a storefront-style shop with a three-step checkout and card payment", () => {
  let shop: StorefrontShop;
  let sessions: SessionRecord[];
  const N = 12;

  /** The same run on the same shop navigating by script (fetch, swap, pushState): a single-page app. */
  let clientSide: SessionRecord[];
  let clientShop: StorefrontShop;

  const runOn = async (url: string, args: string[] = []): Promise<SessionRecord[]> => {
    const out = join(mkdtempSync(join(tmpdir(), "shopsim-storefront-")), "run");
    await shopsimAsync([
      "run",
      "--shop",
      url,
      "--purchase-url",
      "/orders/\\d+/thank-you$",
      "--sessions",
      String(N),
      "--concurrency",
      "3",
      "--seed",
      "42",
      "--out",
      out,
      ...args,
    ]);
    return (await readRun(out)).sessions;
  };

  beforeAll(async () => {
    const catalog = await loadCatalog("builtin", 42);
    shop = await startStorefrontShop(catalog);
    clientShop = await startStorefrontShop(catalog, { clientSide: true });
    sessions = await runOn(shop.url);
    clientSide = await runOn(clientShop.url);
  }, 900_000);

  afterAll(async () => {
    await shop?.close();
    await clientShop?.close();
  });

  it("checks out through every step and pays, in most sessions", () => {
    expect(sessions).toHaveLength(N);
    expect(sessions.filter((s) => s.status === "error")).toEqual([]);
    const purchased = sessions.filter((s) => s.status === "purchased");
    process.stderr.write(`storefront-style shop: ${purchased.length}/${N} sessions bought\n`);
    expect(purchased.length).toBeGreaterThanOrEqual(Math.ceil(N / 2));
    expect(new Set(purchased.map((s) => s.session_id))).toEqual(new Set(shop.orders.map((o) => o.session)));
    for (const s of purchased) {
      const visited = s.steps.map((st) => new URL(st.url).pathname);
      expect(visited).toEqual(expect.arrayContaining(["/cart", "/checkout/shipping", "/checkout/payment"]));
      const typed = Object.fromEntries(
        s.steps.flatMap((st) => (st.action?.type === "type" ? [[st.action.name, st.action.text]] : [])),
      );
      expect(Object.values(typed)).toContain(TEST_CARD.number);
      // Past the sign-in step as a guest, and the terms agreed to at payment.
      const rationales = s.steps.map((st) => st.rationale);
      expect(rationales).toContain(
        "I have no account with this shop, so I check out as a guest (“Continue as guest”).",
      );
      expect(rationales).toContain(
        "The checkout asks me to agree to its terms before it takes the order; I tick the box.",
      );
    }
    // Nobody signed up for marketing on the way: the opt-in beside the email was left alone.
    for (const order of shop.orders) expect(order.address.marketing).toBe("");
  });

  it("fills the address as the persona's, split into first and last name, with country and state chosen", async () => {
    const personas = await loadPersonas(SHIPPED_PERSONAS);
    expect(shop.orders.length).toBeGreaterThan(0);
    for (const order of shop.orders) {
      const s = sessions.find((x) => x.session_id === order.session)!;
      const a = personas.get(s.persona.id)!.shipping_address;
      expect(`${order.address.first_name} ${order.address.last_name}`).toBe(a.full_name);
      expect(order.address).toMatchObject({
        email: a.email,
        address1: a.address1,
        city: a.city,
        province: US_STATES[a.state as keyof typeof US_STATES],
        zip: a.zip,
        country: "United States",
      });
    }
  });

  it("chooses the goal's options from drop-down lists and pills", () => {
    const selects = sessions.flatMap((s) =>
      s.steps.filter((st) => st.action?.type === "select" && /product_form/.test(st.action.name)),
    );
    expect(selects.length).toBeGreaterThan(0);
    let checked = 0;
    for (const order of shop.orders) {
      const s = sessions.find((x) => x.session_id === order.session)!;
      const wanted = s.scenario.goal.target?.options ?? {};
      for (const line of order.lines)
        for (const [name, value] of Object.entries(wanted)) {
          if (!(name in line.options)) continue;
          expect(
            matchesOptionValue(line.options[name]!, value),
            `${name}: ${line.options[name]} vs ${value}`,
          ).toBe(true);
          checked++;
        }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("opens the search dialog behind the header's magnifier icon before it searches", () => {
    for (const s of sessions) {
      if (planFor(s.scenario.goal).queries.length === 0) {
        // Nothing in particular to look for: no search; the home page's "Shop all" is where to look.
        expect(s.steps.some((st) => st.action?.type === "type_and_submit")).toBe(false);
        expect(s.steps[0]?.rationale).toMatch(
          /I have nothing in particular in mind, so I look around “Shop all”/,
        );
        continue;
      }
      const [open, search] = s.steps;
      expect(open?.rationale).toMatch(/^I start by opening the search \(“Search”\)/);
      expect(open?.action).toEqual({ type: "click", name: expect.stringMatching(/search/) });
      expect(search?.action).toMatchObject({ type: "type_and_submit", text: expect.any(String) });
      // Closed, the dialog's box was not on the page; open, it was.
      expect(open?.observation).not.toMatch(/<input[^>]*type="search"/);
      expect(search?.observation).toMatch(/<input[^>]*type="search"/);
    }
  });

  it("never opens the cart or other header links as if they were products", () => {
    for (const s of sessions)
      for (const st of s.steps)
        if (st.action?.type === "click" && /matches \d+%/.test(st.rationale))
          expect(st.action.name).not.toMatch(/cart|search|policy/);
  });

  it("shops a single-page app exactly as it shops the same site made of pages", () => {
    // Same seed, same site, navigation by script: every step waits for what the page fetches, so
    // the shopper sees the same pages and does the same things, back and forth included.
    const actions = (list: SessionRecord[]) =>
      list
        .map((s) => ({
          who: `${s.persona.id} ${s.scenario.id} ${s.replica}`,
          status: s.status,
          steps: s.steps.map((st) => [new URL(st.url).pathname, st.action]),
        }))
        .sort((a, b) => a.who.localeCompare(b.who));
    expect(clientSide.flatMap((s) => s.steps).filter((st) => !st.result.ok)).toEqual([]);
    expect(actions(clientSide)).toEqual(actions(sessions));
    const bought = (orders: StorefrontShop["orders"]) => orders.map((o) => JSON.stringify(o.lines)).sort();
    expect(bought(clientShop.orders)).toEqual(bought(shop.orders));
    expect(sessions.flatMap((s) => s.steps).some((st) => st.action?.type === "back")).toBe(true);
  });

  it("checks out from the drawer that 'Add to cart' opens over the product page, without adding again", async () => {
    const catalog = await loadCatalog("builtin", 42);
    const drawerShop = await startStorefrontShop(catalog, { cartDrawer: true });
    try {
      const run = await runOn(drawerShop.url, ["--sessions", "6"]);
      let drawers = 0;
      for (const s of run) {
        s.steps.forEach((step, i) => {
          if (!/I add it to the cart\.$/.test(step.rationale)) return;
          const next = s.steps[i + 1];
          if (!next) return;
          drawers++;
          expect(next.observation).toMatch(/<div role="dialog"><h2>Item added to your cart<\/h2>/);
          expect(next.rationale).toMatch(
            /^My cart holds what I chose \(Subtotal \$[\d.]+\), so I proceed to checkout\.$/,
          );
          expect(next.action).toMatchObject({ type: "click", name: expect.stringMatching(/check_out$/) });
        });
      }
      expect(drawers).toBeGreaterThan(0);
      expect(drawerShop.orders.length).toBeGreaterThan(0);
      for (const order of drawerShop.orders) expect(order.lines).toHaveLength(1);
    } finally {
      await drawerShop.close();
    }
  });

  it("pays with each persona's own card, and leaves when the gateway declines it", async () => {
    // Stripe's test cards: 5555 5555 5555 4444 is accepted, 4000 0000 0000 0002 is declined.
    const accepted = { number: "5555 5555 5555 4444", expiry: "04/29", cvc: "321" };
    const declined = { number: "4000 0000 0000 0002", expiry: "09/31", cvc: "456" };
    const personas = [...(await loadPersonas(SHIPPED_PERSONAS)).values()].map((p, i) => ({
      ...p,
      payment_card: i % 2 === 0 ? accepted : declined,
    }));
    const file = join(mkdtempSync(join(tmpdir(), "shopsim-cards-")), "personas.yaml");
    writeFileSync(file, stringify({ personas }));
    const before = shop.orders.length;
    const run = await runOn(shop.url, ["--personas", file, "--sessions", "10", "--seed", "9"]);
    const card = new Map(personas.map((p) => [p.id, p.payment_card]));
    const paying = run.filter((s) =>
      s.steps.some((st) => st.action?.type === "type" && /number/.test(st.action.name)),
    );
    const orders = shop.orders.slice(before);
    let seen = { accepted: 0, declined: 0 };
    for (const s of paying) {
      const own = card.get(s.persona.id)!;
      const typed = s.steps.flatMap((st) => (st.action?.type === "type" ? [st.action.text] : []));
      expect(typed).toEqual(expect.arrayContaining([own.number, own.expiry, own.cvc]));
      if (own === declined) {
        seen = { ...seen, declined: seen.declined + 1 };
        expect(s.status).toBe("terminated");
        expect(s.steps.at(-1)?.rationale).toBe(
          "The shop did not take my card (“Your card was declined.”), so I leave without buying.",
        );
        expect(orders.map((o) => o.session)).not.toContain(s.session_id);
      } else {
        seen = { ...seen, accepted: seen.accepted + 1 };
        expect(s.status).toBe("purchased");
        expect(orders.map((o) => o.session)).toContain(s.session_id);
      }
    }
    expect(seen.accepted).toBeGreaterThan(0);
    expect(seen.declined).toBeGreaterThan(0);
  });
});
