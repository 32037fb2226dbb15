import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestWatcher } from '../support/watcher.ts';

/** `npm run users`, started as the script starts it, then the token it printed used against a watcher. */
function users(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'local/users.ts', ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('npm run users', () => {
  it('adds a person, printing the token once and keeping only its hash; list and revoke', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'termwatch-users-')), 'users.json');
    const env = { WATCHER_USERS: file };
    const added = users(['add', 'ana@example.com', '--role', 'reviewer'], env);
    expect(added.status, added.stderr).toBe(0);
    const token = /Token \(shown once[^)]*\): (\S+)/.exec(added.stdout)?.[1];
    expect(token).toMatch(/^tw_[A-Za-z0-9_-]{32}$/);
    const stored = readFileSync(file, 'utf8');
    expect(stored).not.toContain(token);
    expect(JSON.parse(stored)).toEqual([{ name: 'ana@example.com', role: 'reviewer', tokenSha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(users(['add', 'bo@example.com', '--role', 'approver'], env).status).toBe(0);
    expect(users(['list'], env).stdout.trim().split('\n')).toEqual(['ana@example.com\treviewer', 'bo@example.com\tapprover']);

    const watcher = await startTestWatcher({ env });
    try {
      const me = await fetch(`${watcher.url}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(await me.json()).toEqual({ name: 'ana@example.com', role: 'reviewer' });
    } finally {
      await watcher.stop();
    }

    expect(users(['revoke', 'ana@example.com'], env).status).toBe(0);
    expect(users(['list'], env).stdout.trim()).toBe('bo@example.com\tapprover');
    const after = await startTestWatcher({ env });
    try {
      expect((await fetch(`${after.url}/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      await after.stop();
    }
  }, 60_000);

  it('refuses a bad role, a duplicate and an unknown command without touching the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'termwatch-users-')), 'users.json');
    const env = { WATCHER_USERS: file };
    const badRole = users(['add', 'x@example.com', '--role', 'boss'], env);
    expect(badRole.status).toBe(2);
    expect(badRole.stderr).toContain('--role must be one of');
    expect(() => statSync(file)).toThrow();
    expect(users(['add', 'x@example.com', '--role', 'viewer'], env).status).toBe(0);
    const before = readFileSync(file, 'utf8');
    expect(users(['add', 'x@example.com', '--role', 'admin'], env).stderr).toContain('already in');
    expect(users(['frobnicate'], env).status).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
