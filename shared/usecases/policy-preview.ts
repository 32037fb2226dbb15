import { createHash } from 'node:crypto';
import type { Policy } from '../config/policy.ts';
import { canonicalJson } from '../domain/canonical-json.ts';
import type { Store } from '../store/client.ts';
import { accountFactsFromItems, loadAccountPartition } from '../store/account.ts';
import { accountIdsAfter } from '../store/account-directory.ts';
import { decodeCursor, encodeCursor, InvalidCursorError } from '../store/cursor.ts';
import { accountIdSchema } from '../schemas/common.ts';
import type { PolicyPreview, PreviewAccount, PreviewSummary } from '../schemas/preview.ts';
import { assessAccount } from './evaluate-account.ts';

/** Account partitions read at once. */
export const PREVIEW_CONCURRENCY = 16;
/**
 * The most accounts one request examines. When few accounts change, a page may hold fewer than
 * `limit` of them and still carry a `nextCursor` (as a filtered DynamoDB Query does): the request
 * time stays bounded however large the table.
 */
export const PREVIEW_MAX_EXAMINED = 1_000;

export interface PreviewRequest {
  /** The proposed policy, parsed (defaults filled in). */
  proposed: Policy;
  /** List every account examined, not only those whose flags would change. */
  all: boolean;
  limit: number;
  cursor?: string;
}

/** One account examined; no entry when its account item is gone (it is then skipped). */
type Assessed = { accountId: string; entry?: PreviewAccount; changed: boolean };

/**
 * Re-assesses every account under a proposed policy, writing and sending nothing.
 * 1. Decode the cursor (bound to this proposal): where the last page stopped, its `asOf` instant
 *    and the running summary. The first page takes `now`.
 * 2. List account ids after that position (the account directory), at most PREVIEW_MAX_EXAMINED
 *    (or `limit` with `all`).
 * 3. Read each account's partition once (the evaluation's own Query), PREVIEW_CONCURRENCY at a
 *    time, results taken in listing order.
 * 4. Apply the evaluation's pure rules (`assessAccount`) to the same facts twice, under the policy
 *    in force and under the proposal, at `asOf`; compare the flags; for a newly flagged account,
 *    the review the timing rule plans under the proposal.
 * 5. Stop once `limit` accounts are listed; answer them, the running summary and a cursor after
 *    the last account examined.
 *
 * `flagsNow` is re-derived, not the stored evaluation's flags: both sides then see the same facts
 * at the same instant, so the difference is the policy's alone (not time passing since the last
 * evaluation), a preview of the policy in force changes nothing, and `flagsNow` is what
 * `GET /accounts/{id}` shows.
 */
export async function previewPolicy(deps: { store: Store; policy: Policy }, request: PreviewRequest, now: Date): Promise<PolicyPreview> {
  const binding = previewBinding(request);
  const position = readPosition(request.cursor, binding, now);
  const budget = request.all ? request.limit : PREVIEW_MAX_EXAMINED;
  const summary = { ...position.summary };
  const accounts: PreviewAccount[] = [];
  let examined = 0;
  let last: string | undefined;
  let exhausted = true;
  const ids = accountIdsAfter(deps.store, position.after, budget);
  const assessOne = (accountId: string) => assessForPreview(deps, accountId, request.proposed, position.asOf);
  for await (const assessed of inOrder(ids, assessOne, PREVIEW_CONCURRENCY)) {
    examined++;
    last = assessed.accountId;
    if (assessed.entry) {
      tally(summary, assessed.entry);
      if (request.all || assessed.changed) accounts.push(assessed.entry);
    }
    if (accounts.length >= request.limit || examined >= budget) {
      exhausted = false;
      break;
    }
  }
  // Stopped early: a cursor follows, even when no account is left after this one (the next page
  // is then empty), as with DynamoDB's own pages; finding out would cost another Query per page.
  const nextCursor = exhausted || last === undefined ? undefined : writePosition(binding, { asOf: position.asOf, after: last, summary });
  return {
    asOf: position.asOf.toISOString(),
    policy: request.proposed,
    summary,
    accounts,
    ...(nextCursor ? { nextCursor } : {}),
  };
}

/** One account under both policies. */
async function assessForPreview(deps: { store: Store; policy: Policy }, accountId: string, proposed: Policy, asOf: Date): Promise<Assessed> {
  const { account, items } = await loadAccountPartition(deps.store, accountId);
  if (!account) return { accountId, changed: false };
  const facts = accountFactsFromItems(items.values());
  // Exactly what planEvaluation passes, so the flags are those an evaluation would store.
  const now = assessAccount(facts, accountId, deps.policy, asOf, account.flagSince, account.remindersSent);
  const next = assessAccount(facts, accountId, proposed, asOf, account.flagSince, account.remindersSent);
  const changed = canonicalJson(now.flags) !== canonicalJson(next.flags);
  const newlyFlagged = now.flags.length === 0 && next.flags.length > 0;
  const review = newlyFlagged ? next.plans.find((p) => p.kind === 'review') : undefined;
  return {
    accountId,
    changed,
    entry: {
      id: accountId,
      ...(account.name ? { name: account.name } : {}),
      flagsNow: now.flags,
      flagsUnderPreview: next.flags,
      reasonsUnderPreview: [...next.latePayment.reasons, ...next.profit.reasons],
      ...(review
        ? {
            reviewUnderPreview: {
              status: review.status,
              ...(review.targetEnd ? { targetEnd: review.targetEnd } : {}),
              ...(review.noticeDeadline ? { noticeDeadline: review.noticeDeadline } : {}),
              openAt: review.openAt,
              dueAt: review.dueAt,
              reasons: review.reasons,
            },
          }
        : {}),
    },
  };
}

function tally(summary: PreviewSummary, entry: PreviewAccount): void {
  const before = entry.flagsNow.length > 0;
  const after = entry.flagsUnderPreview.length > 0;
  summary.accounts++;
  if (before) summary.flaggedNow++;
  if (after) summary.flaggedUnderPreview++;
  if (!before && after) summary.newlyFlagged++;
  if (before && !after) summary.cleared++;
}

// --- The cursor: the usual opaque cursor (store/cursor.ts), bound to one proposal ------------

const SUMMARY_KEYS = ['accounts', 'flaggedNow', 'flaggedUnderPreview', 'newlyFlagged', 'cleared'] as const;

/** A digest of the proposal and the listing mode: a cursor of another preview is refused. */
function previewBinding(request: PreviewRequest): string {
  return createHash('sha256')
    .update(canonicalJson({ policy: request.proposed, all: request.all }))
    .digest('base64url')
    .slice(0, 22);
}

interface Position {
  asOf: Date;
  after?: string;
  summary: PreviewSummary;
}

function readPosition(cursor: string | undefined, binding: string, now: Date): Position {
  const empty: PreviewSummary = { accounts: 0, flaggedNow: 0, flaggedUnderPreview: 0, newlyFlagged: 0, cleared: 0 };
  const decoded = decodeCursor(cursor, { attribute: 'preview', value: binding });
  if (!decoded) return { asOf: now, summary: empty };
  const asOf = new Date(String(decoded.asOf));
  const after = accountIdSchema.safeParse(decoded.after);
  const counts = String(decoded.summary).split('.').map(Number);
  if (Number.isNaN(asOf.getTime()) || !after.success || counts.length !== SUMMARY_KEYS.length || !counts.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new InvalidCursorError('cursor is not one this API issued for this preview');
  }
  return { asOf, after: after.data, summary: Object.fromEntries(SUMMARY_KEYS.map((k, i) => [k, counts[i]!])) as PreviewSummary };
}

function writePosition(binding: string, position: Required<Position>): string | undefined {
  return encodeCursor({
    preview: binding,
    asOf: position.asOf.toISOString(),
    after: position.after,
    summary: SUMMARY_KEYS.map((k) => position.summary[k]).join('.'),
  });
}

// --- Bounded, ordered concurrency ----------------------------------------------------------

/**
 * `work` over `source`, at most `concurrency` at once, results yielded in the source's order.
 * When the consumer stops, no further work starts; what is in flight (fewer than `concurrency`)
 * finishes unread.
 */
async function* inOrder<T, R>(
  source: AsyncGenerator<T, void, undefined>,
  work: (value: T) => Promise<R>,
  concurrency: number,
): AsyncGenerator<R, void, undefined> {
  const inFlight: Array<Promise<R>> = [];
  let done = false;
  const fill = async () => {
    while (!done && inFlight.length < concurrency) {
      const next = await source.next();
      if (next.done) {
        done = true;
        break;
      }
      const started = work(next.value);
      // Awaited in order below; this only keeps an abandoned one from being an unhandled rejection.
      started.catch(() => undefined);
      inFlight.push(started);
    }
  };
  try {
    await fill();
    while (inFlight.length > 0) {
      const head = inFlight.shift()!;
      const result = await head;
      yield result;
      await fill();
    }
  } finally {
    await source.return();
  }
}
