import type { z } from "zod";

/**
 * Base of shopsim's error hierarchy. `retryable` tells a queue whether running the same job again
 * can help; `userFacing` tells the CLI to print the message alone, without a stack trace.
 */
export class ShopsimError extends Error {
  readonly retryable: boolean = false;
  readonly userFacing: boolean = false;
}

/**
 * Bad input from a user: a file, a flag, a field. The message names where the problem is
 * (file, line, field path or flag), the value, and what was expected.
 */
export class InputError extends ShopsimError {
  override readonly userFacing = true;
  readonly where: string;

  constructor(where: string, problem: string) {
    super(`${where}: ${problem}`);
    this.name = "InputError";
    this.where = where;
  }
}

/** Renders a zod error as one line per issue: `field.path: message`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join(".") : "(top level)";
      return `${path}: ${issue.message}`;
    })
    .join("; ");
}

/** Parses `value` with `schema`, or throws an InputError naming `where` and every failed field. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InputError(where, describeZodError(result.error));
  return result.data;
}
