import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { InputError } from "../contracts/errors.ts";
import {
  loadGoalQueryMap,
  loadHumanGoals,
  QUERY_POLICIES,
  queriesResult,
  renderQueries,
  SPLIT_CHOICES,
  type SplitChoice,
} from "../eval/queries.ts";
import { hashPath, makeReport, num, pct, writeEvalReport } from "../eval/report.ts";

const MODEL_FILE = fileURLToPath(new URL("../policy/heuristic/query-model.json", import.meta.url));

interface EvalQueriesFlags {
  humanQueries?: string;
  goals?: string;
  policy: string;
  split: string;
  limit?: string;
  out?: string;
}

function positiveWhole(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1) {
    throw new InputError(flag, `expected a whole number ≥ 1, got "${value}"`);
  }
  return n;
}

/** `shopsim eval queries`: the built-in shopper's first search queries against real people's. */
export function registerEvalQueriesCommand(evalCommand: Command): void {
  evalCommand
    .command("queries")
    .description(
      "Compare a policy's first search query for each goal with the queries real people typed for it (token F1, exact match, length ratio) against typing the whole instruction.",
    )
    .option(
      "--human-queries <file>",
      'goal → queries JSON, WebShop goal_query_map format: {"<instruction>": ["query", …]}',
    )
    .option(
      "--goals <file>",
      "WebShop human_goals.json (instructions in split order) to tell eval from train goals (default: human_goals.json next to the queries file)",
    )
    .option(
      "--policy <name>",
      `whose queries to score: ${Object.keys(QUERY_POLICIES).join(", ")}`,
      "heuristic",
    )
    .option("--split <split>", `which goals: ${SPLIT_CHOICES.join(", ")} (WebShop's split order)`, "eval")
    .option("--limit <n>", "score only the first N goals (after the split and exclusions)")
    .option("-o, --out <dir>", "directory for queries.json and queries.md (created if missing)")
    .addHelpText(
      "after",
      `
Goals the query model was fit on (the train split) are never scored: they are left out and counted
as goals_excluded_seen_by_fit. The model is regenerated with scripts/fit-query-model.ts.

Examples:
  shopsim eval queries --human-queries ../shared/datasets/webshop-goals/goal_query_map.train.json --out eval/queries
  shopsim eval queries --human-queries map.json --goals human_goals.json --split all --limit 20 --out /tmp/q`,
    )
    .action(async (opts: EvalQueriesFlags) => {
      if (opts.humanQueries === undefined) {
        throw new InputError("--human-queries", "missing: give the goal → queries JSON file to compare with");
      }
      if (opts.out === undefined) {
        throw new InputError(
          "--out",
          "missing: give the directory to write queries.json and queries.md into",
        );
      }
      const makePolicy = QUERY_POLICIES[opts.policy];
      if (makePolicy === undefined) {
        throw new InputError(
          `--policy ${opts.policy}`,
          `not supported by eval queries; supported: ${Object.keys(QUERY_POLICIES).join(", ")}`,
        );
      }
      if (!(SPLIT_CHOICES as readonly string[]).includes(opts.split)) {
        throw new InputError(`--split ${opts.split}`, `expected one of ${SPLIT_CHOICES.join(", ")}`);
      }
      const split = opts.split as SplitChoice;
      const limit = opts.limit === undefined ? undefined : positiveWhole("--limit", opts.limit);
      const beside = join(dirname(opts.humanQueries), "human_goals.json");
      const goalsFile = opts.goals ?? (existsSync(beside) ? beside : undefined);
      if (goalsFile === undefined) {
        throw new InputError(
          "--goals",
          `not given, and there is no human_goals.json next to ${opts.humanQueries}: the eval/train split of each goal comes from its position in WebShop's human_goals.json, so pass --goals PATH/human_goals.json`,
        );
      }

      const map = await loadGoalQueryMap(opts.humanQueries);
      const humanGoals = await loadHumanGoals(goalsFile);
      const policy = makePolicy();
      const result = queriesResult({
        map,
        humanGoals,
        split,
        policy,
        ...(limit === undefined ? {} : { limit }),
      });
      if (result.goals_evaluated === 0) {
        throw new InputError(
          `--split ${split}`,
          result.goals_in_split === 0
            ? `no goal of ${opts.humanQueries} is in the ${split} split`
            : `all ${result.goals_excluded_seen_by_fit} goals of the ${split} split were seen by the query model's fit and are excluded; nothing is left to evaluate (use --split eval)`,
        );
      }
      const inputs = await Promise.all(
        [opts.humanQueries, goalsFile, ...(policy.model ? [MODEL_FILE] : [])].map((p) => hashPath(p)),
      );
      const report = makeReport("queries", process.argv.slice(2), inputs, result);
      const files = await writeEvalReport(opts.out, "queries", report, renderQueries(result));
      console.log(
        [
          `eval queries (${result.policy_name}, split ${split}): ${result.goals_evaluated} goals evaluated, ${result.goals_excluded_seen_by_fit} excluded as seen by the query model's fit`,
          `  ${result.policy_name.padEnd(9)} token F1 ${num(result.policy.token_f1, 3)}  exact match ${pct(result.policy.exact_match)}`,
          `  baseline  token F1 ${num(result.baseline.token_f1, 3)}  exact match ${pct(result.baseline.exact_match)}  (the whole instruction)`,
          `  report: ${files.json}  ${files.markdown}`,
        ].join("\n"),
      );
    });
}
