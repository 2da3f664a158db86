import type { Action } from "../contracts/action.ts";
import type { Persona, Scenario } from "../contracts/scenario.ts";
import type { Step } from "../contracts/trajectory.ts";

/** What a policy sees at each step. */
export interface Observation {
  url: string;
  title: string;
  /** Simplified HTML; interactive elements carry their name in a `name` attribute. */
  html: string;
  /** Names of the interactive elements on the page, the only valid action targets. */
  names: readonly string[];
}

export interface DecideInput {
  persona: Persona;
  scenario: Scenario;
  /** Earlier steps of this session, oldest first. */
  history: readonly Step[];
  observation: Observation;
  signal: AbortSignal;
}

/** What a decision cost: model calls, tokens, retries and time (all zero for built-in policies). */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  /** Dollars, or null when a model call had no known price. */
  cost_usd: number | null;
  calls: number;
  retries: number;
  /** Calls answered from the record/replay cache (no network). */
  cached_calls: number;
  /** Time spent waiting for the model, summed over calls. */
  latency_ms: number;
  /** Each call, in order (LLM policies). */
  per_call?: CallRecord[];
}

/** What one model call cost. */
export interface CallUsage {
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  retries: number;
  cached: boolean;
  cost_usd: number | null;
}

/** One model call made for a decision, and what it was for. */
export interface CallRecord extends CallUsage {
  purpose: "decide" | "reask" | "rationale";
}

/**
 * A policy's answer: the reason first, then the action (the paper's rationale-before-action).
 * `action: null` means the policy could not produce a usable action (`error` says why); the session
 * records a failed step and goes on, unless `end` asks it to stop.
 */
export interface Decision {
  rationale: string;
  action: Action | null;
  error?: string;
  end?: boolean;
  usage?: Usage;
}

/** Anything that picks the next action: the heuristic shopper, an LLM, a replay of a recorded log. */
export interface Policy {
  readonly kind: string;
  readonly model: string | null;
  readonly promptVersion: string | null;
  /** Settings that shape its choices, recorded with every session (e.g. temperature, seed, context). */
  readonly params?: Readonly<Record<string, string | number | boolean | null>>;
  decide(input: DecideInput): Promise<Decision>;
}
