import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root, found from this file. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Path of a file in ../shared/datasets (beside the repository). A missing file throws: in CI the
 * datasets are always there, so their absence is a failure, never a skip.
 */
export function dataset(relative: string): string {
  const path = join(ROOT, "..", "shared", "datasets", relative);
  if (!existsSync(path)) {
    throw new Error(
      `dataset file missing: ${path} (tests read real data from ../shared/datasets beside the repository)`,
    );
  }
  return path;
}
