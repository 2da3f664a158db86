import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { CATALOG_SPEC_HELP, loadCatalog } from "../../sandbox-shop/catalog/index.ts";
import { createShop, type Shop } from "../../sandbox-shop/server.ts";
import { loadVariantsFile, VariantSet } from "../../sandbox-shop/variants.ts";
import { readYamlFile } from "../config/files.ts";
import { loadPersonas, loadScenarios, SHIPPED_PERSONAS, SHIPPED_SCENARIOS } from "../config/population.ts";
import { InputError } from "../contracts/errors.ts";
import type { Persona } from "../contracts/scenario.ts";
import type { RunManifestInput } from "../contracts/trajectory.ts";
import { createLogger } from "../log.ts";
import { LlmClient } from "../policy/llm/client.ts";
import { ReplayPolicy } from "../policy/replay.ts";
import { generatePersonas, loadDistributionsFile } from "../population/personas.ts";
import { redacted, redisTarget } from "../queue/bullmq/redis.ts";
import { FleetStore } from "../queue/bullmq/store.ts";
import type { PolicySpec } from "../queue/types.ts";
import { bindJobs, planJobs } from "../run/plan.ts";
import { addExecutionOptions, type Execution, executeRun, gitRevision, runVersions } from "./execute-run.ts";
import { addLlmOptions, type LlmFlags, resolveBudget, resolveLlmSettings } from "./llm-options.ts";
import { integer } from "./options.ts";

interface RunOptions extends LlmFlags {
  personas: string;
  population?: string;
  scenarios: string;
  sessions?: number;
  all?: boolean;
  replicas: number;
  concurrency: number;
  policy: "heuristic" | "replay" | "llm";
  replay?: string;
  shop?: string;
  purchaseUrl?: string;
  catalog: string;
  variants?: string;
  variant: string[];
  maxSteps?: number;
  seed: number;
  out?: string;
  screenshots?: boolean;
  browsers: number;
  redis?: string;
  prefix: string;
  workers: number;
  runId?: string;
  attempts: number;
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
      new Option(
        "--population <file>",
        "draw one persona per session from a population (distributions) file, e.g. one written by `shopsim calibrate`, instead of --personas",
      ).env("SHOPSIM_POPULATION"),
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
      new Option(
        "--purchase-url <regex>",
        "with --shop: a session that reaches a page whose URL matches this regular expression has bought (for shops without the sandbox's order API), e.g. '/order/confirm'",
      ).env("SHOPSIM_PURCHASE_URL"),
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
    .option("--run-id <id>", "with --redis: the run's id; running the same id again adds no duplicate jobs");
  addExecutionOptions(command);
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
  shopsim run --shop http://localhost:3000 --purchase-url '/checkout/thank[-_]you' --sessions 5   # count its orders
  shopsim run --population calibrated/population.yaml --sessions 50   # personas drawn from a calibrated population
  shopsim run --policy replay --replay actions.json --sessions 1
  shopsim run --policy llm --model gpt-4o-mini --sessions 5 --max-cost 2 --prices prices.yaml
  shopsim run --policy llm --base-url http://localhost:11434/v1 --model qwen2.5:7b --llm-cache runs/cache
  shopsim run --redis redis://127.0.0.1:6379 --workers 4 --concurrency 2 --sessions 200   # a fleet on this machine
  shopsim run --redis redis://:secret@queue.internal:6379 --shop http://shop.internal:8080 --sessions 1000   # remote workers`,
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
      const scenarios = await loadScenarios(opts.scenarios);
      let personas: Map<string, Persona>;
      if (opts.population) {
        if (opts.personas !== SHIPPED_PERSONAS)
          throw new InputError("--population", "use either --population FILE or --personas PATH, not both");
        const distributions = await loadDistributionsFile(opts.population);
        const n = opts.all ? 30 : (opts.sessions ?? scenarios.size);
        personas = new Map(
          generatePersonas({ n, seed: opts.seed, distributions, idPrefix: "pop" }).map((p) => [p.id, p]),
        );
      } else personas = await loadPersonas(opts.personas);
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
      const fleet = opts.redis ? redisTarget(opts.redis, opts.prefix) : null;
      for (const [flag, set] of [
        ["--workers", opts.workers > 0],
        ["--run-id", opts.runId !== undefined],
      ] as const) {
        if (set && !fleet) throw new InputError(flag, "only applies to a fleet run: add --redis URL");
      }
      const purchaseUrl = opts.purchaseUrl !== undefined ? purchasePattern(opts.purchaseUrl) : null;
      if (purchaseUrl) {
        // The built-in shop's port is not known yet; its pages' paths are what a pattern can match.
        const base = URL.canParse(opts.shop ?? "") ? opts.shop! : "http://127.0.0.1/";
        for (const s of scenarios.values()) {
          const start = new URL(s.start, base).toString();
          if (purchaseUrl.test(start)) {
            throw new InputError(
              `--purchase-url ${opts.purchaseUrl}`,
              `matches ${start}, where scenario ${s.id} starts, so every session would count as a purchase; give a pattern only an order confirmation page's URL matches`,
            );
          }
        }
      }
      if (opts.runId !== undefined && !/^[A-Za-z0-9_.-]{1,80}$/.test(opts.runId))
        throw new InputError(`--run-id ${opts.runId}`, "expected 1-80 letters, digits, '_', '-' or '.'");
      // Connect before anything starts, so a wrong URL or password fails at once.
      const store = fleet ? await FleetStore.open(fleet, log) : null;
      const runId =
        opts.runId ??
        `${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
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
        const fromFile = opts.variants ? await loadVariantsFile(opts.variants) : null;
        const variantSet = (fromFile ?? VariantSet.single()).withBuiltins();
        for (const v of opts.variant) {
          if (!variantSet.get(v))
            throw new InputError(
              `--variant ${v}`,
              `no such variant; the shop has ${variantSet.names().join(", ")}`,
            );
        }
        if (fromFile && opts.variant.length === 0) variants = fromFile.names();
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

      const policy: PolicySpec = replay
        ? { kind: "replay", steps: [...replay.steps] }
        : llm
          ? { kind: "llm", settings: llm.settings }
          : { kind: "heuristic" };
      const jobs = bindJobs(
        planJobs({
          personas: [...personas.values()],
          scenarios: [...scenarios.values()],
          ...(opts.all ? {} : { sessions: opts.sessions ?? scenarios.size }),
          replicas: opts.replicas,
          variants,
          seed: opts.seed,
        }),
        {
          runId,
          personas,
          scenarios,
          policy,
          shopUrl,
          limits: opts.maxSteps !== undefined ? { maxSteps: opts.maxSteps } : {},
          sessionBudget: budget.session,
          screenshots: opts.screenshots ?? false,
          ...(opts.purchaseUrl !== undefined ? { purchaseUrl: opts.purchaseUrl } : {}),
        },
      );
      const manifest = {
        run_id: runId,
        status: "running",
        started_at: new Date().toISOString(),
        ended_at: null,
        seed: opts.seed,
        config: {
          ...withoutSecrets(opts),
          ...(fleet ? { redis: redacted(fleet.url) } : {}),
          queue: fleet ? "bullmq" : "in-process",
          out,
          personas_loaded: personas.size,
          scenarios_loaded: scenarios.size,
          ...(llm ? { llm: llm.settings } : {}),
        },
        versions: runVersions(),
        git_revision: gitRevision(),
        shop: { url: shopUrl, started_by_run: shop !== null, catalog: shop ? opts.catalog : null },
        counts: { planned: jobs.length, recorded: 0, by_status: {}, steps: 0 },
      } satisfies RunManifestInput;

      let execution: Execution;
      try {
        execution = await executeRun({
          jobs,
          out,
          manifest,
          log,
          concurrency: opts.concurrency,
          browsers: opts.browsers,
          fleet:
            store && fleet ? { store, target: fleet, workers: opts.workers, attempts: opts.attempts } : null,
          shopIsLocal: !opts.shop,
          shopUrl,
          llm,
          apiKey: opts.apiKey,
          budget,
          command: "shopsim run",
        });
      } finally {
        await store?.close();
        await shop?.close();
      }
      const { summary, interrupted } = execution;
      const s = summary;
      const statuses = Object.entries(s.byStatus)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
      console.log(
        [
          `shopsim run ${runId}: ${s.sessions} sessions in ${(s.wallMs / 1000).toFixed(1)} s (${statuses})${s.cancelled && !interrupted ? `; cancelled, ${s.notStarted} sessions did not start` : ""}`,
          `  purchase rate ${(s.purchaseRate * 100).toFixed(1)}%, mean goal score ${s.meanGoalScore === null ? "n/a" : s.meanGoalScore.toFixed(3)}, ${s.stepsPerSession.toFixed(1)} steps per session, ${s.errors} errors`,
          ...(s.usage.calls > 0 || llm
            ? [
                `  model usage: ${s.usage.calls} calls (${s.usage.cached_calls} from the cache, ${s.usage.retries} retries), ${s.usage.input_tokens.toLocaleString("en-US")} prompt + ${s.usage.output_tokens.toLocaleString("en-US")} completion tokens, cost ${s.usage.cost_usd === null ? "unknown (no price for the model; see --prices)" : `$${s.usage.cost_usd.toFixed(4)}`}`,
              ]
            : []),
          ...s.failed.map((f) => `  failed: ${f.session_id}: ${f.reason}`),
          ...(s.budgetExceeded
            ? [`  budget: ${s.budgetExceeded}; ${s.notStarted} sessions did not start`]
            : []),
          `  trajectories: ${join(out, "sessions.jsonl")}  manifest: ${join(out, "manifest.json")}${shop ? `  shop events: ${join(out, "events.jsonl")}` : ""}`,
        ].join("\n"),
      );
      if (interrupted) process.exitCode = 130;
    });
}

function purchasePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new InputError(
      `--purchase-url ${pattern}`,
      `is not a regular expression (${(error as Error).message}); expected e.g. '/order/confirm' or 'thank[-_]you'`,
    );
  }
}

/** The options as recorded in the manifest: the API key never is. */
function withoutSecrets(opts: RunOptions): Record<string, unknown> {
  const { apiKey, ...rest } = opts;
  return { ...rest, ...(apiKey ? { api_key: "(set, not recorded)" } : {}) };
}
