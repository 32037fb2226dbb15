import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build.ts';
import { apiPathPatterns } from '../../infra/constructs/dashboard-site.ts';
import { dashboardCsp } from '../../local/dashboard-site.ts';
import { routes } from '../../shared/http/routes.ts';
import {
  acknowledgements,
  actionsOf,
  allNagFindings,
  buildAndSynth,
  logicalId,
  policyStatements,
  resourcesOf,
  unacknowledgedNagFindings,
  type BuiltApp,
} from './support.ts';

/**
 * The app with no auth context (issues 19 and 20): Cognito is the issuer, and the dashboard is on
 * S3 behind CloudFront with the HTTP API as second origin. A fixed region so the CSP is a string.
 */
let built: BuiltApp;
beforeAll(() => {
  built = buildAndSynth({ region: 'eu-west-1', account: '123456789012' });
}, 300_000);

const deployedRoutes = () => routes.filter((r) => !('localOnly' in r && r.localOnly));
const resourcesOfType = (type: string) => Object.values(built.statelessTemplate.findResources(type)) as { Properties: any }[];
const distributionConfig = () => resourcesOfType('AWS::CloudFront::Distribution')[0]!.Properties.DistributionConfig;
const appUrl = () => ({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(built.stateless.dashboard!.distribution), 'DomainName'] }, '/app/']] });

describe('Cognito by default', () => {
  it('makes the user pool, the four groups and a public code-flow client whose callback is the CloudFront /app/callback URL (sign-out back to /app/)', () => {
    const t = built.statelessTemplate;
    expect(built.settings.auth.mode).toBe('cognito');
    t.resourceCountIs('AWS::Cognito::UserPool', 1);
    expect(
      resourcesOfType('AWS::Cognito::UserPoolGroup')
        .map((g) => g.Properties.GroupName)
        .sort(),
    ).toEqual(['admin', 'approver', 'reviewer', 'viewer']);
    t.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'termwatch-dev' });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      CallbackURLs: [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(built.stateless.dashboard!.distribution), 'DomainName'] }, '/app/callback']] }],
      LogoutURLs: [appUrl()],
    });
  });

  it('puts a JWT authorizer trusting the pool on every finance route, and none on health, OpenAPI, the webhook or any other non-finance route', () => {
    const t = built.statelessTemplate;
    const identity = built.stateless.identity!;
    t.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: logicalId(identity.client) }],
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.eu-west-1.amazonaws.com/', { Ref: logicalId(identity.userPool) }]] },
      },
    });
    const authorizerId = Object.keys(t.findResources('AWS::ApiGatewayV2::Authorizer'))[0]!;
    const byKey = new Map(resourcesOfType('AWS::ApiGatewayV2::Route').map((r) => [r.Properties.RouteKey as string, r.Properties]));
    expect(byKey.size).toBe(deployedRoutes().length);
    for (const spec of deployedRoutes()) {
      const route = byKey.get(`${spec.method} ${spec.path}`);
      if (spec.auth === 'finance') {
        expect(route, `${spec.method} ${spec.path}`).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
      } else {
        expect(route?.AuthorizationType, `${spec.method} ${spec.path}`).toBe('NONE');
        expect(route?.AuthorizerId).toBeUndefined();
      }
    }
    for (const key of ['GET /health', 'GET /openapi.json', 'POST /webhooks/stripe']) expect(byKey.get(key)?.AuthorizationType, key).toBe('NONE');
    // The dashboard's files are not API routes at all: CloudFront serves them from S3.
    expect([...byKey.keys()].filter((k) => k.split(' ')[1]!.startsWith('/app'))).toEqual([]);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AUTH_MODE: 'cognito', POWERTOOLS_SERVICE_NAME: 'termwatch-api' }) },
    });
    expect(t.findOutputs('AuthMode').AuthMode?.Value).toBe('cognito');
  });
});

describe('the dashboard on S3 behind CloudFront', () => {
  it('keeps the bucket private, encrypted and TLS-only, readable by this distribution only (origin access control)', () => {
    const t = built.statelessTemplate;
    const site = built.stateless.dashboard!;
    const bucketId = logicalId(site.bucket);
    t.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(site.logBucket) }, LogFilePrefix: 's3/' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    const policy = resourcesOfType('AWS::S3::BucketPolicy').find((p) => JSON.stringify(p.Properties.Bucket).includes(bucketId))!;
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
    });
    expect(JSON.stringify(allows[0].Condition)).toContain(logicalId(site.distribution));
    t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    t.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    const s3Origin = distributionConfig().Origins.find((o: any) => o.S3OriginConfig);
    expect(s3Origin.OriginAccessControlId).toBeDefined();
  });

  it('sends the API paths to the HTTP API (never cached, every header but Host) and everything else to S3 through the routing function', () => {
    const config = distributionConfig();
    const apiId = logicalId(built.stateless.api.api);
    const apiOrigin = config.Origins.find((o: any) => o.CustomOriginConfig);
    expect(JSON.stringify(apiOrigin.DomainName)).toContain(`"${apiId}"`);
    expect(apiOrigin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    const patterns = apiPathPatterns(routes);
    expect(patterns).toEqual(expect.arrayContaining(['/accounts*', '/tasks*', '/me*', '/renewals*', '/notifications*', '/contracts*', '/health*']));
    expect(patterns).not.toContain('/webhooks*');
    const behaviors = config.CacheBehaviors as any[];
    expect(behaviors.map((b) => b.PathPattern).sort()).toEqual([...patterns].sort());
    for (const b of behaviors) {
      expect(b.TargetOriginId).toBe(apiOrigin.Id);
      expect(b.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // Managed-CachingDisabled
      expect(b.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac'); // Managed-AllViewerExceptHostHeader
      expect(b.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'DELETE']));
      expect(b.ViewerProtocolPolicy).toBe('https-only');
    }
    // Every route the dashboard calls (all finance routes) reaches the API through one of them.
    const matches = (pattern: string, path: string) => path.startsWith(pattern.slice(0, -1));
    for (const spec of deployedRoutes().filter((r) => r.auth === 'finance')) {
      expect(
        patterns.some((p) => matches(p, spec.path)),
        spec.path,
      ).toBe(true);
    }
    for (const path of ['/app/', '/app/tasks/x', '/app/assets/app.js'])
      expect(
        patterns.some((p) => matches(p, path)),
        path,
      ).toBe(false);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: expect.anything() }]);
    const fn = resourcesOfType('AWS::CloudFront::Function')[0]!.Properties;
    expect(fn.FunctionCode).toContain("request.uri = '/app/index.html'");
    expect(fn.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    expect(config.Logging).toMatchObject({
      Bucket: { 'Fn::GetAtt': [logicalId(built.stateless.dashboard!.logBucket), 'RegionalDomainName'] },
      Prefix: 'cloudfront/',
    });
  });

  it('routes the way npm start does: / and /app to /app/, deep links to the shell, assets and config.json as stored', () => {
    const code = resourcesOfType('AWS::CloudFront::Function')[0]!.Properties.FunctionCode as string;
    // CloudFront Functions run plain JavaScript: the same code, run here on sample requests.
    const handler = new Function(`${code}; return handler;`)() as (event: unknown) => any;
    const run = (uri: string) => handler({ request: { uri, headers: {} } });
    for (const uri of ['/', '/app']) expect(run(uri), uri).toEqual({ statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/app/' } } });
    for (const uri of ['/app/', '/app/tasks/task_1', '/app/accounts/cus_1', '/app/renewals']) expect(run(uri).uri, uri).toBe('/app/index.html');
    for (const uri of ['/app/assets/app.js', '/app/assets/app.css', '/app/config.json', '/favicon.ico']) expect(run(uri).uri, uri).toBe(uri);
  });

  it('answers with the CSP of npm start, connect-src widened to the Cognito domain and issuer, and the same headers plus HSTS', () => {
    const policies = resourcesOfType('AWS::CloudFront::ResponseHeadersPolicy');
    expect(policies).toHaveLength(1);
    const headers = policies[0]!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = headers.ContentSecurityPolicy.ContentSecurityPolicy as string;
    expect(csp).toBe(dashboardCsp(['https://termwatch-dev.auth.eu-west-1.amazoncognito.com', 'https://cognito-idp.eu-west-1.amazonaws.com']));
    expect(csp).toContain("connect-src 'self' https://termwatch-dev.auth.eu-west-1.amazoncognito.com");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(headers).toMatchObject({
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      StrictTransportSecurity: { AccessControlMaxAgeSec: 31536000, IncludeSubdomains: true },
    });
    const policyId = logicalId(built.stateless.dashboard!.responseHeadersPolicy);
    const config = distributionConfig();
    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
      expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
    }
  });

  it('deploys the bundle esbuild made at synth, and the sign-in settings, with BucketDeployment', () => {
    const site = built.stateless.dashboard!;
    for (const file of ['app/index.html', 'app/assets/app.js', 'app/assets/app.css']) {
      expect(existsSync(join(site.assetDir, file)), file).toBe(true);
    }
    const script = readFileSync(join(site.assetDir, 'app/assets/app.js'), 'utf8');
    expect(script.length).toBeGreaterThan(1000);
    expect(script).toContain('termwatch.token');
    const deployment = resourcesOfType('Custom::CDKBucketDeployment')[0]!.Properties;
    expect(deployment.SourceObjectKeys).toHaveLength(2);
    expect(deployment.DestinationBucketName).toEqual({ Ref: logicalId(site.bucket) });
    expect(deployment.Prune).toBe(true);
    expect(deployment.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
    // config.json ({ oidc: { issuer, clientId } }, web/oidc.ts's DashboardConfig), filled in at deploy time.
    const markers = JSON.stringify(deployment.SourceMarkers);
    expect(markers).toContain(logicalId(built.stateless.identity!.client));
    expect(markers).toContain(logicalId(built.stateless.identity!.userPool));
  });

  it("keeps the dashboard's files out of every Lambda bundle", () => {
    const site = built.stateless.dashboard!;
    const script = readFileSync(join(site.assetDir, 'app/assets/app.js'), 'utf8');
    // Strings only the browser bundle has: the session key and the shell's loading text.
    const markers = ['termwatch.token', 'Loading Termwatch', script.slice(200, 400)];
    const lambdas = resourcesOfType('AWS::Lambda::Function');
    expect(lambdas.length).toBeGreaterThanOrEqual(5); // four functions and CDK's deployment handler
    const filesUnder = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesUnder(join(dir, name)) : [join(dir, name)]));
    let checked = 0;
    for (const { Properties: p } of lambdas) {
      const key = p.Code?.S3Key as string | undefined;
      if (!key) continue;
      const dir = join(built.outdir, `asset.${key.replace(/\.zip$/, '')}`);
      const zip = join(built.outdir, `asset.${key}`);
      if (existsSync(dir)) {
        for (const file of filesUnder(dir)) {
          expect(file).not.toMatch(/\/(index\.html|app\.js|app\.css|config\.json)$/);
          const text = readFileSync(file, 'latin1');
          for (const marker of markers) expect(text.includes(marker), `${file} holds dashboard code`).toBe(false);
        }
      } else {
        const bytes = readFileSync(zip, 'latin1');
        for (const marker of markers) expect(bytes.includes(marker), `${zip} holds dashboard code`).toBe(false);
      }
      checked += 1;
    }
    expect(checked).toBe(lambdas.length);
    // And the check can fail: the markers are in the dashboard's own asset.
    expect(
      markers.every(
        (m) =>
          readFileSync(join(site.assetDir, 'app/assets/app.js'), 'utf8').includes(m) || readFileSync(join(site.assetDir, 'app/index.html'), 'utf8').includes(m),
      ),
    ).toBe(true);
  });

  it('outputs the dashboard URL, and links Slack messages and digests to it', () => {
    expect(built.statelessTemplate.findOutputs('DashboardUrl').DashboardUrl?.Value).toEqual(appUrl());
    const sweep = built.statelessTemplate.toJSON().Resources[logicalId(built.stateless.sweepFunction)].Properties.Environment.Variables;
    expect(sweep.WATCHER_PUBLIC_URL).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(built.stateless.dashboard!.distribution), 'DomainName'] }]],
    });
  });
});

describe('the dashboard with its own host name and a WAF web ACL (context)', () => {
  it('requires TLS 1.2 of viewers on that name, makes it the callback, attaches the ACL, and then acknowledges neither CFR4 nor CFR2', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
    const webAclArn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/termwatch/0123abcd';
    const app = buildApp({
      context: {
        'aws:cdk:bundling-stacks': [],
        region: 'eu-west-1',
        account: '123456789012',
        dashboardDomainName: 'termwatch.example.com',
        dashboardCertificateArn: certificateArn,
        dashboardWebAclArn: webAclArn,
      },
    });
    const t = Template.fromStack(app.stateless);
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['termwatch.example.com'],
        ViewerCertificate: { AcmCertificateArn: certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
        WebACLId: webAclArn,
      }),
    });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://termwatch.example.com/app/callback'],
      LogoutURLs: ['https://termwatch.example.com/app/'],
    });
    expect(t.findOutputs('DashboardUrl').DashboardUrl?.Value).toBe('https://termwatch.example.com/app/');
    expect(unacknowledgedNagFindings(app.app)).toEqual([]);
    const rules = acknowledgements(app.stateless)
      .filter((a) => a.path.includes('/Dashboard/'))
      .map((a) => a.rule);
    expect(rules).toContain('AwsSolutions-CFR1');
    expect(rules).not.toContain('AwsSolutions-CFR2');
    expect(rules).not.toContain('AwsSolutions-CFR4');
    expect(allNagFindings(app.app).filter((f) => f.rule === 'AwsSolutions-CFR2' || f.rule === 'AwsSolutions-CFR4')).toEqual([]);
  }, 120_000);
});

describe('least privilege and cdk-nag with the dashboard', () => {
  it('gives no role an AWS managed policy, and Resource "*" only to X-Ray', () => {
    for (const role of resourcesOfType('AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    for (const s of policyStatements(built.statelessTemplate)) {
      for (const action of actionsOf(s)) expect(action).not.toMatch(/^\*$|:\*$/);
      if (resourcesOf(s).includes('*')) expect(actionsOf(s).every((a) => a.startsWith('xray:'))).toBe(true);
    }
  });

  it('has no unacknowledged finding; each acknowledgement matches a real finding and says why', () => {
    expect(unacknowledgedNagFindings(built.app)).toEqual([]);
    const raw = allNagFindings(built.app);
    // cdk-nag's rules only: aws-cdk-lib acknowledges a CloudFormation-Validate warning of its own on the log bucket's ACL.
    const acks = acknowledgements(built.app).filter((a) => /^(AwsSolutions|Serverless)-/.test(a.rule));
    for (const ack of acks) {
      const matched = raw.some((f) => f.rule === ack.rule && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
      expect(matched, `${ack.rule} at ${ack.path} acknowledges nothing`).toBe(true);
      expect(ack.reason.length, `${ack.rule} at ${ack.path}`).toBeGreaterThan(60);
    }
    expect(acks.filter((a) => a.rule === 'AwsSolutions-IAM5')).toEqual([]);
    // CloudFront and S3: access logs and OAC are fixed, not acknowledged; geo, WAF and TLS are, with reasons.
    const onSite = acks.filter((a) => a.path.includes('/Dashboard/')).map((a) => a.rule);
    expect(onSite).toEqual(expect.arrayContaining(['AwsSolutions-CFR1', 'AwsSolutions-CFR2', 'AwsSolutions-CFR4']));
    for (const fixed of [
      'AwsSolutions-CFR3',
      'AwsSolutions-CFR5',
      'AwsSolutions-CFR6',
      'AwsSolutions-CFR7',
      'AwsSolutions-S1',
      'AwsSolutions-S10',
      'AwsSolutions-IAM4',
    ]) {
      expect(onSite, fixed).not.toContain(fixed);
      expect(
        raw.filter((f) => f.rule === fixed),
        fixed,
      ).toEqual([]);
    }
  });
});
