import type { UsageTotals } from "../contracts/trajectory.ts";

/** Anything that carries model usage: a decision's usage, a session's totals. */
export interface Countable {
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  calls: number;
  retries: number;
  cached_calls: number;
}

/** Model usage summed up: tokens always, cost while every call had a known price. */
export class UsageMeter {
  input_tokens = 0;
  output_tokens = 0;
  /** null once any call had no known price. */
  cost_usd: number | null = 0;
  calls = 0;
  retries = 0;
  cached_calls = 0;

  add(u: Countable): void {
    this.input_tokens += u.input_tokens;
    this.output_tokens += u.output_tokens;
    this.cost_usd = this.cost_usd === null || u.cost_usd === null ? null : this.cost_usd + u.cost_usd;
    this.calls += u.calls;
    this.retries += u.retries;
    this.cached_calls += u.cached_calls;
  }

  get tokens(): number {
    return this.input_tokens + this.output_tokens;
  }

  totals(policyMs: number): UsageTotals {
    return {
      input_tokens: this.input_tokens,
      output_tokens: this.output_tokens,
      cost_usd: this.cost_usd === null ? null : Math.round(this.cost_usd * 1e8) / 1e8,
      calls: this.calls,
      retries: this.retries,
      cached_calls: this.cached_calls,
      policy_ms: policyMs,
    };
  }
}
