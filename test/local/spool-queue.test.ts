import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { SpoolQueue } from '../../local/spool-queue.ts';
import type { QueuedEvent } from '../../shared/stripe/events.ts';

const event = (id: string): QueuedEvent => ({ id, type: 'customer.updated', created: 1, data: { object: { object: 'customer', id: `cus_${id}` } } });
const idsOf = (e: SQSEvent) => e.Records.map((r) => (JSON.parse(r.body) as QueuedEvent).id);

describe('local queue (the SQS stand-in)', () => {
  it('keeps accepted events across a stop and delivers them after the restart, once each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const first = new SpoolQueue({ dir });
    await first.open();
    await Promise.all(['evt_a', 'evt_b', 'evt_c'].map((id) => first.send(event(id))));
    await first.stop();

    const second = new SpoolQueue({ dir });
    expect(await second.open()).toBe(3);
    const seen: string[] = [];
    second.start(async (e) => {
      seen.push(...idsOf(e));
      return { batchItemFailures: [] };
    });
    await second.drained();
    await second.stop();
    expect(seen.sort()).toEqual(['evt_a', 'evt_b', 'evt_c']);

    const third = new SpoolQueue({ dir });
    expect(await third.open()).toBe(0);
    await third.stop();
  });

  it('redelivers only failed records, dead-letters after maxReceives, and redrives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const queue = new SpoolQueue({ dir, maxReceives: 3, retryBaseMs: 1 });
    await queue.open();
    let poisonFixed = false;
    const deliveries: string[] = [];
    queue.start(async (e) => {
      deliveries.push(...idsOf(e));
      return {
        batchItemFailures: e.Records.filter((r) => !poisonFixed && (JSON.parse(r.body) as QueuedEvent).id === 'evt_poison').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    });
    await queue.send(event('evt_good'));
    await queue.send(event('evt_poison'));
    await queue.drained();
    expect(deliveries.filter((id) => id === 'evt_good')).toHaveLength(1);
    expect(deliveries.filter((id) => id === 'evt_poison')).toHaveLength(3);
    expect(queue.deadLetters().map((d) => (JSON.parse(d.body) as QueuedEvent).id)).toEqual(['evt_poison']);

    poisonFixed = true;
    expect(await queue.redrive()).toBe(1);
    await queue.drained();
    expect(queue.deadLetters()).toHaveLength(0);
    expect(deliveries.filter((id) => id === 'evt_poison')).toHaveLength(4);
    await queue.stop();
  });
});
