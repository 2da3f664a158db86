import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { CATALOG_SPEC_HELP, loadCatalog } from "../../sandbox-shop/catalog/index.ts";
import { createShop, type Shop } from "../../sandbox-shop/server.ts";
import {
  BUILTIN_VARIANTS,
  DEFAULT_FLAGS,
  type Flags,
  loadVariantsFile,
  parseFlags,
  VariantSet,
} from "../../sandbox-shop/variants.ts";
import type { analyzeExperiment } from "../ab/analyze.ts";
import { planPairedDesign } from "../ab/design.ts";
import { METRICS } from "../ab/metrics.ts";
import {
  AB_FILES,
  type ArmRecord,
  analyzeDir,
  collectServerEvents,
  readDesign,
  writeDesign,
} from "../ab/store.ts";
import { readYamlFile } from "../config/files.ts";
import { loadPersonas, loadScenarios, SHIPPED_PERSONAS, SHIPPED_SCENARIOS } from "../config/population.ts";
import { type AbReport, AbReportSchema, type Verdict } from "../contracts/ab-report.ts";
import { InputError, parseOrThrow } from "../contracts/errors.ts";
import { type Experiment, ExperimentSchema, METRIC_NAMES } from "../contracts/experiment.ts";
import type { Persona } from "../contracts/scenario.ts";
import type { RunManifestInput } from "../contracts/trajectory.ts";
import { commandLine, SHOPSIM_VERSION } from "../eval/report.ts";
import { createLogger } from "../log.ts";
import { LlmClient } from "../policy/llm/client.ts";
import { generatePersonas, loadDistributionsFile } from "../population/personas.ts";
import { redacted, redisTarget } from "../queue/bullmq/redis.ts";
import { FleetStore } from "../queue/bullmq/store.ts";
import type { PolicySpec } from "../queue/types.ts";
import { fmtDiff, fmtValue, renderAbHtml, renderAbMarkdown } from "../report/ab.ts";
import { bindJobs } from "../run/plan.ts";
import { readRun } from "../trajectory/run-dir.ts";
import { addExecutionOptions, executeRun, gitRevision, runVersions } from "./execute-run.ts";
import { addLlmOptions, type LlmFlags, resolveBudget, resolveLlmSettings } from "./llm-options.ts";
import { integer } from "./options.ts";

/** Exit codes of `--exit-code`, for CI gates (1 stays "crashed", 2 "bad input"). */
export const EXIT_CODES: Readonly<Record<Verdict, number>> = { ship: 0, dont_ship: 3, inconclusive: 4 };

interface AnalysisFlags {
  primary?: string;
  secondary?: string;
  guardrails?: string;
  alpha?: number;
  power?: number;
  targetEffect?: number;
  test?: "wilcoxon" | "t";
  bootstrap?: number;
  exitCode?: boolean;
}

interface AbFlags extends LlmFlags, AnalysisFlags {
  experiment?: string;
  name?: string;
  hypothesis?: string;
  arms?: string;
  armUrl: string[];
  sessionsPerArm?: number;
  replicas?: number;
  seed?: number;
  out?: string;
  variants?: string;
  policy?: "heuristic" | "llm";
  personas?: string;
  population?: string;
  scenarios?: string;
  catalog?: string;
  maxSteps?: number;
  purchaseUrl?: string;
  concurrency: number;
  browsers: number;
  redis?: string;
  prefix: string;
  workers: number;
  attempts: number;
}

function number(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= min || n >= max)
      throw new InvalidArgumentError(`${name} must be a number between ${min} and ${max}, got "${v}".`);
    return n;
  };
}

function addAnalysisOptions(cmd: Command): Command {
  const metricList = METRIC_NAMES.join(", ");
  return cmd
    .option("--primary <metric>", `primary metric (default conversion): ${metricList}`)
    .option("--secondary <metrics>", "secondary metrics, comma-separated ('' for none)")
    .option("--guardrails <metrics>", "guardrail metrics, comma-separated ('' for none)")
    .option("--alpha <a>", "significance level (default 0.05)", number("--alpha", 0, 0.5))
    .option(
      "--power <p>",
      "power for the detectable effect and sample size (default 0.8)",
      number("--power", 0.5, 1),
    )
    .option(
      "--target-effect <x>",
      "primary-metric effect worth detecting (absolute), for the recommended sample size",
      number("--target-effect", 0, Number.POSITIVE_INFINITY),
    )
    .addOption(
      new Option("--test <kind>", "test for continuous metrics (default wilcoxon)").choices([
        "wilcoxon",
        "t",
      ]),
    )
    .option("--bootstrap <n>", "bootstrap resamples (default 2000)", integer("--bootstrap", 200, 100_000))
    .option(
      "--exit-code",
      `exit by the decision, for CI gates: ship ${EXIT_CODES.ship}, don't ship ${EXIT_CODES.dont_ship}, inconclusive ${EXIT_CODES.inconclusive}`,
    );
}

function metricList(value: string, flag: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => {
      if (!(METRIC_NAMES as readonly string[]).includes(s))
        throw new InputError(`${flag} ${value}`, `unknown metric "${s}" (known: ${METRIC_NAMES.join(", ")})`);
      return s;
    });
}

/** Applies the analysis flags over an experiment object (raw, before validation). */
function applyAnalysisFlags(raw: Record<string, unknown>, opts: AnalysisFlags): void {
  const metrics = { ...((raw.metrics as Record<string, unknown> | undefined) ?? {}) };
  if (opts.primary !== undefined) metrics.primary = metricList(opts.primary, "--primary")[0];
  if (opts.secondary !== undefined) metrics.secondary = metricList(opts.secondary, "--secondary");
  if (opts.guardrails !== undefined) metrics.guardrails = metricList(opts.guardrails, "--guardrails");
  if (Object.keys(metrics).length > 0) raw.metrics = metrics;
  if (opts.alpha !== undefined) raw.alpha = opts.alpha;
  if (opts.power !== undefined) raw.power = opts.power;
  if (opts.targetEffect !== undefined) raw.target_effect = opts.targetEffect;
  if (opts.test !== undefined) raw.test = opts.test;
  if (opts.bootstrap !== undefined) raw.bootstrap_resamples = opts.bootstrap;
}

/** The experiment from the file (paths in it are relative to the file) with flags over it. */
async function resolveExperiment(opts: AbFlags): Promise<{ experiment: Experiment; where: string }> {
  let raw: Record<string, unknown> = {};
  let where = "the ab flags";
  if (opts.experiment) {
    where = opts.experiment;
    const data = await readYamlFile(opts.experiment);
    if (data === null || typeof data !== "object" || Array.isArray(data))
      throw new InputError(
        opts.experiment,
        "expected a mapping with name, arms, metrics … (see examples/experiment.yaml)",
      );
    raw = { ...(data as Record<string, unknown>) };
    const base = dirname(resolve(opts.experiment));
    const rel = (p: unknown) =>
      typeof p === "string" && !isAbsolute(p) && !/^\w+:/.test(p) ? join(base, p) : p;
    for (const key of ["variants", "scenarios", "llm_config"]) if (key in raw) raw[key] = rel(raw[key]);
    const pop = raw.population;
    if (pop && typeof pop === "object" && !Array.isArray(pop)) {
      const p = { ...(pop as Record<string, unknown>) };
      for (const key of ["personas", "distributions"]) if (key in p) p[key] = rel(p[key]);
      raw.population = p;
    }
    if (typeof raw.catalog === "string" && raw.catalog.startsWith("webshop:"))
      raw.catalog = `webshop:${rel(raw.catalog.slice("webshop:".length))}`;
  }
  if (opts.arms !== undefined) {
    raw.arms = opts.arms
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "")
      .map((spec) => {
        const eq = spec.indexOf("=");
        return eq === -1 ? { name: spec } : { name: spec.slice(0, eq), variant: spec.slice(eq + 1) };
      });
  }
  for (const pair of opts.armUrl) {
    const eq = pair.indexOf("=");
    if (eq <= 0)
      throw new InputError(
        `--arm-url ${pair}`,
        "expected NAME=URL, e.g. --arm-url treatment=http://staging-b:8080",
      );
    const name = pair.slice(0, eq);
    const url = pair.slice(eq + 1);
    const arms = ((raw.arms as Record<string, unknown>[] | undefined) ?? []).map((a) => ({ ...a }));
    const arm = arms.find((a) => a.name === name);
    if (arm) {
      delete arm.variant;
      delete arm.flags;
      arm.url = url;
    } else if (opts.arms !== undefined || opts.experiment) {
      throw new InputError(
        `--arm-url ${pair}`,
        `no arm "${name}" (arms: ${arms.map((a) => a.name).join(", ")})`,
      );
    } else arms.push({ name, url });
    raw.arms = arms;
  }
  if (raw.arms === undefined)
    throw new InputError(
      "shopsim ab",
      "no arms: pass --experiment FILE, --arms control,treatment or --arm-url NAME=URL",
    );
  if (opts.name !== undefined) raw.name = opts.name;
  raw.name ??= `ab-${(raw.arms as { name: string }[]).map((a) => a.name).join("-vs-")}`;
  if (opts.hypothesis !== undefined) raw.hypothesis = opts.hypothesis;
  if (opts.sessionsPerArm !== undefined) raw.sessions_per_arm = opts.sessionsPerArm;
  if (opts.replicas !== undefined) raw.replicas = opts.replicas;
  if (opts.seed !== undefined) raw.seed = opts.seed;
  if (opts.variants !== undefined) raw.variants = opts.variants;
  if (opts.policy !== undefined) raw.policy = opts.policy;
  if (opts.scenarios !== undefined) raw.scenarios = opts.scenarios;
  if (opts.catalog !== undefined) raw.catalog = opts.catalog;
  if (opts.maxSteps !== undefined) raw.max_steps = opts.maxSteps;
  if (opts.purchaseUrl !== undefined) raw.purchase_url = opts.purchaseUrl;
  if (opts.llmConfig !== undefined) raw.llm_config = opts.llmConfig;
  if (opts.personas !== undefined || opts.population !== undefined)
    raw.population = {
      ...(opts.personas !== undefined ? { personas: opts.personas } : {}),
      ...(opts.population !== undefined ? { distributions: opts.population } : {}),
    };
  applyAnalysisFlags(raw, opts);
  return { experiment: parseOrThrow(ExperimentSchema, raw, where), where };
}

function describeFlags(flags: Partial<Flags>): string {
  const changed = Object.entries(flags).filter(([k, v]) => DEFAULT_FLAGS[k as keyof Flags] !== v);
  return changed.length === 0 ? "default flags" : changed.map(([k, v]) => `${k}=${String(v)}`).join(", ");
}

/** Each arm as the run needs it: a built-in shop variant with its flags, or a deployment URL. */
async function resolveArms(exp: Experiment, where: string): Promise<(ArmRecord & { full: Flags | null })[]> {
  const named: Record<string, Partial<Flags>> = { ...BUILTIN_VARIANTS };
  if (exp.variants) for (const v of (await loadVariantsFile(exp.variants)).variants) named[v.name] = v.flags;
  return exp.arms.map((arm, i) => {
    if (arm.url)
      return {
        name: arm.name,
        source: `deployment ${arm.url}`,
        variant: null,
        url: arm.url,
        flags: null,
        full: null,
      };
    const base = arm.variant ?? (arm.flags && !(arm.name in named) ? null : arm.name);
    if (base !== null && !(base in named))
      throw new InputError(
        `${where}: arms.${i}${arm.variant ? ".variant" : ".name"}`,
        `"${base}" is not a known variant (built-in: ${Object.keys(BUILTIN_VARIANTS).join(", ")}${
          exp.variants
            ? `; from ${exp.variants}: ${Object.keys(named)
                .filter((n) => !(n in BUILTIN_VARIANTS))
                .join(", ")}`
            : ""
        }); give the arm flags, a variant or a url`,
      );
    const overrides = arm.flags ? parseFlags(arm.flags, `${where}: arms.${i}.flags`) : {};
    const full: Flags = { ...DEFAULT_FLAGS, ...(base !== null ? named[base] : {}), ...overrides };
    return {
      name: arm.name,
      source: `built-in shop${base !== null ? `, variant ${base}` : ""}: ${describeFlags(full)}`,
      variant: arm.name,
      url: "",
      flags: full,
      full,
    };
  });
}

async function checkReachable(url: string, where: string): Promise<void> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    throw new InputError(
      where,
      `the shop at ${url} does not answer (${(error as Error).cause ?? (error as Error).message}); is it running?`,
    );
  }
}

/** Writes report.json, report.md and report.html; prints the decision; applies --exit-code. */
async function writeReports(
  dir: string,
  analysis: ReturnType<typeof analyzeExperiment>,
  exitCode: boolean | undefined,
): Promise<AbReport> {
  const report: AbReport = AbReportSchema.parse({
    ...analysis,
    shopsim_version: SHOPSIM_VERSION,
    created_at: new Date().toISOString(),
    command: commandLine(process.argv.slice(2)),
  });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, AB_FILES.json), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, AB_FILES.markdown), renderAbMarkdown(report));
  await writeFile(join(dir, AB_FILES.html), await renderAbHtml(report));
  const d = report.decision;
  const lines = [
    `shopsim ab ${report.experiment.name}: ${d.verdict.replace("_", " ").toUpperCase()}${d.arm ? ` (${d.arm})` : ""}`,
  ];
  for (const c of report.comparisons) {
    for (const m of c.metrics.filter((x) => x.role !== "secondary")) {
      const unit = METRICS[m.metric].unit;
      lines.push(
        `  ${c.treatment} vs ${c.control}, ${m.role} ${m.label}: ${fmtValue(m.control, unit)} → ${fmtValue(m.treatment, unit)}, ${fmtDiff(m.diff, unit)} (95% CI ${fmtDiff(m.diff_ci.low, unit)} to ${fmtDiff(m.diff_ci.high, unit)}), p ${m.p_adjusted === null ? "n/a" : m.p_adjusted.toPrecision(2)}: ${m.outcome.replace("_", " ")}`,
      );
    }
  }
  for (const r of d.reasons) lines.push(`  ${r}`);
  for (const w of report.warnings) lines.push(`  warning: ${w}`);
  if (report.run.excluded.length > 0)
    lines.push(`  ${report.run.excluded.length} sessions left out (see the report)`);
  lines.push(`  report: ${join(dir, AB_FILES.html)} (also ${AB_FILES.markdown}, ${AB_FILES.json})`);
  console.log(lines.join("\n"));
  if (exitCode) process.exitCode = EXIT_CODES[d.verdict];
  return report;
}

export function registerAbCommand(program: Command): void {
  const ab = program
    .command("ab")
    // `ab analyze` has options of the same names as `ab`: options after the subcommand are its own.
    .enablePositionalOptions()
    .description(
      "Run an A/B experiment with simulated shoppers: the same personas, scenarios and seeds in every arm, then paired statistics, a decision, and JSON/Markdown/HTML reports.",
    )
    .option(
      "-e, --experiment <file>",
      "experiment file (YAML/JSON; see examples/experiment.yaml); flags override it",
    )
    .option(
      "--arms <names>",
      `arms, comma-separated, control first: built-in shop variants (${Object.keys(BUILTIN_VARIANTS).join(", ")}), names from --variants, or NAME=VARIANT`,
    )
    .option(
      "--arm-url <name=url>",
      "point an arm at a running deployment (repeatable), e.g. --arm-url treatment=http://staging-b:8080",
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option(
      "-n, --sessions-per-arm <n>",
      "paired units (persona × scenario) per arm (default 30)",
      integer("--sessions-per-arm", 2, 100_000),
    )
    .option(
      "--replicas <n>",
      "runs of each unit per arm with different shopper seeds (default 1)",
      integer("--replicas", 1, 100),
    )
    .option(
      "--seed <n>",
      "seed for the design, the shoppers and the analysis (default 42)",
      integer("--seed", 0, 2 ** 31 - 1),
    )
    .option("-o, --out <dir>", "output directory (default: runs/ab-<name>-<time>)")
    .option("--name <name>", "experiment name")
    .option("--hypothesis <text>", "what the change is expected to do, and why")
    .option("--variants <file>", "variants file whose names arms may use")
    .addOption(new Option("--policy <kind>", "who shops (default heuristic)").choices(["heuristic", "llm"]))
    .option("--personas <path>", `persona file or folder (default: ${SHIPPED_PERSONAS})`)
    .option("--population <file>", "draw personas from a population (distributions) file instead")
    .option("--scenarios <path>", `scenario file or folder (default: ${SHIPPED_SCENARIOS})`)
    .option("--catalog <spec>", `built-in shop catalog: ${CATALOG_SPEC_HELP}`)
    .option("--max-steps <n>", "step limit per session", integer("--max-steps", 1, 500))
    .option(
      "--purchase-url <regex>",
      "for --arm-url deployments without the sandbox's order API: a session that reaches a page whose URL matches this regular expression converted",
    );
  addExecutionOptions(ab);
  addAnalysisOptions(ab);
  addLlmOptions(ab)
    .addHelpText(
      "after",
      `
Examples:
  shopsim ab --arms control,no_buy_now --sessions-per-arm 40 --seed 7 --out runs/ab-buy-now
  shopsim ab --experiment examples/experiment.yaml --exit-code        # CI gate: exit 0 only on ship
  shopsim ab --arm-url control=http://staging-a:8080 --arm-url treatment=http://staging-b:8080 -n 50
  shopsim ab --arm-url control=http://staging-a:8080 --arm-url treatment=http://staging-b:8080 --purchase-url '/checkout/thank-you' -n 50
  shopsim ab --arms control,aa=control -n 40 --primary steps           # A/A: the same site in both arms
  shopsim ab --arms control,multi_step_checkout --replicas 3 --redis redis://127.0.0.1:6379 --workers 2
  shopsim ab analyze runs/ab-buy-now --alpha 0.01 --primary revenue_per_session

Output: design.json, run/ (trajectories, manifest, shop events), server-events.jsonl,
report.json, report.md, report.html.`,
    )
    .action(async (opts: AbFlags) => {
      const log = createLogger(process.env.SHOPSIM_LOG_LEVEL ?? "warn");
      // Everything a user wrote is checked before any browser starts.
      const { experiment: exp, where } = await resolveExperiment(opts);
      const arms = await resolveArms(exp, where);
      const scenarios = await loadScenarios(exp.scenarios ?? SHIPPED_SCENARIOS);
      let personas: Map<string, Persona>;
      if (exp.population.distributions) {
        const distributions = await loadDistributionsFile(exp.population.distributions);
        personas = new Map(
          generatePersonas({ n: exp.sessions_per_arm, seed: exp.seed, distributions, idPrefix: "pop" }).map(
            (p) => [p.id, p],
          ),
        );
      } else personas = await loadPersonas(exp.population.personas ?? SHIPPED_PERSONAS);
      let llm: LlmClient | null = null;
      if (exp.policy === "llm") {
        const { settings, apiKey } = await resolveLlmSettings({
          ...opts,
          ...(exp.llm_config ? { llmConfig: exp.llm_config } : {}),
        });
        llm = new LlmClient({ settings, apiKey, logger: log });
      }
      const budget = resolveBudget(opts, llm?.settings ?? null);
      const fleet = opts.redis ? redisTarget(opts.redis, opts.prefix) : null;
      if (opts.workers > 0 && !fleet)
        throw new InputError("--workers", "only applies to a fleet run: add --redis URL");
      for (const a of arms) if (a.url) await checkReachable(a.url, `arm ${a.name}`);
      const store = fleet ? await FleetStore.open(fleet, log) : null;

      const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
      const slug =
        exp.name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "-")
          .replace(/^-|-$/g, "")
          .slice(0, 40) || "experiment";
      const runId = `ab-${slug}-${stamp}-${randomBytes(3).toString("hex")}`;
      const out = opts.out ?? join("runs", runId.replace(/-[0-9a-f]{6}$/, ""));
      const runDir = join(out, AB_FILES.run);

      const sandbox = arms.filter((a) => a.full !== null);
      let shop: Shop | null = null;
      try {
        if (sandbox.length > 0) {
          shop = await createShop({
            catalog: await loadCatalog(exp.catalog, exp.seed),
            variants: new VariantSet(
              sandbox.map((a) => ({ name: a.name, flags: a.full as Flags, weight: 1 })),
            ),
            eventsPath: join(runDir, "events.jsonl"),
            seed: exp.seed,
            logger: log,
          });
          const url = await shop.listen(0);
          for (const a of sandbox) a.url = url;
        }
        const armByName = new Map(arms.map((a) => [a.name, a]));
        const design = planPairedDesign({
          personas: [...personas.values()],
          scenarios: [...scenarios.values()],
          units: exp.sessions_per_arm,
          replicas: exp.replicas,
          arms: arms.map((a) => ({ name: a.name, variant: a.variant })),
          seed: exp.seed,
        });
        const policy: PolicySpec = llm ? { kind: "llm", settings: llm.settings } : { kind: "heuristic" };
        const jobs = bindJobs(design.jobs, {
          runId,
          personas,
          scenarios,
          policy,
          shopUrl: arms[0]?.url ?? "",
          limits: exp.max_steps !== undefined ? { maxSteps: exp.max_steps } : {},
          sessionBudget: budget.session,
          ...(exp.purchase_url !== undefined ? { purchaseUrl: exp.purchase_url } : {}),
        }).map((job, i) => ({
          ...job,
          shop_url: armByName.get(design.assignments[i]?.arm ?? "")?.url ?? job.shop_url,
        }));
        const used = new Set(design.assignments.map((a) => a.persona_id));
        await writeDesign(out, {
          kind: "shopsim.ab-design",
          run_id: runId,
          queue: fleet ? "bullmq" : "in-process",
          experiment: exp,
          arms: arms.map(({ full: _full, ...a }) => a),
          assignments: design.assignments,
          personas: [...personas.values()].filter((p) => used.has(p.id)),
        });
        const manifest = {
          run_id: runId,
          status: "running",
          started_at: new Date().toISOString(),
          ended_at: null,
          seed: exp.seed,
          config: {
            purpose: "ab",
            experiment: exp,
            arms: arms.map((a) => ({ name: a.name, source: a.source, url: a.url })),
            queue: fleet ? "bullmq" : "in-process",
            ...(fleet ? { redis: redacted(fleet.url) } : {}),
            concurrency: opts.concurrency,
            out,
            ...(llm ? { llm: llm.settings } : {}),
          },
          versions: runVersions(),
          git_revision: gitRevision(),
          shop: {
            url: arms[0]?.url ?? "",
            started_by_run: shop !== null,
            catalog: shop ? exp.catalog : null,
          },
          counts: { planned: jobs.length, recorded: 0, by_status: {}, steps: 0 },
        } satisfies RunManifestInput;
        console.error(
          `shopsim ab ${exp.name}: ${arms.length} arms × ${exp.sessions_per_arm} units × ${exp.replicas} replica(s) = ${jobs.length} sessions, interleaved`,
        );
        const { interrupted } = await executeRun({
          jobs,
          out: runDir,
          manifest,
          log,
          concurrency: opts.concurrency,
          browsers: opts.browsers,
          fleet:
            store && fleet ? { store, target: fleet, workers: opts.workers, attempts: opts.attempts } : null,
          shopIsLocal: shop !== null,
          shopUrl: arms[0]?.url ?? "",
          llm,
          apiKey: opts.apiKey,
          budget,
          command: "shopsim ab",
        });
        const { sessions } = await readRun(runDir);
        const urlOf = new Map(
          design.assignments.map((a) => [`${runId}-${a.job_id}`, armByName.get(a.arm)?.url ?? ""]),
        );
        const events = await collectServerEvents(out, sessions, (sid) => urlOf.get(sid));
        const analysis = await analyzeDir(out, { events });
        if (interrupted)
          analysis.warnings.unshift(
            "the experiment was interrupted: only the sessions that ended are analysed",
          );
        await writeReports(out, analysis, opts.exitCode);
        if (interrupted) process.exitCode = 130;
      } finally {
        await store?.close();
        await shop?.close();
      }
    });

  const analyze = ab
    .command("analyze")
    .description(
      "Analyse an experiment directory again (e.g. with another alpha or primary metric) and rewrite its reports.",
    )
    .argument("<dir>", "a `shopsim ab` output directory");
  addAnalysisOptions(analyze)
    .addHelpText(
      "after",
      "\nExample:\n  shopsim ab analyze runs/ab-buy-now --alpha 0.01 --primary revenue_per_session --exit-code",
    )
    .action(async (dir: string, opts: AnalysisFlags) => {
      const design = await readDesign(dir);
      const raw: Record<string, unknown> = { ...design.experiment };
      applyAnalysisFlags(raw, opts);
      const experiment = parseOrThrow(
        ExperimentSchema,
        raw,
        `${join(dir, AB_FILES.design)} with the given flags`,
      );
      await writeReports(dir, await analyzeDir(dir, { experiment }), opts.exitCode);
    });
}
