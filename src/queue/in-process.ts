import type { Job, JobQueue, QueueProgress } from "./types.ts";

/**
 * Runs jobs in this process, at most `concurrency` at a time, in order. Once the signal aborts, no
 * new job starts; running ones get the aborted signal and finish by recording themselves.
 * A handler that throws does not stop the others: the error is rethrown after all have settled.
 */
export class InProcessQueue implements JobQueue {
  async run(
    jobs: readonly Job[],
    handler: (job: Job, signal: AbortSignal) => Promise<void>,
    opts: { concurrency: number; signal: AbortSignal; onProgress?: (p: QueueProgress) => void },
  ): Promise<void> {
    const progress: QueueProgress = { done: 0, total: jobs.length, running: 0 };
    const errors: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (next < jobs.length && !opts.signal.aborted) {
        const job = jobs[next++] as Job;
        progress.running += 1;
        opts.onProgress?.({ ...progress });
        try {
          await handler(job, opts.signal);
        } catch (error) {
          errors.push(error);
        } finally {
          progress.running -= 1;
          progress.done += 1;
          opts.onProgress?.({ ...progress });
        }
      }
    };
    const workers = Math.max(1, Math.min(opts.concurrency, jobs.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (errors.length > 0) throw errors[0];
  }

  async close(): Promise<void> {}
}
