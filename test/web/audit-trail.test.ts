import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../shared/store/audit.ts';
import { auditActionLabel, auditActorLabel, auditInstant, auditRuns } from '../../web/components/audit-trail.ts';

const record = (at: string, over: Partial<AuditRecord> = {}): AuditRecord => ({
  accountId: 'cus_a',
  at,
  by: 'system:evaluation',
  action: 'task.updated',
  entity: 'task',
  entityId: 'cus_a~r1',
  changed: ['evidence', 'updatedAt'],
  before: {},
  after: {},
  ...over,
});

describe('the account page audit trail', () => {
  it('makes one line of neighbouring records of one change and keeps the rest apart, in order', () => {
    const trail = [
      record('2026-12-03T10:05:00Z', { action: 'task.decided.renegotiate', by: 'ana@finance', changed: ['decisions', 'status'] }),
      record('2026-12-03T10:04:00Z'),
      record('2026-12-02T09:00:00Z'),
      record('2026-12-01T08:00:00Z'),
      // Another review's refresh, then a different set of fields: each starts a run of its own.
      record('2026-11-30T08:00:00Z', { entityId: 'cus_a~r0' }),
      record('2026-11-29T08:00:00Z', { changed: ['dueAt', 'evidence', 'updatedAt'] }),
      // The same change again after something else: a new run, so nothing moves in time.
      record('2026-11-28T08:00:00Z'),
      record('2026-11-27T08:00:00Z', { action: 'task.created', changed: undefined }),
    ];
    const runs = auditRuns(trail);
    expect(runs.map((r) => [r.action, r.records.length])).toEqual([
      ['task.decided.renegotiate', 1],
      ['task.updated', 3],
      ['task.updated', 1],
      ['task.updated', 1],
      ['task.updated', 1],
      ['task.created', 1],
    ]);
    expect(runs[1]!.records.map((r) => r.at)).toEqual(['2026-12-03T10:04:00Z', '2026-12-02T09:00:00Z', '2026-12-01T08:00:00Z']);
    expect(runs.flatMap((r) => r.records)).toEqual(trail);
    expect(runs.at(-1)!.changed).toBeUndefined();
    expect(auditRuns([])).toEqual([]);
  });

  it('shows each record of a run at its day and UTC time', () => {
    expect(auditInstant('2026-12-03T09:07:45.123Z')).toBe('3 Dec 2026, 09:07:45 UTC');
    expect(auditInstant('not a time')).toBe('not a time');
  });

  it('says each action and actor in words, and keeps an unknown action as its code', () => {
    expect(auditActionLabel('task.updated')).toBe('Review updated');
    expect(auditActionLabel('task.decided.terminate')).toBe('Decided: terminate');
    expect(auditActionLabel('task.termination.approved')).toBe('Termination approved');
    expect(auditActionLabel('contract.withdrawn')).toBe('Contract withdrawn');
    expect(auditActionLabel('task.something_new')).toBe('task.something_new');
    expect(auditActorLabel('system:evaluation')).toBe('Termwatch (evaluation)');
    expect(auditActorLabel('stripe:evt_1Abc')).toBe('Stripe (event evt_1Abc)');
    expect(auditActorLabel('ana@finance')).toBe('ana@finance');
  });
});
