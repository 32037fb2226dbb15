import * as z from '../zod.ts';

/** One audit record: who changed what, when, with the entity before and after. */
export const auditRecordSchema = z.object({
  accountId: z.string(),
  at: z.string(),
  /** A token actor locally, an IAM ARN or JWT subject on AWS, `system:*` for the watcher. */
  by: z.string(),
  action: z.string(),
  entity: z.enum(['contract', 'cost', 'signal', 'override', 'task']),
  entityId: z.string(),
  before: z.unknown(),
  after: z.unknown(),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;
