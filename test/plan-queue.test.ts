import { describe, expect, it } from "vitest";
import type { Persona, Scenario } from "../src/contracts/scenario.ts";
import { InProcessQueue } from "../src/queue/in-process.ts";
import type { Job } from "../src/queue/types.ts";
import { planJobs } from "../src/run/plan.ts";

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
  const jobs = (n: number): Job[] =>
    Array.from({ length: n }, (_, i) => ({
      job_id: `j${i}`,
      persona_id: "a",
      scenario_id: "s",
      variant: null,
      replica: 0,
      seed: i,
    }));

  it("never runs more than `concurrency` jobs at once and runs them all", async () => {
    let running = 0;
    let peak = 0;
    const done: string[] = [];
    await new InProcessQueue().run(
      jobs(10),
      async (job) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        done.push(job.job_id);
      },
      { concurrency: 3, signal: new AbortController().signal },
    );
    expect(peak).toBe(3);
    expect(done).toHaveLength(10);
  });

  it("starts nothing new after abort, and rethrows a handler error only after all settle", async () => {
    const controller = new AbortController();
    const started: string[] = [];
    await new InProcessQueue().run(
      jobs(10),
      async (job) => {
        started.push(job.job_id);
        if (started.length === 2) controller.abort();
        await new Promise((r) => setTimeout(r, 5));
      },
      { concurrency: 2, signal: controller.signal },
    );
    expect(started).toHaveLength(2);
    const finished: string[] = [];
    await expect(
      new InProcessQueue().run(
        jobs(4),
        async (job) => {
          if (job.job_id === "j0") throw new Error("boom");
          finished.push(job.job_id);
        },
        { concurrency: 2, signal: new AbortController().signal },
      ),
    ).rejects.toThrow("boom");
    expect(finished).toEqual(["j1", "j2", "j3"]);
  });
});
