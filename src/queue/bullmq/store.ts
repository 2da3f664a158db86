import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { type RunManifestInput, SessionRecordSchema } from "../../contracts/trajectory.ts";
import type { Logger } from "../../log.ts";
import { type JobResult, resultSessionId, type SessionJob } from "../types.ts";
import { connect, QUEUE_NAME, type RedisTarget, runKeys, runsIndexKey, waitForRedis } from "./redis.ts";

/** What a job carries in Redis: the session job without the attempt (BullMQ counts starts). */
export type QueuedJob = Omit<SessionJob, "attempt">;

/** Job states that mean the job will still run (or is running). */
export const LIVE_STATES = new Set(["waiting", "active", "delayed", "prioritized", "waiting-children"]);

export interface RunMeta {
  run_id: string;
  created_at: string;
  planned: number;
  /** Every session id of the run, in plan order. */
  session_ids: string[];
  cancelled_at: string | null;
  finished_at: string | null;
  manifest: RunManifestInput | null;
}

export interface WorkerHeartbeat {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  running: number;
  done: number;
  started_at: string;
}

/** A worker's heartbeat lives this long; a worker refreshes it every third of it. */
export const HEARTBEAT_TTL_S = 15;

/** Encodes a job result for the run's result stream (files as base64). */
export function encodeResult(r: JobResult): string {
  if (r.kind !== "record") return JSON.stringify(r);
  return JSON.stringify({
    kind: "record",
    record: r.record,
    files: r.files.map((f) => ({ path: f.path, data: f.data.toString("base64") })),
  });
}

/** Decodes a result-stream entry; throws on an entry no shopsim wrote. */
export function decodeResult(text: string): JobResult {
  const raw = JSON.parse(text) as {
    kind: string;
    record?: unknown;
    files?: { path: string; data: string }[];
    session_id?: string;
    reason?: string;
  };
  if (raw.kind === "record") {
    return {
      kind: "record",
      record: SessionRecordSchema.parse(raw.record),
      files: (raw.files ?? []).map((f) => ({ path: f.path, data: Buffer.from(f.data, "base64") })),
    };
  }
  if ((raw.kind === "skipped" || raw.kind === "failed") && typeof raw.session_id === "string") {
    return { kind: raw.kind, session_id: raw.session_id, reason: String(raw.reason ?? "") };
  }
  throw new Error(`unknown result entry kind ${JSON.stringify(raw.kind)}`);
}

/**
 * shopsim's state in Redis beside BullMQ's queue: each run's metadata (its manifest, for collecting
 * it later; whether it was cancelled), each run's result stream, and worker heartbeats. Used by the
 * coordinator, the workers, and the status / cancel / collect commands.
 */
export class FleetStore {
  readonly target: RedisTarget;
  readonly redis: Redis;
  readonly queue: Queue;
  readonly logger: Logger;

  private constructor(target: RedisTarget, redis: Redis, queue: Queue, logger: Logger) {
    this.target = target;
    this.redis = redis;
    this.queue = queue;
    this.logger = logger;
  }

  /** Connects (failing clearly when Redis does not answer in `timeoutMs`). */
  static async open(target: RedisTarget, logger: Logger, timeoutMs = 5000): Promise<FleetStore> {
    const redis = connect(target, logger, `${target.prefix}:store`);
    try {
      await waitForRedis(redis, target, timeoutMs);
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: target.prefix });
    queue.on("error", (err: Error) => logger.debug({ err: err.message }, "queue error"));
    return new FleetStore(target, redis, queue, logger);
  }

  keys(runId: string) {
    return runKeys(this.target.prefix, runId);
  }

  async writeMeta(meta: RunMeta): Promise<void> {
    const k = this.keys(meta.run_id);
    await this.redis
      .multi()
      .hset(k.meta, {
        run_id: meta.run_id,
        created_at: meta.created_at,
        planned: String(meta.planned),
        session_ids: JSON.stringify(meta.session_ids),
        manifest: JSON.stringify(meta.manifest),
      })
      .zadd(runsIndexKey(this.target.prefix), Date.parse(meta.created_at), meta.run_id)
      .exec();
  }

  async readMeta(runId: string): Promise<RunMeta | null> {
    const h = await this.redis.hgetall(this.keys(runId).meta);
    if (!h.run_id) return null;
    return {
      run_id: h.run_id,
      created_at: h.created_at ?? "",
      planned: Number(h.planned ?? 0),
      session_ids: h.session_ids ? (JSON.parse(h.session_ids) as string[]) : [],
      cancelled_at: h.cancelled_at ?? null,
      finished_at: h.finished_at ?? null,
      manifest: h.manifest ? (JSON.parse(h.manifest) as RunManifestInput | null) : null,
    };
  }

  async isCancelled(runId: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys(runId).meta, "cancelled_at")) === 1;
  }

  /** Adds a result to the run's stream (before the job is marked done, so none is ever lost). */
  async addResult(runId: string, result: JobResult): Promise<void> {
    const k = this.keys(runId);
    await this.redis
      .multi()
      .xadd(k.results, "*", "r", encodeResult(result))
      .sadd(k.ended, resultSessionId(result))
      .exec();
  }

  /** Session ids of the run with a result so far. */
  async ended(runId: string): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.keys(runId).ended));
  }

  /** Reads results after stream id `after`; waits up to `blockMs` for one when none is there. */
  async readResults(
    runId: string,
    after: string,
    blockMs: number | null,
    count = 100,
    reader: Redis = this.redis,
  ): Promise<{ last: string; results: JobResult[]; bad: number }> {
    const key = this.keys(runId).results;
    const reply =
      blockMs === null
        ? await reader.xread("COUNT", count, "STREAMS", key, after)
        : await reader.xread("COUNT", count, "BLOCK", blockMs, "STREAMS", key, after);
    let last = after;
    const results: JobResult[] = [];
    let bad = 0;
    for (const [, entries] of reply ?? []) {
      for (const [id, fields] of entries) {
        last = id;
        const text = fields[1];
        try {
          results.push(decodeResult(text ?? ""));
        } catch (error) {
          bad += 1;
          this.logger.warn(
            { run: runId, entry: id, err: (error as Error).message },
            "unreadable result entry",
          );
        }
      }
    }
    return { last, results, bad };
  }

  /** Marks a run cancelled and removes its jobs that have not started; returns how many were removed. */
  async cancel(runId: string, sessionIds: readonly string[]): Promise<number> {
    await this.redis.hset(this.keys(runId).meta, "cancelled_at", new Date().toISOString());
    let removed = 0;
    for (const ids of chunks(sessionIds, 200)) {
      const states = await Promise.all(ids.map((id) => this.queue.getJobState(id)));
      await Promise.all(
        ids.map(async (id, i) => {
          const s = states[i];
          if (s === "waiting" || s === "delayed" || s === "prioritized") {
            // A job a worker took meanwhile is locked: it stays and sees the flag.
            removed += (await this.queue.remove(id)) === 1 ? 1 : 0;
          }
        }),
      );
    }
    return removed;
  }

  /** The BullMQ state of each job (unknown: not in the queue). */
  async states(sessionIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const ids of chunks(sessionIds, 200)) {
      const states = await Promise.all(ids.map((id) => this.queue.getJobState(id)));
      for (const [i, id] of ids.entries()) out.set(id, states[i] ?? "unknown");
    }
    return out;
  }

  /** Notes that a run's coordinator is done with it; its keys expire after `keepSeconds`. */
  async markFinished(runId: string, keepSeconds: number): Promise<void> {
    const k = this.keys(runId);
    await this.redis
      .multi()
      .hset(k.meta, "finished_at", new Date().toISOString())
      .expire(k.meta, keepSeconds)
      .expire(k.results, keepSeconds)
      .expire(k.ended, keepSeconds)
      .exec();
  }

  async heartbeat(hb: WorkerHeartbeat): Promise<void> {
    await this.redis.set(`${this.target.prefix}:worker:${hb.id}`, JSON.stringify(hb), "EX", HEARTBEAT_TTL_S);
  }

  async dropHeartbeat(id: string): Promise<void> {
    await this.redis.del(`${this.target.prefix}:worker:${id}`);
  }

  /** Workers that sent a heartbeat in the last HEARTBEAT_TTL_S seconds. */
  async workers(): Promise<WorkerHeartbeat[]> {
    const out: WorkerHeartbeat[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        "MATCH",
        `${this.target.prefix}:worker:*`,
        "COUNT",
        200,
      );
      cursor = next;
      if (keys.length > 0) {
        for (const v of await this.redis.mget(...keys)) if (v) out.push(JSON.parse(v) as WorkerHeartbeat);
      }
    } while (cursor !== "0");
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The most recent runs, newest first. */
  async recentRuns(limit = 20): Promise<string[]> {
    return this.redis.zrevrange(runsIndexKey(this.target.prefix), 0, limit - 1);
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => {});
    this.redis.disconnect();
  }
}

export function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
