/**
 * What each new event writes, item by item (`node --import tsx bench/write-items.ts`): the mix
 * through the webhook and processor use cases one event at a time, as bench/writes.ts does, with
 * every write request's items classified (entity or key prefix), sized as DynamoDB sizes them
 * (attribute names plus values, after marshalling) and costed at 1 write unit a KB, twice in a
 * transaction, plus one unit (two in a transaction) for each index entry written: the indexes
 * project keys only (small entries), so an entry is written only when the item's key on that
 * index changes (a move is a delete and a put: two entries). Sums are compared with the units
 * DynamoDB Local reports. Each item is read (consistently) before the write for its old index
 * keys; an Update is sized from the item after it (read back consistently).
 */
import './env.ts';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../shared/config/policy.ts';
import { tableDefinition } from '../shared/store/table.ts';
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
  const pendingUpdates: Array<{
    key: Record<string, AttributeValue>;
    before: Record<string, AttributeValue> | undefined;
    transactional: boolean;
    kind: string;
  }> = [];
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
    // A keys-only entry is far under 1 KB: one unit each, twice in a transaction.
    r.units += units + gsis * (transactional ? 2 : 1);
    r.gsi += gsis;
    rows.set(kind, r);
  };
  type Item = Record<string, AttributeValue> | undefined;
  /** Index entries a write puts or deletes: per index, none when the item's key there is unchanged, one when it appears or goes, two when it moves. */
  const indexEntries = (before: Item, after: Item) =>
    tableDefinition.globalSecondaryIndexes.reduce((n, g) => {
      const keyOf = (item: Item) => (item?.[g.partitionKey]?.S !== undefined ? `${item[g.partitionKey]?.S}|${item[g.sortKey]?.S}` : undefined);
      const [was, is] = [keyOf(before), keyOf(after)];
      return n + (was === is ? 0 : (was ? 1 : 0) + (is ? 1 : 0));
    }, 0);
  const read = async (key: Record<string, AttributeValue>) =>
    (await store.doc.send(new GetItemCommand({ TableName: store.tableName, Key: { pk: key.pk!, sk: key.sk! }, ConsistentRead: true }))).Item;
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
      if (!write) return next(args);
      // Each item as it was, for the index keys the write changes.
      const bodies: any[] =
        op === 'TransactWriteItemsCommand' ? input.TransactItems.map((t: any) => t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck) : [input];
      const before = await Promise.all(bodies.map((b) => read(b.Item ?? b.Key)));
      const result = await next(args);
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
      items.forEach(([kind, body, tx], i) => {
        const was = before[i];
        if (kind === 'Put') add(`${kindOf(body.Item, undefined)} (put)`, itemSize(body.Item), tx, indexEntries(was, body.Item));
        else if (kind === 'Update') pendingUpdates.push({ key: body.Key, before: was, transactional: tx, kind: 'update' });
        else if (kind === 'Delete') add(`${kindOf(undefined, body.Key)} (delete)`, 100, tx, indexEntries(was, undefined));
        else add('check', 100, tx, 0);
      });
      return result;
    },
    { step: 'serialize', name: 'itemProbe', priority: 'low' } as never,
  );
  const flushUpdates = async () => {
    for (const u of pendingUpdates.splice(0)) {
      const got = await store.doc.send(new GetItemCommand({ TableName: store.tableName, Key: u.key, ConsistentRead: true }));
      const item = got.Item ?? u.key;
      add(`${kindOf(item, u.key)} (update)`, itemSize(item), u.transactional, indexEntries(u.before, got.Item));
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
  console.log('kind | writes/event | mean bytes | est. units/event | index entries written/event');
  for (const [kind, r] of [...rows].sort((a, b) => b[1].units - a[1].units)) {
    total += r.units;
    console.log(`${kind} | ${(r.writes / n).toFixed(3)} | ${Math.round(r.bytes / r.writes)} | ${(r.units / n).toFixed(2)} | ${(r.gsi / n).toFixed(3)}`);
  }
  console.log(`estimated total ${(total / n).toFixed(2)} units per event`);
  store.doc.destroy();
} finally {
  await dynamo.stop();
}
