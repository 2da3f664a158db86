import { z } from "zod";

/**
 * What a shopper is asked to buy. `instruction` is the natural-language task a persona reads;
 * `target` is the optional structured form a purchase is scored against (WebShop-style reward).
 */
export const GoalTargetSchema = z
  .object({
    /** Id of the product the goal was generated from, when there is one. */
    product_id: z.string().min(1).optional(),
    /** Top-level category slug or name, e.g. "electronics". */
    category: z.string().min(1).optional(),
    /** What kind of thing is wanted, e.g. "over-ear headphones". */
    product_type: z.string().min(1).optional(),
    /** Attributes the product must have, e.g. ["noise cancelling", "long battery life"]. */
    attributes: z.array(z.string().min(1)).default([]),
    /** Option values wanted, keyed by option name, e.g. { color: "black", size: "large" }. */
    options: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** Maximum unit price in dollars. */
    max_price: z.number().positive().optional(),
  })
  .strict();

export const GoalSchema = z
  .object({
    instruction: z.string().min(1),
    target: GoalTargetSchema.optional(),
  })
  .strict();

export type GoalTarget = z.infer<typeof GoalTargetSchema>;
export type Goal = z.infer<typeof GoalSchema>;
