import { InvalidArgumentError } from "commander";

/** A commander argument parser for a whole number in [min, max], naming the flag when it is not. */
export function integer(name: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}, got "${value}".`);
    }
    return n;
  };
}

/**
 * Extra Chromium flags from the environment: SHOPSIM_NO_SANDBOX=1 turns Chromium's sandbox off for
 * non-root users in containers, where the container is the sandbox (see the Dockerfile).
 */
export function browserArgsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.SHOPSIM_NO_SANDBOX === "1" ? ["--no-sandbox"] : [];
}
