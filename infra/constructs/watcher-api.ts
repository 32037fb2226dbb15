import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  type HttpStage,
  LogGroupLogDestination,
  type HttpRoute,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteAuth, RouteSpec } from '../../shared/http/routes.ts';
import type { DeploySettings } from '../settings.ts';

export interface WatcherApiProps {
  /** The shared route list; `localOnly` routes are left out. */
  readonly routes: readonly RouteSpec[];
  /** The function serving each `fn` named in the routes. */
  readonly functions: Readonly<Record<RouteSpec['fn'], IFunction>>;
  readonly auth: Exclude<DeploySettings['auth'], { mode: 'cognito' }>;
  /** The stage's default limit, for every route not given its own. */
  readonly throttle: DeploySettings['throttle'];
  /**
   * Limits of their own for the routes of one kind of authentication, so the anonymous ones (a flood
   * of `/health`) and the Stripe webhook cannot take each other's or the finance routes' capacity.
   * Routes of such a kind also get detailed (per-route) metrics, for their own latency alarms.
   */
  readonly routeThrottles?: Partial<Record<RouteAuth, DeploySettings['throttle']>>;
  readonly accessLogRetention: RetentionDays;
}

/** Why a route without an authorizer is acceptable, per kind of route (cdk-nag AwsSolutions-APIG4). */
const openRouteReasons: Record<Exclude<RouteAuth, 'finance'>, string> = {
  public: 'deliberately public, like the health check and the OpenAPI document: it returns no customer or finance data.',
  'stripe-signature':
    'Stripe cannot sign AWS requests or send tokens; the function verifies the Stripe-Signature HMAC over the raw body (webhook secret from Secrets Manager) and rejects anything else with 400 before storing.',
  'feed-secret':
    'calendar apps subscribe with a bare URL and cannot send a JWT or sign requests; the URL carries a 256-bit secret (only its SHA-256 is stored), any other answers 404, and the route has a throttle of its own.',
};

/**
 * The HTTP API: one API Gateway route per entry of the shared route list (no `$default` route, no
 * `{proxy+}`), so a request for anything not listed is answered 404 by API Gateway without invoking
 * a function. Finance routes need IAM (SigV4) or, with context `auth=jwt`, a JWT; the others
 * have no authorizer. The `$default` stage is throttled and writes JSON access logs.
 */
export class WatcherApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogGroup: LogGroup;
  /** Every deployed route, keyed `METHOD /path`. */
  readonly routesByKey: ReadonlyMap<string, HttpRoute>;

  constructor(scope: Construct, id: string, props: WatcherApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Termwatch: Stripe webhooks in, finance review API out',
      createDefaultStage: false,
    });

    const financeAuthorizer: IHttpRouteAuthorizer =
      props.auth.mode === 'jwt'
        ? new HttpJwtAuthorizer('JwtAuthorizer', props.auth.issuer, { jwtAudience: [...props.auth.audience] })
        : new HttpIamAuthorizer();
    const noAuthorizer = new HttpNoneAuthorizer();

    const integrations = new Map<RouteSpec['fn'], HttpLambdaIntegration>();
    const integrationFor = (fn: RouteSpec['fn']): HttpLambdaIntegration => {
      let integration = integrations.get(fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${fn}Integration`, props.functions[fn]);
        integrations.set(fn, integration);
      }
      return integration;
    };

    const routesByKey = new Map<string, HttpRoute>();
    for (const spec of props.routes) {
      if (spec.localOnly) continue;
      const key = `${spec.method} ${spec.path}`;
      if (routesByKey.has(key)) throw new Error(`route ${key} is listed twice in shared/http/routes.ts`);
      const [route] = this.api.addRoutes({
        path: spec.path,
        methods: [HttpMethod[spec.method]],
        integration: integrationFor(spec.fn),
        authorizer: spec.auth === 'finance' ? financeAuthorizer : noAuthorizer,
      });
      if (!route) throw new Error(`API Gateway route for ${key} was not created`);
      if (spec.auth !== 'finance') {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${key} (${spec.summary}): ${openRouteReasons[spec.auth]}`,
        });
      }
      routesByKey.set(key, route);
    }
    this.routesByKey = routesByKey;

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', { retention: props.accessLogRetention });
    this.stage = this.api.addStage('DefaultStage', {
      // `$default` so request paths reach the functions without a stage prefix.
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttle.rateLimit, burstLimit: props.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        // HTTP API context variables; no request bodies, headers or query strings (no secrets, no PII).
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            callerArn: '$context.identity.userArn',
            jwtSubject: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });

    // The L2 stage takes only the default limit; per-route settings are the CloudFormation property.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number; DetailedMetricsEnabled: boolean }> = {};
    for (const spec of props.routes) {
      const limit = props.routeThrottles?.[spec.auth];
      if (spec.localOnly || !limit) continue;
      routeSettings[`${spec.method} ${spec.path}`] = {
        ThrottlingRateLimit: limit.rateLimit,
        ThrottlingBurstLimit: limit.burstLimit,
        DetailedMetricsEnabled: true,
      };
    }
    if (Object.keys(routeSettings).length > 0) {
      (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;
    }
  }

  /** Base URL of the API, ending in `/`. */
  get url(): string {
    return this.stage.url;
  }
}
