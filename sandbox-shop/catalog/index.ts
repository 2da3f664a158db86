import { InputError } from "../../src/contracts/errors.ts";
import { BUILTIN_DEFAULT_COUNT, generateBuiltinCatalog } from "./builtin.ts";
import type { Catalog } from "./types.ts";
import { loadWebShopCatalog } from "./webshop.ts";

export const CATALOG_SPEC_HELP =
  "builtin (2,000 generated products), builtin:N (N generated products), or webshop:PATH (a WebShop products JSONL file)";

/** Resolves a catalog spec from the command line or config: `builtin`, `builtin:100000`, `webshop:PATH`. */
export async function loadCatalog(spec: string, seed: number): Promise<Catalog> {
  if (spec === "builtin") return generateBuiltinCatalog({ seed, count: BUILTIN_DEFAULT_COUNT });
  if (spec.startsWith("builtin:")) {
    const n = Number(spec.slice("builtin:".length));
    if (!Number.isInteger(n) || n < 1) {
      throw new InputError(
        `--catalog ${spec}`,
        `expected builtin:N with N a positive whole number of products`,
      );
    }
    return generateBuiltinCatalog({ seed, count: n });
  }
  if (spec.startsWith("webshop:")) {
    const path = spec.slice("webshop:".length);
    if (path === "")
      throw new InputError(`--catalog ${spec}`, "expected webshop:PATH to a products JSONL file");
    return loadWebShopCatalog(path);
  }
  throw new InputError(`--catalog ${spec}`, `unknown catalog; expected ${CATALOG_SPEC_HELP}`);
}
