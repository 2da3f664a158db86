import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../src/contracts/errors.ts";
import type { RunManifestInput, SessionRecord } from "../src/contracts/trajectory.ts";
import { RUN_FILES, RunWriter, readRun } from "../src/trajectory/run-dir.ts";

const manifest = (): RunManifestInput => ({
  run_id: "run-1",
  status: "running",
  started_at: "2026-11-22T10:00:00.000Z",
  ended_at: null,
  seed: 7,
  config: { sessions: 2 },
  versions: { shopsim: "0.1.0", node: process.version, playwright: null },
  git_revision: null,
  shop: { url: "http://127.0.0.1:1", started_by_run: true, catalog: "builtin" },
  counts: { planned: 2, recorded: 0, by_status: {}, steps: 0 },
});

const record = (id: string, status: SessionRecord["status"]): SessionRecord => ({
  session_id: id,
  run_id: "run-1",
  persona: { id: "p1", name: "Pat" },
  scenario: { id: "s1", goal: { instruction: "buy a mug" } },
  variant: null,
  replica: 0,
  seed: 1,
  policy: { kind: "heuristic", model: null, prompt_version: null },
  status,
  reason: status === "purchased" ? "order O000001 placed" : "gave up",
  steps: [
    {
      index: 0,
      timestamp: "2026-11-22T10:00:01.000Z",
      url: "http://127.0.0.1:1/",
      observation: "<main></main>",
      rationale: "The goal asks for a mug, so I search for it.",
      action: { type: "type_and_submit", name: "search_input", text: "mug" },
      result: { ok: true, navigated: true },
      duration_ms: 120,
      timings: { observe_ms: 10, simplify_ms: 2, decide_ms: 1, act_ms: 100 },
    },
  ],
  outcome: { orders: [], goal_score: null, events: 3 },
  usage: {
    input_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
    calls: 0,
    retries: 0,
    cached_calls: 0,
    policy_ms: 1,
  },
  started_at: "2026-11-22T10:00:00.500Z",
  ended_at: "2026-11-22T10:00:02.000Z",
  duration_ms: 1500,
});

describe("run directory", () => {
  it("writes and reads back a run, with counts", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "shopsim-run-")), "out");
    const w = await RunWriter.create(dir, manifest());
    await w.appendSession(record("a", "purchased"));
    await w.appendSession(record("b", "terminated"));
    await w.finish("finished");
    await w.finish("finished");
    const run = await readRun(dir);
    expect(run.manifest).toMatchObject({
      status: "finished",
      counts: { recorded: 2, steps: 2, by_status: { purchased: 1, terminated: 1 } },
    });
    expect(run.manifest.ended_at).not.toBeNull();
    expect(run.sessions.map((s) => s.session_id)).toEqual(["a", "b"]);
  });

  it("leaves readable files when a run stops without finishing", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "shopsim-run-")), "out");
    const w = await RunWriter.create(dir, manifest());
    await w.appendSession(record("a", "aborted"));
    // No finish(): the manifest still says running, every written line is whole.
    await new Promise((r) => setTimeout(r, 50));
    const run = await readRun(dir);
    expect(run.manifest.status).toBe("running");
    expect(run.sessions).toHaveLength(1);
  });

  it("refuses to overwrite an earlier run and rejects invalid records", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "shopsim-run-")), "out");
    const w = await RunWriter.create(dir, manifest());
    await expect(RunWriter.create(dir, manifest())).rejects.toThrow(InputError);
    await expect(w.appendSession({ ...record("x", "purchased"), status: "won" as never })).rejects.toThrow();
    await w.finish("finished");
    expect(readFileSync(join(dir, RUN_FILES.sessions), "utf8")).toBe("");
  });

  it("names the file and line of a corrupt session record", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "shopsim-run-")), "out");
    const w = await RunWriter.create(dir, manifest());
    await w.appendSession(record("a", "purchased"));
    await w.finish("finished");
    appendFileSync(join(dir, RUN_FILES.sessions), '{"session_id": "broken"}\n');
    const error = await readRun(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(`${join(dir, RUN_FILES.sessions)}:2`);
    await expect(readRun(join(dir, "nope"))).rejects.toThrow(
      "is nope a run directory?".replace("nope", join(dir, "nope")),
    );
  });
});
