import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../sandbox-shop/catalog/index.ts";
import { createShop, type Shop } from "../sandbox-shop/server.ts";
import { BrowserPool } from "../src/browser/index.ts";
import { loadYamlFile } from "../src/config/files.ts";
import {
  type Persona,
  PersonaFileSchema,
  PersonaSchema,
  type Scenario,
  ScenarioFileSchema,
  type ShoppingStyle,
} from "../src/contracts/scenario.ts";
import type { SessionRecord } from "../src/contracts/trajectory.ts";
import type { Job } from "../src/queue/types.ts";
import { ROOT } from "./helpers/datasets.ts";
import { runHeuristicFleet } from "./helpers/heuristic-fleet.ts";

/**
 * Two shoppers that differ only in their style traits (the same shipped persona otherwise: same
 * address, same demographics) shop the same targeted goals with the same seeds on the built-in
 * shop, in real Chromium. How the heuristic shopper (src/policy/heuristic/shopper.ts) uses the traits
 * that matter here:
 *
 * - price_sensitivity > 0.7 sorts the results from low to high price (cheap, weaker matches come
 *   first), and favours cheaper results and options without a surcharge;
 * - patience and exploration cap the products opened (2 + 5·patience + 3·exploration: 10 for the
 *   careful shopper, 6 for a typical one, 2 for the hasty one), the result pages (1 + 3·patience)
 *   and the searches (1 + 2·patience) tried before giving up;
 * - impulsiveness > 0.6 buys with "Buy now" rather than through the cart;
 * - patience < 0.3 with price_sensitivity < 0.5 pays for faster delivery, else the cheapest.
 *
 * On these goals the top result of the first search fits, so a shopper that does not sort by price
 * buys it at once; the careful shopper's price sort sends it through cheaper, weaker matches, which
 * its patience lets it page through and open (rejecting those over budget or off target) before it
 * buys something cheaper or gives up. reading_depth and the impulsiveness-dependent match bar make
 * no measurable difference on these goals, so nothing below depends on them.
 */
const CAREFUL: ShoppingStyle = {
  patience: 0.95,
  exploration: 0.95,
  price_sensitivity: 0.9,
  reading_depth: 0.95,
  impulsiveness: 0.05,
  brand_loyalty: 0.5,
};
const HASTY: ShoppingStyle = {
  patience: 0.05,
  exploration: 0.05,
  price_sensitivity: 0.1,
  reading_depth: 0.05,
  impulsiveness: 0.95,
  brand_loyalty: 0.5,
};

/**
 * Goals from scenarios/builtin-goals.yaml (generated from the built-in catalog with seed 42), a mix
 * for the careful shopper: one it buys at the first match like the hasty one (02), ones it buys after
 * opening several products (04, 09), ones it gives up on after paging through price-sorted results
 * (03, 05), and one it explores until the step limit (10). The hasty shopper buys in all of them.
 */
const SCENARIO_IDS = ["goal-02", "goal-03", "goal-04", "goal-05", "goal-09", "goal-10"];
const SEEDS = [11, 22];
const MAX_STEPS = 30;

let shop: Shop;
let pool: BrowserPool;

beforeAll(async () => {
  shop = await createShop({ catalog: await loadCatalog("builtin", 42), seed: 42 });
  await shop.listen(0);
  pool = new BrowserPool({ size: 2 });
});

afterAll(async () => {
  await pool?.close();
  await shop?.close();
});

interface Metrics {
  sessions: number;
  meanSteps: number;
  /** Distinct product pages (by product id) the shopper looked at. */
  meanProducts: number;
  maxProducts: number;
  /** Distinct search result pages (query, sort and page number) the shopper looked at. */
  meanResultPages: number;
  purchaseRate: number;
  /** Unit price of what was bought over the goal's price limit, over purchases. */
  meanPriceToLimit: number | null;
  /** Share of sessions that sorted results by price. */
  sortedByPrice: number;
  /** Shares of purchases made with "Buy now", and with paid faster delivery. */
  boughtNow: number | null;
  fastDelivery: number | null;
  errors: number;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function metrics(records: readonly SessionRecord[]): Metrics {
  const purchases = records.filter((r) => r.status === "purchased");
  const products = records.map(
    (r) =>
      new Set(r.steps.map((s) => /\/product\/([^/?#]+)/.exec(new URL(s.url).pathname)?.[1]).filter(Boolean))
        .size,
  );
  const resultPages = records.map(
    (r) => new Set(r.steps.filter((s) => new URL(s.url).pathname === "/search").map((s) => s.url)).size,
  );
  const ratios = purchases.flatMap((r) => {
    const limit = r.scenario.goal.target?.max_price;
    return limit ? r.outcome.orders.flatMap((o) => o.items.map((i) => i.unit_price / limit)) : [];
  });
  const share = (rs: readonly SessionRecord[], test: (r: SessionRecord) => boolean) =>
    rs.length === 0 ? null : rs.filter(test).length / rs.length;
  return {
    sessions: records.length,
    meanSteps: mean(records.map((r) => r.steps.length)),
    meanProducts: mean(products),
    maxProducts: Math.max(...products),
    meanResultPages: mean(resultPages),
    purchaseRate: purchases.length / records.length,
    meanPriceToLimit: ratios.length > 0 ? mean(ratios) : null,
    sortedByPrice:
      share(records, (r) =>
        r.steps.some(
          (s) => s.action?.type === "select" && /sort/.test(s.action.name) && /price/i.test(s.action.value),
        ),
      ) ?? 0,
    boughtNow: share(purchases, (r) =>
      r.steps.some((s) => s.action?.type === "click" && /buy_now$/.test(s.action.name)),
    ),
    fastDelivery: share(purchases, (r) => r.outcome.orders.every((o) => o.shipping_method !== "standard")),
    errors: records.filter((r) => r.status === "error").length,
  };
}

describe("the heuristic shopper's persona traits", () => {
  it("make a patient, exploring, price-sensitive shopper behave measurably differently from an impatient, impulsive one", {
    timeout: 300_000,
  }, async () => {
    const { personas } = await loadYamlFile(join(ROOT, "personas/default.yaml"), PersonaFileSchema);
    const base = personas[0]!;
    const withStyle = (id: string, style: ShoppingStyle): Persona =>
      PersonaSchema.parse({ ...base, id, name: `${base.name} (${id})`, style });
    const careful = withStyle("careful", CAREFUL);
    const hasty = withStyle("hasty", HASTY);

    const { scenarios: shipped } = await loadYamlFile(
      join(ROOT, "scenarios/builtin-goals.yaml"),
      ScenarioFileSchema,
    );
    const scenarios: Scenario[] = SCENARIO_IDS.map((id) => {
      const s = shipped.find((x) => x.id === id);
      if (!s) throw new Error(`scenarios/builtin-goals.yaml has no ${id}`);
      return s;
    });
    for (const s of scenarios) expect(s.goal.target?.max_price).toBeGreaterThan(0);

    // Every (scenario, seed) pair once per persona: the persona's style is the only difference.
    const jobs: Job[] = [];
    for (const persona of [careful, hasty])
      for (const scenario of scenarios)
        for (const seed of SEEDS)
          jobs.push({
            job_id: `${persona.id}-${scenario.id}-${seed}`,
            persona_id: persona.id,
            scenario_id: scenario.id,
            variant: null,
            replica: 0,
            seed,
          });

    const started = Date.now();
    const sessions = await runHeuristicFleet({
      runId: "personas",
      shop,
      pool,
      jobs,
      personas: [careful, hasty],
      scenarios,
      maxSteps: MAX_STEPS,
      concurrency: 3,
    });
    expect(sessions).toHaveLength(jobs.length);

    const c = metrics(sessions.filter((s) => s.persona.id === careful.id));
    const h = metrics(sessions.filter((s) => s.persona.id === hasty.id));
    process.stderr.write(
      `persona behaviour, ${jobs.length} sessions in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
        `  careful ${JSON.stringify(c)}\n  hasty   ${JSON.stringify(h)}\n`,
    );

    expect(c.sessions).toBe(SCENARIO_IDS.length * SEEDS.length);
    expect(h.sessions).toBe(SCENARIO_IDS.length * SEEDS.length);
    expect(c.errors + h.errors).toBe(0);

    // Price sensitivity: the careful shopper sorts by price, and pays a smaller share of its budget.
    expect(c.sortedByPrice).toBeGreaterThanOrEqual(0.9);
    expect(h.sortedByPrice).toBe(0);
    expect(c.meanPriceToLimit).not.toBeNull();
    expect(h.meanPriceToLimit).not.toBeNull();
    expect(c.meanPriceToLimit!).toBeLessThanOrEqual(h.meanPriceToLimit! - 0.1);

    // Patience and exploration on top of that: the careful shopper looks at more result pages,
    // opens more products (in some session more than a typical shopper's cap of 6; the hasty one
    // never more than its cap of 2) and takes more steps.
    expect(c.meanResultPages).toBeGreaterThanOrEqual(h.meanResultPages + 1.5);
    expect(c.meanProducts).toBeGreaterThanOrEqual(h.meanProducts + 1);
    expect(c.maxProducts).toBeGreaterThanOrEqual(7);
    expect(h.maxProducts).toBeLessThanOrEqual(2);
    expect(c.meanSteps).toBeGreaterThanOrEqual(h.meanSteps + 2.5);

    // The hasty shopper takes the first fitting result, so it buys more often.
    expect(h.purchaseRate).toBeGreaterThanOrEqual(c.purchaseRate + 0.2);

    // Impulsiveness: "Buy now" instead of the cart; impatience without price sensitivity: paid
    // faster delivery. The careful shopper does neither.
    expect(h.boughtNow).toBeGreaterThanOrEqual(0.9);
    expect(c.boughtNow).toBe(0);
    expect(h.fastDelivery).toBeGreaterThanOrEqual(0.9);
    expect(c.fastDelivery).toBe(0);
  });
});
