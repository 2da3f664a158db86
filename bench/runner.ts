/**
 * The session runner against the physical limit: the same shopping sessions run (a) by shopsim's
 * runner with the heuristic shopper, and (b) by a plain Playwright script that replays exactly the
 * browser operations the runner performed (same start pages, same clicks, fills and selects by the same
 * CSS locators), with no page reading, no simplifying, no policy and no records. Reports per-step
 * runner overhead (observe + simplify + act + record, policy time excluded), sessions per minute at
 * each concurrency, and memory per concurrent session (RSS and PSS of the runner plus every browser
 * process it started).
 *
 *   node bench/runner.ts [--sessions 24] [--concurrency 1,2,4,8] [--memory 8,16] [--runs 1]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { type Browser, type BrowserContext, chromium } from "playwright";
import { BrowserPool, chromiumLaunchOptions, findChromium } from "../src/browser/index.ts";
import { loadPersonas, loadScenarios } from "../src/config/population.ts";
import type { Action, ElementLocator } from "../src/contracts/action.ts";
import type { Persona, Scenario } from "../src/contracts/scenario.ts";
import type { SessionRecord } from "../src/contracts/trajectory.ts";
import { silentLogger } from "../src/log.ts";
import { HeuristicShopper } from "../src/policy/heuristic/shopper.ts";
import type { Job } from "../src/queue/types.ts";
import { inProcessQueue } from "../src/run/executor.ts";
import { type FleetBrowserSession, type FleetBrowsers, runFleet } from "../src/run/fleet.ts";
import { bindJobs, planJobs } from "../src/run/plan.ts";
import { ShopClient } from "../src/session/shop-client.ts";
import { simplify } from "../src/simplify/index.ts";
import { median, quantile } from "../src/stats.ts";
import { RunWriter } from "../src/trajectory/run-dir.ts";

const { values: args } = parseArgs({
  options: {
    sessions: { type: "string", default: "24" },
    concurrency: { type: "string", default: "1,2,4,8" },
    memory: { type: "string", default: "8,16" },
    runs: { type: "string", default: "1" },
    browsers: { type: "string", default: "2" },
  },
});
const sessions = Number(args.sessions);
const levels = args.concurrency.split(",").filter(Boolean).map(Number);
const memoryLevels = args.memory.split(",").filter(Boolean).map(Number);
const runs = Number(args.runs);
const browsersMax = Number(args.browsers);
const ROOT = new URL("../", import.meta.url).pathname;

// --- the shop, in its own process so the runner's CPU is the runner's ---------------------------

let shopPid = -1;

async function startShop(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [join(ROOT, "src/cli/main.ts"), "shop", "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once("line", resolve);
    proc.once("exit", (code) => reject(new Error(`the shop exited with ${code}`)));
  });
  shopPid = proc.pid ?? -1;
  return { url, proc };
}

// --- what the runner did in the browser, per session ----------------------------------------

type Op =
  | { kind: "goto"; url: string }
  | { kind: "act"; action: Action; locator: ElementLocator | undefined; navigated: boolean };

/** Wraps the pool so every goto and act of every session is logged in order. */
function recordingBrowsers(pool: BrowserPool, log: Map<string, Op[]>): FleetBrowsers {
  return {
    async session(opts) {
      const inner = await pool.session(opts);
      const sid = opts.extraHeaders["x-shopsim-session"] ?? `s${log.size}`;
      const ops: Op[] = [];
      log.set(sid, ops);
      const wrapped: FleetBrowserSession = {
        goto: async (url) => {
          ops.push({ kind: "goto", url });
          return inner.goto(url);
        },
        observe: (o) => inner.observe(o),
        act: async (action, elements, o) => {
          const result = await inner.act(action, elements, o);
          const locator = "name" in action ? elements[action.name] : undefined;
          ops.push({ kind: "act", action, locator, navigated: result.ok && result.navigated });
          return result;
        },
        close: () => inner.close(),
      };
      return wrapped;
    },
  };
}

interface RunnerResult {
  wallMs: number;
  records: SessionRecord[];
  ops: Map<string, Op[]>;
  recordMsPerStep: number;
  peakRss: number;
  peakPss: number;
}

async function runRunner(
  shopUrl: string,
  jobs: Job[],
  personas: Map<string, Persona>,
  scenarios: Map<string, Scenario>,
  concurrency: number,
  sampleMemory: boolean,
): Promise<RunnerResult> {
  const dir = mkdtempSync(join(tmpdir(), "shopsim-bench-runner-"));
  const runId = `bench-c${concurrency}-${Date.now()}`;
  const pool = new BrowserPool({ size: Math.min(browsersMax, concurrency), logger: silentLogger });
  const ops = new Map<string, Op[]>();
  const writer = await RunWriter.create(dir, {
    run_id: runId,
    status: "running",
    started_at: new Date().toISOString(),
    ended_at: null,
    seed: 1,
    config: { bench: "runner", concurrency },
    versions: { shopsim: "bench", node: process.version, playwright: null },
    git_revision: null,
    shop: { url: shopUrl, started_by_run: false, catalog: null },
    counts: { planned: jobs.length, recorded: 0, by_status: {}, steps: 0 },
  });
  // Time spent writing records, to charge it to the steps.
  let writeMs = 0;
  const append = writer.appendSession.bind(writer);
  writer.appendSession = async (r: SessionRecord) => {
    const t = performance.now();
    await append(r);
    writeMs += performance.now() - t;
  };
  let peakRss = 0;
  let peakPss = 0;
  const sampler = sampleMemory
    ? setInterval(() => {
        const m = processTreeMemory(process.pid);
        peakRss = Math.max(peakRss, m.rss);
        peakPss = Math.max(peakPss, m.pss);
      }, 500)
    : null;
  try {
    const started = performance.now();
    await runFleet(
      { jobs: bindJobs(jobs, { runId, personas, scenarios, policy: { kind: "heuristic" }, shopUrl }) },
      {
        queue: inProcessQueue(
          {
            browsers: recordingBrowsers(pool, ops),
            simplify: (html, url) => simplify(html, url),
            makePolicy: (job) => new HeuristicShopper(job.persona, job.scenario, job.seed),
            logger: silentLogger,
          },
          concurrency,
        ),
        writer,
        logger: silentLogger,
        signal: new AbortController().signal,
      },
    );
    const wallMs = performance.now() - started;
    await writer.finish("finished");
    const records = readFileSync(join(dir, "sessions.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as SessionRecord);
    const steps = records.reduce((n, r) => n + r.steps.length, 0);
    return { wallMs, records, ops, recordMsPerStep: writeMs / Math.max(1, steps), peakRss, peakPss };
  } finally {
    if (sampler) clearInterval(sampler);
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- the plain Playwright script ---------------------------------------------------------------

async function replayOps(context: BrowserContext, ops: Op[]): Promise<void> {
  const page = await context.newPage();
  try {
    for (const op of ops) {
      if (op.kind === "goto") {
        await page.goto(op.url, { waitUntil: "domcontentloaded" });
        continue;
      }
      const { action, locator } = op;
      if (action.type === "back") {
        await page.goBack({ waitUntil: "domcontentloaded" });
        continue;
      }
      if (!locator || action.type === "terminate") continue;
      const el = page.locator(locator.css).first();
      const loaded = op.navigated ? page.waitForEvent("domcontentloaded") : null;
      try {
        if (action.type === "click") await el.click({ timeout: 5000 });
        else if (action.type === "type") await el.fill(action.text, { timeout: 5000 });
        else if (action.type === "type_and_submit") {
          await el.fill(action.text, { timeout: 5000 });
          await el.press("Enter", { timeout: 5000 });
        } else if (action.type === "select")
          await el
            .selectOption(action.value, { timeout: 5000 })
            .catch(() => el.selectOption({ label: action.value }));
        await loaded;
      } catch {
        // The runner recorded this action as failed too (a stale or hidden element); go on.
        loaded?.catch(() => {});
      }
    }
  } finally {
    await page.close();
  }
}

async function runPlain(sessionsOps: Op[][], concurrency: number): Promise<{ wallMs: number }> {
  const exe = findChromium(process.env.SHOPSIM_CHROMIUM);
  const browsers: Browser[] = [];
  // Launching counts, as it does for the runner, whose pool launches its browsers as sessions start.
  const started = performance.now();
  for (let i = 0; i < Math.min(browsersMax, concurrency); i++)
    browsers.push(await chromium.launch(chromiumLaunchOptions(exe)));
  try {
    let next = 0;
    const worker = async (w: number) => {
      for (;;) {
        const i = next++;
        if (i >= sessionsOps.length) return;
        const context = await browsers[(w + i) % browsers.length]!.newContext({
          extraHTTPHeaders: ShopClient.headers(`plain-${concurrency}-${i}-${Date.now()}`, null),
        });
        try {
          await replayOps(context, sessionsOps[i]!);
        } finally {
          await context.close();
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    return { wallMs: performance.now() - started };
  } finally {
    await Promise.all(browsers.map((b) => b.close()));
  }
}

// --- memory of this process and every process it started ----------------------------------------

function processTreeMemory(root: number): { rss: number; pss: number; processes: number } {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // The process ended while we looked.
    }
  }
  let rss = 0;
  let pss = 0;
  let processes = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) * 1024;
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0) * 1024;
      processes++;
    } catch {
      // Gone, or not ours to read.
    }
    stack.push(...(children.get(pid) ?? []).filter((c) => c !== shopPid));
  }
  return { rss, pss, processes };
}

// --- main -------------------------------------------------------------------------------------

const mb = (b: number) => (b / 2 ** 20).toFixed(0);

async function main(): Promise<void> {
  const personas = await loadPersonas();
  const scenarios = await loadScenarios();
  const jobs = planJobs({
    personas: [...personas.values()],
    scenarios: [...scenarios.values()],
    sessions,
    replicas: 1,
    variants: [null],
    seed: 7,
  });
  const { url, proc } = await startShop();
  try {
    console.log(
      `\n${sessions} sessions (shipped personas × scenarios, heuristic shopper, seed 7), built-in shop in its own process, node ${process.version}, ${Math.min(browsersMax, Math.max(...levels))} browser processes at most, ${runs} run(s) per level (medians)\n`,
    );
    // Warm up the shop, the disk cache and V8 on both sides, so the first level is not charged for it.
    const warm = await runRunner(url, jobs.slice(0, 2), personas, scenarios, 2, false);
    await runPlain([...warm.ops.values()], 2);
    console.log(
      "| concurrency | runner sessions/min | plain Playwright sessions/min | runner / plain | steps | overhead per step, median ms | p95 ms | of which observe / simplify / act / record (median ms) | policy per step, median ms |",
    );
    console.log("|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    for (const c of levels) {
      const runnerRates: number[] = [];
      const plainRates: number[] = [];
      let last: RunnerResult | null = null;
      for (let r = 0; r < runs; r++) {
        const res = await runRunner(url, jobs, personas, scenarios, c, false);
        last = res;
        runnerRates.push((res.records.length / res.wallMs) * 60_000);
        // Replay the very operations this run performed, in job order.
        const bySession = [...res.ops.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, o]) => o);
        const plain = await runPlain(bySession, c);
        plainRates.push((bySession.length / plain.wallMs) * 60_000);
      }
      const steps = last!.records.flatMap((r) => r.steps);
      const overhead = steps.map((s) => s.duration_ms - s.timings.decide_ms + last!.recordMsPerStep);
      const part = (k: "observe_ms" | "simplify_ms" | "act_ms") =>
        median(steps.map((s) => s.timings[k])).toFixed(1);
      const rr = median(runnerRates);
      const pr = median(plainRates);
      console.log(
        `| ${c} | ${rr.toFixed(1)} | ${pr.toFixed(1)} | ${((100 * rr) / pr).toFixed(0)}% | ${steps.length} | ${median(overhead).toFixed(1)} | ${quantile(overhead, 0.95).toFixed(1)} | ${part("observe_ms")} / ${part("simplify_ms")} / ${part("act_ms")} / ${last!.recordMsPerStep.toFixed(2)} | ${median(steps.map((s) => s.timings.decide_ms)).toFixed(2)} |`,
      );
    }

    if (memoryLevels.length > 0) {
      const idle = processTreeMemory(process.pid);
      console.log(
        `\nMemory: runner + its browser processes (the shop's process excluded), sampled every 0.5 s; before any browser: RSS ${mb(idle.rss)} MB, PSS ${mb(idle.pss)} MB\n`,
      );
      console.log("| concurrency | sessions | peak RSS MB | peak PSS MB | PSS per concurrent session MB |");
      console.log("|---:|---:|---:|---:|---:|");
      let previous: { c: number; pss: number } | null = null;
      for (const c of memoryLevels) {
        const memJobs = planJobs({
          personas: [...personas.values()],
          scenarios: [...scenarios.values()],
          sessions: 2 * c,
          replicas: 1,
          variants: [null],
          seed: 11,
        });
        const res = await runRunner(url, memJobs, personas, scenarios, c, true);
        const perSession = (res.peakPss - idle.pss) / c;
        const marginal = previous
          ? ` (${mb((res.peakPss - previous.pss) / (c - previous.c))} MB marginal from ${previous.c})`
          : "";
        console.log(
          `| ${c} | ${memJobs.length} | ${mb(res.peakRss)} | ${mb(res.peakPss)} | ${mb(perSession)}${marginal} |`,
        );
        previous = { c, pss: res.peakPss };
      }
    }
  } finally {
    proc.kill("SIGTERM");
  }
}

await main();
