import { type Countable, UsageMeter } from "../trajectory/usage.ts";

export interface BudgetLimits {
  maxTokens: number | null;
  maxCostUsd: number | null;
}

export const NO_LIMITS: BudgetLimits = { maxTokens: null, maxCostUsd: null };

/**
 * A spending cap on model usage (tokens, dollars) for a session or a whole run. Shared by all
 * sessions of a run for the run cap: once it is reached no new session starts and running ones end
 * with status `budget_exceeded` after their current step.
 */
export class Budget {
  readonly limits: BudgetLimits;
  readonly meter = new UsageMeter();
  readonly #label: string;

  constructor(limits: BudgetLimits, label: string) {
    this.limits = limits;
    this.#label = label;
  }

  add(u: Countable): void {
    this.meter.add(u);
  }

  /** Why the budget is spent, or null while there is budget left. */
  exceeded(): string | null {
    const { maxTokens, maxCostUsd } = this.limits;
    if (maxTokens !== null && this.meter.tokens >= maxTokens) {
      return `${this.#label} token budget of ${maxTokens.toLocaleString("en-US")} reached (${this.meter.tokens.toLocaleString("en-US")} used)`;
    }
    const cost = this.meter.cost_usd;
    if (maxCostUsd !== null && cost !== null && cost >= maxCostUsd) {
      return `${this.#label} cost budget of $${maxCostUsd} reached ($${cost.toFixed(4)} spent)`;
    }
    return null;
  }
}
