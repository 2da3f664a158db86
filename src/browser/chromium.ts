import { existsSync } from "node:fs";
import { chromium, type LaunchOptions } from "playwright";
import { InputError } from "../contracts/errors.ts";

/** System Chromium/Chrome builds tried when Playwright's own browser is not installed. */
export const SYSTEM_CHROMIUM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

export interface ChromiumChoice {
  /** undefined means Playwright's own bundled Chromium. */
  executablePath: string | undefined;
  source: "SHOPSIM_CHROMIUM" | "playwright" | "system";
}

/**
 * Picks the browser: an explicit path (SHOPSIM_CHROMIUM) wins; then Playwright's own Chromium when
 * `npx playwright install chromium` has been run; then a system Chromium. Throws an InputError that
 * says how to fix it when there is none.
 */
export function findChromium(explicit: string | undefined): ChromiumChoice {
  if (explicit) {
    if (!existsSync(explicit)) {
      throw new InputError(
        "SHOPSIM_CHROMIUM",
        `no browser at ${explicit}; expected the path of a Chromium or Chrome executable`,
      );
    }
    return { executablePath: explicit, source: "SHOPSIM_CHROMIUM" };
  }
  try {
    if (existsSync(chromium.executablePath())) return { executablePath: undefined, source: "playwright" };
  } catch {
    // Playwright throws when it has no browser registry entry; fall through to the system.
  }
  const system = SYSTEM_CHROMIUM_PATHS.find((p) => existsSync(p));
  if (system) return { executablePath: system, source: "system" };
  throw new InputError(
    "browser",
    "no Chromium found. Run `npx playwright install chromium`, install your system's chromium package, or set SHOPSIM_CHROMIUM to a Chromium/Chrome executable",
  );
}

/** Launch options that work offline and as root: no sandbox when root, no background networking. */
export function chromiumLaunchOptions(choice: ChromiumChoice, extra: LaunchOptions = {}): LaunchOptions {
  const args = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
    ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
    ...(extra.args ?? []),
  ];
  return {
    headless: true,
    // Playwright's own signal handlers would close the browsers and exit the process at once, racing
    // the runner's orderly stop (record running sessions as aborted, write the manifest): the caller
    // owns signals and closes the pool itself.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    ...extra,
    args,
    ...(choice.executablePath ? { executablePath: choice.executablePath } : {}),
  };
}
