import type { Persona, Scenario } from "../../contracts/scenario.ts";
import type { Step } from "../../contracts/trajectory.ts";
import { countTokens } from "../../tokens.ts";
import type { Observation } from "../types.ts";
import type { ContextStrategy } from "./config.ts";

/**
 * Version of the prompt below; it goes into every session record and every cache key, so a change
 * to the wording must change it.
 */
export const PROMPT_VERSION = "shopsim-llm-2";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface PromptOptions {
  context: ContextStrategy;
  /** last-k: past pages shown besides the current one. */
  lastK: number;
  /** last-k: each past page is cut to its main content and at most this many tokens (0: no cap). */
  pastPageTokens: number;
  /** full: token cap on past pages; the oldest are left out first. */
  historyTokens: number;
  reply: "single" | "two-turn";
}

export interface PromptInput {
  persona: Persona;
  scenario: Scenario;
  history: readonly Step[];
  observation: Observation;
}

const LEVELS = ["very low", "low", "moderate", "high", "very high"] as const;
function level(x: number): string {
  return LEVELS[Math.min(4, Math.max(0, Math.floor(x * 5)))] as string;
}

const TRAIT_WORDS: Record<keyof Persona["style"], string> = {
  patience: "patience (keeps searching and paging before giving up)",
  price_sensitivity: "price sensitivity",
  exploration: "exploration (opens several products, tries other searches)",
  brand_loyalty: "brand loyalty",
  impulsiveness: "impulsiveness (buys on a whim, uses Buy now)",
  reading_depth: "reading depth (how much of a product page is read)",
};

/** The persona as the model role-plays it: the description first, then the facts behind it. */
export function renderPersona(p: Persona): string {
  const d = p.demographics;
  const address = p.shipping_address;
  const card = p.payment_card;
  const lines = [
    `Name: ${p.name}`,
    p.description,
    "",
    `Age ${d.age}, ${d.gender}, ${d.occupation}; household: ${d.household}; yearly household income ${d.income_band} USD; lives in ${d.location.city}, ${d.location.state}.`,
    `Shopping style: ${Object.entries(p.style)
      .map(([k, v]) => `${TRAIT_WORDS[k as keyof Persona["style"]]} ${level(v)}`)
      .join("; ")}.`,
    `Personality (Big Five): ${Object.entries(p.big_five)
      .map(([k, v]) => `${k} ${level(v)}`)
      .join(", ")}.`,
    "",
    "Details to enter at checkout:",
    `${address.full_name}, ${address.address1}${address.address2 ? `, ${address.address2}` : ""}, ${address.city}, ${address.state} ${address.zip}; email ${address.email}${address.phone ? `; phone ${address.phone}` : ""}.`,
    `Card, if the checkout asks for one: number ${card.number}, expiry ${card.expiry}, security code ${card.cvc}, name on card ${address.full_name}.`,
  ];
  return lines.join("\n");
}

const ACTION_SPACE = `Actions, as JSON. "name" is always the name attribute of an element on the current page; never invent names or use CSS selectors.
- {"type": "click", "name": "<name>"}: click a link, button, checkbox, radio button or option.
- {"type": "type_and_submit", "name": "<name>", "text": "<text>"}: type into a text box and press Enter (for example a search).
- {"type": "type", "name": "<name>", "text": "<text>"}: type into a form field without submitting it.
- {"type": "select", "name": "<name>", "value": "<option>"}: choose an option of a drop-down list, by its text or value.
- {"type": "back"}: go back to the previous page.
- {"type": "terminate"}: leave the shop, because you are done or give up. Placing an order ends the visit by itself.`;

/** The system message: who, what for, how to act, and the reply format. */
export function systemPrompt(persona: Persona, scenario: Scenario, reply: PromptOptions["reply"]): string {
  const format =
    reply === "single"
      ? `Each turn, first think about what you see and what this shopper would do next, then act. Reply with one JSON object and nothing else:
{"rationale": "<one to three sentences, in the first person, written before you act>", "action": {<one action>}}`
      : `Each turn has two parts. First you are asked for your rationale: one to three sentences, in the first person, about what you see and what this shopper would do next (plain text, no action yet). Then you are asked for the action, as one JSON object and nothing else:
{"action": {<one action>}}`;
  return `You are role-playing a real person shopping online. Behave as this person would, with their patience, budget and habits, not as an assistant that finds the optimal product.

# Who you are
${renderPersona(persona)}

# Why you are here
${scenario.goal.instruction}

# How you act
You see the current page of the shop as simplified HTML: scripts, styles and decoration are removed, and every element you can use has a "name" attribute. One action per turn.

${ACTION_SPACE}

${format}`;
}

/** What the next message says first about a step whose action failed ("" when it worked). */
function failureNote(step: Step): string {
  return step.result.ok ? "" : `The action failed: ${step.result.error}\n\n`;
}

/**
 * A URL as the prompt shows it: path and query on the shop's own origin (the origin, e.g. a random
 * local port, would only make equal pages look different to the cache), absolute elsewhere.
 */
function shownUrl(url: string, origin: string): string {
  try {
    const u = new URL(url);
    return u.origin === origin ? `${u.pathname}${u.search}${u.hash}` : url;
  } catch {
    return url;
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "";
  }
}

function pageMessage(url: string, title: string, html: string, heading: string): string {
  return `${heading}\nURL: ${url}\nTitle: ${title}\n\n${html}`;
}

/**
 * A past page, condensed for last-k: only its `<main>` content when it has one (the header,
 * navigation and footer repeat on the current page), cut at `maxTokens` with a marker.
 */
export function condensePage(html: string, maxTokens: number): string {
  const start = html.indexOf("<main");
  const end = html.lastIndexOf("</main>");
  let body = start >= 0 && end > start ? html.slice(start, end + "</main>".length) : html;
  if (maxTokens <= 0) return body;
  const tokens = countTokens(body);
  if (tokens <= maxTokens) return body;
  // Cut by characters in proportion, then trim until it fits (pages tokenize fairly evenly).
  let chars = Math.floor((body.length * maxTokens) / tokens);
  while (chars > 0 && countTokens(body.slice(0, chars)) > maxTokens) chars = Math.floor(chars * 0.95);
  body = body.slice(0, chars);
  return `${body}… [the rest of this page, ${tokens - maxTokens} tokens or so, is not shown again]`;
}

function omittedPage(step: Step, origin: string): string {
  return `Page ${step.index + 1} (not shown again)\nURL: ${shownUrl(step.url, origin)}`;
}

/** Which past steps show their page in full under the strategy (by index into history). */
function pagesShown(history: readonly Step[], opts: PromptOptions): Set<number> {
  const shown = new Set<number>();
  if (opts.context === "actions-only") return shown;
  if (opts.context === "last-k") {
    for (let i = Math.max(0, history.length - opts.lastK); i < history.length; i++) shown.add(i);
    return shown;
  }
  // full: newest first until the token cap.
  let budget = opts.historyTokens;
  for (let i = history.length - 1; i >= 0; i--) {
    const cost = countTokens((history[i] as Step).observation);
    if (cost > budget) break;
    budget -= cost;
    shown.add(i);
  }
  return shown;
}

/**
 * The conversation for one decision: the system message, then per past step the page the shopper
 * saw (in full or as its URL, by the context strategy) and the rationale and action they chose, then
 * the current page in full and the request for the next action.
 */
export function buildMessages(input: PromptInput, opts: PromptOptions): ChatMessage[] {
  const messages: ChatMessage[] = [
    { role: "system", content: systemPrompt(input.persona, input.scenario, opts.reply) },
  ];
  const shown = pagesShown(input.history, opts);
  const origin = originOf(input.history[0]?.url ?? input.observation.url);
  let carry = "";
  input.history.forEach((step, i) => {
    const page = shown.has(i)
      ? pageMessage(
          shownUrl(step.url, origin),
          pageTitle(step.observation),
          opts.context === "last-k" ? condensePage(step.observation, opts.pastPageTokens) : step.observation,
          `Page ${step.index + 1}`,
        )
      : omittedPage(step, origin);
    messages.push({ role: "user", content: `${carry}${page}` });
    messages.push({
      role: "assistant",
      content: JSON.stringify({ rationale: step.rationale, action: step.action }),
    });
    carry = failureNote(step);
  });
  const current = pageMessage(
    shownUrl(input.observation.url, origin),
    input.observation.title,
    input.observation.html,
    `Page ${input.history.length + 1} (current)`,
  );
  const ask =
    opts.reply === "single"
      ? "What do you do next? Reply with the JSON object."
      : "What do you notice, and what will you do next? Reply with your rationale only.";
  messages.push({ role: "user", content: `${carry}${current}\n\n${ask}` });
  return messages;
}

/** The second turn of the two-turn form: the rationale as the model's answer, then the ask for the action. */
export function actionTurn(messages: readonly ChatMessage[], rationale: string): ChatMessage[] {
  return [
    ...messages,
    { role: "assistant", content: rationale },
    { role: "user", content: 'Now the action. Reply with one JSON object: {"action": {...}}' },
  ];
}

function pageTitle(html: string): string {
  const m = /<title>([^<]*)<\/title>/.exec(html);
  return m?.[1] ?? "";
}
