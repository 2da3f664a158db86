import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../sandbox-shop/catalog/index.ts";
import { type Catalog, unitPrice } from "../sandbox-shop/catalog/types.ts";
import { AddressSchema } from "../sandbox-shop/checkout.ts";
import { scorePurchase } from "../sandbox-shop/goals.ts";
import { loadVariantsFile } from "../sandbox-shop/variants.ts";
import { loadYamlFile } from "../src/config/files.ts";
import { InputError } from "../src/contracts/errors.ts";
import {
  type Persona,
  PersonaFileSchema,
  type Scenario,
  ScenarioFileSchema,
  ScenarioSchema,
  TEST_CARD,
} from "../src/contracts/scenario.ts";
import { ROOT } from "./helpers/datasets.ts";

const yamlFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join(ROOT, dir, f));

const tmpFile = (name: string, text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "shopsim-files-")), name);
  writeFileSync(file, text);
  return file;
};

describe("shipped persona files", () => {
  const personas: { file: string; persona: Persona }[] = [];
  beforeAll(async () => {
    for (const file of yamlFiles("personas")) {
      for (const persona of (await loadYamlFile(file, PersonaFileSchema)).personas)
        personas.push({ file, persona });
    }
  });

  it("all parse, and there are at least 30 with unique ids", () => {
    expect(personas.length).toBeGreaterThanOrEqual(30);
    const ids = personas.map((p) => p.persona.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("are varied: ages, every income band, several households and genders", () => {
    const ages = personas.map((p) => p.persona.demographics.age);
    expect(Math.min(...ages)).toBeLessThan(25);
    expect(Math.max(...ages)).toBeGreaterThan(70);
    const d = personas.map((p) => p.persona.demographics);
    expect(new Set(d.map((x) => x.income_band)).size).toBe(5);
    expect(new Set(d.map((x) => x.household)).size).toBeGreaterThanOrEqual(6);
    expect(new Set(d.map((x) => x.gender))).toEqual(new Set(["woman", "man", "non-binary"]));
    expect(new Set(d.map((x) => x.location.state)).size).toBeGreaterThanOrEqual(20);
  });

  it("every shipping address passes the shop's checkout form", () => {
    for (const { file, persona } of personas) {
      const result = AddressSchema.safeParse(persona.shipping_address);
      expect(result.success, `${file}: ${persona.id} ${JSON.stringify(result.error?.issues)}`).toBe(true);
    }
  });
});

describe("shipped scenario files", () => {
  let catalog: Catalog;
  const scenarios: { file: string; scenario: Scenario }[] = [];
  beforeAll(async () => {
    catalog = await loadCatalog("builtin", 42); // what `shopsim shop` serves by default
    for (const file of yamlFiles("scenarios")) {
      for (const scenario of (await loadYamlFile(file, ScenarioFileSchema)).scenarios)
        scenarios.push({ file, scenario });
    }
  });

  it("all parse: at least 30, at least 8 open-ended browsing intents, unique ids", () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
    const browse = scenarios.filter((s) => s.scenario.kind === "browse");
    expect(browse.length).toBeGreaterThanOrEqual(8);
    for (const { scenario } of browse) expect(scenario.goal.target?.product_id).toBeUndefined();
    const ids = scenarios.map((s) => s.scenario.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("every targeted scenario names a built-in product and scores 1.0 when it is bought as asked", () => {
    const byId = new Map(catalog.products.map((p) => [p.id, p]));
    const targeted = scenarios.filter((s) => s.scenario.kind === "targeted");
    expect(targeted.length).toBeGreaterThanOrEqual(22);
    for (const { file, scenario } of targeted) {
      const target = scenario.goal.target!;
      const product = byId.get(target.product_id ?? "");
      expect(product, `${file}: ${scenario.id}`).toBeDefined();
      const selection = target.options;
      const score = scorePurchase(target, {
        product: product!,
        selection,
        unit_price: unitPrice(product!, selection),
      });
      expect(score.score, `${file}: ${scenario.id} ${JSON.stringify(score)}`).toBe(1);
    }
  });

  it("the example variants file loads", async () => {
    const v = await loadVariantsFile(join(ROOT, "examples/variants.yaml"));
    expect(v.names()).toEqual(["control", "lean", "friction"]);
  });
});

describe("ScenarioSchema kind", () => {
  const goal = { instruction: "find gel pens", target: { product_type: "gel pens" } };

  it("defaults to targeted with a target and browse without one", () => {
    expect(ScenarioSchema.parse({ id: "a", goal }).kind).toBe("targeted");
    expect(ScenarioSchema.parse({ id: "b", goal: { instruction: "look around" } }).kind).toBe("browse");
    expect(ScenarioSchema.parse({ id: "c", kind: "browse", goal }).kind).toBe("browse");
  });

  it("rejects a targeted scenario without target and a browse scenario with a product_id", () => {
    const noTarget = ScenarioSchema.safeParse({ id: "a", kind: "targeted", goal: { instruction: "x" } });
    expect(noTarget.error?.issues[0]?.path).toEqual(["goal", "target"]);
    const withProduct = ScenarioSchema.safeParse({
      id: "b",
      kind: "browse",
      goal: { instruction: "x", target: { product_id: "P1" } },
    });
    expect(withProduct.error?.issues[0]?.path).toEqual(["goal", "target", "product_id"]);
  });
});

describe("loadYamlFile", () => {
  it("names the file and field path of a schema error", async () => {
    const file = tmpFile("personas.yaml", "personas:\n  - id: Bad Id\n    name: x\n    description: y\n");
    const error = await loadYamlFile(file, PersonaFileSchema).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(file);
    expect((error as InputError).message).toContain("personas.0.id");
  });

  it("names nested persona fields, duplicate ids and bad addresses", async () => {
    const { personas } = await loadYamlFile(join(ROOT, "personas/default.yaml"), PersonaFileSchema);
    const base = personas[0]!;
    const bad = {
      personas: [
        {
          ...base,
          demographics: { ...base.demographics, location: { city: "Nowhere", state: "XX", zip: "1234" } },
        },
        { ...base, shipping_address: { ...base.shipping_address, email: "not-an-email" } },
        { ...base, id: "c", payment_card: { number: "4242 4242 4242 4241", expiry: "13/30", cvc: "12" } },
      ],
    };
    const file = tmpFile("personas.json", JSON.stringify(bad));
    const message = await loadYamlFile(file, PersonaFileSchema).catch((e: InputError) => e.message);
    expect(message).toContain(file);
    expect(message).toContain("personas.0.demographics.location.state");
    expect(message).toContain("personas.0.demographics.location.zip");
    expect(message).toContain("personas.1.shipping_address.email");
    expect(message).toContain(
      "personas.2.payment_card.number: expected a card number of 12 to 19 digits that passes the Luhn check",
    );
    expect(message).toContain("personas.2.payment_card.expiry: expected an expiry date as MM/YY");
    expect(message).toContain("personas.2.payment_card.cvc: expected a security code of 3 or 4 digits");

    const dup = tmpFile("dup.json", JSON.stringify({ personas: [base, base] }));
    const dupMessage = await loadYamlFile(dup, PersonaFileSchema).catch((e: InputError) => e.message);
    expect(dupMessage).toContain(`personas.1.id: duplicate id "${base.id}"`);
  });

  it("fills trait defaults of a minimal persona", async () => {
    const { personas } = await loadYamlFile(join(ROOT, "personas/default.yaml"), PersonaFileSchema);
    const { style: _s, big_five: _b, ...minimal } = personas[0]!;
    const file = tmpFile("min.json", JSON.stringify({ personas: [minimal] }));
    const parsed = (await loadYamlFile(file, PersonaFileSchema)).personas[0]!;
    expect(parsed.style.patience).toBe(0.5);
    expect(parsed.big_five.neuroticism).toBe(0.5);
    expect(parsed.payment_card).toEqual(TEST_CARD);
  });

  it("names the file of a missing file", async () => {
    const error = await loadYamlFile("/nonexistent/personas.yaml", PersonaFileSchema).catch(
      (e: unknown) => e,
    );
    expect((error as InputError).message).toContain("/nonexistent/personas.yaml: cannot read file (ENOENT)");
  });
});
