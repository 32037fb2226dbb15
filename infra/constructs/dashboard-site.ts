import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { dashboardCsp } from '../../local/dashboard-site.ts';
import type { RouteSpec } from '../../shared/http/routes.ts';
import { buildDashboardSync } from '../../web/build.ts';

export interface DashboardSiteProps {
  /** The HTTP API: the distribution's second origin, so the dashboard's relative API calls stay same-origin. */
  readonly api: IHttpApi;
  /** The deployed routes; every one but the Stripe webhook is reachable through the distribution. */
  readonly routes: readonly RouteSpec[];
  /** Origins the browser must reach besides its own: the sign-in issuer's (token endpoint, JWKS). */
  readonly signInOrigins: readonly string[];
  /** Published as `/app/config.json` for the dashboard's code-flow sign-in (deploy-time values allowed). */
  readonly signInConfig: Record<string, unknown>;
  readonly logRetention: RetentionDays;
  /** Its own host name and us-east-1 certificate: viewers then need TLS 1.2 (TLSv1.2_2021). */
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  /** A CLOUDFRONT-scope WAF web ACL (us-east-1). */
  readonly webAclArn?: string;
}

/** Where the bundle lives in the bucket and on the distribution: the same `/app/` as `npm start`. */
const dashboardPrefix = 'app';

/**
 * CloudFront path patterns that go to the API: one per first path segment of the routes the
 * dashboard may call (`/accounts*` covers `/accounts` and `/accounts/{id}/...`). The webhook stays
 * on the API's own URL only: Stripe posts there and its per-route throttle is the API stage's.
 */
export function apiPathPatterns(routes: readonly RouteSpec[]): string[] {
  const segments = new Set<string>();
  for (const route of routes) {
    if (route.localOnly || route.auth === 'stripe-signature') continue;
    const segment = route.path.split('/')[1];
    if (!segment || segment.includes('{')) throw new Error(`route ${route.method} ${route.path} has no fixed first segment to route on`);
    segments.add(segment);
  }
  const patterns = [...segments].sort().map((s) => `/${s}*`);
  // A pattern that caught the dashboard's own paths would send the shell to the API.
  const clash = patterns.find((p) => `/${dashboardPrefix}/`.startsWith(p.slice(0, -1)) || p.slice(1, -1).startsWith(dashboardPrefix));
  if (clash) throw new Error(`API path pattern ${clash} would also match /${dashboardPrefix}/`);
  // CloudFront's default quota is 25 cache behaviours per distribution.
  if (patterns.length > 24) throw new Error(`${patterns.length} API path patterns: more than a distribution takes by default; serve the API under one prefix`);
  return patterns;
}

/**
 * Viewer-request function of the S3 behaviour: `/` and `/app` redirect to `/app/`, files under
 * `/app/assets/` and `/app/config.json` are served as stored, and every other `/app/...` path is
 * the shell (deep links and reloads work). A custom error response would do the same but would
 * also turn the API's 403s into the shell, since both origins share the distribution.
 */
const routingFunctionCode = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '/${dashboardPrefix}') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/${dashboardPrefix}/' } } };
  }
  if (uri.indexOf('/${dashboardPrefix}/') === 0 && uri.indexOf('/${dashboardPrefix}/assets/') !== 0 && uri !== '/${dashboardPrefix}/config.json') {
    request.uri = '/${dashboardPrefix}/index.html';
  }
  return request;
}`;

/**
 * The finance dashboard on AWS: the bundle `web/build.ts` makes (built here, at synth, by the local
 * esbuild: offline) in a private S3 bucket, read by CloudFront through origin access control only.
 * The HTTP API is the distribution's second origin for the routes' paths, so the browser talks to
 * one origin: no CORS, and `connect-src 'self'` covers the API. The response headers policy carries
 * the same CSP and headers as `npm start` (local/dashboard-site.ts), with the sign-in issuer added
 * to connect-src. docs/architecture.md ("Dashboard on AWS") says why this and not CORS.
 */
export class DashboardSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  readonly deployment: s3deploy.BucketDeployment;
  /** The host name people use when context gave one (a CNAME to the distribution). */
  readonly customDomainName: string | undefined;
  /** The directory written at synth and deployed (the bundle's files under `app/`). */
  readonly assetDir: string;

  constructor(scope: Construct, id: string, props: DashboardSiteProps) {
    super(scope, id);
    const region = Stack.of(this).region;

    // Access logs of the bucket and the distribution. CloudFront's standard logs are written with
    // an ACL, so this one bucket keeps object ACLs (owner-preferred); nothing in it is public.
    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(Number(props.logRetention)) }],
      // Who read the dashboard and when: kept when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Files', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      // Rebuilt from web/ on every deploy: the deployment empties it when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Termwatch dashboard: the CSP and headers of npm start, plus HSTS',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: dashboardCsp(props.signInOrigins), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    const apiOrigin = new origins.HttpOrigin(`${props.api.apiId}.execute-api.${region}.${Stack.of(this).urlSuffix}`, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: apiOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      // Never cached: every answer is for one person's token. All of the request but Host reaches
      // API Gateway (the Authorization header, query strings), Host being the execute-api name.
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: this.responseHeadersPolicy,
    };

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Termwatch dashboard (/app/) and its API',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        functionAssociations: [
          {
            eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
            function: new cloudfront.Function(this, 'Routing', {
              code: cloudfront.FunctionCode.fromInline(routingFunctionCode),
              runtime: cloudfront.FunctionRuntime.JS_2_0,
              comment: 'Dashboard deep links to the shell; / to /app/',
            }),
          },
        ],
      },
      additionalBehaviors: Object.fromEntries(apiPathPatterns(props.routes).map((pattern) => [pattern, apiBehavior])),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      ...(props.customDomain
        ? {
            domainNames: [props.customDomain.domainName],
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
    });
    this.customDomainName = props.customDomain?.domainName;
    const distribution = this.distribution.node.defaultChild as cloudfront.CfnDistribution;
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'No geo restriction: finance people sign in from wherever they work; every figure needs a Cognito (or named issuer) token checked by the API, and the static shell holds no data.',
    });
    if (!props.webAclArn) {
      Validations.of(distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'No WAF web ACL given (context dashboardWebAclArn): a CLOUDFRONT-scope ACL must live in us-east-1 (this stack is regional) and costs a fixed monthly fee for a few signed-in users; the API is throttled per stage and per route and refuses every finance call without a valid token before a function runs.',
      });
    }
    if (!props.customDomain) {
      Validations.of(distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate cannot set a minimum viewer TLS version (CloudFront negotiates TLSv1.2+ with current browsers); give dashboardDomainName and dashboardCertificateArn (us-east-1) to require TLSv1.2_2021.',
      });
    }

    // The bundle, built now by the local esbuild (offline), written to a directory and deployed as
    // an asset: nothing of web/ is near functions/, whose bundles esbuild builds from their entries.
    const bundle = buildDashboardSync();
    this.assetDir = mkdtempSync(join(tmpdir(), 'termwatch-dashboard-'));
    const write = (path: string, body: Buffer) => {
      const file = join(this.assetDir, dashboardPrefix, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, body);
    };
    write('index.html', bundle.shell);
    for (const [path, asset] of bundle.assets) write(path, asset.body);

    // The deployment's handler (CDK's, Python with the AWS CLI) gets a role written here: no AWS
    // managed policy, logs to its own log group only.
    const deployLogs = new LogGroup(this, 'DeploymentLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const deployRole = new iam.Role(this, 'DeploymentRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the dashboard bundle into its bucket at deploy time',
    });
    deployRole.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [deployLogs.logGroupArn] }));
    this.deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: [s3deploy.Source.asset(this.assetDir), s3deploy.Source.jsonData(`${dashboardPrefix}/config.json`, props.signInConfig)],
      destinationBucket: this.bucket,
      // The files keep their names across builds (app.js): browsers and CloudFront revalidate
      // each load (ETag), so a deploy shows at once without an invalidation (which CDK would grant
      // on every distribution, Resource "*").
      cacheControl: [s3deploy.CacheControl.noCache()],
      prune: true,
      retainOnDelete: false,
      memoryLimit: 256,
      role: deployRole,
      logGroup: deployLogs,
    });
    this.acknowledgeDeploymentHandler(deployRole);
  }

  /** The findings on CDK's own deployment handler, which this construct configures but does not write. */
  private acknowledgeDeploymentHandler(role: iam.Role): void {
    const policy = role.node.findChild('DefaultPolicy');
    const grant =
      "BucketDeployment's own grants: its handler runs `aws s3 sync --delete` from the CDK asset bucket's zip of this build into this one bucket, and the grant helpers (grantRead on the asset, grantReadWrite on the destination) use S3's action groups";
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason: `${grant}; ${action} applies to those two buckets only.` });
    }
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
      reason: `${grant}; every object of the dashboard bucket, which holds nothing but the dashboard's files.`,
    });
    // The bootstrap asset bucket, as cdk-nag writes it: pseudo parameters where the stack is environment-agnostic.
    const stack = Stack.of(this);
    const or = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const qualifier = (this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') as string | undefined) ?? 'hnb659fds';
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-${or(stack.account, 'AccountId')}-${or(stack.region, 'Region')}/*]`,
      reason: `${grant}; read-only on the CDK bootstrap asset bucket, where cdk deploy uploaded the bundle's zip (object keys are content hashes not known in the template).`,
    });
    const handler = Stack.of(this).node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'))?.node.defaultChild;
    if (!handler) throw new Error('BucketDeployment made no handler function');
    const deployTimeOnly = "CDK's BucketDeployment handler runs only during a deployment, as a CloudFormation custom resource";
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason: `${deployTimeOnly}; aws-cdk-lib pins its Python runtime together with the AWS CLI layer it ships, and upgrading aws-cdk-lib upgrades both.`,
    });
    Validations.of(handler).acknowledge({
      id: 'Serverless-LambdaLatestVersion',
      reason: `${deployTimeOnly}; aws-cdk-lib pins its Python runtime together with the AWS CLI layer it ships, and upgrading aws-cdk-lib upgrades both.`,
    });
    Validations.of(handler).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: `${deployTimeOnly}, invoked by CloudFormation, which waits for its answer: a failure fails and rolls back the deployment, so there is no lost event for a dead-letter queue to keep.`,
    });
    Validations.of(handler).acknowledge({
      id: 'Serverless-LambdaTracing',
      reason: `${deployTimeOnly}: one S3 copy per deploy, logged to its own log group; a trace would show nothing the deployment events and that log do not.`,
    });
  }

  /** `https://<distribution>.cloudfront.net`, or the custom host name. */
  get url(): string {
    return `https://${this.customDomainName ?? this.distribution.distributionDomainName}`;
  }

  /** The dashboard's sign-in callback: its `/app/` page. */
  get appUrl(): string {
    return `${this.url}/${dashboardPrefix}/`;
  }
}
