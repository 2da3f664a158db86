import { describe, expect, it } from "vitest";
import type { HumanSession, HumanStep } from "../src/contracts/human-log.ts";
import type { Persona } from "../src/contracts/scenario.ts";
import {
  calibrate,
  distributionsFor,
  type Simulate,
  splitHoldout,
  type TraitMeans,
} from "../src/eval/calibrate.ts";
import { generatePersonas } from "../src/population/personas.ts";
import { mulberry32 } from "../src/random.ts";

/**
 * A synthetic shopper whose session shape follows its traits the way the built-in shopper's does
 * (patience → searches and pages, exploration → products opened, impulsiveness → buying), fast
 * enough to test the calibration search on hundreds of sessions. The "human" population is this
 * shopper with known trait means; calibration must find its way towards them.
 */
function syntheticSession(persona: Persona, seed: number, k: number): HumanSession {
  const s = persona.style;
  const rng = mulberry32(seed * 7919 + k);
  const steps: Omit<HumanStep, "index">[] = [];
  const base = {
    timestamp: null,
    url: null,
    observation: null,
    rationale: null,
    category: null,
    source_label: null,
    input_text: null,
  };
  const searches = 1 + Math.floor(s.patience * 3 * rng() + rng() * 0.5);
  for (let q = 0; q < searches; q++) {
    steps.push({
      ...base,
      action_type: "type_and_submit",
      semantic_id: "search_input",
      input_text: `query ${q}`,
    });
    const views = Math.round(s.exploration * 4 * rng() + 0.5);
    for (let v = 0; v < views; v++) {
      steps.push({ ...base, action_type: "click", semantic_id: `search_results.item_${v}` });
      steps.push({ ...base, action_type: "back", semantic_id: null });
    }
    if (rng() < s.patience * 0.6)
      steps.push({ ...base, action_type: "click", semantic_id: "search_results.pagination.next" });
  }
  const buys = rng() < 0.2 + 0.6 * s.impulsiveness;
  steps.push(
    buys
      ? { ...base, action_type: "click", semantic_id: "checkout.place_your_order" }
      : { ...base, action_type: "terminate", semantic_id: null },
  );
  return {
    session_id: `${persona.id}-${k}`,
    source: "synthetic",
    file: "synthetic",
    persona: null,
    goal: null,
    outcome: buys ? "purchase" : "terminate",
    steps: steps.map((st, index) => ({ ...st, index })),
    summary: null,
    meta: {},
  };
}

const simulate: Simulate = async (distributions, n, seed) =>
  generatePersonas({ n, seed, distributions }).map((p, k) => syntheticSession(p, seed, k));

const TRUE_MEANS: TraitMeans = {
  patience: 0.15,
  price_sensitivity: 0.5,
  exploration: 0.85,
  brand_loyalty: 0.5,
  impulsiveness: 0.2,
  reading_depth: 0.5,
};

describe("calibration", () => {
  it("moves the trait means towards a known population and lowers the held-out distance", async () => {
    const humans = await simulate(distributionsFor(TRUE_MEANS), 300, 99);
    const result = await calibrate(humans, simulate, {
      sessions: 150,
      evaluations: 30,
      seed: 5,
      holdout: 0.3,
    });
    expect(result.fit_sessions + result.holdout_sessions).toBe(300);
    expect(result.holdout_sessions).toBeGreaterThan(60);
    expect(result.after.distance).toBeLessThan(result.before.distance * 0.7);
    // The traits that shape sessions most strongly move towards their true values.
    for (const trait of ["patience", "exploration"] as const) {
      const startGap = Math.abs(result.start[trait] - TRUE_MEANS[trait]);
      const endGap = Math.abs(result.calibrated[trait] - TRUE_MEANS[trait]);
      expect(endGap, trait).toBeLessThan(startGap / 2);
    }
    // Every kept candidate was better than the one before it.
    const kept = result.trace.filter((t) => t.accepted).map((t) => t.distance);
    for (let i = 1; i < kept.length; i++) expect(kept[i]).toBeLessThan(kept[i - 1] as number);
    expect(result.distributions.style?.patience?.mean).toBe(result.calibrated.patience);
  });

  it("splits held-out sessions by id, the same way every time", () => {
    const sessions = Array.from(
      { length: 200 },
      (_, i) => ({ session_id: `s${i}`, source: "x" }) as HumanSession,
    );
    const a = splitHoldout(sessions, 0.3);
    const b = splitHoldout([...sessions].reverse(), 0.3);
    expect(new Set(a.holdout.map((s) => s.session_id))).toEqual(new Set(b.holdout.map((s) => s.session_id)));
    expect(a.holdout.length).toBeGreaterThan(40);
    expect(a.holdout.length).toBeLessThan(80);
  });
});
