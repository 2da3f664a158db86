import { sleepFor } from "./retry.ts";

export interface LimiterOptions {
  maxConcurrent: number;
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
  now?: () => number;
}

interface Entry {
  at: number;
  tokens: number;
}

const WINDOW_MS = 60_000;

/**
 * A process-wide gate in front of the model server: at most `maxConcurrent` requests in flight, and
 * within any 60 s window at most `requestsPerMinute` requests and `tokensPerMinute` tokens (prompt
 * estimate at start, corrected to the server's count when the reply arrives). Waiters are served in
 * arrival order; an aborted waiter leaves the line.
 */
export class RateLimiter {
  readonly #opts: LimiterOptions;
  readonly #now: () => number;
  #inFlight = 0;
  readonly #log: Entry[] = [];
  #line: Promise<void> = Promise.resolve();

  constructor(opts: LimiterOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  /** Waits for a slot; returns a release function taking the tokens actually used. */
  async acquire(estimatedTokens: number, signal?: AbortSignal): Promise<(actualTokens?: number) => void> {
    const turn = this.#line.then(() => this.#waitForRoom(estimatedTokens, signal));
    // The next waiter queues behind this one whether it succeeds or aborts.
    this.#line = turn.catch(() => {});
    await turn;
    this.#inFlight += 1;
    const entry: Entry = { at: this.#now(), tokens: estimatedTokens };
    this.#log.push(entry);
    let released = false;
    return (actualTokens?: number) => {
      if (released) return;
      released = true;
      this.#inFlight -= 1;
      if (actualTokens !== undefined) entry.tokens = actualTokens;
    };
  }

  async #waitForRoom(tokens: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const wait = this.#delayFor(tokens);
      if (wait <= 0) return;
      // Re-check often: a finishing request frees a slot, and its real token count may free budget.
      await sleepFor(Math.min(wait, 100), signal);
    }
  }

  /** How long until a request of `tokens` fits, 0 when it fits now. */
  #delayFor(tokens: number): number {
    const now = this.#now();
    while (this.#log.length > 0 && now - (this.#log[0] as Entry).at >= WINDOW_MS) this.#log.shift();
    if (this.#inFlight >= this.#opts.maxConcurrent) return 10;
    const rpm = this.#opts.requestsPerMinute;
    if (rpm !== null && this.#log.length >= rpm) {
      return WINDOW_MS - (now - (this.#log[this.#log.length - rpm] as Entry).at);
    }
    const tpm = this.#opts.tokensPerMinute;
    if (tpm !== null) {
      let used = this.#log.reduce((n, e) => n + e.tokens, 0);
      if (used + tokens > tpm && this.#log.length > 0) {
        // Wait until enough old entries leave the window (a request larger than the whole budget
        // goes alone once the window is empty).
        for (const e of this.#log) {
          used -= e.tokens;
          if (used + tokens <= tpm) return WINDOW_MS - (now - e.at);
        }
        return WINDOW_MS - (now - (this.#log[this.#log.length - 1] as Entry).at);
      }
    }
    return 0;
  }
}
