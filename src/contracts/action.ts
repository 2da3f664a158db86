import { z } from "zod";

/**
 * What a policy asks the browser to do. `click`, `type_and_submit` and `terminate` are exactly the
 * paper's three actions (Lu et al. 2025); `type`, `select` and `back` are what real sites also need.
 * `name` is always a name from the current observation's element map, never a selector.
 */
export const ActionSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("click"), name: z.string().min(1) }).strict(),
  z.object({ type: z.literal("type_and_submit"), name: z.string().min(1), text: z.string() }).strict(),
  z.object({ type: z.literal("type"), name: z.string().min(1), text: z.string() }).strict(),
  z.object({ type: z.literal("select"), name: z.string().min(1), value: z.string() }).strict(),
  z.object({ type: z.literal("back") }).strict(),
  z.object({ type: z.literal("terminate") }).strict(),
]);
export type Action = z.infer<typeof ActionSchema>;
export type ActionType = Action["type"];

/** What kind of control a named element is; decides which actions make sense on it. */
export const ElementKindSchema = z.enum([
  "link",
  "button",
  "text_input",
  "textarea",
  "select",
  "checkbox",
  "radio",
  "option",
]);
export type ElementKind = z.infer<typeof ElementKindSchema>;

/**
 * How the browser finds a named element again: a CSS selector that matches exactly that element
 * when the same page is rendered again (an id when it is unique, else a structural path).
 */
export const ElementLocatorSchema = z
  .object({
    css: z.string().min(1),
    kind: ElementKindSchema,
    /** The readable label the name was built from, e.g. "Add to cart". */
    label: z.string(),
    disabled: z.boolean().default(false),
  })
  .strict();
export type ElementLocator = z.infer<typeof ElementLocatorSchema>;

/** The simplifier's output for one page: what the policy reads, and how to act on it. */
export const SimplifiedPageSchema = z
  .object({
    url: z.string(),
    title: z.string(),
    /** Simplified HTML in which every interactive element carries its name (attribute `name`). */
    html: z.string(),
    /** name → locator, for every interactive element on the page. */
    elements: z.record(z.string(), ElementLocatorSchema),
  })
  .strict();
export type SimplifiedPage = z.infer<typeof SimplifiedPageSchema>;

/**
 * The attribute the browser puts on elements it does not render (display: none from a stylesheet, a
 * closed <details>, content-visibility: hidden) before handing the page over, so the simplifier can
 * drop what a shopper cannot see although the HTML alone does not say so.
 */
export const NOT_RENDERED_ATTR = "data-shopsim-hidden";
