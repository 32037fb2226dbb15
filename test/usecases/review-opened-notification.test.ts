import { describe, expect, it } from 'vitest';
import { daysLeftNote } from '../../shared/domain/notification.ts';
import { reconcileReviews } from '../../shared/domain/review.ts';
import type { ReviewPlan } from '../../shared/domain/timing.ts';
import { slackMessage } from '../../shared/adapters/slack.ts';
import { taskIdFor } from '../../shared/store/task.ts';
import { reviewOpenedNotification } from '../../shared/usecases/notifications.ts';

const now = new Date('2026-12-03T09:00:00Z');

/** The task an evaluation would open for an open review's plan, and the notification it records with it. */
function opened(overrides: Partial<ReviewPlan> & Pick<ReviewPlan, 'dueAt'>) {
  const plan: ReviewPlan = {
    kind: 'review',
    status: 'open',
    openAt: '2026-12-02T00:00:00.000Z',
    reasons: ['late_payer'],
    track: 'within_window',
    ...overrides,
  };
  const [change] = reconcileReviews([], [plan], { accountId: 'cus_n', now, evidence: {}, newId: (kind) => taskIdFor('cus_n', kind, 1) });
  if (change?.type !== 'create') throw new Error('expected a new review');
  return reviewOpenedNotification(change.task, { accountName: 'Acme SA', flags: ['late_payer'], now });
}

describe('the review-opened notification', () => {
  it('counts the days left to a notice deadline still ahead', () => {
    const n = opened({ targetEnd: '2027-01-31', noticeDeadline: '2027-01-01', dueAt: '2027-01-01T23:59:59.999Z', track: 'within_window' });
    expect(n.text).toContain('Contract term ends 2027-01-31; notice deadline 2027-01-01 (30 days left).');
    expect(n.payload).toMatchObject({ daysLeft: 30 });
    expect(n.payload.deadlinePassed).toBeUndefined();
  });

  it('says a fixed term whose deadline passed is to be decided before its end, not that the deadline has days left', () => {
    const n = opened({
      targetEnd: '2026-12-23',
      noticeDeadline: '2026-11-23',
      openAt: '2026-10-24T00:00:00.000Z',
      dueAt: '2026-12-23T23:59:59.999Z',
      reasons: ['late_payer', 'notice deadline 2026-11-23 has passed'],
      track: 'fixed_past_deadline',
    });
    expect(n.text).toContain('notice deadline 2026-11-23 has passed (21 days left to decide, before the term ends).');
    expect(n.payload).toMatchObject({ daysLeft: 21, deadlinePassed: true });
    const blocks = JSON.stringify(slackMessage(n, { publicUrl: 'https://termwatch.example' }).blocks);
    expect(blocks).toContain('2026-11-23 (passed; 21 days left to decide)');
    expect(blocks).not.toContain('(21 days left)');
  });

  it('notes days left beside a deadline, or that it passed', () => {
    expect(daysLeftNote(false, 30)).toBe(' (30 days left)');
    expect(daysLeftNote(false, undefined)).toBe('');
    expect(daysLeftNote(true, 21)).toBe(' (passed; 21 days left to decide)');
    expect(daysLeftNote(true, undefined)).toBe(' (passed)');
  });
});
