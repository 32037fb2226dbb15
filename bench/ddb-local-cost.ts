/**
 * What each request shape costs DynamoDB Local's own CPU (the Java process's user + system time
 * from /proc, over many requests, 8 in flight), in the shapes the backfill and the processor
 * send. DynamoDB Local is CPU-bound on this machine long before the Node side is (the backfill's
 * Node process is idle two thirds of its run), so these per-request costs, times the request
 * counts, account for a run's time (docs/benchmarks.md, the backfill):
 *
 *   node --import tsx bench/ddb-local-cost.ts
 *
 * Linux only (/proc). The clock-tick resolution is 10 ms, so each shape runs hundreds of times.
 */
import { BatchGetCommand, BatchWriteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createBenchStore, processCpuMs, startBenchDynamo } from './dynamo.ts';
import { runPool } from './ingest.ts';

const ACCOUNTS = 400;
const FACTS = 4;
const fact = 'x'.repeat(300);
/** An account item holding its evaluation is about 3 KB. */
const evaluation = 'y'.repeat(3000);

const dynamo = await startBenchDynamo();
if (dynamo.pid === undefined) throw new Error('DynamoDB Local started without a process id');
const javaPid = dynamo.pid;
const javaCpuMs = () => processCpuMs(javaPid);
try {
  const store = await createBenchStore(dynamo.endpoint, 'cost');
  const TableName = store.tableName;
  const account = (n: number) => `ACCOUNT#a${n % ACCOUNTS}`;
  for (let a = 0; a < ACCOUNTS; a += 5) {
    const items = Array.from({ length: 5 }, (_, k) => [
      { pk: account(a + k), sk: 'ACCOUNT', rev: 0, evaluation },
      ...Array.from({ length: FACTS }, (_, f) => ({ pk: account(a + k), sk: `INVOICE#i${f}`, fact })),
    ]).flat();
    await store.doc.send(new BatchWriteCommand({ RequestItems: { [TableName]: items.map((Item) => ({ PutRequest: { Item } })) } }));
  }
  const rows: string[][] = [];
  const measure = async (shape: string, requests: number, items: number, send: (i: number) => Promise<unknown>) => {
    const cpu0 = javaCpuMs();
    const started = performance.now();
    await runPool(requests, 8, async (i) => void (await send(i)));
    const seconds = (performance.now() - started) / 1000;
    const perRequest = (javaCpuMs() - cpu0) / requests;
    rows.push([shape, perRequest.toFixed(2), (perRequest / items).toFixed(2), (requests / seconds).toFixed(0)]);
  };
  const bump = (n: number) => ({
    Update: { TableName, Key: { pk: account(n), sk: 'ACCOUNT' }, UpdateExpression: 'ADD rev :one', ExpressionAttributeValues: { ':one': 1 } },
  });
  const newFact = (pk: string, sk: string) => ({ Put: { TableName, Item: { pk, sk, fact }, ConditionExpression: 'attribute_not_exists(pk)' } });

  await measure('Query of an account partition (5 items, one of 3 KB), consistent', 2000, 5, (i) =>
    store.doc.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': account(i) }, ConsistentRead: true })),
  );
  await measure('GetItem of an account item (3 KB), consistent', 2000, 1, (i) =>
    store.doc.send(new GetCommand({ TableName, Key: { pk: account(i), sk: 'ACCOUNT' }, ConsistentRead: true })),
  );
  await measure('BatchGetItem of 100 facts', 200, 100, (i) =>
    store.doc.send(
      new BatchGetCommand({
        RequestItems: {
          [TableName]: { Keys: Array.from({ length: 100 }, (_, k) => ({ pk: account(i * 25 + Math.floor(k / FACTS)), sk: `INVOICE#i${k % FACTS}` })) },
        },
      }),
    ),
  );
  await measure('BatchWriteItem of 25 facts', 400, 25, (i) =>
    store.doc.send(
      new BatchWriteCommand({
        RequestItems: { [TableName]: Array.from({ length: 25 }, (_, k) => ({ PutRequest: { Item: { pk: `ACCOUNT#b${i}`, sk: `INVOICE#n${k}`, fact } } })) },
      }),
    ),
  );
  await measure('PutItem of a fact, conditional', 2000, 1, (i) => store.doc.send(new PutCommand(newFact(`ACCOUNT#c${i}`, 'INVOICE#x').Put)));
  await measure('UpdateItem of an account item (3 KB), conditional', 2000, 1, (i) =>
    store.doc.send(
      new UpdateCommand({
        TableName,
        Key: { pk: account(i), sk: 'ACCOUNT' },
        UpdateExpression: 'SET evaluation = :e ADD rev :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':e': evaluation + (i % 7), ':one': 1 },
      }),
    ),
  );
  await measure('TransactWriteItems: a fact and its account revision bump', 1000, 2, (i) =>
    store.doc.send(new TransactWriteCommand({ TransactItems: [newFact(`ACCOUNT#d${i}`, 'INVOICE#x'), bump(i)] })),
  );
  await measure('TransactWriteItems of 100: 20 accounts × (4 facts + bump)', 100, 100, (i) =>
    store.doc.send(
      new TransactWriteCommand({
        TransactItems: Array.from({ length: 20 }, (_, a) => [
          ...Array.from({ length: FACTS }, (_, f) => newFact(`ACCOUNT#e${i}x${a}`, `INVOICE#${f}`)),
          bump(i * 20 + a),
        ]).flat(),
      }),
    ),
  );
  const widths = [70, 22, 18, 12];
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(['request (8 in flight)', 'Java CPU ms a request', 'Java CPU ms an item', 'requests/s']));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
} finally {
  await dynamo.stop();
}
