import { z } from "zod";
import { US_STATES } from "../src/contracts/scenario.ts";
import { round2 } from "./catalog/types.ts";

const trimmed = (min: number, max: number, message: string) =>
  z.string({ error: message }).trim().min(min, message).max(max, `${message} (at most ${max} characters)`);

/** The shipping address form. Messages are written for the person (or agent) filling it in. */
export const AddressSchema = z.object({
  full_name: trimmed(2, 80, "Enter your full name"),
  email: z
    .string({ error: "Enter your email address" })
    .trim()
    .pipe(z.email("Enter a valid email address, like name@example.com")),
  address1: trimmed(3, 120, "Enter your street address"),
  address2: z
    .string()
    .trim()
    .max(120, "Apartment, suite, etc. is at most 120 characters")
    .optional()
    .default(""),
  city: trimmed(2, 60, "Enter your city"),
  state: z
    .string({ error: "Choose your state" })
    .refine((s) => Object.hasOwn(US_STATES, s), "Choose your state from the list"),
  zip: z
    .string({ error: "Enter your ZIP code" })
    .trim()
    .regex(/^\d{5}(-\d{4})?$/, "Enter a 5-digit ZIP code, like 94103"),
  phone: z
    .string()
    .trim()
    .regex(/^$|^\+?[0-9 ()-]{7,20}$/, "Enter a phone number with 7 to 20 digits, or leave it empty")
    .optional()
    .default(""),
});
export type Address = z.infer<typeof AddressSchema>;
export const ADDRESS_FIELDS = [
  "full_name",
  "email",
  "address1",
  "address2",
  "city",
  "state",
  "zip",
  "phone",
] as const;

export interface ShippingMethod {
  id: string;
  label: string;
  eta: string;
  cost(subtotal: number): number;
}

export const FREE_SHIPPING_THRESHOLD = 35;
export const TAX_RATE = 0.0725;

export const SHIPPING_METHODS: readonly ShippingMethod[] = [
  {
    id: "standard",
    label: "Standard shipping",
    eta: "5–7 business days",
    cost: (subtotal) => (subtotal >= FREE_SHIPPING_THRESHOLD ? 0 : 5.99),
  },
  { id: "expedited", label: "Expedited shipping", eta: "2–3 business days", cost: () => 12.99 },
  { id: "next_day", label: "Next-day delivery", eta: "next business day", cost: () => 24.99 },
];

export function shippingMethod(id: string): ShippingMethod | undefined {
  return SHIPPING_METHODS.find((m) => m.id === id);
}

/** Field → first error message, for re-rendering the form next to each field. */
export function validateAddress(
  input: Record<string, unknown>,
): { address: Address } | { errors: Record<string, string> } {
  const picked: Record<string, unknown> = {};
  for (const f of ADDRESS_FIELDS) {
    const v = input[f];
    picked[f] = Array.isArray(v) ? v[0] : v;
  }
  const result = AddressSchema.safeParse(picked);
  if (result.success) return { address: result.data };
  const errors: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? "form");
    errors[field] ??= issue.message;
  }
  return { errors };
}

export function totals(subtotal: number, methodId: string): { shipping: number; tax: number; total: number } {
  const method = shippingMethod(methodId) ?? SHIPPING_METHODS[0]!;
  const shipping = method.cost(subtotal);
  const tax = round2(subtotal * TAX_RATE);
  return { shipping, tax, total: round2(subtotal + shipping + tax) };
}
