import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { InputError } from "../contracts/errors.ts";
import { simplify } from "../simplify/index.ts";
import { countTokens, TOKENIZER } from "../tokens.ts";

const FETCH_TIMEOUT_MS = 15_000;

/** Reads a page from a file or an http(s) URL; failures name the file or URL and say what to check. */
async function readPage(source: string): Promise<{ html: string; url: string }> {
  if (/^https?:\/\//i.test(source)) {
    let res: Response;
    try {
      res = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: "follow" });
    } catch (error) {
      const reason =
        error instanceof Error && error.name === "TimeoutError"
          ? `no answer within ${FETCH_TIMEOUT_MS / 1000} s`
          : `could not be fetched (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)})`;
      throw new InputError(source, `${reason}. Check that the URL is right and the site is running.`);
    }
    const html = await res.text();
    if (!res.ok)
      process.stderr.write(
        `shopsim simplify: ${source} answered HTTP ${res.status}; simplifying that page anyway.\n`,
      );
    return { html, url: res.url || source };
  }
  try {
    return { html: await readFile(source, "utf8"), url: pathToFileURL(resolve(source)).href };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === "ENOENT"
        ? "no such file. Give a path to a saved HTML page or an http(s):// URL."
        : code === "EISDIR"
          ? "is a directory, not an HTML file."
          : `cannot be read (${(error as Error).message}).`;
    throw new InputError(source, problem);
  }
}

/** `shopsim simplify <FILE|URL> [--json]`: what a policy would read on that page. */
export function registerSimplifyCommand(program: Command): void {
  program
    .command("simplify")
    .description(
      "Print the simplified HTML a policy reads for a page (a saved file or a URL), every control named.",
    )
    .argument("<source>", "an HTML file, or an http(s):// URL to fetch")
    .option(
      "--json",
      "print {url, title, html, elements, stats} as JSON instead of the HTML (stats: characters and o200k_base tokens, raw vs simplified)",
    )
    .option("--max-name-length <n>", "longest element name, in characters", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 10 || n > 1000) {
        throw new InputError("--max-name-length", `must be a whole number from 10 to 1000, got "${v}".`);
      }
      return n;
    })
    .addHelpText(
      "after",
      `
Examples:
  shopsim simplify page.html                          # simplified HTML of a saved page
  shopsim simplify http://127.0.0.1:8080/search?q=mug --json | jq '.elements | keys'
  shopsim simplify https://shop.example/cart --max-name-length 60`,
    )
    .action(async (source: string, opts: { json?: boolean; maxNameLength?: number }) => {
      const { html, url } = await readPage(source);
      const page = simplify(html, url, opts.maxNameLength ? { maxNameLength: opts.maxNameLength } : {});
      if (!opts.json) {
        console.log(page.html);
        return;
      }
      const rawTokens = countTokens(html);
      const simplifiedTokens = countTokens(page.html);
      const stats = {
        raw_chars: html.length,
        simplified_chars: page.html.length,
        tokenizer: TOKENIZER,
        raw_tokens: rawTokens,
        simplified_tokens: simplifiedTokens,
        token_ratio: rawTokens === 0 ? 0 : Number((simplifiedTokens / rawTokens).toFixed(4)),
        elements: Object.keys(page.elements).length,
      };
      console.log(JSON.stringify({ ...page, stats }, null, 2));
    });
}
