import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Identity } from '../../infra/constructs/identity.ts';
import { buildApp } from '../../infra/build.ts';
import { routes } from '../../shared/http/routes.ts';
import { acknowledgements, allNagFindings, buildAndSynth, logicalId, unacknowledgedNagFindings, type BuiltApp } from './support.ts';

/** auth=cognito: the stack makes the user pool people sign in to, and the API trusts it. */
const context = {
  stage: 'prod',
  region: 'eu-west-1',
  account: '123456789012',
  auth: 'cognito',
  dashboardCallbackUrls: 'https://termwatch.example.com/app/,http://localhost:3000/app/',
};

let built: BuiltApp;
beforeAll(() => {
  built = buildAndSynth(context);
}, 180_000);

describe('the Cognito identity (auth=cognito)', () => {
  it('makes a user pool with e-mail sign-in, admin-created people only, required TOTP MFA and a strong password policy', () => {
    const t = built.statelessTemplate;
    t.resourceCountIs('AWS::Cognito::UserPool', 1);
    t.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true }),
      },
      DeletionProtection: 'ACTIVE',
    });
    t.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
  });

  it('has one group per role, the hosted-UI domain and a public code-flow client with the dashboard callbacks', () => {
    const t = built.statelessTemplate;
    const groups = Object.values(t.findResources('AWS::Cognito::UserPoolGroup'))
      .map((g: any) => g.Properties.GroupName)
      .sort();
    expect(groups).toEqual(['admin', 'approver', 'reviewer', 'viewer']);
    t.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'termwatch-prod' });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid', 'email']),
      CallbackURLs: ['https://termwatch.example.com/app/', 'http://localhost:3000/app/'],
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it("puts every finance route behind a JWT authorizer trusting the pool's issuer and client", () => {
    const t = built.statelessTemplate;
    const identity = built.stateless.node.findChild('Identity') as Identity;
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: {
        Audience: [{ Ref: logicalId(identity.client) }],
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.amazonaws.com/', { Ref: logicalId(identity.userPool) }]] },
      },
    });
    const byKey = new Map(Object.values(t.findResources('AWS::ApiGatewayV2::Route')).map((r: any) => [r.Properties.RouteKey as string, r.Properties]));
    for (const spec of routes.filter((r) => !('localOnly' in r && r.localOnly))) {
      expect(byKey.get(`${spec.method} ${spec.path}`)?.AuthorizationType, `${spec.method} ${spec.path}`).toBe(spec.auth === 'finance' ? 'JWT' : 'NONE');
    }
    t.hasOutput('*', { Description: Match.stringLikeRegexp('WATCHER_OIDC_ISSUER') });
  });

  it('passes cdk-nag, each acknowledgement on the pool with a reason', () => {
    expect(unacknowledgedNagFindings(built.app)).toEqual([]);
    const onPool = acknowledgements(built.stateless).filter((a) => a.path.includes('/Identity/'));
    expect(onPool.map((a) => a.rule)).toEqual(['AwsSolutions-COG8']);
    for (const a of onPool) expect(a.reason.length).toBeGreaterThan(40);
  });
});

describe('Identity alone', () => {
  it('makes MFA optional when asked, acknowledged with the reason', () => {
    const app = new App();
    const stack = new Stack(app, 'IdentityOnly', { env: { region: 'eu-west-1', account: '123456789012' } });
    new Identity(stack, 'Identity', { mfa: 'optional', domainPrefix: 'termwatch-test', callbackUrls: ['https://x.example.com/app/'] });
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'OPTIONAL' });
    expect(unacknowledgedNagFindings(app)).toEqual([]);
    // Without the acknowledgements cdk-nag does flag both: they are reasoned, not missed.
    expect(allNagFindings(app).map((f) => f.rule)).toEqual(expect.arrayContaining(['AwsSolutions-COG2', 'AwsSolutions-COG8']));
    expect(
      acknowledgements(stack)
        .map((a) => a.rule)
        .sort(),
    ).toEqual(['AwsSolutions-COG2', 'AwsSolutions-COG8']);
  });

  it('refuses an http callback off localhost (without one, the callback is the CloudFront URL: dashboard.test.ts)', () => {
    expect(() => buildApp({ context: { auth: 'cognito', dashboardCallbackUrls: 'http://evil.example.com/app/' } })).toThrow(/dashboardCallbackUrls/);
  });
});
