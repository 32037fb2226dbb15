import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../shared/http/routes.ts';
import { handledEventTypes } from '../../shared/stripe/events.ts';
import { buildAndSynth, logicalId, unacknowledgedNagFindings, type BuiltApp } from './support.ts';

/**
 * Every optional setting switched on, given as strings the way `cdk synth -c key=value` passes
 * them: JWT authorization, e-mail subscriptions, Stripe's EventBridge destination, a policy with
 * its own time zone and sweep time, custom throttling and log retention, a fixed environment.
 */
const policy = { timeZone: 'Europe/Madrid', sweepAt: '07:30', graceDays: 5 };
const context = {
  stage: 'prod',
  account: '123456789012',
  region: 'eu-west-1',
  auth: 'jwt',
  jwtIssuer: 'https://auth.example.com/',
  jwtAudience: 'termwatch-api,termwatch-cli',
  jwtGroupsClaim: 'groups',
  notifyEmails: 'ops@example.com, finance@example.com',
  stripeEventBridge: 'true',
  stripePartnerEventSource: 'aws.partner/stripe.com/ed_test_61Abc',
  policy: JSON.stringify(policy),
  throttleRate: '20',
  throttleBurst: '40',
  logLevel: 'DEBUG',
  logRetentionDays: '90',
};

let built: BuiltApp;
beforeAll(() => {
  built = buildAndSynth(context);
}, 180_000);

describe('app with every option', () => {
  it('names the stacks, bus and secrets after the stage and pins the environment', () => {
    expect(built.stateful.stackName).toBe('Termwatch-prod-Stateful');
    expect(built.stateless.stackName).toBe('Termwatch-prod-Stateless');
    expect(built.stateless.account).toBe('123456789012');
    expect(built.stateless.region).toBe('eu-west-1');
    built.statefulTemplate.hasResourceProperties('AWS::Events::EventBus', { Name: 'termwatch-prod' });
    built.statefulTemplate.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'termwatch/prod/stripe-webhook-secret' });
  });

  it('puts finance routes behind the JWT authorizer and the others behind none', () => {
    const t = built.statelessTemplate;
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: 'https://auth.example.com/', Audience: ['termwatch-api', 'termwatch-cli'] },
    });
    const authorizerId = Object.keys(t.findResources('AWS::ApiGatewayV2::Authorizer'))[0]!;
    const byKey = new Map(Object.values(t.findResources('AWS::ApiGatewayV2::Route')).map((r: any) => [r.Properties.RouteKey as string, r.Properties]));
    const deployed = routes.filter((r) => !('localOnly' in r && r.localOnly));
    expect(byKey.size).toBe(deployed.length);
    for (const spec of deployed) {
      const route = byKey.get(`${spec.method} ${spec.path}`);
      if (spec.auth === 'finance') {
        expect(route).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
      } else {
        expect(route?.AuthorizationType).toBe('NONE');
        expect(route?.AuthorizerId).toBeUndefined();
      }
    }
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AUTH_MODE: 'jwt', WATCHER_OIDC_GROUPS_CLAIM: 'groups', POWERTOOLS_SERVICE_NAME: 'termwatch-api' }) },
    });
  });

  it('hosts the dashboard for the named issuer: its origin in connect-src, no user pool, the DashboardUrl output', () => {
    const t = built.statelessTemplate;
    t.resourceCountIs('AWS::Cognito::UserPool', 0);
    t.resourceCountIs('AWS::CloudFront::Distribution', 1);
    const policy = Object.values(t.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as { Properties: any };
    expect(policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy).toContain(
      "connect-src 'self' https://auth.example.com;",
    );
    expect(t.findOutputs('DashboardUrl').DashboardUrl).toBeDefined();
  });

  it('gives every function the policy exactly as given, and the log level', () => {
    // The four functions (CDK's dashboard deployment handler carries no policy).
    const lambdas = (Object.values(built.statelessTemplate.findResources('AWS::Lambda::Function')) as { Properties: any }[]).filter(
      (l) => l.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    );
    expect(lambdas).toHaveLength(4);
    for (const { Properties: p } of lambdas) {
      expect(JSON.parse(p.Environment.Variables.WATCHER_POLICY_JSON)).toEqual(policy);
      expect(p.Environment.Variables.POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
    }
    for (const logGroup of Object.values(built.statelessTemplate.findResources('AWS::Logs::LogGroup')) as { Properties: any }[]) {
      expect(logGroup.Properties.RetentionInDays).toBe(90);
    }
  });

  it("runs the sweep hourly at the minute of the policy's sweepAt, in the policy's time zone", () => {
    built.statelessTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 * * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Madrid',
    });
  });

  it('throttles the stage as configured', () => {
    built.statelessTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
  });

  it('subscribes each e-mail address with a dead-letter queue for undeliverable notifications', () => {
    const t = built.statefulTemplate;
    // The finance topic's subscriptions (the alarm topic has its own, tested in production.test.ts).
    const subscriptions = (Object.values(t.findResources('AWS::SNS::Subscription')) as { Properties: any }[]).filter(
      (s) => s.Properties.TopicArn.Ref === logicalId(built.stateful.notifyTopic),
    );
    expect(subscriptions.map((s) => s.Properties.Endpoint).sort()).toEqual(['finance@example.com', 'ops@example.com']);
    const dlq = Object.keys(t.findResources('AWS::SQS::Queue')).find((id) => id.startsWith('NotifyDeadLetters'))!;
    for (const s of subscriptions) {
      expect(s.Properties.Protocol).toBe('email');
      expect(s.Properties.TopicArn).toEqual({ Ref: logicalId(built.stateful.notifyTopic) });
      expect(s.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] } });
    }
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      // Issue 24: undeliverable finance e-mail pages operations (the alarm topic), not finance.
      AlarmActions: [{ Ref: logicalId(built.stateful.alarmTopic) }],
      OKActions: [{ Ref: logicalId(built.stateful.alarmTopic) }],
    });
  });

  it("routes Stripe's EventBridge events of handled types into the ingest queue, dead-lettered", () => {
    const t = built.statelessTemplate;
    t.hasResourceProperties('AWS::Events::EventBus', {
      Name: 'aws.partner/stripe.com/ed_test_61Abc',
      EventSourceName: 'aws.partner/stripe.com/ed_test_61Abc',
    });
    const rule = Object.values(t.findResources('AWS::Events::Rule'))[0] as { Properties: any };
    expect(rule.Properties.EventPattern.source).toEqual([{ prefix: 'aws.partner/stripe.com' }]);
    expect([...rule.Properties.EventPattern['detail-type']].sort()).toEqual([...handledEventTypes].sort());
    expect(rule.Properties.Targets).toHaveLength(1);
    const target = rule.Properties.Targets[0];
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(built.stateless.ingestQueue), 'Arn'] });
    // Only the Stripe event itself, the same shape the webhook queues.
    expect(target.InputPath).toBe('$.detail');
    expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][1]).toBe('Arn');
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
  });

  it('stays free of unacknowledged cdk-nag findings', () => {
    expect(unacknowledgedNagFindings(built.app)).toEqual([]);
  });
});
