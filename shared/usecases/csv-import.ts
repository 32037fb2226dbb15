import { parse } from 'csv-parse/sync';

import type { ImportReport, ImportRowError } from '../schemas/imports.ts';

export type { ImportReport, ImportRowError };

export const MAX_IMPORT_ROWS = 10_000;

/** One data row: its first line in the file, its cells as read and by column name, and what is wrong with its shape. */
export interface CsvRow {
  line: number;
  raw: string[];
  cells: Record<string, string>;
  /** Set when the row has more cells than the header names: the row is reported, not imported. */
  problem?: string;
}

/**
 * Reads a CSV import: a header naming known columns, each once, then rows as cells by column
 * name with the line each starts on (blank lines and quoted line breaks counted, as a
 * spreadsheet numbers them). A file that cannot be read, or a header that is wrong, is one error
 * on line 1 and no rows, so nothing is written.
 */
export function readCsvRows(
  csv: string,
  columns: { required: readonly string[]; allowed: readonly string[] },
): { rows: CsvRow[] } | { error: ImportRowError; rowCount: number } {
  let records: Array<{ record: string[]; raw: string; info: { empty_lines: number } }>;
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true, raw: true }) as unknown as typeof records;
  } catch (error) {
    return { error: { line: (error as { lines?: number }).lines ?? 1, problem: `not readable as CSV: ${(error as Error).message}` }, rowCount: 0 };
  }
  // The line each record starts on: after the previous record's last line and the blank lines
  // skipped since. A record spans one line more per line break inside its quoted cells (counted
  // from its raw text: csv-parse's own line count takes a quoted CRLF for two).
  const starts: number[] = [];
  let lastLine = 0;
  let emptyLines = 0;
  for (const r of records) {
    const start = lastLine + 1 + r.info.empty_lines - emptyLines;
    starts.push(start);
    lastLine = start + (r.raw.replace(/^[\r\n]+|[\r\n]+$/g, '').match(/\r\n|\r|\n/g)?.length ?? 0);
    emptyLines = r.info.empty_lines;
  }
  const [header, ...rows] = records.map((r) => r.record);
  const names = (header ?? []).map((h) => h.trim());
  const missing = columns.required.filter((c) => !names.includes(c));
  const unknown = names.filter((c) => !columns.allowed.includes(c));
  const twice = [...new Set(names.filter((c, i) => names.indexOf(c) !== i))];
  if (!header || missing.length > 0 || unknown.length > 0 || twice.length > 0) {
    const problem = `header must name the columns ${columns.allowed.join(',')}${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}${twice.length ? `; named more than once: ${twice.join(', ')}` : ''}`;
    return { error: { line: 1, problem }, rowCount: rows.length };
  }
  if (rows.length > MAX_IMPORT_ROWS) {
    return { error: { line: 1, problem: `at most ${MAX_IMPORT_ROWS} rows per import; split the file` }, rowCount: rows.length };
  }
  return {
    rows: rows.map((raw, index) => {
      const extra = raw.slice(names.length).filter((cell) => cell !== '').length;
      return {
        line: starts[index + 1]!,
        raw,
        cells: Object.fromEntries(names.map((c, i) => [c, raw[i] ?? ''])),
        ...(extra > 0 ? { problem: `has ${raw.length} cells but the header names ${names.length} columns` } : {}),
      };
    }),
  };
}

/**
 * CSV cells are text: a whole number becomes one; anything else, a decimal point included,
 * stays text so the schema names the problem. "15.00" in a minor-units column is not 15 cents.
 */
export function numberCell(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^-?\d+$/.test(value) ? Number(value) : value;
}
