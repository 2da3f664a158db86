import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { METRICS } from "../ab/metrics.ts";
import type {
  AbReport,
  ArmSummary,
  Comparison,
  Decision,
  MetricComparison,
  MetricKind,
  MetricRole,
  Verdict,
} from "../contracts/ab-report.ts";
import { METRIC_NAMES, type MetricName } from "../contracts/experiment.ts";
import { mdTable, num, pct } from "../eval/report.ts";
import { type Logger, silentLogger } from "../log.ts";

/**
 * The A/B report (report.json, {@link AbReport}) as Markdown and as one self-contained HTML page.
 * Both are built from the same list of blocks; the HTML adds three kinds of plots, drawn with
 * Vega-Lite into inline SVG on the server, so the page needs no script, no font and no network.
 */

// ---------------------------------------------------------------------------------------------
// Values by metric

/** How a metric's values read: a share of sessions, dollars, seconds, a count or a 0–1 score. */
type Unit = "share" | "usd" | "seconds" | "count" | "score";

interface MetricInfo {
  label: string;
  kind: MetricKind;
  unit: Unit;
  role: MetricRole | null;
}

/** How a metric's values read, from the metric's definition. */
function unitOf(metric: MetricName): Unit {
  return METRICS[metric].unit;
}

/** Decimals shown per unit (a share's are of the percentage). */
const DIGITS: Record<Unit, number> = { share: 1, usd: 2, seconds: 1, count: 2, score: 3 };

/** Label, kind, unit and role of every metric, from the comparisons where they say so. */
function metricInfo(report: AbReport): (metric: MetricName) => MetricInfo {
  const fromComparisons = new Map<MetricName, MetricComparison>();
  for (const comparison of report.comparisons)
    for (const m of comparison.metrics) if (!fromComparisons.has(m.metric)) fromComparisons.set(m.metric, m);
  const { primary, secondary, guardrails } = report.experiment;
  return (metric) => {
    const c = fromComparisons.get(metric);
    const kind = c?.kind ?? METRICS[metric].kind;
    const role: MetricRole | null =
      c?.role ??
      (metric === primary
        ? "primary"
        : secondary.includes(metric)
          ? "secondary"
          : guardrails.includes(metric)
            ? "guardrail"
            : null);
    return { label: c?.label ?? METRICS[metric].label, kind, unit: unitOf(metric), role };
  };
}

/** A value in the metric's unit: 28.6%, $14.82, 96.4 s, 14.30, 0.612; "–" for null. */
export function fmtValue(x: number | null, unit: Unit): string {
  if (x === null || Number.isNaN(x)) return "–";
  switch (unit) {
    case "share":
      return pct(x, DIGITS.share);
    case "usd":
      return x < 0 ? `-$${(-x).toFixed(2)}` : `$${x.toFixed(2)}`;
    case "seconds":
      return `${num(x, DIGITS.seconds)} s`;
    default:
      return num(x, DIGITS[unit]);
  }
}

/**
 * A difference (or a magnitude, unsigned) in the metric's unit: +5.9 pp, -$1.65, -11.8 s, +0.80.
 * `bare` leaves out " pp" and " s", for the bounds of a CI that follows a full value.
 */
export function fmtDiff(x: number | null, unit: Unit, { signed = true, bare = false } = {}): string {
  if (x === null || Number.isNaN(x)) return "–";
  const scaled = unit === "share" ? x * 100 : x;
  const digits = DIGITS[unit];
  const magnitude = Math.abs(scaled).toFixed(digits);
  const sign = !signed || Number(magnitude) === 0 ? "" : scaled < 0 ? "-" : "+";
  switch (unit) {
    case "share":
      return `${sign}${magnitude}${bare ? "" : " pp"}`;
    case "usd":
      return `${sign}$${magnitude}`;
    case "seconds":
      return `${sign}${magnitude}${bare ? "" : " s"}`;
    default:
      return `${sign}${magnitude}`;
  }
}

interface Interval {
  low: number | null;
  high: number | null;
}

/** " [low, high]", or "" when neither bound is known. */
function fmtCi(ci: Interval, format: (x: number | null) => string): string {
  return ci.low === null && ci.high === null ? "" : ` [${format(ci.low)}, ${format(ci.high)}]`;
}

/** A relative change as a signed percentage: +20.5%. */
function fmtRel(x: number | null): string {
  if (x === null || Number.isNaN(x)) return "–";
  const s = pct(Math.abs(x));
  return Number.parseFloat(s) === 0 ? s : `${x < 0 ? "-" : "+"}${s}`;
}

function fmtP(p: number | null): string {
  if (p === null || Number.isNaN(p)) return "–";
  return p < 0.001 ? "<0.001" : p.toFixed(3);
}

function fmtDuration(seconds: number | null): string {
  if (seconds === null) return "–";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  return h > 0 ? `${h} h ${m} min ${s} s` : `${m} min ${s} s`;
}

const VERDICT_TEXT: Record<Verdict, string> = {
  ship: "SHIP",
  dont_ship: "DON'T SHIP",
  inconclusive: "INCONCLUSIVE",
};

const OUTCOME_TEXT: Record<MetricComparison["outcome"], string> = {
  better: "✓ better",
  worse: "✗ worse",
  no_difference: "no difference",
};

const ROLE_ORDER: Record<MetricRole, number> = { primary: 0, secondary: 1, guardrail: 2 };

/** The primary, secondary and guardrail metrics, in that order, each once. */
function roleMetrics(report: AbReport): MetricName[] {
  const { primary, secondary, guardrails } = report.experiment;
  return [...new Set<MetricName>([primary, ...secondary, ...guardrails])];
}

// ---------------------------------------------------------------------------------------------
// The document: blocks that render to Markdown or to HTML

type Inline = string | { strong: string } | { code: string };
type Cell = string | { text: string; cls: string };

type Block =
  | { t: "h"; level: 1 | 2 | 3 | 4; text: string; id?: string }
  | { t: "p"; parts: Inline[]; cls?: string }
  | { t: "ul"; items: Inline[][] }
  /** `num`: indexes of the columns holding numbers (right-aligned in HTML). */
  | { t: "table"; head: string[]; rows: Cell[][]; num: number[] }
  /** HTML only: a plot, or `empty` when there is nothing to draw. */
  | { t: "plot"; id: string; title: string; caption: string; spec: TopLevelSpec | null; empty: string };

function decisionBlocks(decision: Decision, arm: string | null, against: string): Block[] {
  const verdict = VERDICT_TEXT[decision.verdict];
  const line: Inline[] = ["Decision: ", { strong: verdict }];
  if (arm !== null) line.push(" ", { code: arm }, ` (vs ${against}).`);
  else if (decision.verdict === "dont_ship") line.push(" — no treatment arm ships.");
  else line.push(" — no treatment arm decided.");
  const blocks: Block[] = [
    { t: "p", parts: line, cls: `decision verdict-${decision.verdict}` },
    { t: "p", parts: [`Rule: ${decision.rule}`] },
  ];
  if (decision.reasons.length > 0) blocks.push({ t: "ul", items: decision.reasons.map((r) => [r]) });
  return blocks;
}

function designBlocks(report: AbReport): Block[] {
  const { experiment: e, run } = report;
  const summaries = new Map(report.arms.map((a) => [a.arm, a]));
  const armNames = [...new Set([...e.arms.map((a) => a.name), ...report.arms.map((a) => a.arm)])];
  const blocks: Block[] = [{ t: "h", level: 2, text: "Design", id: "design" }];
  blocks.push({
    t: "table",
    head: ["arm", "role", "source", "units", "sessions", "by status"],
    num: [3, 4],
    rows: armNames.map((name) => {
      const s = summaries.get(name);
      const source = s?.source ?? e.arms.find((a) => a.name === name)?.source ?? "–";
      const statuses = s
        ? Object.entries(s.by_status)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")
        : "–";
      return [
        name,
        name === e.control ? "control" : "treatment",
        source,
        String(e.sessions_per_arm),
        s ? String(s.sessions) : "–",
        statuses || "–",
      ];
    }),
  });
  blocks.push({
    t: "table",
    head: ["setting", "value"],
    num: [],
    rows: [
      ["units (persona × scenario) per arm", String(e.sessions_per_arm)],
      ["replicas", String(e.replicas)],
      ["alpha", String(e.alpha)],
      ["power", String(e.power)],
      ["seed", String(e.seed)],
      ["policy", e.policy],
      ["test (continuous metrics)", e.test],
      ["bootstrap resamples", String(e.bootstrap_resamples)],
      ["primary metric", e.primary],
      ["secondary metrics", e.secondary.join(", ") || "–"],
      ["guardrails", e.guardrails.join(", ") || "–"],
      ["run directory", run.dir],
      ["run id", run.run_id],
      ["queue", run.queue],
      ["sessions", String(run.sessions)],
      ["duration", fmtDuration(run.duration_s)],
      ["command", report.command],
      ["created", `${report.created_at} · shopsim ${report.shopsim_version}`],
    ],
  });
  const shown = run.excluded.slice(0, 5);
  blocks.push({
    t: "p",
    parts: [
      `Excluded sessions: ${run.excluded.length}${run.excluded.length > shown.length ? ` (first ${shown.length} below)` : ""}.`,
    ],
  });
  if (shown.length > 0)
    blocks.push({
      t: "ul",
      items: shown.map((x) => [{ code: x.session_id }, ` (${x.arm}): ${x.reason}`]),
    });
  blocks.push({ t: "p", parts: [report.warnings.length === 0 ? "Warnings: none." : "Warnings:"] });
  if (report.warnings.length > 0) blocks.push({ t: "ul", items: report.warnings.map((w) => [w]) });
  return blocks;
}

function comparisonMetricRow(m: MetricComparison): Cell[] {
  const unit = unitOf(m.metric);
  const diff = `${fmtDiff(m.diff, unit)}${fmtCi(m.diff_ci, (x) => fmtDiff(x, unit, { bare: true }))}`;
  const rel = `${fmtRel(m.relative)}${fmtCi(m.relative_ci, fmtRel)}`;
  const test = m.discordant
    ? `${m.test} (discordant ${m.discordant.control_only}/${m.discordant.treatment_only})`
    : m.test;
  return [
    m.label,
    m.role,
    fmtValue(m.control, unit),
    fmtValue(m.treatment, unit),
    diff,
    rel,
    test,
    fmtP(m.p_value),
    m.role === "secondary" ? fmtP(m.p_adjusted) : "",
    { text: OUTCOME_TEXT[m.outcome], cls: `outcome-${m.outcome}` },
    String(m.n_units),
    fmtDiff(m.mde, unit, { signed: false }),
  ];
}

function comparisonBlocks(report: AbReport, c: Comparison, index: number): Block[] {
  const title = `${c.treatment} vs ${c.control}`;
  const blocks: Block[] = [
    { t: "h", level: 2, text: title, id: `comparison-${index + 1}` },
    { t: "p", parts: [`${c.units} paired units (persona × scenario with sessions in both arms).`] },
    ...decisionBlocks(c.decision, c.treatment, c.control),
  ];
  const metrics = [...c.metrics].sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role]);
  blocks.push({
    t: "table",
    head: [
      "metric",
      "role",
      c.control,
      c.treatment,
      "difference [95% CI]",
      "relative [95% CI]",
      "test",
      "p",
      "p (Holm)",
      "outcome",
      "n units",
      "MDE",
    ],
    num: [2, 3, 4, 5, 7, 8, 10, 11],
    rows: metrics.map(comparisonMetricRow),
  });
  blocks.push({
    t: "p",
    parts: [
      `Differences are ${c.treatment} − ${c.control} over paired units; binary metrics in percentage points (pp). ` +
        "p (Holm) is adjusted across the secondary metrics. MDE: the smallest absolute effect detectable at " +
        `alpha ${report.experiment.alpha} and power ${report.experiment.power} with these units.`,
    ],
    cls: "note",
  });

  const info = metricInfo(report);
  const primary = info(c.power.metric);
  const p = c.power;
  blocks.push({ t: "h", level: 3, text: "Power" });
  blocks.push({
    t: "table",
    head: ["metric", "sd of paired difference", "MDE", "target effect", "recommended units per arm", "basis"],
    num: [1, 2, 3, 4],
    rows: [
      [
        primary.label,
        fmtDiff(p.sd_diff, primary.unit, { signed: false }),
        fmtDiff(p.mde, primary.unit, { signed: false }),
        fmtDiff(p.target_effect, primary.unit, { signed: false }),
        p.recommended_units === null ? "–" : String(p.recommended_units),
        p.basis,
      ],
    ],
  });

  const r = c.replicas;
  blocks.push({ t: "h", level: 3, text: "Replicas" });
  const shares = Object.entries(r.policy_variance_share)
    .map(([arm, share]) => `${arm} ${pct(share)}`)
    .join(", ");
  blocks.push({
    t: "p",
    parts: [
      `${r.replicas} replica(s). Share of the primary metric's variance within units (policy randomness): ${shares || "–"}.`,
    ],
  });
  if (r.per_replica.length > 0)
    blocks.push({
      t: "table",
      head: ["replica", `${primary.label} difference [95% CI]`],
      num: [0, 1],
      rows: r.per_replica.map((x) => [
        String(x.replica),
        `${fmtDiff(x.diff, primary.unit)}${fmtCi(x.ci, (v) => fmtDiff(v, primary.unit, { bare: true }))}`,
      ]),
    });
  if (r.note) blocks.push({ t: "p", parts: [r.note], cls: "note" });

  blocks.push({ t: "h", level: 3, text: `Segments (${primary.label})` });
  if (c.segments.length === 0) blocks.push({ t: "p", parts: ["No segments."] });
  else
    blocks.push({
      t: "table",
      head: ["attribute", "segment", "n units", c.control, c.treatment, "difference [95% CI]"],
      num: [2, 3, 4, 5],
      rows: c.segments.map((s) => [
        s.attribute,
        s.segment,
        String(s.n_units),
        fmtValue(s.control, primary.unit),
        fmtValue(s.treatment, primary.unit),
        `${fmtDiff(s.diff, primary.unit)}${fmtCi(s.ci, (v) => fmtDiff(v, primary.unit, { bare: true }))}`,
      ]),
    });
  const overall = c.metrics.find((m) => m.metric === c.power.metric) ?? null;
  const spec = forestSpec(c, primary, overall);
  blocks.push({
    t: "plot",
    id: `plot-forest-${index + 1}`,
    title: `${primary.label} by segment: ${title}`,
    caption:
      `Difference ${c.treatment} − ${c.control} per segment with its 95% CI; the diamond is the overall effect, ` +
      "the dashed line no difference; segments without a difference are only in the table.",
    spec,
    empty: "No segment has a difference to plot.",
  });
  return blocks;
}

/** Every metric any arm reports: the experiment's own first, then the rest in the usual order. */
function armMetricOrder(report: AbReport): MetricName[] {
  const present = new Set(report.arms.flatMap((a) => a.metrics.map((m) => m.metric)));
  const first = roleMetrics(report).filter((m) => present.has(m));
  return [...first, ...METRIC_NAMES.filter((m) => present.has(m) && !first.includes(m))];
}

function armBlocks(report: AbReport): Block[] {
  const info = metricInfo(report);
  const arms = report.arms;
  const blocks: Block[] = [{ t: "h", level: 2, text: "Metrics per arm", id: "arms" }];
  blocks.push({
    t: "table",
    head: ["metric", "role", ...arms.map((a) => `${a.arm} [95% CI], n`), "source"],
    num: arms.map((_, i) => i + 2),
    rows: armMetricOrder(report).map((metric) => {
      const { label, unit, role } = info(metric);
      const sources = new Set<string>();
      const cells = arms.map((a) => {
        const m = a.metrics.find((x) => x.metric === metric);
        if (!m) return "–";
        sources.add(m.source);
        return `${fmtValue(m.value, unit)}${fmtCi(m.ci, (x) => fmtValue(x, unit))}, n=${m.n}`;
      });
      return [label, role ?? "", ...cells, [...sources].join(", ") || "–"];
    }),
  });
  blocks.push({
    t: "p",
    parts: [
      "Values over each arm's sessions with bootstrap 95% CIs; n counts the sessions that define the metric " +
        "(for ratio metrics, the denominator's). Source: the shop's server-side events, the trajectories, or both.",
    ],
    cls: "note",
  });
  blocks.push({
    t: "plot",
    id: "plot-bars",
    title: "Metrics per arm",
    caption: "Each arm's value of the primary, secondary and guardrail metrics; error bars are the 95% CIs.",
    spec: barsSpec(report),
    empty: "No metric has a value to plot.",
  });

  blocks.push({ t: "h", level: 2, text: "Funnel", id: "funnel" });
  const stages = funnelStages(arms);
  blocks.push({
    t: "table",
    head: ["stage", ...arms.map((a) => a.arm)],
    num: arms.map((_, i) => i + 1),
    rows: stages.map(({ stage, label }) => [
      label,
      ...arms.map((a) => {
        const s = a.funnel.find((f) => f.stage === stage);
        return s ? `${s.sessions} (${pct(s.share)})` : "–";
      }),
    ]),
  });
  blocks.push({
    t: "plot",
    id: "plot-funnel",
    title: "Funnel per arm",
    caption: "Share of each arm's sessions that reached each stage of the funnel.",
    spec: funnelSpec(arms, stages),
    empty: "No funnel to plot.",
  });
  return blocks;
}

function buildDocument(report: AbReport): { title: string; blocks: Block[] } {
  const title = `A/B experiment: ${report.experiment.name}`;
  const blocks: Block[] = [
    { t: "h", level: 1, text: title },
    { t: "p", parts: [`Hypothesis: ${report.experiment.hypothesis}`], cls: "hypothesis" },
    ...decisionBlocks(report.decision, report.decision.arm, report.experiment.control),
    ...designBlocks(report),
    ...report.comparisons.flatMap((c, i) => comparisonBlocks(report, c, i)),
    ...armBlocks(report),
  ];
  return { title, blocks };
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** Text on one line, for headings and table cells. */
function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, " ");
}

function mdInline(parts: Inline[]): string {
  return parts
    .map((p) => {
      if (typeof p === "string") return p;
      if ("strong" in p) return `**${p.strong}**`;
      const ticks = "`".repeat(Math.max(0, ...(p.code.match(/`+/g) ?? []).map((m) => m.length)) + 1);
      return p.code.includes("`") ? `${ticks} ${p.code} ${ticks}` : `${ticks}${p.code}${ticks}`;
    })
    .join("");
}

const cellText = (c: Cell): string => oneLine(typeof c === "string" ? c : c.text);

/** The report as Markdown: decision first, then design, comparisons, per-arm metrics and funnel. */
export function renderAbMarkdown(report: AbReport): string {
  const { blocks } = buildDocument(report);
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.t) {
      case "h":
        out.push(`${"#".repeat(b.level)} ${oneLine(b.text)}`);
        break;
      case "p":
        out.push(mdInline(b.parts));
        break;
      case "ul":
        out.push(b.items.map((item) => `- ${oneLine(mdInline(item))}`).join("\n"));
        break;
      case "table":
        out.push(
          mdTable(
            b.head.map(oneLine),
            b.rows.map((row) => row.map(cellText)),
          ),
        );
        break;
      case "plot":
        break;
    }
  }
  return `${out.join("\n\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// Plots (Vega-Lite specs; values in display units so axes need no unit-specific formats)

const FONT = "sans-serif";
const PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d", "#bab0ac"];

const CONFIG = {
  font: FONT,
  background: "#ffffff",
  padding: 8,
  axis: { labelFontSize: 10, titleFontSize: 11, labelFont: FONT, titleFont: FONT },
  legend: { labelFontSize: 10, titleFontSize: 11, labelLimit: 400 },
  title: { fontSize: 12, anchor: "start" as const, font: FONT },
  view: { stroke: "#dddddd" },
};

/** A value in display units for a plot: shares as percent, everything else as is. */
function display(x: number, unit: Unit): number {
  return unit === "share" ? x * 100 : x;
}

function axisTitle(unit: Unit, difference: boolean): string {
  switch (unit) {
    case "share":
      return difference ? "difference, pp" : "%";
    case "usd":
      return difference ? "difference, $" : "$";
    case "seconds":
      return difference ? "difference, s" : "seconds";
    default:
      return difference ? "difference" : "";
  }
}

function armColor(arms: readonly string[]) {
  return {
    field: "arm",
    type: "nominal" as const,
    title: "arm",
    scale: { domain: [...arms], range: arms.map((_, i) => PALETTE[i % PALETTE.length] ?? "#888888") },
  };
}

/** (a) One small bar chart per primary/secondary/guardrail metric, bars by arm with CI error bars. */
function barsSpec(report: AbReport): TopLevelSpec | null {
  const info = metricInfo(report);
  const arms = report.arms.map((a) => a.arm);
  const x = {
    field: "arm",
    type: "nominal" as const,
    scale: { domain: arms },
    axis: { title: null, labels: false, ticks: false },
  };
  const charts = roleMetrics(report).flatMap((metric) => {
    const { label, unit } = info(metric);
    const bars: { arm: string; value: number }[] = [];
    const cis: { arm: string; low: number; high: number }[] = [];
    for (const a of report.arms) {
      const m = a.metrics.find((v) => v.metric === metric);
      if (!m || m.value === null) continue;
      bars.push({ arm: a.arm, value: display(m.value, unit) });
      if (m.ci.low !== null && m.ci.high !== null)
        cis.push({ arm: a.arm, low: display(m.ci.low, unit), high: display(m.ci.high, unit) });
    }
    if (bars.length === 0) return [];
    const y = { type: "quantitative" as const, title: axisTitle(unit, false) };
    return [
      {
        title: label,
        width: 150,
        height: 110,
        layer: [
          {
            data: { values: bars },
            mark: { type: "bar" as const },
            encoding: { x, y: { ...y, field: "value" }, color: armColor(arms) },
          },
          {
            data: { values: cis },
            mark: { type: "errorbar" as const, ticks: { size: 10 }, color: "#333333" },
            encoding: { x, y: { ...y, field: "low" }, y2: { field: "high" } },
          },
        ],
      },
    ];
  });
  if (charts.length === 0) return null;
  return {
    config: CONFIG,
    concat: charts,
    columns: 4,
    spacing: 16,
    resolve: { scale: { y: "independent", color: "shared" } },
  };
}

/** Stages in funnel order: the first arm's order, then stages only later arms have. */
function funnelStages(arms: readonly ArmSummary[]): { stage: string; label: string }[] {
  const seen = new Map<string, string>();
  for (const a of arms) for (const f of a.funnel) if (!seen.has(f.stage)) seen.set(f.stage, f.label);
  return [...seen].map(([stage, label]) => ({ stage, label }));
}

/** (b) Grouped bars: per stage, each arm's share of sessions that reached it. */
function funnelSpec(
  arms: readonly ArmSummary[],
  stages: readonly { stage: string; label: string }[],
): TopLevelSpec | null {
  const names = arms.map((a) => a.arm);
  const labels = stages.map((s) => s.label);
  const values = arms.flatMap((a) =>
    a.funnel.map((f) => ({ arm: a.arm, stage: seenLabel(stages, f.stage), share: f.share })),
  );
  if (values.length === 0) return null;
  return {
    config: CONFIG,
    width: Math.max(360, 110 * stages.length),
    height: 200,
    data: { values },
    mark: { type: "bar" },
    encoding: {
      x: {
        field: "stage",
        type: "nominal",
        sort: labels,
        axis: { title: null, labelAngle: 0, labelLimit: 160 },
      },
      xOffset: { field: "arm", type: "nominal", sort: names },
      y: {
        field: "share",
        type: "quantitative",
        scale: { domain: [0, 1] },
        axis: { format: ".0%", title: "share of sessions" },
      },
      color: armColor(names),
    },
  };
}

function seenLabel(stages: readonly { stage: string; label: string }[], stage: string): string {
  return stages.find((s) => s.stage === stage)?.label ?? stage;
}

/** (c) Forest plot: the overall primary effect and one row per segment, points with CI rules, a rule at 0. */
function forestSpec(
  c: Comparison,
  primary: MetricInfo,
  overall: MetricComparison | null,
): TopLevelSpec | null {
  const unit = primary.unit;
  const overallLabel = `Overall (${primary.label})`;
  const rows: { label: string; kind: string; diff: number; low: number | null; high: number | null }[] = [];
  const add = (label: string, kind: string, diff: number | null, ci: Interval) => {
    if (diff === null) return;
    rows.push({
      label,
      kind,
      diff: display(diff, unit),
      low: ci.low === null ? null : display(ci.low, unit),
      high: ci.high === null ? null : display(ci.high, unit),
    });
  };
  if (overall) add(overallLabel, "overall", overall.diff, overall.diff_ci);
  for (const s of c.segments) add(`${s.attribute}: ${s.segment}`, "segment", s.diff, s.ci);
  if (rows.length === 0) return null;
  const labels = [...new Set(rows.map((r) => r.label))];
  const y = {
    field: "label",
    type: "nominal" as const,
    sort: labels,
    scale: { domain: labels },
    axis: { title: null, labelLimit: 400 },
  };
  const x = (field: string) => ({
    field,
    type: "quantitative" as const,
    title: `${axisTitle(unit, true)} (${c.treatment} − ${c.control})`,
  });
  const layers = (kind: string, color: string, shape: string, size: number) => {
    const points = rows.filter((r) => r.kind === kind);
    const cis = points.filter((r) => r.low !== null && r.high !== null);
    return [
      {
        data: { values: cis },
        mark: { type: "rule" as const, color, strokeWidth: 1.5 },
        encoding: { y, x: x("low"), x2: { field: "high" } },
      },
      {
        data: { values: points },
        mark: { type: "point" as const, filled: true, opacity: 1, color, shape, size },
        encoding: { y, x: x("diff") },
      },
    ];
  };
  return {
    config: CONFIG,
    width: 380,
    height: { step: 20 },
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: "rule", color: "#888888", strokeDash: [4, 3] },
        encoding: { x: x("zero") },
      },
      ...layers("segment", "#4c78a8", "circle", 50),
      ...layers("overall", "#222222", "diamond", 150),
    ],
  };
}

/** Renders a Vega-Lite spec to an SVG string, headless (no canvas, no DOM). */
async function toSvg(spec: TopLevelSpec, logger: Logger): Promise<string> {
  const vegaLogger = vega.logger(vega.Warn, undefined, (_method, level, args) => {
    logger.warn({ component: "report/ab", vega: level }, args.map(String).join(" "));
  });
  const view = new vega.View(vega.parse(compile(spec, { logger: vegaLogger }).spec), {
    renderer: "none",
    logger: vegaLogger,
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// ---------------------------------------------------------------------------------------------
// HTML

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch] ?? ch);
}

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function htmlInline(parts: Inline[]): string {
  return parts
    .map((p) => {
      if (typeof p === "string") return escapeHtml(p);
      if ("strong" in p) return `<strong>${escapeHtml(p.strong)}</strong>`;
      return `<code>${escapeHtml(p.code)}</code>`;
    })
    .join("");
}

const CSS = `
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:0;background:#fff}
main{max-width:1100px;margin:0 auto;padding:1.5rem}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}h4{font-size:.95rem;margin:0 0 .3rem}
.decision{font-size:1.1rem;padding:.5rem .75rem;border-left:4px solid #888;background:#f6f6f6}
.verdict-ship{border-color:#2a7d2a}.verdict-dont_ship{border-color:#b22}.verdict-inconclusive{border-color:#c90}
.note,figcaption{color:#555;font-size:.85rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.outcome-better{color:#2a7d2a}.outcome-worse{color:#b22}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
code{font-size:.9em}
@media print{main{max-width:none;padding:0}.scroll{overflow:visible}table,figure{break-inside:avoid}h2,h3{break-after:avoid}}
`;

function htmlTable(b: Extract<Block, { t: "table" }>): string {
  const numeric = new Set(b.num);
  const attr = (i: number, extra = "") => {
    const cls = [numeric.has(i) ? "num" : "", extra].filter(Boolean).join(" ");
    return cls ? ` class="${escapeHtml(cls)}"` : "";
  };
  const head = b.head.map((h, i) => `<th${attr(i)}>${escapeHtml(h)}</th>`).join("");
  const body = b.rows
    .map(
      (row) =>
        `<tr>${row
          .map((c, i) =>
            typeof c === "string"
              ? `<td${attr(i)}>${escapeHtml(c)}</td>`
              : `<td${attr(i, c.cls)}>${escapeHtml(c.text)}</td>`,
          )
          .join("")}</tr>`,
    )
    .join("\n");
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}

/**
 * The report as one HTML page: the Markdown's content plus the plots as inline SVG. No scripts,
 * no external resources; every text from the report is escaped.
 */
export async function renderAbHtml(report: AbReport, options: { logger?: Logger } = {}): Promise<string> {
  const logger = options.logger ?? silentLogger;
  const { title, blocks } = buildDocument(report);
  const svgs = await Promise.all(
    blocks.map((b) => (b.t === "plot" && b.spec !== null ? toSvg(b.spec, logger) : Promise.resolve(null))),
  );
  const body = blocks.map((b, i) => {
    switch (b.t) {
      case "h":
        return `<h${b.level}${b.id ? ` id="${escapeHtml(b.id)}"` : ""}>${escapeHtml(oneLine(b.text))}</h${b.level}>`;
      case "p":
        return `<p${b.cls ? ` class="${escapeHtml(b.cls)}"` : ""}>${htmlInline(b.parts)}</p>`;
      case "ul":
        return `<ul>${b.items.map((item) => `<li>${htmlInline(item)}</li>`).join("")}</ul>`;
      case "table":
        return htmlTable(b);
      case "plot": {
        const svg = svgs[i];
        const content = svg ? svg : `<p class="note">${escapeHtml(b.empty)}</p>`;
        return (
          `<figure class="plot" id="${escapeHtml(b.id)}"><h4>${escapeHtml(b.title)}</h4>\n${content}\n` +
          `<figcaption>${escapeHtml(b.caption)}</figcaption></figure>`
        );
      }
    }
    return "";
  });
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body><main>",
    ...body,
    "</main></body>",
    "</html>",
    "",
  ].join("\n");
}
