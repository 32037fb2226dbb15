import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Policy } from '../config/policy.ts';
import { addDaysToDate, daysUntilEndOf, localDate } from '../domain/timing.ts';
import type { Store } from '../store/client.ts';
import { accountRecordSchema, type AccountRecord } from '../store/account.ts';
import { decodeCursor, encodeCursor } from '../store/cursor.ts';

/** How risky a renewal is to let roll: higher first. Defaults outweigh lateness, lateness a dispute. */
export function riskRank(account: Pick<AccountRecord, 'flags' | 'summary'>): number {
  const late = (account.summary?.latePayment ?? {}) as { defaults?: number; maxDaysOverdue?: number };
  let rank = 0;
  if (account.flags.includes('late_payer')) rank += 3;
  if (account.flags.includes('unprofitable')) rank += 3;
  if (account.flags.includes('disputes')) rank += 2;
  if ((late.defaults ?? 0) > 0) rank += 2;
  if ((late.maxDaysOverdue ?? 0) > 30) rank += 1;
  return rank;
}

/**
 * Contracts whose upcoming notice deadline falls within `withinDays` of today, by deadline
 * (gsi1 `RENEWALS`, kept current by every evaluation and by the sweep when terms roll). Today
 * and the days left are counted in the policy's time zone, as the deadlines are.
 */
export async function listRenewals(deps: { store: Store; policy: Pick<Policy, 'timeZone'> }, query: { withinDays: number; limit: number; cursor?: string; now: Date }) {
  const zone = deps.policy.timeZone;
  const from = localDate(query.now, zone);
  const to = addDaysToDate(from, query.withinDays);
  const page = await deps.store.doc.send(
    new QueryCommand({
      TableName: deps.store.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': 'RENEWALS', ':from': from, ':to': `${to}#\uffff` },
      Limit: query.limit,
      ExclusiveStartKey: decodeCursor(query.cursor, { attribute: 'gsi1pk', value: 'RENEWALS' }),
    }),
  );
  const items = (page.Items ?? []).map((item) => {
    const account = accountRecordSchema.parse(item);
    const contract = (account.summary?.contract ?? {}) as Record<string, unknown>;
    return {
      accountId: account.accountId,
      ...(account.name ? { name: account.name } : {}),
      noticeDeadline: String(contract.noticeDeadline),
      termEnd: String(contract.upcomingTermEnd),
      renewal: String(contract.renewal),
      daysLeft: daysUntilEndOf(String(contract.noticeDeadline), zone, query.now),
      flags: account.flags,
      riskRank: riskRank(account),
    };
  });
  const nextCursor = encodeCursor(page.LastEvaluatedKey);
  return nextCursor ? { items, nextCursor } : { items };
}
