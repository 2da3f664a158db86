import { type Command, Option } from "commander";
import { BrowserPool } from "../browser/index.ts";
import { InputError } from "../contracts/errors.ts";
import { createLogger } from "../log.ts";
import { DEFAULT_PREFIX, DEFAULT_REDIS_URL, redacted, redisTarget } from "../queue/bullmq/redis.ts";
import { FleetStore, LIVE_STATES } from "../queue/bullmq/store.ts";
import { FleetWorker } from "../queue/bullmq/worker.ts";
import { resultSessionId } from "../queue/types.ts";
import { SessionExecutor } from "../run/executor.ts";
import { PolicyFactory } from "../run/policies.ts";
import { simplify } from "../simplify/index.ts";
import { RunWriter } from "../trajectory/run-dir.ts";
import { browserArgsFromEnv, integer } from "./options.ts";

/** `--redis` and `--prefix`, shared by every command that talks to a fleet. */
export function addRedisOptions(command: Command, env = "REDIS_URL"): Command {
  return command
    .addOption(
      new Option("--redis <url>", "Redis URL (redis://[:password@]host:port[/db], rediss:// for TLS)")
        .default(DEFAULT_REDIS_URL)
        .env(env),
    )
    .addOption(
      new Option("--prefix <name>", "key prefix of the deployment (several can share one Redis)")
        .default(DEFAULT_PREFIX)
        .env("SHOPSIM_PREFIX"),
    );
}

interface RedisFlags {
  redis: string;
  prefix: string;
}

interface WorkerOptions extends RedisFlags {
  concurrency: number;
  browsers: number;
  recycleAfter: number;
  minFreeMb: number;
  jobTimeout: number;
  grace: number;
  stalledAfter: number;
}

export function registerFleetCommands(program: Command): void {
  const worker = program
    .command("worker")
    .description(
      "Run sessions from a fleet's Redis queue until stopped (SIGINT/SIGTERM: finish, then exit).",
    );
  addRedisOptions(worker)
    .addOption(
      new Option("-c, --concurrency <n>", "sessions at once")
        .default(2)
        .argParser(integer("--concurrency", 1, 256))
        .env("SHOPSIM_CONCURRENCY"),
    )
    .addOption(
      new Option("--browsers <n>", "browser processes (default: one per 4 sessions)")
        .argParser(integer("--browsers", 1, 64))
        .env("SHOPSIM_BROWSERS"),
    )
    .option(
      "--recycle-after <n>",
      "replace a browser after it served this many sessions",
      integer("--recycle-after", 1, 100_000),
      50,
    )
    .option(
      "--min-free-mb <mb>",
      "start no new session while free memory is below this (the job goes back to the queue)",
      integer("--min-free-mb", 0, 1_000_000),
      512,
    )
    .option(
      "--job-timeout <s>",
      "stop a session that runs longer and record it as an error",
      integer("--job-timeout", 1, 86_400),
      600,
    )
    .option(
      "--grace <s>",
      "on shutdown, time running sessions get to end before their jobs go back to the queue",
      integer("--grace", 0, 3600),
      30,
    )
    .option(
      "--stalled-after <s>",
      "a job whose worker stopped renewing its lock this long ago runs again elsewhere",
      integer("--stalled-after", 1, 3600),
      30,
    )
    .addHelpText(
      "after",
      `
Examples:
  shopsim worker                                         # local Redis, 2 sessions at once
  shopsim worker --redis redis://:secret@queue.internal:6379 --concurrency 4
  shopsim worker --redis rediss://:secret@redis.example.com:6380 --prefix staging
  OPENAI_API_KEY=sk-... shopsim worker --concurrency 8   # for runs with --policy llm`,
    )
    .action(async (opts: WorkerOptions) => {
      const log = createLogger(process.env.SHOPSIM_LOG_LEVEL ?? "warn");
      const target = redisTarget(opts.redis, opts.prefix);
      const store = await FleetStore.open(target, log);
      const pool = new BrowserPool({
        size: opts.browsers ?? Math.max(1, Math.ceil(opts.concurrency / 4)),
        sessionsPerBrowser: opts.recycleAfter,
        args: browserArgsFromEnv(),
        logger: log,
      });
      const policies = new PolicyFactory({ logger: log, env: process.env });
      const executor = new SessionExecutor({
        browsers: pool,
        simplify: (html, url) => simplify(html, url),
        makePolicy: policies.make,
        logger: log,
      });
      const w = new FleetWorker({
        store,
        execute: (job, signal) => executor.execute(job, signal),
        logger: log,
        concurrency: opts.concurrency,
        minFreeMemMb: opts.minFreeMb,
        jobTimeoutMs: opts.jobTimeout * 1000,
        graceMs: opts.grace * 1000,
        stalledMs: opts.stalledAfter * 1000,
      });
      let signals = 0;
      const stopped = new Promise<void>((resolve) => {
        const onSignal = (sig: string) => {
          signals += 1;
          if (signals === 1) {
            console.error(
              `shopsim worker: ${sig}: taking no new jobs; ${w.running} running session(s) get ${opts.grace} s to end`,
            );
            resolve();
          } else {
            console.error("shopsim worker: stopping running sessions now; their jobs go back to the queue");
            w.stopNow();
          }
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
      });
      await w.start();
      console.error(
        `shopsim worker ${w.id}: pulling sessions from ${redacted(target.url)} (prefix ${target.prefix}), up to ${opts.concurrency} at once`,
      );
      await stopped;
      await w.close();
      await pool.close().catch((e: unknown) => log.warn({ err: e }, "closing browsers failed"));
      await store.close();
      console.error(`shopsim worker ${w.id}: stopped after ${w.done} session(s)`);
    });

  const status = program
    .command("status")
    .description("Show a fleet run's progress (or the recent runs) from Redis.");
  addRedisOptions(status)
    .argument("[run]", "run id (default: list the recent runs)")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      `
Examples:
  shopsim status                                   # recent runs and the workers connected
  shopsim status 20261122T101500-a1b2c3 --redis redis://queue.internal:6379`,
    )
    .action(async (runId: string | undefined, opts: RedisFlags & { json?: boolean }) => {
      const store = await FleetStore.open(redisTarget(opts.redis, opts.prefix), createLogger("error"));
      try {
        const workers = await store.workers();
        if (!runId) {
          const runs = [];
          for (const id of await store.recentRuns()) runs.push(await runStatus(store, id));
          if (opts.json) {
            console.log(JSON.stringify({ runs, workers }, null, 2));
            return;
          }
          if (runs.length === 0) console.log(`no runs in ${redacted(opts.redis)} (prefix ${opts.prefix})`);
          for (const r of runs) if (r) console.log(statusLine(r));
          console.log(workersLine(workers));
          return;
        }
        const r = await runStatus(store, runId);
        if (!r) throw noSuchRun(runId, opts);
        if (opts.json) {
          console.log(JSON.stringify({ ...r, workers }, null, 2));
          return;
        }
        console.log(statusLine(r));
        console.log(workersLine(workers));
      } finally {
        await store.close();
      }
    });

  const cancel = program
    .command("cancel")
    .description("Cancel a fleet run: no new session starts, running ones end as aborted and are recorded.");
  addRedisOptions(cancel)
    .argument("<run>", "run id")
    .addHelpText(
      "after",
      "\nExample:\n  shopsim cancel 20261122T101500-a1b2c3 --redis redis://queue.internal:6379",
    )
    .action(async (runId: string, opts: RedisFlags) => {
      const store = await FleetStore.open(redisTarget(opts.redis, opts.prefix), createLogger("error"));
      try {
        const meta = await store.readMeta(runId);
        if (!meta) throw noSuchRun(runId, opts);
        const removed = await store.cancel(runId, meta.session_ids);
        const states = await store.states(meta.session_ids);
        const running = [...states.values()].filter((s) => s === "active").length;
        console.log(
          `run ${runId} cancelled: ${removed} waiting session(s) removed, ${running} running session(s) will end as aborted`,
        );
      } finally {
        await store.close();
      }
    });

  const collect = program
    .command("collect")
    .description("Write a fleet run's directory from Redis (when its coordinator was not running).");
  addRedisOptions(collect)
    .argument("<run>", "run id")
    .requiredOption("-o, --out <dir>", "run directory to write (must not hold a run yet)")
    .addHelpText(
      "after",
      "\nExample:\n  shopsim collect 20261122T101500-a1b2c3 --redis redis://queue.internal:6379 --out runs/collected",
    )
    .action(async (runId: string, opts: RedisFlags & { out: string }) => {
      const store = await FleetStore.open(redisTarget(opts.redis, opts.prefix), createLogger("warn"));
      try {
        const meta = await store.readMeta(runId);
        if (!meta?.manifest) throw noSuchRun(runId, opts);
        const writer = await RunWriter.create(opts.out, {
          ...meta.manifest,
          status: "running",
          config: { ...meta.manifest.config, out: opts.out, collected_from: redacted(opts.redis) },
        });
        const planned = new Set(meta.session_ids);
        const seen = new Set<string>();
        const failed: string[] = [];
        let skipped = 0;
        let last = "0";
        for (;;) {
          const page = await store.readResults(runId, last, null, 200);
          last = page.last;
          for (const r of page.results) {
            const id = resultSessionId(r);
            if (!planned.has(id) || seen.has(id)) continue;
            seen.add(id);
            if (r.kind === "record") {
              for (const f of r.files) await writer.writeFile(f.path, f.data);
              await writer.appendSession(r.record);
            } else if (r.kind === "failed") failed.push(`${id}: ${r.reason}`);
            else skipped += 1;
          }
          if (page.results.length + page.bad < 200) break;
        }
        const complete = seen.size === planned.size;
        const manifest = await writer.finish(
          meta.cancelled_at ? "aborted" : complete ? "finished" : "running",
          { notStarted: planned.size - seen.size + skipped },
        );
        console.log(
          `collected run ${runId}: ${manifest.counts.recorded} of ${planned.size} sessions recorded${failed.length ? `, ${failed.length} failed` : ""}${complete ? "" : `; ${planned.size - seen.size} not ended yet (collect again later into another directory)`}`,
        );
        for (const f of failed) console.log(`  failed ${f}`);
        console.log(`  trajectories: ${opts.out}/sessions.jsonl  manifest: ${opts.out}/manifest.json`);
      } finally {
        await store.close();
      }
    });
}

function noSuchRun(runId: string, opts: RedisFlags): InputError {
  return new InputError(
    `run ${runId}`,
    `not found in ${redacted(opts.redis)} with prefix ${opts.prefix} (is the prefix right? runs are kept 7 days after they end; shopsim status lists them)`,
  );
}

interface RunStatus {
  run_id: string;
  created_at: string;
  planned: number;
  ended: number;
  states: Record<string, number>;
  cancelled_at: string | null;
  finished_at: string | null;
}

async function runStatus(store: FleetStore, runId: string): Promise<RunStatus | null> {
  const meta = await store.readMeta(runId);
  if (!meta) return null;
  const ended = await store.ended(runId);
  const states: Record<string, number> = {};
  for (const [id, s] of await store.states(meta.session_ids.filter((id) => !ended.has(id)))) {
    void id;
    if (LIVE_STATES.has(s) || s === "failed") states[s] = (states[s] ?? 0) + 1;
  }
  return {
    run_id: runId,
    created_at: meta.created_at,
    planned: meta.planned,
    ended: ended.size,
    states,
    cancelled_at: meta.cancelled_at,
    finished_at: meta.finished_at,
  };
}

function statusLine(r: RunStatus): string {
  const s = r.states;
  const state = r.cancelled_at ? "cancelled" : r.ended >= r.planned ? "done" : "running";
  return `${r.run_id}  ${state}  ${r.ended}/${r.planned} ended, ${s.active ?? 0} running, ${(s.waiting ?? 0) + (s.prioritized ?? 0)} waiting, ${s.delayed ?? 0} retrying, ${s.failed ?? 0} failed  (created ${r.created_at})`;
}

function workersLine(
  workers: readonly { id: string; running: number; concurrency: number; done: number }[],
): string {
  if (workers.length === 0) return "workers: none connected";
  return `workers: ${workers.length} connected\n${workers.map((w) => `  ${w.id}: ${w.running}/${w.concurrency} running, ${w.done} done`).join("\n")}`;
}
