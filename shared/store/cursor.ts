import { InvalidInputError } from '../errors.ts';

/**
 * Opaque list cursors. A cursor carries DynamoDB's LastEvaluatedKey, and decoding checks that
 * it belongs to the partition being listed, so an edited cursor cannot read another partition.
 */
export class InvalidCursorError extends InvalidInputError {
  override readonly name = 'InvalidCursorError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('query.cursor', message, options);
  }
}

export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | undefined {
  if (!lastKey) return undefined;
  return Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, expected: { attribute: string; value: string }): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new InvalidCursorError('cursor is not one this API issued', { cause });
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    (parsed as Record<string, unknown>)[expected.attribute] !== expected.value ||
    !Object.values(parsed).every((v) => typeof v === 'string')
  ) {
    throw new InvalidCursorError('cursor is not one this API issued for this list');
  }
  return parsed as Record<string, unknown>;
}
