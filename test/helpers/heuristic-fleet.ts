import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Shop } from "../../sandbox-shop/server.ts";
import type { BrowserPool } from "../../src/browser/index.ts";
import type { Persona, Scenario } from "../../src/contracts/scenario.ts";
import type { SessionRecord } from "../../src/contracts/trajectory.ts";
import { silentLogger } from "../../src/log.ts";
import { HeuristicShopper } from "../../src/policy/heuristic/shopper.ts";
import type { Job } from "../../src/queue/types.ts";
import { inProcessQueue } from "../../src/run/executor.ts";
import { runFleet } from "../../src/run/fleet.ts";
import { bindJobs } from "../../src/run/plan.ts";
import { simplify } from "../../src/simplify/index.ts";
import { RunWriter, readRun } from "../../src/trajectory/run-dir.ts";

/**
 * Runs jobs with the built-in shopper on a running shop, through the real runner (in-process queue,
 * the given browser pool, a run directory in a temporary folder), and reads the sessions back.
 */
export async function runHeuristicFleet(opts: {
  runId: string;
  shop: Shop;
  pool: BrowserPool;
  jobs: Job[];
  personas: readonly Persona[];
  scenarios: readonly Scenario[];
  maxSteps: number;
  concurrency: number;
}): Promise<SessionRecord[]> {
  const dir = mkdtempSync(join(tmpdir(), `shopsim-${opts.runId}-`));
  const writer = await RunWriter.create(dir, {
    run_id: opts.runId,
    status: "running",
    started_at: new Date().toISOString(),
    ended_at: null,
    seed: 0,
    config: { scenarios: opts.scenarios.map((s) => s.id) },
    versions: { shopsim: "test", node: process.version, playwright: null },
    git_revision: null,
    shop: { url: opts.shop.url, started_by_run: true, catalog: "builtin" },
    counts: { planned: opts.jobs.length, recorded: 0, by_status: {}, steps: 0 },
  });
  await runFleet(
    {
      jobs: bindJobs(opts.jobs, {
        runId: opts.runId,
        personas: new Map(opts.personas.map((p) => [p.id, p])),
        scenarios: new Map(opts.scenarios.map((s) => [s.id, s])),
        policy: { kind: "heuristic" },
        shopUrl: opts.shop.url,
        limits: { maxSteps: opts.maxSteps },
      }),
    },
    {
      queue: inProcessQueue(
        {
          browsers: opts.pool,
          simplify: (html, url) => simplify(html, url),
          makePolicy: (job) => new HeuristicShopper(job.persona, job.scenario, job.seed),
          logger: silentLogger,
        },
        opts.concurrency,
      ),
      writer,
      logger: silentLogger,
      signal: new AbortController().signal,
    },
  );
  await writer.finish("finished");
  return (await readRun(dir)).sessions;
}
