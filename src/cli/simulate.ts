import { join } from "node:path";
import { loadCatalog } from "../../sandbox-shop/catalog/index.ts";
import { createShop, type Shop } from "../../sandbox-shop/server.ts";
import { VariantSet } from "../../sandbox-shop/variants.ts";
import { BrowserPool } from "../browser/index.ts";
import type { HumanSession } from "../contracts/human-log.ts";
import type { Scenario } from "../contracts/scenario.ts";
import { importHumanLogs } from "../eval/import/index.ts";
import type { Logger } from "../log.ts";
import { type DistributionsInput, generatePersonas } from "../population/personas.ts";
import { inProcessQueue } from "../run/executor.ts";
import { runFleet } from "../run/fleet.ts";
import { bindJobs, planJobs } from "../run/plan.ts";
import { PolicyFactory } from "../run/policies.ts";
import { Budget } from "../session/budget.ts";
import { simplify } from "../simplify/index.ts";
import { RunWriter } from "../trajectory/run-dir.ts";
import { browserArgsFromEnv } from "./options.ts";

/**
 * Runs batches of built-in-shopper sessions on one built-in shop and one browser pool, for
 * calibration: each batch draws personas from a distributions file and is written as a run
 * directory under `dir`, then read back as sessions for the session-shape comparison.
 */
export class LocalSimulator {
  readonly #shop: Shop;
  readonly #url: string;
  readonly #pool: BrowserPool;
  readonly #logger: Logger;
  readonly #scenarios: Scenario[];
  readonly #dir: string;
  readonly #concurrency: number;
  #batch = 0;

  private constructor(parts: {
    shop: Shop;
    url: string;
    pool: BrowserPool;
    logger: Logger;
    scenarios: Scenario[];
    dir: string;
    concurrency: number;
  }) {
    this.#shop = parts.shop;
    this.#url = parts.url;
    this.#pool = parts.pool;
    this.#logger = parts.logger;
    this.#scenarios = parts.scenarios;
    this.#dir = parts.dir;
    this.#concurrency = parts.concurrency;
  }

  static async start(opts: {
    catalog: string;
    seed: number;
    scenarios: Scenario[];
    dir: string;
    concurrency: number;
    logger: Logger;
  }): Promise<LocalSimulator> {
    const shop = await createShop({
      catalog: await loadCatalog(opts.catalog, opts.seed),
      variants: VariantSet.single(),
      eventsPath: join(opts.dir, "shop-events.jsonl"),
      seed: opts.seed,
      logger: opts.logger,
    });
    const url = await shop.listen(0);
    const pool = new BrowserPool({
      size: Math.min(2, opts.concurrency),
      args: browserArgsFromEnv(),
      logger: opts.logger,
    });
    return new LocalSimulator({ shop, url, pool, ...opts });
  }

  /** Runs `n` sessions of personas drawn from `distributions`; the same seed gives the same plan. */
  simulate = async (distributions: DistributionsInput, n: number, seed: number): Promise<HumanSession[]> => {
    this.#batch += 1;
    const runId = `calibration-${String(this.#batch).padStart(3, "0")}`;
    const out = join(this.#dir, runId);
    const personas = generatePersonas({ n, seed, distributions, idPrefix: `cal-${seed}` });
    const jobs = bindJobs(
      planJobs({ personas, scenarios: this.#scenarios, sessions: n, replicas: 1, variants: [null], seed }),
      {
        runId,
        personas: new Map(personas.map((p) => [p.id, p])),
        scenarios: new Map(this.#scenarios.map((s) => [s.id, s])),
        policy: { kind: "heuristic" },
        shopUrl: this.#url,
        limits: {},
        sessionBudget: { maxTokens: null, maxCostUsd: null },
        screenshots: false,
      },
    );
    const writer = await RunWriter.create(out, {
      run_id: runId,
      status: "running",
      started_at: new Date().toISOString(),
      ended_at: null,
      seed,
      config: { purpose: "calibration", distributions, sessions: n },
      versions: { shopsim: "calibration", node: process.version, playwright: null },
      git_revision: null,
      shop: { url: this.#url, started_by_run: true, catalog: null },
      counts: { planned: jobs.length, recorded: 0, by_status: {}, steps: 0 },
    });
    const queue = inProcessQueue(
      {
        browsers: this.#pool,
        simplify: (html, url) => simplify(html, url),
        makePolicy: new PolicyFactory({ logger: this.#logger, env: {} }).make,
        logger: this.#logger,
        runBudget: new Budget({ maxTokens: null, maxCostUsd: null }, "run"),
      },
      this.#concurrency,
    );
    let finished = false;
    try {
      await runFleet(
        { jobs, budget: { maxTokens: null, maxCostUsd: null } },
        { queue, writer, logger: this.#logger, signal: new AbortController().signal },
      );
      finished = true;
    } finally {
      await writer.finish(finished ? "finished" : "failed", {});
      await queue.close();
    }
    return (await importHumanLogs(out, { format: "shopsim" })).sessions;
  };

  async close(): Promise<void> {
    await this.#pool.close().catch((e: unknown) => this.#logger.warn({ err: e }, "closing browsers failed"));
    await this.#shop.close();
  }
}
