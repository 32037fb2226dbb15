import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { startWatcher, type RunningWatcher, type WatcherOptions } from '../../local/watcher.ts';
import { signedDelivery } from './stripe-events.ts';
import { dynamoEndpoint } from './store.ts';

/** People every test watcher knows, by name (each with a token of their own), unless the test gives WATCHER_USERS. */
export const TEST_PEOPLE = { 'ana@finance': 'admin' } as const;
const peopleTokens = new WeakMap<RunningWatcher, Record<string, string>>();

/**
 * A WATCHER_USERS file in `dir` for `people` (name → role), each with a fresh token; only the
 * tokens' sha-256 is written, as `npm run users` does. Answers the file and the tokens by name.
 */
export function writeUsersFile(dir: string, people: Readonly<Record<string, string>>, prefix = 'tw'): { file: string; tokens: Record<string, string> } {
  const tokens: Record<string, string> = {};
  const users = Object.entries(people).map(([name, role]) => {
    tokens[name] = `${prefix}_${randomUUID()}`;
    return { name, role, tokenSha256: createHash('sha256').update(tokens[name]).digest('hex') };
  });
  const file = join(dir, 'users.json');
  writeFileSync(file, JSON.stringify(users));
  return { file, tokens };
}

/** The local runner on the run's DynamoDB Local, with a table and data dir of its own. */
export async function startTestWatcher(options: Partial<WatcherOptions> = {}): Promise<RunningWatcher> {
  const dataDir = mkdtempSync(join(tmpdir(), 'termwatch-'));
  let tokens: Record<string, string> = {};
  let env = options.env ?? {};
  if (!env.WATCHER_USERS) {
    const written = writeUsersFile(mkdtempSync(join(tmpdir(), 'termwatch-users-')), TEST_PEOPLE, 'test');
    tokens = written.tokens;
    env = { ...env, WATCHER_USERS: written.file };
  }
  const watcher = await startWatcher({
    dataDir,
    port: 0,
    policy: defaultPolicy,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-${randomUUID()}`,
    sweepIntervalMs: 0,
    queue: { retryBaseMs: 20 },
    ...options,
    env,
  });
  peopleTokens.set(watcher, tokens);
  return watcher;
}

/** The token of one of TEST_PEOPLE on this watcher. */
export function personToken(watcher: RunningWatcher, name: keyof typeof TEST_PEOPLE): string {
  const token = peopleTokens.get(watcher)?.[name];
  if (!token) throw new Error(`${name} has no token on this watcher`);
  return token;
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
    /** Any JSON request as a person of TEST_PEOPLE (their own token: the audit trail names them), else the owner. */
    async send(method: string, path: string, body?: unknown, actor = 'ana@finance') {
      const token = peopleTokens.get(watcher)?.[actor];
      const response = await fetch(`${watcher.url}${path}`, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : auth), 'content-type': 'application/json' },
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
