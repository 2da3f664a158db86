/**
 * Prompt tokens per step of the LLM policy under each context strategy, on real trajectories of the
 * sandbox shop: `shopsim run` records N heuristic-driven sessions, then every step of every session
 * is replayed through the prompt builder (no model needed) as the LLM policy would have asked it.
 *
 *   node bench/prompt-tokens.ts [--sessions 20] [--seed 7] [--run DIR]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadPersonas, loadScenarios } from "../src/config/population.ts";
import type { Step } from "../src/contracts/trajectory.ts";
import { LlmSettingsSchema } from "../src/policy/llm/config.ts";
import {
  buildMessages,
  type ChatMessage,
  PROMPT_VERSION,
  type PromptOptions,
} from "../src/policy/llm/prompt.ts";
import { median, quantile } from "../src/stats.ts";
import { countTokens, TOKENIZER } from "../src/tokens.ts";
import { readRun } from "../src/trajectory/run-dir.ts";

const { values } = parseArgs({
  options: {
    sessions: { type: "string", default: "20" },
    seed: { type: "string", default: "7" },
    run: { type: "string" },
  },
});

const ROOT = new URL("../", import.meta.url).pathname;
let dir = values.run;
if (!dir) {
  dir = join(mkdtempSync(join(tmpdir(), "shopsim-bench-prompt-")), "run");
  const res = spawnSync(
    process.execPath,
    [
      join(ROOT, "src/cli/main.ts"),
      "run",
      "--sessions",
      values.sessions,
      "--seed",
      values.seed,
      "--out",
      dir,
    ],
    { encoding: "utf8", env: { ...process.env, SHOPSIM_LOG_LEVEL: "error" } },
  );
  if (res.status !== 0) throw new Error(`shopsim run failed: ${res.stderr}`);
}
const run = await readRun(dir);
const personas = await loadPersonas();
const scenarios = await loadScenarios();

/**
 * Chat-format overhead per message in OpenAI's accounting (role and separators, about 4 tokens)
 * plus 3 for the reply primer; small next to the pages, counted so the figures match what a server bills.
 */
function promptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((n, m) => n + countTokens(m.content) + 4, 3);
}

const defaults = LlmSettingsSchema.parse({ model: "any" });
const base = { historyTokens: 0, pastPageTokens: 0, lastK: 0, reply: "single" } as const;
const strategies: Array<[string, PromptOptions]> = [
  ["full, 40k-token cap (the paper's setting)", { ...base, context: "full", historyTokens: 40_000 }],
  [
    `last-k, k = ${defaults.last_k}, past pages ≤ ${defaults.past_page_tokens} tokens (default)`,
    { ...base, context: "last-k", lastK: defaults.last_k, pastPageTokens: defaults.past_page_tokens },
  ],
  ["last-k, k = 1, past pages' main content uncut", { ...base, context: "last-k", lastK: 1 }],
  [
    `last-k, k = 3, past pages ≤ ${defaults.past_page_tokens} tokens`,
    { ...base, context: "last-k", lastK: 3, pastPageTokens: defaults.past_page_tokens },
  ],
  ["actions-only", { ...base, context: "actions-only" }],
];

const title = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? "";
const names = (html: string) => [...html.matchAll(/ name="([^"]+)"/g)].map((m) => m[1] as string);

const rows: string[] = [];
let stepsCounted = 0;
for (const [label, opts] of strategies) {
  const perStep: number[] = [];
  for (const s of run.sessions) {
    const persona = personas.get(s.persona.id);
    const scenario = scenarios.get(s.scenario.id);
    if (!persona || !scenario) throw new Error(`session ${s.session_id}: persona or scenario not shipped`);
    s.steps.forEach((step: Step, t: number) => {
      const messages = buildMessages(
        {
          persona,
          scenario,
          history: s.steps.slice(0, t),
          observation: {
            url: step.url,
            title: title(step.observation),
            html: step.observation,
            names: names(step.observation),
          },
        },
        opts,
      );
      perStep.push(promptTokens(messages));
    });
  }
  stepsCounted = perStep.length;
  rows.push(
    `| ${label} | ${median(perStep).toFixed(0)} | ${quantile(perStep, 0.95).toFixed(0)} | ${Math.max(...perStep)} | ${(perStep.reduce((a, b) => a + b, 0) / run.sessions.length).toFixed(0)} |`,
  );
}

const pageTokens = run.sessions.flatMap((s) => s.steps.map((st) => countTokens(st.observation)));
console.log(
  `\n${run.sessions.length} heuristic sessions (seed ${values.seed}), ${stepsCounted} steps, prompt ${PROMPT_VERSION}, tokens: ${TOKENIZER}; one simplified page: median ${median(pageTokens).toFixed(0)} tokens\n`,
);
console.log(
  "| context strategy | prompt tokens per step, median | p95 | max | per session (sum over steps) |",
);
console.log("|---|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
