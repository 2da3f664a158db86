import { describe, expect, it } from "vitest";
import { type AnalysisInput, analyzeExperiment, DECISION_RULE } from "../src/ab/analyze.ts";
import { type ArmPlan, type Assignment, planPairedDesign } from "../src/ab/design.ts";
import { type Fraction, FUNNEL_STAGES, METRICS, measureSession } from "../src/ab/metrics.ts";
import { loadPersonas, loadScenarios } from "../src/config/population.ts";
import { AbReportSchema, type MetricComparison } from "../src/contracts/ab-report.ts";
import type { Action } from "../src/contracts/action.ts";
import { type ExperimentInput, ExperimentSchema, type MetricName } from "../src/contracts/experiment.ts";
import type { Goal } from "../src/contracts/goal.ts";
import type { Scenario } from "../src/contracts/scenario.ts";
import { type Order, type ShopEvent, ShopEventSchema } from "../src/contracts/shop.ts";
import {
  type SessionRecord,
  SessionRecordSchema,
  type SessionStatus,
  type Step,
} from "../src/contracts/trajectory.ts";
import { sessionIdOf } from "../src/queue/types.ts";
import { mulberry32, type Rng } from "../src/random.ts";

// Analysis-layer tests of `shopsim ab`: the paired design, per-session measures, the end-to-end
// analysis on synthetic session records, and the decision rule's false-decision rate and power on
// simulated A/A and A/B experiments. No browser, no shop: records and server events are built here.

const PERSONAS = await loadPersonas();
const SCENARIOS = await loadScenarios();
const PERSONA_LIST = [...PERSONAS.values()];
const SCENARIO_LIST = [...SCENARIOS.values()];

function scenario(id: string): Scenario {
  const s = SCENARIOS.get(id);
  if (!s) throw new Error(`no shipped scenario ${id}`);
  return s;
}
const TARGETED = scenario("goal-01");
const BROWSE = scenario("browse-kids-birthday-gift");

// ---------------------------------------------------------------------------------------------------
// Factories: session records and shop events that parse under the real schemas.

const T0 = Date.parse("2025-03-01T10:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function step(
  index: number,
  opts: { url?: string; action?: Action | null; ok?: boolean; navigated?: boolean } = {},
): Step {
  const ok = opts.ok ?? true;
  return {
    index,
    timestamp: at(index * 2),
    url: opts.url ?? "http://shop.test/",
    observation: "<main></main>",
    rationale: "looking around",
    action: opts.action === undefined ? { type: "click", name: "nav.home" } : opts.action,
    result: ok ? { ok: true, navigated: opts.navigated ?? true } : { ok: false, error: "no such element" },
    duration_ms: 100,
    timings: { observe_ms: 10, simplify_ms: 10, decide_ms: 70, act_ms: 10 },
  };
}

function order(sessionId: string, total: number, n = 1): Order {
  return {
    order_id: `o-${sessionId}-${n}`,
    session_id: sessionId,
    variant: "control",
    created_at: at(60),
    items: [
      {
        line_id: "l1",
        product_id: "p1",
        title: "A thing",
        options: {},
        quantity: 1,
        unit_price: total,
        line_total: total,
      },
    ],
    subtotal: total,
    shipping_method: "standard",
    shipping_cost: 0,
    tax: 0,
    total,
    ship_to: { city: "Austin", state: "TX", zip: "78701" },
    goal_score: null,
  };
}

interface RecordSpec {
  session_id: string;
  persona_id?: string;
  goal?: Goal;
  scenario_id?: string;
  status?: SessionStatus;
  reason?: string;
  /** Step list, or a number of ok steps. */
  steps?: Step[] | number;
  /** Order totals. */
  orders?: number[];
  goal_score?: number | null;
  /** The outcome's server event count; null: the shop has no events API. */
  server_events?: number | null;
  duration_ms?: number;
  replica?: number;
  seed?: number;
  variant?: string | null;
}

function makeRecord(spec: RecordSpec): SessionRecord {
  const steps =
    typeof spec.steps === "number"
      ? Array.from({ length: spec.steps }, (_, i) => step(i))
      : (spec.steps ?? [step(0)]);
  const orders = (spec.orders ?? []).map((t, i) => order(spec.session_id, t, i + 1));
  const status = spec.status ?? (orders.length > 0 ? "purchased" : "terminated");
  return {
    session_id: spec.session_id,
    run_id: "run-test",
    persona: { id: spec.persona_id ?? "budget-parent", name: "Someone" },
    scenario: { id: spec.scenario_id ?? TARGETED.id, goal: spec.goal ?? TARGETED.goal },
    variant: spec.variant ?? null,
    replica: spec.replica ?? 0,
    seed: spec.seed ?? 1,
    policy: { kind: "heuristic", model: null, prompt_version: null },
    status,
    reason: spec.reason ?? status,
    steps,
    outcome: {
      orders,
      goal_score: spec.goal_score ?? null,
      events: spec.server_events === undefined ? 10 : spec.server_events,
    },
    usage: {
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: 0,
      calls: 0,
      retries: 0,
      cached_calls: 0,
      policy_ms: 0,
    },
    started_at: at(0),
    ended_at: at(120),
    duration_ms: spec.duration_ms ?? 120_000,
  };
}

/** Shop events, in order; `seq` and `ts` count up from the session start unless given. */
function makeEvents(
  sessionId: string,
  items: (Partial<ShopEvent> & { page: ShopEvent["page"] })[],
): ShopEvent[] {
  return items.map((e, i) => ({
    seq: i,
    ts: at(i * 5),
    session_id: sessionId,
    variant: "control",
    method: "GET",
    path: `/${e.page}`,
    status: 200,
    product_ids: [],
    ...e,
  }));
}

interface SimOutcome {
  purchased: boolean;
  /** Order total when purchased. */
  total?: number;
  steps: number;
  /** Server 5xx responses. */
  serverErrors?: number;
  goal?: number;
  added?: boolean;
  status?: SessionStatus;
}

/** A session's record and events from a few facts, for the analysis tests. */
function simulatedSession(
  sid: string,
  a: Assignment,
  o: SimOutcome,
): { record: SessionRecord; events: ShopEvent[] } {
  const sc = scenario(a.scenario_id);
  const record = makeRecord({
    session_id: sid,
    persona_id: a.persona_id,
    scenario_id: sc.id,
    goal: sc.goal,
    steps: o.steps,
    orders: o.purchased ? [o.total ?? 40] : [],
    goal_score: o.purchased ? (o.goal ?? 1) : null,
    status: o.status,
    replica: a.replica,
    seed: a.seed,
  });
  const items: (Partial<ShopEvent> & { page: ShopEvent["page"] })[] = [
    { page: "home" },
    { page: "search", path: "/search", query: "something" },
    { page: "product", product_ids: ["p1"] },
  ];
  if (o.added || o.purchased)
    items.push({
      page: "product",
      method: "POST",
      cart: { action: "add", line_id: "l1", product_id: "p1", options: {}, quantity: 1 },
    });
  for (let i = 0; i < (o.serverErrors ?? 0); i++) items.push({ page: "product", status: 500 });
  if (o.purchased) {
    items.push({ page: "checkout" });
    items.push({ page: "order", method: "POST", order: record.outcome.orders[0] });
  }
  return { record, events: makeEvents(sid, items) };
}

const CONTROL_TREATMENT: ArmPlan[] = [
  { name: "control", variant: null },
  { name: "treatment", variant: "no_buy_now" },
];

interface Simulated {
  input: AnalysisInput;
  assignments: Assignment[];
}

/**
 * A whole experiment: the paired design over the shipped personas and scenarios, and one session per
 * assignment from `outcome` (given the assignment and its unit's index from 0); "missing" leaves the
 * session without a record.
 */
function simulate(
  experiment: ExperimentInput,
  outcome: (a: Assignment, unit: number) => SimOutcome | "missing",
  arms: readonly ArmPlan[] = CONTROL_TREATMENT,
): Simulated {
  const exp = ExperimentSchema.parse(experiment);
  const { assignments } = planPairedDesign({
    personas: PERSONA_LIST,
    scenarios: SCENARIO_LIST,
    units: exp.sessions_per_arm,
    replicas: exp.replicas,
    arms,
    seed: exp.seed,
  });
  const runId = `run-${exp.seed}`;
  const records: SessionRecord[] = [];
  const events = new Map<string, ShopEvent[] | null>();
  for (const a of assignments) {
    const o = outcome(a, Number(a.unit.slice(1)) - 1);
    if (o === "missing") continue;
    const sid = sessionIdOf(runId, a.job_id);
    const s = simulatedSession(sid, a, o);
    records.push(s.record);
    events.set(sid, s.events);
  }
  return {
    assignments,
    input: {
      experiment: exp,
      arms: arms.map((a) => ({
        name: a.name,
        source: a.variant ? `variant ${a.variant} on the built-in shop` : "built-in shop",
      })),
      assignments,
      personas: PERSONAS,
      records,
      events,
      runId,
      runDir: `/tmp/${runId}`,
      queue: "memory",
      durationS: 12.5,
      sessionIdOf: (jobId) => sessionIdOf(runId, jobId),
    },
  };
}

function metricOf(metrics: readonly MetricComparison[], name: MetricName): MetricComparison {
  const m = metrics.find((x) => x.metric === name);
  if (!m) throw new Error(`no comparison of ${name}`);
  return m;
}

function comparisonOf(report: ReturnType<typeof analyzeExperiment>) {
  const c = report.comparisons[0];
  if (!c) throw new Error("no comparison");
  return c;
}

// ---------------------------------------------------------------------------------------------------

describe("planPairedDesign", () => {
  const arms: ArmPlan[] = [
    { name: "control", variant: null },
    { name: "buy-now", variant: "no_buy_now" },
    { name: "staging", variant: null },
  ];
  const plan = (seed: number) =>
    planPairedDesign({
      personas: PERSONA_LIST,
      scenarios: SCENARIO_LIST,
      units: 24,
      replicas: 3,
      arms,
      seed,
    });
  const design = plan(7);

  it("runs every unit × replica once in every arm, with the same persona, scenario and seed", () => {
    expect(design.jobs).toHaveLength(24 * 3 * arms.length);
    expect(design.assignments).toHaveLength(design.jobs.length);
    const cells = new Map<string, Assignment[]>();
    for (const a of design.assignments) {
      const key = `${a.unit}/${a.replica}`;
      cells.set(key, [...(cells.get(key) ?? []), a]);
    }
    expect(cells.size).toBe(24 * 3);
    for (const cell of cells.values()) {
      expect(cell.map((a) => a.arm).sort()).toEqual(arms.map((a) => a.name).sort());
      const first = cell[0] as Assignment;
      for (const a of cell) {
        expect(a.persona_id).toBe(first.persona_id);
        expect(a.scenario_id).toBe(first.scenario_id);
        expect(a.seed).toBe(first.seed);
      }
    }
    // Units and replicas are numbered as planned.
    expect(new Set(design.assignments.map((a) => a.unit)).size).toBe(24);
    expect(new Set(design.assignments.map((a) => a.replica))).toEqual(new Set([0, 1, 2]));
  });

  it("gives a unit one persona and scenario but a different seed per replica", () => {
    const byUnit = new Map<string, Assignment[]>();
    for (const a of design.assignments) byUnit.set(a.unit, [...(byUnit.get(a.unit) ?? []), a]);
    for (const list of byUnit.values()) {
      expect(new Set(list.map((a) => `${a.persona_id}/${a.scenario_id}`)).size).toBe(1);
      const seedByReplica = new Map(list.map((a) => [a.replica, a.seed]));
      expect(seedByReplica.size).toBe(3);
      expect(new Set(seedByReplica.values()).size).toBe(3);
    }
    expect(PERSONAS.has(design.assignments[0]?.persona_id ?? "")).toBe(true);
    expect(SCENARIOS.has(design.assignments[0]?.scenario_id ?? "")).toBe(true);
  });

  it("keeps jobs and assignments aligned, job ids unique and job.variant the arm's variant", () => {
    expect(new Set(design.jobs.map((j) => j.job_id)).size).toBe(design.jobs.length);
    const variantOf = new Map(arms.map((a) => [a.name, a.variant]));
    design.jobs.forEach((job, i) => {
      const a = design.assignments[i] as Assignment;
      expect(job.job_id).toBe(a.job_id);
      expect(job.persona_id).toBe(a.persona_id);
      expect(job.scenario_id).toBe(a.scenario_id);
      expect(job.seed).toBe(a.seed);
      expect(job.replica).toBe(a.replica);
      expect(job.variant).toBe(variantOf.get(a.arm));
    });
    expect(design.jobs.filter((j) => j.variant === null)).toHaveLength((design.jobs.length * 2) / 3);
  });

  it("interleaves arms: a unit-replica's jobs are adjacent, in an order that varies but is seeded", () => {
    const k = arms.length;
    const orders: string[] = [];
    for (let i = 0; i < design.assignments.length; i += k) {
      const block = design.assignments.slice(i, i + k);
      expect(new Set(block.map((a) => `${a.unit}/${a.replica}`)).size).toBe(1);
      orders.push(block.map((a) => a.arm).join(","));
    }
    const firsts = orders.map((o) => o.split(",")[0]);
    // Every arm leads sometimes; the control does not always run first.
    for (const arm of arms) expect(firsts).toContain(arm.name);
    expect(new Set(orders).size).toBeGreaterThan(2);
    // Same seed, same plan; another seed, another plan.
    expect(plan(7)).toEqual(design);
    const other = plan(8);
    expect(other.assignments.map((a) => a.seed)).not.toEqual(design.assignments.map((a) => a.seed));
  });
});

// ---------------------------------------------------------------------------------------------------

describe("measureSession", () => {
  const sid = "run-test-s1";

  it("builds records and events that the real schemas accept", () => {
    const r = makeRecord({ session_id: sid, steps: 3, orders: [10], goal_score: 0.5 });
    expect(SessionRecordSchema.parse(r)).toEqual(r);
    const events = makeEvents(sid, [
      { page: "home" },
      { page: "order", method: "POST", order: r.outcome.orders[0] },
    ]);
    for (const e of events) expect(ShopEventSchema.parse(e)).toEqual(e);
  });

  it("measures a targeted purchase from the server events", () => {
    const r = makeRecord({ session_id: sid, steps: 6, orders: [42.5], goal_score: 0.8 });
    const events = makeEvents(sid, [
      { page: "reset", method: "POST" },
      { page: "home" },
      { page: "search", query: "red shoes" },
      { page: "search", query: "red shoes", page_number: 2 },
      { page: "search", query: "  Red   SHOES ", sort: "price_asc" },
      { page: "search", query: "blue shoes", filters: { brands: [] } },
      { page: "search", query: "blue shoes", filters: { max_price: 50 } },
      { page: "product", product_ids: ["p1"] },
      {
        page: "product",
        method: "POST",
        cart: { action: "add", line_id: "l1", product_id: "p1", options: {}, quantity: 1 },
      },
      { page: "checkout" },
      { page: "order", method: "POST", order: r.outcome.orders[0] },
    ]);
    const m = measureSession(r, events);
    expect(m.source).toBe("server");
    expect(m.values).toEqual({
      conversion: { num: 1, den: 1 },
      revenue_per_session: { num: 42.5, den: 1 },
      aov: { num: 42.5, den: 1 },
      goal_score: { num: 0.8, den: 1 },
      steps: { num: 6, den: 1 },
      steps_to_purchase: { num: 6, den: 1 },
      // From the first page (the reset before it does not count, 5 s earlier) to the order: 45 s.
      time_to_purchase: { num: 45, den: 1 },
      cart_abandonment: { num: 0, den: 1 },
      // "red shoes" (paged, re-sorted, re-spaced: one search), then "blue shoes".
      searches: { num: 2, den: 1 },
      // An empty brands list is no filter; a max price is.
      filter_use: { num: 1, den: 1 },
      bounce: { num: 0, den: 1 },
      errors: { num: 0, den: 1 },
    } satisfies Record<MetricName, Fraction>);
    expect(m.funnel).toEqual({
      sessions: true,
      searched: true,
      viewed_product: true,
      added_to_cart: true,
      checkout: true,
      purchased: true,
    });
    expect(Object.keys(m.values).sort()).toEqual(Object.keys(METRICS).sort());
    expect(Object.keys(m.funnel)).toEqual(FUNNEL_STAGES.map((s) => s.stage));
  });

  it("divides AOV by the orders and sums revenue over them", () => {
    const r = makeRecord({ session_id: sid, steps: 4, orders: [30, 50], goal_score: 1 });
    const m = measureSession(r, makeEvents(sid, [{ page: "home" }, { page: "cart" }]));
    expect(m.values.revenue_per_session).toEqual({ num: 80, den: 1 });
    expect(m.values.aov).toEqual({ num: 80, den: 2 });
  });

  it("defines goal score only for targeted scenarios, as 0 without an order", () => {
    const events = makeEvents(sid, [{ page: "home" }, { page: "product" }]);
    const browse = makeRecord({
      session_id: sid,
      scenario_id: BROWSE.id,
      goal: BROWSE.goal,
      steps: 3,
      orders: [20],
      goal_score: 0.9,
    });
    expect(BROWSE.goal.target).toBeUndefined();
    expect(measureSession(browse, events).values.goal_score).toBeNull();
    const noOrder = makeRecord({ session_id: sid, steps: 3 });
    expect(measureSession(noOrder, events).values.goal_score).toEqual({ num: 0, den: 1 });
  });

  it("counts an add without an order as abandonment, and purchase-only metrics as undefined", () => {
    const r = makeRecord({ session_id: sid, steps: 9 });
    const m = measureSession(
      r,
      makeEvents(sid, [
        { page: "home" },
        { page: "product" },
        {
          page: "product",
          method: "POST",
          cart: { action: "add", line_id: "l1", product_id: "p1", options: {}, quantity: 1 },
        },
        { page: "cart" },
      ]),
    );
    expect(m.values.conversion).toEqual({ num: 0, den: 1 });
    expect(m.values.revenue_per_session).toEqual({ num: 0, den: 1 });
    expect(m.values.aov).toEqual({ num: 0, den: 0 });
    expect(m.values.steps).toEqual({ num: 9, den: 1 });
    expect(m.values.steps_to_purchase).toEqual({ num: 0, den: 0 });
    expect(m.values.time_to_purchase).toEqual({ num: 0, den: 0 });
    expect(m.values.cart_abandonment).toEqual({ num: 1, den: 1 });
    expect(m.funnel.added_to_cart).toBe(true);
    expect(m.funnel.checkout).toBe(false);
    expect(m.funnel.purchased).toBe(false);
    // No add: abandonment is undefined for the session (den 0), not 0.
    const browsing = measureSession(r, makeEvents(sid, [{ page: "home" }, { page: "product" }]));
    expect(browsing.values.cart_abandonment).toEqual({ num: 0, den: 0 });
    expect(browsing.funnel.added_to_cart).toBe(false);
    expect(browsing.funnel.searched).toBe(false);
  });

  it("counts a session with one page (resets and POSTs aside) as a bounce", () => {
    const r = makeRecord({ session_id: sid, steps: 1 });
    const one = makeEvents(sid, [
      { page: "reset" },
      { page: "home" },
      { page: "home", method: "POST", status: 400 },
    ]);
    expect(measureSession(r, one).values.bounce).toEqual({ num: 1, den: 1 });
    const two = makeEvents(sid, [{ page: "home" }, { page: "search", query: "x" }]);
    expect(measureSession(r, two).values.bounce).toEqual({ num: 0, den: 1 });
  });

  it("counts failed steps, server errors (5xx only) and an error ending as errors", () => {
    const steps = [
      step(0),
      step(1, { ok: false }),
      step(2, { action: null, ok: false }),
      step(3, { action: { type: "terminate" } }),
    ];
    const r = makeRecord({ session_id: sid, steps, status: "error", reason: "page crashed" });
    const events = makeEvents(sid, [
      { page: "home" },
      { page: "not_found", status: 404 },
      { page: "product", status: 500 },
      { page: "checkout", status: 503 },
    ]);
    // 2 failed steps + 2 server errors + 1 for the error ending; the 404 is not an error of the shop.
    expect(measureSession(r, events).values.errors).toEqual({ num: 5, den: 1 });
    expect(measureSession(r, events).values.steps).toEqual({ num: 4, den: 1 });
    const fine = makeRecord({ session_id: sid, steps: 2 });
    expect(measureSession(fine, events).values.errors).toEqual({ num: 2, den: 1 });
  });

  it("falls back to the trajectory when the shop has no events API", () => {
    const url = "http://staging.example.com";
    const steps = [
      step(0, {
        url: `${url}/`,
        action: { type: "type_and_submit", name: "search_input", text: "red shoes" },
      }),
      step(1, {
        url: `${url}/search?q=red+shoes`,
        action: { type: "click", name: "refinements.brand.acme" },
      }),
      step(2, {
        url: `${url}/search?q=red+shoes&brand=acme`,
        action: { type: "click", name: "search_results.acme_runner.view_product" },
      }),
      step(3, { url: `${url}/product/acme-runner`, action: { type: "click", name: "product.add_to_cart" } }),
      step(4, { url: `${url}/cart`, action: { type: "click", name: "cart.checkout" }, ok: false }),
      step(5, { url: `${url}/cart`, action: { type: "terminate" } }),
    ];
    const r = makeRecord({ session_id: sid, steps, server_events: null, duration_ms: 75_000 });
    const m = measureSession(r, null);
    expect(m.source).toBe("trajectory");
    expect(m.values.conversion).toEqual({ num: 0, den: 1 });
    // Without the shop's events there is no revenue, AOV or goal score.
    expect(m.values.revenue_per_session).toBeNull();
    expect(m.values.aov).toBeNull();
    expect(m.values.goal_score).toBeNull();
    expect(m.values.steps).toEqual({ num: 6, den: 1 });
    expect(m.values.searches).toEqual({ num: 1, den: 1 });
    expect(m.values.filter_use).toEqual({ num: 1, den: 1 });
    expect(m.values.cart_abandonment).toEqual({ num: 1, den: 1 });
    expect(m.values.bounce).toEqual({ num: 0, den: 1 });
    expect(m.values.errors).toEqual({ num: 1, den: 1 });
    expect(m.values.time_to_purchase).toEqual({ num: 0, den: 0 });
    expect(m.funnel).toEqual({
      sessions: true,
      searched: true,
      viewed_product: true,
      added_to_cart: true,
      checkout: false,
      purchased: false,
    });

    // A purchase: time to purchase is the session's duration; a session that never navigated bounced.
    const bought = makeRecord({
      session_id: sid,
      steps: [step(0, { navigated: false }), step(1, { navigated: false })],
      server_events: null,
      status: "purchased",
      duration_ms: 75_000,
    });
    const mb = measureSession(bought, null);
    expect(mb.values.conversion).toEqual({ num: 1, den: 1 });
    expect(mb.values.steps_to_purchase).toEqual({ num: 2, den: 1 });
    expect(mb.values.time_to_purchase).toEqual({ num: 75, den: 1 });
    expect(mb.values.bounce).toEqual({ num: 1, den: 1 });
    expect(mb.funnel.purchased).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------

describe("analyzeExperiment", () => {
  const base = {
    name: "buy now button",
    arms: [{ name: "control" }, { name: "treatment", variant: "no_buy_now" }],
    sessions_per_arm: 40,
    bootstrap_resamples: 400,
    seed: 11,
  } satisfies ExperimentInput;

  // Conversion 20% → 80%: the control's buyers are a subset of the treatment's.
  const converts = (a: Assignment, u: number) => (a.arm === "control" ? u % 5 === 0 : u % 5 !== 4);
  const effect = (a: Assignment, u: number): SimOutcome => ({
    purchased: converts(a, u),
    total: 20 + (u % 7) * 10,
    goal: 0.5 + (u % 2) * 0.5,
    steps: 8 + (u % 4),
    added: u % 3 === 0,
  });
  const shipping = simulate(base, effect);
  const shipped = analyzeExperiment(shipping.input);

  it("ships a treatment with a clear effect on the primary metric", () => {
    const c = comparisonOf(shipped);
    expect(c.control).toBe("control");
    expect(c.treatment).toBe("treatment");
    expect(c.units).toBe(40);
    const primary = c.metrics[0] as MetricComparison;
    expect(primary).toMatchObject({
      metric: "conversion",
      role: "primary",
      kind: "binary",
      direction: "increase",
      test: "mcnemar-exact",
      significant: true,
      outcome: "better",
      n_units: 40,
      discordant: { control_only: 0, treatment_only: 24 },
    });
    expect(primary.control).toBeCloseTo(0.2, 12);
    expect(primary.treatment).toBeCloseTo(0.8, 12);
    expect(primary.diff).toBeCloseTo(0.6, 12);
    expect(primary.relative).toBeCloseTo(3, 12);
    expect(primary.diff_ci.low).toBeGreaterThan(0);
    expect(primary.diff_ci.high).toBeLessThanOrEqual(1);
    // Exact McNemar: 24 discordant pairs, all one way.
    expect(primary.p_value).toBeCloseTo(2 * 0.5 ** 24, 15);
    expect(primary.p_adjusted).toBe(primary.p_value);
    expect(c.decision.verdict).toBe("ship");
    expect(c.decision.rule).toBe(DECISION_RULE);
    expect(c.decision.reasons[0]).toMatch(/^primary: Conversion is significantly better/);
    expect(shipped.decision).toMatchObject({ verdict: "ship", arm: "treatment" });
    expect(metricOf(c.metrics, "revenue_per_session").outcome).toBe("better");
    // Steps are the same in both arms of every unit.
    expect(metricOf(c.metrics, "steps")).toMatchObject({ diff: 0, p_value: 1, outcome: "no_difference" });
    expect(metricOf(c.metrics, "errors")).toMatchObject({ role: "guardrail", outcome: "no_difference" });
    expect(c.power.metric).toBe("conversion");
    expect(c.power.recommended_units).toBeGreaterThanOrEqual(2);
  });

  it("summarises each arm: sessions, metric values with CIs, and the funnel", () => {
    const [ctl, trt] = shipped.arms;
    expect(ctl?.sessions).toBe(40);
    expect(trt?.sessions).toBe(40);
    expect(ctl?.by_status).toEqual({ purchased: 8, terminated: 32 });
    const conv = ctl?.metrics.find((m) => m.metric === "conversion");
    expect(conv).toMatchObject({ n: 40, source: "server" });
    expect(conv?.value).toBeCloseTo(0.2, 12);
    expect(conv?.ci.low).toBeLessThanOrEqual(0.2);
    expect(conv?.ci.high).toBeGreaterThanOrEqual(0.2);
    expect(trt?.metrics.find((m) => m.metric === "aov")?.n).toBe(32);
    expect(ctl?.metrics.map((m) => m.metric)).toEqual(Object.keys(METRICS));
    expect(ctl?.funnel.map((f) => f.stage)).toEqual(FUNNEL_STAGES.map((s) => s.stage));
    const purchased = trt?.funnel.find((f) => f.stage === "purchased");
    expect(purchased).toMatchObject({ sessions: 32, share: 0.8 });
    expect(trt?.funnel[0]).toMatchObject({ stage: "sessions", sessions: 40, share: 1 });
    expect(shipped.warnings).toEqual([]);
  });

  it("falls back to the trajectories of the sessions whose events could not be fetched, and says so", () => {
    const sim = simulate(base, effect);
    const lost = sim.assignments.filter((a) => a.arm === "treatment").slice(0, 3);
    const events = new Map(sim.input.events);
    const eventFailures = new Map<string, string>();
    for (const a of lost) {
      const sid = sim.input.sessionIdOf(a.job_id);
      events.set(sid, null);
      eventFailures.set(sid, "http://127.0.0.1:9/: fetch failed (ECONNREFUSED)");
    }
    const r = analyzeExperiment({ ...sim.input, events, eventFailures });
    const [ctl, trt] = r.arms;
    expect(trt?.sessions).toBe(40);
    expect(trt?.metrics.find((m) => m.metric === "searches")?.source).toBe("mixed");
    expect(ctl?.metrics.find((m) => m.metric === "searches")?.source).toBe("server");
    expect(r.warnings).toEqual([
      "arm treatment: the server-side events of 3 sessions could not be fetched from its shop (http://127.0.0.1:9/: fetch failed (ECONNREFUSED)); for them, searches, filters, bounce, cart and funnel come from the trajectories",
    ]);
  });

  it("applies Holm to the secondaries only", () => {
    const c = comparisonOf(shipped);
    const secondaries = c.metrics.filter((m) => m.role === "secondary");
    expect(secondaries.map((m) => m.metric)).toEqual(["revenue_per_session", "goal_score", "steps"]);
    const ps = secondaries.map((m) => m.p_value).filter((p): p is number => p !== null);
    expect(ps).toHaveLength(3);
    for (const m of secondaries) {
      expect(m.p_adjusted).not.toBeNull();
      expect(m.p_adjusted as number).toBeGreaterThanOrEqual(m.p_value as number);
      expect(m.p_adjusted as number).toBeLessThanOrEqual(Math.min(1, 3 * (m.p_value as number)));
      expect(m.significant).toBe((m.p_adjusted as number) < 0.05);
    }
    // The smallest p is multiplied by the number of secondaries.
    const smallest = secondaries.reduce((a, b) => ((a.p_value as number) <= (b.p_value as number) ? a : b));
    expect(smallest.p_adjusted).toBeCloseTo(Math.min(1, 3 * (smallest.p_value as number)), 15);
    for (const m of c.metrics.filter((x) => x.role !== "secondary")) expect(m.p_adjusted).toBe(m.p_value);
  });

  it("does not ship when a guardrail is significantly worse, and names it", () => {
    const worse = analyzeExperiment(
      simulate(base, (a, u) => ({ ...effect(a, u), serverErrors: a.arm === "treatment" ? 1 + (u % 2) : 0 }))
        .input,
    );
    const c = comparisonOf(worse);
    expect(c.metrics[0]?.outcome).toBe("better");
    expect(metricOf(c.metrics, "errors")).toMatchObject({ role: "guardrail", outcome: "worse" });
    expect(c.decision.verdict).toBe("dont_ship");
    expect(
      c.decision.reasons.some((r) => /^guardrail: Errors per session is significantly worse/.test(r)),
    ).toBe(true);
    expect(c.decision.reasons.join("\n")).not.toMatch(/no guardrail is significantly worse/);
    expect(worse.decision).toMatchObject({ verdict: "dont_ship", arm: "treatment" });
  });

  it("does not ship when the primary metric is significantly worse", () => {
    const flipped = analyzeExperiment(
      simulate(base, (a, u) => effect({ ...a, arm: a.arm === "control" ? "treatment" : "control" }, u)).input,
    );
    const c = comparisonOf(flipped);
    expect(c.metrics[0]).toMatchObject({ outcome: "worse", significant: true });
    expect(c.decision.verdict).toBe("dont_ship");
  });

  const same = (_a: Assignment, u: number): SimOutcome => ({
    purchased: u % 3 === 0,
    total: 25 + u,
    goal: u % 2 === 0 ? 1 : 0.5,
    steps: 5 + (u % 6),
    added: u % 2 === 0,
    serverErrors: u % 4 === 0 ? 1 : 0,
  });
  const identical = analyzeExperiment(simulate(base, same).input);

  it("finds no difference at all between identical arms", () => {
    const c = comparisonOf(identical);
    expect(c.units).toBe(40);
    for (const m of c.metrics) {
      expect(m.diff, m.metric).toBe(0);
      expect(m.diff_ci, m.metric).toEqual({ low: 0, high: 0 });
      expect(m.p_value, m.metric).toBe(1);
      expect(m.outcome, m.metric).toBe("no_difference");
    }
    expect(c.decision.verdict).toBe("inconclusive");
    expect(identical.decision).toMatchObject({ verdict: "inconclusive", arm: "treatment" });
    for (const [i, arm] of identical.arms.entries())
      expect(arm.metrics, `arm ${i}`).toEqual(identical.arms[0]?.metrics);
  });

  // BUG (reported, not fixed here): with identical arms every paired difference is 0, so sd_diff and
  // the MDE are 0, and decide() reads "MDE 0" as "every unit moved by the same (non-zero) amount",
  // telling the user that 40 units are too few and to run more. There is no effect to detect.
  it("does not tell the user to run more units when the arms do not differ at all", () => {
    const c = comparisonOf(identical);
    expect(c.power.mde).toBe(0);
    expect(c.decision.reasons.join("\n")).not.toMatch(/too few|run more units/);
  });

  it("leaves aborted and missing sessions out, lists them, and pairs only complete units", () => {
    const missingUnit = 3;
    const abortedUnit = 5;
    const sim = simulate({ ...base, sessions_per_arm: 12 }, (a, u) => {
      if (a.arm === "treatment" && u === missingUnit) return "missing";
      if (a.arm === "treatment" && u === abortedUnit)
        return { purchased: true, total: 999, steps: 3, status: "aborted" };
      return { purchased: false, steps: 4 };
    });
    const report = analyzeExperiment(sim.input);
    const sidOf = (u: number) => {
      const a = sim.assignments.find((x) => x.arm === "treatment" && x.unit === `u0000${u + 1}`);
      return sim.input.sessionIdOf(a?.job_id ?? "");
    };
    expect(report.run.excluded).toHaveLength(2);
    expect(report.run.excluded).toEqual(
      expect.arrayContaining([
        { session_id: sidOf(missingUnit), arm: "treatment", reason: expect.stringMatching(/no record/) },
        { session_id: sidOf(abortedUnit), arm: "treatment", reason: expect.stringMatching(/^aborted/) },
      ]),
    );
    expect(report.run.sessions).toBe(23);
    const trt = report.arms[1];
    expect(trt?.sessions).toBe(10);
    expect(trt?.by_status).toEqual({ terminated: 10, aborted: 1 });
    // The aborted session's order is not counted.
    expect(trt?.metrics.find((m) => m.metric === "conversion")?.value).toBe(0);
    expect(trt?.metrics.find((m) => m.metric === "revenue_per_session")?.value).toBe(0);
    expect(report.arms[0]?.sessions).toBe(12);
    const c = comparisonOf(report);
    expect(c.units).toBe(10);
    for (const m of c.metrics.filter((x) => x.diff !== null))
      expect(m.n_units, m.metric).toBeLessThanOrEqual(10);
    expect(c.metrics[0]?.n_units).toBe(10);
    expect(AbReportSchema.safeParse(withHeader(report)).success).toBe(true);
  });

  it("separates policy randomness from unit differences with replicas", () => {
    const propensity = [0.1, 0.5, 0.9];
    const sim = simulate({ ...base, sessions_per_arm: 30, replicas: 3 }, (a, u) => {
      const rng = mulberry32(a.seed ^ (a.arm === "control" ? 0x1111 : 0x2222));
      return { purchased: rng() < (propensity[u % 3] as number), steps: 6, total: 30 };
    });
    const report = analyzeExperiment(sim.input);
    const c = comparisonOf(report);
    expect(c.units).toBe(30);
    expect(c.metrics[0]?.test).toBe("wilcoxon-signed-rank");
    expect(c.metrics[0]?.discordant).toBeUndefined();
    expect(c.replicas.replicas).toBe(3);
    for (const arm of ["control", "treatment"]) {
      const share = c.replicas.policy_variance_share[arm];
      expect(share, arm).not.toBeNull();
      expect(share as number, arm).toBeGreaterThan(0);
      expect(share as number, arm).toBeLessThan(1);
    }
    expect(c.replicas.per_replica.map((r) => r.replica)).toEqual([0, 1, 2]);
    for (const r of c.replicas.per_replica) {
      expect(r.diff).not.toBeNull();
      expect(r.ci.low as number).toBeLessThanOrEqual(r.diff as number);
      expect(r.ci.high as number).toBeGreaterThanOrEqual(r.diff as number);
    }
    expect(report.arms[0]?.sessions).toBe(90);
    // One replica: the two sources cannot be told apart.
    expect(comparisonOf(shipped).replicas.policy_variance_share).toEqual({ control: null, treatment: null });
    expect(comparisonOf(shipped).replicas.per_replica).toHaveLength(1);
  });

  it("breaks the primary effect down by persona segments covering every unit", () => {
    const c = comparisonOf(shipped);
    const attributes = [...new Set(c.segments.map((s) => s.attribute))];
    expect(attributes).toEqual([
      "age_band",
      "income_band",
      "household",
      "price_sensitivity",
      "patience",
      "impulsiveness",
    ]);
    for (const attribute of attributes) {
      const segs = c.segments.filter((s) => s.attribute === attribute);
      expect(
        segs.reduce((n, s) => n + s.n_units, 0),
        attribute,
      ).toBe(c.units);
      expect(new Set(segs.map((s) => s.segment)).size).toBe(segs.length);
    }
    for (const s of c.segments.filter((x) => x.attribute === "price_sensitivity"))
      expect(["low", "medium", "high"]).toContain(s.segment);
    // A segment's effect is its units' mean paired difference.
    const perUnit = new Map<string, number>();
    for (const a of shipping.assignments.filter((x) => x.arm === "control")) {
      const u = Number(a.unit.slice(1)) - 1;
      const d =
        Number(converts({ ...a, arm: "treatment" }, u)) - Number(converts({ ...a, arm: "control" }, u));
      perUnit.set(a.persona_id, (perUnit.get(a.persona_id) ?? 0) + d);
    }
    for (const s of c.segments.filter((x) => x.attribute === "income_band")) {
      const personas = PERSONA_LIST.filter((p) => p.demographics.income_band === s.segment).map((p) => p.id);
      const sum = personas.reduce((n, id) => n + (perUnit.get(id) ?? 0), 0);
      expect(s.diff as number, s.segment).toBeCloseTo(sum / s.n_units, 12);
    }
  });

  it("produces a report that AbReportSchema accepts", () => {
    for (const r of [shipped, identical]) {
      const parsed = AbReportSchema.parse(withHeader(r));
      expect(parsed.kind).toBe("shopsim.ab-report");
      expect(parsed.experiment).toMatchObject({
        name: "buy now button",
        control: "control",
        primary: "conversion",
        secondary: ["revenue_per_session", "goal_score", "steps"],
        guardrails: ["errors", "bounce"],
        sessions_per_arm: 40,
        bootstrap_resamples: 400,
      });
      expect(parsed.run).toMatchObject({ sessions: 80, excluded: [], queue: "memory", duration_s: 12.5 });
    }
  });

  it("adjusts the primary metric across several treatments (Holm) and reports the best shipping one", () => {
    const arms: ArmPlan[] = [
      { name: "control", variant: null },
      { name: "strong", variant: "no_buy_now" },
      { name: "flat", variant: "reduced_filters" },
    ];
    const report = analyzeExperiment(
      simulate(
        {
          ...base,
          arms: arms.map((a) => (a.variant ? { name: a.name, variant: a.variant } : { name: a.name })),
        },
        (a, u) => effect({ ...a, arm: a.arm === "strong" ? "treatment" : "control" }, u),
        arms,
      ).input,
    );
    expect(report.comparisons.map((c) => c.treatment)).toEqual(["strong", "flat"]);
    const [strong, flat] = report.comparisons.map((c) => c.metrics[0] as MetricComparison);
    expect(strong?.p_adjusted).toBeCloseTo(Math.min(1, 2 * (strong?.p_value as number)), 15);
    expect(flat?.p_value).toBe(1);
    expect(flat?.p_adjusted).toBe(1);
    expect(report.comparisons.map((c) => c.decision.verdict)).toEqual(["ship", "inconclusive"]);
    expect(report.decision).toMatchObject({ verdict: "ship", arm: "strong" });
    expect(report.decision.reasons[0]).toBe("best treatment: strong");
    expect(AbReportSchema.safeParse(withHeader(report)).success).toBe(true);
  });

  // BUG (reported, not fixed here): for a ratio metric the diff (and so the outcome's direction) is
  // the ratio of sums over every paired unit, but the p-value is a Wilcoxon test on the per-unit
  // ratios of the units where both arms have a denominator. Here the 20 units that bought in both
  // arms took one step fewer in the treatment (W+ = 0: all lower, p ≈ 1e-5), while 10 units that
  // bought only in the treatment took 60 steps, so the ratio of sums rises 10 → 26. The report
  // calls steps-to-purchase "significantly worse" on the strength of a test that found it lower.
  it("takes a ratio metric's significance and direction from the same statistic", () => {
    const report = analyzeExperiment(
      simulate(
        {
          ...base,
          sessions_per_arm: 30,
          metrics: { primary: "steps_to_purchase", secondary: [], guardrails: [] },
        },
        (a, u) =>
          u < 20
            ? { purchased: true, steps: a.arm === "control" ? 10 : 9 }
            : a.arm === "control"
              ? { purchased: false, steps: 5 }
              : { purchased: true, steps: 60 },
      ).input,
    );
    const m = comparisonOf(report).metrics[0] as MetricComparison;
    expect(m.diff).toBe(16);
    const contradicts =
      m.significant && m.outcome === "worse" && m.test === "wilcoxon-signed-rank" && m.statistic === 0;
    expect(contradicts, JSON.stringify(m)).toBe(false);
  });

  it("is deterministic for a seed", () => {
    expect(analyzeExperiment(shipping.input)).toEqual(shipped);
  });
});

function withHeader(r: ReturnType<typeof analyzeExperiment>) {
  return { ...r, command: "shopsim ab --experiment exp.yaml", created_at: at(0), shopsim_version: "0.1.0" };
}

// ---------------------------------------------------------------------------------------------------

/**
 * One simulated experiment of 30 units: each unit has a latent propensity to buy, a price level, a
 * step count and an error rate; each arm's session is drawn independently from them (policy noise),
 * and the treatment adds `lift` to the propensity.
 */
function latentExperiment(seed: number, lift: number) {
  const rng: Rng = mulberry32(seed * 7919 + 17);
  const units = Array.from({ length: 30 }, () => ({
    p: 0.05 + 0.55 * rng(),
    price: 20 + 80 * rng(),
    steps: 4 + Math.floor(12 * rng()),
    errorRate: 0.3 * rng(),
  }));
  const experiment = {
    name: `latent ${seed}`,
    arms: [{ name: "control" }, { name: "treatment", variant: "no_buy_now" }],
    sessions_per_arm: 30,
    bootstrap_resamples: 200,
    seed,
    metrics: {
      primary: "conversion",
      secondary: ["revenue_per_session", "steps"],
      guardrails: ["errors"],
    },
  } satisfies ExperimentInput;
  const sim = simulate(experiment, (a, u) => {
    const unit = units[u];
    if (!unit) throw new Error(`unit ${u}`);
    const p = Math.min(0.98, unit.p + (a.arm === "treatment" ? lift : 0));
    const purchased = rng() < p;
    return {
      purchased,
      total: Math.round(unit.price * (0.8 + 0.4 * rng()) * 100) / 100,
      steps: unit.steps + Math.floor(4 * rng()),
      serverErrors: (rng() < unit.errorRate ? 1 : 0) + (rng() < unit.errorRate / 3 ? 1 : 0),
      added: purchased || rng() < 0.3,
    };
  });
  return analyzeExperiment(sim.input);
}

describe("the decision rule on simulated experiments", () => {
  const alpha = 0.05;

  it("A/A: decides (ship or don't ship) no more often than alpha allows", () => {
    const n = 200;
    const verdicts = { ship: 0, dont_ship: 0, inconclusive: 0 };
    for (let s = 0; s < n; s++) verdicts[latentExperiment(1000 + s, 0).decision.verdict] += 1;
    const rate = (verdicts.ship + verdicts.dont_ship) / n;
    const bound = alpha + 2 * Math.sqrt((alpha * (1 - alpha)) / n);
    expect(rate, `A/A verdicts ${JSON.stringify(verdicts)}`).toBeLessThanOrEqual(bound);
    // The rule is not vacuous: the noise does make it decide now and then.
    expect(verdicts.inconclusive).toBeLessThan(n);
  });

  it("power: ships a real 45-point conversion lift in most experiments", () => {
    const n = 60;
    const verdicts = { ship: 0, dont_ship: 0, inconclusive: 0 };
    for (let s = 0; s < n; s++) verdicts[latentExperiment(5000 + s, 0.45).decision.verdict] += 1;
    expect(verdicts.ship / n, `verdicts ${JSON.stringify(verdicts)}`).toBeGreaterThan(0.7);
  });
});
