import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/**
 * Real Redis for tests. `sharedRedis()` answers REDIS_URL (default redis://127.0.0.1:6379) or, when
 * nothing answers there, a redis-server from PATH started on a free port for this test file. In CI
 * a missing redis-server is a failure, never a skip. `ownRedis()` always starts a private server
 * (with its own data directory) for tests that stop and restart it.
 */

export const DEFAULT_URL = "redis://127.0.0.1:6379";

async function answers(url: string): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  r.on("error", () => {});
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

export interface OwnRedis {
  url: string;
  port: number;
  /** Stops the server (SHUTDOWN saves the append-only file first when persistence is on). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  dispose(): Promise<void>;
}

function redisServerPath(): string {
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).stdout.trim();
  if (!found) {
    throw new Error(
      "redis-server is not on PATH and nothing answers at REDIS_URL: install Redis (apt-get install redis-server) or set REDIS_URL",
    );
  }
  return found;
}

/**
 * A private redis-server on a free port; `persist` turns on the append-only file (fsync always),
 * `password` requires AUTH (the returned URL carries it).
 */
export async function ownRedis(opts: { persist?: boolean; password?: string } = {}): Promise<OwnRedis> {
  const bin = redisServerPath();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "shopsim-redis-"));
  const url = opts.password ? `redis://:${opts.password}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`;
  let proc: ChildProcess | null = null;
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--daemonize",
    "no",
    ...(opts.persist ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
    ...(opts.password ? ["--requirepass", opts.password] : []),
  ];
  const start = async () => {
    proc = spawn(bin, args, { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    while (!(await answers(url))) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await exited;
  };
  await start();
  return {
    url,
    port,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<{ url: string; own: OwnRedis | null }> | null = null;

/** The Redis this test file uses: REDIS_URL's, or one started for it. */
export async function sharedRedis(): Promise<{ url: string; dispose(): Promise<void> }> {
  shared ??= (async () => {
    const url = process.env.REDIS_URL || DEFAULT_URL;
    if (await answers(url)) return { url, own: null };
    const own = await ownRedis();
    return { url: own.url, own };
  })();
  const s = await shared;
  return { url: s.url, dispose: async () => s.own?.dispose() };
}

/** A key prefix no other test uses. */
export function uniquePrefix(label: string): string {
  return `shopsim-test-${label}-${randomBytes(4).toString("hex")}`;
}

/** Removes every key under a prefix. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  r.on("error", () => {});
  try {
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== "0");
  } finally {
    r.disconnect();
  }
}
