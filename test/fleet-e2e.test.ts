import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Order, ShopEventSchema } from "../src/contracts/shop.ts";
import type { SessionRecord } from "../src/contracts/trajectory.ts";
import { shopSessionOf } from "../src/queue/types.ts";
import { readRun } from "../src/trajectory/run-dir.ts";
import { ROOT } from "./helpers/datasets.ts";
import { dropPrefix, sharedRedis, uniquePrefix } from "./helpers/redis.ts";

/**
 * Fleets for real: `shopsim worker` processes with Chromium pull sessions from Redis while a
 * `shopsim run --redis` coordinator (which starts the built-in shop) writes the run directory.
 */

const MAIN = join(ROOT, "src/cli/main.ts");
const ENV = { ...process.env, SHOPSIM_LOG_LEVEL: "error" };
let redisUrl = "";
let disposeRedis = async () => {};
const prefixes: string[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  const r = await sharedRedis();
  redisUrl = r.url;
  disposeRedis = r.dispose;
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const p of prefixes) await dropPrefix(redisUrl, p).catch(() => {});
  await disposeRedis();
});

function prefix(label: string): string {
  const p = uniquePrefix(label);
  prefixes.push(p);
  return p;
}

function start(args: string[]): { proc: ChildProcess; exited: Promise<number | null>; out: () => string } {
  const proc = spawn(process.execPath, [MAIN, ...args], { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  children.push(proc);
  let text = "";
  proc.stdout?.on("data", (b: Buffer) => {
    text += b.toString();
  });
  proc.stderr?.on("data", (b: Buffer) => {
    text += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, exited, out: () => text };
}

function shopsim(...args: string[]) {
  const res = spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 240_000, env: ENV });
  if (res.status !== 0)
    throw new Error(`shopsim ${args[0]} failed (${res.status}): ${res.stderr}${res.stdout}`);
  return res;
}

function lines(path: string): number {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean).length : 0;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function orderEvents(dir: string): Order[] {
  return readFileSync(join(dir, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => ShopEventSchema.parse(JSON.parse(l)))
    .filter((e) => e.order)
    .map((e) => e.order as Order);
}

const ENDED = new Set(["purchased", "terminated", "max_steps", "max_time", "loop"]);
const jobOf = (s: SessionRecord) => s.session_id.split("-").at(-1)!;
const trajectory = (s: SessionRecord) =>
  s.steps.map((x) => ({
    url: new URL(x.url).pathname + new URL(x.url).search,
    action: x.action,
    rationale: x.rationale,
  }));

describe("a BullMQ fleet of worker processes on real Redis, with Chromium", () => {
  it("3 workers, 45 sessions, one worker killed -9 mid-run: every session recorded exactly once and complete, orders match; same seeds as in-process give the same trajectories", {
    timeout: 600_000,
  }, async () => {
    const p = prefix("kill");
    const base = mkdtempSync(join(tmpdir(), "shopsim-fleet-"));
    const out = join(base, "fleet");
    const workers = [0, 1, 2].map(() =>
      start([
        "worker",
        "--redis",
        redisUrl,
        "--prefix",
        p,
        "--concurrency",
        "2",
        "--browsers",
        "1",
        "--stalled-after",
        "3",
      ]),
    );
    const coordinator = start([
      "run",
      "--redis",
      redisUrl,
      "--prefix",
      p,
      "--run-id",
      "fleet45",
      "--sessions",
      "45",
      "--seed",
      "11",
      "--out",
      out,
    ]);
    await until("10 recorded sessions", () => lines(join(out, "sessions.jsonl")) >= 10, 300_000);
    workers[0]!.proc.kill("SIGKILL");
    const code = await coordinator.exited;
    expect(code, coordinator.out()).toBe(0);
    for (const w of workers.slice(1)) w.proc.kill("SIGTERM");
    expect(await workers[1]!.exited).toBe(0);
    expect(await workers[2]!.exited).toBe(0);

    const run = await readRun(out);
    expect(run.manifest.status).toBe("finished");
    expect(run.manifest.counts).toMatchObject({ planned: 45, recorded: 45 });
    const ids = run.sessions.map((s) => s.session_id);
    expect(new Set(ids).size).toBe(45);
    expect(ids.length).toBe(45);
    for (const s of run.sessions) {
      expect(ENDED.has(s.status), `${s.session_id}: ${s.status} ${s.reason}`).toBe(true);
      expect(s.steps.map((x) => x.index)).toEqual(s.steps.map((_, i) => i));
      expect(s.steps.length).toBeGreaterThan(0);
    }
    // The killed worker's sessions ran again from the start elsewhere.
    const rerun = run.sessions.filter((s) => (s.attempt ?? 1) > 1);
    expect(rerun.length).toBeGreaterThan(0);

    // Orders: each record's are exactly the shop's for its attempt; any other order belongs to an
    // attempt that was killed before it could be recorded.
    const orders = orderEvents(out);
    const byShopSession = new Map<string, Order[]>();
    for (const o of orders) byShopSession.set(o.session_id, [...(byShopSession.get(o.session_id) ?? []), o]);
    const recorded = new Map(run.sessions.map((s) => [s.session_id, s]));
    for (const s of run.sessions) {
      const shopSession = shopSessionOf({ session_id: s.session_id, attempt: s.attempt ?? 1 });
      expect(byShopSession.get(shopSession) ?? []).toEqual(s.outcome.orders);
    }
    for (const o of orders) {
      const [sid, a] = o.session_id.split(":a");
      const s = recorded.get(sid!);
      expect(s, o.session_id).toBeDefined();
      const attempt = a ? Number(a) : 1;
      if (attempt !== (s!.attempt ?? 1)) expect(attempt).toBeLessThan(s!.attempt ?? 1);
    }
    expect(run.sessions.some((s) => s.status === "purchased")).toBe(true);

    // The first 9 jobs of this plan, in process: the same trajectories.
    shopsim("run", "--sessions", "9", "--seed", "11", "--concurrency", "3", "--out", join(base, "local"));
    const local = await readRun(join(base, "local"));
    for (const s of local.sessions) {
      const f = run.sessions.find((x) => jobOf(x) === jobOf(s))!;
      expect(trajectory(f), s.session_id).toEqual(trajectory(s));
      expect(f.status).toBe(s.status);
    }
  });

  it("shopsim cancel stops a run (the run directory stays valid), status shows it, collect writes the same sessions", {
    timeout: 300_000,
  }, async () => {
    const p = prefix("cancel");
    const base = mkdtempSync(join(tmpdir(), "shopsim-fleet-cancel-"));
    const out = join(base, "run");
    const coordinator = start([
      "run",
      "--redis",
      redisUrl,
      "--prefix",
      p,
      "--workers",
      "1",
      "--concurrency",
      "1",
      "--run-id",
      "tocancel",
      "--sessions",
      "12",
      "--out",
      out,
    ]);
    await until("a first recorded session", () => lines(join(out, "sessions.jsonl")) >= 1, 120_000);
    const cancel = shopsim("cancel", "tocancel", "--redis", redisUrl, "--prefix", p);
    expect(cancel.stdout).toMatch(/run tocancel cancelled: \d+ waiting session\(s\) removed/);
    expect(await coordinator.exited).toBe(0);
    expect(coordinator.out()).toMatch(/cancelled, \d+ sessions did not start/);

    const run = await readRun(out);
    expect(run.manifest.status).toBe("aborted");
    expect(run.sessions.length).toBeGreaterThanOrEqual(1);
    expect(run.sessions.length).toBeLessThanOrEqual(3);
    expect(run.manifest.counts.recorded + run.manifest.counts.not_started).toBe(12);

    const status = shopsim("status", "tocancel", "--redis", redisUrl, "--prefix", p);
    expect(status.stdout).toMatch(/tocancel\s+cancelled/);
    shopsim("collect", "tocancel", "--redis", redisUrl, "--prefix", p, "--out", join(base, "collected"));
    const collected = await readRun(join(base, "collected"));
    expect(collected.sessions.map((s) => s.session_id).sort()).toEqual(
      run.sessions.map((s) => s.session_id).sort(),
    );
    expect(collected.manifest.status).toBe("aborted");
    expect(collected.manifest.counts.planned).toBe(12);
  });

  it("says clearly when Redis does not answer, when fleet flags come without --redis, and when a run is unknown", () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", timeout: 60_000, env: ENV });
    const down = run("run", "--redis", "redis://:hunter2@127.0.0.1:1", "--sessions", "1");
    expect(down.status).toBe(2);
    expect(down.stderr).toMatch(/--redis redis:\/\/:\*\*\*@127\.0\.0\.1:1: Redis does not answer/);
    expect(down.stderr).not.toContain("hunter2");
    expect(down.stderr).not.toMatch(/\n\s+at /);

    const noRedis = run("run", "--workers", "2", "--sessions", "1");
    expect(noRedis.status).toBe(2);
    expect(noRedis.stderr).toMatch(/--workers: only applies to a fleet run: add --redis URL/);

    const scheme = run("worker", "--redis", "http://127.0.0.1:6379");
    expect(scheme.status).toBe(2);
    expect(scheme.stderr).toMatch(/expected redis:\/\/ or rediss:\/\/ \(TLS\)/);

    const unknown = run("status", "no-such-run", "--redis", redisUrl, "--prefix", prefix("unknown"));
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/run no-such-run: not found in .* with prefix shopsim-test-unknown-/);
  });
});
