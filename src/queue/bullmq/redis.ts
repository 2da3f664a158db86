import { Redis } from "ioredis";
import { InputError } from "../../contracts/errors.ts";
import type { Logger } from "../../log.ts";

/** Where a fleet's queue lives: a Redis URL (password and `rediss://` TLS in it) and a key prefix. */
export interface RedisTarget {
  url: string;
  /** Every key the fleet writes starts with this, so deployments can share one Redis. */
  prefix: string;
}

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
export const DEFAULT_PREFIX = "shopsim";

/** The BullMQ queue every worker of a deployment pulls sessions from. */
export const QUEUE_NAME = "sessions";

/** Checks a Redis URL and prefix given by a user; `where` names the flag in errors. */
export function redisTarget(url: string, prefix: string, where = "--redis"): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(
      `${where} ${url}`,
      "expected a URL such as redis://127.0.0.1:6379 or rediss://:password@host:6380/0",
    );
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new InputError(
      `${where} ${redacted(url)}`,
      `expected redis:// or rediss:// (TLS), not ${parsed.protocol}//`,
    );
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new InputError(`--prefix ${prefix}`, "expected 1-64 letters, digits, '_', '-' or '.'");
  }
  return { url, prefix };
}

/** A Redis URL fit for logs and messages: the password is replaced. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(unparseable URL)";
  }
}

/** Reconnect delay after the n-th failed attempt: exponential from 100 ms, capped at 5 s, with jitter. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(5000, 100 * 2 ** Math.min(attempt, 10));
  return Math.round(base / 2 + (random() * base) / 2);
}

/**
 * A connection that rides out Redis going away: commands wait (no per-request retry cap, as BullMQ
 * requires) and are re-sent once it is back; reconnects back off exponentially. Errors are logged
 * once per outage rather than thrown, so a restart of Redis never crashes a worker or coordinator.
 */
export function connect(target: RedisTarget, logger: Logger, name: string): Redis {
  const redis = new Redis(target.url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: name,
    retryStrategy: (times) => reconnectDelayMs(times),
    lazyConnect: false,
  });
  let down = false;
  redis.on("error", (err: Error) => {
    if (!down)
      logger.warn({ redis: redacted(target.url), err: err.message }, "Redis connection lost; reconnecting");
    down = true;
  });
  redis.on("ready", () => {
    if (down) logger.info({ redis: redacted(target.url) }, "Redis connection back");
    down = false;
  });
  return redis;
}

/** Waits until Redis answers, or fails with a clear message after `timeoutMs`. */
export async function waitForRedis(redis: Redis, target: RedisTarget, timeoutMs = 5000): Promise<void> {
  const ping = redis.ping();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new InputError(
            `--redis ${redacted(target.url)}`,
            `Redis does not answer after ${Math.round(timeoutMs / 1000)} s; is it running (redis-server), and are the password and TLS (rediss://) right?`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([
      ping.catch((err: Error) => {
        // An answer that refuses us (WRONGPASS, NOAUTH, …) is the user's to fix, not a crash.
        throw new InputError(`--redis ${redacted(target.url)}`, `Redis refused: ${err.message}`);
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The keys shopsim keeps beside BullMQ's, for one run. */
export function runKeys(prefix: string, runId: string) {
  return {
    /** Hash: manifest (JSON), planned, created_at, cancelled, finished_at. */
    meta: `${prefix}:run:${runId}`,
    /** Stream of results (one entry per ended job), read by the coordinator and by collect. */
    results: `${prefix}:run:${runId}:results`,
    /** Set of the session ids with a result, for status without reading the records. */
    ended: `${prefix}:run:${runId}:ended`,
  };
}

/** Sorted set of run ids by creation time. */
export function runsIndexKey(prefix: string): string {
  return `${prefix}:runs`;
}
