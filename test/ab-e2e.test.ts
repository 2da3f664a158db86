import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as cheerio from "cheerio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalog } from "../sandbox-shop/catalog/index.ts";
import { createShop, type Shop } from "../sandbox-shop/server.ts";
import { BUILTIN_VARIANTS, DEFAULT_FLAGS, VariantSet, variantsFromData } from "../sandbox-shop/variants.ts";
import { readDesign } from "../src/ab/store.ts";
import { readYamlFile } from "../src/config/files.ts";
import { type AbReport, AbReportSchema } from "../src/contracts/ab-report.ts";
import { ExperimentSchema } from "../src/contracts/experiment.ts";
import { readRun } from "../src/trajectory/run-dir.ts";
import { ROOT } from "./helpers/datasets.ts";
import { dropPrefix, sharedRedis, uniquePrefix } from "./helpers/redis.ts";

/**
 * `shopsim ab` end to end: real Chromium, the real sandbox shop (built in, or two shop processes as
 * deployments), the heuristic shopper, both queue backends. The shops of the deployment test run in
 * this process, so the CLI is spawned asynchronously.
 */

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function shopsim(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "src/cli/main.ts"), ...args], {
      env: { ...process.env, SHOPSIM_LOG_LEVEL: "error" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const readReport = (dir: string): AbReport =>
  AbReportSchema.parse(JSON.parse(readFileSync(join(dir, "report.json"), "utf8")));

const base = mkdtempSync(join(tmpdir(), "shopsim-ab-"));
/** The multi-step checkout experiment, shared by the tests that look at it from other angles. */
const SEED = "3";
const UNITS = "6";
let variantRun: { dir: string; result: Result } | null = null;

async function multiStepCheckoutOnBuiltinShop(): Promise<{ dir: string; result: Result }> {
  if (variantRun) return variantRun;
  const dir = join(base, "multi-step");
  const result = await shopsim(
    "ab",
    "--arms",
    "control,multi_step_checkout",
    "--sessions-per-arm",
    UNITS,
    "--seed",
    SEED,
    "--primary",
    "steps_to_purchase",
    "--concurrency",
    "2",
    "--exit-code",
    "--out",
    dir,
  );
  variantRun = { dir, result };
  return variantRun;
}

describe("shopsim ab on the built-in shop", () => {
  it("detects that a multi-step checkout makes purchases take more steps, and says don't ship", {
    timeout: 240_000,
  }, async () => {
    const { dir, result } = await multiStepCheckoutOnBuiltinShop();
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.status).toBe(3); // --exit-code: don't ship
    const report = readReport(dir);
    expect(report.decision.verdict).toBe("dont_ship");
    expect(report.decision.arm).toBe("multi_step_checkout");
    const cmp = report.comparisons[0];
    if (!cmp) throw new Error("no comparison");
    const primary = cmp.metrics.find((m) => m.role === "primary");
    expect(primary?.metric).toBe("steps_to_purchase");
    // Two more pages (shipping method, review) for every purchase.
    expect(primary?.diff).toBeGreaterThan(1);
    expect(primary?.outcome).toBe("worse");
    expect(primary?.p_value).toBeLessThan(0.05);
    // The shopper still buys: conversion does not move.
    const conversion = cmp.metrics.find((m) => m.metric === "conversion");
    expect(conversion?.diff ?? 0).toBeCloseTo(0);
    // The funnel reached checkout in both arms, from the shop's own events.
    for (const arm of report.arms) {
      expect(arm.sessions).toBe(Number(UNITS));
      expect(arm.funnel.find((f) => f.stage === "checkout")?.sessions).toBeGreaterThan(0);
      expect(arm.metrics.find((m) => m.metric === "searches")?.source).toBe("server");
    }
    expect(result.stdout).toContain("DONT SHIP (multi_step_checkout)");

    // Paired: each unit ran in both arms with the same persona, scenario and seed.
    const design = await readDesign(dir);
    const { sessions } = await readRun(join(dir, "run"));
    expect(sessions).toHaveLength(2 * Number(UNITS));
    const byUnit = new Map<string, { persona: string; scenario: string; seed: number; arm: string }[]>();
    for (const a of design.assignments) {
      const rec = sessions.find((s) => s.session_id === `${design.run_id}-${a.job_id}`);
      if (!rec) throw new Error(`no record for ${a.job_id}`);
      expect(rec.variant).toBe(a.arm);
      byUnit.set(a.unit, [
        ...(byUnit.get(a.unit) ?? []),
        { persona: rec.persona.id, scenario: rec.scenario.id, seed: rec.seed, arm: a.arm },
      ]);
    }
    for (const runs of byUnit.values()) {
      expect(runs.map((r) => r.arm).sort()).toEqual(["control", "multi_step_checkout"]);
      expect(new Set(runs.map((r) => `${r.persona}|${r.scenario}|${r.seed}`)).size).toBe(1);
    }
    // The treatment's orders went through the shop's multi-step checkout.
    const events = readFileSync(join(dir, "run", "events.jsonl"), "utf8");
    expect(events).toContain('"page":"checkout_shipping"');

    // Markdown and HTML with plots.
    expect(readFileSync(join(dir, "report.md"), "utf8")).toContain("Steps to purchase");
    const $ = cheerio.load(readFileSync(join(dir, "report.html"), "utf8"));
    expect($("svg").length).toBeGreaterThanOrEqual(3);
    expect($("script").length).toBe(0);
  });

  it("analyses an experiment again with other settings, without running it", {
    timeout: 240_000,
  }, async () => {
    const dir = join(base, "reanalysed");
    cpSync((await multiStepCheckoutOnBuiltinShop()).dir, dir, { recursive: true });
    const res = await shopsim(
      "ab",
      "analyze",
      dir,
      "--primary",
      "conversion",
      "--guardrails",
      "",
      "--exit-code",
    );
    expect(res.stderr).toBe("");
    expect(res.status).toBe(4); // inconclusive: conversion did not move
    const report = readReport(dir);
    expect(report.experiment.primary).toBe("conversion");
    expect(report.experiment.guardrails).toEqual([]);
    expect(report.decision.verdict).toBe("inconclusive");
    expect(report.comparisons[0]?.metrics[0]?.test).toBe("mcnemar-exact");
  });

  it("A/A: the same site in both arms gives no difference on any metric", { timeout: 240_000 }, async () => {
    const dir = join(base, "aa");
    const res = await shopsim(
      "ab",
      "--arms",
      "control,aa=control",
      "--sessions-per-arm",
      "4",
      "--seed",
      "11",
      "--concurrency",
      "2",
      "--exit-code",
      "--out",
      dir,
    );
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.status).toBe(4);
    const report = readReport(dir);
    expect(report.decision.verdict).toBe("inconclusive");
    for (const m of report.comparisons[0]?.metrics ?? []) {
      expect(m.outcome).toBe("no_difference");
      if (m.metric !== "time_to_purchase") expect(m.diff ?? 0).toBeCloseTo(0, 9);
    }
  });
});

describe("shopsim ab against deployments", () => {
  const shops: Shop[] = [];
  afterAll(async () => {
    for (const s of shops) await s.close();
  });

  it("gives the same report for two shop processes as for the built-in shop's variants", {
    timeout: 300_000,
  }, async () => {
    const catalog = await loadCatalog("builtin", Number(SEED));
    const urls: string[] = [];
    for (const [name, flags] of [
      ["control", DEFAULT_FLAGS],
      ["multi_step_checkout", { ...DEFAULT_FLAGS, ...BUILTIN_VARIANTS.multi_step_checkout }],
    ] as const) {
      const shop = await createShop({
        catalog,
        variants: VariantSet.single(flags),
        eventsPath: join(base, `${name}-events.jsonl`),
        seed: Number(SEED),
      });
      shops.push(shop);
      urls.push(await shop.listen(0));
    }
    const dir = join(base, "deployments");
    const res = await shopsim(
      "ab",
      "--arm-url",
      `control=${urls[0]}`,
      "--arm-url",
      `multi_step_checkout=${urls[1]}`,
      "--sessions-per-arm",
      UNITS,
      "--seed",
      SEED,
      "--primary",
      "steps_to_purchase",
      "--concurrency",
      "2",
      "--out",
      dir,
    );
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.status).toBe(0);
    const viaUrls = readReport(dir);
    const viaVariants = readReport((await multiStepCheckoutOnBuiltinShop()).dir);
    expect(viaUrls.experiment.arms.map((a) => a.source)).toEqual([
      `deployment ${urls[0]}`,
      `deployment ${urls[1]}`,
    ]);
    // Everything but wall-clock time is the same.
    const strip = (r: AbReport) => ({
      decision: r.decision.verdict,
      arms: r.arms.map((a) => ({
        arm: a.arm,
        sessions: a.sessions,
        by_status: a.by_status,
        funnel: a.funnel,
        metrics: a.metrics.filter((m) => m.metric !== "time_to_purchase"),
      })),
      metrics: r.comparisons[0]?.metrics.filter((m) => m.metric !== "time_to_purchase"),
      segments: r.comparisons[0]?.segments,
    });
    expect(strip(viaUrls)).toEqual(strip(viaVariants));
  });
});

describe("shopsim ab on a BullMQ fleet", () => {
  let redisUrl = "";
  const prefix = uniquePrefix("ab");
  beforeAll(async () => {
    redisUrl = (await sharedRedis()).url;
  });
  afterAll(async () => {
    await dropPrefix(redisUrl, prefix).catch(() => {});
  });

  it("runs the paired sessions through Redis workers and reports them", { timeout: 240_000 }, async () => {
    const dir = join(base, "fleet");
    const res = await shopsim(
      "ab",
      "--arms",
      "control,no_buy_now",
      "--sessions-per-arm",
      "2",
      "--seed",
      "9",
      "--redis",
      redisUrl,
      "--prefix",
      prefix,
      "--workers",
      "1",
      "--concurrency",
      "2",
      "--out",
      dir,
    );
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.status).toBe(0);
    const report = readReport(dir);
    expect(report.run.queue).toBe("bullmq");
    expect(report.run.sessions).toBe(4);
    expect(report.arms.map((a) => a.sessions)).toEqual([2, 2]);
    const { sessions } = await readRun(join(dir, "run"));
    expect(new Set(sessions.map((s) => s.session_id)).size).toBe(4);
  });
});

describe("shopsim ab: bad input", () => {
  it("names the experiment file and field of a mistake, and starts nothing", {
    timeout: 180_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "shopsim-ab-bad-"));
    const file = join(dir, "exp.yaml");
    writeFileSync(
      file,
      "name: t\narms:\n  - name: control\n  - name: treatment\n    flags: { filter_pannel: reduced }\nalpha: 2\n",
    );
    const out = join(dir, "out");
    const res = await shopsim("ab", "--experiment", file, "--out", out);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(file);
    expect(res.stderr).toContain("alpha");
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);

    writeFileSync(
      file,
      "name: t\narms:\n  - name: control\n  - name: treatment\n    flags: { filter_pannel: reduced }\n",
    );
    const flags = await shopsim("ab", "--experiment", file, "--out", out);
    expect(flags.status).toBe(2);
    expect(flags.stderr).toContain("arms.1.flags");
    expect(flags.stderr).toContain("filter_pannel");

    const unknown = await shopsim("ab", "--arms", "control,no_such_variant", "--out", out);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('"no_such_variant" is not a known variant');

    const metric = await shopsim("ab", "--arms", "control,no_buy_now", "--primary", "sales", "--out", out);
    expect(metric.status).toBe(2);
    expect(metric.stderr).toContain('unknown metric "sales"');

    const down = await shopsim(
      "ab",
      "--arm-url",
      "control=http://127.0.0.1:9",
      "--arm-url",
      "b=http://127.0.0.1:9",
      "--out",
      out,
    );
    expect(down.status).toBe(2);
    expect(down.stderr).toContain("arm control: the shop at http://127.0.0.1:9 does not answer");
    expect(existsSync(out)).toBe(false);
  });
});

describe("experiment and variant files", () => {
  it("parses the shipped example experiment", async () => {
    const data = await readYamlFile(join(ROOT, "examples/experiment.yaml"));
    const exp = ExperimentSchema.parse(data);
    expect(exp.arms.map((a) => a.name)).toEqual(["control", "three_step"]);
    expect(exp.metrics.primary).toBe("steps_to_purchase");
  });

  it("keeps base flags a variant does not name (a variant only changes what it names)", () => {
    const set = variantsFromData({ variants: { lean: { filter_panel: "reduced" } } }, "v.yaml", {
      ...DEFAULT_FLAGS,
      promo_banner: true,
    });
    expect(set.get("lean")?.flags).toMatchObject({ filter_panel: "reduced", promo_banner: true });
  });
});
