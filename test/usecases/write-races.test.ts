import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import type { Store } from '../../shared/store/client.ts';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Task } from '../../shared/domain/review.ts';
import { getContract } from '../../shared/store/contract.ts';
import { getTask, taskIdFor, taskPut } from '../../shared/store/task.ts';
import { IdempotencyConflictError, StoreBusyError } from '../../shared/store/client.ts';
import { getOverrides } from '../../shared/store/account-inputs.ts';
import { listCosts } from '../../shared/store/cost.ts';
import { listAudit } from '../../shared/store/audit.ts';
import { overridesBodySchema } from '../../shared/domain/account-inputs.ts';
import { addSignal, replaceOverrides } from '../../shared/usecases/account-inputs.ts';
import { addCost, importCostsCsv } from '../../shared/usecases/costs.ts';
import { importContractsCsv } from '../../shared/usecases/contracts.ts';
import { MAX_CONFLICT_ATTEMPTS } from '../../shared/store/client.ts';
import { recordContract } from '../../shared/usecases/contracts.ts';
import { decideTask, TaskBusyError } from '../../shared/usecases/decide.ts';
import { applyStripeEvent } from '../../shared/usecases/apply-stripe-event.ts';
import { getAccount } from '../../shared/store/account.ts';
import { listTasks } from '../../shared/usecases/read-tasks.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import { createTestStore } from '../support/store.ts';
import { epoch, fixture, stripeEvent } from '../support/stripe-events.ts';

/**
 * DynamoDB cancels a transaction with `TransactionConflict` when another transaction is writing
 * one of its items at that moment (the account's revision, which every fact write moves; a task
 * the sweep is rescheduling). That is a race like a failed condition: the contract writers and
 * a person's decision read again and retry with backoff, and a person's signal, overrides and
 * cost entries (whose conditions read nothing) are sent again, rather than fail the event back
 * to SQS or answer a person with a 500.
 */
const now = new Date('2026-11-22T12:00:00Z');
let store: Store;
/** Transactions still to cancel (those writing an item whose sort key starts with `target`), and how many were cancelled. */
let target = 'CONTRACT';
let conflictsToInject = 0;
let injected = 0;

beforeAll(async () => {
  store = await createTestStore();
  store.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const items = (args.input as { TransactItems?: Array<Record<string, { Item?: { sk?: unknown }; Key?: { sk?: unknown } }>> }).TransactItems;
      const touches = items?.some((item) => Object.values(item).some((op) => String(op.Item?.sk ?? op.Key?.sk).startsWith(target)));
      if (context.commandName === 'TransactWriteItemsCommand' && touches && conflictsToInject > 0) {
        conflictsToInject--;
        injected++;
        throw Object.assign(new Error('Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]'), {
          name: 'TransactionCanceledException',
          CancellationReasons: items!.map((_, i) => ({ Code: i === items!.length - 1 ? 'TransactionConflict' : 'None' })),
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectTransactionConflict' },
  );
});
afterAll(() => store?.doc.destroy());

describe('a contract write cancelled by a concurrent transaction', () => {
  it("a person's terms are recorded after a retry", async () => {
    target = 'CONTRACT';
    conflictsToInject = 2;
    injected = 0;
    await recordContract(
      { store, policy: defaultPolicy },
      { accountId: 'cus_conflict_manual', actor: 'token:finance', source: 'manual', now, body: { endDate: '2027-09-30', renewal: 'fixed', noticeDays: 30 } },
    );
    expect(injected).toBe(2);
    expect((await getContract(store, 'cus_conflict_manual'))?.contract).toMatchObject({ source: 'manual', endDate: '2027-09-30' });
  });

  it("Stripe's terms are put, and withdrawn, after a retry", async () => {
    const customer = { ...fixture('customer'), id: 'cus_conflict_stripe', name: 'Conflict' };
    target = 'CONTRACT';
    conflictsToInject = 1;
    injected = 0;
    await applyStripeEvent(
      { store, policy: defaultPolicy },
      stripeEvent('customer.updated', { ...customer, metadata: { contract_end_date: '2027-06-30', renewal: 'auto' } }, epoch(now) - 100),
      now,
    );
    expect(injected).toBe(1);
    expect((await getContract(store, 'cus_conflict_stripe'))?.contract).toMatchObject({ source: 'stripe_metadata', endDate: '2027-06-30' });

    conflictsToInject = 1;
    await applyStripeEvent({ store, policy: defaultPolicy }, stripeEvent('customer.updated', { ...customer, metadata: {} }, epoch(now) - 50), now);
    expect(injected).toBe(2);
    expect(await getContract(store, 'cus_conflict_stripe')).toBeUndefined();
  });
});

describe('a decision cancelled by a concurrent transaction', () => {
  const openTask = async (accountId: string): Promise<string> => {
    const id = taskIdFor(accountId, 'review', 1);
    const at = now.toISOString();
    const task: Task = {
      id,
      accountId,
      kind: 'review',
      status: 'open',
      reasons: ['late_payer'],
      targetEnd: '2027-06-30',
      noticeDeadline: '2027-05-31',
      openAt: at,
      dueAt: '2027-05-31T00:00:00.000Z',
      track: 'within_window',
      evidence: {},
      checklist: [],
      decisions: [],
      history: [{ at, status: 'open', note: 'opened' }],
      createdAt: at,
      updatedAt: at,
    };
    await store.doc.send(new PutCommand({ TableName: store.tableName, Item: taskPut(store, { task, rev: 1 }, 0).Item }));
    return id;
  };
  const body = { decision: 'retain' as const, note: 'paying again since the call' };

  it('is recorded once after retries', async () => {
    const taskId = await openTask('cus_decide_race');
    target = 'TASK#';
    conflictsToInject = 3;
    injected = 0;
    const decided = await decideTask({ store }, { taskId, body, actor: 'token:finance', now });
    expect(injected).toBe(3);
    expect(decided.decisions).toHaveLength(1);
    const stored = await getTask(store, taskId);
    expect(stored).toMatchObject({ rev: 2, task: { status: 'decided', decisions: [{ decision: 'retain', by: 'token:finance' }] } });
  });

  it('answers a conflict, and records nothing, when the task keeps changing', async () => {
    const taskId = await openTask('cus_decide_busy');
    target = 'TASK#';
    conflictsToInject = 100;
    injected = 0;
    const error = await decideTask({ store }, { taskId, body, actor: 'token:finance', now }).catch((e: unknown) => e);
    conflictsToInject = 0;
    expect(error).toBeInstanceOf(TaskBusyError);
    expect(injected).toBeGreaterThan(1);
    expect(await getTask(store, taskId)).toMatchObject({ rev: 1, task: { status: 'open', decisions: [] } });
  });
});

describe("a person's signal, overrides or cost cancelled by a concurrent transaction", () => {
  const deps = () => ({ store, policy: defaultPolicy });
  const cost = { amount: 1500, currency: 'eur', date: '2026-11-20', category: 'support' as const, idempotencyKey: 'race-1' };

  it('each is written once after retries', async () => {
    target = 'SIGNAL#';
    conflictsToInject = 2;
    injected = 0;
    await addSignal(deps(), {
      accountId: 'cus_inputs_race',
      body: { signal: 'communication', note: 'no answer for three weeks' },
      actor: 'token:finance',
      now,
    });
    expect(injected).toBe(2);

    target = 'OVERRIDES';
    conflictsToInject = 2;
    const overrides = overridesBodySchema.parse({ policy: { graceDays: 10 } });
    await replaceOverrides(deps(), { accountId: 'cus_inputs_race', overrides, actor: 'token:finance', now });
    expect(injected).toBe(4);
    expect(await getOverrides(store, 'cus_inputs_race')).toEqual(overrides);

    target = 'COST#';
    conflictsToInject = 2;
    const added = await addCost(deps(), { accountId: 'cus_inputs_race', body: cost, actor: 'token:finance', now });
    expect(injected).toBe(6);
    expect(added.replayed).toBe(false);
    expect((await listCosts(store, 'cus_inputs_race', { limit: 10 })).items).toHaveLength(1);

    const audit = await listAudit(store, 'cus_inputs_race', { limit: 20 });
    // Once each (the evaluations that follow add their own task records).
    const mine = audit.items.map((r) => r.action).filter((a) => !a.startsWith('task.'));
    expect(mine.sort()).toEqual(['cost.recorded', 'overrides.replaced', 'signal.recorded']);
  });

  it('answers a conflict, and writes nothing, when the account keeps changing', async () => {
    target = 'COST#';
    conflictsToInject = 100;
    injected = 0;
    const error = await addCost(deps(), { accountId: 'cus_inputs_busy', body: { ...cost, idempotencyKey: 'busy-1' }, actor: 'token:finance', now }).catch(
      (e: unknown) => e,
    );
    conflictsToInject = 0;
    expect(error).toBeInstanceOf(StoreBusyError);
    expect(injected).toBeGreaterThan(1);
    expect((await listCosts(store, 'cus_inputs_busy', { limit: 10 })).items).toHaveLength(0);
    expect((await listAudit(store, 'cus_inputs_busy', { limit: 10 })).items).toHaveLength(0);
  });
});

describe('a CSV import row that conflicts is reported, and the rest of the file goes on', () => {
  const deps = () => ({ store, policy: defaultPolicy });

  it('an idempotencyKey reused with another cost', async () => {
    const csv = [
      'accountId,amount,currency,date,category,idempotencyKey',
      'cus_csv_key,1500,eur,2026-11-01,support,k1',
      'cus_csv_key,2500,eur,2026-11-01,support,k1',
      'cus_csv_key,900,eur,2026-11-02,delivery,k2',
    ].join('\n');
    const report = await importCostsCsv(deps(), csv, 'token:finance', now);
    expect(report).toMatchObject({ rows: 3, recorded: 2, unchanged: 0, errors: [{ line: 3, accountId: 'cus_csv_key', field: 'idempotencyKey' }] });
    expect((await listCosts(store, 'cus_csv_key', { limit: 10 })).items.map((c) => c.amount).sort()).toEqual([1500, 900].sort());
  });

  it('a contract that kept changing while it was written', async () => {
    target = 'CONTRACT';
    conflictsToInject = MAX_CONFLICT_ATTEMPTS;
    injected = 0;
    const csv = ['accountId,endDate,noticeDays,renewal', 'cus_csv_busy,2027-06-30,30,fixed', 'cus_csv_calm,2027-06-30,30,fixed'].join('\n');
    const report = await importContractsCsv(deps(), csv, 'token:finance', now);
    expect(injected).toBe(MAX_CONFLICT_ATTEMPTS);
    expect(report).toMatchObject({ rows: 2, recorded: 1, unchanged: 0, errors: [{ line: 2, accountId: 'cus_csv_busy' }] });
    expect(report.errors[0]!.problem).toContain('importing the file again is safe');
    expect(await getContract(store, 'cus_csv_busy')).toBeUndefined();
    expect((await getContract(store, 'cus_csv_calm'))?.contract).toMatchObject({ source: 'csv', endDate: '2027-06-30' });
  });
});

describe('a signal sent again with its idempotencyKey', () => {
  const deps = () => ({ store, policy: defaultPolicy });
  const body = { signal: 'scope_mismatch' as const, note: 'asked for a second integration at no charge', idempotencyKey: 'sig-1' };
  const signalsOf = async (accountId: string) => (await listAudit(store, accountId, { limit: 50 })).items.filter((r) => r.action === 'signal.recorded');

  it('is recorded once: the retry (even a second later) replays the first signal', async () => {
    const first = await addSignal(deps(), { accountId: 'cus_sig_key', body, actor: 'token:finance', now });
    const again = await addSignal(deps(), { accountId: 'cus_sig_key', body, actor: 'token:finance', now: new Date(now.getTime() + 1000) });
    expect(first.replayed).toBe(false);
    expect(again).toMatchObject({ replayed: true, signalId: first.signalId, at: first.at, note: body.note });
    expect(await signalsOf('cus_sig_key')).toHaveLength(1);
  });

  it('with another body is a conflict on idempotencyKey, and records nothing', async () => {
    await addSignal(deps(), { accountId: 'cus_sig_other', body, actor: 'token:finance', now });
    const error = await addSignal(deps(), { accountId: 'cus_sig_other', body: { ...body, note: 'something else' }, actor: 'token:finance', now }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect(await signalsOf('cus_sig_other')).toHaveLength(1);
  });

  it('without a key, each request is a signal of its own', async () => {
    const { idempotencyKey: _key, ...unkeyed } = body;
    await addSignal(deps(), { accountId: 'cus_sig_none', body: unkeyed, actor: 'token:finance', now });
    await addSignal(deps(), { accountId: 'cus_sig_none', body: unkeyed, actor: 'token:finance', now });
    expect(await signalsOf('cus_sig_none')).toHaveLength(2);
  });
});

describe("a person's write whose re-evaluation keeps losing to other writers", () => {
  const deps = () => ({ store, policy: defaultPolicy });
  /** Evaluation writes still to lose: before each is sent, another writer moves the account's facts revision (for real). */
  let evaluationsToBeat = 0;

  beforeAll(() => {
    store.doc.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as {
          UpdateExpression?: string;
          Key?: { pk?: string };
          TransactItems?: Array<{ Update?: { UpdateExpression?: string; Key?: { pk?: string } } }>;
        };
        const update =
          input.UpdateExpression !== undefined ? input : input.TransactItems?.find((item) => item.Update?.UpdateExpression?.includes('evaluatedRev'))?.Update;
        if (evaluationsToBeat > 0 && update?.UpdateExpression?.includes('evaluatedRev')) {
          evaluationsToBeat--;
          await store.doc.send(
            new UpdateCommand({
              TableName: store.tableName,
              Key: { pk: update.Key!.pk, sk: 'ACCOUNT' },
              UpdateExpression: 'ADD factsRev :one',
              ExpressionAttributeValues: { ':one': 1 },
            }),
          );
        }
        return next(args);
      },
      { step: 'initialize', name: 'beatEvaluations' },
    );
  });

  it('succeeds with the evaluation pending: the signal stands, and the next sweep evaluates the account', async () => {
    const accountId = 'cus_eval_beaten';
    evaluationsToBeat = 100;
    const result = await addSignal(deps(), { accountId, body: { signal: 'abusive', note: 'shouted at the support team' }, actor: 'token:finance', now });
    const beaten = 100 - evaluationsToBeat;
    evaluationsToBeat = 0;
    expect(beaten).toBe(MAX_CONFLICT_ATTEMPTS);
    expect(result).toMatchObject({ replayed: false, reviewChanges: [], evaluationPending: true });
    expect((await listAudit(store, accountId, { limit: 10 })).items.map((r) => r.action)).toEqual(['signal.recorded']);
    const account = await getAccount(store, accountId);
    expect(account?.evaluatedRev).not.toBe(account?.factsRev);
    expect(account?.nextEvalAt).toBe(now.toISOString());

    const sweep = await runSweep(deps(), new Date(now.getTime() + 60_000));
    expect(sweep.accountsReevaluated).toBeGreaterThanOrEqual(1);
    const evaluated = await getAccount(store, accountId);
    expect(evaluated?.evaluatedRev).toBe(evaluated?.factsRev);
    expect((await listTasks(deps(), { accountId, limit: 10 })).items).toMatchObject([{ kind: 'review', status: 'open' }]);
  });

  it('a cost and a contract succeed the same way', async () => {
    evaluationsToBeat = 100;
    const cost = await addCost(deps(), {
      accountId: 'cus_eval_beaten_cost',
      body: { amount: 700, currency: 'eur', date: '2026-11-20', category: 'support', idempotencyKey: 'beaten-1' },
      actor: 'token:finance',
      now,
    });
    const contract = await recordContract(deps(), {
      accountId: 'cus_eval_beaten_contract',
      actor: 'token:finance',
      source: 'manual',
      now,
      body: { endDate: '2027-06-30', renewal: 'fixed', noticeDays: 30 },
    });
    evaluationsToBeat = 0;
    expect(cost).toMatchObject({ replayed: false, evaluationPending: true });
    expect(contract).toMatchObject({ outcome: 'changed', evaluationPending: true, contract: { endDate: '2027-06-30' } });
    expect((await listCosts(store, 'cus_eval_beaten_cost', { limit: 10 })).items).toHaveLength(1);
    expect((await getContract(store, 'cus_eval_beaten_contract'))?.contract).toMatchObject({ endDate: '2027-06-30' });
  });
});
