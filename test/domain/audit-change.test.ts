import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditChange } from '../../shared/domain/audit-change.ts';
import { canonicalJson } from '../../shared/domain/canonical-json.ts';
import { reconcileReviews, type Task } from '../../shared/domain/review.ts';
import type { ReviewPlan } from '../../shared/domain/timing.ts';

/** The entity on the other side of an update record: `from` with `side`'s changed fields set, and those `side` lacks removed. */
function replay(from: Record<string, unknown>, side: unknown, changed: readonly string[]): Record<string, unknown> {
  const values = side as Record<string, unknown>;
  const kept = Object.entries(from).filter(([k]) => !changed.includes(k));
  const set = changed.filter((k) => Object.hasOwn(values, k)).map((k) => [k, values[k]] as const);
  return Object.fromEntries([...kept, ...set]);
}

const now = new Date('2026-11-22T12:00:00Z');
const plan: ReviewPlan = {
  kind: 'review',
  status: 'scheduled',
  targetEnd: '2027-03-31',
  noticeDeadline: '2027-03-01',
  openAt: '2027-02-15T00:00:00.000Z',
  dueAt: '2027-03-01T23:59:59.999Z',
  reasons: ['late_payer'],
  track: 'before_open',
};
const ctx = (evidence: Record<string, unknown>, at = now) => ({ accountId: 'cus_1', now: at, evidence, newId: () => 'cus_1~r1' });

describe('auditChange', () => {
  const [created] = reconcileReviews([], [plan], ctx({ latePayment: { invoiceCount: 4, lateInvoices: 3 } }));
  const task = (created as { task: Task }).task;

  it('keeps a created entity whole in `after`, and a removed one whole in `before`', () => {
    expect(auditChange(null, task, ['id', 'status'])).toEqual({ before: null, after: task });
    expect(auditChange(undefined, task)).toEqual({ before: null, after: task });
    expect(auditChange(task, null)).toEqual({ before: task, after: null });
  });

  it("keeps only an evidence refresh's changed fields, and what names the task", () => {
    const [change] = reconcileReviews([task], [plan], ctx({ latePayment: { invoiceCount: 5, lateInvoices: 3 } }, new Date('2026-11-23T12:00:00Z')));
    if (change?.type !== 'update') throw new Error('expected an update');
    expect(auditChange(change.before, change.after, ['id', 'status'])).toEqual({
      before: { id: 'cus_1~r1', status: 'scheduled', evidence: { latePayment: { invoiceCount: 4, lateInvoices: 3 } }, updatedAt: '2026-11-22T12:00:00.000Z' },
      after: { id: 'cus_1~r1', status: 'scheduled', evidence: { latePayment: { invoiceCount: 5, lateInvoices: 3 } }, updatedAt: '2026-11-23T12:00:00.000Z' },
      changed: ['evidence', 'updatedAt'],
    });
  });

  it('names a field removed or added in `changed`, present only on the side that has it', () => {
    const cleared = { ...task, signalsCleared: true };
    expect(auditChange(cleared, task, ['id'])).toEqual({ before: { id: task.id, signalsCleared: true }, after: { id: task.id }, changed: ['signalsCleared'] });
    expect(auditChange(task, cleared)).toEqual({ before: {}, after: { signalsCleared: true }, changed: ['signalsCleared'] });
  });

  it('compares by value, whatever the order of map keys; an undefined field is an absent one', () => {
    expect(auditChange({ a: { x: 1, y: 2 }, b: undefined }, { a: { y: 2, x: 1 } })).toEqual({ before: {}, after: {}, changed: [] });
  });

  it('keeps a value that is not an object whole', () => {
    expect(auditChange([1], [2])).toEqual({ before: [1], after: [2] });
    expect(auditChange('a', { a: 1 })).toEqual({ before: 'a', after: { a: 1 } });
  });

  describe('property: an update record round-trips', () => {
    const key = fc.constantFrom('id', 'status', 'evidence', 'history', 'updatedAt', 'note', 'x');
    const entity = fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 7 });

    it('restoring `before` from the entity after, then applying `after` over it, gives back both entities', () => {
      fc.assert(
        fc.property(entity, entity, fc.subarray(['id', 'status', 'x']), (before, after, keep) => {
          const record = auditChange(before, after, keep);
          const changed = record.changed!;
          const restored = replay(after, record.before, changed);
          expect(canonicalJson(restored)).toBe(canonicalJson(before));
          expect(canonicalJson(replay(restored, record.after, changed))).toBe(canonicalJson(after));
          // Each side holds changed and kept fields only, each changed field really differs, and kept fields are there.
          for (const side of [record.before, record.after] as Array<Record<string, unknown>>) {
            for (const k of Object.keys(side)) expect(changed.includes(k) || keep.includes(k)).toBe(true);
          }
          for (const k of changed) expect(canonicalJson(before[k])).not.toBe(canonicalJson(after[k]));
          for (const k of keep) if (Object.hasOwn(after, k)) expect(Object.hasOwn(record.after as object, k)).toBe(true);
        }),
      );
    });
  });
});
