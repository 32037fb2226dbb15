import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { chooseContract, contractSchema, isStripeSource, type Contract } from '../domain/contract.ts';
import { canonicalJson } from '../canonical-json.ts';
import { isTransactionConditionFailed, type Store } from './client.ts';
import { ConcurrentUpdateError, factsRevisionBump } from './account.ts';
import { auditPut } from './audit.ts';

/**
 * The contract in force for an account (`CONTRACT`), chosen among every source by the domain's
 * precedence rule; every change leaves an audit record (its history) in the same transaction.
 */
const contractKey = (accountId: string) => ({ pk: `ACCT#${accountId}`, sk: 'CONTRACT' });

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

/** What a contract says, without when and from which object it was read. */
function terms(contract: Contract) {
  const { recordedAt: _at, sourceRef: _ref, stripeVersion: _version, ...rest } = contract;
  return rest;
}

export type ContractSaveResult = { outcome: 'changed' | 'kept'; contract: Contract; previous?: Contract };

/**
 * Offers a contract observation: it replaces the one on record only if the precedence rule
 * prefers it. A change writes the contract, a history entry and bumps the account's facts
 * revision in one transaction (creating the account if new).
 */
export async function offerContract(store: Store, accountId: string, candidate: Contract, actor: string): Promise<ContractSaveResult> {
  for (let attempt = 1; ; attempt++) {
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
    const rev = (current?.rev ?? 0) + 1;
    try {
      await store.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: store.tableName,
                Item: { ...contractKey(accountId), entity: 'contract', accountId, contract: chosen, rev },
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
      return { outcome: 'changed', contract: chosen, ...(current ? { previous: current.contract } : {}) };
    } catch (error) {
      if (!isTransactionConditionFailed(error) || attempt >= 8) {
        throw isTransactionConditionFailed(error)
          ? new ConcurrentUpdateError(`contract of ${accountId} kept changing`, { cause: error })
          : error;
      }
    }
  }
}
