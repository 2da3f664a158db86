import type { Goal } from "../contracts/goal.ts";
import { type Order, OrderSchema, SESSION_HEADER, type ShopEvent } from "../contracts/shop.ts";

/**
 * Talks to a shop's ground-truth API over HTTP (the sandbox shop has one; a user's own site may
 * not). The runner never reads the shop's memory: outcomes come from what the shop itself recorded.
 * When the shop has no such API, every method answers "unknown" (null) instead of failing.
 */
export class ShopClient {
  readonly base: string;
  private supported: boolean | null = null;

  constructor(base: string) {
    this.base = base.replace(/\/+$/, "");
  }

  /** Headers that attribute the browser's requests to a session (and pin a variant). */
  static headers(sessionId: string, variant: string | null): Record<string, string> {
    return { [SESSION_HEADER]: sessionId, ...(variant ? { "x-shopsim-variant": variant } : {}) };
  }

  private async get<T>(path: string, signal?: AbortSignal): Promise<T | null> {
    if (this.supported === false) return null;
    const res = await fetch(this.base + path, { signal: signal ?? null });
    if (res.status === 404 && this.supported === null) {
      this.supported = false;
      return null;
    }
    if (!res.ok) throw new Error(`shop API ${path} answered ${res.status}`);
    this.supported = true;
    return (await res.json()) as T;
  }

  /** Tells the shop the session's goal so its orders carry a goal score. False when unsupported. */
  async setGoal(
    sessionId: string,
    goal: Goal,
    variant: string | null,
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (this.supported === false) return false;
    const res = await fetch(`${this.base}/api/sessions/${encodeURIComponent(sessionId)}/goal`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(variant ? { goal, variant } : goal),
      signal: signal ?? null,
    });
    if (res.status === 404) {
      this.supported = false;
      return false;
    }
    if (!res.ok) throw new Error(`shop API PUT goal answered ${res.status}: ${await res.text()}`);
    this.supported = true;
    return true;
  }

  async orders(sessionId: string, signal?: AbortSignal): Promise<Order[] | null> {
    const body = await this.get<{ orders: unknown[] }>(
      `/api/orders?session=${encodeURIComponent(sessionId)}`,
      signal,
    );
    return body ? body.orders.map((o) => OrderSchema.parse(o)) : null;
  }

  async events(sessionId: string, signal?: AbortSignal): Promise<ShopEvent[] | null> {
    const body = await this.get<{ events: ShopEvent[] }>(
      `/api/events?session=${encodeURIComponent(sessionId)}`,
      signal,
    );
    return body ? body.events : null;
  }
}
