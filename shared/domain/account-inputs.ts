import * as z from '../zod.ts';
import type { Policy } from './policy.ts';
import { calendarDateSchema } from './contract.ts';
import { localDate } from './timing.ts';

/**
 * What finance records about an account besides contracts and costs: human signals and
 * per-account overrides. Shapes and the pure rules that apply them.
 */
export const humanSignalKindSchema = z.enum(['abusive', 'scope_mismatch', 'communication', 'other'], {
  error: 'must be one of "abusive", "scope_mismatch", "communication" or "other"',
});

export const signalBodySchema = z.strictObject({
  signal: humanSignalKindSchema,
  note: z.string({ error: 'is required' }).check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(2000, 'must be at most 2000 characters')),
  /** Who observed it, when not the caller (e.g. the account manager). */
  recordedBy: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(100, 'must be at most 100 characters'))),
  /** Retrying a POST with the same key records the signal once. */
  idempotencyKey: z.optional(
    z.string({ error: 'must be text' }).check(z.minLength(1, { error: 'must not be empty' }), z.maxLength(100, { error: 'must be at most 100 characters' })),
  ),
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

const reason = z.string({ error: 'is required' }).check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(500, 'must be at most 500 characters'));

export const overridesBodySchema = z.strictObject({
  /** Keep the account out of one signal's reviews, or out of all reviews (`all`), with a reason. */
  exclusions: z._default(
    z
      .array(
        z.strictObject({
          scope: z.enum(['all', 'late_payer', 'unprofitable', 'disputes', 'abusive', 'scope_mismatch', 'communication', 'other'], {
            error: 'must be "all" or a signal name',
          }),
          reason,
          until: z.optional(calendarDateSchema),
        }),
      )
      .check(z.maxLength(20)),
    [],
  ),
  /** Hold one invoice out of lateness (e.g. under discussion) until a date. */
  invoiceHolds: z._default(
    z.array(z.strictObject({ invoiceId: z.string().check(z.minLength(1), z.maxLength(255)), reason, until: calendarDateSchema })).check(z.maxLength(100)),
    [],
  ),
  /** Per-account policy: grace days and the notice period used when the contract gives none. */
  policy: z._default(
    z.strictObject({
      graceDays: z.optional(z.number().check(z.int('must be a whole number of days'), z.gte(0), z.lte(365))),
      noticeDays: z.optional(z.number().check(z.int('must be a whole number of days'), z.gte(0), z.lte(3650))),
      /** Who owns the account's new reviews (the policy's `owners.default` otherwise). */
      owner: z.optional(z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters'))),
    }),
    {},
  ),
});
export type Overrides = z.infer<typeof overridesBodySchema>;

/** Overrides in force at `now` (a date `until` holds through the end of that day in the policy's time zone). */
export function activeOverrides(overrides: Overrides | undefined, now: Date, timeZone: string): Overrides {
  const day = localDate(now, timeZone);
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
    ...(overrides.policy.owner !== undefined ? { owners: { ...policy.owners, default: overrides.policy.owner } } : {}),
  };
}
