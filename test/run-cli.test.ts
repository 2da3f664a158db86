import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRun } from "../src/trajectory/run-dir.ts";
import { ROOT } from "./helpers/datasets.ts";

const run = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, "src/cli/main.ts"), "run", ...args], {
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, SHOPSIM_LOG_LEVEL: "error" },
  });

describe("shopsim run: bad input and options", () => {
  it("stops on a malformed persona file before starting anything, naming file and field", () => {
    const dir = mkdtempSync(join(tmpdir(), "shopsim-runcli-"));
    const personas = join(dir, "personas.yaml");
    writeFileSync(personas, "personas:\n  - id: x\n    name: X\n");
    const out = join(dir, "out");
    const res = run("--personas", personas, "--out", out);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(personas);
    expect(res.stderr).toContain("personas.0.demographics");
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });

  it("fails fast with a clear message when --shop does not answer", () => {
    const started = Date.now();
    const res = run(
      "--shop",
      "http://127.0.0.1:9",
      "--sessions",
      "1",
      "--out",
      join(mkdtempSync(join(tmpdir(), "shopsim-runcli-")), "o"),
    );
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("--shop http://127.0.0.1:9");
    expect(res.stderr).toContain("does not answer");
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("refuses a --purchase-url that is not a regular expression, or that matches where sessions start", () => {
    const out = join(mkdtempSync(join(tmpdir(), "shopsim-runcli-")), "o");
    const bad = run("--purchase-url", "thank(you", "--sessions", "1", "--out", out);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--purchase-url thank(you");
    expect(bad.stderr).toContain("is not a regular expression");
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    // The shipped scenarios start at the home page, which "/" matches: every session would "buy".
    const broad = run("--purchase-url", "/", "--sessions", "1", "--out", out);
    expect(broad.status).toBe(2);
    expect(broad.stderr).toContain("where scenario");
    expect(existsSync(out)).toBe(false);
    // shopsim ab checks the same field of an experiment before it starts anything.
    const ab = spawnSync(
      process.execPath,
      [
        join(ROOT, "src/cli/main.ts"),
        "ab",
        "--arm-url",
        "a=http://127.0.0.1:9",
        "--arm-url",
        "b=http://127.0.0.1:9",
        "--purchase-url",
        "thank(you",
        "--out",
        out,
      ],
      { encoding: "utf8", timeout: 60_000, env: { ...process.env, SHOPSIM_LOG_LEVEL: "error" } },
    );
    expect(ab.status).toBe(2);
    expect(ab.stderr).toMatch(/purchase_url.*expected a regular expression/);
    expect(ab.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses --all together with --sessions", () => {
    const res = run("--all", "--sessions", "3");
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("--all");
  });

  it("saves a screenshot of every observed page with --screenshots", { timeout: 200_000 }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), "shopsim-runcli-")), "shots");
    const res = run(
      "--sessions",
      "1",
      "--concurrency",
      "1",
      "--max-steps",
      "4",
      "--screenshots",
      "--out",
      out,
    );
    expect(res.status, res.stderr).toBe(0);
    const { sessions } = await readRun(out);
    const steps = sessions[0]!.steps;
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      expect(step.screenshot).toMatch(/^screenshots\/.+\/\d{3}\.png$/);
      expect(existsSync(join(out, step.screenshot!))).toBe(true);
    }
  });
});
