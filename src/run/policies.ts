import type { Logger } from "../log.ts";
import { HeuristicShopper } from "../policy/heuristic/shopper.ts";
import { LlmClient } from "../policy/llm/client.ts";
import type { LlmSettings } from "../policy/llm/config.ts";
import { LlmPolicy } from "../policy/llm/policy.ts";
import { ReplayPolicy } from "../policy/replay.ts";
import type { Policy } from "../policy/types.ts";
import type { SessionJob } from "../queue/types.ts";

/**
 * Builds each job's policy from the job's policy spec. LLM clients are shared by every job with the
 * same settings, so one process keeps one rate limiter and one cache per model configuration. A
 * worker reads the API key from its own environment (the variable the settings name); the
 * coordinator may hand over the client it built from its flags.
 */
export class PolicyFactory {
  readonly #clients = new Map<string, LlmClient>();
  readonly #logger: Logger;
  readonly #env: NodeJS.ProcessEnv;

  /** `env` is where workers find API keys (the CLI passes process.env). */
  constructor(opts: { logger: Logger; env: NodeJS.ProcessEnv; clients?: readonly LlmClient[] }) {
    this.#logger = opts.logger;
    this.#env = opts.env;
    for (const c of opts.clients ?? []) this.#clients.set(keyOf(c.settings), c);
  }

  make = (job: SessionJob): Policy => {
    const spec = job.policy;
    switch (spec.kind) {
      case "heuristic":
        return new HeuristicShopper(job.persona, job.scenario, job.seed);
      case "replay":
        return new ReplayPolicy(spec.steps);
      case "llm":
        return new LlmPolicy(this.#client(spec.settings), job.seed);
    }
  };

  #client(settings: LlmSettings): LlmClient {
    const key = keyOf(settings);
    let client = this.#clients.get(key);
    if (!client) {
      const apiKey = this.#env[settings.api_key_env] || undefined;
      client = new LlmClient({ settings, apiKey, logger: this.#logger });
      this.#clients.set(key, client);
    }
    return client;
  }
}

function keyOf(settings: LlmSettings): string {
  return JSON.stringify(settings, Object.keys(settings).sort());
}
