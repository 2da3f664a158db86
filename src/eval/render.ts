import type { ImportReport } from "../contracts/human-log.ts";
import type { CompareResult, FeatureComparison } from "./compare.ts";
import type { compareResults, NextActionResult } from "./next-action.ts";
import { mdTable, num, pct } from "./report.ts";

/** Markdown bodies of the evaluations' reports (the JSON is the data; this is for reading). */

export function renderImport(label: string, r: ImportReport): string {
  const lines = [
    `${label}: ${r.sessions} sessions from ${r.records} records (${r.format}, ${r.files.length} file(s)); ${r.skipped} skipped.`,
  ];
  for (const i of r.issues.slice(0, 20)) {
    lines.push(
      `- ${i.file}${i.line !== null ? `:${i.line}` : ""}${i.field ? ` \`${i.field}\`` : ""}: ${i.problem}`,
    );
  }
  if (r.issues.length > 20) lines.push(`- … and ${r.issues.length - 20} more (see the JSON)`);
  return lines.join("\n");
}

export function renderNextAction(r: NextActionResult, mcnemar?: ReturnType<typeof compareResults>): string {
  const p = r.policy;
  const types = Object.keys(r.action_type.per_class);
  const out = [
    "## Next-action prediction",
    "",
    `Policy: ${p.kind}${p.model ? ` (${p.model})` : ""}${p.prompt_version ? `, prompt ${p.prompt_version}` : ""}. ` +
      `${r.steps} steps predicted in ${r.per_session.length} sessions ` +
      `(${r.sessions_without_steps} sessions and ${r.steps_without_observation} steps had no stored page).`,
    "",
    mdTable(
      ["metric", "value"],
      [
        ["exact-match accuracy, macro over sessions", pct(r.accuracy_macro, 2)],
        ["exact-match accuracy, micro over steps", pct(r.accuracy_micro, 2)],
        ["action-type macro F1", pct(r.action_type.macro_f1, 2)],
        [`session-outcome macro F1 (${r.outcome.sessions} sessions)`, pct(r.outcome.macro_f1, 2)],
        [
          "outcome F1, purchase / terminate",
          `${pct(r.outcome.purchase_f1, 2)} / ${pct(r.outcome.terminate_f1, 2)}`,
        ],
      ],
    ),
    "",
    "Paper (Lu et al. 2025, OPeRA): DeepSeek-R1 prompt-only 11.86% accuracy; fine-tuned Qwen2.5-7B with synthesized rationales 17.26% accuracy, 33.86% outcome F1.",
    "",
    "### Action types",
    "",
    mdTable(
      ["type", "precision", "recall", "F1", "support"],
      types.map((t) => {
        const c = r.action_type.per_class[t];
        return [t, pct(c?.precision), pct(c?.recall), pct(c?.f1), String(c?.support ?? 0)];
      }),
    ),
    "",
    "Confusion (rows: human, columns: predicted):",
    "",
    mdTable(
      ["human \\ predicted", ...types],
      types.map((t) => [t, ...types.map((u) => String(r.action_type.confusion[t]?.[u] ?? 0))]),
    ),
    "",
    "### Errors",
    "",
    mdTable(
      ["category", "steps"],
      Object.entries(r.errors).map(([k, v]) => [k.replace(/_/g, " "), String(v)]),
    ),
  ];
  if (mcnemar) {
    out.push(
      "",
      "### McNemar's test against the baseline result",
      "",
      `${mcnemar.paired_steps} paired steps: this run ${pct(mcnemar.accuracy_a, 2)}, baseline ${pct(mcnemar.accuracy_b, 2)}; ` +
        `only this run right ${mcnemar.only_a}, only the baseline right ${mcnemar.only_b}; exact p = ${num(mcnemar.p_value, 4)}.`,
    );
  }
  return out.join("\n");
}

function distributionCells(f: FeatureComparison, side: "human" | "sim"): string {
  const d = f[side];
  if (f.kind === "numeric" && "mean" in d)
    return `${num(d.mean as number)} (median ${num(d.median as number)})`;
  const counts = d as Record<string, number>;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k} ${pct(v / total, 0)}`)
    .join(", ");
}

export function renderCompare(r: CompareResult): string {
  return [
    "## Session shape: simulated vs human",
    "",
    `${r.human_sessions} human sessions, ${r.sim_sessions} simulated. Realism score ${num(r.realism_score, 3)} ` +
      `(1 − mean distance over ${r.realism_features.length} features; 1 = indistinguishable).`,
    "",
    mdTable(
      ["feature", "human", "simulated", "distance [95% CI]", "W1"],
      r.features.map((f) => [
        f.feature,
        distributionCells(f, "human"),
        distributionCells(f, "sim"),
        `${f.distance_name} ${num(f.distance.estimate, 3)} [${num(f.distance.low, 3)}, ${num(f.distance.high, 3)}]`,
        f.wasserstein === null ? "–" : num(f.wasserstein),
      ]),
    ),
    "",
    r.skipped.length > 0
      ? `Not compared: ${r.skipped.map((s) => `${s.feature} (${s.reason})`).join("; ")}.`
      : "",
    "",
    "### Published human aggregates",
    "",
    mdTable(
      ["reference", "actions/session", "searches/session", "purchase rate", "source"],
      [
        ...r.references.map((x) => [
          `${x.name}${x.population === "llm_agent" ? " (LLM agents)" : ""}`,
          num(x.actions_per_session),
          num(x.searches_per_session),
          pct(x.purchase_rate),
          x.citation,
        ]),
        [
          "this simulation",
          num(r.references[0]?.sim_actions_per_session),
          num(r.references[0]?.sim_searches_per_session),
          pct(r.references[0]?.sim_purchase_rate),
          "",
        ],
      ],
    ),
  ].join("\n");
}
