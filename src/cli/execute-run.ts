import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SingleBar } from "cli-progress";
import { type Command, Option } from "commander";
import { BrowserPool } from "../browser/index.ts";
import type { RunManifestInput } from "../contracts/trajectory.ts";
import type { Logger } from "../log.ts";
import type { LlmClient } from "../policy/llm/client.ts";
import { BullMQQueue } from "../queue/bullmq/queue.ts";
import { type RedisTarget, redacted } from "../queue/bullmq/redis.ts";
import type { FleetStore } from "../queue/bullmq/store.ts";
import type { JobQueue, SessionJob } from "../queue/types.ts";
import { inProcessQueue } from "../run/executor.ts";
import { type FleetProgress, type FleetSummary, runFleet } from "../run/fleet.ts";
import { PolicyFactory } from "../run/policies.ts";
import { Budget, type BudgetLimits } from "../session/budget.ts";
import { simplify } from "../simplify/index.ts";
import { RunWriter } from "../trajectory/run-dir.ts";
import { browserArgsFromEnv, integer } from "./options.ts";

/**
 * Runs a list of session jobs to a run directory on either queue backend: the in-process queue with
 * a local browser pool, or a BullMQ fleet (optionally with local worker processes). Shared by
 * `shopsim run` and `shopsim ab`. Ctrl-C stops new sessions; running ones are recorded as aborted.
 */

const ROOT = new URL("../../", import.meta.url);

/** The checkout's git revision, or null outside a git checkout. */
export function gitRevision(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

function versionOf(pkg: URL): string | null {
  try {
    return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
}

/** Versions recorded in a run's manifest. */
export function runVersions(): RunManifestInput["versions"] {
  return {
    shopsim: versionOf(new URL("package.json", ROOT)) ?? "unknown",
    node: process.version,
    playwright: versionOf(new URL("node_modules/playwright/package.json", ROOT)),
  };
}

/** The options of where and how sessions run: concurrency, browsers, and a BullMQ fleet. */
export function addExecutionOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("-c, --concurrency <n>", "sessions at once")
        .default(3)
        .argParser(integer("--concurrency", 1, 256))
        .env("SHOPSIM_CONCURRENCY"),
    )
    .addOption(
      new Option("--browsers <n>", "browser processes")
        .default(2)
        .argParser(integer("--browsers", 1, 64))
        .env("SHOPSIM_BROWSERS"),
    )
    .addOption(
      new Option(
        "--redis <url>",
        "run on a BullMQ fleet through this Redis (redis://[:password@]host:port, rediss:// for TLS)",
      ).env("SHOPSIM_REDIS"),
    )
    .addOption(
      new Option("--prefix <name>", "with --redis: key prefix of the deployment")
        .default("shopsim")
        .env("SHOPSIM_PREFIX"),
    )
    .option(
      "--workers <n>",
      "with --redis: also start N local worker processes (0: rely on workers started elsewhere)",
      integer("--workers", 0, 256),
      0,
    )
    .option(
      "--attempts <n>",
      "with --redis: starts per session before it fails for good",
      integer("--attempts", 1, 20),
      3,
    );
}

export interface FleetTarget {
  store: FleetStore;
  target: RedisTarget;
  /** Local `shopsim worker` processes to start (0: workers run elsewhere). */
  workers: number;
  attempts: number;
}

export interface ExecuteOptions {
  jobs: readonly SessionJob[];
  out: string;
  manifest: RunManifestInput;
  log: Logger;
  concurrency: number;
  browsers: number;
  /** A BullMQ fleet, or null for the in-process queue. */
  fleet: FleetTarget | null;
  /** The shop was started by this process (only workers on this machine can reach it). */
  shopIsLocal: boolean;
  shopUrl: string;
  llm: LlmClient | null;
  apiKey: string | undefined;
  budget: { run: BudgetLimits; session: BudgetLimits };
  /** How the command is named in messages, e.g. "shopsim run". */
  command: string;
}

export interface Execution {
  summary: FleetSummary;
  /** Stopped by Ctrl-C / SIGTERM. */
  interrupted: boolean;
}

export async function executeRun(opts: ExecuteOptions): Promise<Execution> {
  const { log, fleet, llm, budget } = opts;
  const writer = await RunWriter.create(opts.out, opts.manifest);
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    console.error(
      `\n${opts.command}: stopping; running sessions are recorded as aborted (Ctrl-C again to quit at once)`,
    );
    controller.abort(new Error("interrupted by the user"));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let pool: BrowserPool | null = null;
  let queue: JobQueue;
  let localWorkers: LocalWorkers | null = null;
  if (fleet) {
    if (opts.shopIsLocal && fleet.workers === 0) {
      console.error(
        `${opts.command}: the built-in shop listens on ${opts.shopUrl}, which only workers on this machine can reach; for remote workers start \`shopsim shop --host 0.0.0.0\` and pass --shop URL`,
      );
    }
    queue = new BullMQQueue({
      store: fleet.store,
      logger: log,
      manifest: opts.manifest,
      attempts: fleet.attempts,
      onNoWorkers: () =>
        console.error(
          `${opts.command}: no worker is connected to ${redacted(fleet.target.url)} (prefix ${fleet.target.prefix}); start some with \`shopsim worker --redis URL\` or pass --workers N`,
        ),
    });
    if (fleet.workers > 0) {
      localWorkers = startLocalWorkers(fleet.workers, fleet.target.url, {
        prefix: fleet.target.prefix,
        concurrency: opts.concurrency,
        browsers: opts.browsers,
        ...(llm && opts.apiKey ? { env: { [llm.settings.api_key_env]: opts.apiKey } } : {}),
      });
    }
  } else {
    pool = new BrowserPool({
      size: Math.min(opts.browsers, opts.concurrency),
      args: browserArgsFromEnv(),
      logger: log,
    });
    queue = inProcessQueue(
      {
        browsers: pool,
        simplify: (html, url) => simplify(html, url),
        makePolicy: new PolicyFactory({ logger: log, env: process.env, clients: llm ? [llm] : [] }).make,
        logger: log,
        runBudget: new Budget(budget.run, "run"),
      },
      opts.concurrency,
    );
  }
  const report = progressReporter(opts.jobs.length);
  let summary: FleetSummary | null = null;
  try {
    summary = await runFleet(
      { jobs: opts.jobs, budget: budget.run },
      { queue, writer, logger: log, signal: controller.signal, onProgress: report.update },
    );
  } finally {
    report.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await writer.finish(
      controller.signal.aborted || summary?.cancelled ? "aborted" : summary ? "finished" : "failed",
      {
        ...(summary ? { notStarted: summary.notStarted } : {}),
        budget: {
          max_tokens: budget.run.maxTokens,
          max_cost_usd: budget.run.maxCostUsd,
          session_max_tokens: budget.session.maxTokens,
          session_max_cost_usd: budget.session.maxCostUsd,
          exceeded: summary?.budgetExceeded ?? null,
        },
      },
    );
    await queue.close();
    await localWorkers?.stop();
    await pool?.close().catch((e: unknown) => log.warn({ err: e }, "closing browsers failed"));
  }
  return { summary, interrupted: controller.signal.aborted };
}

/** A live bar on a terminal, a plain line per finished session otherwise. */
function progressReporter(total: number): { update: (p: FleetProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new SingleBar(
      {
        format:
          "{bar} {value}/{total} sessions | {steps} steps | {purchases} purchases | {errors} errors | ETA {eta_formatted}",
        stream: process.stderr,
        hideCursor: true,
      },
      undefined,
    );
    bar.start(total, 0, { steps: 0, purchases: 0, errors: 0 });
    return {
      update: (p) => bar.update(p.done, { steps: p.steps, purchases: p.purchases, errors: p.errors }),
      stop: () => bar.stop(),
    };
  }
  let last = -1;
  return {
    update: (p) => {
      if (p.done === last) return;
      last = p.done;
      console.error(
        `sessions ${p.done}/${p.total}, steps ${p.steps}, purchases ${p.purchases}, errors ${p.errors}`,
      );
    },
    stop: () => {},
  };
}

interface LocalWorkers {
  stop(): Promise<void>;
}

/**
 * Starts `n` worker processes on this machine (`shopsim worker`), each with its own browsers. Their
 * output is kept and shown only if one fails; they are stopped (SIGTERM, then SIGKILL) at the end.
 */
function startLocalWorkers(
  n: number,
  redisUrl: string,
  opts: { prefix: string; concurrency: number; browsers: number; env?: Record<string, string> },
): LocalWorkers {
  const main = fileURLToPath(new URL("./main.ts", import.meta.url));
  const children: { proc: ChildProcess; output: string[]; exited: Promise<number | null> }[] = [];
  for (let i = 0; i < n; i++) {
    const proc = spawn(
      process.execPath,
      [
        ...process.execArgv,
        main,
        "worker",
        "--redis",
        redisUrl,
        "--prefix",
        opts.prefix,
        "--concurrency",
        String(opts.concurrency),
        "--browsers",
        String(Math.max(1, Math.min(opts.browsers, Math.ceil(opts.concurrency / 4)))),
      ],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...opts.env } },
    );
    const output: string[] = [];
    proc.stderr?.on("data", (b: Buffer) => {
      output.push(b.toString());
      if (output.length > 200) output.shift();
    });
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
    children.push({ proc, output, exited });
  }
  return {
    async stop() {
      for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGTERM");
      await Promise.all(
        children.map(async (c, i) => {
          const timer = setTimeout(() => c.proc.kill("SIGKILL"), 60_000);
          const code = await c.exited;
          clearTimeout(timer);
          if (code !== 0) console.error(`local worker ${i + 1} exited with ${code}:\n${c.output.join("")}`);
        }),
      );
    },
  };
}
