import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../sandbox-shop/catalog/index.ts";
import type { Catalog } from "../sandbox-shop/catalog/types.ts";
import { createShop, type Shop } from "../sandbox-shop/server.ts";
import { BrowserPool } from "../src/browser/index.ts";
import { loadYamlFile } from "../src/config/files.ts";
import { PersonaFileSchema, type Scenario, ScenarioFileSchema } from "../src/contracts/scenario.ts";
import type { SessionRecord } from "../src/contracts/trajectory.ts";
import type { Job } from "../src/queue/types.ts";
import { ROOT } from "./helpers/datasets.ts";
import { runHeuristicFleet } from "./helpers/heuristic-fleet.ts";

/**
 * The built-in shopper on the shipped open-ended intents (scenarios/browse-intents.yaml), in real
 * Chromium on the built-in shop: it buys only the kinds of product an intent names, opens a
 * department the shop's menu has instead of searching for it, compares before choosing when told
 * to, and buys nothing when window-shopping.
 */
const IDS = [
  "browse-window-shopping-audio",
  "browse-dog-things",
  "browse-self-care-treat",
  "browse-first-apartment",
  "browse-home-office",
];
const PERSONAS = ["early-adopter", "careful-researcher", "single-dad"];

let shop: Shop;
let pool: BrowserPool;
let catalog: Catalog;
let sessions: SessionRecord[];

beforeAll(async () => {
  catalog = await loadCatalog("builtin", 42);
  shop = await createShop({ catalog, seed: 42 });
  await shop.listen(0);
  pool = new BrowserPool({ size: 2 });
  const personas = [];
  for (const file of ["personas/default.yaml", "personas/examples.yaml"])
    personas.push(...(await loadYamlFile(join(ROOT, file), PersonaFileSchema)).personas);
  const { scenarios } = await loadYamlFile(join(ROOT, "scenarios/browse-intents.yaml"), ScenarioFileSchema);
  const chosen: Scenario[] = IDS.map((id) => scenarios.find((s) => s.id === id)!);
  const jobs: Job[] = chosen.flatMap((scenario) =>
    PERSONAS.map((persona, k) => ({
      job_id: `${persona}-${scenario.id}`,
      persona_id: persona,
      scenario_id: scenario.id,
      variant: null,
      replica: 0,
      seed: 100 + k,
    })),
  );
  sessions = await runHeuristicFleet({
    runId: "browse",
    shop,
    pool,
    jobs,
    personas,
    scenarios: chosen,
    maxSteps: 40,
    concurrency: 3,
  });
}, 300_000);

afterAll(async () => {
  await pool?.close();
  await shop?.close();
});

const of = (id: string) => sessions.filter((s) => s.scenario.id === id);

/** The catalog's products whose pages the session opened, in order. */
function productsViewed(s: SessionRecord) {
  const ids = s.steps.map((st) => /\/product\/([^/?#]+)/.exec(new URL(st.url).pathname)?.[1]).filter(Boolean);
  return [...new Set(ids)].map((id) => catalog.products.find((p) => p.id === id)!);
}

const GO_BACK = /^Of the \d products I compared, I like “/;

const bought = (s: SessionRecord) => s.outcome.orders.flatMap((o) => o.items);

describe("the built-in shopper on open-ended intents", () => {
  it("records every session without error", () => {
    expect(sessions).toHaveLength(IDS.length * PERSONAS.length);
    expect(sessions.filter((s) => s.status === "error")).toEqual([]);
  });

  it("window-shopping: compares a few headphones or earbuds and buys nothing", () => {
    for (const s of of("browse-window-shopping-audio")) {
      expect(s.status).toBe("terminated");
      expect(bought(s)).toEqual([]);
      expect(
        s.steps.some((st) => st.action?.type === "click" && /add_to_cart|buy_now/.test(st.action.name)),
      ).toBe(false);
      const viewed = productsViewed(s);
      expect(viewed.length).toBeGreaterThanOrEqual(2);
      for (const p of viewed) expect(p.title).toMatch(/headphones|earbuds/i);
      const last = s.steps.at(-1)!;
      expect(last.action).toEqual({ type: "terminate" });
      expect(last.rationale).toMatch(/^I have compared \d products, as many as I wanted to: “/);
      expect(last.rationale).toMatch(/I came only to look, so I leave without buying\.$/);
    }
  });

  it("buys only a kind of product the intent names: a dog chew toy or bed; a serum, moisturizer or hair dryer", () => {
    const dog = of("browse-dog-things");
    const care = of("browse-self-care-treat");
    expect(dog.filter((s) => s.status === "purchased").length).toBeGreaterThanOrEqual(2);
    expect(care.filter((s) => s.status === "purchased").length).toBeGreaterThanOrEqual(2);
    for (const s of dog) {
      for (const item of bought(s)) {
        expect(item.title).toMatch(/chew toy|\bbed\b/i);
        expect(item.unit_price).toBeLessThanOrEqual(40);
      }
      // Searched as the intent puts it: for the dog.
      const queries = s.steps.flatMap((st) =>
        st.action?.type === "type_and_submit" ? [st.action.text] : [],
      );
      expect(queries[0]).toBe("dog chew toy");
    }
    for (const s of care)
      for (const item of bought(s)) expect(item.title).toMatch(/serum|moisturizer|hair dryer/i);
  });

  it("opens the department the shop's menu has rather than searching for it", () => {
    for (const s of of("browse-first-apartment")) {
      expect(s.steps[0]!.action).toEqual({ type: "click", name: "categories.furniture" });
      expect(s.steps[0]!.rationale).toContain("“Furniture” department");
      for (const p of productsViewed(s)) expect(p.category).toBe("furniture");
      for (const item of bought(s)) expect(item.unit_price).toBeLessThanOrEqual(150);
    }
  });

  it("asked for the one item that would help most, compares contenders and goes back to the best", () => {
    const compared = of("browse-home-office").filter((s) => s.status === "purchased");
    expect(compared.length).toBeGreaterThanOrEqual(2);
    for (const s of compared) {
      const [item] = bought(s);
      expect(item!.title).toMatch(/keyboard|mouse|webcam|organizer/i);
      expect(productsViewed(s).length).toBeGreaterThanOrEqual(2);
      // It buys the best of those it compared: at once when that is the last one it opened, else after
      // going back to it.
      const buy = s.steps.find(
        (st) => st.action?.type === "click" && /add_to_cart|buy_now/.test(st.action.name),
      )!;
      const n = Number(/the best of the (\d+) I compared/.exec(buy.rationale)?.[1]);
      expect(n).toBeGreaterThanOrEqual(2);
      for (const st of s.steps.filter((x) => GO_BACK.test(x.rationale)))
        expect(st.rationale).toContain(`“${item!.title}”`);
    }
    // In some session the best was not the last one opened: it went back for it.
    expect(compared.some((s) => s.steps.some((st) => GO_BACK.test(st.rationale)))).toBe(true);
  });
});
