/**
 * What each new event writes, item by item (`node --import tsx bench/write-items.ts`): the mix
 * through the webhook and processor use cases one event at a time, as bench/writes.ts does, with
 * every write request's items classified (entity or key prefix), sized as DynamoDB sizes them
 * (attribute names plus values, after marshalling) and costed at 1 write unit a KB, twice in a
 * transaction, once more for each index the item is on. Sums are compared with the units
 * DynamoDB Local reports. An Update is sized from the item after it (read back consistently).
 */
import './env.ts';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../shared/config/policy.ts';
import { queuedEventSchema, type QueuedEvent } from '../shared/stripe/events.ts';
import { applyStripeEvent } from '../shared/usecases/apply-stripe-event.ts';
import { receiveStripeEvent } from '../shared/usecases/receive-stripe-event.ts';
import { signedDelivery } from '../test/support/stripe-events.ts';
import { createBenchStore, startBenchDynamo } from './dynamo.ts';
import { eventMix } from './mix.ts';
import { CollectingQueue } from './queue.ts';

/** DynamoDB's item size: names plus values (numbers approximated as their digits ÷ 2 + 1). */
export function attributeSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/[-.]/g, '').length / 2) + 1;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.B !== undefined) return v.B.length;
  if (v.L) return 3 + v.L.reduce((n, x) => n + 1 + attributeSize(x), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + 1 + Buffer.byteLength(k) + attributeSize(x), 0);
  if (v.SS) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  return 0;
}
export const itemSize = (item: Record<string, AttributeValue>) => Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + attributeSize(v), 0);

const SECRET = 'whsec_items';
const customers = Number(process.argv[2] ?? 10);
const dynamo = await startBenchDynamo();
const now = new Date();
try {
  const store = await createBenchStore(dynamo.endpoint, 'items');
  const rows = new Map<string, { writes: number; bytes: number; units: number; gsi: number }>();
  let reported = 0;
  let reportedTable = 0;
  let reportedIndexes = 0;
  const pendingUpdates: Array<{ key: Record<string, AttributeValue>; transactional: boolean; kind: string }> = [];
  const kindOf = (item: Record<string, AttributeValue> | undefined, key: Record<string, AttributeValue> | undefined) => {
    const entity = item?.entity?.S;
    const sk = (item?.sk ?? key?.sk)?.S ?? '?';
    return entity ?? sk.replace(/[#:].*$/, '');
  };
  const add = (kind: string, bytes: number, transactional: boolean, gsis: number) => {
    const r = rows.get(kind) ?? { writes: 0, bytes: 0, units: 0, gsi: 0 };
    const units = Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);
    r.writes++;
    r.bytes += bytes;
    r.units += units * (1 + gsis);
    r.gsi += gsis;
    rows.set(kind, r);
  };
  // Consumed capacity asked for before the document client marshals the input.
  store.doc.middlewareStack.add(
    (next) => async (args) => {
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'INDEXES';
      return next(args);
    },
    { step: 'initialize', name: 'itemProbeCapacity' },
  );
  // The document client shares the client's stack; at the serialize step the input is marshalled.
  store.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, any>;
      const op = String(context.commandName);
      const write = ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'TransactWriteItemsCommand'].includes(op);
      const result = await next(args);
      if (!write) return result;
      const consumed = (result.output as any).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        reported += c.CapacityUnits ?? 0;
        reportedTable += c.Table?.CapacityUnits ?? 0;
        for (const g of Object.values(c.GlobalSecondaryIndexes ?? {}) as Array<{ CapacityUnits?: number }>) reportedIndexes += g.CapacityUnits ?? 0;
      }
      const items: Array<[string, any, boolean]> =
        op === 'TransactWriteItemsCommand'
          ? input.TransactItems.map((t: any) =>
              t.Put ? ['Put', t.Put, true] : t.Update ? ['Update', t.Update, true] : t.Delete ? ['Delete', t.Delete, true] : ['Check', t.ConditionCheck, true],
            )
          : [[op.replace(/ItemCommand$/, ''), input, false]];
      for (const [kind, body, tx] of items) {
        if (kind === 'Put') {
          const gsis = (body.Item.gsi1pk ? 1 : 0) + (body.Item.gsi2pk ? 1 : 0);
          add(`${kindOf(body.Item, undefined)} (put)`, itemSize(body.Item), tx, gsis);
        } else if (kind === 'Update') pendingUpdates.push({ key: body.Key, transactional: tx, kind: 'update' });
        else if (kind === 'Delete') add(`${kindOf(undefined, body.Key)} (delete)`, 100, tx, 0);
        else add('check', 100, tx, 0);
      }
      return result;
    },
    { step: 'serialize', name: 'itemProbe', priority: 'low' } as never,
  );
  const flushUpdates = async () => {
    for (const u of pendingUpdates.splice(0)) {
      const got = await store.doc.send(new GetItemCommand({ TableName: store.tableName, Key: u.key, ConsistentRead: true }));
      const item = got.Item ?? u.key;
      const gsis = (item.gsi1pk ? 1 : 0) + (item.gsi2pk ? 1 : 0);
      add(`${kindOf(item, u.key)} (update)`, itemSize(item), u.transactional, gsis);
    }
  };
  const queue = new CollectingQueue();
  const deps = { store, policy: defaultPolicy };
  const events = eventMix({ customers, prefix: 'i', now, seed: 42 });
  for (const event of events) {
    const { body, signature } = signedDelivery(event, SECRET, Math.floor(Date.now() / 1000));
    await receiveStripeEvent({ store, queue, webhookSecret: async () => SECRET, now: new Date() }, { rawBody: Buffer.from(body), signature });
    for (const message of queue.take()) await applyStripeEvent(deps, queuedEventSchema.parse(JSON.parse(JSON.stringify(message))) as QueuedEvent, new Date());
    await flushUpdates();
  }
  const n = events.length;
  let total = 0;
  console.log(
    `${n} events, ${customers} customers; reported ${(reported / n).toFixed(2)} write units per event (table ${(reportedTable / n).toFixed(2)}, indexes ${(reportedIndexes / n).toFixed(2)})`,
  );
  console.log('kind | writes/event | mean bytes | est. units/event | index writes/event');
  for (const [kind, r] of [...rows].sort((a, b) => b[1].units - a[1].units)) {
    total += r.units;
    console.log(`${kind} | ${(r.writes / n).toFixed(3)} | ${Math.round(r.bytes / r.writes)} | ${(r.units / n).toFixed(2)} | ${(r.gsi / n).toFixed(3)}`);
  }
  console.log(`estimated total ${(total / n).toFixed(2)} units per event`);
  store.doc.destroy();
} finally {
  await dynamo.stop();
}
