import * as z from '../zod.ts';
import { listQuerySchema } from './common.ts';

/**
 * One audit record: who changed what, when. A creation holds the whole entity in `after`, a
 * removal the whole entity in `before`; an update only what changed (`changed`; see
 * domain/audit-change.ts). Records written before `changed` existed hold both entities whole.
 */
export const auditRecordSchema = z.object({
  accountId: z.string(),
  at: z.string(),
  /** A token actor locally, an IAM ARN or JWT subject on AWS, `system:*` for the watcher. */
  by: z.string(),
  action: z.string(),
  entity: z.enum(['contract', 'cost', 'signal', 'override', 'task']),
  entityId: z.string(),
  changed: z.optional(
    z
      .array(z.string())
      .check(
        z.describe(
          "An update's top-level fields that changed: `before` and `after` hold those (a field absent from a side was absent there) and what names the entity (a task's `id` and `status`, a checklist mark's `step`). Absent for a creation or a removal, whose entity is whole.",
        ),
      ),
  ),
  before: z.unknown().check(z.describe('The entity before the change (null for a creation); for an update, its changed fields only (see `changed`)')),
  after: z.unknown().check(z.describe('The entity after the change (null for a removal); for an update, its changed fields only (see `changed`)')),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;

/** `GET /accounts/{accountId}/audit`: a page of the trail, oldest first unless asked otherwise. */
export const auditQuerySchema = z.strictObject({
  ...listQuerySchema.shape,
  order: z._default(
    z
      .enum(['oldest', 'newest'])
      .check(z.describe('oldest first (the default), or newest first as the dashboard shows it; a cursor continues in the order asked for')),
    'oldest',
  ),
});
export type AuditOrder = z.infer<typeof auditQuerySchema>['order'];
