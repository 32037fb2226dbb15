import { RECEIPT_PARTITION_PREFIX } from '../../shared/store/stripe-event.ts';
import type { TableGrant } from '../constructs/watcher-function.ts';

/**
 * What each function's code does with the table (read from functions/ and shared/; the infra test
 * bundles each handler and checks these lists against the calls esbuild keeps, both ways).
 */
export const tableGrants = {
  // One conditional PutItem of its receipt (shared/store/stripe-event.ts), under EVT# only.
  webhook: { actions: ['PutItem'], leadingKeyPrefixes: [RECEIPT_PARTITION_PREFIX] },
  // Applies events: facts, contracts, tasks, audit, notifications (transactions of Put/Update/Delete,
  // and a ConditionCheck of the account item when Stripe's terms move alone); recording customers
  // reads accounts and contracts by key (BatchGet, as the backfill's pages do).
  processor: { actions: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'] },
  // Finance routes: lists by flag, status and renewal (gsi1; the index holds keys only, so each
  // list BatchGets its items), and the policy preview's listing of every account (the account
  // directory, gsi3; no Scan).
  api: { actions: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'], queriesIndexes: ['gsi1', 'gsi3'] },
  // Due work by day (gsi2, keys only: the ids) and undispatched notifications (gsi2, then BatchGet of
  // the items), evaluations, the checkpoint; delivery claims, and for the digest the notifications
  // and tasks by time (gsi1, then BatchGet) and account names (BatchGet).
  sweep: { actions: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'], queriesIndexes: ['gsi1', 'gsi2'] },
} as const satisfies Record<string, TableGrant>;
