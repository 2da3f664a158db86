/** One shopping session to run: who, what for, on which variant, which repetition, with which seed. */
export interface Job {
  job_id: string;
  persona_id: string;
  scenario_id: string;
  variant: string | null;
  replica: number;
  seed: number;
}

export interface QueueProgress {
  done: number;
  total: number;
  running: number;
}

/**
 * Where jobs wait and who runs them. The in-process queue is the default; a Redis-backed queue
 * (BullMQ) serves fleets spread over machines. Handlers get the run's AbortSignal and must record
 * an aborted job rather than drop it.
 */
export interface JobQueue {
  run(
    jobs: readonly Job[],
    handler: (job: Job, signal: AbortSignal) => Promise<void>,
    opts: { concurrency: number; signal: AbortSignal; onProgress?: (p: QueueProgress) => void },
  ): Promise<void>;
  close(): Promise<void>;
}
