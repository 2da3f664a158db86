import type { FastifyInstance } from "fastify";
import type { Product } from "../catalog/types.ts";
import { first, hash, type ShopContext, safeReturn } from "../context.ts";
import { escapeHtml } from "../html.ts";
import { SHOP_CSS, SHOP_JS } from "../views/weight.ts";

/** Friction answers (cookie consent, promotion banner, sign-up pop-up) and static assets. */
export function siteRoutes(app: FastifyInstance, ctx: ShopContext): void {
  const { byId } = ctx;
  const { record } = ctx;
  // --- friction --------------------------------------------------------------------------------
  app.post("/consent", async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    req.shop!.session.consented = true;
    record(req, {
      page: "consent",
      product_ids: [],
      selection: { choice: first(body.choice) === "reject" ? "reject" : "accept" },
    });
    return reply.redirect(safeReturn(first(body.return_to)), 303);
  });

  app.post("/banner/dismiss", async (req, reply) => {
    req.shop!.session.bannerDismissed = true;
    record(req, { page: "consent", product_ids: [], selection: { banner: "dismissed" } });
    return reply.redirect(safeReturn(first(((req.body ?? {}) as Record<string, unknown>).return_to)), 303);
  });

  app.post("/popup", async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const choice = first(body.choice);
    // A sign-up needs an email address; without one the pop-up stays, as a real form's would.
    const email = (first(body.email) ?? "").trim();
    const signedUp = choice === "signup" && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email);
    if (choice !== "signup" || signedUp) req.shop!.session.popupClosed = true;
    record(req, {
      page: "consent",
      product_ids: [],
      selection: {
        popup: signedUp
          ? "signup"
          : choice === "signup"
            ? "invalid_email"
            : choice === "decline"
              ? "decline"
              : "close",
      },
    });
    return reply.redirect(safeReturn(first(body.return_to)), 303);
  });

  // --- assets ----------------------------------------------------------------------------------
  app.get("/static/shop.css", async (_req, reply) =>
    reply.header("cache-control", "public, max-age=3600").type("text/css; charset=utf-8").send(SHOP_CSS),
  );
  app.get("/static/shop.js", async (_req, reply) =>
    reply
      .header("cache-control", "public, max-age=3600")
      .type("text/javascript; charset=utf-8")
      .send(SHOP_JS),
  );
  app.get<{ Params: { file: string } }>("/img/:file", async (req, reply) => {
    const id = req.params.file.replace(/\.svg$/, "");
    const product = byId.get(id);
    if (!product) return reply.code(404).type("text/plain").send("no such image");
    return reply
      .header("cache-control", "public, max-age=86400")
      .type("image/svg+xml")
      .send(placeholderSvg(product));
  });
}

const PALETTE = ["#2f6f9f", "#9f4f2f", "#3f8f5f", "#7f3f8f", "#8f7f2f", "#2f8f8f", "#8f2f4f", "#4f5f9f"];

function placeholderSvg(p: Product): string {
  const color = PALETTE[hash(p.category) % PALETTE.length];
  const label = escapeHtml(p.product_type.slice(0, 28));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="320" viewBox="0 0 320 320"><rect width="320" height="320" fill="${color}"/><text x="160" y="170" font-family="sans-serif" font-size="20" fill="#fff" text-anchor="middle">${label}</text></svg>`;
}
