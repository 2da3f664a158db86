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

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

/** A policy's answer: the reason first, then the action (the paper's rationale-before-action). */
export interface Decision {
  rationale: string;
  action: Action;
  usage?: Usage;
}

/** Anything that picks the next action: the heuristic shopper, an LLM, a replay of a recorded log. */
export interface Policy {
  readonly kind: string;
  readonly model: string | null;
  readonly promptVersion: string | null;
  decide(input: DecideInput): Promise<Decision>;
}
