import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadCatalog } from "../sandbox-shop/catalog/index.ts";
import { scenariosFromWebShopInstructions } from "../sandbox-shop/scenarios.ts";
import { readRun } from "../src/trajectory/run-dir.ts";
import { dataset, ROOT } from "./helpers/datasets.ts";

describe("the heuristic shopper on the real WebShop catalog", () => {
  it("buys a product for most WebShop goals", { timeout: 600_000 }, async () => {
    const products = dataset("webshop-1k/products_1000.jsonl");
    const catalog = await loadCatalog(`webshop:${products}`, 42);
    const scenarios = scenariosFromWebShopInstructions(dataset("webshop-1k/items_ins_v2_1000.json"), catalog);
    expect(scenarios).toHaveLength(415);
    const dir = mkdtempSync(join(tmpdir(), "shopsim-webshop-"));
    const file = join(dir, "webshop.yaml");
    writeFileSync(file, stringify({ scenarios }));
    const out = join(dir, "run");
    const res = spawnSync(
      process.execPath,
      [
        join(ROOT, "src/cli/main.ts"),
        "run",
        "--catalog",
        `webshop:${products}`,
        "--scenarios",
        file,
        "--sessions",
        "20",
        "--concurrency",
        "4",
        "--seed",
        "42",
        "--out",
        out,
      ],
      { encoding: "utf8", timeout: 540_000, env: { ...process.env, SHOPSIM_LOG_LEVEL: "error" } },
    );
    expect(res.status, res.stderr).toBe(0);
    const { sessions } = await readRun(out);
    const purchased = sessions.filter((s) => s.status === "purchased");
    const scores = purchased.map((s) => s.outcome.goal_score ?? 0);
    const mean = scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length);
    process.stderr.write(
      `webshop: ${purchased.length}/20 sessions bought, mean goal score of purchases ${mean.toFixed(3)}\n`,
    );
    expect(sessions.filter((s) => s.status === "error")).toEqual([]);
    expect(purchased.length).toBeGreaterThan(10);
    expect(mean).toBeGreaterThan(0.5);
  });
});
