#!/usr/bin/env node
import { ShopsimError } from "../contracts/errors.ts";
import { buildProgram } from "./program.ts";

/** The only place that turns errors into exit codes: user mistakes get one line, bugs get a stack. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof ShopsimError && error.userFacing) {
      console.error(`shopsim: ${error.message}`);
      process.exitCode = 2;
      return;
    }
    console.error(error);
    process.exitCode = 1;
  }
}

await main(process.argv);
