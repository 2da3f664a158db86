import { readFile } from "node:fs/promises";
import { basename, extname } from "node:path";
import { parse } from "csv-parse/sync";
import type { HumanLogs, HumanSession, ImportIssue, SessionSummary } from "../../contracts/human-log.ts";

/**
 * UCI Online Shoppers Purchasing Intention (Sakar et al. 2018): one CSV row per session of one shop,
 * aggregated (page counts and seconds by page kind, bounce/exit rates, page values, Revenue). No
 * steps: each row becomes a session with `steps: []` and a `summary`. The delimiter (`;` in the
 * shared copy, `,` in UCI's original) is read from the header line.
 */

export interface UciImportOptions {
  /** Keep at most this many sessions (rows, in file order). */
  limit?: number;
}

const COUNTS = ["Administrative", "Informational", "ProductRelated"] as const;
const DURATIONS = ["Administrative_Duration", "Informational_Duration", "ProductRelated_Duration"] as const;
const RATES = ["BounceRates", "ExitRates", "PageValues"] as const;
const REQUIRED = [...COUNTS, ...DURATIONS, ...RATES, "Month", "VisitorType", "Weekend", "Revenue"] as const;
type Column = (typeof REQUIRED)[number];

function bool(text: string): boolean | null {
  const t = text.trim().toUpperCase();
  return t === "TRUE" ? true : t === "FALSE" ? false : null;
}

type Parsed = { session: Omit<HumanSession, "session_id" | "file"> } | { field: string; problem: string };

function parseRow(get: (c: Column) => string | undefined): Parsed {
  const values: Partial<Record<Column, number>> = {};
  for (const column of [...COUNTS, ...DURATIONS, ...RATES]) {
    const text = get(column);
    if (text === undefined) return { field: column, problem: "missing" };
    const n = text.trim() === "" ? Number.NaN : Number(text);
    const isCount = (COUNTS as readonly string[]).includes(column);
    if (!Number.isFinite(n) || n < 0 || (isCount && !Number.isInteger(n))) {
      return {
        field: column,
        problem: `expected a non-negative ${isCount ? "whole number" : "number"}, got ${JSON.stringify(text)}`,
      };
    }
    values[column] = n;
  }
  const texts: Partial<Record<Column, string>> = {};
  for (const column of ["Month", "VisitorType", "Weekend", "Revenue"] as const) {
    const text = get(column);
    if (text === undefined) return { field: column, problem: "missing" };
    texts[column] = text.trim();
  }
  const revenue = bool(texts.Revenue!);
  if (revenue === null)
    return { field: "Revenue", problem: `expected TRUE or FALSE, got ${JSON.stringify(texts.Revenue)}` };
  const weekend = bool(texts.Weekend!);
  if (weekend === null)
    return { field: "Weekend", problem: `expected TRUE or FALSE, got ${JSON.stringify(texts.Weekend)}` };
  const actions = COUNTS.reduce((sum, c) => sum + values[c]!, 0);
  const duration = DURATIONS.reduce((sum, c) => sum + values[c]!, 0);
  const summary: SessionSummary = {
    actions,
    product_views: values.ProductRelated!,
    duration_s: duration,
  };
  if (actions > 1) summary.mean_gap_s = duration / Math.max(1, actions - 1);
  return {
    session: {
      source: "uci",
      persona: null,
      goal: null,
      outcome: revenue ? "purchase" : "terminate",
      steps: [],
      summary,
      meta: {
        month: texts.Month!,
        visitor_type: texts.VisitorType!,
        weekend,
        bounce_rate: values.BounceRates!,
        exit_rate: values.ExitRates!,
        page_values: values.PageValues!,
      },
    },
  };
}

/**
 * Imports UCI Online Shoppers CSV files. A session's id is `<file name>:<line>` (the row's 1-based
 * line in the file; the first session is line 2). Rows with a missing column, a count that is not a number, or a Revenue that is not
 * TRUE/FALSE are reported (line and field) and skipped.
 */
export async function importUci(files: string[], opts: UciImportOptions = {}): Promise<HumanLogs> {
  const issues: ImportIssue[] = [];
  const sessions: HumanSession[] = [];
  let records = 0;
  let skipped = 0;
  const read: string[] = [];
  for (const file of [...files].sort()) {
    if (opts.limit !== undefined && sessions.length >= opts.limit) break;
    read.push(file);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      issues.push({ file, line: null, field: null, problem: `cannot read: ${(error as Error).message}` });
      continue;
    }
    const headerLine = text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
    const delimiter = headerLine.includes(";") ? ";" : ",";
    let rows: { record: string[]; info: { lines: number } }[];
    try {
      rows = parse(text, {
        delimiter,
        bom: true,
        info: true,
        relax_column_count: true,
        skip_empty_lines: true,
        skip_records_with_error: true,
        on_skip: (error) => {
          if (!error) return;
          issues.push({
            file,
            line: typeof error.lines === "number" ? error.lines : null,
            field: null,
            problem: `not valid CSV (${error.message})`,
          });
          skipped += 1;
          records += 1;
        },
      }) as unknown as { record: string[]; info: { lines: number } }[];
    } catch (error) {
      issues.push({ file, line: null, field: null, problem: `not valid CSV (${(error as Error).message})` });
      continue;
    }
    const [head, ...body] = rows;
    if (!head) {
      issues.push({
        file,
        line: null,
        field: null,
        problem: "empty file; expected a header row and one row per session",
      });
      continue;
    }
    const header = head.record.map((h) => h.trim());
    const missing = REQUIRED.filter((c) => !header.includes(c));
    if (missing.length > 0) {
      issues.push({
        file,
        line: head.info.lines,
        field: missing[0]!,
        problem: `header lacks column(s) ${missing.join(", ")}; expected UCI Online Shoppers columns (${REQUIRED.join(", ")})`,
      });
      skipped += body.length;
      records += body.length;
      continue;
    }
    const index = new Map(header.map((h, i) => [h, i]));
    const name = basename(file, extname(file));
    for (const { record, info } of body) {
      if (opts.limit !== undefined && sessions.length >= opts.limit) break;
      records += 1;
      const parsed = parseRow((c) => record[index.get(c)!]);
      if ("field" in parsed) {
        issues.push({ file, line: info.lines, field: parsed.field, problem: parsed.problem });
        skipped += 1;
        continue;
      }
      if (record.length > header.length) {
        issues.push({
          file,
          line: info.lines,
          field: null,
          problem: `${record.length} fields, expected ${header.length}`,
        });
        skipped += 1;
        continue;
      }
      sessions.push({ session_id: `${name}:${info.lines}`, file, ...parsed.session });
    }
  }
  issues.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
  return {
    sessions,
    report: { format: "uci", files: read, records, sessions: sessions.length, skipped, issues },
  };
}
