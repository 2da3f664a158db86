import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { stringify as toYaml } from "yaml";
import { loadScenarios, SHIPPED_SCENARIOS } from "../config/population.ts";
import { InputError } from "../contracts/errors.ts";
import type { HumanLogs } from "../contracts/human-log.ts";
import { type CalibrationResult, calibrate } from "../eval/calibrate.ts";
import { type CompareResult, compareSessions, REFERENCE_ROWS } from "../eval/compare.ts";
import { FORMATS, importHumanLogs } from "../eval/import/index.ts";
import {
  compareResults,
  evaluateNextAction,
  type NextActionResult,
  oraclePolicy,
  type PolicyMaker,
} from "../eval/next-action.ts";
import { renderQueries } from "../eval/queries.ts";
import { renderCompare, renderImport, renderNextAction } from "../eval/render.ts";
import {
  commandLine,
  type EvalReport,
  hashPath,
  makeReport,
  mdTable,
  num,
  renderMarkdown,
  writeEvalReport,
} from "../eval/report.ts";
import { createLogger } from "../log.ts";
import { HeuristicShopper } from "../policy/heuristic/shopper.ts";
import { LlmClient } from "../policy/llm/client.ts";
import { LlmPolicy } from "../policy/llm/policy.ts";
import { registerEvalQueriesCommand } from "./eval-queries-command.ts";
import { addLlmOptions, type LlmFlags, resolveLlmSettings } from "./llm-options.ts";
import { integer } from "./options.ts";
import { LocalSimulator } from "./simulate.ts";

const FORMAT_NAMES = ["auto", ...FORMATS.map((f) => f.name)] as const;
const formatHelp = `human-log format: auto (default), ${FORMATS.map((f) => `${f.name} (${f.description})`).join("; ")}`;

function report<R>(kind: string, inputs: EvalReport<R>["inputs"], result: R): EvalReport<R> {
  return makeReport(kind, process.argv.slice(2), inputs, result);
}

function printImport(label: string, logs: HumanLogs): void {
  const r = logs.report;
  console.log(
    `${label}: ${r.sessions} sessions from ${r.records} records (${r.format}); ${r.skipped} skipped`,
  );
  for (const i of r.issues.slice(0, 5))
    console.log(
      `  skipped ${i.file}${i.line !== null ? `:${i.line}` : ""}${i.field ? ` ${i.field}` : ""}: ${i.problem}`,
    );
  if (r.issues.length > 5) console.log(`  … ${r.issues.length - 5} more in the report`);
}

async function readResult(path: string): Promise<NextActionResult> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new InputError(path, `cannot read a next-action result (${(error as Error).message})`);
  }
  const r = (data as { kind?: string; result?: NextActionResult } | null) ?? {};
  if (r.kind !== "next-action" || !Array.isArray(r.result?.predictions))
    throw new InputError(path, "expected a next-action.json written by `shopsim eval next-action`");
  return r.result as NextActionResult;
}

interface NextActionOptions extends LlmFlags {
  human: string;
  format: (typeof FORMAT_NAMES)[number];
  policy: "heuristic" | "oracle" | "llm";
  limit?: number;
  seed: number;
  baseline?: string;
  out: string;
}

interface CompareOptions {
  human: string;
  humanFormat: (typeof FORMAT_NAMES)[number];
  sim: string;
  simFormat: (typeof FORMAT_NAMES)[number];
  rounds: number;
  seed: number;
  limit?: number;
  out: string;
}

interface CalibrateOptions {
  human: string;
  format: (typeof FORMAT_NAMES)[number];
  reference?: string;
  sessions: number;
  evaluations: number;
  holdout: number;
  concurrency: number;
  scenarios: string;
  catalog: string;
  seed: number;
  limit?: number;
  out: string;
}

function referenceByName(name: string) {
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "");
  const hit = REFERENCE_ROWS.find((r) => slug(r.name).startsWith(slug(name)));
  if (!hit)
    throw new InputError(
      `--reference ${name}`,
      `no such reference; choose one of: ${REFERENCE_ROWS.map((r) => `"${r.name}"`).join(", ")}`,
    );
  return hit;
}

/** Adds `shopsim eval …`, `shopsim calibrate` and `shopsim report`. */
export function registerEvalCommands(program: Command): void {
  const evalCmd = program
    .command("eval")
    .description(
      "Measure simulated shoppers against real human logs (the paper's benchmark, session shape).",
    );

  addLlmOptions(
    evalCmd
      .command("next-action")
      .description(
        "The paper's task: predict each human action from the true history and the stored page; exact-match accuracy, action-type F1, outcome F1, error breakdown.",
      )
      .requiredOption(
        "--human <path>",
        "human log: a file or folder (OPeRA Parquet/JSON, shopsim run directory)",
      )
      .addOption(new Option("--format <name>", formatHelp).choices(FORMAT_NAMES).default("auto"))
      .addOption(
        new Option(
          "--policy <kind>",
          "who predicts: heuristic, llm, or oracle (replays the humans: 100% by construction)",
        )
          .choices(["heuristic", "oracle", "llm"])
          .default("heuristic"),
      )
      .option("--limit <n>", "evaluate at most this many sessions", integer("--limit", 1, 10_000_000))
      .addOption(
        new Option("--seed <n>", "seed of the heuristic shopper")
          .default(1)
          .argParser(integer("--seed", 0, 2 ** 31 - 1)),
      )
      .option("--baseline <file>", "an earlier next-action.json: add McNemar's test of this run against it")
      .requiredOption("-o, --out <dir>", "folder for next-action.json and next-action.md"),
  )
    .addHelpText(
      "after",
      `
Examples:
  shopsim eval next-action --human opera/ --policy heuristic --out eval/heuristic
  shopsim eval next-action --human opera/actions.parquet --policy llm --model gpt-4o-mini --llm-cache cache --limit 50 --out eval/gpt
  shopsim eval next-action --human runs/demo --policy oracle --out eval/oracle     # self-check: 100%
  shopsim eval next-action --human opera/ --policy llm --model m --llm-cache cache --baseline eval/heuristic/next-action.json --out eval/m`,
    )
    .action(async (opts: NextActionOptions) => {
      const log = createLogger(process.env.SHOPSIM_LOG_LEVEL ?? "warn");
      const baseline = opts.baseline ? await readResult(opts.baseline) : null;
      const logs = await importHumanLogs(opts.human, {
        format: opts.format,
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      });
      printImport("human log", logs);
      let makePolicy: PolicyMaker;
      let client: LlmClient | null = null;
      if (opts.policy === "oracle") makePolicy = ({ session, index }) => oraclePolicy(session, index);
      else if (opts.policy === "llm") {
        const { settings, apiKey } = await resolveLlmSettings(opts);
        const llm = new LlmClient({ settings, apiKey, logger: log });
        client = llm;
        makePolicy = () => new LlmPolicy(llm, opts.seed);
      } else {
        makePolicy = ({ persona, scenario, history }) => {
          const shopper = new HeuristicShopper(persona, scenario, opts.seed);
          shopper.resume(history);
          return shopper;
        };
      }
      const controller = new AbortController();
      const onSignal = () => controller.abort(new Error("interrupted by the user"));
      process.once("SIGINT", onSignal);
      let result: NextActionResult;
      try {
        result = await evaluateNextAction(logs.sessions, makePolicy, {
          signal: controller.signal,
          onStep: (done, total) => {
            if (done % 100 === 0 || done === total) process.stderr.write(`\r  ${done}/${total} steps`);
          },
        });
        process.stderr.write("\n");
      } finally {
        process.off("SIGINT", onSignal);
      }
      if (result.steps === 0)
        throw new InputError(
          `--human ${opts.human}`,
          "no step has a stored page to predict from (next-action needs observations: OPeRA simplified_html or a shopsim run; WebShop raw logs and UCI have none)",
        );
      const mcnemar = baseline ? compareResults(result, baseline) : undefined;
      const inputs = [await hashPath(opts.human), ...(opts.baseline ? [await hashPath(opts.baseline)] : [])];
      const full = {
        ...result,
        import: logs.report,
        ...(client ? { llm: client.settings } : {}),
        ...(mcnemar ? { mcnemar_vs_baseline: mcnemar } : {}),
      };
      const files = await writeEvalReport(
        opts.out,
        "next-action",
        report("next-action", inputs, full),
        `${renderImport("Human log", logs.report)}\n\n${renderNextAction(result, mcnemar)}`,
      );
      console.log(
        [
          `next-action (${result.policy.kind}${result.policy.model ? ` ${result.policy.model}` : ""}): ${result.steps} steps in ${result.per_session.length} sessions`,
          `  accuracy macro ${(result.accuracy_macro * 100).toFixed(2)}%, micro ${(result.accuracy_micro * 100).toFixed(2)}%; action-type macro F1 ${(result.action_type.macro_f1 * 100).toFixed(2)}%; outcome macro F1 ${num(result.outcome.macro_f1 * 100)}%`,
          ...(mcnemar
            ? [
                `  vs baseline: ${mcnemar.paired_steps} paired steps, ${(mcnemar.accuracy_a * 100).toFixed(2)}% vs ${(mcnemar.accuracy_b * 100).toFixed(2)}%, McNemar exact p = ${mcnemar.p_value.toFixed(4)}`,
              ]
            : []),
          `  report: ${files.json}  ${files.markdown}`,
        ].join("\n"),
      );
    });

  evalCmd
    .command("mcnemar")
    .description("McNemar's test between two next-action result files (paired by session and step).")
    .argument("<a>", "next-action.json of system A")
    .argument("<b>", "next-action.json of system B")
    .addHelpText(
      "after",
      "\nExample:\n  shopsim eval mcnemar eval/gpt/next-action.json eval/heuristic/next-action.json",
    )
    .action(async (a: string, b: string) => {
      const r = compareResults(await readResult(a), await readResult(b));
      console.log(
        [
          `${r.paired_steps} paired steps (${r.unpaired_steps} unpaired, left out)`,
          `  accuracy A ${(r.accuracy_a * 100).toFixed(2)}%, B ${(r.accuracy_b * 100).toFixed(2)}%`,
          `  both right ${r.both_correct}, only A ${r.only_a}, only B ${r.only_b}, neither ${r.neither}`,
          `  McNemar exact p = ${r.p_value.toFixed(4)} (chi-square with continuity correction ${r.chi2.toFixed(3)})`,
        ].join("\n"),
      );
    });

  evalCmd
    .command("compare")
    .description(
      "Session-shape realism: simulated vs human sessions, feature by feature (KS / Jensen–Shannon with bootstrap CIs), one realism score, and published human aggregates.",
    )
    .requiredOption(
      "--human <path>",
      "human sessions (any importable format, e.g. the UCI CSV or WebShop logs)",
    )
    .addOption(new Option("--human-format <name>", formatHelp).choices(FORMAT_NAMES).default("auto"))
    .requiredOption("--sim <path>", "simulated sessions: a shopsim run directory")
    .addOption(new Option("--sim-format <name>", "format of --sim").choices(FORMAT_NAMES).default("auto"))
    .option("--rounds <n>", "bootstrap resamples per feature", integer("--rounds", 0, 100_000), 1000)
    .addOption(
      new Option("--seed <n>", "bootstrap seed").default(1).argParser(integer("--seed", 0, 2 ** 31 - 1)),
    )
    .option("--limit <n>", "read at most this many sessions of each side", integer("--limit", 1, 10_000_000))
    .requiredOption("-o, --out <dir>", "folder for compare.json and compare.md")
    .addHelpText(
      "after",
      `
Examples:
  shopsim eval compare --human ../shared/datasets/webshop-human-sessions --sim runs/demo --out eval/shape
  shopsim eval compare --human ../shared/datasets/uci-online-shoppers/online_shoppers_intention.csv --sim runs/demo --out eval/uci`,
    )
    .action(async (opts: CompareOptions) => {
      const limit = opts.limit !== undefined ? { limit: opts.limit } : {};
      const human = await importHumanLogs(opts.human, { format: opts.humanFormat, ...limit });
      const sim = await importHumanLogs(opts.sim, { format: opts.simFormat, ...limit });
      printImport("human", human);
      printImport("simulated", sim);
      const result = compareSessions(human.sessions, sim.sessions, { rounds: opts.rounds, seed: opts.seed });
      const files = await writeEvalReport(
        opts.out,
        "compare",
        report("compare", [await hashPath(opts.human), await hashPath(opts.sim)], {
          ...result,
          import: { human: human.report, sim: sim.report },
        }),
        `${renderImport("Human", human.report)}\n\n${renderImport("Simulated", sim.report)}\n\n${renderCompare(result)}`,
      );
      console.log(summarizeCompare(result));
      console.log(`  report: ${files.json}  ${files.markdown}`);
    });

  registerEvalQueriesCommand(evalCmd);

  program
    .command("calibrate")
    .description(
      "Fit the built-in shopper's trait distributions so simulated session shapes approach human ones; writes a population file for `shopsim run --population`.",
    )
    .requiredOption("--human <path>", "human sessions to match (any importable format)")
    .addOption(new Option("--format <name>", formatHelp).choices(FORMAT_NAMES).default("auto"))
    .option(
      "--reference <name>",
      `also match a published aggregate: ${REFERENCE_ROWS.map((r) => `"${r.name}"`).join(", ")} (a prefix is enough)`,
    )
    .option(
      "--sessions <n>",
      "simulated sessions per candidate population",
      integer("--sessions", 2, 10_000),
      24,
    )
    .option("--evaluations <n>", "candidate populations to try", integer("--evaluations", 1, 1000), 12)
    .option(
      "--holdout <share>",
      "share of human sessions held out from the fit",
      (v: string) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0 || n >= 1)
          throw new InputError("--holdout", `expected a number from 0 to 0.9, got "${v}"`);
        return n;
      },
      0.3,
    )
    .addOption(
      new Option("-c, --concurrency <n>", "sessions at once")
        .default(2)
        .argParser(integer("--concurrency", 1, 64)),
    )
    .option("--scenarios <path>", "scenario file or folder for the simulated sessions", SHIPPED_SCENARIOS)
    .option("--catalog <spec>", "built-in shop catalog", "builtin")
    .addOption(new Option("--seed <n>", "seed").default(42).argParser(integer("--seed", 0, 2 ** 31 - 1)))
    .option("--limit <n>", "read at most this many human sessions", integer("--limit", 1, 10_000_000))
    .requiredOption(
      "-o, --out <dir>",
      "folder for population.yaml, calibration.json/.md and the simulated runs",
    )
    .addHelpText(
      "after",
      `
Examples:
  shopsim calibrate --human ../shared/datasets/webshop-human-sessions --out calibrated
  shopsim calibrate --human ../shared/datasets/uci-online-shoppers/online_shoppers_intention.csv --reference shopcart --out calibrated
  shopsim run --population calibrated/population.yaml --sessions 50`,
    )
    .action(async (opts: CalibrateOptions) => {
      const log = createLogger(process.env.SHOPSIM_LOG_LEVEL ?? "warn");
      const reference = opts.reference ? referenceByName(opts.reference) : undefined;
      const human = await importHumanLogs(opts.human, {
        format: opts.format,
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      });
      printImport("human", human);
      const scenarios = [...(await loadScenarios(opts.scenarios)).values()];
      const simulator = await LocalSimulator.start({
        catalog: opts.catalog,
        seed: opts.seed,
        scenarios,
        dir: join(opts.out, "runs"),
        concurrency: opts.concurrency,
        logger: log,
      });
      let result: CalibrationResult;
      try {
        result = await calibrate(human.sessions, simulator.simulate, {
          sessions: opts.sessions,
          evaluations: opts.evaluations,
          seed: opts.seed,
          holdout: opts.holdout,
          ...(reference ? { reference } : {}),
          onEvaluation: (e) =>
            console.log(
              `  candidate ${e.evaluation}: distance ${e.distance.toFixed(3)}${e.accepted ? " (kept)" : ""}  ${Object.entries(
                e.means,
              )
                .map(([k, v]) => `${k} ${v.toFixed(2)}`)
                .join(", ")}`,
            ),
        });
      } finally {
        await simulator.close();
      }
      const population = join(opts.out, "population.yaml");
      await writeFile(
        population,
        `# Calibrated by: ${commandLine(process.argv.slice(2))}\n# Held-out distance ${result.before.distance.toFixed(3)} → ${result.after.distance.toFixed(3)}. Use: shopsim run --population ${population}\n${toYaml(result.distributions)}`,
      );
      const files = await writeEvalReport(
        opts.out,
        "calibration",
        report("calibration", [await hashPath(opts.human)], {
          ...result,
          population_file: population,
          import: human.report,
        }),
        renderCalibration(result, population),
      );
      console.log(
        [
          `calibrate: held-out distance ${result.before.distance.toFixed(3)} (default population) → ${result.after.distance.toFixed(3)} (calibrated), ${result.fit_sessions} fit / ${result.holdout_sessions} held-out human sessions`,
          ...(result.reference
            ? [
                `  ${result.reference.name}: gap ${result.reference.before.toFixed(3)} → ${result.reference.after.toFixed(3)}`,
              ]
            : []),
          `  population: ${population}`,
          `  report: ${files.json}  ${files.markdown}`,
        ].join("\n"),
      );
    });

  program
    .command("report")
    .description(
      "Render an evaluation's JSON (next-action, compare, queries, calibration) as Markdown again.",
    )
    .argument("<file>", "a JSON report written by shopsim eval or shopsim calibrate")
    .option("-o, --out <file>", "write the Markdown here instead of printing it")
    .addHelpText("after", "\nExample:\n  shopsim report eval/heuristic/next-action.json --out next-action.md")
    .action(async (file: string, opts: { out?: string }) => {
      let data: EvalReport<unknown>;
      try {
        data = JSON.parse(await readFile(file, "utf8")) as EvalReport<unknown>;
      } catch (error) {
        throw new InputError(file, `cannot read a JSON report (${(error as Error).message})`);
      }
      const body = renderBody(data, file);
      const md = renderMarkdown(data, body);
      if (opts.out) await writeFile(opts.out, md);
      else console.log(md);
    });
}

function renderBody(data: EvalReport<unknown>, file: string): string {
  const r = data.result as Record<string, unknown>;
  switch (data.kind) {
    case "next-action":
      return renderNextAction(
        r as unknown as NextActionResult,
        (r.mcnemar_vs_baseline as ReturnType<typeof compareResults> | undefined) ?? undefined,
      );
    case "compare":
      return renderCompare(r as unknown as CompareResult);
    case "calibration":
      return renderCalibration(r as unknown as CalibrationResult, String(r.population_file ?? ""));
    case "queries":
      return renderQueries(r as never);
    default:
      throw new InputError(
        file,
        `unknown report kind ${JSON.stringify(data.kind)}; expected next-action, compare, queries or calibration`,
      );
  }
}

function summarizeCompare(r: CompareResult): string {
  const worst = [...r.features].sort((a, b) => b.distance.estimate - a.distance.estimate).slice(0, 3);
  return [
    `compare: ${r.human_sessions} human vs ${r.sim_sessions} simulated sessions; realism score ${r.realism_score.toFixed(3)} over ${r.realism_features.length} features`,
    `  furthest apart: ${worst.map((f) => `${f.feature} (${f.distance_name} ${f.distance.estimate.toFixed(2)})`).join(", ")}`,
  ].join("\n");
}

export function renderCalibration(r: CalibrationResult, population: string): string {
  const traits = Object.keys(r.calibrated) as (keyof typeof r.calibrated)[];
  return [
    "## Calibration of the built-in shopper",
    "",
    `${r.fit_sessions} human sessions fit, ${r.holdout_sessions} held out. ${r.trace.length} candidate populations tried.`,
    "",
    mdTable(
      ["", "held-out distance (1 − realism)"],
      [
        ["default population", num(r.before.distance, 3)],
        ["calibrated population", num(r.after.distance, 3)],
      ],
    ),
    "",
    mdTable(
      ["trait mean", "start", "calibrated"],
      traits.map((t) => [t, num(r.start[t]), num(r.calibrated[t])]),
    ),
    "",
    r.reference
      ? `Gap to ${r.reference.name}: ${num(r.reference.before, 3)} → ${num(r.reference.after, 3)}.`
      : "",
    "",
    `Population file: \`${population}\` (use \`shopsim run --population ${population}\`).`,
    "",
    "### Held-out comparison, calibrated population",
    "",
    renderCompare(r.after.compare),
  ].join("\n");
}
