import { addDays, formatISO } from 'date-fns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from '../../shared/zod.ts';
import { fromJSONSchema } from 'zod';
import type { RunningWatcher } from '../../local/watcher.ts';
import { contractBodySchema, renewalSchema } from '../../shared/domain/contract.ts';
import { costBodySchema } from '../../shared/domain/cost.ts';
import { adminHandlers, apiHandlers } from '../../shared/http/api.ts';
import { bindRoutes } from '../../shared/http/app.ts';
import { buildOpenApiDocument, FINANCE_SECURITY, OpenApiBuildError, openApiDocument, toOpenApiSchema } from '../../shared/http/openapi.ts';
import { routes, type RouteSpec } from '../../shared/http/routes.ts';
import { webhookHandlers } from '../../shared/http/webhook-routes.ts';
import { taskListQuerySchema } from '../../shared/schemas/tasks.ts';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { daysBefore, invoiceEvents, signedDelivery, type InvoiceStory } from '../support/stripe-events.ts';
import { personToken, startTestWatcher } from '../support/watcher.ts';
import { answerOf, expectDocumentedAnswer, inlineRefs, operationsOf, refsOf, resolvePointer, type DocumentedOperation } from './openapi-operations.ts';

const doc = buildOpenApiDocument();
const operations = operationsOf(doc);
const byKey = new Map(operations.map((op) => [op.key, op]));
const specOf = (key: string) => (routes as readonly RouteSpec[]).find((r) => `${r.method} ${r.path}` === key);

let watcher: RunningWatcher;

beforeAll(async () => {
  watcher = await startTestWatcher();
}, 60_000);

afterAll(async () => {
  await watcher?.stop();
});

/** What the local runner's router serves: every function's routes, local-only ones included. */
function servedRouteKeys(): string[] {
  const deps = { store: watcher.store, policy: defaultPolicy, clock: () => new Date() };
  const bound = bindRoutes(
    {
      ...apiHandlers(deps),
      ...adminHandlers({ ...deps, queue: watcher.queue }),
      ...webhookHandlers({ store: watcher.store, queue: watcher.queue, webhookSecret: async () => watcher.webhookSecret, clock: deps.clock }),
    },
    { fns: ['api', 'webhook'], includeLocalOnly: true },
  );
  return bound.map((r) => `${r.spec.method} ${r.spec.path}`);
}

describe('the OpenAPI document covers exactly the routes served', () => {
  it('lists every route the router serves, and nothing else', () => {
    const served = servedRouteKeys();
    expect(served.length).toBe(routes.length);
    expect(operations.map((op) => op.key).sort()).toEqual([...served].sort());
  });

  it('marks local-only routes x-local-only and no others', () => {
    for (const op of operations) {
      expect(op.operation['x-local-only'], op.key).toBe(specOf(op.key)?.localOnly ? true : undefined);
    }
    expect(byKey.get('POST /admin/sweep')?.operation['x-local-only']).toBe(true);
  });
});

describe('the document is structurally valid OpenAPI 3.1', () => {
  it('declares OpenAPI 3.1.x with info, and its security schemes are well formed', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toBeTruthy();
    const schemes = doc.components.securitySchemes;
    expect(Object.keys(schemes).sort()).toEqual(['awsIam', 'bearerAuth', 'jwt']);
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.jwt).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(schemes.awsIam).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization', 'x-amazon-apigateway-authtype': 'awsSigv4' });
  });

  it('has only methods OpenAPI knows, unique operationIds and unique parameters', () => {
    expect(new Set(operations.map((op) => op.operation.operationId)).size).toBe(operations.length);
    for (const op of operations) {
      expect(['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE']).toContain(op.method);
      const params = op.operation.parameters.map((p) => `${p.in}:${p.name}`);
      expect(new Set(params).size, op.key).toBe(params.length);
      for (const p of op.operation.parameters) {
        expect(['path', 'query', 'header', 'cookie'], op.key).toContain(p.in);
        expect(typeof p.schema, `${op.key} ${p.name}`).toBe('object');
      }
    }
  });

  it('declares every path parameter, required, and no path parameter the path lacks', () => {
    for (const op of operations) {
      const placeholders = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = op.operation.parameters.filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), op.key).toEqual([...placeholders].sort());
      for (const p of declared) expect(p.required, `${op.key} ${p.name}`).toBe(true);
    }
    expect(byKey.get('GET /tasks/{taskId}')!.operation.parameters[0]).toMatchObject({ name: 'taskId', in: 'path' });
  });

  it('gives every operation responses: a 2xx, and a description on each', () => {
    for (const op of operations) {
      const responses = Object.entries(op.operation.responses);
      expect(responses.length, op.key).toBeGreaterThan(0);
      expect(
        responses.some(([status]) => /^2\d\d$/.test(status)),
        op.key,
      ).toBe(true);
      for (const [status, response] of responses) {
        expect(status, op.key).toMatch(/^[1-5]\d\d$/);
        const resolved = inlineRefs(doc, response) as { description?: unknown };
        expect(typeof resolved.description, `${op.key} ${status}`).toBe('string');
      }
    }
  });

  it('resolves every $ref inside the document', () => {
    const refs = refsOf(doc);
    expect(refs.length).toBeGreaterThan(operations.length);
    for (const { at, ref } of refs) {
      expect(ref, at).toMatch(/^#\//);
      expect(resolvePointer(doc, ref), `${at} → ${ref}`).toBeDefined();
    }
  });

  it('names only declared security schemes; request bodies have content', () => {
    for (const op of operations) {
      for (const requirement of op.operation.security) {
        for (const name of Object.keys(requirement)) expect(Object.keys(doc.components.securitySchemes), op.key).toContain(name);
      }
      if (op.operation.requestBody) expect(Object.keys(op.operation.requestBody.content).length, op.key).toBeGreaterThan(0);
    }
  });
});

describe('security and error answers follow each route kind', () => {
  it.each(operations.map((op) => [op.key, op] as const))('%s', (_key, op) => {
    const spec = specOf(op.key)!;
    const statuses = Object.keys(op.operation.responses);
    if (spec.auth === 'finance') {
      expect(op.operation.security).toEqual(FINANCE_SECURITY);
      expect(op.operation.responses['401']).toEqual({ $ref: '#/components/responses/Unauthorized' });
    } else {
      expect(op.operation.security).toEqual([]);
      expect(statuses).not.toContain('401');
    }
    const takesInput = op.operation.parameters.length > 0 || op.operation.requestBody !== undefined;
    expect(statuses.includes('400'), 'input means a documented 400').toBe(takesInput);
    expect(statuses.includes('413'), 'a body means a documented 413').toBe(op.operation.requestBody !== undefined);
  });

  it('documents the webhook signature header and the route-specific errors', () => {
    const webhook = byKey.get('POST /webhooks/stripe')!.operation;
    expect(webhook.parameters).toContainEqual(expect.objectContaining({ name: 'Stripe-Signature', in: 'header', required: true }));
    expect(Object.keys(byKey.get('GET /accounts/{accountId}')!.operation.responses)).toContain('404');
    expect(Object.keys(byKey.get('GET /tasks/{taskId}')!.operation.responses)).toContain('404');
    expect(Object.keys(byKey.get('POST /accounts/{accountId}/costs')!.operation.responses)).toEqual(expect.arrayContaining(['200', '201', '409']));
    expect(Object.keys(byKey.get('POST /contracts/import')!.operation.responses)).toContain('415');
    expect(doc.components.responses).toHaveProperty('MethodNotAllowed');
    expect(byKey.get('GET /tasks')!.operation.responses['200']).toMatchObject({ content: { 'application/json': {}, 'text/csv': {} } });
  });
});

describe('the schemas are the validating ones, converted', () => {
  const jsonSchema = (schema: z.ZodMiniType, io: 'input' | 'output') => {
    const { $schema: _s, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
    return rest;
  };

  it('request bodies are the handlers’ schemas as input', () => {
    const body = (key: string) => byKey.get(key)!.operation.requestBody!.content['application/json']!.schema;
    expect(body('PUT /accounts/{accountId}/contract')).toEqual(jsonSchema(contractBodySchema, 'input'));
    expect(body('POST /accounts/{accountId}/costs')).toEqual(jsonSchema(costBodySchema, 'input'));
    const renewal = body('PUT /accounts/{accountId}/contract') as { properties: { renewal: { enum: string[] } } };
    expect(renewal.properties.renewal.enum).toEqual(renewalSchema.options);
  });

  it('query parameters are the properties of the query schema, required as the parser requires them', () => {
    const expected = jsonSchema(taskListQuerySchema, 'input') as { properties: Record<string, unknown>; required?: string[] };
    const params = byKey.get('GET /tasks')!.operation.parameters.filter((p) => p.in === 'query');
    expect(params.map((p) => p.name)).toEqual(Object.keys(expected.properties));
    for (const p of params) {
      expect(p.schema).toEqual(expected.properties[p.name]);
      expect(p.required).toBe((expected.required ?? []).includes(p.name));
    }
    // A default makes `limit` optional for the client, and `flag` has none.
    expect(byKey.get('GET /accounts')!.operation.parameters).toContainEqual(expect.objectContaining({ name: 'flag', required: true }));
    expect(byKey.get('GET /accounts')!.operation.parameters).toContainEqual(expect.objectContaining({ name: 'limit', required: false }));
  });
});

describe('building the document', () => {
  const route = { method: 'GET', path: '/things/{thingId}', auth: 'public', fn: 'api', summary: 'Things' } as const satisfies RouteSpec;
  const ok = { 200: { description: 'ok' } };

  it('refuses a route without an entry in route-schemas', () => {
    expect(() => buildOpenApiDocument({ routes: [route], schemas: {} })).toThrow(OpenApiBuildError);
  });

  it('refuses path parameters that do not match the path', () => {
    const schemas = { 'GET /things/{thingId}': { params: z.object({ id: z.string() }), responses: ok } };
    expect(() => buildOpenApiDocument({ routes: [route], schemas })).toThrow(/thingId/);
    expect(() => buildOpenApiDocument({ routes: [route], schemas: { 'GET /things/{thingId}': { responses: ok } } })).toThrow(OpenApiBuildError);
    const good = buildOpenApiDocument({ routes: [route], schemas: { 'GET /things/{thingId}': { params: z.object({ thingId: z.string() }), responses: ok } } });
    expect(good.paths['/things/{thingId}']?.get?.parameters).toEqual([{ name: 'thingId', in: 'path', required: true, schema: { type: 'string' } }]);
  });

  it('moves recursive and shared definitions to components, so their refs resolve', () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const node: z.ZodMiniType<Node> = z.object({
      name: z.string(),
      get children() {
        return z.array(node);
      },
    });
    const components: Record<string, Record<string, unknown>> = {};
    const root = toOpenApiSchema(node, 'output', components, 'tree');
    const nested = toOpenApiSchema(z.object({ top: node, other: node }), 'output', components, 'forest');
    const wrapper = { paths: { root, nested }, components: { schemas: components } };
    const refs = refsOf(wrapper);
    expect(refs.length).toBeGreaterThan(1);
    for (const { ref } of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(resolvePointer(wrapper, ref), ref).toBeDefined();
    }
  });
});

/** The API over HTTP: every operation answered at least once, each answer checked against the document. */
describe('the document describes what the API answers', () => {
  const day = (offset: number) => formatISO(addDays(new Date(), offset), { representation: 'date' });
  const auth = () => ({ authorization: `Bearer ${watcher.apiToken}` });
  const seen = new Set<string>();

  async function call(key: string, init: { path?: string; query?: string; body?: string; headers?: Record<string, string> } = {}) {
    const op = byKey.get(key) as DocumentedOperation;
    const [method] = key.split(' ');
    const response = await fetch(`${watcher.url}${init.path ?? op.path}${init.query ? `?${init.query}` : ''}`, {
      method,
      headers: { ...(specOf(key)?.auth === 'finance' ? auth() : {}), ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const answer = await answerOf(response);
    expectDocumentedAnswer(doc, op, answer, init.path ?? '');
    seen.add(key);
    return { ...answer, json: () => JSON.parse(answer.text) as any };
  }
  const jsonBody = (value: unknown) => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });
  const csvBody = (text: string) => ({ body: text, headers: { 'content-type': 'text/csv' } });

  it('serves the document itself without credentials, the same as built, and the same every time', async () => {
    const first = await call('GET /openapi.json');
    expect(first.status).toBe(200);
    expect(first.contentType).toBe('application/json');
    expect(first.json()).toEqual(JSON.parse(JSON.stringify(doc)));
    expect((await call('GET /openapi.json')).text).toBe(first.text);
    expect(openApiDocument()).toBe(openApiDocument());
  });

  it('answers every operation as documented', async () => {
    expect((await call('GET /health')).status).toBe(200);

    // A late payer with a fixed term past its deadline: an open review and its notification.
    const stories: InvoiceStory[] = [200, 150, 100, 50].map((age, i) => ({
      customer: 'cus_doc',
      invoiceId: `in_doc_${i}`,
      finalizedAt: daysBefore(new Date(), age + 30),
      dueAt: daysBefore(new Date(), age),
      paidAt: daysBefore(new Date(), age - 15),
    }));
    for (const event of stories.flatMap(invoiceEvents)) {
      const { body, signature } = signedDelivery(event, watcher.webhookSecret);
      expect((await call('POST /webhooks/stripe', { body, headers: { 'content-type': 'application/json', 'stripe-signature': signature } })).status).toBe(200);
    }
    expect((await call('POST /webhooks/stripe', { body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    await watcher.queue.drained();

    const contractPath = (id: string) => `/accounts/${id}/contract`;
    expect(
      (await call('PUT /accounts/{accountId}/contract', { path: contractPath('cus_doc'), ...jsonBody({ endDate: day(10), noticeDays: 30, renewal: 'fixed' }) }))
        .status,
    ).toBe(200);
    expect(
      (await call('PUT /accounts/{accountId}/contract', { path: contractPath('cus_doc2'), ...jsonBody({ endDate: day(60), noticeDays: 30, renewal: 'auto' }) }))
        .status,
    ).toBe(200);
    expect(
      (await call('PUT /accounts/{accountId}/contract', { path: contractPath('cus_doc2'), ...jsonBody({ endDate: '2026-02-30', renewal: 'auto' }) })).status,
    ).toBe(400);

    const cost = { amount: 1500, currency: 'usd', date: day(-3), category: 'support', note: 'setup', idempotencyKey: 'doc-1' };
    const costs = '/accounts/cus_doc/costs';
    expect((await call('POST /accounts/{accountId}/costs', { path: costs, ...jsonBody(cost) })).status).toBe(201);
    expect((await call('POST /accounts/{accountId}/costs', { path: costs, ...jsonBody(cost) })).status).toBe(200);
    expect((await call('POST /accounts/{accountId}/costs', { path: costs, ...jsonBody({ ...cost, amount: 99 }) })).status).toBe(409);
    expect((await call('GET /accounts/{accountId}/costs', { path: costs })).json().items).toHaveLength(1);

    expect((await call('GET /accounts/{accountId}', { path: '/accounts/cus_doc' })).json().flags).toContain('late_payer');
    expect((await call('GET /accounts/{accountId}', { path: '/accounts/cus_nobody' })).status).toBe(404);
    expect((await call('GET /accounts', { query: 'flag=late_payer' })).json().items.map((a: { id: string }) => a.id)).toContain('cus_doc');
    expect((await call('GET /accounts', { query: 'flag=nice' })).status).toBe(400);

    expect((await call('POST /costs/import', csvBody(`accountId,amount,currency,date,category\ncus_doc2,2500,usd,${day(-5)},delivery\n`))).status).toBe(200);
    expect((await call('POST /costs/import', csvBody('accountId,amount,currency,date,category\ncus_doc2,-1,usd,2026-02-30,nope\n'))).status).toBe(400);
    expect((await call('POST /costs/import', jsonBody({ rows: [] }))).status).toBe(415);
    expect(
      (await call('POST /contracts/import', csvBody(`accountId,endDate,noticeDays,renewal,renewalTermMonths\ncus_doc3,${day(300)},30,auto,12\n`))).status,
    ).toBe(200);

    const tasks = (await call('GET /tasks', { query: 'accountId=cus_doc' })).json().items as Array<{ id: string; status: string }>;
    expect(tasks.map((t) => t.status)).toContain('open');
    const csv = await call('GET /tasks', { query: 'format=csv&limit=1' });
    expect(csv.contentType).toBe('text/csv');
    expect((await call('GET /tasks/{taskId}', { path: `/tasks/${encodeURIComponent(tasks[0]!.id)}` })).json().id).toBe(tasks[0]!.id);
    expect((await call('GET /tasks/{taskId}', { path: '/tasks/cus_nobody~r1' })).status).toBe(404);
    const checklist = (id: string) => `/tasks/${encodeURIComponent(id)}/checklist`;
    const marked = await call('POST /tasks/{taskId}/checklist', { path: checklist(tasks[0]!.id), ...jsonBody({ step: 2, done: true }) });
    expect(marked.status).toBe(200);
    expect(marked.json().checklist[1]).toMatchObject({ step: 2, done: true });
    expect((await call('POST /tasks/{taskId}/checklist', { path: checklist(tasks[0]!.id), ...jsonBody({ step: 7, done: true }) })).status).toBe(400);
    expect((await call('POST /tasks/{taskId}/checklist', { path: checklist('cus_nobody~r1'), ...jsonBody({ step: 1, done: true }) })).status).toBe(404);
    const decide = (id: string) => `/tasks/${encodeURIComponent(id)}/decision`;
    expect(
      (await call('POST /tasks/{taskId}/decision', { path: decide(tasks[0]!.id), ...jsonBody({ decision: 'retain', note: 'paying again' }) })).status,
    ).toBe(200);
    expect((await call('POST /tasks/{taskId}/decision', { path: decide('cus_nobody~r1'), ...jsonBody({ decision: 'retain', note: 'x' }) })).status).toBe(404);
    // Four eyes: the owner asks for a termination, cannot approve it, and another admin does.
    const approval = `/tasks/${encodeURIComponent(tasks[0]!.id)}/approval`;
    expect(
      (await call('POST /tasks/{taskId}/decision', { path: decide(tasks[0]!.id), ...jsonBody({ decision: 'terminate', note: 'ends it' }) })).json().status,
    ).toBe('pending_approval');
    expect((await call('POST /tasks/{taskId}/approval', { path: approval, ...jsonBody({ approve: true, note: 'mine' }) })).status).toBe(403);
    const ana = { authorization: `Bearer ${personToken(watcher, 'ana@finance')}` };
    const approved = await call('POST /tasks/{taskId}/approval', {
      path: approval,
      body: JSON.stringify({ approve: true, note: 'agreed' }),
      headers: { 'content-type': 'application/json', ...ana },
    });
    expect(approved.json()).toMatchObject({ status: 'decided', decisions: [{}, { decision: 'terminate', by: 'owner', approvedBy: 'ana@finance' }] });
    expect(
      (
        await call('POST /tasks/{taskId}/approval', {
          path: approval,
          body: JSON.stringify({ approve: false, note: 'late' }),
          headers: { 'content-type': 'application/json', ...ana },
        })
      ).status,
    ).toBe(409);
    const assignee = `/tasks/${encodeURIComponent(tasks[0]!.id)}/assignee`;
    expect((await call('POST /tasks/{taskId}/assignee', { path: assignee, ...jsonBody({ name: 'ana@finance' }) })).json().assignee).toBe('ana@finance');
    expect((await call('POST /tasks/{taskId}/assignee', { path: assignee, ...jsonBody({}) })).status).toBe(400);
    expect((await call('GET /tasks', { query: 'assignee=ana%40finance' })).json().items.map((t: { id: string }) => t.id)).toEqual([tasks[0]!.id]);
    expect((await call('GET /me')).json()).toEqual({ name: 'owner', role: 'admin' });

    expect(
      (await call('POST /accounts/{accountId}/signals', { path: '/accounts/cus_doc/signals', ...jsonBody({ signal: 'communication', note: 'slow replies' }) }))
        .status,
    ).toBe(201);
    expect((await call('POST /accounts/{accountId}/signals', { path: '/accounts/cus_doc/signals', ...jsonBody({ signal: 'rude' }) })).status).toBe(400);
    const overrides = '/accounts/cus_doc/overrides';
    expect((await call('GET /accounts/{accountId}/overrides', { path: overrides })).status).toBe(200);
    expect((await call('PUT /accounts/{accountId}/overrides', { path: overrides, ...jsonBody({ policy: { graceDays: 5 } }) })).json()).toMatchObject({
      policy: { graceDays: 5 },
    });
    expect((await call('PUT /accounts/{accountId}/overrides', { path: overrides, ...jsonBody({ policy: { graceDays: -5 } }) })).status).toBe(400);
    expect((await call('GET /accounts/{accountId}/audit', { path: '/accounts/cus_doc/audit' })).json().items.length).toBeGreaterThan(0);

    expect((await call('GET /renewals', { query: 'withinDays=90' })).json().items.map((r: { accountId: string }) => r.accountId)).toContain('cus_doc2');
    expect((await call('GET /notifications', { query: 'accountId=cus_doc' })).json().items.length).toBeGreaterThan(0);
    expect((await call('POST /admin/sweep', jsonBody({ now: new Date().toISOString() }))).status).toBe(200);
    expect((await call('POST /admin/sweep', jsonBody({ now: 'yesterday' }))).status).toBe(400);
    expect((await call('GET /admin/dead-letters', {})).json()).toEqual({ items: [] });
    expect((await call('POST /admin/dead-letters/redrive', {})).json()).toEqual({ redriven: 0 });
    expect((await call('POST /admin/dead-letters/redrive', jsonBody({ all: true }))).status).toBe(400);

    expect((await call('GET /policy')).json().policy).toMatchObject({ graceDays: 3 });
    const preview = await call('POST /policy/preview', { query: 'all=true', ...jsonBody({ policy: { graceDays: 30 } }) });
    expect(preview.json().accounts.map((a: { id: string }) => a.id)).toContain('cus_doc');
    expect((await call('POST /policy/preview', jsonBody({ policy: { graceDays: 'soon' } }))).status).toBe(400);
    const feed = await call('POST /calendar-feeds', jsonBody({ name: 'Finance calendar' }));
    expect(feed.status).toBe(201);
    expect((await call('POST /calendar-feeds', jsonBody({ name: '' }))).status).toBe(400);
    expect((await call('GET /calendar-feeds')).json().items.map((f: { id: string }) => f.id)).toEqual([feed.json().id]);
    const feedPath = new URL(feed.json().url as string).pathname;
    const calendar = await call('GET /calendar/{feedFile}', { path: feedPath });
    expect(calendar.contentType).toBe('text/calendar');
    expect(calendar.text).toContain('BEGIN:VCALENDAR');
    expect((await call('GET /calendar/{feedFile}', { path: '/calendar/nope.ics' })).status).toBe(404);
    expect((await call('DELETE /calendar-feeds/{feedId}', { path: `/calendar-feeds/${feed.json().id}` })).status).toBe(204);
    expect((await call('DELETE /calendar-feeds/{feedId}', { path: `/calendar-feeds/${feed.json().id}` })).status).toBe(404);
    expect((await call('DELETE /calendar-feeds/{feedId}', { path: '/calendar-feeds/x' })).status).toBe(400);
    expect((await call('GET /deliveries/dead-letters')).json()).toEqual({ items: [] });
    expect((await call('POST /deliveries/dead-letters/resend', jsonBody({ channel: 'slack', messageKey: 'review_opened~cus_doc~r9' }))).status).toBe(404);
    const badChannel = await call('POST /deliveries/dead-letters/resend', jsonBody({ channel: 'digest', messageKey: 'x' }));
    expect(badChannel.status).toBe(400);
    expect(badChannel.json().error.message).toContain('body.channel');

    expect([...seen].sort()).toEqual(operations.map((op) => op.key).sort());
  });

  it('answers a method a path does not take with the documented 405', async () => {
    const response = await fetch(`${watcher.url}/health`, { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
    const schema = fromJSONSchema(inlineRefs(doc, doc.components.schemas.Error) as z.core.JSONSchema.JSONSchema);
    expect(schema.safeParse(await response.json()).success).toBe(true);
  });
});
