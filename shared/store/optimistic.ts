/**
 * Optimistic writes: read, compute, write on the condition that nothing read has changed; when
 * another writer got in between, read again and redo. The one loop every such writer uses, so
 * each makes the same number of attempts with the same backoff.
 */

/** Attempts an optimistic write makes (read, compute, conditional write) before giving up to SQS redelivery. */
export const MAX_CONFLICT_ATTEMPTS = 8;

/**
 * The pause before redoing an optimistic write another writer got in ahead of: exponential with
 * full jitter (10 ms, 20 ms, … up to 1 s), so writers that collided spread out instead of colliding
 * again in step.
 */
export function backoffAfterConflict(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.random() * Math.min(1000, 10 * 2 ** (attempt - 1))));
}

export interface OptimisticOptions {
  /** The errors that mean "another writer got in between": the attempt is redone. */
  isRace: (error: unknown) => boolean;
  /** What to throw when the last attempt lost its race too (the race error itself when absent). */
  exhausted?: (error: unknown) => Error;
}

/**
 * Runs `attempt` (a read, then a conditional write from it) until it returns, redoing it after
 * backoffAfterConflict when it throws an error `isRace` accepts, MAX_CONFLICT_ATTEMPTS times in
 * all. Any other error is thrown as it is, at once.
 */
export async function retryOptimistic<T>(attempt: (n: number) => Promise<T>, options: OptimisticOptions): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!options.isRace(error)) throw error;
      if (n >= MAX_CONFLICT_ATTEMPTS) throw options.exhausted ? options.exhausted(error) : error;
      await backoffAfterConflict(n);
    }
  }
}
