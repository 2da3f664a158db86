import { randomBytes } from "node:crypto";
import { freemem, hostname } from "node:os";
import { DelayedError, type Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import { describeZodError } from "../../contracts/errors.ts";
import type { Logger } from "../../log.ts";
import { type JobResult, type SessionJob, SessionJobSchema } from "../types.ts";
import { connect, QUEUE_NAME, redacted } from "./redis.ts";
import { type FleetStore, HEARTBEAT_TTL_S, type QueuedJob } from "./store.ts";

/** Runs one session job to its result (src/run/executor.ts's SessionExecutor). */
export type JobExecutor = (job: SessionJob, signal: AbortSignal) => Promise<JobResult>;

export interface FleetWorkerOptions {
  store: FleetStore;
  execute: JobExecutor;
  logger: Logger;
  /** Sessions at once. */
  concurrency: number;
  /** Below this much free memory (MiB) no new session starts: the job goes back for another worker. Default 512. */
  minFreeMemMb?: number;
  /** A session running longer is stopped and recorded as an error. Default 10 min. */
  jobTimeoutMs?: number;
  /** On shutdown, running sessions get this long to end before they are stopped and their jobs returned. Default 30 s. */
  graceMs?: number;
  /** A job whose worker has not renewed its lock for this long is started again elsewhere. Default 30 s. */
  stalledMs?: number;
  /** How often running sessions check whether their run was cancelled. Default 1 s. */
  cancelPollMs?: number;
  /** Free memory in bytes (for tests). */
  freeMemory?: () => number;
}

class ShutdownAbort extends Error {
  constructor() {
    super("the worker is shutting down");
  }
}

class JobTimeout extends Error {
  constructor(ms: number) {
    super(`the session took longer than the per-job timeout of ${Math.round(ms / 1000)} s`);
  }
}

class RunCancelled extends Error {
  constructor() {
    super("the run was cancelled");
  }
}

interface Running {
  runId: string;
  controller: AbortController;
}

/**
 * A long-running fleet worker: pulls session jobs from the deployment's BullMQ queue and runs up
 * to `concurrency` at once through one executor (one browser pool). Each finished session's record
 * goes to its run's result stream before the job is marked done, so a result is never lost; a job
 * whose worker dies (kill -9) is found stalled and started again from the beginning by another one.
 * Bad job data fails at once, without retries. `close()` takes no new jobs, lets running sessions
 * end within the grace period, then stops them and returns their jobs to the queue.
 */
export class FleetWorker {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(2).toString("hex")}`;
  readonly #o: Required<Omit<FleetWorkerOptions, "freeMemory">> & { freeMemory: () => number };
  readonly #worker: Worker;
  readonly #connection: ReturnType<typeof connect>;
  readonly #running = new Map<string, Running>();
  readonly #log: Logger;
  #done = 0;
  #closing: Promise<void> | null = null;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #startedAt = new Date().toISOString();

  constructor(opts: FleetWorkerOptions) {
    this.#o = {
      minFreeMemMb: 512,
      jobTimeoutMs: 10 * 60_000,
      graceMs: 30_000,
      stalledMs: 30_000,
      cancelPollMs: 1000,
      freeMemory: freemem,
      ...opts,
    };
    const { store } = this.#o;
    this.#log = opts.logger.child({ worker: this.id });
    this.#connection = connect(store.target, this.#log, `${store.target.prefix}:worker`);
    this.#worker = new Worker(QUEUE_NAME, (job, token) => this.#process(job as Job<QueuedJob>, token), {
      connection: this.#connection,
      prefix: store.target.prefix,
      concurrency: opts.concurrency,
      lockDuration: this.#o.stalledMs,
      stalledInterval: Math.max(1000, Math.round(this.#o.stalledMs / 2)),
      // A job whose worker died twice is reported rather than tried forever.
      maxStalledCount: 2,
      autorun: false,
    });
    this.#worker.on("error", (err: Error) => this.#log.warn({ err: err.message }, "worker error"));
    this.#worker.on("failed", (job, err) => {
      if (!job) return;
      const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      this.#log.warn({ job: job.id, attempt: job.attemptsMade, final, err: err.message }, "job failed");
      if (final && typeof job.id === "string") {
        // The coordinator also finds failed jobs by their state; the stream tells it at once.
        void store
          .addResult(job.name, { kind: "failed", session_id: job.id, reason: err.message })
          .catch((e: unknown) =>
            this.#log.warn({ err: (e as Error).message }, "reporting a failed job failed"),
          );
      }
    });
    this.#worker.on("stalled", (jobId) =>
      this.#log.warn({ job: jobId }, "a job stalled (its worker died?); it runs again"),
    );
  }

  /** Starts pulling jobs; resolves once the worker is connected and running. */
  async start(): Promise<void> {
    void this.#worker
      .run()
      .catch((e: unknown) => this.#log.error({ err: (e as Error).message }, "worker stopped"));
    await this.#worker.waitUntilReady();
    await this.#beat();
    this.#timers.push(setInterval(() => void this.#beat(), (HEARTBEAT_TTL_S * 1000) / 3));
    this.#timers.push(setInterval(() => void this.#checkCancelled(), this.#o.cancelPollMs));
    this.#log.info(
      {
        redis: redacted(this.#o.store.target.url),
        prefix: this.#o.store.target.prefix,
        concurrency: this.#o.concurrency,
      },
      "worker started",
    );
  }

  get running(): number {
    return this.#running.size;
  }

  get done(): number {
    return this.#done;
  }

  async #beat(): Promise<void> {
    await this.#o.store
      .heartbeat({
        id: this.id,
        host: hostname(),
        pid: process.pid,
        concurrency: this.#o.concurrency,
        running: this.#running.size,
        done: this.#done,
        started_at: this.#startedAt,
      })
      .catch(() => {});
  }

  async #checkCancelled(): Promise<void> {
    const runs = new Set([...this.#running.values()].map((r) => r.runId));
    for (const runId of runs) {
      if (!(await this.#o.store.isCancelled(runId).catch(() => false))) continue;
      for (const r of this.#running.values()) {
        if (r.runId === runId && !r.controller.signal.aborted) r.controller.abort(new RunCancelled());
      }
    }
  }

  async #process(job: Job<QueuedJob>, token: string | undefined): Promise<{ status: string }> {
    const parsed = SessionJobSchema.omit({ attempt: true }).safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(`invalid job data: ${describeZodError(parsed.error)}`);
    }
    const data = parsed.data;
    const { store } = this.#o;
    if (await store.isCancelled(data.run_id)) {
      await store.addResult(data.run_id, {
        kind: "skipped",
        session_id: data.session_id,
        reason: "the run was cancelled",
      });
      return { status: "skipped" };
    }
    const freeMb = this.#o.freeMemory() / 2 ** 20;
    if (freeMb < this.#o.minFreeMemMb && this.#running.size > 0) {
      // Not enough memory for another browser context: hand the job back for a worker with room.
      this.#log.warn(
        { job: job.id, free_mb: Math.round(freeMb) },
        "low memory: the job goes back to the queue",
      );
      await job.moveToDelayed(Date.now() + 2000, token);
      throw new DelayedError();
    }

    const controller = new AbortController();
    const key = job.id ?? data.session_id;
    this.#running.set(key, { runId: data.run_id, controller });
    const timeout = setTimeout(
      () => controller.abort(new JobTimeout(this.#o.jobTimeoutMs)),
      this.#o.jobTimeoutMs,
    );
    let result: JobResult;
    try {
      result = await this.#o.execute(
        { ...data, attempt: Math.max(1, job.attemptsStarted) },
        controller.signal,
      );
    } finally {
      clearTimeout(timeout);
      this.#running.delete(key);
    }
    const reason: unknown = controller.signal.reason;
    if (reason instanceof ShutdownAbort) {
      // Stopped by our own shutdown: the session starts again from the beginning on another worker.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (reason instanceof JobTimeout && result.kind === "record") {
      result.record.status = "error";
      result.record.reason = reason.message;
    }
    await store.addResult(data.run_id, result);
    this.#done += 1;
    return { status: result.kind === "record" ? result.record.status : result.kind };
  }

  /**
   * Stops taking jobs, lets running sessions end within the grace period, then stops them and puts
   * their jobs back in the queue; closes the queue connections. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const grace = setTimeout(() => this.stopNow(), this.#o.graceMs);
      try {
        await this.#worker.close();
      } finally {
        clearTimeout(grace);
        for (const t of this.#timers) clearInterval(t);
        await this.#o.store.dropHeartbeat(this.id).catch(() => {});
        this.#connection.disconnect();
      }
    })();
    return this.#closing;
  }

  /** Stops running sessions now (a second Ctrl-C): their jobs go back to the queue. */
  stopNow(): void {
    for (const r of this.#running.values()) r.controller.abort(new ShutdownAbort());
  }
}
