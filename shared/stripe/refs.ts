import * as z from '../zod.ts';

/**
 * Reading Stripe's JSON: the helpers every reader in shared/stripe/ shares. Stripe moves fields
 * between API versions and a webhook may carry an older shape than the SDK's types describe, so
 * objects arrive as `unknown` and are read defensively.
 */

/** Stripe writes a related object either as its id or, when expanded, as the object. */
export const stripeRefSchema = z.union([z.string().check(z.minLength(1)), z.looseObject({ id: z.string().check(z.minLength(1)) })]);
export type StripeRef = z.infer<typeof stripeRefSchema>;

/** The part of a Stripe event that an observation needs (`created` in epoch seconds). */
export const stripeEventRefSchema = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  created: z.number().check(z.int(), z.gte(0), z.lte(999_999_999_999)),
});
export type StripeEventRef = z.infer<typeof stripeEventRefSchema>;

/** The id of a parsed reference, expanded or not. */
export function refId(ref: StripeRef | null | undefined): string | undefined {
  if (ref == null) return undefined;
  return typeof ref === 'string' ? ref : ref.id;
}

/** The customer of an expanded object (a charge), when it is expanded. */
export function expandedCustomer(ref: StripeRef | null | undefined): string | undefined {
  if (ref == null || typeof ref === 'string') return undefined;
  const customer = stripeRefSchema.safeParse(ref.customer);
  return customer.success ? refId(customer.data) : undefined;
}

/** The id of an unparsed reference: a non-empty string, or an object with a string `id`. */
export function looseRefId(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0
    ? value
    : typeof (value as { id?: unknown } | null)?.id === 'string'
      ? (value as { id: string }).id
      : undefined;
}

/** Stripe timestamps are epoch seconds. */
export function epochToIso(seconds: number): string;
export function epochToIso(seconds: number | null | undefined): string | undefined;
export function epochToIso(seconds: number | null | undefined): string | undefined {
  return seconds == null ? undefined : new Date(seconds * 1000).toISOString();
}

export type Json = Record<string, unknown>;

export function asRecord(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Stripe timestamps are integer epoch seconds; anything else (null, 0, strings) means absent. */
export function epochSeconds(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The `data` of a Stripe list, or none. */
export function listData(value: unknown): unknown[] {
  const list = asRecord(value)?.data;
  return Array.isArray(list) ? list : [];
}
