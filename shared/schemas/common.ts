import * as z from '../zod.ts';

/** The contract's error body. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.optional(z.unknown()),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** The largest page a list returns. */
export const MAX_PAGE = 200;

export const listQuerySchema = z.object({
  limit: z._default(z.coerce.number().check(z.int('must be a whole number'), z.gte(1), z.lte(MAX_PAGE)), 50),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

/** The paging query alone, for the lists that take nothing else (unknown parameters refused). */
export const pageQuerySchema = z.strictObject(listQuerySchema.shape);

export function listResponseSchema<T extends z.ZodMiniType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.optional(z.string()) });
}

/** Stripe customer ids as account ids; the allowed characters keep keys unambiguous. */
export const accountIdSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(255), z.regex(/^[A-Za-z0-9_\-.]+$/, 'may contain only letters, digits, "_", "-" and "."'));
