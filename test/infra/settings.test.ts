import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build.ts';
import { DeployContextError, readDeploySettings } from '../../infra/settings.ts';

const read = (context: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => readDeploySettings((key) => context[key], env);

describe('readDeploySettings', () => {
  it('documents its defaults by returning them for an empty context', () => {
    const s = read({});
    expect(s).toMatchObject({
      stage: 'dev',
      account: undefined,
      region: undefined,
      policyInput: {},
      // Issue 20: Cognito by default, its callback the dashboard's CloudFront URL (made by the stack).
      auth: { mode: 'cognito', mfa: 'required', domainPrefix: 'termwatch-dev', callbackUrls: undefined },
      dashboard: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      sweep: { at: '06:00', timeZone: 'UTC' },
      notifyEmails: [],
      stripePartnerEventSource: undefined,
      logLevel: 'INFO',
      logRetentionDays: 30,
    });
    expect(s.policy.graceDays).toBe(3);
  });

  it('falls back to the CLI environment for account and region', () => {
    const s = read({}, { CDK_DEFAULT_ACCOUNT: '111122223333', CDK_DEFAULT_REGION: 'us-east-1' });
    expect(s.account).toBe('111122223333');
    expect(s.region).toBe('us-east-1');
    expect(read({ account: '444455556666' }, { CDK_DEFAULT_ACCOUNT: '111122223333' }).account).toBe('444455556666');
  });

  it('accepts -c strings and cdk.json JSON types alike', () => {
    const fromCli = read({
      throttleRate: '10',
      throttleBurst: '20',
      notifyEmails: 'a@example.com,b@example.com',
      stripeEventBridge: 'false',
      policy: '{"graceDays":7}',
      logRetentionDays: '14',
    });
    const fromJson = read({
      throttleRate: 10,
      throttleBurst: 20,
      notifyEmails: ['a@example.com', 'b@example.com'],
      stripeEventBridge: false,
      policy: { graceDays: 7 },
      logRetentionDays: 14,
    });
    expect(fromCli).toEqual(fromJson);
    expect(fromCli.policy.graceDays).toBe(7);
    expect(read({ notifyEmails: '["c@example.com"]' }).notifyEmails).toEqual(['c@example.com']);
  });

  it('takes the sweep time and zone from the policy, or from context keys that agree with it', () => {
    expect(read({ policy: { timeZone: 'America/New_York', sweepAt: '05:15' } }).sweep).toEqual({
      at: '05:15',
      timeZone: 'America/New_York',
    });
    expect(read({ sweepAt: '23:59', timeZone: 'Asia/Tokyo' }).sweep).toEqual({ at: '23:59', timeZone: 'Asia/Tokyo' });
    expect(read({ timeZone: 'Asia/Tokyo', policy: { timeZone: 'Asia/Tokyo' } }).sweep.timeZone).toBe('Asia/Tokyo');
    expect(() => read({ timeZone: 'Asia/Tokyo', policy: { timeZone: 'Europe/Madrid' } })).toThrow(/timeZone.*disagrees/);
    expect(() => read({ sweepAt: '07:00', policy: { sweepAt: '06:00' } })).toThrow(/sweepAt.*disagrees/);
  });

  it.each([
    [{ stage: 'Prod!' }, /stage/],
    [{ account: '12345' }, /account/],
    [{ auth: 'oidc' }, /auth/],
    [{ auth: 'iam', jwtIssuer: 'https://issuer.example.com/' }, /jwtIssuer: is only read when auth is "jwt" \(auth is "iam"\)/],
    [{ jwtAudience: 'termwatch' }, /jwtAudience: is only read when auth is "jwt" \(auth is "cognito"\)/],
    [
      { auth: 'jwt', jwtIssuer: 'https://issuer.example.com/', jwtAudience: 'x', dashboardCallbackUrls: 'https://x.example.com/app/' },
      /dashboardCallbackUrls: is only read when auth is "cognito"/,
    ],
    [{ dashboardCallbackUrls: 'http://evil.example.com/app/' }, /dashboardCallbackUrls\.0: must be https/],
    [{ dashboardDomainName: 'termwatch.example.com' }, /dashboardCertificateArn: is required with the other/],
    [
      {
        dashboardDomainName: 'termwatch.example.com',
        dashboardCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012',
      },
      /dashboardCertificateArn: must be an ACM certificate ARN in us-east-1/,
    ],
    [{ auth: 'iam', dashboardWebAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/t/1' }, /dashboardWebAclArn: is only read with a dashboard/],
    [{ dashboardWebAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/t/1' }, /dashboardWebAclArn: must be a CLOUDFRONT-scope/],
    [{ throttleRate: '-1' }, /throttleRate/],
    [{ sweepAt: '6am' }, /sweepAt: must be HH:MM/],
    [{ timeZone: 'Mars/Olympus' }, /timeZone: must be an IANA time zone/],
    [{ notifyEmails: 'not-an-email' }, /notifyEmails/],
    [{ logRetentionDays: '42' }, /logRetentionDays/],
    [{ policy: '{not json' }, /policy/],
    [{ policy: { graceDays: -1 } }, /graceDays/],
    [{ policy: { unknownKey: 1 } }, /policy/],
    [{ stripeEventBridge: 'true' }, /stripePartnerEventSource: is required/],
    [{ stripeEventBridge: 'true', stripePartnerEventSource: 'stripe' }, /stripePartnerEventSource/],
  ])('refuses %j, naming the key', (context, message) => {
    expect(() => read(context)).toThrow(DeployContextError);
    expect(() => read(context)).toThrow(message);
  });

  it("refuses a policy too large for Lambda's environment", () => {
    const costs = Array.from({ length: 60 }, (_, i) => ({ accountId: `cus_${'x'.repeat(20)}${i}`, amount: 1000, currency: 'usd' }));
    expect(() => read({ policy: { profitability: { fixedMonthlyCosts: costs } } })).toThrow(/bytes as JSON/);
    expect(read({ policy: { profitability: { fixedMonthlyCosts: costs.slice(0, 5) } } }).policy.profitability.fixedMonthlyCosts).toHaveLength(5);
  });

  it('requires issuer and audience in JWT mode, and an https issuer', () => {
    expect(() => read({ auth: 'jwt' })).toThrow(/jwtIssuer: is required.*jwtAudience: is required/);
    expect(() => read({ auth: 'jwt', jwtIssuer: 'http://insecure.example.com', jwtAudience: 'x' })).toThrow(/jwtIssuer/);
    expect(read({ auth: 'jwt', jwtIssuer: 'https://issuer.example.com/', jwtAudience: 'a, b' }).auth).toEqual({
      mode: 'jwt',
      issuer: 'https://issuer.example.com/',
      audience: ['a', 'b'],
    });
  });

  it('names another issuer by context alone: jwtIssuer and jwtAudience without auth mean auth=jwt', () => {
    const s = read({ jwtIssuer: 'https://login.example.com/tenant/', jwtAudience: 'termwatch' });
    expect(s.auth).toEqual({ mode: 'jwt', issuer: 'https://login.example.com/tenant/', audience: ['termwatch'] });
    expect(s.dashboard).toBe(true);
    expect(() => read({ jwtIssuer: 'https://login.example.com/' })).toThrow(/jwtAudience: is required/);
    expect(read({ jwtIssuer: 'https://login.example.com/', jwtAudience: 'termwatch', jwtGroupsClaim: 'groups' }).auth).toMatchObject({ groupsClaim: 'groups' });
    expect(() => read({ jwtGroupsClaim: 'groups' })).toThrow(/jwtGroupsClaim: is only read when auth is "jwt"/);
  });

  it('keeps the SigV4-only mode of before under auth=iam, without a dashboard (a browser cannot sign)', () => {
    expect(read({ auth: 'iam' })).toMatchObject({ auth: { mode: 'iam' }, dashboard: false });
  });

  it('takes the Cognito callback URLs from context when given, in place of the CloudFront one', () => {
    expect(read({ dashboardCallbackUrls: 'https://termwatch.example.com/app/,http://localhost:3000/app/' }).auth).toMatchObject({
      mode: 'cognito',
      callbackUrls: ['https://termwatch.example.com/app/', 'http://localhost:3000/app/'],
    });
    expect(read({ mfa: 'optional', cognitoDomainPrefix: 'acme-termwatch' }).auth).toMatchObject({ mfa: 'optional', domainPrefix: 'acme-termwatch' });
  });
});

describe('buildApp', () => {
  it('fails synth with a clear error before building anything when JWT mode lacks its settings', () => {
    expect(() => buildApp({ context: { auth: 'jwt', jwtAudience: 'termwatch' } })).toThrow(
      new DeployContextError('CDK context is invalid: jwtIssuer: is required when auth is "jwt" (e.g. -c jwtIssuer=https://issuer.example.com/)'),
    );
  });
});
