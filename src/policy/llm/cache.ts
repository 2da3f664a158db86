import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ShopsimError } from "../../contracts/errors.ts";
import type { CacheMode } from "./config.ts";

/** What a cache entry holds: the request as sent (no secrets) and what came back. */
export interface CachedExchange {
  key: string;
  request: Record<string, unknown>;
  response: CachedResponse;
  recorded_at: string;
}

export interface CachedResponse {
  content: string | null;
  tool_arguments: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  model: string;
}

/** A replay-mode request that was never recorded. Not retryable: the run differs from the recorded one. */
export class LlmCacheMissError extends ShopsimError {
  override readonly userFacing = true;
  constructor(dir: string, key: string) {
    super(
      `--llm-cache ${dir} (mode replay) has no recorded reply for request ${key.slice(0, 12)}; the prompt, model, settings or pages differ from the recorded run. Use --llm-cache-mode auto to call the model for requests not recorded.`,
    );
    this.name = "LlmCacheMissError";
  }
}

/** Canonical JSON: object keys sorted, so equal requests hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * A content-addressed store of model requests and replies on disk: one JSON file per request, named
 * by the SHA-256 of the request body (model, messages, settings, seed; never the key or the server
 * URL, so a recording replays against any server). `record` always calls the model and stores the
 * reply, `replay` never calls it (a miss is an error), `auto` calls it only for misses.
 */
export class LlmCache {
  readonly dir: string;
  readonly mode: CacheMode;

  constructor(dir: string, mode: CacheMode) {
    this.dir = dir;
    this.mode = mode;
  }

  static keyOf(request: Record<string, unknown>): string {
    return createHash("sha256").update(canonical(request)).digest("hex");
  }

  #path(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** The recorded reply, or null (always null in record mode, which re-asks the model). */
  async get(key: string): Promise<CachedResponse | null> {
    if (this.mode === "record") return null;
    try {
      const entry = JSON.parse(await readFile(this.#path(key), "utf8")) as CachedExchange;
      return entry.response;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        if (this.mode === "replay") throw new LlmCacheMissError(this.dir, key);
        return null;
      }
      throw new ShopsimError(
        `--llm-cache ${this.dir}: entry ${this.#path(key)} cannot be read (${(err as Error).message}); delete it to record it again`,
      );
    }
  }

  async put(key: string, request: Record<string, unknown>, response: CachedResponse): Promise<void> {
    const path = this.#path(key);
    await mkdir(join(this.dir, key.slice(0, 2)), { recursive: true });
    const entry: CachedExchange = { key, request, response, recorded_at: new Date().toISOString() };
    // Write then rename, so a concurrent reader never sees half a file.
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, `${JSON.stringify(entry, null, 1)}\n`);
    await rename(tmp, path);
  }
}
