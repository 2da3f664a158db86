import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SingleBar } from "cli-progress";
import { type Command, Option } from "commander";
import { CATALOG_SPEC_HELP, loadCatalog } from "../../sandbox-shop/catalog/index.ts";
import { createShop, type Shop } from "../../sandbox-shop/server.ts";
import { loadVariantsFile, VariantSet } from "../../sandbox-shop/variants.ts";
import { BrowserPool } from "../browser/index.ts";
import { readYamlFile } from "../config/files.ts";
import { loadPersonas, loadScenarios, SHIPPED_PERSONAS, SHIPPED_SCENARIOS } from "../config/population.ts";
import { InputError } from "../contracts/errors.ts";
import type { Persona, Scenario } from "../contracts/scenario.ts";
import { createLogger } from "../log.ts";
import { HeuristicShopper } from "../policy/heuristic/shopper.ts";
import { LlmClient } from "../policy/llm/client.ts";
import { LlmPolicy } from "../policy/llm/policy.ts";
import { ReplayPolicy } from "../policy/replay.ts";
import type { Policy } from "../policy/types.ts";
import { InProcessQueue } from "../queue/in-process.ts";
import { type FleetProgress, type FleetSummary, runFleet } from "../run/fleet.ts";
import { planJobs } from "../run/plan.ts";
import { simplify } from "../simplify/index.ts";
import { RunWriter } from "../trajectory/run-dir.ts";
import { addLlmOptions, type LlmFlags, resolveBudget, resolveLlmSettings } from "./llm-options.ts";
import { integer } from "./options.ts";

const ROOT = new URL("../../", import.meta.url);

function gitRevision(): string | null {
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

interface RunOptions extends LlmFlags {
  personas: string;
  scenarios: string;
  sessions?: number;
  all?: boolean;
  replicas: number;
  concurrency: number;
  policy: "heuristic" | "replay" | "llm";
  replay?: string;
  shop?: string;
  catalog: string;
  variants?: string;
  variant: string[];
  maxSteps?: number;
  seed: number;
  out?: string;
  screenshots?: boolean;
  browsers: number;
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command("run")
    .description("Run a fleet of simulated shoppers against a shop and write their trajectories.")
    .addOption(
      new Option("--personas <path>", "persona file or folder")
        .default(SHIPPED_PERSONAS)
        .env("SHOPSIM_PERSONAS"),
    )
    .addOption(
      new Option("--scenarios <path>", "scenario file or folder")
        .default(SHIPPED_SCENARIOS)
        .env("SHOPSIM_SCENARIOS"),
    )
    .option(
      "-n, --sessions <n>",
      "sample N persona × scenario pairs (default: as many as there are scenarios)",
      integer("--sessions", 1, 1_000_000),
    )
    .option("--all", "run the full persona × scenario cross product instead of a sample")
    .option("--replicas <n>", "run each session this many times", integer("--replicas", 1, 1000), 1)
    .addOption(
      new Option("-c, --concurrency <n>", "sessions at once")
        .default(3)
        .argParser(integer("--concurrency", 1, 256))
        .env("SHOPSIM_CONCURRENCY"),
    )
    .addOption(
      new Option(
        "--policy <kind>",
        "who decides: the built-in shopper, a recorded action list, or a language model",
      )
        .choices(["heuristic", "replay", "llm"])
        .default("heuristic"),
    )
    .option("--replay <file>", "with --policy replay: a JSON list of {action, rationale}")
    .addOption(
      new Option("--shop <url>", "a running shop (default: start the built-in one)").env("SHOPSIM_SHOP_URL"),
    )
    .addOption(
      new Option("--catalog <spec>", `built-in shop catalog: ${CATALOG_SPEC_HELP}`)
        .default("builtin")
        .env("SHOPSIM_CATALOG"),
    )
    .option("--variants <file>", "built-in shop: variants file for an A/B run")
    .option(
      "--variant <name>",
      "run every session on this variant (repeatable: every session on each)",
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option(
      "--max-steps <n>",
      "step limit per session (default: the scenario's)",
      integer("--max-steps", 1, 500),
    )
    .addOption(
      new Option("--seed <n>", "seed for sampling, shoppers and the built-in catalog")
        .default(42)
        .argParser(integer("--seed", 0, 2 ** 31 - 1))
        .env("SHOPSIM_SEED"),
    )
    .option("-o, --out <dir>", "run directory (default: runs/<time>-<id>)")
    .option("--screenshots", "save a PNG of every observed page in the run directory")
    .addOption(
      new Option("--browsers <n>", "browser processes")
        .default(2)
        .argParser(integer("--browsers", 1, 64))
        .env("SHOPSIM_BROWSERS"),
    );
  addLlmOptions(command)
    .addHelpText(
      "after",
      `
Examples:
  shopsim run                                      # each shipped scenario once, on the built-in shop
  shopsim run --all --replicas 2                   # every persona × scenario, twice
  shopsim run --sessions 12 --concurrency 3 --out runs/demo
  shopsim run --catalog webshop:../shared/datasets/webshop-1k/products_1000.jsonl --scenarios my-scenarios.yaml
  shopsim run --shop http://localhost:3000 --sessions 5      # your own (staging) shop
  shopsim run --policy replay --replay actions.json --sessions 1
  shopsim run --policy llm --model gpt-4o-mini --sessions 5 --max-cost 2 --prices prices.yaml
  shopsim run --policy llm --base-url http://localhost:11434/v1 --model qwen2.5:7b --llm-cache runs/cache`,
    )
    .action(async (opts: RunOptions) => {
      const log = createLogger(process.env.SHOPSIM_LOG_LEVEL ?? "warn");
      if (opts.all && opts.sessions !== undefined) {
        throw new InputError(
          "--all",
          "use either --all (every persona × scenario) or --sessions N, not both",
        );
      }
      // Everything a user wrote is checked before any browser starts.
      const personas = await loadPersonas(opts.personas);
      const scenarios = await loadScenarios(opts.scenarios);
      let replay: ReplayPolicy | null = null;
      if (opts.policy === "replay") {
        if (!opts.replay)
          throw new InputError("--policy replay", "needs --replay FILE with the actions to replay");
        replay = ReplayPolicy.from(await readYamlFile(opts.replay), opts.replay);
      }
      let llm: LlmClient | null = null;
      if (opts.policy === "llm") {
        const { settings, apiKey } = await resolveLlmSettings(opts);
        llm = new LlmClient({ settings, apiKey, logger: log });
      }
      const budget = resolveBudget(opts, llm?.settings ?? null);
      const runId = `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
      const out = opts.out ?? join("runs", runId);

      let shop: Shop | null = null;
      let shopUrl: string;
      let variants: (string | null)[] = opts.variant.length > 0 ? opts.variant : [null];
      if (opts.shop) {
        shopUrl = opts.shop;
        try {
          await fetch(shopUrl, { signal: AbortSignal.timeout(5000) });
        } catch (error) {
          throw new InputError(
            `--shop ${shopUrl}`,
            `the shop does not answer (${(error as Error).cause ?? (error as Error).message}); is it running?`,
          );
        }
      } else {
        const variantSet = opts.variants ? await loadVariantsFile(opts.variants) : VariantSet.single();
        for (const v of opts.variant) {
          if (!variantSet.get(v))
            throw new InputError(
              `--variant ${v}`,
              `no such variant; the shop has ${variantSet.names().join(", ")}`,
            );
        }
        if (opts.variants && opts.variant.length === 0) variants = variantSet.names();
        const catalog = await loadCatalog(opts.catalog, opts.seed);
        shop = await createShop({
          catalog,
          variants: variantSet,
          eventsPath: join(out, "events.jsonl"),
          seed: opts.seed,
          logger: log,
        });
        shopUrl = await shop.listen(0);
      }

      const jobs = planJobs({
        personas: [...personas.values()],
        scenarios: [...scenarios.values()],
        ...(opts.all ? {} : { sessions: opts.sessions ?? scenarios.size }),
        replicas: opts.replicas,
        variants,
        seed: opts.seed,
      });
      const writer = await RunWriter.create(out, {
        run_id: runId,
        status: "running",
        started_at: new Date().toISOString(),
        ended_at: null,
        seed: opts.seed,
        config: {
          ...withoutSecrets(opts),
          out,
          personas_loaded: personas.size,
          scenarios_loaded: scenarios.size,
          ...(llm ? { llm: llm.settings } : {}),
        },
        versions: {
          shopsim: versionOf(new URL("package.json", ROOT)) ?? "unknown",
          node: process.version,
          playwright: versionOf(new URL("node_modules/playwright/package.json", ROOT)),
        },
        git_revision: gitRevision(),
        shop: { url: shopUrl, started_by_run: shop !== null, catalog: shop ? opts.catalog : null },
        counts: { planned: jobs.length, recorded: 0, by_status: {}, steps: 0 },
      });

      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = () => {
        interrupts += 1;
        if (interrupts > 1) process.exit(130);
        console.error(
          "\nshopsim run: stopping; running sessions are recorded as aborted (Ctrl-C again to quit at once)",
        );
        controller.abort(new Error("interrupted by the user"));
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);

      const pool = new BrowserPool({ size: Math.min(opts.browsers, opts.concurrency), logger: log });
      const report = progressReporter(jobs.length);
      let summary: FleetSummary | null = null;
      try {
        summary = await runFleet(
          {
            runId,
            shopUrl,
            jobs,
            personas,
            scenarios,
            concurrency: opts.concurrency,
            screenshots: opts.screenshots ?? false,
            limits: opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {},
            makePolicy: (persona: Persona, scenario: Scenario, job): Policy =>
              replay ??
              (llm ? new LlmPolicy(llm, job.seed) : new HeuristicShopper(persona, scenario, job.seed)),
            budget,
          },
          {
            queue: new InProcessQueue(),
            browsers: pool,
            simplify: (html, url) => simplify(html, url),
            writer,
            logger: log,
            signal: controller.signal,
            onProgress: report.update,
          },
        );
      } finally {
        report.stop();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await writer.finish(controller.signal.aborted ? "aborted" : summary ? "finished" : "failed", {
          ...(summary ? { notStarted: summary.notStarted } : {}),
          budget: {
            max_tokens: budget.run.maxTokens,
            max_cost_usd: budget.run.maxCostUsd,
            session_max_tokens: budget.session.maxTokens,
            session_max_cost_usd: budget.session.maxCostUsd,
            exceeded: summary?.budgetExceeded ?? null,
          },
        });
        await pool.close().catch((e: unknown) => log.warn({ err: e }, "closing browsers failed"));
        await shop?.close();
      }
      const s = summary;
      const statuses = Object.entries(s.byStatus)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      console.log(
        [
          `shopsim run ${runId}: ${s.sessions} sessions in ${(s.wallMs / 1000).toFixed(1)} s (${statuses})`,
          `  purchase rate ${(s.purchaseRate * 100).toFixed(1)}%, mean goal score ${s.meanGoalScore === null ? "n/a" : s.meanGoalScore.toFixed(3)}, ${s.stepsPerSession.toFixed(1)} steps per session, ${s.errors} errors`,
          ...(s.usage.calls > 0 || llm
            ? [
                `  model usage: ${s.usage.calls} calls (${s.usage.cached_calls} from the cache, ${s.usage.retries} retries), ${s.usage.input_tokens.toLocaleString("en-US")} prompt + ${s.usage.output_tokens.toLocaleString("en-US")} completion tokens, cost ${s.usage.cost_usd === null ? "unknown (no price for the model; see --prices)" : `$${s.usage.cost_usd.toFixed(4)}`}`,
              ]
            : []),
          ...(s.budgetExceeded
            ? [`  budget: ${s.budgetExceeded}; ${s.notStarted} sessions did not start`]
            : []),
          `  trajectories: ${join(out, "sessions.jsonl")}  manifest: ${join(out, "manifest.json")}${shop ? `  shop events: ${join(out, "events.jsonl")}` : ""}`,
        ].join("\n"),
      );
      if (controller.signal.aborted) process.exitCode = 130;
    });
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

/** The options as recorded in the manifest: the API key never is. */
function withoutSecrets(opts: RunOptions): Record<string, unknown> {
  const { apiKey, ...rest } = opts;
  return { ...rest, ...(apiKey ? { api_key: "(set, not recorded)" } : {}) };
}
