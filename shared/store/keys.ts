/**
 * The keys every entity of an account's partition shares: the partition itself (`ACCT#<id>`)
 * and the account item at its head (`ACCOUNT`). At the bottom of the store, so the entities
 * that live in the partition (facts, contract, costs, tasks, audit, notifications) and the
 * facts revision every fact write moves need not import the account module, which reads them
 * all. Every other key string is owned by its entity module (see docs/data-model.md).
 */

/** The partition of one account: every item about it, from facts to audit records. */
export const accountPartition = (accountId: string): string => `ACCT#${accountId}`;

/** The account item's sort key: sorts before every fact, so one Query reads it first. */
export const ACCOUNT_SK = 'ACCOUNT';

export const accountKey = (accountId: string) => ({
  pk: accountPartition(accountId),
  sk: ACCOUNT_SK,
});

/**
 * Sort keys from here on hold history (audit trail, notification outbox, Stripe observations):
 * `~` sorts after every fact prefix, so the evaluation's partition read (`sk < '~'`) skips them.
 */
export const HISTORY_SK_FROM = '~';
