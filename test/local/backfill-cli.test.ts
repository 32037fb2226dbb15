import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../shared/domain/policy.ts';
import { startWatcher } from '../../local/watcher.ts';
import { RUNTIME_FILE } from '../../local/local-target.ts';
import { doneWhenAccount, LATE_CUSTOMER } from '../support/backfill-scenario.ts';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.ts';
import { client } from '../support/watcher.ts';

const root = new URL('../..', import.meta.url).pathname;

/** `npm run backfill -- …` as a child process (stdout is a pipe: plain progress lines). */
function backfillCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/backfill.ts', ...args], {
      cwd: root,
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN', STRIPE_API_KEY: '', STRIPE_API_BASE: '', ...env },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe(doneWhenAccount(new Date()).objects);
});
afterAll(async () => {
  await fake.close();
});

describe('npm run backfill', () => {
  it('refuses to start without a Stripe key or with a bad option, naming it', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'termwatch-backfill-'));
    const noKey = await backfillCli([], { WATCHER_DATA_DIR: dataDir });
    expect(noKey.code).toBe(2);
    expect(noKey.output).toContain('STRIPE_API_KEY is not set');
    const badSince = await backfillCli(['--since', '2026-13-01'], { WATCHER_DATA_DIR: dataDir, STRIPE_API_KEY: 'sk_test_x' });
    expect(badSince.code).toBe(2);
    expect(badSince.output).toContain('--since must be a calendar date');
    expect(existsSync(join(dataDir, 'dynamodb'))).toBe(false);
  });

  it('fills a fresh data dir, which the watcher then serves; a second run beside the running watcher changes nothing', { timeout: 240_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'termwatch-backfill-'));
    const env = { WATCHER_DATA_DIR: dataDir, STRIPE_API_KEY: 'sk_test_cli', STRIPE_API_BASE: fake.url };
    const first = await backfillCli([], env);
    expect(first.output).toContain('Backfill finished');
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/backfill: reading invoices/);
    expect(first.output).toContain('accounts evaluated: 2, flagged: 1');
    // Every object read is a fact: invoices, refunds, disputes, customers, and each subscription
    // and schedule as last observed (the contract terms are recomputed from those).
    expect(first.output).toContain('objects read: 17, facts written: 17');
    expect(first.output).not.toContain('sk_test_cli');

    const watcher = await startWatcher({ dataDir, port: 0, policy: defaultPolicy, sweepIntervalMs: 0, env: {} });
    try {
      expect(existsSync(join(dataDir, RUNTIME_FILE))).toBe(true);
      const flagged = await client(watcher).get('/accounts?flag=late_payer');
      expect(flagged.body.items.map((a: { id: string }) => a.id)).toEqual([LATE_CUSTOMER]);

      const second = await backfillCli([], env);
      expect(second.code).toBe(0);
      expect(second.output).toContain("into the running watcher's store");
      expect(second.output).toContain('facts written: 0');
    } finally {
      await watcher.stop();
    }
    expect(existsSync(join(dataDir, RUNTIME_FILE))).toBe(false);
  });
});
