import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertJava17, JavaMissingError, freePort } from '../../local/dynamodb-local.ts';
import { signedDelivery, fixture, stripeEvent } from '../support/stripe-events.ts';

const root = new URL('../..', import.meta.url).pathname;

/** Starts `npm start`'s entry point as a child process and waits for its banner. */
async function startProcess(env: Record<string, string>) {
  // As `npm start` runs it: one node process (the tsx CLI would put a signal relay in front of it).
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: root, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN', ...env } });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!output.includes('Termwatch is running')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`start failed:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, exited, output: () => output };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', () => {
  it('serves, prints how to connect, stops Java on Ctrl-C, and keeps the data for the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'termwatch-start-'));
    const port = await freePort();
    const first = await startProcess({ WATCHER_DATA_DIR: dataDir, PORT: String(port) });
    const banner = first.output();
    expect(banner).toContain(`stripe listen --forward-to localhost:${port}/webhooks/stripe`);
    const token = /API token:\s+(\S+)/.exec(banner)?.[1];
    const secret = /Webhook secret:\s+(whsec_\S+)/.exec(banner)?.[1];
    expect(token).toBeDefined();
    expect(secret).toBeDefined();
    const javaPort = Number(/DynamoDB Local on port (\d+)/.exec(banner)?.[1]);
    // Which delivery channels are on (none configured here), and how to turn them on.
    expect(banner).toMatch(/Slack:\s+off \(set WATCHER_SLACK_WEBHOOK_URL\)/);
    expect(banner).toMatch(/Email digest:\s+off/);
    expect(banner).toContain(`Calendar:     on (POST /calendar-feeds; links use http://127.0.0.1:${port})`);

    const event = stripeEvent('customer.created', { ...fixture('customer'), id: 'cus_persist', name: 'Persist SA' }, Math.floor(Date.now() / 1000));
    const { body, signature } = signedDelivery(event, secret!);
    const delivered = await fetch(`http://127.0.0.1:${port}/webhooks/stripe`, { method: 'POST', headers: { 'stripe-signature': signature }, body });
    expect(delivered.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(await portOpen(javaPort)).toBe(false);

    const second = await startProcess({ WATCHER_DATA_DIR: dataDir, PORT: String(port) });
    expect(second.output()).toContain(token!);
    const account = await fetch(`http://127.0.0.1:${port}/accounts/cus_persist`, { headers: { authorization: `Bearer ${token}` } });
    expect(account.status).toBe(200);
    expect(await account.json()).toMatchObject({ id: 'cus_persist', name: 'Persist SA' });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);

  it('refuses to start on a bad policy file, naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'termwatch-policy-'));
    const policyPath = join(dir, 'policy.json');
    writeFileSync(policyPath, JSON.stringify({ graceDays: -2, latePayer: { overdueDays: 'thirty' } }));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
      cwd: root,
      env: { ...process.env, WATCHER_POLICY: policyPath, WATCHER_DATA_DIR: dir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('graceDays');
    expect(result.stderr).toContain('latePayer.overdueDays');
  }, 70_000);

  it.each([
    ['WATCHER_SLACK_WEBHOOK_URL', { WATCHER_SLACK_WEBHOOK_URL: 'hooks.slack.com/services/x' }],
    [
      'WATCHER_MAIL_TO',
      {
        WATCHER_SMTP_URL: 'smtp://127.0.0.1:2525',
        WATCHER_MAIL_FROM: 'tw@example.com',
        WATCHER_MAIL_TO: 'finance@example.com, cfo@example.com\r\nBcc: x@evil.example',
      },
    ],
  ])(
    'refuses to start on a malformed %s, naming it',
    (variable, env) => {
      const dir = mkdtempSync(join(tmpdir(), 'termwatch-delivery-'));
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
        cwd: root,
        env: { ...process.env, WATCHER_DATA_DIR: dir, ...env },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`Termwatch cannot start: ${variable}`);
      expect(result.stdout).not.toContain('Termwatch is running');
    },
    40_000,
  );

  it('says what to install when Java is missing', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => assertJava17()).toThrow(JavaMissingError);
      expect(() => assertJava17()).toThrow(/Java 17 or later is required.*openjdk-17/s);
    } finally {
      process.env.PATH = saved;
    }
  });
});
