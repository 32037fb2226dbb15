import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDays, formatISO } from 'date-fns';
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningWatcher } from '../../local/watcher.ts';
import { parsePolicy } from '../../shared/domain/policy.ts';
import { UsersFileError } from '../../shared/http/auth/users-file.ts';
import { startOidcIssuer } from '../support/oidc-issuer.ts';
import { allItems } from '../support/scan.ts';
import { startTestWatcher } from '../support/watcher.ts';

/**
 * People and roles over HTTP, against a watcher on DynamoDB Local with a users file and a real
 * OIDC issuer (discovery + JWKS served locally, tokens signed with keys made in the test).
 */
const people = { 'ana@example.com': 'reviewer', 'bo@example.com': 'approver', 'cy@example.com': 'approver', 'vi@example.com': 'viewer' } as const;
type Person = keyof typeof people | 'owner';
const tokens: Record<string, string> = {};
let issuer: Awaited<ReturnType<typeof startOidcIssuer>>;
let watcher: RunningWatcher;
/** Days the watcher's clock runs ahead of the real one (the overdue test moves it). */
let clockAheadDays = 0;
const day = (offset: number) => formatISO(addDays(new Date(), offset), { representation: 'date' });

beforeAll(async () => {
  issuer = await startOidcIssuer();
  const dir = mkdtempSync(join(tmpdir(), 'termwatch-people-'));
  const users = Object.entries(people).map(([name, role]) => {
    tokens[name] = `tw_${randomUUID()}`;
    return { name, role, tokenSha256: createHash('sha256').update(tokens[name]).digest('hex') };
  });
  writeFileSync(join(dir, 'users.json'), JSON.stringify(users));
  watcher = await startTestWatcher({
    clock: () => addDays(new Date(), clockAheadDays),
    env: { WATCHER_USERS: join(dir, 'users.json'), WATCHER_OIDC_ISSUER: issuer.issuer, WATCHER_OIDC_AUDIENCE: issuer.audience },
  });
  tokens.owner = watcher.apiToken;
}, 60_000);

afterAll(async () => {
  await watcher?.stop();
  await issuer?.close();
});

async function call(method: string, path: string, options: { as?: Person; bearer?: string; body?: unknown } = {}) {
  const bearer = options.bearer ?? tokens[options.as ?? 'owner'];
  const response = await fetch(`${watcher.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'x-watcher-actor': 'mallory' },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as any) : undefined };
}

/** An account with an open review (an abusive signal opens it now). */
async function openReview(accountId: string, endInDays = 120) {
  expect(
    (await call('PUT', `/accounts/${accountId}/contract`, { as: 'ana@example.com', body: { endDate: day(endInDays), noticeDays: 30, renewal: 'fixed' } }))
      .status,
  ).toBe(200);
  expect(
    (await call('POST', `/accounts/${accountId}/signals`, { as: 'ana@example.com', body: { signal: 'abusive', note: 'shouted at support' } })).status,
  ).toBe(201);
  const [task] = (await call('GET', `/tasks?accountId=${accountId}`)).body.items;
  expect(task.status).toBe('open');
  return task as { id: string };
}

describe('local tokens', () => {
  it('GET /me names each person with their role; WATCHER_API_TOKEN is the admin "owner"', async () => {
    expect((await call('GET', '/me')).body).toEqual({ name: 'owner', role: 'admin' });
    for (const [name, role] of Object.entries(people)) expect((await call('GET', '/me', { as: name as Person })).body).toEqual({ name, role });
  });

  it('records the authenticated name on every write and ignores x-watcher-actor', async () => {
    await openReview('cus_people_who');
    const audit = (await call('GET', '/accounts/cus_people_who/audit?limit=200')).body.items as Array<{ action: string; by: string }>;
    expect(audit.filter((a) => !a.by.startsWith('system:')).map((a) => a.by)).toEqual(['ana@example.com', 'ana@example.com']);
    const cost = await call('POST', '/accounts/cus_people_who/costs', {
      as: 'bo@example.com',
      body: { amount: 500, currency: 'usd', date: day(-3), category: 'support' },
    });
    expect(cost.status).toBe(201);
    expect(JSON.stringify(await allItems(watcher.store))).not.toContain('mallory');
  });

  it('a viewer reads but every write is 403 naming the role, and nothing is written', async () => {
    expect((await call('GET', '/tasks', { as: 'vi@example.com' })).status).toBe(200);
    const before = (await allItems(watcher.store)).length;
    const writes: Array<[string, string, unknown]> = [
      ['PUT', '/accounts/cus_viewer/contract', { endDate: day(100), noticeDays: 30, renewal: 'fixed' }],
      ['POST', '/accounts/cus_viewer/signals', { signal: 'other', note: 'x' }],
      ['POST', '/accounts/cus_viewer/costs', { amount: 1, currency: 'usd', date: day(-1), category: 'other' }],
      ['PUT', '/accounts/cus_viewer/overrides', {}],
      ['POST', '/tasks/cus_viewer~r1/decision', { decision: 'retain', note: 'x' }],
      ['POST', '/tasks/cus_viewer~r1/assignee', { name: 'vi@example.com' }],
      ['POST', '/admin/sweep', {}],
    ];
    for (const [method, path, body] of writes) {
      const answer = await call(method, path, { as: 'vi@example.com', body });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error.code).toBe('forbidden');
      expect(answer.body.error.message).toMatch(/needs the (reviewer|admin) role/);
    }
    const approval = await call('POST', '/tasks/cus_viewer~r1/approval', { as: 'ana@example.com', body: { approve: true, note: 'x' } });
    expect(approval.status).toBe(403);
    expect(approval.body.error.message).toContain('needs the approver role');
    expect((await allItems(watcher.store)).length).toBe(before);
  });
});

describe('OIDC bearer tokens', () => {
  const claims = { sub: 'user-123', email: 'oidc.person@example.com', 'cognito:groups': ['viewer', 'reviewer'] };

  it('accepts a valid token (RS256 or ES256), naming the person by email else sub, with the highest group', async () => {
    expect((await call('GET', '/me', { bearer: await issuer.sign(claims) })).body).toEqual({ name: 'oidc.person@example.com', role: 'reviewer' });
    expect(
      (await call('GET', '/me', { bearer: await issuer.sign({ sub: 'only-sub', 'cognito:groups': ['admin', 'viewer'] }, { alg: 'ES256' }) })).body,
    ).toEqual({ name: 'only-sub', role: 'admin' });
    // A Cognito access token: no aud, the app client in client_id.
    const access = await issuer.sign({ sub: 'u-9', client_id: issuer.audience, token_use: 'access', 'cognito:groups': ['approver'] }, { audience: null });
    expect((await call('GET', '/me', { bearer: access })).body).toEqual({ name: 'u-9', role: 'approver' });
    const write = await call('POST', '/accounts/cus_oidc/signals', { bearer: await issuer.sign(claims), body: { signal: 'other', note: 'from a JWT' } });
    expect(write.status).toBe(201);
    expect(write.body.recordedBy).toBe('oidc.person@example.com');
  });

  it('refuses unknown-key, expired, not-yet-valid, wrongly signed, wrong-audience, wrong-issuer and alg:none tokens with 401, writing nothing', async () => {
    const stranger = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const valid = await issuer.sign(claims);
    const [header, payload] = valid.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'rsa-1' })).toString('base64url')}.${payload}.${createHash('sha256').update('x').digest('base64url')}`;
    const bad: Record<string, string> = {
      'unknown kid': await issuer.sign(claims, { kid: 'nobody', key: stranger.privateKey }),
      expired: await issuer.sign(claims, { expiresIn: now - 3600 }),
      'not yet valid': await issuer.sign(claims, { notBefore: now + 3600 }),
      'wrongly signed (known kid, other key)': await issuer.sign(claims, { key: stranger.privateKey }),
      'wrong audience': await issuer.sign(claims, { audience: 'another-app' }),
      'wrong issuer': await issuer.sign(claims, { issuer: 'https://evil.example.com' }),
      'alg none': none,
      'alg HS256 with the key id': hs,
      'tampered payload': `${header}.${Buffer.from(JSON.stringify({ ...claims, 'cognito:groups': ['admin'], iss: issuer.issuer, aud: issuer.audience, exp: now + 3600 })).toString('base64url')}.${valid.split('.')[2]}`,
    };
    const before = (await allItems(watcher.store)).length;
    for (const [what, bearer] of Object.entries(bad)) {
      const read = await call('GET', '/me', { bearer });
      expect(read.status, what).toBe(401);
      expect(read.body.error.code).toBe('unauthorized');
      const write = await call('PUT', '/accounts/cus_jwt_bad/contract', { bearer, body: { endDate: day(100), noticeDays: 30, renewal: 'fixed' } });
      expect(write.status, what).toBe(401);
    }
    expect((await allItems(watcher.store)).length).toBe(before);
  });

  it('a valid token with no Termwatch group is 403, writing nothing', async () => {
    const before = (await allItems(watcher.store)).length;
    for (const groups of [undefined, [], ['finance-team']]) {
      const bearer = await issuer.sign({ sub: 'u-1', email: 'nogroup@example.com', ...(groups ? { 'cognito:groups': groups } : {}) });
      const answer = await call('PUT', '/accounts/cus_nogroup/contract', { bearer, body: { endDate: day(100), noticeDays: 30, renewal: 'fixed' } });
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('forbidden');
    }
    expect((await allItems(watcher.store)).length).toBe(before);
  });
});

describe('four eyes on terminations', () => {
  it('a termination waits for a second person; the requester cannot approve it; another approver decides it', async () => {
    const task = await openReview('cus_four_eyes');
    const asked = await call('POST', `/tasks/${task.id}/decision`, { as: 'bo@example.com', body: { decision: 'terminate', note: 'abuse and late payment' } });
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({
      status: 'pending_approval',
      approval: { requestedBy: 'bo@example.com', note: 'abuse and late payment' },
      decisions: [],
    });
    expect((await call('GET', '/tasks?status=pending_approval')).body.items.map((t: { id: string }) => t.id)).toContain(task.id);

    const before = (await allItems(watcher.store)).length;
    const own = await call('POST', `/tasks/${task.id}/approval`, { as: 'bo@example.com', body: { approve: true, note: 'I agree with myself' } });
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('forbidden');
    expect((await allItems(watcher.store)).length).toBe(before);
    expect((await call('GET', `/tasks/${task.id}`)).body.status).toBe('pending_approval');
    // Another decision waits for the answer.
    expect((await call('POST', `/tasks/${task.id}/decision`, { as: 'ana@example.com', body: { decision: 'retain', note: 'x' } })).status).toBe(409);

    const approved = await call('POST', `/tasks/${task.id}/approval`, { as: 'cy@example.com', body: { approve: true, note: 'confirmed with the CFO' } });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('decided');
    expect(approved.body.decisions.at(-1)).toMatchObject({
      decision: 'terminate',
      by: 'bo@example.com',
      approvedBy: 'cy@example.com',
      note: 'abuse and late payment',
      approvalNote: 'confirmed with the CFO',
    });
    const audit = (await call('GET', '/accounts/cus_four_eyes/audit?limit=200')).body.items as Array<{ action: string; by: string; at: string }>;
    expect(audit.filter((a) => a.action.startsWith('task.termination')).map((a) => [a.action, a.by])).toEqual([
      ['task.termination.requested', 'bo@example.com'],
      ['task.termination.approved', 'cy@example.com'],
    ]);
  });

  it('a rejection opens the task again and is kept in its history and the audit trail', async () => {
    const task = await openReview('cus_rejected');
    await call('POST', `/tasks/${task.id}/decision`, { as: 'ana@example.com', body: { decision: 'terminate', note: 'please end it' } });
    const rejected = await call('POST', `/tasks/${task.id}/approval`, { as: 'bo@example.com', body: { approve: false, note: 'one more month' } });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'open', decisions: [] });
    expect(rejected.body.history.at(-1).note).toContain('rejected by bo@example.com: one more month');
    const audit = (await call('GET', '/accounts/cus_rejected/audit?limit=200')).body.items as Array<{ action: string; by: string }>;
    expect(audit.find((a) => a.action === 'task.termination.rejected')?.by).toBe('bo@example.com');
    // Retain takes one person.
    expect((await call('POST', `/tasks/${task.id}/decision`, { as: 'ana@example.com', body: { decision: 'retain', note: 'they paid' } })).body).toMatchObject({
      status: 'decided',
      decisions: [{ decision: 'retain', by: 'ana@example.com' }],
    });
  });

  it('two approvers racing: exactly one answer applies, the other is a 409', async () => {
    const task = await openReview('cus_race');
    await call('POST', `/tasks/${task.id}/decision`, { as: 'ana@example.com', body: { decision: 'terminate', note: 'n' } });
    const answers = await Promise.all([
      call('POST', `/tasks/${task.id}/approval`, { as: 'bo@example.com', body: { approve: true, note: 'yes' } }),
      call('POST', `/tasks/${task.id}/approval`, { as: 'cy@example.com', body: { approve: false, note: 'no' } }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const audit = (await call('GET', '/accounts/cus_race/audit?limit=200')).body.items as Array<{ action: string }>;
    expect(audit.filter((a) => a.action === 'task.termination.approved' || a.action === 'task.termination.rejected')).toHaveLength(1);
  });

  it('a request still pending when its notice deadline passes is reported overdue, not dropped', async () => {
    const task = await openReview('cus_overdue_request', 40);
    await call('POST', `/tasks/${task.id}/decision`, { as: 'ana@example.com', body: { decision: 'terminate', note: 'n' } });
    expect((await call('GET', `/tasks/${task.id}`)).body.overdue).toBeUndefined();
    clockAheadDays = 15;
    try {
      const read = (await call('GET', `/tasks/${task.id}`)).body;
      expect(read).toMatchObject({ status: 'pending_approval', overdue: true });
      const listed = (await call('GET', '/tasks?status=pending_approval')).body.items.find((t: { id: string }) => t.id === task.id);
      expect(listed.overdue).toBe(true);
    } finally {
      clockAheadDays = 0;
    }
  });
});

describe('owners', () => {
  it('a reviewer assigns a task; GET /tasks?assignee=me|<name> filters by it', async () => {
    const task = await openReview('cus_owned');
    const assigned = await call('POST', `/tasks/${task.id}/assignee`, { as: 'ana@example.com', body: { name: 'bo@example.com' } });
    expect(assigned.status).toBe(200);
    expect(assigned.body.assignee).toBe('bo@example.com');
    expect((await call('GET', '/tasks?assignee=me', { as: 'bo@example.com' })).body.items.map((t: { id: string }) => t.id)).toEqual([task.id]);
    expect((await call('GET', '/tasks?assignee=bo%40example.com&accountId=cus_owned')).body.items).toHaveLength(1);
    expect((await call('GET', '/tasks?assignee=me', { as: 'ana@example.com' })).body.items).toHaveLength(0);
    expect((await call('POST', `/tasks/${task.id}/assignee`, { as: 'ana@example.com', body: { name: '' } })).status).toBe(400);
  });

  it("a new review's owner comes from the account's override, else the policy default", async () => {
    await call('PUT', '/accounts/cus_owner_override/overrides', { as: 'ana@example.com', body: { policy: { owner: 'cy@example.com' } } });
    const task = await openReview('cus_owner_override');
    expect((await call('GET', `/tasks/${task.id}`)).body.assignee).toBe('cy@example.com');
    const other = await startTestWatcher({ policy: parsePolicy({ owners: { default: 'finance-lead@example.com' } }) });
    try {
      const headers = { authorization: `Bearer ${other.apiToken}`, 'content-type': 'application/json' };
      await fetch(`${other.url}/accounts/cus_default_owner/signals`, { method: 'POST', headers, body: JSON.stringify({ signal: 'abusive', note: 'x' }) });
      const tasks = (await (await fetch(`${other.url}/tasks?accountId=cus_default_owner`, { headers })).json()) as { items: Array<{ assignee?: string }> };
      expect(tasks.items.map((t) => t.assignee)).toEqual(['finance-lead@example.com']);
    } finally {
      await other.stop();
    }
  });
});

describe('the users file', () => {
  it('a malformed file stops start-up naming the entry and field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'termwatch-badusers-'));
    const file = join(dir, 'users.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'ok@example.com', role: 'viewer', tokenSha256: 'a'.repeat(64) },
        { name: 'bad@example.com', role: 'boss', tokenSha256: 'a'.repeat(64) },
      ]),
    );
    const error = await startTestWatcher({ env: { WATCHER_USERS: file } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsersFileError);
    expect((error as Error).message).toContain('entry 1 field role');
    writeFileSync(file, JSON.stringify([{ name: 'x', role: 'viewer', tokenSha256: 'not-hex' }]));
    expect(((await startTestWatcher({ env: { WATCHER_USERS: file } }).catch((e: unknown) => e)) as Error).message).toContain('entry 0 field tokenSha256');
  });
});
