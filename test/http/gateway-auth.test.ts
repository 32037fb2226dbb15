import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { gatewayAuthenticator, NoRoleError } from '../../shared/http/auth.ts';
import { checkIssuerUrl, groupsOf, OidcConfigError, oidcSettingsFromEnv } from '../../shared/http/auth/oidc.ts';

/** On AWS API Gateway has verified the caller; the function reads who it was from the authorizer context. */
const event = (authorizer?: Record<string, unknown>) =>
  ({ requestContext: { ...(authorizer ? { authorizer } : {}) }, headers: {} }) as unknown as APIGatewayProxyEventV2;

describe('gatewayAuthenticator', () => {
  const authenticate = gatewayAuthenticator();

  it('reads the JWT claims API Gateway passes on, groups as its "[a b]" string or an array', async () => {
    expect(await authenticate(event({ jwt: { claims: { sub: 's-1', email: 'ana@example.com', 'cognito:groups': '[viewer approver]' } } }))).toEqual({
      name: 'ana@example.com',
      role: 'approver',
    });
    expect(await authenticate(event({ jwt: { claims: { sub: 's-2', 'cognito:groups': ['reviewer'] } } }))).toEqual({ name: 's-2', role: 'reviewer' });
    const groups = gatewayAuthenticator({ groupsClaim: 'groups' });
    expect(await groups(event({ jwt: { claims: { sub: 's-3', groups: 'admin' } } }))).toEqual({ name: 's-3', role: 'admin' });
  });

  it('a JWT with no Termwatch group is refused as forbidden, no authorizer context as unauthenticated', async () => {
    await expect(authenticate(event({ jwt: { claims: { sub: 's-1', 'cognito:groups': '[finance]' } } }))).rejects.toBeInstanceOf(NoRoleError);
    expect(await authenticate(event())).toBeUndefined();
    expect(await authenticate(event({ lambda: {} }))).toBeUndefined();
  });

  it('an IAM caller (a role allowed execute-api:Invoke) is an admin named by its ARN', async () => {
    expect(await authenticate(event({ iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/ops/jo' } }))).toEqual({
      name: 'arn:aws:sts::123456789012:assumed-role/ops/jo',
      role: 'admin',
    });
  });
});

describe('OIDC settings', () => {
  it('takes https issuers, and http only on loopback', () => {
    expect(checkIssuerUrl('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc').protocol).toBe('https:');
    expect(checkIssuerUrl('http://127.0.0.1:9000').hostname).toBe('127.0.0.1');
    expect(checkIssuerUrl('http://localhost:9000').hostname).toBe('localhost');
    expect(() => checkIssuerUrl('http://issuer.example.com')).toThrow(OidcConfigError);
    expect(() => checkIssuerUrl('not a url')).toThrow(OidcConfigError);
  });

  it('needs an audience with an issuer, and defaults the groups claim', () => {
    expect(oidcSettingsFromEnv({})).toBeUndefined();
    expect(() => oidcSettingsFromEnv({ WATCHER_OIDC_ISSUER: 'https://id.example.com' })).toThrow(/WATCHER_OIDC_AUDIENCE/);
    expect(oidcSettingsFromEnv({ WATCHER_OIDC_ISSUER: 'https://id.example.com', WATCHER_OIDC_AUDIENCE: 'app' })).toEqual({
      issuer: 'https://id.example.com',
      audience: 'app',
      groupsClaim: 'cognito:groups',
    });
  });

  it('reads groups from arrays and API Gateway strings, ignoring anything else', () => {
    expect(groupsOf(['a', 1, 'b'])).toEqual(['a', 'b']);
    expect(groupsOf('[a b,c]')).toEqual(['a', 'b', 'c']);
    expect(groupsOf(undefined)).toEqual([]);
  });
});
