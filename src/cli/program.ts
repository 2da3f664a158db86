import { Command, Option } from "commander";
import { stringify as toYaml } from "yaml";
import { CATALOG_SPEC_HELP, loadCatalog } from "../../sandbox-shop/catalog/index.ts";
import { generateGoals } from "../../sandbox-shop/goals.ts";
import { createShop } from "../../sandbox-shop/server.ts";
import { loadVariantsFile, parseFlagOverrides, VariantSet } from "../../sandbox-shop/variants.ts";
import { createLogger } from "../log.ts";
import { registerAbCommand } from "./ab-command.ts";
import { registerEvalCommands } from "./eval-commands.ts";
import { registerFleetCommands } from "./fleet-commands.ts";
import { integer } from "./options.ts";
import { registerPopulationCommands } from "./population-commands.ts";
import { registerRunCommand } from "./run-command.ts";
import { registerSimplifyCommand } from "./simplify-command.ts";

const collect = (value: string, previous: string[]) => [...previous, value];

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("shopsim")
    .description("Fleets of simulated shoppers: personas with goals driving a real browser through a shop.")
    .showHelpAfterError()
    // Options belong to the command they follow (\`ab analyze --alpha\` is analyze's, not ab's).
    .enablePositionalOptions()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command("shop")
    .description("Start the sandbox shop and print the URL it listens on.")
    .addOption(
      new Option("-p, --port <port>", "port, 0 for any free port")
        .default(8080)
        .argParser(integer("--port", 0, 65535))
        .env("SHOPSIM_SHOP_PORT"),
    )
    .addOption(
      new Option("--host <host>", "interface to listen on").default("127.0.0.1").env("SHOPSIM_SHOP_HOST"),
    )
    .addOption(
      new Option("-c, --catalog <spec>", CATALOG_SPEC_HELP).default("builtin").env("SHOPSIM_CATALOG"),
    )
    .addOption(
      new Option(
        "--variants <file>",
        "YAML/JSON file of named variants (sets of site flags) for A/B tests",
      ).env("SHOPSIM_VARIANTS"),
    )
    .addOption(
      new Option("--events <file>", "append one JSON line per shopper request to this file").env(
        "SHOPSIM_EVENTS",
      ),
    )
    .addOption(
      new Option("--seed <n>", "seed for the built-in catalog and featured products")
        .default(42)
        .argParser(integer("--seed", 0, 2 ** 31 - 1))
        .env("SHOPSIM_SEED"),
    )
    .option(
      "--flag <name=value>",
      "base site flag for every variant, repeatable (e.g. --flag promo_banner=true)",
      collect,
      [],
    )
    .addHelpText(
      "after",
      `
Examples:
  shopsim shop                                   # built-in catalog on http://127.0.0.1:8080
  shopsim shop --port 0 --catalog builtin:100000 # any free port, 100,000 products
  shopsim shop --catalog webshop:../shared/datasets/webshop-1k/products_1000.jsonl
  shopsim shop --variants examples/variants.yaml --events runs/events.jsonl
  shopsim shop --flag cookie_consent=true --flag out_of_stock=true`,
    )
    .action(
      async (opts: {
        port: number;
        host: string;
        catalog: string;
        variants?: string;
        events?: string;
        seed: number;
        flag: string[];
      }) => {
        const base = parseFlagOverrides(opts.flag);
        const variants = (
          opts.variants ? await loadVariantsFile(opts.variants, base) : VariantSet.single(base)
        ).withBuiltins(base);
        const started = Date.now();
        const catalog = await loadCatalog(opts.catalog, opts.seed);
        const shop = await createShop({
          catalog,
          variants,
          eventsPath: opts.events ?? null,
          seed: opts.seed,
          logger: createLogger(process.env.SHOPSIM_LOG_LEVEL ?? "info"),
        });
        const url = await shop.listen(opts.port, opts.host);
        console.error(
          `shopsim shop: ${catalog.products.length.toLocaleString("en-US")} products (${catalog.source}), variants ${variants.names().join(", ")}, ready in ${Date.now() - started} ms${opts.events ? `, events → ${opts.events}` : ""}`,
        );
        console.log(url);
        const stop = async () => {
          await shop.close();
          process.exit(0);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      },
    );

  program
    .command("goals")
    .description(
      "Generate WebShop-style shopping goals (instruction + structured target) from a catalog, as a scenarios file.",
    )
    .addOption(
      new Option("-c, --catalog <spec>", CATALOG_SPEC_HELP).default("builtin").env("SHOPSIM_CATALOG"),
    )
    .option("-n, --count <n>", "how many goals", integer("--count", 1, 100000), 10)
    .addOption(
      new Option("--seed <n>", "seed for the catalog and the goal picks")
        .default(42)
        .argParser(integer("--seed", 0, 2 ** 31 - 1))
        .env("SHOPSIM_SEED"),
    )
    .option("--json", "print one JSON scenario per line instead of a YAML scenarios file")
    .addHelpText(
      "after",
      `
Examples:
  shopsim goals --count 5 > scenarios/my-goals.yaml
  shopsim goals --catalog webshop:../shared/datasets/webshop-1k/products_1000.jsonl --json`,
    )
    .action(async (opts: { catalog: string; count: number; seed: number; json?: boolean }) => {
      const catalog = await loadCatalog(opts.catalog, opts.seed);
      const width = String(opts.count).length;
      const scenarios = generateGoals(catalog, { count: opts.count, seed: opts.seed }).map((goal, i) => ({
        id: `goal-${String(i + 1).padStart(width, "0")}`,
        goal,
      }));
      if (opts.json) for (const s of scenarios) console.log(JSON.stringify(s));
      else {
        console.log(
          `# ${scenarios.length} goals generated from ${catalog.source} (shopsim goals --seed ${opts.seed})`,
        );
        console.log(toYaml({ scenarios }, { lineWidth: 0 }).trimEnd());
      }
    });

  registerRunCommand(program);
  registerFleetCommands(program);
  registerPopulationCommands(program);
  registerEvalCommands(program);
  registerAbCommand(program);
  registerSimplifyCommand(program);
  return program;
}
