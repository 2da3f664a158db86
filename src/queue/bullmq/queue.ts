import type { Redis } from "ioredis";
import type { RunManifestInput } from "../../contracts/trajectory.ts";
import type { Logger } from "../../log.ts";
import {
  type JobQueue,
  type JobResult,
  type QueueOutcome,
  type QueueRunOptions,
  resultSessionId,
  type SessionJob,
} from "../types.ts";
import { connect, redacted } from "./redis.ts";
import { type FleetStore, LIVE_STATES, type QueuedJob } from "./store.ts";

export interface BullMQQueueOptions {
  store: FleetStore;
  logger: Logger;
  /** Stored with the run so `shopsim collect` can write the run directory without the coordinator. */
  manifest: RunManifestInput;
  /** Starts per job before it fails for good (a worker dying mid-session does not count). Default 3. */
  attempts?: number;
  /** First retry delay; doubles each attempt. Default 2 s. */
  backoffMs?: number;
  /** How long finished jobs and the run's results stay in Redis. Default 7 days. */
  keepSeconds?: number;
  /** How often the coordinator checks job states (failures, lost jobs, running count). Default 2 s. */
  reconcileMs?: number;
  /** Told once when jobs wait and no worker has been seen for a while. */
  onNoWorkers?: () => void;
}

const WEEK_S = 7 * 24 * 3600;

/**
 * The BullMQ backend's coordinator side: enqueues a run's jobs (job id = session id, so enqueuing
 * the same run again adds nothing), then follows the run's result stream, handing each session's
 * result over once. Workers (src/queue/bullmq/worker.ts) on any machine run the sessions.
 *
 * It checks job states as it goes: a job that failed for good is reported as failed; a job Redis
 * lost (a restart without persistence) is enqueued again. Aborting the signal cancels the run: jobs
 * that have not started are removed, running ones end as `aborted` and are still recorded.
 */
export class BullMQQueue implements JobQueue {
  readonly backend = "bullmq";
  readonly #o: Required<Omit<BullMQQueueOptions, "onNoWorkers">> & Pick<BullMQQueueOptions, "onNoWorkers">;
  #reader: Redis | null = null;

  constructor(opts: BullMQQueueOptions) {
    this.#o = {
      attempts: 3,
      backoffMs: 2000,
      keepSeconds: WEEK_S,
      reconcileMs: 2000,
      ...opts,
    };
  }

  /** Writes the run's metadata and adds its jobs; jobs already there (or already done) are left as they are. */
  async enqueue(jobs: readonly SessionJob[]): Promise<{ added: number; present: number }> {
    await this.#writeMeta(jobs);
    const states = await this.#o.store.states(jobs.map((j) => j.session_id));
    const fresh = jobs.filter((j) => states.get(j.session_id) === "unknown");
    await this.#add(fresh);
    return { added: fresh.length, present: jobs.length - fresh.length };
  }

  async #writeMeta(jobs: readonly SessionJob[]): Promise<void> {
    const { store } = this.#o;
    const runId = this.#runId(jobs);
    const existing = await store.readMeta(runId);
    await store.writeMeta({
      run_id: runId,
      created_at: existing?.created_at || new Date().toISOString(),
      planned: jobs.length,
      session_ids: jobs.map((j) => j.session_id),
      cancelled_at: null,
      finished_at: null,
      manifest: this.#o.manifest,
    });
  }

  async #add(jobs: readonly SessionJob[]): Promise<void> {
    const { store, attempts, backoffMs, keepSeconds } = this.#o;
    for (let i = 0; i < jobs.length; i += 500) {
      await store.queue.addBulk(
        jobs.slice(i, i + 500).map((job) => {
          const { attempt: _attempt, ...data } = job;
          return {
            name: job.run_id,
            data: data satisfies QueuedJob,
            opts: {
              jobId: job.session_id,
              attempts,
              backoff: { type: "exponential", delay: backoffMs },
              removeOnComplete: { age: keepSeconds },
              removeOnFail: { age: keepSeconds },
            },
          };
        }),
      );
    }
  }

  #runId(jobs: readonly SessionJob[]): string {
    const id = jobs[0]?.run_id ?? this.#o.manifest.run_id;
    if (jobs.some((j) => j.run_id !== id)) throw new Error("a queue run takes the jobs of one run");
    return id;
  }

  async run(jobs: readonly SessionJob[], opts: QueueRunOptions): Promise<QueueOutcome> {
    const { store, logger } = this.#o;
    const runId = this.#runId(jobs);
    const byId = new Map(jobs.map((j) => [j.session_id, j]));
    await this.enqueue(jobs);
    // Blocking stream reads get their own connection, so they never hold up queue commands.
    this.#reader ??= connect(store.target, logger, `${store.target.prefix}:coordinator`);
    const reader = this.#reader;

    const done = new Set<string>();
    let running = 0;
    const progress = () => opts.onProgress?.({ done: done.size, total: jobs.length, running });
    const deliver = async (r: JobResult) => {
      const id = resultSessionId(r);
      if (!byId.has(id) || done.has(id)) return;
      done.add(id);
      await opts.onResult(r);
      progress();
    };

    let last = "0";
    let cancelled = false;
    let lastCheck = 0;
    const doneUnseen = new Map<string, number>();
    let idleSince = Date.now();
    let warnedNoWorkers = false;
    const drain = async (blockMs: number | null) => {
      for (;;) {
        const page = await store.readResults(runId, last, blockMs, 100, reader);
        last = page.last;
        for (const r of page.results) await deliver(r);
        if (page.results.length + page.bad < 100) return;
        blockMs = null;
      }
    };

    while (done.size < jobs.length) {
      await drain(1000);
      if (opts.signal.aborted && !cancelled) {
        cancelled = true;
        const removed = await store.cancel(runId, [...byId.keys()]);
        logger.info({ run: runId, removed }, "run cancelled: jobs not started were removed");
      }
      if (Date.now() - lastCheck < this.#o.reconcileMs && !cancelled) continue;
      lastCheck = Date.now();

      if (!cancelled && (await store.isCancelled(runId))) {
        // Cancelled from elsewhere (shopsim cancel): the removed jobs are not lost, they are not to run.
        cancelled = true;
        logger.info({ run: runId }, "the run was cancelled");
      }
      const pending = [...byId.keys()].filter((id) => !done.has(id));
      const states = await store.states(pending);
      await drain(null);
      let live = 0;
      running = 0;
      const lost: SessionJob[] = [];
      for (const [id, state] of states) {
        if (done.has(id)) continue;
        if (LIVE_STATES.has(state)) live += 1;
        if (state === "active") running += 1;
        if (state === "failed") {
          const job = await store.queue.getJob(id);
          await deliver({ kind: "failed", session_id: id, reason: job?.failedReason || "the job failed" });
        } else if (state === "unknown" && !cancelled) {
          lost.push(byId.get(id)!);
        } else if (state === "completed") {
          // Done in the queue but no result in the stream yet: give the stream a few more looks.
          const looks = (doneUnseen.get(id) ?? 0) + 1;
          doneUnseen.set(id, looks);
          if (looks > 3)
            await deliver({
              kind: "failed",
              session_id: id,
              reason: "the job completed but its result never reached the run's stream",
            });
        }
      }
      if (lost.length > 0) {
        if ((await store.readMeta(runId)) === null) {
          logger.warn(
            { redis: redacted(store.target.url) },
            "the run's data is gone from Redis (restarted without persistence?); writing it again",
          );
          await this.#writeMeta(jobs);
        }
        logger.warn({ run: runId, jobs: lost.length }, "jobs missing from the queue; enqueuing them again");
        await this.#add(lost);
      }
      progress();
      if (cancelled && live === 0) {
        await drain(null);
        break;
      }
      if (running > 0 || live === 0) idleSince = Date.now();
      else if (!warnedNoWorkers && Date.now() - idleSince > 10_000 && (await store.workers()).length === 0) {
        warnedNoWorkers = true;
        this.#o.onNoWorkers?.();
      }
    }
    await store.markFinished(runId, this.#o.keepSeconds);
    return { unfinished: jobs.length - done.size, cancelled };
  }

  async close(): Promise<void> {
    this.#reader?.disconnect();
    this.#reader = null;
  }
}
