import { countTokens as countO200k } from "gpt-tokenizer/encoding/o200k_base";

/** The tokenizer shopsim counts with: OpenAI's o200k_base (GPT-4o and later), via gpt-tokenizer. */
export const TOKENIZER = "o200k_base";

const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Tokens in `text` under o200k_base. Page text is counted as plain text: a page that contains
 * `<|endoftext|>` is counted, not rejected. Other models' tokenizers differ by some percent; the
 * figure is for budgets and comparisons, not billing.
 */
export function countTokens(text: string): number {
  return countO200k(text, PLAIN_TEXT);
}
