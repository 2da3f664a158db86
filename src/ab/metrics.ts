import type { MetricKind } from "../contracts/ab-report.ts";
import type { Direction, MetricName } from "../contracts/experiment.ts";
import type { ShopEvent } from "../contracts/shop.ts";
import type { SessionRecord } from "../contracts/trajectory.ts";
import { sessionFeatures } from "../eval/features.ts";
import { sessionFromRecord } from "../eval/import/run-dir.ts";

/**
 * What an A/B experiment measures on each session, from the shop's server-side events (when the
 * shop has an events API, as the sandbox shop does) and the trajectory. Every metric is a
 * numerator and a denominator per session, and an arm's value is Σ numerator / Σ denominator:
 * for per-session metrics the denominator is 1 (so the value is the mean); ratio metrics such as
 * average order value divide by something else (orders). A null means the session does not
 * define the metric (goal score without a structured goal, a shop without an events API).
 */

export interface MetricDef {
  name: MetricName;
  label: string;
  kind: MetricKind;
  /** Which way is better, unless an experiment says otherwise. */
  direction: Direction;
  unit: "share" | "usd" | "count" | "score" | "seconds";
  description: string;
}

export const METRICS: Readonly<Record<MetricName, MetricDef>> = {
  conversion: {
    name: "conversion",
    label: "Conversion",
    kind: "binary",
    direction: "increase",
    unit: "share",
    description: "share of sessions that placed an order (the shop's order records)",
  },
  revenue_per_session: {
    name: "revenue_per_session",
    label: "Revenue per session",
    kind: "continuous",
    direction: "increase",
    unit: "usd",
    description: "order totals per session, 0 for sessions without an order",
  },
  aov: {
    name: "aov",
    label: "Average order value",
    kind: "ratio",
    direction: "increase",
    unit: "usd",
    description: "order totals / orders",
  },
  goal_score: {
    name: "goal_score",
    label: "Goal score",
    kind: "continuous",
    direction: "increase",
    unit: "score",
    description:
      "how well the order met the scenario's target (0..1), 0 without an order; targeted scenarios only",
  },
  steps: {
    name: "steps",
    label: "Steps per session",
    kind: "count",
    direction: "decrease",
    unit: "count",
    description: "actions taken in the session",
  },
  steps_to_purchase: {
    name: "steps_to_purchase",
    label: "Steps to purchase",
    kind: "ratio",
    direction: "decrease",
    unit: "count",
    description: "actions taken in sessions that placed an order / those sessions",
  },
  time_to_purchase: {
    name: "time_to_purchase",
    label: "Time to purchase",
    kind: "ratio",
    direction: "decrease",
    unit: "seconds",
    description: "seconds from the first page to the order (server clock), over sessions that placed one",
  },
  cart_abandonment: {
    name: "cart_abandonment",
    label: "Cart abandonment",
    kind: "ratio",
    direction: "decrease",
    unit: "share",
    description: "sessions that added to the cart but placed no order / sessions that added to the cart",
  },
  searches: {
    name: "searches",
    label: "Searches per session",
    kind: "count",
    direction: "decrease",
    unit: "count",
    description: "search queries submitted (paging, sorting or filtering the same query is not a new search)",
  },
  filter_use: {
    name: "filter_use",
    label: "Filter use",
    kind: "binary",
    direction: "increase",
    unit: "share",
    description: "share of sessions that applied a search filter",
  },
  bounce: {
    name: "bounce",
    label: "Bounce",
    kind: "binary",
    direction: "decrease",
    unit: "share",
    description: "share of sessions that left after the first page",
  },
  errors: {
    name: "errors",
    label: "Errors per session",
    kind: "count",
    direction: "decrease",
    unit: "count",
    description: "actions that failed, server errors (5xx) and sessions that ended in an error",
  },
};

export const FUNNEL_STAGES = [
  { stage: "sessions", label: "Sessions" },
  { stage: "searched", label: "Searched" },
  { stage: "viewed_product", label: "Viewed a product" },
  { stage: "added_to_cart", label: "Added to cart" },
  { stage: "checkout", label: "Reached checkout" },
  { stage: "purchased", label: "Purchased" },
] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number]["stage"];

export interface Fraction {
  num: number;
  den: number;
}

export interface SessionMeasures {
  values: Record<MetricName, Fraction | null>;
  funnel: Record<FunnelStage, boolean>;
  /** Server: from the shop's events; trajectory: the shop has no events API. */
  source: "server" | "trajectory";
}

const one = (num: number): Fraction => ({ num, den: 1 });
const CHECKOUT_PAGES = new Set(["checkout", "checkout_shipping", "checkout_review"]);
const PRODUCT_URL = /\/(product|products|item|items|dp|p)\/[^/?#]+/i;

/** Search submissions: a search page whose query differs from the previous search page's. */
function searchesFromEvents(events: readonly ShopEvent[]): number {
  let n = 0;
  let last: string | null = null;
  for (const e of events) {
    if (e.page !== "search" || e.query === undefined) continue;
    const q = e.query.trim().toLowerCase().replace(/\s+/g, " ");
    if (q !== last) n += 1;
    last = q;
  }
  return n;
}

function hasFilters(e: ShopEvent): boolean {
  const f = e.filters;
  if (!f) return false;
  return Object.values(f).some((v) => (Array.isArray(v) ? v.length > 0 : v !== undefined));
}

/**
 * The metrics of one session. `events` are the shop's server-side events for the session's shop
 * session (in order), or null when the shop has no events API; the trajectory stands in then.
 */
export function measureSession(record: SessionRecord, events: readonly ShopEvent[] | null): SessionMeasures {
  const orders = record.outcome.orders;
  const purchased = orders.length > 0 || record.status === "purchased";
  const revenue = orders.reduce((s, o) => s + o.total, 0);
  const steps = record.steps.length;
  const failedSteps = record.steps.filter((s) => !s.result.ok).length;
  const sessionError = record.status === "error" ? 1 : 0;
  const targeted = record.scenario.goal.target !== undefined;
  const serverKnown = record.outcome.events !== null;

  const common = {
    conversion: one(purchased ? 1 : 0),
    revenue_per_session: serverKnown ? one(revenue) : null,
    aov: serverKnown ? { num: revenue, den: orders.length } : null,
    goal_score: targeted && serverKnown ? one(record.outcome.goal_score ?? 0) : null,
    steps: one(steps),
    steps_to_purchase: { num: purchased ? steps : 0, den: purchased ? 1 : 0 },
  };

  if (events !== null) {
    const pages = events.filter((e) => e.method === "GET" && e.page !== "reset");
    const added = events.some((e) => e.cart?.action === "add");
    const start = events.find((e) => e.page !== "reset");
    const first = start ? Date.parse(start.ts) : Number.NaN;
    const orderAt = events.find((e) => e.order !== undefined)?.ts;
    const toPurchase =
      orderAt !== undefined && Number.isFinite(first) ? (Date.parse(orderAt) - first) / 1000 : null;
    const serverErrors = events.filter((e) => e.status >= 500).length;
    return {
      source: "server",
      values: {
        ...common,
        time_to_purchase: purchased && toPurchase !== null ? { num: toPurchase, den: 1 } : { num: 0, den: 0 },
        cart_abandonment: { num: added && !purchased ? 1 : 0, den: added ? 1 : 0 },
        searches: one(searchesFromEvents(events)),
        filter_use: one(events.some(hasFilters) ? 1 : 0),
        bounce: one(pages.length <= 1 ? 1 : 0),
        errors: one(failedSteps + serverErrors + sessionError),
      },
      funnel: {
        sessions: true,
        searched: events.some((e) => e.page === "search" && e.query !== undefined),
        viewed_product: events.some((e) => e.page === "product"),
        added_to_cart: added,
        checkout: events.some((e) => CHECKOUT_PAGES.has(e.page)),
        purchased,
      },
    };
  }

  // No events API: what the trajectory shows.
  const features = sessionFeatures(sessionFromRecord(record, ""));
  const cats = features.categories;
  const urls = record.steps.map((s) => s.url);
  const navigated = record.steps.filter((s) => s.result.ok && s.result.navigated).length;
  const added = cats.includes("cart") || urls.some((u) => /\/cart\b/i.test(u));
  return {
    source: "trajectory",
    values: {
      ...common,
      time_to_purchase: purchased ? { num: record.duration_ms / 1000, den: 1 } : { num: 0, den: 0 },
      cart_abandonment: { num: added && !purchased ? 1 : 0, den: added ? 1 : 0 },
      searches: one(features.searches ? (features.reformulations ?? 0) + 1 : 0),
      filter_use: one(cats.includes("filter") ? 1 : 0),
      bounce: one(navigated === 0 ? 1 : 0),
      errors: one(failedSteps + sessionError),
    },
    funnel: {
      sessions: true,
      searched: cats.includes("search"),
      viewed_product: urls.some((u) => PRODUCT_URL.test(u)),
      added_to_cart: added,
      checkout: urls.some((u) => /checkout/i.test(u)),
      purchased,
    },
  };
}
