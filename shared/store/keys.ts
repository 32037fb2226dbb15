/**
 * The keys every entity of an account's partition shares: the partition itself (`ACCT#<id>`)
 * and the account item at its head (`ACCOUNT`). At the bottom of the store, so the entities
 * that live in the partition (facts, contract, costs, tasks, audit, notifications) and the
 * facts revision every fact write moves need not import the account module, which reads them
 * all. Every other key string is owned by its entity module (see docs/data-model.md).
 */

/** The partition of one account: every item about it, from facts to audit records. */
const ACCOUNT_PARTITION_PREFIX = 'ACCT#';
export const accountPartition = (accountId: string): string => `${ACCOUNT_PARTITION_PREFIX}${accountId}`;

/** The account item's sort key: sorts before every fact, so one Query reads it first. */
export const ACCOUNT_SK = 'ACCOUNT';

/** The account id of an account partition's key (`ACCT#<id>`), as read back from an index entry. */
export const accountIdOfPartition = (pk: string): string => {
  if (!pk.startsWith(ACCOUNT_PARTITION_PREFIX)) throw new Error(`not an account partition: ${pk}`);
  return pk.slice(ACCOUNT_PARTITION_PREFIX.length);
};

export const accountKey = (accountId: string) => ({
  pk: accountPartition(accountId),
  sk: ACCOUNT_SK,
});

/**
 * Sort keys from here on hold history (audit trail, notification outbox, Stripe observations):
 * `~` sorts after every fact prefix, so the evaluation's partition read (`sk < '~'`) skips them.
 */
export const HISTORY_SK_FROM = '~';

/**
 * The account directory: gsi3 (keys only), one partition `ACCOUNTS` sorted by account id. Every
 * write that can create or rewrite the account item (a fact's revision bump, a customer update,
 * an evaluation) sets it, so one Query lists every account in id order without a Scan, and the
 * index costs a write only when an account first appears (its keys never change after that).
 */
export const ACCOUNT_DIRECTORY_PK = 'ACCOUNTS';

export const accountDirectoryKey = (accountId: string) => ({ gsi3pk: ACCOUNT_DIRECTORY_PK, gsi3sk: accountId });

/** The `SET` clause and values that put the account item in the directory, for an UpdateExpression. */
export const accountDirectorySet = (accountId: string) => {
  const key = accountDirectoryKey(accountId);
  return { clause: 'gsi3pk = :dirPk, gsi3sk = :dirSk', values: { ':dirPk': key.gsi3pk, ':dirSk': key.gsi3sk } };
};
