import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small Stripe-compatible API for the backfill tests: the list endpoints the backfill reads,
 * with Stripe's pagination (`limit`, `starting_after`, `has_more`, newest first), `created[gte]`,
 * `customer` and `status=all` filters and `expand[]=data.charge`, plus faults on demand:
 * 429 answers and hard failures. The real `stripe` SDK is pointed at it through
 * `STRIPE_API_BASE`, so pagination and retries are the SDK's own.
 */
export type FakeStripeResource = 'customers' | 'subscriptions' | 'subscription_schedules' | 'invoices' | 'refunds' | 'disputes' | 'charges';

export interface FakeStripeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** 1-based count of requests to this server. */
  n: number;
}

export interface FakeStripeFaults {
  /** Answer 429 (no Stripe-Should-Retry header, as Stripe's rate limiter does) when this returns true. */
  throttle?: (request: FakeStripeRequest) => boolean;
  /** Answer 500 with `Stripe-Should-Retry: false` (the SDK gives up at once) when this returns true. */
  fail?: (request: FakeStripeRequest) => boolean;
}

export interface FakeStripe {
  url: string;
  objects: Record<FakeStripeResource, Array<Record<string, unknown>>>;
  requests: FakeStripeRequest[];
  faults: FakeStripeFaults;
  close(): Promise<void>;
}

const LIST_PATHS: Record<string, FakeStripeResource> = {
  '/v1/customers': 'customers',
  '/v1/subscriptions': 'subscriptions',
  '/v1/subscription_schedules': 'subscription_schedules',
  '/v1/invoices': 'invoices',
  '/v1/refunds': 'refunds',
  '/v1/disputes': 'disputes',
  '/v1/charges': 'charges',
};

function newestFirst(a: Record<string, unknown>, b: Record<string, unknown>): number {
  return Number(b.created) - Number(a.created) || String(b.id).localeCompare(String(a.id));
}

function customerOf(object: Record<string, unknown>): unknown {
  const ref = object.customer;
  return typeof ref === 'object' && ref !== null ? (ref as { id?: unknown }).id : ref;
}

export async function startFakeStripe(objects: Partial<FakeStripe['objects']> = {}): Promise<FakeStripe> {
  const fake: FakeStripe = {
    url: '',
    objects: { customers: [], subscriptions: [], subscription_schedules: [], invoices: [], refunds: [], disputes: [], charges: [], ...objects },
    requests: [],
    faults: {},
    close: async () => undefined,
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${fake.requests.length}`, ...headers });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}) =>
    send(res, status, { error: { type, message } }, headers);

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const request: FakeStripeRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, n: fake.requests.length + 1 };
    fake.requests.push(request);
    if (!req.headers.authorization?.startsWith('Bearer sk_')) return error(res, 401, 'invalid_request_error', 'Invalid API Key provided');
    if (fake.faults.throttle?.(request)) return error(res, 429, 'invalid_request_error', 'Too many requests hit the API too quickly.');
    if (fake.faults.fail?.(request)) return error(res, 500, 'api_error', 'Something went wrong on our end.', { 'stripe-should-retry': 'false' });
    if (request.method !== 'GET') return error(res, 405, 'invalid_request_error', 'only GET here');

    const single = /^\/v1\/customers\/([^/]+)$/.exec(url.pathname);
    if (single) {
      const customer = fake.objects.customers.find((c) => c.id === single[1]);
      return customer ? send(res, 200, customer) : error(res, 404, 'invalid_request_error', `No such customer: '${single[1]}'`);
    }
    const resource = LIST_PATHS[url.pathname];
    if (!resource) return error(res, 404, 'invalid_request_error', `Unrecognized request URL (GET: ${url.pathname})`);

    const q = url.searchParams;
    const limit = Math.min(100, Number(q.get('limit') ?? 10));
    const gte = q.get('created[gte]');
    const customer = q.get('customer');
    const status = q.get('status');
    const expand = [...q.entries()].filter(([k]) => k.startsWith('expand')).map(([, v]) => v);
    let list = [...fake.objects[resource]].sort(newestFirst);
    if (gte) list = list.filter((o) => Number(o.created) >= Number(gte));
    if (customer) list = list.filter((o) => customerOf(o) === customer);
    // Like Stripe: subscriptions lists leave canceled ones out unless asked for status=all.
    if (resource === 'subscriptions' && status !== 'all') list = list.filter((o) => o.status !== 'canceled');
    const after = q.get('starting_after');
    if (after) {
      const index = list.findIndex((o) => o.id === after);
      if (index < 0) return error(res, 400, 'invalid_request_error', `starting_after: no such object ${after}`);
      list = list.slice(index + 1);
    }
    const page = list.slice(0, limit).map((o) => {
      if (!expand.includes('data.charge') || typeof o.charge !== 'string') return o;
      const charge = fake.objects.charges.find((c) => c.id === o.charge);
      return charge ? { ...o, charge } : o;
    });
    send(res, 200, { object: 'list', url: url.pathname, has_more: list.length > limit, data: page });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  return fake;
}
