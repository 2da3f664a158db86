import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadPersonas, loadScenarios } from "../src/config/population.ts";
import { InputError } from "../src/contracts/errors.ts";
import { silentLogger } from "../src/log.ts";
import { BullMQQueue } from "../src/queue/bullmq/queue.ts";
import { redisTarget } from "../src/queue/bullmq/redis.ts";
import { FleetStore } from "../src/queue/bullmq/store.ts";
import { FleetWorker, type JobExecutor } from "../src/queue/bullmq/worker.ts";
import { type JobResult, resultSessionId, type SessionJob } from "../src/queue/types.ts";
import { failedRecord } from "../src/run/executor.ts";
import { bindJobs, planJobs } from "../src/run/plan.ts";
import { dropPrefix, ownRedis, sharedRedis, uniquePrefix } from "./helpers/redis.ts";

/**
 * The BullMQ backend on real Redis, with workers in this process and an executor that stands in for
 * the browser (sessions take a few ms, or wait for their signal): queue semantics only. The fleet
 * end-to-end test (fleet-e2e.test.ts) runs real worker processes with Chromium.
 */

let redisUrl = "";
let disposeRedis = async () => {};
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const r = await sharedRedis();
  redisUrl = r.url;
  disposeRedis = r.dispose;
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => disposeRedis());

async function jobsFor(runId: string, n: number): Promise<SessionJob[]> {
  const personas = await loadPersonas();
  const scenarios = await loadScenarios();
  return bindJobs(
    planJobs({
      personas: [...personas.values()],
      scenarios: [...scenarios.values()],
      sessions: n,
      replicas: 1,
      variants: [null],
      seed: 3,
    }),
    { runId, personas, scenarios, policy: { kind: "heuristic" }, shopUrl: "http://127.0.0.1:9/" },
  );
}

/** A stand-in session: ends after `ms` (terminated), or as aborted when its signal fires first. */
function fakeExecutor(ms: number, log: { started: SessionJob[] } = { started: [] }): JobExecutor {
  return async (job, signal) => {
    log.started.push(job);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      });
    });
    const record = failedRecord(job, "aborted", signal.reason ?? "stopped");
    if (!signal.aborted) {
      record.status = "terminated";
      record.reason = `done on attempt ${job.attempt}`;
    }
    return { kind: "record", record, files: [] } satisfies JobResult;
  };
}

async function fleet(label: string, url = redisUrl) {
  const prefix = uniquePrefix(label);
  const target = redisTarget(url, prefix);
  const store = await FleetStore.open(target, silentLogger);
  cleanups.push(async () => {
    await store.close();
    await dropPrefix(url, prefix).catch(() => {});
  });
  const startWorker = async (
    execute: JobExecutor,
    opts: Partial<ConstructorParameters<typeof FleetWorker>[0]> = {},
  ) => {
    const wStore = await FleetStore.open(target, silentLogger);
    const w = new FleetWorker({ store: wStore, execute, logger: silentLogger, concurrency: 2, ...opts });
    await w.start();
    cleanups.push(async () => {
      await w.close();
      await wStore.close();
    });
    return w;
  };
  const queue = (runId: string) =>
    new BullMQQueue({
      store,
      logger: silentLogger,
      manifest: {
        run_id: runId,
        status: "running",
        started_at: new Date().toISOString(),
        ended_at: null,
        seed: 3,
        config: {},
        versions: { shopsim: "test", node: process.version, playwright: null },
        git_revision: null,
        shop: { url: "http://127.0.0.1:9/", started_by_run: false, catalog: null },
        counts: { planned: 0, recorded: 0, by_status: {}, steps: 0 },
      },
      reconcileMs: 300,
      backoffMs: 100,
    });
  return { prefix, store, startWorker, queue };
}

async function collect(q: BullMQQueue, jobs: SessionJob[], signal = new AbortController().signal) {
  const results: JobResult[] = [];
  const outcome = await q.run(jobs, { signal, onResult: async (r) => void results.push(r) });
  await q.close();
  return { results, outcome };
}

describe("BullMQ queue on real Redis", () => {
  it("runs every job on the workers and hands each result over once; enqueuing the run twice adds nothing", async () => {
    const f = await fleet("basic");
    const jobs = await jobsFor("run-basic", 12);
    const q = f.queue("run-basic");
    expect(await q.enqueue(jobs)).toEqual({ added: 12, present: 0 });
    expect(await q.enqueue(jobs)).toEqual({ added: 0, present: 12 });
    const counts = await f.store.queue.getJobCounts("waiting", "active", "completed", "delayed");
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(12);

    await f.startWorker(fakeExecutor(20));
    await f.startWorker(fakeExecutor(20));
    const { results, outcome } = await collect(q, jobs);
    expect(outcome.unfinished).toBe(0);
    expect(results.map(resultSessionId).sort()).toEqual(jobs.map((j) => j.session_id).sort());
    expect(results.every((r) => r.kind === "record" && r.record.status === "terminated")).toBe(true);
    expect(results.every((r) => r.kind === "record" && r.record.attempt === 1)).toBe(true);

    // A second coordinator on the same run finds everything done: no job runs again.
    const again = await collect(f.queue("run-basic"), jobs);
    expect(again.results.map(resultSessionId).sort()).toEqual(jobs.map((j) => j.session_id).sort());
    const after = await f.store.queue.getJobCounts("completed");
    expect(after.completed).toBe(12);
  });

  it("fails a job with invalid persona data at once, without retries, and reports it", async () => {
    const f = await fleet("bad");
    const jobs = await jobsFor("run-bad", 3);
    const broken = {
      ...jobs[1]!,
      persona: { ...jobs[1]!.persona, demographics: { age: "old" } },
    } as unknown as SessionJob;
    const started = { started: [] as SessionJob[] };
    await f.startWorker(fakeExecutor(10, started));
    const { results } = await collect(f.queue("run-bad"), [jobs[0]!, broken, jobs[2]!]);
    const failed = results.find((r) => r.kind === "failed");
    expect(failed).toMatchObject({ kind: "failed", session_id: broken.session_id });
    expect((failed as { reason: string }).reason).toMatch(/invalid job data: .*persona\.demographics/);
    expect(results.filter((r) => r.kind === "record")).toHaveLength(2);
    const job = await f.store.queue.getJob(broken.session_id);
    expect(job?.attemptsMade).toBe(1);
    expect(started.started.map((j) => j.session_id)).not.toContain(broken.session_id);
  });

  it("cancel: no new session starts, running ones end as aborted and are still recorded", async () => {
    const f = await fleet("cancel");
    const jobs = await jobsFor("run-cancel", 20);
    const log = { started: [] as SessionJob[] };
    // The first two sessions end quickly; the ones after them would run for a minute.
    let n = 0;
    const quick = fakeExecutor(50, log);
    const slow = fakeExecutor(60_000, log);
    await f.startWorker((job, signal) => (n++ < 2 ? quick(job, signal) : slow(job, signal)));
    const q = f.queue("run-cancel");
    const results: JobResult[] = [];
    const running = q.run(jobs, {
      signal: new AbortController().signal,
      onResult: async (r) => {
        results.push(r);
        // Cancelled from elsewhere, as `shopsim cancel` does, once two sessions ended.
        if (results.length === 2)
          await f.store.cancel(
            "run-cancel",
            jobs.map((j) => j.session_id),
          );
      },
    });
    const outcome = await running;
    await q.close();
    const startedAtEnd = log.started.length;
    await new Promise((r) => setTimeout(r, 800));
    expect(log.started.length).toBe(startedAtEnd);
    expect(startedAtEnd).toBeLessThanOrEqual(5);
    const records = results.filter((r) => r.kind === "record");
    expect(records.length).toBe(startedAtEnd);
    expect(records.some((r) => r.kind === "record" && r.record.status === "aborted")).toBe(true);
    expect(outcome.unfinished + results.length).toBe(20);
    expect(outcome.unfinished).toBeGreaterThanOrEqual(14);
  });

  it("a worker shutting down lets a session end within the grace period, then returns the job for another worker", async () => {
    const f = await fleet("grace");
    const jobs = await jobsFor("run-grace", 2);
    const slow = await f.startWorker(fakeExecutor(60_000), { concurrency: 2, graceMs: 300 });
    const q = f.queue("run-grace");
    const results: JobResult[] = [];
    const running = q.run(jobs, {
      signal: new AbortController().signal,
      onResult: async (r) => void results.push(r),
    });
    while (slow.running < 2) await new Promise((r) => setTimeout(r, 20));
    await slow.close();
    expect(results).toHaveLength(0);
    expect(await f.store.queue.getJobState(jobs[0]!.session_id)).toBe("waiting");
    await f.startWorker(fakeExecutor(10));
    await running;
    await q.close();
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r.kind === "record" && r.record.status).toBe("terminated");
      expect(r.kind === "record" && r.record.attempt).toBe(2);
    }
  });

  it("stops a session at the per-job timeout and records it as an error; starts no second session when memory is low", async () => {
    const f = await fleet("limits");
    const jobs = await jobsFor("run-limits", 4);
    const log = { started: [] as SessionJob[] };
    let peak = 0;
    const exec = fakeExecutor(60_000, log);
    const w = await f.startWorker(
      async (job, signal) => {
        const r = exec(job, signal);
        peak = Math.max(peak, w.running);
        return r;
      },
      { concurrency: 3, jobTimeoutMs: 300, freeMemory: () => 100 * 2 ** 20, minFreeMemMb: 512 },
    );
    const { results } = await collect(f.queue("run-limits"), jobs);
    expect(results).toHaveLength(4);
    for (const r of results) {
      expect(r.kind).toBe("record");
      if (r.kind === "record") {
        expect(r.record.status).toBe("error");
        expect(r.record.reason).toMatch(/per-job timeout of 0 s|per-job timeout/);
      }
    }
    expect(peak).toBe(1);
  });

  it("rides out a Redis restart mid-run: workers and coordinator reconnect and the run completes", {
    timeout: 60_000,
  }, async () => {
    const redis = await ownRedis({ persist: true });
    cleanups.push(() => redis.dispose());
    const f = await fleet("restart", redis.url);
    const jobs = await jobsFor("run-restart", 16);
    await f.startWorker(fakeExecutor(150));
    const q = f.queue("run-restart");
    const results: JobResult[] = [];
    let restarted = false;
    const running = q.run(jobs, {
      signal: new AbortController().signal,
      onResult: async (r) => {
        results.push(r);
        if (results.length === 4 && !restarted) {
          restarted = true;
          void (async () => {
            await redis.stop();
            await new Promise((res) => setTimeout(res, 1500));
            await redis.start();
          })();
        }
      },
    });
    const outcome = await running;
    await q.close();
    expect(restarted).toBe(true);
    expect(outcome.unfinished).toBe(0);
    expect(new Set(results.map(resultSessionId)).size).toBe(16);
    expect(results.every((r) => r.kind === "record" && r.record.status === "terminated")).toBe(true);
  });

  it("retries a job whose worker failed outside the session, with backoff, and records the later attempt", async () => {
    const f = await fleet("retry");
    const jobs = await jobsFor("run-retry", 2);
    const exec = fakeExecutor(10);
    const starts: number[] = [];
    await f.startWorker(async (job, signal) => {
      starts.push(Date.now());
      if (job.attempt === 1) throw new Error("could not reach the browser service");
      return exec(job, signal);
    });
    const { results } = await collect(f.queue("run-retry"), jobs);
    expect(results).toHaveLength(2);
    for (const r of results) expect(r.kind === "record" && r.record.attempt).toBe(2);
    expect(starts).toHaveLength(4);
    // The queue waited the backoff (100 ms here) before the second attempt.
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(90);
  });

  it("connects with a password in the URL; a wrong password is a clear error naming the server, not the password", async () => {
    const redis = await ownRedis({ password: "s3cret-pw" });
    cleanups.push(() => redis.dispose());
    const f = await fleet("auth", redis.url);
    const jobs = await jobsFor("run-auth", 2);
    await f.startWorker(fakeExecutor(10));
    const { results } = await collect(f.queue("run-auth"), jobs);
    expect(results).toHaveLength(2);
    const wrong = redis.url.replace("s3cret-pw", "wrong-pw");
    const error = await FleetStore.open(redisTarget(wrong, "x"), silentLogger, 1500).catch((e: Error) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/Redis refused: WRONGPASS/);
    expect((error as Error).message).toContain(`127.0.0.1:${redis.port}`);
    expect((error as Error).message).not.toContain("wrong-pw");
  });
});
