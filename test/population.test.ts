import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../sandbox-shop/catalog/index.ts";
import { type Catalog, unitPrice } from "../sandbox-shop/catalog/types.ts";
import { loadWebShopCatalog } from "../sandbox-shop/catalog/webshop.ts";
import { AddressSchema } from "../sandbox-shop/checkout.ts";
import { scorePurchase } from "../sandbox-shop/goals.ts";
import { generateScenarios, scenariosFromWebShopInstructions } from "../sandbox-shop/scenarios.ts";
import { InputError } from "../src/contracts/errors.ts";
import { type Persona, PersonaSchema, ScenarioSchema } from "../src/contracts/scenario.ts";
import { US_LOCATIONS } from "../src/population/locations.ts";
import {
  type DistributionsInput,
  generatePersonas,
  loadDistributionsFile,
  resolveDistributions,
} from "../src/population/personas.ts";
import { dataset } from "./helpers/datasets.ts";

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const tmpFile = (name: string, text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "shopsim-population-")), name);
  writeFileSync(file, text);
  return file;
};

describe("generatePersonas", () => {
  const population = generatePersonas({ n: 400, seed: 11 });

  it("is deterministic for a seed, and a smaller N is a prefix of a larger one", () => {
    expect(generatePersonas({ n: 400, seed: 11 })).toEqual(population);
    expect(generatePersonas({ n: 25, seed: 11 })).toEqual(population.slice(0, 25));
  });

  it("gives different personas for different seeds", () => {
    const other = generatePersonas({ n: 400, seed: 12 });
    expect(other.map((p) => p.name)).not.toEqual(population.map((p) => p.name));
    expect(other.map((p) => p.demographics.age)).not.toEqual(population.map((p) => p.demographics.age));
  });

  it("respects N", () => {
    expect(generatePersonas({ n: 0, seed: 1 })).toEqual([]);
    expect(generatePersonas({ n: 1, seed: 1 })).toHaveLength(1);
    expect(population).toHaveLength(400);
    expect(new Set(population.map((p) => p.id)).size).toBe(400);
    expect(() => generatePersonas({ n: -1, seed: 1 })).toThrow(InputError);
    expect(() => generatePersonas({ n: 2.5, seed: 1 })).toThrow(InputError);
  });

  it("produces valid personas with consistent, checkout-ready addresses", () => {
    const known = new Set(US_LOCATIONS.map((l) => `${l.city}|${l.state}|${l.zip}`));
    for (const p of population) {
      expect(PersonaSchema.parse(p)).toEqual(p);
      const address = AddressSchema.safeParse(p.shipping_address);
      expect(address.success, `${p.id}: ${JSON.stringify(address.error?.issues)}`).toBe(true);
      const { city, state, zip } = p.demographics.location;
      expect(known.has(`${city}|${state}|${zip}`), `${p.id}: ${city}, ${state} ${zip}`).toBe(true);
      expect(p.shipping_address).toMatchObject({ city, state, zip });
      const area = US_LOCATIONS.find((l) => l.zip === zip)!.area_code;
      expect(p.shipping_address.phone).toMatch(new RegExp(`^\\(${area}\\) 555-01\\d\\d$`));
      expect(p.description).toContain(p.name.split(" ")[0]!);
      expect(p.description).toContain(`${city}, ${state}`);
      expect(p.description).not.toMatch(/undefined|NaN|\$\{/);
    }
  });

  it("follows the default distributions and their documented rules", () => {
    const ages = population.map((p) => p.demographics.age);
    expect(mean(ages)).toBeGreaterThan(40);
    expect(mean(ages)).toBeLessThan(55);
    const households = new Set(population.map((p) => p.demographics.household));
    expect(households.size).toBe(8);
    for (const p of population) {
      const d = p.demographics;
      if (d.household.startsWith("retired")) expect(d.age).toBeGreaterThanOrEqual(62);
      if (d.household === "roommates") expect(d.age).toBeLessThanOrEqual(35);
      if (d.age < 23) expect(["<25k", "25-50k"]).toContain(d.income_band);
    }
    // Segment shifts: low incomes are more price-sensitive than high ones, seniors read more.
    const price = (pred: (p: Persona) => boolean) =>
      mean(population.filter(pred).map((p) => p.style.price_sensitivity));
    expect(price((p) => p.demographics.income_band === "<25k")).toBeGreaterThan(
      price((p) => p.demographics.income_band === ">200k") + 0.25,
    );
    const reading = (pred: (p: Persona) => boolean) =>
      mean(population.filter(pred).map((p) => p.style.reading_depth));
    expect(reading((p) => p.demographics.age >= 65)).toBeGreaterThan(
      reading((p) => p.demographics.age < 30) + 0.1,
    );
    const openness = population.map((p) => p.big_five.openness);
    expect(mean(openness)).toBeGreaterThan(0.45);
    expect(mean(openness)).toBeLessThan(0.55);
  });

  it("applies distribution overrides measurably", () => {
    const distributions: DistributionsInput = {
      age_bands: [{ min: 65, max: 90, weight: 1 }],
      style: { impulsiveness: { mean: 0.9, sd: 0.05 } },
      genders: { woman: 1, man: 0, "non-binary": 0 },
      locations: [{ city: "Fargo", state: "ND", zip: "58103", area_code: "701" }],
    };
    const seniors = generatePersonas({ n: 300, seed: 11, distributions });
    expect(mean(seniors.map((p) => p.demographics.age))).toBeGreaterThan(70);
    expect(Math.min(...seniors.map((p) => p.demographics.age))).toBe(65);
    // the default is ~0.5; the senior segment shifts -0.12, so ~0.78 here
    expect(mean(seniors.map((p) => p.style.impulsiveness))).toBeGreaterThan(0.7);
    expect(new Set(seniors.map((p) => p.demographics.gender))).toEqual(new Set(["woman"]));
    expect(new Set(seniors.map((p) => p.shipping_address.city))).toEqual(new Set(["Fargo"]));
    // Untouched keys keep their defaults.
    expect(mean(seniors.map((p) => p.style.patience))).toBeGreaterThan(0.5);
  });

  it("can replace the segment shifts", () => {
    const flat = generatePersonas({ n: 300, seed: 5, distributions: { segments: [] } });
    const low = flat.filter((p) => p.demographics.income_band === "<25k");
    const high = flat.filter((p) => p.demographics.income_band === ">200k");
    const gap =
      mean(low.map((p) => p.style.price_sensitivity)) - mean(high.map((p) => p.style.price_sensitivity));
    expect(Math.abs(gap)).toBeLessThan(0.15);
  });
});

describe("distributions files", () => {
  it("load and take effect", async () => {
    const file = tmpFile(
      "young.yaml",
      "age_bands:\n  - { min: 18, max: 22, weight: 1 }\nincome_bands: { '<25k': 0, '25-50k': 1 }\n",
    );
    const distributions = await loadDistributionsFile(file);
    const young = generatePersonas({ n: 50, seed: 3, distributions });
    expect(Math.max(...young.map((p) => p.demographics.age))).toBeLessThanOrEqual(22);
    expect(new Set(young.map((p) => p.demographics.income_band))).toEqual(new Set(["25-50k"]));
  });

  it("an empty file means the defaults", async () => {
    const distributions = await loadDistributionsFile(tmpFile("empty.yaml", ""));
    expect(generatePersonas({ n: 5, seed: 3, distributions })).toEqual(generatePersonas({ n: 5, seed: 3 }));
  });

  it("errors name the file and the field", async () => {
    const cases: [string, string][] = [
      ["age_bands:\n  - { min: 10, max: 20, weight: 1 }\n", "age_bands.0.min"],
      ["age_bands:\n  - { min: 40, max: 30, weight: 1 }\n", "age_bands.0.max: expected min ≤ max"],
      ["style:\n  patience: { mean: 1.4, sd: 0.1 }\n", "style.patience.mean"],
      [
        "big_five:\n  grumpiness: { mean: 0.5, sd: 0.1 }\n",
        `big_five: unknown Big Five trait "grumpiness"; expected one of openness`,
      ],
      ["households:\n  commune: { weight: 1 }\n", `households: unknown household "commune"`],
      ["locations:\n  - { city: Springfield, state: ZZ, zip: '62704' }\n", "locations.0.state"],
      ["colours: 3\n", "colours"],
      ["income_bands: { '<25k': 0, '25-50k': 0, '50-100k': 0, '100-200k': 0, '>200k': 0 }\n", "income_bands"],
      ["households:\n  single: { weight: 1, min_age: 50, max_age: 40 }\n", "households.single"],
    ];
    for (const [text, field] of cases) {
      const file = tmpFile("dist.yaml", text);
      const error = await loadDistributionsFile(file).catch((e: unknown) => e);
      expect(error, text).toBeInstanceOf(InputError);
      expect((error as InputError).message, text).toContain(file);
      expect((error as InputError).message, text).toContain(field);
    }
  });

  it("in-code overrides are checked too", () => {
    expect(() => resolveDistributions({ genders: { woman: -1 } })).toThrow(/distributions: genders\.woman/);
  });
});

describe("generateScenarios", () => {
  let catalog: Catalog;
  beforeAll(async () => {
    catalog = await loadCatalog("builtin", 42);
  });

  it("mixes targeted goals and browse intents in the requested share, deterministically", () => {
    const a = generateScenarios({ catalog, n: 40, seed: 9, browseShare: 0.3 });
    expect(a).toHaveLength(40);
    expect(a.filter((s) => s.kind === "browse")).toHaveLength(12);
    expect(generateScenarios({ catalog, n: 40, seed: 9, browseShare: 0.3 })).toEqual(a);
    const b = generateScenarios({ catalog, n: 40, seed: 10, browseShare: 0.3 });
    expect(b.map((s) => s.goal.instruction)).not.toEqual(a.map((s) => s.goal.instruction));
    expect(new Set(a.map((s) => s.id)).size).toBe(40);
    for (const s of a) expect(ScenarioSchema.parse(s)).toEqual(s);
    expect(generateScenarios({ catalog, n: 10, seed: 1 }).filter((s) => s.kind === "browse")).toHaveLength(3);
    expect(generateScenarios({ catalog, n: 0, seed: 1 })).toEqual([]);
  });

  it("targeted scenarios score 1 when bought; browse intents have no target and name a catalog shelf", () => {
    const byId = new Map(catalog.products.map((p) => [p.id, p]));
    const types = [...new Set(catalog.products.map((p) => p.product_type))];
    const categories = catalog.categories.map((c) => c.name);
    for (const s of generateScenarios({ catalog, n: 60, seed: 4, browseShare: 0.5 })) {
      if (s.kind === "targeted") {
        const target = s.goal.target!;
        const product = byId.get(target.product_id!)!;
        const purchase = {
          product,
          selection: target.options,
          unit_price: unitPrice(product, target.options),
        };
        expect(scorePurchase(target, purchase).score, s.id).toBe(1);
      } else {
        expect(s.goal.target).toBeUndefined();
        const text = s.goal.instruction;
        expect(types.some((t) => text.includes(t)) || categories.some((c) => text.includes(c)), text).toBe(
          true,
        );
      }
    }
  });

  it("rejects bad options", () => {
    expect(() => generateScenarios({ catalog, n: 5, seed: 1, browseShare: 1.5 })).toThrow(InputError);
    expect(() => generateScenarios({ catalog, n: -2, seed: 1 })).toThrow(InputError);
  });
});

describe("scenariosFromWebShopInstructions (real WebShop data)", () => {
  it("turns the 415 templated instructions into targeted scenarios that score 1 on their product", async () => {
    const products = dataset("webshop-1k/products_1000.jsonl");
    const attributes = dataset("webshop-1k/items_ins_v2_1000.json");
    const catalog = await loadWebShopCatalog(products, { attributesPath: attributes });
    const scenarios = scenariosFromWebShopInstructions(attributes, catalog);
    expect(scenarios).toHaveLength(415);
    expect(new Set(scenarios.map((s) => s.id)).size).toBe(415);
    const byId = new Map(catalog.products.map((p) => [p.id, p]));
    for (const s of scenarios) {
      expect(s.kind).toBe("targeted");
      const product = byId.get(s.goal.target?.product_id ?? "");
      expect(product, s.id).toBeDefined();
      const score = scorePurchase(s.goal.target!, {
        product: product!,
        selection: {},
        unit_price: unitPrice(product!, {}),
      });
      expect(score.score, s.id).toBe(1);
    }
  });

  it("names the attributes file when its products are not in the catalog", async () => {
    const attributes = dataset("webshop-1k/items_ins_v2_1000.json");
    const builtin = await loadCatalog("builtin:50", 1);
    expect(() => scenariosFromWebShopInstructions(attributes, builtin)).toThrow(
      new RegExp(`^${attributes.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: instruction for product`),
    );
  });
});
