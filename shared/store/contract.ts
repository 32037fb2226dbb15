import { GetCommand, PutCommand, TransactWriteCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { chooseContract, contractSchema, isStripeSource, type Contract } from '../domain/contract.ts';
import { canonicalJson } from '../domain/canonical-json.ts';
import { batchGetItems, isConditionFailed, isTransactionRace, type Store } from './client.ts';
import { retryOptimistic } from './optimistic.ts';
import { accountIdOfPartition, accountPartition } from './keys.ts';
import { ConcurrentUpdateError, factsRevisionBump } from './revision.ts';
import { auditPut } from './audit.ts';

/**
 * The contract in force for an account (`CONTRACT`), chosen among every source by the domain's
 * precedence rule; every change leaves an audit record (its history) in the same transaction.
 */
/** The contract item's sort key: one contract per account. */
export const CONTRACT_SK = 'CONTRACT';
const contractKey = (accountId: string) => ({ pk: accountPartition(accountId), sk: CONTRACT_SK });

export interface StoredContract {
  contract: Contract;
  rev: number;
}

export function contractFromItem(item: Record<string, unknown>): StoredContract {
  return { contract: contractSchema.parse(item.contract), rev: Number(item.rev) };
}

export async function getContract(store: Store, accountId: string): Promise<StoredContract | undefined> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: contractKey(accountId), ConsistentRead: true }));
  return result.Item ? contractFromItem(result.Item) : undefined;
}

/** The contracts on record of these accounts, by account id (consistent BatchGetItem). */
export async function getContracts(store: Store, accountIds: readonly string[]): Promise<Map<string, StoredContract>> {
  const items = await batchGetItems(store, accountIds.map(contractKey), { consistent: true });
  return new Map(items.map((item) => [accountIdOfPartition(String(item.pk)), contractFromItem(item)]));
}

/** What a contract says, without when and from which object it was read. */
function terms(contract: Contract) {
  const { recordedAt: _at, sourceRef: _ref, stripeVersion: _version, ...rest } = contract;
  return rest;
}

/**
 * What putting the Stripe terms `next` in place of `current` writes, without writing it (so an
 * evaluation can commit with it): `changed` (the contract put or deleted, conditioned on the
 * revision read, and its history entry; the writer moves the facts revision), `moved` (the same
 * terms from a newer observation: only the contract item, where they were read), or `kept`
 * (nothing to write). `after` is the contract item as the write leaves it (null: none).
 */
export type StripeContractChange =
  | { outcome: 'kept' }
  | { outcome: 'changed' | 'moved'; items: Array<Record<string, unknown>>; after: Record<string, unknown> | null };

export function stripeContractChange(
  store: Store,
  accountId: string,
  current: StoredContract | undefined,
  next: Contract | null,
  actor: string,
  at: string,
): StripeContractChange {
  if (current && !isStripeSource(current.contract.source)) return { outcome: 'kept' };
  if (next === null ? current === undefined : current !== undefined && canonicalJson(current.contract) === canonicalJson(next)) return { outcome: 'kept' };
  const onRevision = current
    ? { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': current.rev } }
    : { ConditionExpression: 'attribute_not_exists(pk)' };
  const item = next === null ? null : { ...contractKey(accountId), entity: 'contract', accountId, contract: next, rev: (current?.rev ?? 0) + 1 };
  if (item !== null && current !== undefined && canonicalJson(terms(next!)) === canonicalJson(terms(current.contract))) {
    // The same terms from a newer observation: only where they were read moves on (which object,
    // which version, when). That is no change of the contract: no history entry, and the facts
    // revision stays (an evaluation reads the terms, which are what they were).
    return { outcome: 'moved', items: [{ Put: { TableName: store.tableName, Item: item, ...onRevision } }], after: item };
  }
  const history = auditPut(store, {
    accountId,
    at,
    by: actor,
    action: next === null ? 'contract.withdrawn' : current ? 'contract.replaced' : 'contract.recorded',
    entity: 'contract',
    entityId: accountId,
    before: current?.contract ?? null,
    after: next,
  });
  const write =
    item === null
      ? { Delete: { TableName: store.tableName, Key: contractKey(accountId), ...onRevision } }
      : { Put: { TableName: store.tableName, Item: item, ...onRevision } };
  return { outcome: 'changed', items: [write, history], after: item };
}

/**
 * Puts the Stripe terms in force in place of `current` (the contract as read, before the Stripe
 * objects were read): records or replaces them, or deletes the contract when Stripe gives none
 * (`next` null). Unlike offerContract, older Stripe terms on record do not stay: they are what
 * Stripe gave before, not what it gives now. Terms a person recorded outrank every Stripe
 * source and are kept. A change writes the contract (or deletes it), a history entry and bumps
 * the facts revision in one transaction, conditioned on the revision read: ConcurrentUpdateError
 * when it moved, and the caller reads and computes again. The same terms read from a newer
 * observation only update where they were read (no history entry, no revision bump): `moved`.
 */
export async function putStripeContract(
  store: Store,
  accountId: string,
  current: StoredContract | undefined,
  next: Contract | null,
  actor: string,
): Promise<StripeContractChange['outcome']> {
  const change = stripeContractChange(store, accountId, current, next, actor, new Date().toISOString());
  if (change.outcome === 'kept') return 'kept';
  try {
    if (change.outcome === 'moved') await store.doc.send(new PutCommand(change.items[0]!.Put as PutCommandInput));
    else await store.doc.send(new TransactWriteCommand({ TransactItems: [...change.items, factsRevisionBump(store, accountId)] as never }));
    return change.outcome;
  } catch (error) {
    if (isTransactionRace(error) || isConditionFailed(error)) throw new ConcurrentUpdateError(`contract of ${accountId} changed meanwhile`, { cause: error });
    throw error;
  }
}

/** The contract put (conditioned on the revision read), its history entry and the facts revision bump, in one transaction. */
async function writeContract(store: Store, accountId: string, current: StoredContract | undefined, chosen: Contract, actor: string): Promise<void> {
  await store.doc.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: store.tableName,
            Item: { ...contractKey(accountId), entity: 'contract', accountId, contract: chosen, rev: (current?.rev ?? 0) + 1 },
            ConditionExpression: current ? 'rev = :rev' : 'attribute_not_exists(pk)',
            ...(current ? { ExpressionAttributeValues: { ':rev': current.rev } } : {}),
          },
        },
        auditPut(store, {
          accountId,
          at: new Date().toISOString(),
          by: actor,
          action: current ? 'contract.replaced' : 'contract.recorded',
          entity: 'contract',
          entityId: accountId,
          before: current?.contract ?? null,
          after: chosen,
        }),
        factsRevisionBump(store, accountId),
      ],
    }),
  );
}

export type ContractSaveResult = { outcome: 'changed' | 'kept'; contract: Contract; previous?: Contract };

/**
 * Offers a contract observation: it replaces the one on record only if the precedence rule
 * prefers it. A change writes the contract, a history entry and bumps the account's facts
 * revision in one transaction (creating the account if new).
 */
export async function offerContract(store: Store, accountId: string, candidate: Contract, actor: string): Promise<ContractSaveResult> {
  return retryOptimistic(
    async (): Promise<ContractSaveResult> => {
      const current = await getContract(store, accountId);
      const chosen = chooseContract(current?.contract, candidate);
      // A person re-recording identical terms (a re-import) changes nothing. Stripe observations
      // keep their newest version even when the terms match, so later ones are ordered correctly.
      const same = isStripeSource(chosen.source)
        ? canonicalJson(chosen) === canonicalJson(current?.contract)
        : current !== undefined && canonicalJson(terms(chosen)) === canonicalJson(terms(current.contract));
      if (current && same) {
        return { outcome: 'kept', contract: current.contract };
      }
      await writeContract(store, accountId, current, chosen, actor);
      return { outcome: 'changed', contract: chosen, ...(current ? { previous: current.contract } : {}) };
    },
    { isRace: isTransactionRace, exhausted: (error) => new ConcurrentUpdateError(`contract of ${accountId} kept changing`, { cause: error }) },
  );
}
