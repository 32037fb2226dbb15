import { beforeAll, describe, expect, it } from 'vitest';
import { buildAndSynth, actionsOf, functionStatements, logicalId, policyStatements, resourcesOf, unacknowledgedNagFindings, type BuiltApp } from './support.ts';

/** Delivery to people on AWS: SES v2 identity and least-privilege sending, the Slack secret, the feed route. */
const context = {
  // The SigV4 mode its route assertions were written for (the default is now Cognito: dashboard.test.ts).
  auth: 'iam',
  region: 'eu-west-1',
  account: '123456789012',
  mailFrom: 'termwatch@mail.example.com',
  mailIdentity: 'mail.example.com',
  mailTo: 'finance@example.com,cfo@example.com',
  publicUrl: 'https://termwatch.example.com/',
  slack: 'true',
};

let built: BuiltApp;
beforeAll(() => {
  built = buildAndSynth(context);
}, 180_000);

describe('delivery on AWS', () => {
  it('makes the SES identity from context (retained) and the Slack secret, with outputs to find them', () => {
    const t = built.statefulTemplate;
    t.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'mail.example.com' });
    t.hasResource('AWS::SES::EmailIdentity', { DeletionPolicy: 'Retain' });
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'termwatch/dev/slack-webhook-url' });
    expect(Object.keys(t.toJSON().Outputs)).toEqual(expect.arrayContaining(['SlackWebhookSecretId', 'MailIdentityName']));
  });

  it('gives the sweep ses:SendEmail on that identity only, from that address only; nothing else may send', () => {
    const sweepId = logicalId(built.stateless.sweepFunction);
    const statements = functionStatements(built.statelessTemplate, sweepId);
    const ses = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')));
    expect(ses).toHaveLength(1);
    expect(actionsOf(ses[0]!)).toEqual(['ses:SendEmail']);
    expect(JSON.stringify(resourcesOf(ses[0]!))).toContain('MailIdentity');
    expect(JSON.stringify(resourcesOf(ses[0]!))).not.toContain('*');
    expect((ses[0] as unknown as { Condition: unknown }).Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'termwatch@mail.example.com' } });
    const everyoneElse = policyStatements(built.statelessTemplate).filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')));
    expect(everyoneElse).toHaveLength(1);
    // The Slack secret: read by the sweep only.
    const secretReaders = statements.filter(
      (s) => actionsOf(s).includes('secretsmanager:GetSecretValue') && JSON.stringify(resourcesOf(s)).includes('SlackWebhookSecret'),
    );
    expect(secretReaders).toHaveLength(1);
  });

  it('configures the sweep with the addresses, the dashboard URL and the secret id, never the secret', () => {
    const sweep = built.statelessTemplate.toJSON().Resources[logicalId(built.stateless.sweepFunction)].Properties.Environment.Variables;
    expect(sweep).toMatchObject({
      WATCHER_MAIL_FROM: 'termwatch@mail.example.com',
      WATCHER_MAIL_TO: 'finance@example.com,cfo@example.com',
      WATCHER_PUBLIC_URL: 'https://termwatch.example.com',
    });
    expect(JSON.stringify(sweep.SLACK_WEBHOOK_SECRET_ID)).toContain('SlackWebhookSecret');
    expect(sweep.WATCHER_SMTP_URL).toBeUndefined();
  });

  it('serves the calendar feed without an authorizer and with its own throttle; the feed list and create need credentials', () => {
    const t = built.statelessTemplate.toJSON();
    const routes = Object.values(t.Resources as Record<string, { Type: string; Properties: { RouteKey: string; AuthorizationType?: string } }>).filter(
      (r) => r.Type === 'AWS::ApiGatewayV2::Route',
    );
    const byKey = new Map(routes.map((r) => [r.Properties.RouteKey, r.Properties]));
    expect(byKey.get('GET /calendar/{feedFile}')?.AuthorizationType ?? 'NONE').toBe('NONE');
    expect(byKey.get('POST /calendar-feeds')?.AuthorizationType).toBe('AWS_IAM');
    expect(byKey.get('GET /calendar-feeds')?.AuthorizationType).toBe('AWS_IAM');
    expect(byKey.get('DELETE /calendar-feeds/{feedId}')?.AuthorizationType).toBe('AWS_IAM');
    const stage = Object.values(t.Resources as Record<string, { Type: string; Properties: { RouteSettings?: Record<string, unknown> } }>).find(
      (r) => r.Type === 'AWS::ApiGatewayV2::Stage',
    )!;
    expect(stage.Properties.RouteSettings?.['GET /calendar/{feedFile}']).toEqual({
      ThrottlingRateLimit: 2,
      ThrottlingBurstLimit: 5,
      DetailedMetricsEnabled: true,
    });
  });

  it('stays cdk-nag clean', () => {
    expect(unacknowledgedNagFindings(built.stateful)).toEqual([]);
    expect(unacknowledgedNagFindings(built.stateless)).toEqual([]);
  });
});
