/**
 * Fleet throughput and queue overhead (`npm run bench:fleet`).
 *
 * 1. Per-job queue overhead: the same jobs through the in-process queue and through BullMQ on real
 *    Redis (coordinator and one worker in this process) with an executor that does nothing, so what
 *    is measured is the queue alone: enqueue, fetch, lock, result to the run's stream, completion,
 *    coordinator read. Reported per job, at 1 and at 8 jobs at once, median of --runs.
 * 2. Sessions per minute with 1, 2 and 4 `shopsim worker` processes (each --concurrency 2, one
 *    browser) against the built-in shop in its own process, heuristic shopper, the same planned
 *    sessions each time; beside it, the in-process queue at the same total concurrency.
 *
 * Redis: REDIS_URL when something answers there, else a redis-server from PATH on a free port.
 * All traffic stays on loopback.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { BrowserPool } from "../src/browser/index.ts";
import { loadPersonas, loadScenarios } from "../src/config/population.ts";
import { silentLogger } from "../src/log.ts";
import { BullMQQueue } from "../src/queue/bullmq/queue.ts";
import { redisTarget } from "../src/queue/bullmq/redis.ts";
import { FleetStore } from "../src/queue/bullmq/store.ts";
import { FleetWorker } from "../src/queue/bullmq/worker.ts";
import { InProcessQueue } from "../src/queue/in-process.ts";
import type { JobQueue, JobResult, SessionJob } from "../src/queue/types.ts";
import { inProcessQueue } from "../src/run/executor.ts";
import { runFleet } from "../src/run/fleet.ts";
import { bindJobs, planJobs } from "../src/run/plan.ts";
import { PolicyFactory } from "../src/run/policies.ts";
import { simplify } from "../src/simplify/index.ts";
import { median } from "../src/stats.ts";
import { RunWriter } from "../src/trajectory/run-dir.ts";
import { dropPrefix, sharedRedis } from "../test/helpers/redis.ts";

const { values: args } = parseArgs({
  options: {
    sessions: { type: "string", default: "24" },
    workers: { type: "string", default: "1,2,4" },
    "per-worker": { type: "string", default: "2" },
    "noop-jobs": { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
  },
});
const sessions = Number(args.sessions);
const workerLevels = args.workers.split(",").filter(Boolean).map(Number);
const perWorker = Number(args["per-worker"]);
const noopJobs = Number(args["noop-jobs"]);
const runs = Number(args.runs);
const ROOT = new URL("../", import.meta.url).pathname;
const MAIN = join(ROOT, "src/cli/main.ts");

// --- Redis and the shop ------------------------------------------------------------------------

async function startShop(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [MAIN, "shop", "--port", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once("line", resolve);
    proc.once("exit", (code) => reject(new Error(`the shop exited with ${code}`)));
  });
  return { url, proc };
}

// --- jobs ----------------------------------------------------------------------------------------

async function planned(runId: string, n: number, shopUrl: string, seed: number): Promise<SessionJob[]> {
  const personas = await loadPersonas();
  const scenarios = await loadScenarios();
  return bindJobs(
    planJobs({
      personas: [...personas.values()],
      scenarios: [...scenarios.values()],
      sessions: n,
      replicas: 1,
      variants: [null],
      seed,
    }),
    { runId, personas, scenarios, policy: { kind: "heuristic" }, shopUrl },
  );
}

function manifest(runId: string, shopUrl: string) {
  return {
    run_id: runId,
    status: "running" as const,
    started_at: new Date().toISOString(),
    ended_at: null,
    seed: 1,
    config: { bench: "fleet" },
    versions: { shopsim: "bench", node: process.version, playwright: null },
    git_revision: null,
    shop: { url: shopUrl, started_by_run: false, catalog: null },
    counts: { planned: 0, recorded: 0, by_status: {}, steps: 0 },
  };
}

const noop = async (job: SessionJob): Promise<JobResult> => ({
  kind: "skipped",
  session_id: job.session_id,
  reason: "bench",
});

/** Wall time to push `jobs` through a queue whose executor does nothing. */
async function drain(queue: JobQueue, jobs: SessionJob[]): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  await queue.run(jobs, { signal: new AbortController().signal, onResult: async () => void n++ });
  if (n !== jobs.length) throw new Error(`expected ${jobs.length} results, got ${n}`);
  return performance.now() - t0;
}

async function queueOverhead(url: string): Promise<void> {
  console.log(
    `\nPer-job queue overhead: ${noopJobs} jobs whose session does nothing, coordinator and one worker in one process, Redis on loopback; median of ${runs}\n`,
  );
  console.log("| jobs at once | in-process µs/job | BullMQ ms/job | BullMQ jobs/s |");
  console.log("|---:|---:|---:|---:|");
  for (const c of [1, 8]) {
    const inproc: number[] = [];
    const bull: number[] = [];
    for (let r = 0; r < runs; r++) {
      const jobs = await planned(`noop-${c}-${r}`, noopJobs, "http://127.0.0.1:9/", r);
      inproc.push(await drain(new InProcessQueue((job) => noop(job), { concurrency: c }), jobs));
      const prefix = `shopsim-bench-${process.pid}-${c}-${r}`;
      const target = redisTarget(url, prefix);
      const store = await FleetStore.open(target, silentLogger);
      const wStore = await FleetStore.open(target, silentLogger);
      const worker = new FleetWorker({ store: wStore, execute: noop, logger: silentLogger, concurrency: c });
      await worker.start();
      const queue = new BullMQQueue({
        store,
        logger: silentLogger,
        manifest: manifest(jobs[0]!.run_id, ""),
        reconcileMs: 2000,
      });
      bull.push(await drain(queue, jobs));
      await queue.close();
      await worker.close();
      await wStore.close();
      await store.close();
      await dropPrefix(url, prefix);
    }
    const i = median(inproc) / noopJobs;
    const b = median(bull) / noopJobs;
    console.log(`| ${c} | ${(i * 1000).toFixed(1)} | ${b.toFixed(2)} | ${(1000 / b).toFixed(0)} |`);
  }
}

// --- real sessions -------------------------------------------------------------------------------

async function runWith(
  queue: JobQueue,
  jobs: SessionJob[],
  shopUrl: string,
): Promise<{ wallMs: number; steps: number }> {
  const dir = mkdtempSync(join(tmpdir(), "shopsim-bench-fleet-"));
  try {
    const writer = await RunWriter.create(dir, manifest(jobs[0]!.run_id, shopUrl));
    const t0 = performance.now();
    const summary = await runFleet(
      { jobs },
      { queue, writer, logger: silentLogger, signal: new AbortController().signal },
    );
    const wallMs = performance.now() - t0;
    await writer.finish("finished");
    if (summary.sessions !== jobs.length || summary.errors > 0)
      throw new Error(`run ended with ${summary.sessions} sessions, ${summary.errors} errors`);
    return { wallMs, steps: Math.round(summary.stepsPerSession * summary.sessions) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startWorkers(
  n: number,
  url: string,
  prefix: string,
  store: FleetStore,
): Promise<ChildProcess[]> {
  const procs = Array.from({ length: n }, () =>
    spawn(
      process.execPath,
      [
        MAIN,
        "worker",
        "--redis",
        url,
        "--prefix",
        prefix,
        "--concurrency",
        String(perWorker),
        "--browsers",
        "1",
      ],
      { stdio: "ignore", env: { ...process.env, SHOPSIM_LOG_LEVEL: "error" } },
    ),
  );
  while ((await store.workers()).length < n) await new Promise((r) => setTimeout(r, 100));
  return procs;
}

async function stopWorkers(procs: ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null) return resolve();
          p.once("exit", () => resolve());
          p.kill("SIGTERM");
        }),
    ),
  );
}

async function throughput(url: string, shopUrl: string): Promise<void> {
  console.log(
    `\nSessions per minute: ${sessions} sessions (shipped personas × scenarios, heuristic shopper, seed 7), built-in shop in its own process, each worker process --concurrency ${perWorker} with one browser; in-process: one process, the same total concurrency, browsers = workers; median of ${runs}\n`,
  );
  console.log(
    "| worker processes | sessions at once | BullMQ sessions/min | in-process sessions/min | BullMQ / in-process | steps |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|");
  for (const n of workerLevels) {
    const bull: number[] = [];
    const local: number[] = [];
    let steps = 0;
    for (let r = 0; r < runs; r++) {
      const prefix = `shopsim-bench-${process.pid}-w${n}-${r}`;
      const store = await FleetStore.open(redisTarget(url, prefix), silentLogger);
      const procs = await startWorkers(n, url, prefix, store);
      const jobs = await planned(`w${n}-${r}`, sessions, shopUrl, 7);
      const queue = new BullMQQueue({
        store,
        logger: silentLogger,
        manifest: manifest(`w${n}-${r}`, shopUrl),
        reconcileMs: 2000,
      });
      const b = await runWith(queue, jobs, shopUrl);
      bull.push((sessions / b.wallMs) * 60_000);
      steps = b.steps;
      await queue.close();
      await stopWorkers(procs);
      await store.close();
      await dropPrefix(url, prefix);

      const pool = new BrowserPool({ size: n, logger: silentLogger });
      const policies = new PolicyFactory({ logger: silentLogger, env: {} });
      const inproc = inProcessQueue(
        {
          browsers: pool,
          simplify: (h, u) => simplify(h, u),
          makePolicy: policies.make,
          logger: silentLogger,
        },
        n * perWorker,
      );
      const l = await runWith(inproc, await planned(`l${n}-${r}`, sessions, shopUrl, 7), shopUrl);
      local.push((sessions / l.wallMs) * 60_000);
      await pool.close();
    }
    const bm = median(bull);
    const lm = median(local);
    console.log(
      `| ${n} | ${n * perWorker} | ${bm.toFixed(1)} | ${lm.toFixed(1)} | ${((100 * bm) / lm).toFixed(0)}% | ${steps} |`,
    );
  }
}

async function main(): Promise<void> {
  const r = await sharedRedis();
  const shop = await startShop();
  try {
    console.log(`node ${process.version}, Redis ${r.url.replace(/:\/\/.*@/, "://")}`);
    await queueOverhead(r.url);
    await throughput(r.url, shop.url);
  } finally {
    shop.proc.kill();
    await r.dispose();
  }
}

await main();
