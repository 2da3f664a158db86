import * as cheerio from "cheerio";
import type { Action } from "../contracts/action.ts";
import type { HumanActionType, HumanSession, HumanStep, SessionOutcome } from "../contracts/human-log.ts";
import { type Persona, PersonaSchema, type Scenario } from "../contracts/scenario.ts";
import type { Step } from "../contracts/trajectory.ts";
import type { Observation, Policy } from "../policy/types.ts";
import { categorize } from "./features.ts";
import { actionFields } from "./import/run-dir.ts";
import { confusionMatrix, f1Scores, macroAccuracy, mcnemar, microAccuracy } from "./metrics.ts";

/**
 * The paper's next-action task (Lu et al. 2025): at every step t ≥ 1 of a human session that has an
 * observation, the policy gets the true history (the human's earlier pages, actions and rationales)
 * and the current page, and its action is compared with the human's. Policies run on the stored
 * pages; no browser is involved.
 */

/** An action in the form the evaluation compares: type, target name, typed text or chosen value. */
export interface ComparableAction {
  type: HumanActionType | "none";
  name: string | null;
  text: string | null;
}

/** The paper's normalisation of typed text: case, surrounding and repeated whitespace do not count. */
export function normalizeText(text: string | null): string {
  return (text ?? "").toLowerCase().replace(/\s+/g, " ").trim();
}

/**
 * Exact match: same type; same target name for actions that have one; same text (after
 * {@link normalizeText}) for actions that type or choose something. `terminate` and `back` match on
 * type alone.
 */
export function actionsMatch(predicted: ComparableAction, truth: ComparableAction): boolean {
  if (predicted.type !== truth.type) return false;
  switch (truth.type) {
    case "terminate":
    case "back":
      return true;
    case "click":
      return (predicted.name ?? "").trim() === (truth.name ?? "").trim();
    default:
      return (
        (predicted.name ?? "").trim() === (truth.name ?? "").trim() &&
        normalizeText(predicted.text) === normalizeText(truth.text)
      );
  }
}

/** The paper's error categories for a wrong prediction. */
export const ERROR_CATEGORIES = [
  "did_not_terminate",
  "did_not_click",
  "did_not_search",
  "wrong_keyword",
  "wrong_button",
  "other",
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export function errorCategory(predicted: ComparableAction, truth: ComparableAction): ErrorCategory {
  if (truth.type === "terminate") return "did_not_terminate";
  if (truth.type === "click") return predicted.type === "click" ? "wrong_button" : "did_not_click";
  if (truth.type === "type_and_submit")
    return predicted.type === "type_and_submit" ? "wrong_keyword" : "did_not_search";
  return "other";
}

export function comparable(
  step: Pick<HumanStep, "action_type" | "semantic_id" | "input_text">,
): ComparableAction {
  return { type: step.action_type, name: step.semantic_id, text: step.input_text };
}

export function fromAction(action: Action | null): ComparableAction {
  if (!action) return { type: "none", name: null, text: null };
  const f = actionFields(action);
  return { type: f.action_type, name: f.semantic_id, text: f.input_text };
}

/** The human step as a shopsim action, or null when it lacks what the action needs (a target name). */
export function toAction(step: HumanStep): Action | null {
  const name = step.semantic_id;
  switch (step.action_type) {
    case "terminate":
      return { type: "terminate" };
    case "back":
      return { type: "back" };
    case "click":
      return name ? { type: "click", name } : null;
    case "type_and_submit":
    case "type":
      return name ? { type: step.action_type, name, text: step.input_text ?? "" } : null;
    case "select":
      return name ? { type: "select", name, value: step.input_text ?? "" } : null;
  }
}

/** The attributes that carry an element's name in simplified HTML (shopsim's, and OPeRA's variants). */
const NAME_ATTRIBUTES = ["name", "semantic-id", "data-semantic-id", "semantic_id"];

/** Names of the interactive elements of a simplified page, in document order, without repeats. */
export function namesIn(html: string): string[] {
  const $ = cheerio.load(html);
  const out = new Set<string>();
  $("*").each((_, el) => {
    if (el.type !== "tag") return;
    for (const attr of NAME_ATTRIBUTES) {
      const v = el.attribs[attr];
      if (v) {
        out.add(v);
        break;
      }
    }
  });
  return [...out];
}

/** The observation a policy sees for a stored page. */
export function observationOf(step: HumanStep): Observation {
  const html = step.observation ?? "";
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(html)?.[1]?.trim() ?? "";
  return { url: step.url ?? "", title, html, names: namesIn(html) };
}

/** Human steps as the history a policy reads (every step succeeded: it is what the human did). */
export function historyOf(steps: readonly HumanStep[]): Step[] {
  return steps.map((s, i) => ({
    index: i,
    timestamp: s.timestamp ?? new Date(0).toISOString(),
    url: s.url ?? "",
    observation: s.observation ?? "",
    rationale: s.rationale ?? "",
    action: toAction(s),
    result: { ok: true, navigated: true },
    duration_ms: 0,
    timings: { observe_ms: 0, simplify_ms: 0, decide_ms: 0, act_ms: 0 },
  }));
}

/** Who the human was, as far as the log tells: its persona text on a neutral profile. */
export function personaFor(session: HumanSession): Persona {
  return PersonaSchema.parse({
    id: "human",
    name: "Recorded shopper",
    demographics: {
      age: 35,
      gender: "unknown",
      income_band: "50-100k",
      location: { city: "Springfield", state: "IL", zip: "62701" },
      occupation: "unknown",
      household: "single",
    },
    description: session.persona?.trim() || "A shopper whose profile was not recorded.",
    shipping_address: {
      full_name: "Recorded Shopper",
      email: "shopper@example.com",
      address1: "1 Main St",
      city: "Springfield",
      state: "IL",
      zip: "62701",
    },
  });
}

export function scenarioFor(session: HumanSession): Scenario {
  return {
    id: "human-goal",
    kind: "browse",
    goal: { instruction: session.goal?.trim() || "Shop as you normally would." },
    start: "/",
    max_steps: 500,
  };
}

/** What the evaluator asks of a policy source: a policy for one step of one session. */
export type PolicyMaker = (ctx: {
  session: HumanSession;
  persona: Persona;
  scenario: Scenario;
  /** The step being predicted (its index in the session). */
  index: number;
  history: readonly Step[];
}) => Policy;

export interface StepPrediction {
  session_id: string;
  index: number;
  truth: ComparableAction;
  predicted: ComparableAction;
  correct: boolean;
  error: ErrorCategory | null;
  rationale: string;
  /** Why the policy gave no action, when it gave none. */
  failure?: string;
}

export interface NextActionResult {
  policy: { kind: string; model: string | null; prompt_version: string | null };
  sessions: number;
  /** Sessions with no step to predict (no observation after the first action). */
  sessions_without_steps: number;
  steps: number;
  /** Steps after the first that had no stored page and so were not predicted. */
  steps_without_observation: number;
  accuracy_macro: number;
  accuracy_micro: number;
  per_session: { session_id: string; correct: number; total: number; accuracy: number }[];
  action_type: {
    macro_f1: number;
    per_class: Record<string, { precision: number; recall: number; f1: number; support: number }>;
    confusion: Record<string, Record<string, number>>;
  };
  outcome: {
    /** Sessions whose last step was predicted and whose outcome is known. */
    sessions: number;
    /** Mean F1 of the purchase and terminate classes. */
    macro_f1: number;
    purchase_f1: number;
    terminate_f1: number;
    confusion: Record<string, Record<string, number>>;
  };
  errors: Record<ErrorCategory, number>;
  predictions: StepPrediction[];
}

/** Runs a policy over every predictable step of the sessions. */
export async function evaluateNextAction(
  sessions: readonly HumanSession[],
  makePolicy: PolicyMaker,
  opts: { signal?: AbortSignal; onStep?: (done: number, total: number) => void } = {},
): Promise<NextActionResult> {
  const signal = opts.signal ?? new AbortController().signal;
  const predictions: StepPrediction[] = [];
  const per_session: NextActionResult["per_session"] = [];
  const outcomes: { truth: string; predicted: string }[] = [];
  let stepsWithoutObservation = 0;
  let sessionsWithout = 0;
  let policyInfo: NextActionResult["policy"] | null = null;
  const total = sessions.reduce(
    (n, s) => n + s.steps.filter((st, i) => i > 0 && st.observation !== null).length,
    0,
  );
  for (const session of sessions) {
    const persona = personaFor(session);
    const scenario = scenarioFor(session);
    const history = historyOf(session.steps);
    let correct = 0;
    let counted = 0;
    for (let t = 1; t < session.steps.length; t++) {
      const step = session.steps[t] as HumanStep;
      if (step.observation === null) {
        stepsWithoutObservation += 1;
        continue;
      }
      signal.throwIfAborted();
      const past = history.slice(0, t);
      const policy = makePolicy({ session, persona, scenario, index: t, history: past });
      policyInfo ??= { kind: policy.kind, model: policy.model, prompt_version: policy.promptVersion };
      const decision = await policy.decide({
        persona,
        scenario,
        history: past,
        observation: observationOf(step),
        signal,
      });
      const truth = comparable(step);
      const predicted = fromAction(decision.action);
      const ok = actionsMatch(predicted, truth);
      predictions.push({
        session_id: session.session_id,
        index: t,
        truth,
        predicted,
        correct: ok,
        error: ok ? null : errorCategory(predicted, truth),
        rationale: decision.rationale,
        ...(decision.action === null ? { failure: decision.error ?? "no action" } : {}),
      });
      counted += 1;
      if (ok) correct += 1;
      if (t === session.steps.length - 1 && session.outcome !== "unknown") {
        const predictedStep: HumanStep = {
          ...step,
          action_type: predicted.type === "none" ? "click" : predicted.type,
          semantic_id: predicted.name,
          input_text: predicted.text,
          category: null,
        };
        const predictedOutcome =
          predicted.type === "terminate"
            ? "terminate"
            : (ok && session.outcome === "purchase") ||
                (predicted.type !== "none" && categorize(predictedStep) === "purchase")
              ? "purchase"
              : "continue";
        outcomes.push({ truth: session.outcome, predicted: predictedOutcome });
      }
      opts.onStep?.(predictions.length, total);
    }
    if (counted === 0) sessionsWithout += 1;
    else
      per_session.push({
        session_id: session.session_id,
        correct,
        total: counted,
        accuracy: correct / counted,
      });
  }
  const typePairs = predictions.map((p) => ({ truth: p.truth.type, predicted: p.predicted.type }));
  const typeScores = f1Scores(typePairs);
  const outcomeLabels: SessionOutcome[] = ["purchase", "terminate"];
  const outcomeScores = f1Scores(outcomes, outcomeLabels);
  const errors = Object.fromEntries(ERROR_CATEGORIES.map((c) => [c, 0])) as Record<ErrorCategory, number>;
  for (const p of predictions) if (p.error) errors[p.error] += 1;
  return {
    policy: policyInfo ?? { kind: "unknown", model: null, prompt_version: null },
    sessions: sessions.length,
    sessions_without_steps: sessionsWithout,
    steps: predictions.length,
    steps_without_observation: stepsWithoutObservation,
    accuracy_macro: macroAccuracy(per_session),
    accuracy_micro: microAccuracy(per_session),
    per_session,
    action_type: {
      macro_f1: typeScores.macro_f1,
      per_class: typeScores.per_class,
      confusion: confusionMatrix(typePairs),
    },
    outcome: {
      sessions: outcomes.length,
      macro_f1: outcomeScores.macro_f1,
      purchase_f1: outcomeScores.per_class.purchase?.f1 ?? Number.NaN,
      terminate_f1: outcomeScores.per_class.terminate?.f1 ?? Number.NaN,
      confusion: confusionMatrix(outcomes),
    },
    errors,
    predictions,
  };
}

/** McNemar's test between two result files over the steps both predicted (paired by session and step). */
export function compareResults(
  a: Pick<NextActionResult, "predictions">,
  b: Pick<NextActionResult, "predictions">,
): ReturnType<typeof mcnemar> & {
  paired_steps: number;
  unpaired_steps: number;
  accuracy_a: number;
  accuracy_b: number;
} {
  const key = (p: StepPrediction) => `${p.session_id}\u0000${p.index}`;
  const inB = new Map(b.predictions.map((p) => [key(p), p.correct]));
  const xa: boolean[] = [];
  const xb: boolean[] = [];
  for (const p of a.predictions) {
    const other = inB.get(key(p));
    if (other === undefined) continue;
    xa.push(p.correct);
    xb.push(other);
  }
  const paired = xa.length;
  const unpaired = a.predictions.length + b.predictions.length - 2 * paired;
  return {
    ...mcnemar(xa, xb),
    paired_steps: paired,
    unpaired_steps: unpaired,
    accuracy_a: paired === 0 ? Number.NaN : xa.filter(Boolean).length / paired,
    accuracy_b: paired === 0 ? Number.NaN : xb.filter(Boolean).length / paired,
  };
}

/**
 * The oracle: answers each step with what the human did. A self-check of the evaluation (it must
 * score 100%), and the upper bound in reports.
 */
export function oraclePolicy(session: HumanSession, index: number): Policy {
  return {
    kind: "oracle",
    model: null,
    promptVersion: null,
    async decide() {
      const step = session.steps[index];
      const action = step ? toAction(step) : null;
      return action
        ? { rationale: step?.rationale ?? "The recorded shopper did this.", action }
        : { rationale: "", action: null, error: "the recorded step has no target name" };
    },
  };
}
