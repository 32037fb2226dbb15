/**
 * Every HTTP route the product serves, as data. The API function's router, the OpenAPI
 * document and the CDK stack (one API Gateway route each, with its own authorization) all
 * read this list, so a route cannot exist in one place and be missing in another.
 */
export type RouteAuth =
  /** No credentials: health and the OpenAPI document. */
  | 'public'
  /** The Stripe signature over the raw body is the check. */
  | 'stripe-signature'
  /** Bearer token locally; IAM or JWT on AWS. */
  | 'finance'
  /** No header: a calendar feed's secret is in its URL (no authorizer on AWS, a throttle of its own). */
  | 'feed-secret';

import type { Role } from './auth/roles.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway style path, parameters in braces: `/accounts/{accountId}`. */
  readonly path: string;
  readonly auth: RouteAuth;
  /** For finance routes: the least role allowed (checked once, by the router, before the handler). */
  readonly role?: Role;
  /** Which Lambda function serves it on AWS. */
  readonly fn: 'api' | 'webhook';
  /** Served by the local runner only (never deployed), e.g. the manual sweep trigger. */
  readonly localOnly?: boolean;
  readonly summary: string;
}

export const routes = [
  { method: 'GET', path: '/health', auth: 'public', fn: 'api', summary: 'Store reachability check' },
  { method: 'GET', path: '/openapi.json', auth: 'public', fn: 'api', summary: 'OpenAPI 3.1 document of every route, generated from the validating schemas' },
  { method: 'POST', path: '/webhooks/stripe', auth: 'stripe-signature', fn: 'webhook', summary: 'Stripe events in' },
  { method: 'GET', path: '/accounts', auth: 'finance', role: 'viewer', fn: 'api', summary: 'Accounts carrying a flag' },
  { method: 'GET', path: '/accounts/{accountId}', auth: 'finance', role: 'viewer', fn: 'api', summary: 'One account with its late-payment profile' },
  {
    method: 'PUT',
    path: '/accounts/{accountId}/contract',
    auth: 'finance',
    role: 'reviewer',
    fn: 'api',
    summary: 'Record or replace the contract (creates the account if new)',
  },
  {
    method: 'POST',
    path: '/accounts/{accountId}/costs',
    auth: 'finance',
    role: 'reviewer',
    fn: 'api',
    summary: 'Record a cost-to-serve entry (idempotencyKey makes retries safe)',
  },
  { method: 'GET', path: '/accounts/{accountId}/costs', auth: 'finance', role: 'viewer', fn: 'api', summary: "An account's cost-to-serve entries" },
  { method: 'POST', path: '/costs/import', auth: 'finance', role: 'reviewer', fn: 'api', summary: 'Import cost entries from CSV (text/csv); per-row errors' },
  {
    method: 'POST',
    path: '/accounts/{accountId}/signals',
    auth: 'finance',
    role: 'reviewer',
    fn: 'api',
    summary: 'Record a human signal (abusive, scope_mismatch, communication, other)',
  },
  {
    method: 'GET',
    path: '/accounts/{accountId}/overrides',
    auth: 'finance',
    role: 'viewer',
    fn: 'api',
    summary: "The account's exclusions, invoice holds and policy overrides",
  },
  {
    method: 'PUT',
    path: '/accounts/{accountId}/overrides',
    auth: 'finance',
    role: 'reviewer',
    fn: 'api',
    summary: "Replace the account's exclusions, invoice holds and policy overrides",
  },
  {
    method: 'GET',
    path: '/accounts/{accountId}/audit',
    auth: 'finance',
    role: 'viewer',
    fn: 'api',
    summary: 'Audit trail: every change to contracts, costs, signals, overrides and tasks',
  },
  {
    method: 'POST',
    path: '/tasks/{taskId}/decision',
    auth: 'finance',
    role: 'reviewer',
    fn: 'api',
    summary: 'Record a decision (retain, renegotiate, terminate), appended to the history',
  },
  {
    method: 'POST',
    path: '/tasks/{taskId}/checklist',
    auth: 'finance',
    role: 'reviewer',
    fn: 'api',
    summary: "Tick or untick one step of a review's checklist (1-based step)",
  },
  { method: 'POST', path: '/contracts/import', auth: 'finance', role: 'reviewer', fn: 'api', summary: 'Import contracts from CSV (text/csv); per-row errors' },
  {
    method: 'POST',
    path: '/tasks/{taskId}/approval',
    auth: 'finance',
    role: 'approver',
    fn: 'api',
    summary: "Approve or reject another person's request to terminate (four eyes)",
  },
  { method: 'POST', path: '/tasks/{taskId}/assignee', auth: 'finance', role: 'reviewer', fn: 'api', summary: "Set a task's owner" },
  { method: 'GET', path: '/me', auth: 'finance', role: 'viewer', fn: 'api', summary: 'Who the credentials belong to: name and role' },
  { method: 'GET', path: '/tasks', auth: 'finance', role: 'viewer', fn: 'api', summary: 'Review tasks (JSON, or CSV with format=csv)' },
  { method: 'GET', path: '/tasks/{taskId}', auth: 'finance', role: 'viewer', fn: 'api', summary: 'One task with evidence, checklist and decision history' },
  { method: 'GET', path: '/renewals', auth: 'finance', role: 'viewer', fn: 'api', summary: 'Contracts whose notice deadline falls in the window' },
  { method: 'GET', path: '/notifications', auth: 'finance', role: 'viewer', fn: 'api', summary: 'Notifications recorded (renewal reminders, reviews opened)' },
  {
    method: 'GET',
    path: '/policy',
    auth: 'finance',
    role: 'admin',
    fn: 'api',
    summary: 'The policy in force (thresholds only, no secrets) and the built-in defaults',
  },
  {
    method: 'POST',
    path: '/policy/preview',
    auth: 'finance',
    role: 'approver',
    fn: 'api',
    summary: 'Who would be flagged or cleared, and which reviews would open, under a proposed policy; writes nothing',
  },
  {
    method: 'POST',
    path: '/calendar-feeds',
    auth: 'finance',
    role: 'reviewer',
    fn: 'api',
    summary: 'Create a calendar feed; the answer carries its secret URL, once',
  },
  { method: 'GET', path: '/calendar-feeds', auth: 'finance', role: 'viewer', fn: 'api', summary: 'Calendar feeds, without their secrets' },
  {
    method: 'DELETE',
    path: '/calendar-feeds/{feedId}',
    auth: 'finance',
    role: 'reviewer',
    fn: 'api',
    summary: 'Revoke a calendar feed: its URL answers 404 from then on',
  },
  {
    method: 'GET',
    path: '/calendar/{feedFile}',
    auth: 'feed-secret',
    fn: 'api',
    summary: 'A calendar feed (RFC 5545): notice deadlines and review due dates; the secret in the URL is the credential',
  },
  {
    method: 'GET',
    path: '/deliveries/dead-letters',
    auth: 'finance',
    role: 'admin',
    fn: 'api',
    summary: 'Slack messages and email digests given up on after their retries',
  },
  {
    method: 'POST',
    path: '/deliveries/dead-letters/resend',
    auth: 'finance',
    role: 'admin',
    fn: 'api',
    summary: 'Send a dead-lettered Slack message again (the next sweep sends it, to Slack alone)',
  },
  { method: 'POST', path: '/admin/sweep', auth: 'finance', role: 'admin', fn: 'api', localOnly: true, summary: 'Run the sweep now (local mode only)' },
  {
    method: 'GET',
    path: '/admin/dead-letters',
    auth: 'finance',
    role: 'admin',
    fn: 'api',
    localOnly: true,
    summary: 'Events the local queue dead-lettered after repeated processing failures (local mode only)',
  },
  {
    method: 'POST',
    path: '/admin/dead-letters/redrive',
    auth: 'finance',
    role: 'admin',
    fn: 'api',
    localOnly: true,
    summary: 'Put every dead-lettered event back on the local queue (local mode only)',
  },
] as const satisfies readonly RouteSpec[];
