import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { defaultPolicy } from '../../shared/config/policy.ts';
import { startWatcher, type RunningWatcher, type WatcherOptions } from '../../local/watcher.ts';
import { signedDelivery } from './stripe-events.ts';
import { dynamoEndpoint } from './store.ts';

/** The local runner on the run's DynamoDB Local, with a table and data dir of its own. */
export async function startTestWatcher(options: Partial<WatcherOptions> = {}): Promise<RunningWatcher> {
  return startWatcher({
    dataDir: mkdtempSync(join(tmpdir(), 'termwatch-')),
    port: 0,
    policy: defaultPolicy,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-${randomUUID()}`,
    sweepIntervalMs: 0,
    queue: { retryBaseMs: 20 },
    env: {},
    ...options,
  });
}

export function client(watcher: RunningWatcher) {
  const auth = { authorization: `Bearer ${watcher.apiToken}` };
  return {
    async get(path: string, headers: Record<string, string> = auth) {
      const response = await fetch(`${watcher.url}${path}`, { headers });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as any) : undefined };
    },
    async post(path: string, body: unknown, headers: Record<string, string> = auth) {
      const response = await fetch(`${watcher.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as any };
    },
    /** Any JSON request with the token (and an actor name for the audit trail). */
    async send(method: string, path: string, body?: unknown, actor = 'ana@finance') {
      const response = await fetch(`${watcher.url}${path}`, {
        method,
        headers: { ...auth, 'content-type': 'application/json', 'x-watcher-actor': actor },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as any) : undefined };
    },
    async deliver(event: unknown, options: { secret?: string; timestamp?: number } = {}) {
      const { body, signature } = signedDelivery(event, options.secret ?? watcher.webhookSecret, options.timestamp);
      const response = await fetch(`${watcher.url}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body,
      });
      return { status: response.status, body: (await response.json()) as any };
    },
  };
}
