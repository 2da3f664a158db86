import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { CartChange, GoalScore, Order } from "../../src/contracts/shop.ts";
import { round2 } from "../catalog/types.ts";
import { type Address, SHIPPING_METHODS, shippingMethod, totals, validateAddress } from "../checkout.ts";
import { first, type ShopContext, sendPage, stringValues } from "../context.ts";
import { scorePurchase } from "../goals.ts";
import { MAX_QUANTITY, type ShopSession } from "../state.ts";
import {
  addressStep,
  cartPage,
  onePageCheckout,
  orderPage,
  reviewStep,
  shippingStep,
} from "../views/checkout.ts";

/** The cart, the one-page and three-step checkouts, and the order confirmation. */
export function checkoutRoutes(app: FastifyInstance, ctx: ShopContext): void {
  const { state, related } = ctx;
  const { pageContext, record, notFound, pricedLines } = ctx;
  function renderCart(
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    errors: string[] = [],
  ): FastifyReply {
    const session = req.shop!.session;
    const { lines, subtotal } = pricedLines(session);
    const recommended = lines.length > 0 ? related(lines[0]!.product).slice(0, 4) : [];
    return sendPage(reply, status, cartPage(pageContext(req, ""), lines, subtotal, recommended, errors));
  }

  app.get("/cart", async (req, reply) => {
    record(req, { page: "cart", product_ids: req.shop!.session.cart.map((l) => l.product_id) });
    return renderCart(req, reply, 200);
  });

  function changeLine(req: FastifyRequest, reply: FastifyReply, remove: boolean): FastifyReply {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const session = req.shop!.session;
    const lineId = first(body.line_id) ?? "";
    const line = session.cart.find((l) => l.line_id === lineId);
    const quantity = remove ? 0 : Number(first(body.quantity));
    const problem = !line
      ? `Your cart has no line “${lineId}”. It may already have been removed.`
      : !Number.isInteger(quantity) || quantity < 0 || quantity > MAX_QUANTITY
        ? `Quantity must be a whole number from 0 to ${MAX_QUANTITY}.`
        : null;
    if (problem || !line) {
      record(req, {
        page: "cart",
        product_ids: session.cart.map((l) => l.product_id),
        errors: [problem ?? ""],
      });
      return renderCart(req, reply, 422, [problem ?? ""]);
    }
    if (quantity === 0) session.cart.splice(session.cart.indexOf(line), 1);
    else line.quantity = quantity;
    const change: CartChange = {
      action: quantity === 0 ? "remove" : "update",
      line_id: line.line_id,
      product_id: line.product_id,
      options: line.options,
      quantity,
    };
    record(req, { page: "cart", product_ids: [line.product_id], cart: change });
    return reply.redirect("/cart", 303);
  }

  app.post("/cart/update", async (req, reply) => changeLine(req, reply, false));
  app.post("/cart/remove", async (req, reply) => changeLine(req, reply, true));

  // --- checkout --------------------------------------------------------------------------------
  function checkoutView(
    session: ShopSession,
    values: Record<string, string>,
    errors: Record<string, string>,
    method: string | null,
  ) {
    const { lines, subtotal } = pricedLines(session);
    const chosen = method ?? session.shippingMethod ?? "standard";
    const t = totals(subtotal, chosen);
    return {
      lines,
      subtotal,
      values,
      errors,
      shippingMethod: chosen,
      shipping: method === null && session.shippingMethod === null ? null : t.shipping,
      tax: t.tax,
      total: method === null && session.shippingMethod === null ? round2(subtotal + t.tax) : t.total,
    };
  }

  const addressValues = (a: Address | null): Record<string, string> => (a ? { ...a } : {});

  function emptyCart(req: FastifyRequest, reply: FastifyReply): FastifyReply {
    const problem = "Your cart is empty. Add a product before checking out.";
    record(req, { page: "cart", product_ids: [], errors: [problem] });
    return renderCart(req, reply, 409, [problem]);
  }

  app.get("/checkout", async (req, reply) => {
    const shop = req.shop!;
    const session = shop.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    record(req, { page: "checkout", product_ids: session.cart.map((l) => l.product_id) });
    const view = checkoutView(session, addressValues(session.address), {}, null);
    const ctx = pageContext(req, "");
    return sendPage(
      reply,
      200,
      shop.variant.flags.checkout === "one_page" ? onePageCheckout(ctx, view) : addressStep(ctx, view),
    );
  });

  app.post("/checkout/address", async (req, reply) => {
    const session = req.shop!.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const result = validateAddress(body);
    if ("errors" in result) {
      record(req, {
        page: "checkout",
        product_ids: session.cart.map((l) => l.product_id),
        errors: Object.values(result.errors),
      });
      const view = checkoutView(session, stringValues(body), result.errors, null);
      return sendPage(reply, 422, addressStep(pageContext(req, ""), view));
    }
    session.address = result.address;
    record(req, { page: "checkout", product_ids: session.cart.map((l) => l.product_id) });
    return reply.redirect("/checkout/shipping", 303);
  });

  app.get("/checkout/shipping", async (req, reply) => {
    const session = req.shop!.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    if (!session.address) return reply.redirect("/checkout", 303);
    record(req, { page: "checkout_shipping", product_ids: session.cart.map((l) => l.product_id) });
    const view = checkoutView(session, {}, {}, session.shippingMethod ?? "standard");
    return sendPage(reply, 200, shippingStep(pageContext(req, ""), view, session.address));
  });

  app.post("/checkout/shipping", async (req, reply) => {
    const session = req.shop!.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    if (!session.address) return reply.redirect("/checkout", 303);
    const method = first(((req.body ?? {}) as Record<string, unknown>).shipping_method);
    if (!method || !shippingMethod(method)) {
      const error = `Choose a shipping method: ${SHIPPING_METHODS.map((m) => m.label).join(", ")}.`;
      record(req, {
        page: "checkout_shipping",
        product_ids: session.cart.map((l) => l.product_id),
        errors: [error],
      });
      const view = checkoutView(session, {}, { shipping_method: error }, "standard");
      return sendPage(reply, 422, shippingStep(pageContext(req, ""), view, session.address));
    }
    session.shippingMethod = method;
    record(req, { page: "checkout_shipping", product_ids: session.cart.map((l) => l.product_id) });
    return reply.redirect("/checkout/review", 303);
  });

  app.get("/checkout/review", async (req, reply) => {
    const session = req.shop!.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    if (!session.address) return reply.redirect("/checkout", 303);
    if (!session.shippingMethod) return reply.redirect("/checkout/shipping", 303);
    record(req, { page: "checkout_review", product_ids: session.cart.map((l) => l.product_id) });
    const view = checkoutView(session, {}, {}, session.shippingMethod);
    const label = shippingMethod(session.shippingMethod)?.label ?? session.shippingMethod;
    return sendPage(reply, 200, reviewStep(pageContext(req, ""), view, session.address, label.toLowerCase()));
  });

  app.post("/checkout/place", async (req, reply) => {
    const shop = req.shop!;
    const session = shop.session;
    if (session.cart.length === 0) return emptyCart(req, reply);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const onePage = first(body.checkout) === "one_page";
    let address: Address;
    let method: string;
    if (onePage) {
      const result = validateAddress(body);
      const m = first(body.shipping_method);
      const errors: Record<string, string> = "errors" in result ? { ...result.errors } : {};
      if (!m || !shippingMethod(m))
        errors.shipping_method = `Choose a shipping method: ${SHIPPING_METHODS.map((x) => x.label).join(", ")}.`;
      if (Object.keys(errors).length > 0 || "errors" in result) {
        record(req, {
          page: "checkout",
          product_ids: session.cart.map((l) => l.product_id),
          errors: Object.values(errors),
        });
        const view = checkoutView(
          session,
          stringValues(body),
          errors,
          m && shippingMethod(m) ? m : "standard",
        );
        return sendPage(reply, 422, onePageCheckout(pageContext(req, ""), view));
      }
      address = result.address;
      method = m as string;
      session.address = address;
      session.shippingMethod = method;
    } else {
      if (!session.address) return reply.redirect("/checkout", 303);
      if (!session.shippingMethod) return reply.redirect("/checkout/shipping", 303);
      address = session.address;
      method = session.shippingMethod;
    }
    const { lines, subtotal } = pricedLines(session);
    const t = totals(subtotal, method);
    let goalScore: GoalScore | null = null;
    if (session.goal) {
      for (const l of lines) {
        const s = scorePurchase(session.goal, {
          product: l.product,
          selection: l.line.options,
          unit_price: l.unitPrice,
        });
        if (!goalScore || s.score > goalScore.score) goalScore = s;
      }
    }
    const order: Order = {
      order_id: state.nextOrderId(),
      session_id: session.id,
      variant: shop.variant.name,
      created_at: new Date().toISOString(),
      items: lines.map((l) => ({
        line_id: l.line.line_id,
        product_id: l.product.id,
        title: l.product.title,
        options: l.line.options,
        quantity: l.line.quantity,
        unit_price: l.unitPrice,
        line_total: l.lineTotal,
      })),
      subtotal,
      shipping_method: method,
      shipping_cost: t.shipping,
      tax: t.tax,
      total: t.total,
      ship_to: { city: address.city, state: address.state, zip: address.zip },
      goal_score: goalScore,
    };
    state.saveOrder(order);
    session.cart = [];
    record(req, { page: "order", product_ids: order.items.map((i) => i.product_id), order });
    return reply.redirect(`/order/${order.order_id}`, 303);
  });

  app.get<{ Params: { id: string } }>("/order/:id", async (req, reply) => {
    const order = state.order(req.params.id);
    if (!order || order.session_id !== req.shop!.session.id) {
      return notFound(req, reply, `There is no order “${req.params.id}” in this session.`);
    }
    record(req, { page: "order", product_ids: order.items.map((i) => i.product_id) });
    return sendPage(reply, 200, orderPage(pageContext(req, ""), order));
  });
}
