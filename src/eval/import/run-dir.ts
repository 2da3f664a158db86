import { createReadStream, existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Action } from "../../contracts/action.ts";
import { describeZodError, InputError } from "../../contracts/errors.ts";
import type {
  HumanLogs,
  HumanSession,
  HumanStep,
  ImportIssue,
  SessionOutcome,
} from "../../contracts/human-log.ts";
import { type SessionRecord, SessionRecordSchema, type SessionStatus } from "../../contracts/trajectory.ts";
import { RUN_FILES, readManifest } from "../../trajectory/run-dir.ts";

export interface RunDirImportOptions {
  /** Keep at most this many sessions (in file order). */
  limit?: number;
}

const OUTCOMES: Record<SessionStatus, SessionOutcome> = {
  purchased: "purchase",
  terminated: "terminate",
  max_steps: "terminate",
  max_time: "terminate",
  loop: "terminate",
  error: "unknown",
  aborted: "unknown",
  budget_exceeded: "unknown",
};

/** A shopsim action in the log model's fields (a select's value goes in `input_text`). */
export function actionFields(action: Action): Pick<HumanStep, "action_type" | "semantic_id" | "input_text"> {
  switch (action.type) {
    case "click":
      return { action_type: "click", semantic_id: action.name, input_text: null };
    case "type_and_submit":
    case "type":
      return { action_type: action.type, semantic_id: action.name, input_text: action.text };
    case "select":
      return { action_type: "select", semantic_id: action.name, input_text: action.value };
    case "back":
      return { action_type: "back", semantic_id: null, input_text: null };
    case "terminate":
      return { action_type: "terminate", semantic_id: null, input_text: null };
  }
}

/**
 * One shopsim session record as a log session. Steps whose policy produced no action are left out
 * and counted in `meta.failed_steps`; the remaining steps are renumbered from 0. The category is
 * left to the evaluator (null).
 */
export function sessionFromRecord(record: SessionRecord, file: string): HumanSession {
  const steps: HumanStep[] = [];
  let failed = 0;
  let actionErrors = 0;
  for (const step of record.steps) {
    if (step.action === null) {
      failed += 1;
      continue;
    }
    if (!step.result.ok) actionErrors += 1;
    steps.push({
      index: steps.length,
      timestamp: step.timestamp,
      url: step.url,
      observation: step.observation,
      ...actionFields(step.action),
      rationale: step.rationale === "" ? null : step.rationale,
      category: null,
      source_label: null,
    });
  }
  return {
    session_id: record.session_id,
    source: "shopsim",
    file,
    persona: `${record.persona.id}: ${record.persona.name}`,
    goal: record.scenario.goal.instruction,
    outcome: OUTCOMES[record.status],
    steps,
    summary: null,
    meta: {
      run_id: record.run_id,
      status: record.status,
      persona_id: record.persona.id,
      scenario_id: record.scenario.id,
      variant: record.variant,
      replica: record.replica,
      seed: record.seed,
      goal_score: record.outcome.goal_score,
      policy: record.policy.kind,
      model: record.policy.model,
      failed_steps: failed,
      action_errors: actionErrors,
    },
  };
}

/**
 * Imports a shopsim run directory (manifest.json + sessions.jsonl). The manifest is read with
 * `readManifest` (a directory without one is an InputError). Session records are read line by
 * line and checked with the same schema as `readSessions`, but a bad line is reported as an
 * issue and skipped instead of ending the import, like every importer's bad records.
 */
export async function importRunDir(dir: string, opts: RunDirImportOptions = {}): Promise<HumanLogs> {
  await readManifest(dir);
  const file = join(dir, RUN_FILES.sessions);
  if (!existsSync(file)) throw new InputError(file, "no sessions file; is this a run directory?");
  const issues: ImportIssue[] = [];
  const sessions: HumanSession[] = [];
  let records = 0;
  const input = createReadStream(file, "utf8");
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n += 1;
    if (line.trim() === "") continue;
    if (opts.limit !== undefined && sessions.length >= opts.limit) break;
    records += 1;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (error) {
      issues.push({ file, line: n, field: null, problem: `not valid JSON (${(error as Error).message})` });
      continue;
    }
    const parsed = SessionRecordSchema.safeParse(data);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      issues.push({
        file,
        line: n,
        field: first && first.path.length > 0 ? first.path.map(String).join(".") : null,
        problem: describeZodError(parsed.error),
      });
      continue;
    }
    sessions.push(sessionFromRecord(parsed.data, file));
  }
  lines.close();
  input.destroy();
  return {
    sessions,
    report: {
      format: "shopsim",
      files: [file],
      records,
      sessions: sessions.length,
      skipped: issues.length,
      issues,
    },
  };
}
