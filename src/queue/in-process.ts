import type {
  JobQueue,
  JobResult,
  QueueOutcome,
  QueueProgress,
  QueueRunOptions,
  SessionJob,
} from "./types.ts";

/** Runs one job to its result; given the run's signal (src/run/executor.ts's SessionExecutor). */
export type JobRunner = (job: SessionJob, signal: AbortSignal) => Promise<JobResult>;

/**
 * Runs a run's jobs in this process, at most `concurrency` at a time, in order. Once the signal
 * aborts, no new job starts; running ones get the aborted signal and end by recording themselves.
 * A runner that throws does not stop the others: the error is rethrown after all have settled.
 */
export class InProcessQueue implements JobQueue {
  readonly backend = "in-process";
  readonly #runner: JobRunner;
  readonly #concurrency: number;

  constructor(runner: JobRunner, opts: { concurrency: number }) {
    this.#runner = runner;
    this.#concurrency = opts.concurrency;
  }

  async run(jobs: readonly SessionJob[], opts: QueueRunOptions): Promise<QueueOutcome> {
    const progress: QueueProgress = { done: 0, total: jobs.length, running: 0 };
    const errors: unknown[] = [];
    let next = 0;
    // Results are handed over one at a time, in the order sessions end.
    let delivering: Promise<void> = Promise.resolve();
    const worker = async () => {
      while (next < jobs.length && !opts.signal.aborted) {
        const job = jobs[next++] as SessionJob;
        progress.running += 1;
        opts.onProgress?.({ ...progress });
        try {
          const result = await this.#runner({ ...job, attempt: 1 }, opts.signal);
          const delivered = delivering.then(() => opts.onResult(result));
          delivering = delivered.catch(() => {});
          await delivered;
        } catch (error) {
          errors.push(error);
        } finally {
          progress.running -= 1;
          progress.done += 1;
          opts.onProgress?.({ ...progress });
        }
      }
    };
    const workers = Math.max(1, Math.min(this.#concurrency, jobs.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (errors.length > 0) throw errors[0];
    return { unfinished: jobs.length - progress.done, cancelled: opts.signal.aborted };
  }

  async close(): Promise<void> {}
}
