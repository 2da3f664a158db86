/** A field's value as quoted in an import issue: JSON, bigints as digits, at most 60 characters. */
export function show(value: unknown): string {
  const text =
    typeof value === "bigint" ? `${value}` : value === undefined ? "undefined" : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
