/**
 * Error kinds the HTTP layer knows how to answer, so domain and data-access modules can raise
 * them without importing anything HTTP. Each named error in the codebase extends one of these.
 */
export class NotFoundError extends Error {
  override readonly name: string = 'NotFoundError';
}

/** The request conflicts with what is stored (e.g. an idempotency key reused with another body). */
export class ConflictError extends Error {
  override readonly name: string = 'ConflictError';
}

/** The person is known but may not do this (e.g. approve their own request). */
export class ForbiddenError extends Error {
  override readonly name: string = 'ForbiddenError';
}

/** A request value that only the data layer can judge (e.g. a cursor), naming the field. */
export class InvalidInputError extends Error {
  override readonly name: string = 'InvalidInputError';
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
