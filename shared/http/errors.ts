import * as z from '../zod.ts';

/** An error the HTTP layer answers with its own status; the message is safe to show. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  /** Response headers the answer carries (e.g. `retry-after`). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options);
    this.headers = options?.headers ?? {};
  }
}

export class ValidationError extends HttpError {
  override readonly name = 'ValidationError';
  constructor(
    readonly issues: Array<{ field: string; problem: string }>,
    options?: { cause?: unknown },
  ) {
    super(400, 'validation_error', issues.map((i) => `${i.field}: ${i.problem}`).join('; '), { issues }, options);
  }
}

/** Validates one part of a request, naming each offending field as `where.path` (e.g. `body.endDate`). */
export function parseRequestPart<T extends z.core.$ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'path'): z.infer<T> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => {
      const path = issue.path.map(String);
      // An unknown key names itself, so the message points at the key the client sent.
      const keys = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys : undefined;
      const field = [where, ...path, ...(keys && keys.length === 1 ? keys : [])].join('.');
      return { field, problem: issue.message };
    }),
  );
}
