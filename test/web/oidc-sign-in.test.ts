import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RunningWatcher } from '../../local/watcher.ts';
import { startTestWatcher } from '../support/watcher.ts';
import { startOidcProvider } from '../support/oidc-provider.ts';
import { axe, launchBrowser } from './browser.ts';

/**
 * Sign-in through a real OpenID Provider (oidc-provider on loopback) in a real Chromium: the
 * authorization-code flow with PKCE from the dashboard, the provider's login page, the code
 * traded at the token endpoint across origins, and the ID token verified by the API
 * (issuer, audience = the dashboard's client id, signature from the provider's JWKS).
 */
let issuer: Awaited<ReturnType<typeof startOidcProvider>>;
let watcher: RunningWatcher;
let browser: Browser;

const GROUPS: Record<string, string[]> = { 'olga@example.com': ['viewer', 'approver'], 'nogroup@example.com': ['marketing'] };

beforeAll(async () => {
  issuer = await startOidcProvider((login) => GROUPS[login] ?? []);
  watcher = await startTestWatcher({ env: { WATCHER_OIDC_ISSUER: issuer.issuer, WATCHER_OIDC_AUDIENCE: issuer.clientId } });
  issuer.register(`${watcher.url}/app/callback`);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await watcher?.stop();
  await issuer?.close();
});

async function throughTheIssuer(page: Page, login: string) {
  await page.getByRole('button', { name: `Sign in with ${new URL(issuer.issuer).host}` }).click();
  await page.getByPlaceholder('Enter any login').fill(login);
  await page.getByPlaceholder('and password').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

describe('sign-in through the issuer', { timeout: 90_000 }, () => {
  it('tells the shell about the issuer in /app/config.json and lets the page reach it under the CSP', async () => {
    const response = await fetch(`${watcher.url}/app/config.json`);
    expect(await response.json()).toEqual({ oidc: { issuer: issuer.issuer, clientId: issuer.clientId } });
    const csp = (await fetch(`${watcher.url}/app/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`connect-src 'self' ${issuer.issuer}`);
    expect(csp).not.toContain('unsafe-inline');
  });

  it('signs a person in with the code flow and PKCE, back on the page they asked for, with their role from the groups claim', async () => {
    const page = await (await browser.newContext()).newPage();
    const authorize: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(`${issuer.issuer}/auth`)) authorize.push(r.url());
    });
    await page.goto(`${watcher.url}/app/renewals`);
    // Both ways in: the issuer, and the token form (the owner's and people's tokens still work).
    await page.getByRole('textbox', { name: 'API token' }).waitFor();
    expect(await axe(page)).toEqual([]);
    await throughTheIssuer(page, 'olga@example.com');
    await page.getByRole('heading', { level: 1, name: 'Renewals' }).waitFor();
    await page.getByText('olga@example.com · approver').waitFor();
    expect(new URL(page.url()).pathname).toBe('/app/renewals');
    expect(page.url()).not.toContain('code=');
    const sent = new URL(authorize[0]!);
    expect(sent.searchParams.get('code_challenge_method')).toBe('S256');
    expect(sent.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sent.searchParams.get('client_id')).toBe(issuer.clientId);
    // The ID token is the bearer, kept in sessionStorage only; the API accepts it.
    const token = await page.evaluate<string | null>("sessionStorage.getItem('termwatch.token')");
    expect(token?.split('.')).toHaveLength(3);
    const me = await fetch(`${watcher.url}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toEqual({ name: 'olga@example.com', role: 'approver' });
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    // Sign-out drops the token and ends the session at the issuer (RP-initiated logout), so
    // the next sign-in asks for the login again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('textbox', { name: 'API token' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/app/');
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.getByRole('button', { name: `Sign in with ${new URL(issuer.issuer).host}` }).click();
    await page.getByPlaceholder('Enter any login').waitFor();
  });

  it('refuses a person the issuer knows but who is in no Termwatch group, and a callback this tab did not start', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${watcher.url}/app/`);
    await throughTheIssuer(page, 'nogroup@example.com');
    await page
      .getByRole('alert')
      .getByText(/no Termwatch group/)
      .waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.goto(`${watcher.url}/app/callback?code=forged&state=forged`);
    await page
      .getByRole('alert')
      .getByText(/not started in this tab/)
      .waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
  });
});
