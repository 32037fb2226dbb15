import * as z from '../zod.ts';
import { MAX_MONEY_ENTRY } from './money.ts';

/**
 * Cost to serve: what finance records against an account (support hours, delivery, other), in
 * integer minor units of one currency. These entries are the "cost" side of profitability.
 */

/**
 * ISO 4217 codes this runtime knows (ICU's list: current codes, no funds or test codes such as
 * XTS), lower-cased as Stripe writes them. Built once at load.
 */
const ISO_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency').map((c) => c.toLowerCase()));

/** Zod error option: "is required" when the field is missing, `message` otherwise. */
function requiredOr(message: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message) };
}

export const COST_CATEGORIES = ['support', 'delivery', 'other'] as const;
export const costCategorySchema = z.enum(COST_CATEGORIES, requiredOr(`must be one of ${COST_CATEGORIES.map((c) => `"${c}"`).join(', ')}`));
export type CostCategory = z.infer<typeof costCategorySchema>;

/** A real ISO 4217 currency code in lower case, e.g. "usd": a made-up "xyz" is refused. */
export const isoCurrencySchema = z.string(requiredOr('must be a currency code such as "usd"')).check(
  z.refine((c) => c === c.toLowerCase(), { message: 'must be lower case, e.g. "usd"', abort: true }),
  z.refine((c) => ISO_CURRENCIES.has(c), { message: 'must be an ISO 4217 currency code such as "usd" or "eur"' }),
);

/** Years a cost's date may fall in (as for contract dates). */
const COST_YEARS = { min: 1970, max: 2999 } as const;

export const costBodySchema = z.strictObject(
  {
    amount: z
      .number(requiredOr('must be a number: integer minor units, e.g. 1500 for 15.00'))
      .check(
        z.int({ error: 'must be a whole number of minor units (cents), e.g. 1500 for 15.00' }),
        z.positive({ error: 'must be greater than 0' }),
        z.lte(MAX_MONEY_ENTRY, { error: `must be at most ${MAX_MONEY_ENTRY} minor units` }),
      ),
    currency: isoCurrencySchema,
    /** Calendar date the cost belongs to, in the policy's time zone. */
    date: z.iso.date(requiredOr('must be a real calendar date written YYYY-MM-DD')).check(
      z.refine((d) => Number(d.slice(0, 4)) >= COST_YEARS.min && Number(d.slice(0, 4)) <= COST_YEARS.max, {
        error: `must be between ${COST_YEARS.min}-01-01 and ${COST_YEARS.max}-12-31`,
      }),
    ),
    category: costCategorySchema,
    note: z.optional(z.string({ error: 'must be text' }).check(z.maxLength(500, { error: 'must be at most 500 characters' }))),
    /** Retrying a POST with the same key records the cost once. */
    idempotencyKey: z.optional(
      z.string({ error: 'must be text' }).check(z.minLength(1, { error: 'must not be empty' }), z.maxLength(100, { error: 'must be at most 100 characters' })),
    ),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : undefined) },
);
export type CostBody = z.infer<typeof costBodySchema>;

/** Stored form: not strict, so attributes added later never make old entries unreadable. */
export const costEntrySchema = z.object({
  ...costBodySchema.shape,
  // Read as stored, whatever bounds new entries are held to.
  amount: z.number().check(z.int()),
  date: z.iso.date(),
  costId: z.string().check(z.minLength(1)),
  /** Stripe customer id. */
  accountId: z.string().check(z.minLength(1)),
  recordedAt: z.iso.datetime(),
  /** Who recorded it, when the caller is known. */
  recordedBy: z.optional(z.string().check(z.minLength(1))),
});
export type CostEntry = z.infer<typeof costEntrySchema>;
