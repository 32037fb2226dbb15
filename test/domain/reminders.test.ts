import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { Contract } from '../../shared/domain/contract.ts';
import { planReminders } from '../../shared/domain/reminders.ts';

const contract = (endDate: string, renewal: Contract['renewal'] = 'auto'): Contract => ({
  endDate,
  noticeDays: 30,
  renewal,
  renewalTermMonths: 12,
  source: 'manual',
  recordedAt: '2026-01-01T00:00:00.000Z',
});

/** Moves the clock a day at a time (at 06:00 UTC, the sweep's hour), recording what is sent. */
function simulate(c: Contract, from: string, days: number) {
  const recorded = new Set<string>();
  const sent: Array<{ on: string; offset: number; termEnd: string }> = [];
  for (let d = 0; d < days; d++) {
    const now = new Date(Date.parse(`${from}T06:00:00Z`) + d * 86_400_000);
    for (let sweep = 0; sweep < 3; sweep++) {
      const plan = planReminders({ contract: c, policy: defaultPolicy, now, recorded });
      for (const k of plan.skipped) recorded.add(k);
      if (plan.due) {
        recorded.add(plan.due.key);
        sent.push({ on: now.toISOString().slice(0, 10), offset: plan.due.offsetDays, termEnd: plan.due.termEnd });
      }
    }
  }
  return sent;
}

describe('renewal reminders', () => {
  it('sends 60, 30 and 7 days before the deadline, once each, however many sweeps a day', () => {
    // End 2027-06-30, 30 days notice: deadline 2027-05-31.
    expect(simulate(contract('2027-06-30'), '2027-01-01', 150)).toEqual([
      { on: '2027-04-01', offset: 60, termEnd: '2027-06-30' },
      { on: '2027-05-01', offset: 30, termEnd: '2027-06-30' },
      { on: '2027-05-24', offset: 7, termEnd: '2027-06-30' },
    ]);
  });

  it('first seeing a contract 25 days before its deadline sends only the 30-day reminder, then the 7-day one', () => {
    expect(simulate(contract('2027-06-30'), '2027-05-06', 30)).toEqual([
      { on: '2027-05-06', offset: 30, termEnd: '2027-06-30' },
      { on: '2027-05-24', offset: 7, termEnd: '2027-06-30' },
    ]);
  });

  it('sends nothing to a far contract until its 60-day day', () => {
    const sent = simulate(contract('2028-06-30'), '2027-01-01', 300);
    expect(sent).toEqual([]);
    const plan = planReminders({ contract: contract('2028-06-30'), policy: defaultPolicy, now: new Date('2027-01-01T06:00:00Z'), recorded: new Set() });
    expect(plan.nextAt).toBe('2028-04-01T06:00:00.000Z');
  });

  it('late discovery sends the latest due offset at once; an auto-renewed term starts its own series', () => {
    const sent = simulate(contract('2027-06-30'), '2027-05-20', 380);
    expect(sent.map((s) => `${s.termEnd}:${s.offset}`)).toEqual(['2027-06-30:30', '2027-06-30:7', '2028-06-30:60', '2028-06-30:30', '2028-06-30:7']);
  });

  it('re-plans the remaining reminders when the contract changes after one was sent', () => {
    const recorded = new Set<string>();
    const at = (d: string) => new Date(`${d}T06:00:00Z`);
    const first = planReminders({ contract: contract('2027-06-30'), policy: defaultPolicy, now: at('2027-04-01'), recorded });
    expect(first.due?.offsetDays).toBe(60);
    recorded.add(first.due!.key);
    // Extended by three months before the 30-day reminder: the new term gets its own series.
    const edited = contract('2027-09-30');
    expect(planReminders({ contract: edited, policy: defaultPolicy, now: at('2027-05-01'), recorded }).due).toBeUndefined();
    const next = planReminders({ contract: edited, policy: defaultPolicy, now: at('2027-05-01'), recorded }).nextAt;
    expect(next).toBe('2027-07-02T06:00:00.000Z');
    expect(planReminders({ contract: edited, policy: defaultPolicy, now: at('2027-07-02'), recorded }).due).toMatchObject({
      offsetDays: 60,
      termEnd: '2027-09-30',
    });
  });

  it('falls due at sweepAt in the policy zone, so finance hears at a working hour however often the sweep runs', () => {
    const policy = { ...defaultPolicy, timeZone: 'Europe/Madrid', sweepAt: '07:30' };
    const plan = (now: string) => planReminders({ contract: contract('2027-06-30'), policy, now: new Date(now), recorded: new Set() });
    // Notice deadline 2027-05-31 (30 days), 60-day reminder on 2027-04-01 at 07:30 Madrid (05:30 UTC, summer time).
    expect(plan('2027-03-20T12:00:00Z').nextAt).toBe('2027-04-01T05:30:00.000Z');
    expect(plan('2027-04-01T05:29:00Z').due).toBeUndefined();
    expect(plan('2027-04-01T05:30:00Z').due).toMatchObject({ offsetDays: 60, at: '2027-04-01T05:30:00.000Z' });
  });

  it('sends nothing after a fixed term has ended', () => {
    const plan = planReminders({
      contract: contract('2027-06-30', 'fixed'),
      policy: defaultPolicy,
      now: new Date('2027-08-01T00:00:00Z'),
      recorded: new Set(),
    });
    expect(plan).toEqual({ skipped: [] });
  });
});
