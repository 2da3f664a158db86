import { describe, expect, it } from "vitest";
import type { Persona, Scenario } from "../src/contracts/scenario.ts";
import { InProcessQueue } from "../src/queue/in-process.ts";
import type { JobResult, SessionJob } from "../src/queue/types.ts";
import { bindJobs, planJobs } from "../src/run/plan.ts";

const personas = ["a", "b", "c"].map((id) => ({ id, name: id }) as unknown as Persona);
const scenarios = ["s1", "s2", "s3", "s4"].map((id) => ({ id }) as unknown as Scenario);

describe("planJobs", () => {
  it("makes the full cross product times variants and replicas, each job with its own seed", () => {
    const jobs = planJobs({ personas, scenarios, replicas: 2, variants: [null], seed: 1 });
    expect(jobs).toHaveLength(3 * 4 * 2);
    expect(new Set(jobs.map((j) => `${j.persona_id}/${j.scenario_id}/${j.replica}`)).size).toBe(24);
    expect(new Set(jobs.map((j) => j.seed)).size).toBe(24);
  });

  it("samples N pairs deterministically, using every scenario evenly", () => {
    const a = planJobs({ personas, scenarios, sessions: 12, replicas: 1, variants: ["x", "y"], seed: 5 });
    const b = planJobs({ personas, scenarios, sessions: 12, replicas: 1, variants: ["x", "y"], seed: 5 });
    const c = planJobs({ personas, scenarios, sessions: 12, replicas: 1, variants: ["x", "y"], seed: 6 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toHaveLength(24);
    const perScenario = new Map<string, number>();
    for (const j of a) perScenario.set(j.scenario_id, (perScenario.get(j.scenario_id) ?? 0) + 1);
    expect([...perScenario.values()]).toEqual([6, 6, 6, 6]);
  });
});

describe("InProcessQueue", () => {
  const jobs = (n: number): SessionJob[] =>
    bindJobs(
      Array.from({ length: n }, (_, i) => ({
        job_id: `j${i}`,
        persona_id: personas[0]!.id,
        scenario_id: scenarios[0]!.id,
        variant: null,
        replica: 0,
        seed: i,
      })),
      {
        runId: "r",
        personas: new Map(personas.map((p) => [p.id, p])),
        scenarios: new Map(scenarios.map((s) => [s.id, s])),
        policy: { kind: "heuristic" },
        shopUrl: "http://127.0.0.1:1/",
      },
    );
  const skipped = (job: SessionJob): JobResult => ({
    kind: "skipped",
    session_id: job.session_id,
    reason: "test",
  });

  it("never runs more than `concurrency` jobs at once, runs them all and hands over each result once", async () => {
    let running = 0;
    let peak = 0;
    const results: string[] = [];
    const outcome = await new InProcessQueue(
      async (job) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return skipped(job);
      },
      { concurrency: 3 },
    ).run(jobs(10), {
      signal: new AbortController().signal,
      onResult: async (r) => {
        results.push(r.kind === "record" ? r.record.session_id : r.session_id);
      },
    });
    expect(peak).toBe(3);
    expect(new Set(results).size).toBe(10);
    expect(outcome.unfinished).toBe(0);
  });

  it("starts nothing new after abort, and rethrows a runner error only after all settle", async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const outcome = await new InProcessQueue(
      async (job) => {
        started.push(job.job_id);
        if (started.length === 2) controller.abort();
        await new Promise((r) => setTimeout(r, 5));
        return skipped(job);
      },
      { concurrency: 2 },
    ).run(jobs(10), { signal: controller.signal, onResult: async () => {} });
    expect(started).toHaveLength(2);
    expect(outcome.unfinished).toBe(8);
    const finished: string[] = [];
    await expect(
      new InProcessQueue(
        async (job) => {
          if (job.job_id === "j0") throw new Error("boom");
          finished.push(job.job_id);
          return skipped(job);
        },
        { concurrency: 2 },
      ).run(jobs(4), { signal: new AbortController().signal, onResult: async () => {} }),
    ).rejects.toThrow("boom");
    expect(finished).toEqual(["j1", "j2", "j3"]);
  });
});
