import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./datasets.ts";

/**
 * Runs `shopsim ARGS` in a child process without blocking this one, so a test shop served from this
 * process goes on answering. Resolves with its standard output; rejects (with its stderr) when it
 * exits non-zero or outlives `timeoutMs`.
 */
export async function shopsimAsync(args: readonly string[], timeoutMs = 540_000): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    timeout: timeoutMs,
    env: { ...process.env, SHOPSIM_LOG_LEVEL: "error" },
  });
  return stdout;
}
