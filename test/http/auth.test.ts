import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { buildOpenApiDocument } from '../../shared/http/openapi.ts';
import { routes } from '../../shared/http/routes.ts';
import { allItems } from '../support/scan.ts';
import { signedDelivery, stripeEvent, fixture } from '../support/stripe-events.ts';
import { startTestWatcher } from '../support/watcher.ts';
import { answerOf, expectDocumentedAnswer, fillPath, operationsOf, type DocumentedOperation } from './openapi-operations.ts';

/**
 * Generated from the OpenAPI document: every secured operation refuses a request without
 * credentials and with wrong ones (401, before any validation), and every public one answers
 * without them. The requests are deliberately invalid, and a control with the right token shows
 * they are refused for their input: so the 401 is the credentials check winning, not luck.
 */
const doc = buildOpenApiDocument();
const operations = operationsOf(doc);
const secured = operations.filter((op) => op.operation.security.length > 0);
const open = operations.filter((op) => op.operation.security.length === 0);

let watcher: RunningWatcher;

beforeAll(async () => {
  watcher = await startTestWatcher();
}, 60_000);

afterAll(async () => {
  await watcher?.stop();
});

/** A request that breaks every input the operation documents: path, query and body. */
function invalidRequest(op: DocumentedOperation): { url: string; init: RequestInit } {
  const params = Object.fromEntries(op.operation.parameters.filter((p) => p.in === 'path').map((p) => [p.name, 'not valid!{}'.repeat(40)]));
  const query = op.operation.parameters.filter((p) => p.in === 'query');
  const search = new URLSearchParams([...query.map((p) => [p.name, '-1.5 not valid'] as [string, string]), ['unknownParameter', 'x']]);
  const content = Object.keys(op.operation.requestBody?.content ?? {});
  // A JSON body that is not JSON; a CSV route sent JSON (the wrong media type).
  const body: { body?: string; headers: Record<string, string> } = content.includes('application/json')
    ? { body: '{"unterminated": ', headers: { 'content-type': 'application/json' } }
    : content.length > 0
      ? { body: '{"rows": []}', headers: { 'content-type': 'application/json' } }
      : { headers: {} };
  return {
    url: `${watcher.url}${fillPath(op.path, params)}?${search.toString()}`,
    init: { method: op.method, headers: body.headers, ...(body.body === undefined ? {} : { body: body.body }) },
  };
}

async function send(op: DocumentedOperation, authorization: string | undefined) {
  const { url, init } = invalidRequest(op);
  const headers = { ...(init.headers as Record<string, string>), ...(authorization === undefined ? {} : { authorization }) };
  const response = await fetch(url, { ...init, headers });
  const www = response.headers.get('www-authenticate');
  return { ...(await answerOf(response)), www };
}

describe('secured operations', () => {
  it('are every finance route of routes.ts, each offering the three security schemes', () => {
    expect(secured.map((op) => op.key).sort()).toEqual(
      routes
        .filter((r) => r.auth === 'finance')
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    );
    expect(secured.length).toBeGreaterThanOrEqual(15);
  });

  const wrongCredentials: Array<[string, (token: string) => string | undefined]> = [
    ['no Authorization header', () => undefined],
    ['a wrong token', () => 'Bearer wrong-token-0123456789'],
    ['the right token with one character more', (token) => `Bearer ${token}x`],
    ['the right token under another scheme', (token) => `Basic ${token}`],
    ['an empty bearer', () => 'Bearer '],
  ];

  it.each(secured.map((op) => [op.key, op] as const))(
    '%s answers 401 to missing or wrong credentials, before validating, and writes nothing',
    async (_key, op) => {
      const before = (await allItems(watcher.store)).length;
      for (const [what, credentials] of wrongCredentials) {
        const answer = await send(op, credentials(watcher.apiToken));
        expect(answer.status, `${op.key} with ${what}: ${answer.text}`).toBe(401);
        expect(JSON.parse(answer.text)).toMatchObject({ error: { code: 'unauthorized' } });
        expect(answer.www).toBe('Bearer');
        expectDocumentedAnswer(doc, op, answer, what);
      }
      expect((await allItems(watcher.store)).length).toBe(before);

      // Control: with the right token the same request is refused for its input, never served; an
      // operation that takes no input (GET /admin/dead-letters) is served.
      const control = await send(op, `Bearer ${watcher.apiToken}`);
      const takesInput = op.operation.parameters.length > 0 || op.operation.requestBody !== undefined;
      expect(takesInput ? [400, 415] : [200], `${op.key} with the right token: ${control.status} ${control.text}`).toContain(control.status);
      expectDocumentedAnswer(doc, op, control, 'control');
    },
  );
});

describe('public operations', () => {
  it('are the health check, the document, the webhook and the calendar feed (its secret URL)', () => {
    expect(open.map((op) => op.key).sort()).toEqual(['GET /calendar/{feedFile}', 'GET /health', 'GET /openapi.json', 'POST /webhooks/stripe']);
  });

  it.each(open.filter((op) => op.method === 'GET' && op.key !== 'GET /calendar/{feedFile}').map((op) => [op.key, op] as const))(
    '%s answers 200 without credentials',
    async (_key, op) => {
      const answer = await answerOf(await fetch(`${watcher.url}${op.path}`));
      expect(answer.status).toBe(200);
      expectDocumentedAnswer(doc, op, answer);
    },
  );

  it('the calendar feed: its secret URL is the credential (200 with no header), an unknown secret is a 404, never a 401', async () => {
    const op = open.find((o) => o.key === 'GET /calendar/{feedFile}')!;
    const created = await fetch(`${watcher.url}/calendar-feeds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${watcher.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'auth test' }),
    });
    expect(created.status).toBe(201);
    const { url } = (await created.json()) as { url: string };
    const feed = await answerOf(await fetch(`${watcher.url}${new URL(url).pathname}`));
    expect(feed.status, feed.text).toBe(200);
    expect(feed.text).toContain('BEGIN:VCALENDAR');
    const unknown = await answerOf(await fetch(`${watcher.url}/calendar/${'0'.repeat(64)}.ics`));
    expect(unknown.status).toBe(404);
    expectDocumentedAnswer(doc, op, unknown, 'unknown secret');
  });

  it('the webhook takes a signed event without a bearer token, and ignores a wrong one', async () => {
    const op = open.find((o) => o.key === 'POST /webhooks/stripe')!;
    const event = stripeEvent('payment_intent.created', fixture('payment_intent'), Math.floor(Date.now() / 1000));
    for (const authorization of [undefined, 'Bearer wrong-token']) {
      const { body, signature } = signedDelivery(event, watcher.webhookSecret);
      const response = await fetch(`${watcher.url}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature, ...(authorization ? { authorization } : {}) },
        body,
      });
      const answer = await answerOf(response);
      expect(answer.status, answer.text).toBe(200);
      expectDocumentedAnswer(doc, op, answer);
    }
    // Its own check is the signature: unsigned is a 400, never a 401.
    const unsigned = await answerOf(
      await fetch(`${watcher.url}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    );
    expect(unsigned.status).toBe(400);
    expectDocumentedAnswer(doc, op, unsigned, 'unsigned');
  });
});
