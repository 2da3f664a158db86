import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { DistributionsSchema } from "../src/population/personas.ts";
import { readRun } from "../src/trajectory/run-dir.ts";
import { dataset, ROOT } from "./helpers/datasets.ts";

const shopsim = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    timeout: 400_000,
    env: { ...process.env, SHOPSIM_LOG_LEVEL: "error" },
  });

const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));

const dir = mkdtempSync(join(tmpdir(), "shopsim-evalcli-"));
const runDir = join(dir, "run");

describe("shopsim eval, calibrate and report on real parts", () => {
  beforeAll(() => {
    // A real run: the built-in shop, Chromium, the heuristic shopper.
    const res = shopsim("run", "--sessions", "4", "--concurrency", "2", "--seed", "7", "--out", runDir);
    expect(res.status, res.stderr).toBe(0);
  }, 400_000);

  it("next-action: the oracle scores 100% on a run directory, the heuristic shopper predicts its own run", async () => {
    const oracle = join(dir, "oracle");
    const a = shopsim("eval", "next-action", "--human", runDir, "--policy", "oracle", "--out", oracle);
    expect(a.status, a.stderr).toBe(0);
    const report = json(join(oracle, "next-action.json"));
    expect(report.kind).toBe("next-action");
    expect(report.command).toContain("eval next-action --human");
    expect(report.inputs[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.result.accuracy_macro).toBe(1);
    expect(report.result.accuracy_micro).toBe(1);
    const { sessions } = await readRun(runDir);
    const predictable = sessions.reduce(
      (n, s) => n + s.steps.filter((st) => st.action !== null).length - 1,
      0,
    );
    expect(report.result.steps).toBe(predictable);
    expect(readFileSync(join(oracle, "next-action.md"), "utf8")).toContain("exact-match accuracy, macro");

    // The heuristic shopper with the run's seed, resumed on its own history, mostly repeats itself;
    // McNemar against the oracle is part of the report.
    const heur = join(dir, "heuristic");
    const b = shopsim(
      "eval",
      "next-action",
      "--human",
      runDir,
      "--policy",
      "heuristic",
      "--baseline",
      join(oracle, "next-action.json"),
      "--out",
      heur,
    );
    expect(b.status, b.stderr).toBe(0);
    const h = json(join(heur, "next-action.json")).result;
    // It cannot repeat itself exactly: the log keeps persona ids, not the personas, so it shops as a
    // neutral persona with another address. But resumed on the true history it takes the same kind
    // of step on the same element most of the time (a fresh shopper would search again at every step).
    type P = {
      truth: { type: string; name: string | null };
      predicted: { type: string; name: string | null };
    };
    const sameTarget = h.predictions.filter(
      (p: P) => p.truth.type === p.predicted.type && p.truth.name === p.predicted.name,
    ).length;
    expect(sameTarget / h.steps).toBeGreaterThan(0.6);
    expect(h.accuracy_micro).toBeGreaterThan(0.15);
    expect(h.accuracy_micro).toBeLessThan(1);
    expect(h.mcnemar_vs_baseline.paired_steps).toBe(predictable);
    expect(b.stdout).toContain("McNemar exact p");

    const m = shopsim("eval", "mcnemar", join(heur, "next-action.json"), join(oracle, "next-action.json"));
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toContain(`${predictable} paired steps`);

    const r = shopsim("report", join(heur, "next-action.json"));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("## Next-action prediction");
  }, 200_000);

  it("compare: the run against WebShop human logs and the UCI per-session CSV", () => {
    const out = join(dir, "compare");
    const res = shopsim(
      "eval",
      "compare",
      "--human",
      dataset("webshop-human-sessions"),
      "--sim",
      runDir,
      "--rounds",
      "200",
      "--out",
      out,
    );
    expect(res.status, res.stderr).toBe(0);
    const r = json(join(out, "compare.json")).result;
    expect(r.human_sessions).toBe(3);
    expect(r.sim_sessions).toBe(4);
    const searches = r.features.find((f: { feature: string }) => f.feature === "searches");
    expect(searches.distance.low).toBeLessThanOrEqual(searches.distance.estimate);
    expect(r.realism_score).toBeGreaterThan(0);
    expect(r.realism_score).toBeLessThan(1);
    expect(r.skipped.map((s: { feature: string }) => s.feature)).toContain("gaps_s"); // WebShop logs have no clock
    expect(r.references.map((x: { name: string }) => x.name)).toContain("ShopCART (Amazon)");

    const uci = join(dir, "uci");
    const u = shopsim(
      "eval",
      "compare",
      "--human",
      dataset("uci-online-shoppers/online_shoppers_intention.csv"),
      "--sim",
      runDir,
      "--rounds",
      "50",
      "--out",
      uci,
    );
    expect(u.status, u.stderr).toBe(0);
    const ur = json(join(uci, "compare.json")).result;
    expect(ur.human_sessions).toBe(12330);
    const purchase = ur.features.find((f: { feature: string }) => f.feature === "purchase");
    expect(purchase.human.purchase).toBe(1908);
    expect(readFileSync(join(uci, "compare.md"), "utf8")).toContain("UCI Online Shoppers");
  }, 200_000);

  it("calibrate writes a population file that shopsim run --population uses", () => {
    const out = join(dir, "cal");
    const res = shopsim(
      "calibrate",
      "--human",
      dataset("webshop-human-sessions"),
      "--reference",
      "shopcart",
      "--sessions",
      "2",
      "--evaluations",
      "2",
      "--out",
      out,
    );
    expect(res.status, res.stderr).toBe(0);
    const population = join(out, "population.yaml");
    expect(DistributionsSchema.safeParse(parseYaml(readFileSync(population, "utf8"))).success).toBe(true);
    const c = json(join(out, "calibration.json")).result;
    expect(c.trace).toHaveLength(2);
    expect(c.reference.name).toBe("ShopCART (Amazon)");
    expect(Number.isFinite(c.before.distance) && Number.isFinite(c.after.distance)).toBe(true);

    const runOut = join(dir, "pop-run");
    const run = shopsim(
      "run",
      "--population",
      population,
      "--sessions",
      "2",
      "--max-steps",
      "6",
      "--out",
      runOut,
    );
    expect(run.status, run.stderr).toBe(0);
    const manifest = json(join(runOut, "manifest.json"));
    expect(manifest.counts.recorded).toBe(2);
    expect(readFileSync(join(runOut, "sessions.jsonl"), "utf8")).toContain('"id":"pop-');
  }, 400_000);

  it("bad input: clear errors, exit 2, no stack trace", () => {
    const missing = shopsim("eval", "next-action", "--human", join(dir, "nope"), "--out", join(dir, "x"));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(join(dir, "nope"));
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    // WebShop raw logs have no stored pages: nothing to predict, said plainly.
    const noPages = shopsim(
      "eval",
      "next-action",
      "--human",
      dataset("webshop-human-sessions"),
      "--out",
      join(dir, "y"),
    );
    expect(noPages.status).toBe(2);
    expect(noPages.stderr).toContain("no step has a stored page");
    expect(existsSync(join(dir, "y", "next-action.json"))).toBe(false);
    const badRef = shopsim("calibrate", "--human", runDir, "--reference", "nosuch", "--out", join(dir, "z"));
    expect(badRef.status).toBe(2);
    expect(badRef.stderr).toContain("--reference nosuch");
    const both = shopsim("run", "--population", "x.yaml", "--personas", "personas");
    expect(both.status).toBe(2);
  });
});
