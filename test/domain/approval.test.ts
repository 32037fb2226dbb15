import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  answerApproval,
  applyDecision,
  isApprovalOverdue,
  NotPendingApprovalError,
  OwnApprovalError,
  TaskNotDecidableError,
  type Actor,
} from '../../shared/domain/approval.ts';
import { ForbiddenError } from '../../shared/errors.ts';
import { REVIEW_CHECKLIST, type Task } from '../../shared/domain/review.ts';

const at = '2026-11-22T12:00:00.000Z';
const openTask: Task = {
  id: 'cus_1~r1',
  accountId: 'cus_1',
  kind: 'review',
  status: 'open',
  reasons: ['late_payer'],
  targetEnd: '2027-03-31',
  noticeDeadline: '2027-03-01',
  openAt: at,
  dueAt: '2027-03-01T23:59:59.999Z',
  track: 'within_window',
  evidence: {},
  checklist: [...REVIEW_CHECKLIST],
  decisions: [],
  history: [{ at, status: 'open', note: 'review opened' }],
  createdAt: at,
  updatedAt: at,
};
const ana: Actor = { name: 'ana', role: 'reviewer' };
const bo: Actor = { name: 'bo', role: 'approver' };
const cy: Actor = { name: 'cy', role: 'admin' };

describe('applyDecision and answerApproval', () => {
  it('turns a termination into a request that another approver decides', () => {
    const pending = applyDecision(openTask, { decision: 'terminate', note: 'keeps paying late' }, ana, at, 'two_person');
    expect(pending).toMatchObject({ status: 'pending_approval', approval: { requestedBy: 'ana', requestedAt: at, note: 'keeps paying late' }, decisions: [] });
    const decided = answerApproval(pending, { approve: true, note: 'agreed' }, bo, '2026-11-23T09:00:00.000Z');
    expect(decided.status).toBe('decided');
    expect(decided.approval).toBeUndefined();
    expect(decided.decisions).toEqual([
      {
        decision: 'terminate',
        note: 'keeps paying late',
        at: '2026-11-23T09:00:00.000Z',
        by: 'ana',
        plannedEndDate: '2027-03-31',
        noticeDeadline: '2027-03-01',
        approvedBy: 'bo',
        approvedAt: '2026-11-23T09:00:00.000Z',
        approvalNote: 'agreed',
      },
    ]);
  });

  it('reopens a rejected request and keeps the rejection in the history', () => {
    const pending = applyDecision(openTask, { decision: 'terminate', note: 'n' }, ana, at, 'two_person');
    const rejected = answerApproval(pending, { approve: false, note: 'give them one more month' }, cy, at);
    expect(rejected).toMatchObject({ status: 'open', decisions: [] });
    expect(rejected.approval).toBeUndefined();
    expect(rejected.history.at(-1)?.note).toBe('termination requested by ana rejected by cy: give them one more month');
  });

  it('refuses the requester answering their own request, even an admin', () => {
    const pending = applyDecision(openTask, { decision: 'terminate', note: 'n' }, cy, at, 'two_person');
    expect(() => answerApproval(pending, { approve: true, note: 'me again' }, cy, at)).toThrow(OwnApprovalError);
    expect(() => answerApproval(pending, { approve: true, note: 'x' }, ana, at)).toThrow(ForbiddenError);
  });

  it('refuses another decision while a request waits, and an answer when nothing waits', () => {
    const pending = applyDecision(openTask, { decision: 'terminate', note: 'n' }, ana, at, 'two_person');
    expect(() => applyDecision(pending, { decision: 'retain', note: 'x' }, bo, at, 'two_person')).toThrow(TaskNotDecidableError);
    expect(() => answerApproval(openTask, { approve: true, note: 'x' }, bo, at)).toThrow(NotPendingApprovalError);
  });

  it('decides retain, renegotiate, and (single) terminate with one person', () => {
    expect(applyDecision(openTask, { decision: 'retain', note: 'x' }, ana, at, 'two_person')).toMatchObject({
      status: 'decided',
      decisions: [{ decision: 'retain', by: 'ana' }],
    });
    expect(applyDecision(openTask, { decision: 'terminate', note: 'x' }, ana, at, 'single')).toMatchObject({
      status: 'decided',
      decisions: [{ decision: 'terminate', by: 'ana' }],
    });
  });

  it('marks a request overdue once its notice deadline has passed', () => {
    const pending = applyDecision(openTask, { decision: 'terminate', note: 'n' }, ana, at, 'two_person');
    expect(isApprovalOverdue(pending, '2027-03-01')).toBe(false);
    expect(isApprovalOverdue(pending, '2027-03-02')).toBe(true);
    expect(isApprovalOverdue(openTask, '2027-03-02')).toBe(false);
  });
});

describe('property: two distinct people, one an approver, behind every termination (two_person)', () => {
  const people = fc.constantFrom<Actor>(
    { name: 'ana', role: 'reviewer' },
    { name: 'bo', role: 'approver' },
    { name: 'cy', role: 'admin' },
    { name: 'di', role: 'viewer' },
    { name: 'ed', role: 'approver' },
  );
  const step = fc.oneof(
    fc.record({ kind: fc.constant('decide' as const), decision: fc.constantFrom('retain' as const, 'renegotiate' as const, 'terminate' as const), by: people }),
    fc.record({ kind: fc.constant('answer' as const), approve: fc.boolean(), by: people }),
  );

  it('holds for any sequence of decisions, approvals and rejections by anyone', () => {
    let terminations = 0;
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        let task = openTask;
        const roleOf = new Map<string, Actor['role']>();
        for (const s of steps) {
          roleOf.set(s.by.name, s.by.role);
          const before = task;
          try {
            task =
              s.kind === 'decide'
                ? applyDecision(task, { decision: s.decision, note: 'n' }, s.by, at, 'two_person')
                : answerApproval(task, { approve: s.approve, note: 'n' }, s.by, at);
          } catch (error) {
            // A refused step changes nothing.
            expect(error).toSatisfy((e: unknown) => e instanceof ForbiddenError || e instanceof TaskNotDecidableError || e instanceof NotPendingApprovalError);
            expect(task).toBe(before);
          }
          for (const d of task.decisions.filter((x) => x.decision === 'terminate')) {
            expect(d.approvedBy).toBeDefined();
            expect(d.approvedBy).not.toBe(d.by);
            expect(['approver', 'admin']).toContain(roleOf.get(d.approvedBy!));
            expect(['reviewer', 'approver', 'admin']).toContain(roleOf.get(d.by));
          }
          if (task !== before && task.decisions.at(-1)?.decision === 'terminate' && task.decisions.length > before.decisions.length) terminations++;
          // Decisions are appended, never rewritten.
          expect(task.decisions.slice(0, before.decisions.length)).toEqual(before.decisions);
        }
      }),
      { numRuns: 500 },
    );
    // The runs did reach decided terminations, so the checks above were exercised.
    expect(terminations).toBeGreaterThan(5);
  });
});
