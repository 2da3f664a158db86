import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { ScenarioSchema } from "../src/contracts/scenario.ts";
import { ShopEventSchema } from "../src/contracts/shop.ts";
import { dataset, ROOT } from "./helpers/datasets.ts";

const MAIN = join(ROOT, "src/cli/main.ts");
const run = (...args: string[]) =>
  spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 60_000 });
const tmp = () => mkdtempSync(join(tmpdir(), "shopsim-cli-"));

describe("shopsim CLI", () => {
  it("has --help on every command, with examples", () => {
    const top = run("--help");
    expect(top.status).toBe(0);
    expect(top.stdout).toContain("shop");
    expect(top.stdout).toContain("goals");
    for (const cmd of [
      ["shop"],
      ["goals"],
      ["run"],
      ["simplify"],
      ["personas", "generate"],
      ["scenarios", "generate"],
    ]) {
      const help = run(...cmd, "--help");
      expect(help.status, cmd.join(" ")).toBe(0);
      expect(help.stdout, cmd.join(" ")).toContain("Examples:");
    }
  });

  it("`shop --port 0` prints its URL, serves, and flushes the event log on SIGTERM", async () => {
    const events = join(tmp(), "events.jsonl");
    const proc: ChildProcess = spawn(process.execPath, [MAIN, "shop", "--port", "0", "--events", events], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: proc.stdout! }).once("line", resolve);
        proc.once("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = (await (await fetch(`${url}/healthz`)).json()) as { products: number; catalog: string };
      expect(health).toMatchObject({ products: 2000, catalog: "builtin:seed=42:n=2000" });
      const page = await fetch(`${url}/search?q=headphones`, { headers: { "x-shopsim-session": "cli-1" } });
      expect(page.status).toBe(200);
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    const lines = readFileSync(events, "utf8").trim().split("\n");
    expect(lines.map((l) => ShopEventSchema.parse(JSON.parse(l)))).toMatchObject([
      { session_id: "cli-1", page: "search" },
    ]);
  });

  it("`simplify FILE --json` prints the named elements and token counts; a missing file is one clear line", () => {
    const file = join(tmp(), "page.html");
    writeFileSync(
      file,
      `<html><head><title>Mugs</title><script>${"x=1;".repeat(2000)}</script></head><body>
<form role="search"><input name="q" placeholder="Search"><button>Go</button></form>
<ul><li><h2>Blue mug</h2><span>$12.00</span><a href="/p/1">View</a></li></ul></body></html>`,
    );
    const plain = run("simplify", file);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain('<button name="search.go">Go</button>');
    const json = run("simplify", file, "--json");
    expect(json.status).toBe(0);
    const out = JSON.parse(json.stdout) as {
      elements: Record<string, { kind: string }>;
      stats: { raw_tokens: number; simplified_tokens: number; tokenizer: string; token_ratio: number };
    };
    expect(Object.keys(out.elements).sort()).toEqual(["blue_mug.view", "search", "search.go"]);
    expect(out.stats.tokenizer).toBe("o200k_base");
    expect(out.stats.raw_tokens).toBeGreaterThan(2000);
    expect(out.stats.simplified_tokens).toBeGreaterThan(10);
    expect(out.stats.simplified_tokens).toBeLessThan(out.stats.raw_tokens / 20);
    const missing = run("simplify", join(tmp(), "nope.html"));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("nope.html");
    expect(missing.stderr).toContain("no such file");
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses a malformed catalog naming file, line and field, without a stack trace", () => {
    const dir = tmp();
    const bad = join(dir, "products.jsonl");
    const good = readFileSync(dataset("webshop-1k/products_1000.jsonl"), "utf8").split("\n", 1)[0];
    writeFileSync(bad, `${good}\n{not json\n`);
    const res = run("shop", "--port", "0", "--catalog", `webshop:${bad}`);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(`${bad}:2`);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(res.stdout).toBe("");
  });

  it("refuses a malformed variants file naming the field and what was expected", () => {
    const dir = tmp();
    const file = join(dir, "variants.yaml");
    writeFileSync(file, "variants:\n  control: {}\n  b: { results_layout: carousel }\n");
    const res = run("shop", "--port", "0", "--variants", file);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain(file);
    expect(res.stderr).toContain("variants.b.results_layout");
    expect(res.stderr).toMatch(/grid.*list/);
    const yaml = join(dir, "broken.yaml");
    writeFileSync(yaml, "variants:\n  control: {\n");
    const broken = run("shop", "--variants", yaml);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain(`${yaml}:`);
  });

  it("rejects unknown flags, catalogs and bad numbers with the value at fault", () => {
    const flag = run("shop", "--flag", "dark_mode=true");
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain('unknown flag "dark_mode"');
    const catalog = run("shop", "--catalog", "amazon");
    expect(catalog.status).toBe(2);
    expect(catalog.stderr).toContain("--catalog amazon");
    const port = run("shop", "--port", "http");
    expect(port.status).not.toBe(0);
    expect(port.stderr).toContain('--port must be a whole number from 0 to 65535, got "http"');
  });

  it("`goals` prints scenarios that parse and are deterministic", () => {
    const a = run("goals", "--count", "4", "--json", "--seed", "3");
    expect(a.status).toBe(0);
    const scenarios = a.stdout
      .trim()
      .split("\n")
      .map((l) => ScenarioSchema.parse(JSON.parse(l)));
    expect(scenarios.map((s) => s.id)).toEqual(["goal-1", "goal-2", "goal-3", "goal-4"]);
    expect(scenarios.every((s) => s.goal.target?.product_id)).toBe(true);
    expect(run("goals", "--count", "4", "--json", "--seed", "3").stdout).toBe(a.stdout);
  });
});
