import { z } from "zod";
import { GoalSchema } from "./goal.ts";

const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "expected a lowercase id of letters, digits, _ and - (at most 64)");
const Level = z.enum(["low", "medium", "high"]);

/** Who is shopping: the text a policy role-plays, and a few traits the heuristic shopper reads. */
export const PersonaSchema = z
  .object({
    id: Id,
    name: z.string().min(1),
    description: z.string().min(1),
    traits: z
      .object({
        price_sensitivity: Level.default("medium"),
        patience: Level.default("medium"),
        decisiveness: Level.default("medium"),
      })
      .strict()
      .default({ price_sensitivity: "medium", patience: "medium", decisiveness: "medium" }),
  })
  .strict();

/** What the shopper is there to do, and where the session starts. */
export const ScenarioSchema = z
  .object({
    id: Id,
    goal: GoalSchema,
    /** Path (or absolute URL) the session starts at. */
    start: z.string().min(1).default("/"),
    max_steps: z.number().int().min(1).max(500).default(30),
  })
  .strict();

export const PersonaFileSchema = z.object({ personas: z.array(PersonaSchema).min(1) }).strict();
export const ScenarioFileSchema = z.object({ scenarios: z.array(ScenarioSchema).min(1) }).strict();

export type Persona = z.infer<typeof PersonaSchema>;
export type Scenario = z.infer<typeof ScenarioSchema>;
