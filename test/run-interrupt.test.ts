import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ShopEventSchema } from "../src/contracts/shop.ts";
import { SessionRecordSchema, StepSchema } from "../src/contracts/trajectory.ts";
import { RUN_FILES, readManifest, readRun, readSessions } from "../src/trajectory/run-dir.ts";
import { ROOT } from "./helpers/datasets.ts";

const SESSIONS = 6;
/** Shop page views (both running sessions together) to wait for: a few steps are done by then. */
const EVENTS_BEFORE_INTERRUPT = 8;
const EXIT_BUDGET_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Complete lines of the shop's event log (one per page a shopper's browser loaded). */
function eventLines(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8");
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter(Boolean);
}

describe("shopsim run, interrupted with Ctrl-C", () => {
  it("stops within a bounded time with exit code 130, records the running sessions as aborted and leaves a readable run marked aborted", {
    timeout: 90_000,
  }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), "shopsim-interrupt-")), "run");
    const eventsPath = join(out, RUN_FILES.events);
    // A process group of its own, so the signal goes to the group as a terminal's Ctrl-C does.
    // (Playwright starts each Chromium in a group of its own, so they are not signalled directly.)
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "src/cli/main.ts"),
        "run",
        "--sessions",
        String(SESSIONS),
        "--concurrency",
        "2",
        "--out",
        out,
        "--seed",
        "5",
      ],
      {
        cwd: ROOT,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, SHOPSIM_LOG_LEVEL: "error" },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const state: { exit: { code: number | null; signal: NodeJS.Signals | null } | null } = { exit: null };
    const exited = new Promise<NonNullable<typeof state.exit>>((resolve) =>
      child.once("exit", (code, signal) => {
        state.exit = { code, signal };
        resolve(state.exit);
      }),
    );

    try {
      // Running sessions: the progress line printed when the first session starts, and shop page
      // views from the shoppers' browsers (written as each page is served).
      const waitStarted = Date.now();
      while (
        !(
          stderr.includes(`sessions 0/${SESSIONS},`) &&
          eventLines(eventsPath).length >= EVENTS_BEFORE_INTERRUPT
        )
      ) {
        if (state.exit)
          throw new Error(
            `shopsim run ended before it was interrupted: ${JSON.stringify(state.exit)}\n${stderr}`,
          );
        if (Date.now() - waitStarted > 45_000)
          throw new Error(`no running sessions after 45 s\nstderr: ${stderr}`);
        await sleep(50);
      }
      expect(existsSync(join(out, RUN_FILES.manifest))).toBe(true);
      expect((await readManifest(out)).status).toBe("running");
      const startedBeforeInterrupt = new Set(
        eventLines(eventsPath).map((l) => ShopEventSchema.parse(JSON.parse(l)).session_id),
      );
      expect(startedBeforeInterrupt.size).toBeGreaterThan(0);

      const interruptedAt = Date.now();
      process.kill(-child.pid!, "SIGINT");
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        exited,
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), EXIT_BUDGET_MS);
        }),
      ]);
      clearTimeout(timer);
      const stopMs = Date.now() - interruptedAt;
      expect(result, `shopsim run still running ${EXIT_BUDGET_MS} ms after SIGINT\n${stderr}`).not.toBeNull();
      expect(result, stderr).toEqual({ code: 130, signal: null });
      process.stderr.write(`shopsim run stopped ${stopMs} ms after SIGINT\n`);

      // Playwright's own SIGINT handler also exits with 130, so the code alone does not show a clean
      // stop: the CLI's handler ran, said so without a stack trace, and got to its summary.
      expect(stderr).toContain("shopsim run: stopping; running sessions are recorded as aborted");
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stdout).toMatch(/: \d+ sessions in [\d.]+ s \(.*aborted \d+/);

      // The run directory reads back whole with the reader API.
      const { manifest, sessions } = await readRun(out);
      const streamed = [];
      for await (const s of readSessions(out)) streamed.push(s);
      expect(streamed).toEqual(sessions);
      expect(manifest.status).toBe("aborted");
      expect(manifest.ended_at).not.toBeNull();
      expect(manifest.counts.planned).toBe(SESSIONS);
      expect(manifest.counts.recorded).toBe(sessions.length);
      expect(manifest.counts.steps).toBe(sessions.reduce((n, s) => n + s.steps.length, 0));
      const byStatus: Record<string, number> = {};
      for (const s of sessions) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
      expect(manifest.counts.by_status).toEqual(byStatus);

      // Every line of the sessions file is one complete, schema-valid record, each session once.
      const lines = readFileSync(join(out, RUN_FILES.sessions), "utf8").split("\n");
      expect(lines.at(-1)).toBe("");
      expect(lines.slice(0, -1)).toHaveLength(sessions.length);
      for (const line of lines.slice(0, -1)) SessionRecordSchema.parse(JSON.parse(line));
      const ids = sessions.map((s) => s.session_id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const s of sessions) {
        expect(s.run_id).toBe(manifest.run_id);
        expect(s.session_id).toMatch(new RegExp(`^${manifest.run_id}-j\\d{5}$`));
      }

      // Interrupted: not every planned session ran, and the running ones were recorded as aborted.
      expect(sessions.length).toBeGreaterThan(0);
      expect(sessions.length).toBeLessThan(SESSIONS);
      const aborted = sessions.filter((s) => s.status === "aborted");
      expect(aborted.length).toBeGreaterThan(0);
      for (const s of aborted) expect(s.reason).toContain("interrupted by the user");
      // The sessions were stopped mid-way: at least one aborted session had taken steps.
      expect(aborted.some((s) => s.steps.length > 0)).toBe(true);

      // An aborted record holds only whole steps, numbered from 0, each with its action and result.
      for (const s of aborted) {
        s.steps.forEach((step, i) => {
          expect(StepSchema.parse(step)).toEqual(step);
          expect(step.index).toBe(i);
          expect(step.action?.type).toBeTypeOf("string");
          expect(typeof step.result.ok).toBe("boolean");
          expect(step.rationale.length).toBeGreaterThan(0);
        });
      }

      // A session that never reached the shop before Ctrl-C is not recorded as anything but aborted
      // with no steps (and so never as purchased); a purchase is backed by an order and its steps.
      const startedBySession = new Set(
        eventLines(eventsPath).map((l) => ShopEventSchema.parse(JSON.parse(l)).session_id),
      );
      for (const s of sessions) {
        const reachedShop = startedBySession.has(s.session_id);
        if (!reachedShop || s.steps.length === 0) {
          expect(s.status, s.session_id).toBe("aborted");
          expect(s.steps, s.session_id).toEqual([]);
          expect(s.outcome.orders, s.session_id).toEqual([]);
        }
        if (Date.parse(s.started_at) > interruptedAt) {
          expect(s.status, s.session_id).toBe("aborted");
          expect(s.steps, s.session_id).toEqual([]);
        }
        if (s.status === "purchased") {
          expect(startedBeforeInterrupt.has(s.session_id), s.session_id).toBe(true);
          expect(s.outcome.orders.length, s.session_id).toBeGreaterThan(0);
          expect(s.steps.length, s.session_id).toBeGreaterThan(0);
        }
      }
      // No session that had reached the shop is missing from the run.
      for (const id of startedBySession) expect(ids, id).toContain(id);
    } finally {
      if (state.exit === null) {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  });
});
