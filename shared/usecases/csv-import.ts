import { parse } from 'csv-parse/sync';

export interface ImportRowError {
  line: number;
  accountId?: string;
  field?: string;
  problem: string;
}

export interface ImportReport {
  rows: number;
  recorded: number;
  unchanged: number;
  errors: ImportRowError[];
}

export const MAX_IMPORT_ROWS = 10_000;

/**
 * Reads a CSV import: a header naming known columns, then rows as cells by column name with
 * their line numbers. A file that cannot be read, or a header that is wrong, is one error on
 * line 1 and no rows, so nothing is written.
 */
export function readCsvRows(
  csv: string,
  columns: { required: readonly string[]; allowed: readonly string[] },
): { rows: Array<{ line: number; raw: string[]; cells: Record<string, string> }> } | { error: ImportRowError; rowCount: number } {
  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (error) {
    return { error: { line: (error as { lines?: number }).lines ?? 1, problem: `not readable as CSV: ${(error as Error).message}` }, rowCount: 0 };
  }
  const [header, ...rows] = records;
  const names = (header ?? []).map((h) => h.trim());
  const missing = columns.required.filter((c) => !names.includes(c));
  const unknown = names.filter((c) => !columns.allowed.includes(c));
  if (!header || missing.length > 0 || unknown.length > 0) {
    const problem = `header must name the columns ${columns.allowed.join(',')}${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`;
    return { error: { line: 1, problem }, rowCount: rows.length };
  }
  if (rows.length > MAX_IMPORT_ROWS) {
    return { error: { line: 1, problem: `at most ${MAX_IMPORT_ROWS} rows per import; split the file` }, rowCount: rows.length };
  }
  return {
    rows: rows.map((raw, index) => ({ line: index + 2, raw, cells: Object.fromEntries(names.map((c, i) => [c, raw[i] ?? ''])) })),
  };
}

/** CSV cells are text: a number that is not one stays text, so the schema names the problem. */
export function numberCell(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}
