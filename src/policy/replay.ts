import { z } from "zod";
import { type Action, ActionSchema } from "../contracts/action.ts";
import { describeZodError, InputError } from "../contracts/errors.ts";
import type { DecideInput, Decision, Policy } from "./types.ts";

export const ReplayStepSchema = z
  .object({ action: ActionSchema, rationale: z.string().default("") })
  .strict();
export type ReplayStep = z.infer<typeof ReplayStepSchema>;

/**
 * Follows a recorded list of actions, one per step, whatever the page shows; once the list is used
 * up it terminates. Used to replay human logs and as a deterministic policy in regression tests.
 */
export class ReplayPolicy implements Policy {
  readonly kind = "replay";
  readonly model = null;
  readonly promptVersion = null;
  readonly steps: readonly ReplayStep[];

  constructor(steps: readonly ReplayStep[]) {
    this.steps = steps;
  }

  /** Validates raw data (e.g. a JSON file) into a replay policy; `where` names the source in errors. */
  static from(data: unknown, where: string): ReplayPolicy {
    const parsed = z.array(ReplayStepSchema).safeParse(data);
    if (!parsed.success) throw new InputError(where, describeZodError(parsed.error));
    return new ReplayPolicy(parsed.data);
  }

  async decide(input: DecideInput): Promise<Decision> {
    const next = this.steps[input.history.length];
    if (!next) {
      const action: Action = { type: "terminate" };
      return {
        rationale: `The recorded log has ${this.steps.length} actions and all were replayed.`,
        action,
      };
    }
    return {
      rationale: next.rationale || `Replaying recorded action ${input.history.length + 1}.`,
      action: next.action,
    };
  }
}
