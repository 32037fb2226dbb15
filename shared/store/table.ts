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
  globalSecondaryIndexes: [
    /** Membership lists: accounts by flag, tasks by status, renewals. */
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** Work by due day: reviews to open, accounts to re-evaluate, reminders to send. */
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  ],
} as const;

export type TableDefinition = typeof tableDefinition;
export type IndexName = (typeof tableDefinition.globalSecondaryIndexes)[number]['indexName'];
