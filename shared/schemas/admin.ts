import * as z from '../zod.ts';

/** `POST /admin/sweep` (local mode): run the sweep as if at `now`. */
export const sweepBodySchema = z.strictObject({ now: z.optional(z.iso.datetime({ offset: true, message: 'must be an ISO 8601 timestamp' })) });

/** `POST /admin/dead-letters/redrive` takes no body, or an empty object. */
export const redriveBodySchema = z.strictObject({});
