import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { describeZodError } from "../../src/contracts/errors.ts";
import { GoalSchema } from "../../src/contracts/goal.ts";
import { first, SESSION_ID, type ShopContext } from "../context.ts";
import { generateGoals } from "../goals.ts";

/** JSON endpoints for runners and tests: health, events, orders, sessions and goals, reset. */
export function apiRoutes(app: FastifyInstance, ctx: ShopContext): void {
  const { catalog, state, events, variants, byId } = ctx;
  // --- JSON API for runners and tests ------------------------------------------------------------
  app.get("/healthz", async () => ({
    status: "ok",
    catalog: catalog.source,
    products: catalog.products.length,
    categories: catalog.categories.length,
    variants: variants.names(),
    sessions: state.sessionCount,
    orders: state.orderCount,
    events: events.size,
  }));

  app.get("/api/events", async (req, reply) => {
    const session = first((req.query as Record<string, unknown>).session);
    if (!session)
      return reply.code(400).send({ error: "query parameter session is required: /api/events?session=ID" });
    return { session_id: session, events: events.forSession(session) };
  });

  app.get("/api/orders", async (req, reply) => {
    const session = first((req.query as Record<string, unknown>).session);
    if (!session)
      return reply.code(400).send({ error: "query parameter session is required: /api/orders?session=ID" });
    return { session_id: session, orders: state.ordersFor(session) };
  });

  app.get<{ Params: { id: string } }>("/api/sessions/:id", async (req, reply) => {
    const s = state.peek(req.params.id);
    if (!s) return reply.code(404).send({ error: `no session ${req.params.id}` });
    return {
      session_id: s.id,
      variant: s.variant,
      cart: s.cart,
      goal: s.goal,
      instruction: s.instruction,
      orders: state.ordersFor(s.id),
    };
  });

  app.put<{ Params: { id: string } }>("/api/sessions/:id/goal", async (req, reply) => {
    if (!SESSION_ID.test(req.params.id)) {
      return reply.code(400).send({ error: `session id must match ${SESSION_ID.source}` });
    }
    const parsed = SetGoalSchema.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: `goal: ${describeZodError(parsed.error)}` });
    const { goal, variant: variantName } = parsed.data;
    if (variantName !== undefined && !variants.get(variantName)) {
      return reply
        .code(400)
        .send({ error: `variant: unknown "${variantName}"; expected one of ${variants.names().join(", ")}` });
    }
    const s = state.session(req.params.id, variantName ?? variants.assign(req.params.id).name);
    if (variantName !== undefined) s.variant = variantName;
    s.goal = goal.target ?? null;
    s.instruction = goal.instruction;
    return { session_id: s.id, variant: s.variant, goal };
  });

  app.post("/api/reset", async () => {
    state.reset();
    events.clearMemory();
    events.append({
      session_id: "*",
      variant: "*",
      page: "reset",
      method: "POST",
      path: "/api/reset",
      status: 200,
      product_ids: [],
    });
    return { status: "reset" };
  });

  app.get<{ Params: { id: string } }>("/api/products/:id", async (req, reply) => {
    const product = byId.get(req.params.id);
    if (!product) return reply.code(404).send({ error: `no product ${req.params.id}` });
    return { ...product, reviews: catalog.reviewsFor(product) };
  });

  app.get("/api/goals", async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const countN = Number(first(q.count) ?? "10");
    const seedN = Number(first(q.seed) ?? String(ctx.seed));
    if (!Number.isInteger(countN) || countN < 1 || countN > 1000) {
      return reply.code(400).send({ error: "count: expected a whole number from 1 to 1000" });
    }
    if (!Number.isInteger(seedN)) return reply.code(400).send({ error: "seed: expected a whole number" });
    return { goals: generateGoals(catalog, { count: countN, seed: seedN }) };
  });
}

/** Body of PUT /api/sessions/:id/goal: a Goal, or { goal, variant } to also pin the session's variant. */
const SetGoalSchema = z.preprocess(
  (body) => (body && typeof body === "object" && "goal" in body ? body : { goal: body }),
  z.object({ goal: GoalSchema, variant: z.string().optional() }).strict(),
);
