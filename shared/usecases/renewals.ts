import type { Policy } from '../domain/policy.ts';
import { addDaysToDate, daysUntilEndOf, localDate } from '../domain/timing.ts';
import type { Store } from '../store/client.ts';
import { listAccountsByNoticeDeadline, type AccountRecord } from '../store/account.ts';

/** How risky a renewal is to let roll: higher first. Defaults outweigh lateness, lateness a dispute. */
export function riskRank(account: Pick<AccountRecord, 'flags' | 'summary'>): number {
  const late = account.summary?.latePayment;
  let rank = 0;
  if (account.flags.includes('late_payer')) rank += 3;
  if (account.flags.includes('unprofitable')) rank += 3;
  if (account.flags.includes('disputes')) rank += 2;
  if ((late?.defaults ?? 0) > 0) rank += 2;
  if ((late?.maxDaysOverdue ?? 0) > 30) rank += 1;
  return rank;
}

/**
 * Contracts whose upcoming notice deadline falls within `withinDays` of today, by deadline
 * (gsi1 `RENEWALS`, kept current by every evaluation and by the sweep when terms roll). Today
 * and the days left are counted in the policy's time zone, as the deadlines are.
 */
export async function listRenewals(
  deps: { store: Store; policy: Pick<Policy, 'timeZone'> },
  query: { withinDays: number; limit: number; cursor?: string; now: Date },
) {
  const zone = deps.policy.timeZone;
  const from = localDate(query.now, zone);
  const to = addDaysToDate(from, query.withinDays);
  const page = await listAccountsByNoticeDeadline(deps.store, { from, to }, { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
  // An account is on the renewals index only with a contract in its summary; one whose stored
  // contract view is of an older shape is left out until its next evaluation rewrites it.
  const items = page.items.flatMap((account) => {
    const contract = account.summary?.contract;
    if (!contract) return [];
    return [
      {
        accountId: account.accountId,
        ...(account.name ? { name: account.name } : {}),
        noticeDeadline: contract.noticeDeadline,
        termEnd: String(contract.upcomingTermEnd),
        renewal: contract.renewal,
        daysLeft: daysUntilEndOf(contract.noticeDeadline, zone, query.now),
        flags: account.flags,
        riskRank: riskRank(account),
      },
    ];
  });
  return page.nextCursor ? { items, nextCursor: page.nextCursor } : { items };
}
