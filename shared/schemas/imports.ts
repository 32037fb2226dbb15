import * as z from '../zod.ts';

/** A CSV row that was not imported: its line as a spreadsheet numbers it, and why. */
export const importRowErrorSchema = z.object({ line: z.int(), accountId: z.optional(z.string()), field: z.optional(z.string()), problem: z.string() });
export type ImportRowError = z.infer<typeof importRowErrorSchema>;

/** The answer of POST /contracts/import and POST /costs/import. */
export const importReportSchema = z.object({
  rows: z.int(),
  recorded: z.int(),
  unchanged: z.int(),
  errors: z.array(importRowErrorSchema),
});
export type ImportReport = z.infer<typeof importReportSchema>;
