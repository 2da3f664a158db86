import type { GoalTarget } from "../src/contracts/goal.ts";
import type { Order } from "../src/contracts/shop.ts";
import type { Address } from "./checkout.ts";

export interface CartLine {
  line_id: string;
  product_id: string;
  options: Record<string, string>;
  quantity: number;
}

/** Everything the shop remembers about one visitor. */
export interface ShopSession {
  id: string;
  variant: string;
  cart: CartLine[];
  nextLine: number;
  address: Address | null;
  shippingMethod: string | null;
  goal: GoalTarget | null;
  instruction: string | null;
  consented: boolean;
  bannerDismissed: boolean;
  popupClosed: boolean;
  orderIds: string[];
  createdAt: string;
}

export const MAX_QUANTITY = 10;

/** In-memory sessions and orders. A reset forgets both. */
export class ShopState {
  private readonly sessions = new Map<string, ShopSession>();
  private readonly orders = new Map<string, Order>();
  private orderSeq = 0;

  /** The visitor's session, created and remembered if new. */
  session(id: string, variant: string): ShopSession {
    let s = this.sessions.get(id);
    if (!s) {
      s = newSession(id, variant);
      this.sessions.set(id, s);
    }
    return s;
  }

  /**
   * The visitor's session if the shop remembers one, else a fresh one that is not stored: a visitor
   * who only reads pages (a crawler, a load generator without cookies) costs no memory.
   */
  sessionForRead(id: string, variant: string): ShopSession {
    return this.sessions.get(id) ?? newSession(id, variant);
  }

  peek(id: string): ShopSession | undefined {
    return this.sessions.get(id);
  }

  /** Adds to the cart, merging with an identical line (same product and options), capped at MAX_QUANTITY. */
  addToCart(s: ShopSession, productId: string, options: Record<string, string>, quantity: number): CartLine {
    const key = JSON.stringify(Object.entries(options).sort());
    const existing = s.cart.find(
      (l) => l.product_id === productId && JSON.stringify(Object.entries(l.options).sort()) === key,
    );
    if (existing) {
      existing.quantity = Math.min(MAX_QUANTITY, existing.quantity + quantity);
      return existing;
    }
    const line: CartLine = { line_id: `L${s.nextLine++}`, product_id: productId, options, quantity };
    s.cart.push(line);
    return line;
  }

  nextOrderId(): string {
    this.orderSeq += 1;
    return `O${String(this.orderSeq).padStart(6, "0")}`;
  }

  saveOrder(order: Order): void {
    this.orders.set(order.order_id, order);
    this.sessions.get(order.session_id)?.orderIds.push(order.order_id);
  }

  order(id: string): Order | undefined {
    return this.orders.get(id);
  }

  ordersFor(sessionId: string): Order[] {
    const s = this.sessions.get(sessionId);
    return s ? s.orderIds.map((id) => this.orders.get(id)).filter((o): o is Order => o !== undefined) : [];
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get orderCount(): number {
    return this.orders.size;
  }

  reset(): void {
    this.sessions.clear();
    this.orders.clear();
  }
}

function newSession(id: string, variant: string): ShopSession {
  return {
    id,
    variant,
    cart: [],
    nextLine: 1,
    address: null,
    shippingMethod: null,
    goal: null,
    instruction: null,
    consented: false,
    bannerDismissed: false,
    popupClosed: false,
    orderIds: [],
    createdAt: new Date().toISOString(),
  };
}
