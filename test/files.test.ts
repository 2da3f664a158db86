import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateBuiltinCatalog } from "../sandbox-shop/catalog/builtin.ts";
import { unitPrice } from "../sandbox-shop/catalog/types.ts";
import { scorePurchase } from "../sandbox-shop/goals.ts";
import { loadVariantsFile } from "../sandbox-shop/variants.ts";
import { loadYamlFile } from "../src/config/files.ts";
import { InputError } from "../src/contracts/errors.ts";
import { PersonaFileSchema, ScenarioFileSchema } from "../src/contracts/scenario.ts";
import { ROOT } from "./helpers/datasets.ts";

const yamlFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join(ROOT, dir, f));

describe("shipped files", () => {
  it("every persona file parses", async () => {
    const files = yamlFiles("personas");
    expect(files.length).toBeGreaterThan(0);
    for (const f of files)
      expect((await loadYamlFile(f, PersonaFileSchema)).personas.length).toBeGreaterThan(0);
  });

  it("every scenario file parses, and built-in goals are reachable in the built-in catalog", async () => {
    const catalog = generateBuiltinCatalog({ seed: 42, count: 2000 });
    const byId = new Map(catalog.products.map((p) => [p.id, p]));
    for (const f of yamlFiles("scenarios")) {
      const { scenarios } = await loadYamlFile(f, ScenarioFileSchema);
      for (const s of scenarios) {
        const target = s.goal.target;
        if (!target?.product_id) continue;
        const product = byId.get(target.product_id);
        expect(product, `${f}: ${s.id}`).toBeDefined();
        const selection = target.options;
        const score = scorePurchase(target, {
          product: product!,
          selection,
          unit_price: unitPrice(product!, selection),
        });
        expect(score.score, `${f}: ${s.id}`).toBe(1);
      }
    }
  });

  it("the example variants file loads", async () => {
    const v = await loadVariantsFile(join(ROOT, "examples/variants.yaml"));
    expect(v.names()).toEqual(["control", "lean", "friction"]);
  });
});

describe("loadYamlFile", () => {
  it("names the file and field path of a schema error", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "shopsim-files-")), "personas.yaml");
    writeFileSync(file, "personas:\n  - id: Bad Id\n    name: x\n    description: y\n");
    const error = await loadYamlFile(file, PersonaFileSchema).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(file);
    expect((error as InputError).message).toContain("personas.0.id");
  });

  it("names the file of a missing file", async () => {
    const error = await loadYamlFile("/nonexistent/personas.yaml", PersonaFileSchema).catch(
      (e: unknown) => e,
    );
    expect((error as InputError).message).toContain("/nonexistent/personas.yaml: cannot read file (ENOENT)");
  });
});
