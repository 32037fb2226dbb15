import * as z from 'zod';
import type { Policy } from '../config/policy.ts';
import { calendarDateSchema } from './contract.ts';

/**
 * What finance records about an account besides contracts and costs: human signals and
 * per-account overrides. Shapes and the pure rules that apply them.
 */
export const humanSignalKindSchema = z.enum(['abusive', 'scope_mismatch', 'communication', 'other'], {
  error: 'must be one of "abusive", "scope_mismatch", "communication" or "other"',
});

export const signalBodySchema = z.strictObject({
  signal: humanSignalKindSchema,
  note: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'),
  /** Who observed it, when not the caller (e.g. the account manager). */
  recordedBy: z.string().trim().min(1).max(100, 'must be at most 100 characters').optional(),
});
export type SignalBody = z.infer<typeof signalBodySchema>;

export const humanSignalSchema = z.object({
  signalId: z.string(),
  accountId: z.string(),
  signal: humanSignalKindSchema,
  note: z.string(),
  recordedBy: z.string(),
  at: z.string(),
});
export type HumanSignal = z.infer<typeof humanSignalSchema>;

const reason = z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters');

export const overridesBodySchema = z.strictObject({
  /** Keep the account out of one signal's reviews, or out of all reviews (`all`), with a reason. */
  exclusions: z
    .array(
      z.strictObject({
        scope: z.enum(['all', 'late_payer', 'unprofitable', 'disputes', 'abusive', 'scope_mismatch', 'communication', 'other'], {
          error: 'must be "all" or a signal name',
        }),
        reason,
        until: calendarDateSchema.optional(),
      }),
    )
    .max(20)
    .default([]),
  /** Hold one invoice out of lateness (e.g. under discussion) until a date. */
  invoiceHolds: z
    .array(z.strictObject({ invoiceId: z.string().min(1).max(255), reason, until: calendarDateSchema }))
    .max(100)
    .default([]),
  /** Per-account policy: grace days and the notice period used when the contract gives none. */
  policy: z
    .strictObject({
      graceDays: z.number().int('must be a whole number of days').min(0).max(365).optional(),
      noticeDays: z.number().int('must be a whole number of days').min(0).max(3650).optional(),
    })
    .default({}),
});
export type Overrides = z.infer<typeof overridesBodySchema>;

/** Overrides in force at `now` (a date `until` holds through the end of that day, UTC). */
export function activeOverrides(overrides: Overrides | undefined, now: Date): Overrides {
  const day = now.toISOString().slice(0, 10);
  const live = <T extends { until?: string }>(items: T[]) => items.filter((i) => i.until === undefined || i.until >= day);
  return {
    exclusions: live(overrides?.exclusions ?? []),
    invoiceHolds: live(overrides?.invoiceHolds ?? []),
    policy: overrides?.policy ?? {},
  };
}

/** The account's policy: the watcher's, with the account's overrides on top. */
export function accountPolicy(policy: Policy, overrides: Overrides): Policy {
  return {
    ...policy,
    ...(overrides.policy.graceDays !== undefined ? { graceDays: overrides.policy.graceDays } : {}),
    ...(overrides.policy.noticeDays !== undefined ? { noticeDays: overrides.policy.noticeDays } : {}),
  };
}
