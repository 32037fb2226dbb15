import { describe, expect, it } from 'vitest';
import { reconcileReviews, type Task } from '../../shared/domain/review.ts';
import type { ReviewPlan } from '../../shared/domain/timing.ts';

const now = new Date('2026-11-22T12:00:00Z');
const ctx = { accountId: 'cus_1', now, evidence: { latePayment: { lateInvoices: 3 } }, newId: (kind: string) => `cus_1~${kind === 'review' ? 'r' : 'fc'}1` };

const plan = (overrides: Partial<ReviewPlan> = {}): ReviewPlan => ({
  kind: 'review',
  status: 'scheduled',
  targetEnd: '2027-03-31',
  noticeDeadline: '2027-03-01',
  openAt: '2027-02-15T00:00:00.000Z',
  dueAt: '2027-03-01T23:59:59.999Z',
  reasons: ['late_payer'],
  track: 'before_open',
  ...overrides,
});

function created(p: ReviewPlan): Task {
  const [change] = reconcileReviews([], [p], ctx);
  if (change?.type !== 'create') throw new Error('expected a create');
  return change.task;
}

describe('reconcileReviews', () => {
  it('creates one review for a plan, with the checklist and evidence', () => {
    const task = created(plan());
    expect(task).toMatchObject({ id: 'cus_1~r1', status: 'scheduled', targetEnd: '2027-03-31', decisions: [] });
    expect(task.checklist).toHaveLength(6);
    expect(task.evidence).toEqual(ctx.evidence);
  });

  it('changes nothing when evaluated again with the same plan', () => {
    const task = created(plan());
    expect(reconcileReviews([task], [plan()], { ...ctx, now: new Date('2026-11-23T12:00:00Z') })).toEqual([]);
  });

  it('moves the review when the targeted term end changes, keeping its id', () => {
    const task = created(plan());
    const [change] = reconcileReviews([task], [plan({ targetEnd: '2027-06-30', noticeDeadline: '2027-05-31' })], ctx);
    expect(change?.type).toBe('move');
    if (change?.type !== 'move') return;
    expect(change.after.id).toBe(task.id);
    expect(change.after.history.at(-1)?.note).toContain('moved from term end 2027-03-31 to 2027-06-30');
  });

  it('cancels a scheduled review whose signals cleared, with the reason', () => {
    const task = created(plan());
    const [change] = reconcileReviews([task], [], ctx);
    expect(change).toMatchObject({ type: 'update', after: { status: 'cancelled' } });
    if (change?.type === 'update') expect(change.after.history.at(-1)?.note).toContain('signals cleared');
  });

  it('keeps an open review open when its signals clear, and says so', () => {
    const task = { ...created(plan({ status: 'open', track: 'within_window' })) };
    const [change] = reconcileReviews([task], [], ctx);
    expect(change).toMatchObject({ type: 'update', after: { status: 'open', signalsCleared: true } });
    expect(reconcileReviews([change!.type === 'update' ? change!.after : task], [], ctx)).toEqual([]);
  });

  it('never sends an open review back to scheduled (a timed one)', () => {
    const task = created(plan({ status: 'open', track: 'within_window' }));
    const [change] = reconcileReviews(
      [task],
      [plan({ status: 'scheduled', targetEnd: '2028-03-31', noticeDeadline: '2028-03-01', track: 'auto_rolled' })],
      ctx,
    );
    expect(change?.type === 'move' && change.after.status).toBe('open');
  });

  it('leaves a decided review alone and makes no second one for the same term', () => {
    const task: Task = { ...created(plan()), status: 'decided' };
    expect(reconcileReviews([task], [plan()], ctx)).toEqual([]);
  });

  it('cancels an active review whose term end moved back to one already decided, instead of moving it into that slot', () => {
    const decided: Task = { ...created(plan()), status: 'decided' };
    const later = plan({ targetEnd: '2027-06-30', noticeDeadline: '2027-05-31' });
    for (const status of ['scheduled', 'open'] as const) {
      const active: Task = { ...created(later), id: 'cus_1~r2', status };
      const changes = reconcileReviews([decided, active], [plan()], ctx);
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ type: 'update', before: { id: 'cus_1~r2' }, after: { id: 'cus_1~r2', status: 'cancelled', targetEnd: '2027-06-30' } });
      if (changes[0]?.type === 'update') expect(changes[0].after.history.at(-1)?.note).toContain('cus_1~r1 was already decided');
      // Evaluated again: nothing more to do (the cancelled one stays in its own slot).
      const after = changes[0]!.type === 'update' ? changes[0]!.after : active;
      expect(reconcileReviews([decided, after], [plan()], ctx)).toEqual([]);
      // The end moves forward again: the cancelled review comes back for that term.
      expect(reconcileReviews([decided, after], [later], ctx)).toMatchObject([{ type: 'update', after: { id: 'cus_1~r2', status: 'scheduled' } }]);
    }
  });

  it('brings back a cancelled review when the signals return for the same term', () => {
    const task: Task = { ...created(plan()), status: 'cancelled' };
    const [change] = reconcileReviews([task], [plan()], ctx);
    expect(change).toMatchObject({ type: 'update', after: { id: task.id, status: 'scheduled' } });
  });

  it('brings back a review cancelled before it opened, moved to the new term, instead of making a second one', () => {
    const task: Task = { ...created(plan()), status: 'cancelled' };
    const other = plan({ targetEnd: '2027-09-30', noticeDeadline: '2027-08-31', openAt: '2027-08-15T00:00:00.000Z', dueAt: '2027-08-31T23:59:59.999Z' });
    const [change] = reconcileReviews([task], [other], { ...ctx, newId: () => 'cus_1~r2' });
    expect(change).toMatchObject({ type: 'move', before: { id: 'cus_1~r1' }, after: { id: 'cus_1~r1', status: 'scheduled', targetEnd: '2027-09-30' } });
  });

  it('keeps a decided review and starts a new one for another term', () => {
    const task: Task = { ...created(plan()), status: 'decided' };
    const other = plan({ targetEnd: '2028-03-31', noticeDeadline: '2028-03-01' });
    const [change] = reconcileReviews([task], [other], { ...ctx, newId: () => 'cus_1~r2' });
    expect(change).toMatchObject({ type: 'create', task: { id: 'cus_1~r2', targetEnd: '2028-03-31' } });
  });

  it('keeps the for-cause track separate from the term-end review', () => {
    const forCause = plan({ kind: 'for_cause', status: 'open', track: 'for_cause', openAt: now.toISOString(), dueAt: now.toISOString() });
    delete forCause.targetEnd;
    delete forCause.noticeDeadline;
    const changes = reconcileReviews([], [plan(), forCause], ctx);
    expect(changes.map((c) => (c.type === 'create' ? c.task.kind : ''))).toEqual(['review', 'for_cause']);
  });
});
