import * as z from 'zod';

/** The contract's error body. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const listQuerySchema = z.object({
  limit: z.coerce.number().int('must be a whole number').min(1).max(200).default(50),
  cursor: z.string().min(1).max(2048).optional(),
});

export function listResponseSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().optional() });
}

/** Stripe customer ids as account ids; the allowed characters keep keys unambiguous. */
export const accountIdSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_\-.]+$/, 'may contain only letters, digits, "_", "-" and "."');
