import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildProgram } from "../src/cli/program.ts";
import { ROOT } from "./helpers/datasets.ts";

/**
 * No Docker engine runs here, so the deployment files are checked for what can go wrong without
 * one: every shopsim command and flag they use exists, every environment variable they set is one
 * the CLI reads, and every path the Dockerfile copies is in the repository.
 */

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
}

const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8")) as {
  services: Record<string, Service>;
};
const program = buildProgram();

function checkCommand(argv: string[]): void {
  const [name, ...rest] = argv;
  const command = program.commands.find((c) => c.name() === name);
  expect(command, `shopsim ${name}`).toBeDefined();
  const longs = new Set(command!.options.map((o) => o.long));
  for (const arg of rest) if (arg.startsWith("--")) expect(longs, `shopsim ${name} ${arg}`).toContain(arg);
}

function envNames(): Set<string> {
  const names = new Set<string>(["REDIS_URL", "OPENAI_API_KEY", "REDIS_PASSWORD"]);
  for (const c of program.commands) for (const o of c.options) if (o.envVar) names.add(o.envVar);
  return names;
}

describe("deployment files", () => {
  it("docker-compose.yml runs Redis with persistence, the shop, scalable workers and a CLI service, with flags shopsim has", () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(["cli", "redis", "shop", "worker"]);
    expect(s.redis!.command).toEqual(
      expect.arrayContaining(["--appendonly", "yes", "--maxmemory-policy", "noeviction"]),
    );
    checkCommand(s.shop!.command!);
    checkCommand(s.worker!.command!);
    // Scaling needs workers without fixed names or ports.
    expect(JSON.stringify(s.worker)).not.toMatch(/container_name|ports/);
    expect(s.worker!.environment!.REDIS_URL).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD:-\w+\}@redis:6379$/);
    const known = envNames();
    for (const [name, svc] of Object.entries(s)) {
      for (const key of Object.keys(svc.environment ?? {})) expect(known, `${name}: ${key}`).toContain(key);
    }
  });

  it("the Dockerfile copies what exists and starts the CLI", () => {
    const text = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    const copies = [...text.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
    expect(copies.length).toBeGreaterThan(3);
    for (const path of copies) expect(existsSync(join(ROOT, path)), path).toBe(true);
    expect(text).toMatch(/ENTRYPOINT \["node", "src\/cli\/main.ts"\]/);
    expect(existsSync(join(ROOT, "src/cli/main.ts"))).toBe(true);
    expect(text).toMatch(/^USER node$/m);
  });
});
