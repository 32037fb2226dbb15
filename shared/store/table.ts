/**
 * The one table definition (single-table design). The CDK stateful stack and the local
 * runner both build the table from this object, so keys, indexes and TTL cannot drift.
 * Plain data on purpose: importing it pulls in neither CDK nor the AWS SDK.
 *
 * Key strings are owned by the entity modules in this folder; no other module builds them.
 */
export const tableDefinition = {
  /** Logical name; the deployed name comes from CloudFormation, locally from `TABLE_NAME`. */
  defaultName: 'termwatch',
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes the item some time after it passes. */
  ttlAttribute: 'expiresAt',
  /**
   * Every index projects keys only (the table's and its own): an update that changes no key of
   * an item writes nothing to the indexes (with ALL, each update of an item on an index rewrote
   * its entry, whatever changed: about half of an event's write units). A list reads the keys
   * with one Query and the items by BatchGetItem (index-query.ts). Changing a deployed index's
   * projection replaces the index: see the README's deploy section and table-admin.ts.
   */
  globalSecondaryIndexes: [
    /** Membership lists: accounts by flag, tasks by status, renewals. */
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'KEYS_ONLY' },
    /** Work by due day: reviews to open, accounts to re-evaluate, reminders to send. */
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'KEYS_ONLY' },
    /**
     * The account directory: every account by id (the account item's gsi1 and gsi2 slots are
     * taken by renewals and re-evaluation). The listing needs the id alone, and the account
     * item's keys here never change, so its later updates never write to this index.
     */
    { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: 'KEYS_ONLY' },
  ],
} as const;

export type TableDefinition = typeof tableDefinition;
export type IndexName = (typeof tableDefinition.globalSecondaryIndexes)[number]['indexName'];

/** One index of the definition by name (its key attributes and projection). */
export function indexDefinition(name: IndexName): TableDefinition['globalSecondaryIndexes'][number] {
  const index = tableDefinition.globalSecondaryIndexes.find((g) => g.indexName === name);
  if (!index) throw new Error(`no index ${name} in the table definition`);
  return index;
}
