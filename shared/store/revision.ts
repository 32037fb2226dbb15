import { ConflictError } from '../errors.ts';
import type { Store } from './client.ts';
import { accountDirectorySet, accountKey } from './keys.ts';

/**
 * The account's facts revision (`factsRev` on the account item): every fact write moves it in
 * its own transaction, and an evaluation is written only on the revision it read. Below the
 * entities, so each fact writer carries the bump without importing the account module.
 */

/**
 * The transaction item every fact write carries: bumps the account's facts revision (creating
 * the account if new), so an evaluation can tell whether it saw every fact.
 */
export function factsRevisionBump(store: Store, accountId: string) {
  const directory = accountDirectorySet(accountId);
  return {
    Update: {
      TableName: store.tableName,
      Key: accountKey(accountId),
      UpdateExpression: `SET accountId = :id, entity = :entity, ${directory.clause} ADD factsRev :one`,
      ExpressionAttributeValues: {
        ':id': accountId,
        ':entity': 'account',
        ':one': 1,
        ...directory.values,
      },
    },
  };
}

/**
 * Another writer got in between a read and the write that depended on it. Callers redo from a
 * fresh read (bounded); when it is still thrown after that, a person's request answers 409 and an
 * event goes back to SQS. Each write is one transaction, so nothing is half-written; when a
 * person's write went in and only the evaluation after it kept losing, the write stands, the
 * request succeeds with the evaluation pending (evaluateAfterWrite), and the next evaluation of the
 * account (the winning writers', the sweep's) includes it.
 */
export class ConcurrentUpdateError extends ConflictError {
  override readonly name = 'ConcurrentUpdateError';
}

/** The race predicate of writers that redo on ConcurrentUpdateError (see retryOptimistic). */
export const isConcurrentUpdate = (error: unknown): boolean => error instanceof ConcurrentUpdateError;
