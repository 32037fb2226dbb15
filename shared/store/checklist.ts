import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import type { Store } from './client.ts';
import { auditPut } from './audit.ts';

/**
 * A review's checklist progress: one item per task (`~CHECKLIST#<taskId>`) in its account's
 * partition, apart from the task item so the sweep and the processor, which rewrite tasks under
 * a revision condition, never race a person ticking a box. The `~` keeps it out of the reads an
 * evaluation makes (they stop short of `~`).
 */
const checklistKey = (accountId: string, taskId: string) => ({ pk: `ACCT#${accountId}`, sk: `~CHECKLIST#${taskId}` });

export const checklistMarkSchema = z.object({ done: z.boolean(), by: z.string(), at: z.string() });
export type ChecklistMark = z.infer<typeof checklistMarkSchema>;

/** Steps are top-level attributes (`step1`…), so one SET records a mark whether or not the item exists yet. */
const stepAttribute = (step: number) => `step${step}`;

/** The marks recorded for a task, by 1-based step number. */
export async function getChecklistMarks(store: Store, accountId: string, taskId: string): Promise<Map<number, ChecklistMark>> {
  const result = await store.doc.send(new GetCommand({ TableName: store.tableName, Key: checklistKey(accountId, taskId), ConsistentRead: true }));
  const marks = new Map<number, ChecklistMark>();
  for (const [name, value] of Object.entries(result.Item ?? {})) {
    const match = /^step(\d+)$/.exec(name);
    if (match) marks.set(Number(match[1]), checklistMarkSchema.parse(value));
  }
  return marks;
}

/** Records one step's mark with its audit record, in one transaction. */
export async function saveChecklistMark(
  store: Store,
  input: { accountId: string; taskId: string; step: number; mark: ChecklistMark; before?: ChecklistMark },
): Promise<void> {
  await store.doc.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Update: {
            TableName: store.tableName,
            Key: checklistKey(input.accountId, input.taskId),
            UpdateExpression: 'SET #entity = :entity, #step = :mark',
            ExpressionAttributeNames: { '#entity': 'entity', '#step': stepAttribute(input.step) },
            ExpressionAttributeValues: { ':entity': 'checklist', ':mark': input.mark },
          },
        },
        auditPut(store, {
          accountId: input.accountId,
          at: input.mark.at,
          by: input.mark.by,
          action: `task.checklist.${input.mark.done ? 'done' : 'undone'}`,
          entity: 'task',
          entityId: input.taskId,
          before: input.before ? { step: input.step, ...input.before } : null,
          after: { step: input.step, ...input.mark },
          keep: ['step'],
        }),
      ],
    }),
  );
}
