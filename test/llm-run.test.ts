import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadYamlFile } from "../src/config/files.ts";
import { loadPersonas } from "../src/config/population.ts";
import { type Persona, ScenarioFileSchema } from "../src/contracts/scenario.ts";
import { HeuristicShopper } from "../src/policy/heuristic/shopper.ts";
import { PROMPT_VERSION } from "../src/policy/llm/prompt.ts";
import { readRun } from "../src/trajectory/run-dir.ts";
import { ROOT } from "./helpers/datasets.ts";
import { type OpenAIServer, type RecordedRequest, startOpenAIServer } from "./helpers/openai-server.ts";

/**
 * `shopsim run --policy llm` end to end: real Chromium on the built-in shop, the real openai client,
 * and a scripted model server on loopback. The script reads the current page out of the prompt it
 * receives (the page the policy sent, between "(current)" and the question) and answers what the
 * built-in shopper would do there, so a whole purchase goes through the LLM path: prompt → HTTP →
 * JSON reply → validation → browser.
 */
const MAIN = join(ROOT, "src/cli/main.ts");
const KEY = "sk-never-written-anywhere-42";

const personas = [...(await loadPersonas()).values()];
const { scenarios } = await loadYamlFile(join(ROOT, "scenarios/builtin-goals.yaml"), ScenarioFileSchema);
const scenario = scenarios.find((s) => s.id === "goal-02")!;
// Persona names are in the system prompt ("Name: …"); the script looks them up to role-play them.
const byName = new Map<string, Persona>(personas.map((p) => [p.name, p]));

const base = mkdtempSync(join(tmpdir(), "shopsim-llm-run-"));
const scenarioFile = join(base, "scenarios.yaml");
writeFileSync(scenarioFile, JSON.stringify({ scenarios: [scenario] }));

function currentPage(req: RecordedRequest): { url: string; html: string; names: string[] } {
  const last = req.messages.at(-1)?.content ?? "";
  const m = /Page \d+ \(current\)\nURL: (\S+)\nTitle: [^\n]*\n\n([\s\S]*)\n\nWhat do you do next\?/.exec(
    last,
  );
  if (!m) throw new Error(`no current page in the prompt: ${last.slice(0, 200)}`);
  const html = m[2]!;
  return { url: m[1]!, html, names: [...html.matchAll(/ name="([^"]+)"/g)].map((x) => x[1]!) };
}

/** A scripted model: one built-in shopper per session (by seed), answering as JSON. */
function shopperScript() {
  const shoppers = new Map<number, HeuristicShopper>();
  return async (req: RecordedRequest) => {
    const system = req.messages[0]?.content ?? "";
    const persona = byName.get(/^Name: (.+)$/m.exec(system)?.[1] ?? "");
    if (!persona) throw new Error("the system prompt names no known persona");
    const seed = req.body.seed as number;
    let shopper = shoppers.get(seed);
    if (!shopper) {
      shopper = new HeuristicShopper(persona, scenario, seed);
      shoppers.set(seed, shopper);
    }
    const page = currentPage(req);
    const d = await shopper.decide({
      persona,
      scenario,
      history: req.messages.filter((m) => m.role === "assistant") as never[],
      observation: { url: page.url, title: "", html: page.html, names: page.names },
      signal: new AbortController().signal,
    });
    return { content: JSON.stringify({ rationale: d.rationale, action: d.action }) };
  };
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function shopsim(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...process.env, SHOPSIM_LOG_LEVEL: "warn", OPENAI_API_KEY: KEY, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const servers: OpenAIServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const common = (server: OpenAIServer) => [
  "run",
  "--policy",
  "llm",
  "--base-url",
  server.url,
  "--model",
  "scripted-model",
  "--scenarios",
  scenarioFile,
  "--seed",
  "3",
  "--temperature",
  "0.7",
];

describe("shopsim run --policy llm", () => {
  it("buys through the LLM path, records usage per step, keeps the key out of every file, and replays from the cache with the server gone", {
    timeout: 300_000,
  }, async () => {
    const server = await startOpenAIServer(shopperScript(), { apiKey: KEY });
    servers.push(server);
    const cache = join(base, "cache");
    const out = join(base, "recorded");
    const first = await shopsim([
      ...common(server),
      "--sessions",
      "2",
      "--concurrency",
      "2",
      "--out",
      out,
      "--llm-cache",
      cache,
      "--llm-cache-mode",
      "record",
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/model usage: \d+ calls \(0 from the cache, 0 retries\)/);
    const run = await readRun(out);
    expect(run.sessions).toHaveLength(2);
    for (const s of run.sessions) {
      expect(s.status, s.reason).toBe("purchased");
      expect(s.outcome.orders).toHaveLength(1);
      expect(s.policy).toMatchObject({
        kind: "llm",
        model: "scripted-model",
        prompt_version: PROMPT_VERSION,
        params: { temperature: 0.7, seed: s.seed, context: "last-k" },
      });
      for (const step of s.steps) {
        expect(step.usage?.calls).toBe(1);
        expect(step.usage?.per_call?.map((c) => c.purpose)).toEqual(["decide"]);
        expect(step.usage?.prompt_tokens).toBeGreaterThan(100);
        if (step.action && "name" in step.action)
          expect(step.observation).toContain(`name="${step.action.name}"`);
      }
      expect(s.usage.calls).toBe(s.steps.length);
      expect(s.usage.input_tokens).toBe(s.steps.reduce((n, st) => n + (st.usage?.prompt_tokens ?? 0), 0));
      expect(s.usage.cost_usd).toBeNull();
    }
    const calls = run.sessions.reduce((n, s) => n + s.usage.calls, 0);
    expect(server.chatRequests()).toHaveLength(calls);
    expect(run.manifest.usage).toMatchObject({ calls, cached_calls: 0 });
    expect(run.manifest.config).toMatchObject({ llm: { model: "scripted-model", temperature: 0.7 } });
    for (const file of ["manifest.json", "sessions.jsonl", "events.jsonl"]) {
      expect(readFileSync(join(out, file), "utf8")).not.toContain(KEY);
    }
    expect(first.stdout + first.stderr).not.toContain(KEY);

    // Replay: the server is gone; every reply comes from the cache and the trajectories repeat.
    await server.close();
    const replayOut = join(base, "replayed");
    const again = await shopsim([
      ...common(server),
      "--sessions",
      "2",
      "--concurrency",
      "2",
      "--out",
      replayOut,
      "--llm-cache",
      cache,
      "--llm-cache-mode",
      "replay",
    ]);
    expect(again.code, again.stderr).toBe(0);
    const replayed = await readRun(replayOut);
    const actions = (r: typeof run) =>
      r.sessions
        .map((s) => ({ persona: s.persona.id, seed: s.seed, actions: s.steps.map((st) => st.action) }))
        .sort((a, b) => a.seed - b.seed);
    expect(actions(replayed)).toEqual(actions(run));
    expect(replayed.manifest.usage).toMatchObject({ calls, cached_calls: calls });
    expect(replayed.sessions.map((s) => s.status)).toEqual(["purchased", "purchased"]);
  });

  it("stops at the run's token budget: the running session ends budget_exceeded and no new one starts", {
    timeout: 120_000,
  }, async () => {
    const server = await startOpenAIServer(shopperScript(), { apiKey: KEY });
    servers.push(server);
    const out = join(base, "budget");
    const res = await shopsim([
      ...common(server),
      "--sessions",
      "3",
      "--concurrency",
      "1",
      "--out",
      out,
      "--max-tokens",
      "5000",
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/budget: run token budget of 5,000 reached .*; 2 sessions did not start/);
    const run = await readRun(out);
    expect(run.sessions).toHaveLength(1);
    const [s] = run.sessions;
    expect(s?.status).toBe("budget_exceeded");
    expect(s!.usage.input_tokens + s!.usage.output_tokens).toBeGreaterThanOrEqual(5000);
    expect(run.manifest.counts).toMatchObject({ planned: 3, recorded: 1, not_started: 2 });
    expect(run.manifest.budget).toMatchObject({
      max_tokens: 5000,
      exceeded: expect.stringMatching(/run token budget/),
    });
    expect(server.chatRequests()).toHaveLength(s!.steps.length);
  });

  it("refuses a dollar budget without a price, and a missing model, before anything starts", async () => {
    const server = await startOpenAIServer(() => ({ status: 500 }), { apiKey: KEY });
    servers.push(server);
    const noPrice = await shopsim([...common(server), "--max-cost", "1", "--out", join(base, "x")]);
    expect(noPrice.code).toBe(2);
    expect(noPrice.stderr).toMatch(/--max-cost: no price is known for model "scripted-model"/);
    const noModel = await shopsim(["run", "--policy", "llm", "--out", join(base, "y")]);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toMatch(/--model: --policy llm needs a model/);
    expect(server.requests).toHaveLength(0);
  });
});
