import * as z from 'zod';
import { parsePolicy, PolicyError, timeZoneSchema, type Policy } from '../shared/domain/policy.ts';
import { DeployContextError, readStageConfig, requireCommittedProductionConfig, type StageConfig } from './stage-config.ts';

export { DeployContextError, productionRequiredKeys, type StageConfig } from './stage-config.ts';

/**
 * Deployment settings read from CDK context (`cdk.json` "context", or `-c key=value`).
 * Keys, defaults and meaning are documented in `infra/app.ts` and `docs/deploy-context.md`.
 *
 * Values given with `-c` arrive as strings, values in cdk.json keep their JSON type; every
 * schema here takes both forms so the two ways of passing a setting behave the same.
 */

/** CloudWatch Logs only accepts these retention periods (days). */
export const logRetentionChoices = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Parses a JSON string given on the command line; anything else passes through unchanged. */
const fromJsonText = (value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
};

const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

const positiveInt = z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v), z.number().int().positive());

/** A list given as a JSON array, a JSON array string or a comma-separated string. */
const stringList = <T extends z.ZodType<string>>(item: T) =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    const trimmed = v.trim();
    if (trimmed.startsWith('[')) return fromJsonText(trimmed);
    return trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
  }, z.array(item));

const timeZone = timeZoneSchema;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour), e.g. "06:00"');

/** Raw context as given; defaults that depend on the policy are filled in by `readDeploySettings`. */
const contextSchema = z
  .object({
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be lower-case letters, digits and dashes, at most 20, e.g. "prod"')
      .default('dev'),
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as "eu-west-1"')
      .optional(),
    policy: z.preprocess(fromJsonText, z.record(z.string(), z.unknown())).default({}),
    /** Default: `cognito`, or `jwt` when jwtIssuer is given. `iam` is the SigV4-only mode of before (no people, no dashboard). */
    auth: z.enum(['iam', 'jwt', 'cognito']).optional(),
    /** auth=cognito: TOTP MFA required (default) or optional. */
    mfa: z.enum(['required', 'optional']).default('required'),
    /** auth=cognito: the hosted-UI domain prefix (default `termwatch-<stage>`). */
    cognitoDomainPrefix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lower-case letters, digits and dashes')
      .optional(),
    /** auth=cognito: the dashboard's callback URL(s), https (http only on localhost); default: the CloudFront URL's /app/. */
    dashboardCallbackUrls: stringList(
      z.url().refine((u) => u.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(u), 'must be https:// (http:// only on localhost)'),
    ).optional(),
    /** The dashboard's own host name on CloudFront (a CNAME you point at the distribution), with its certificate. */
    dashboardDomainName: z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lower-case host name such as "termwatch.example.com"')
      .optional(),
    /** ACM certificate for dashboardDomainName; CloudFront takes only us-east-1 certificates. */
    dashboardCertificateArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/,
        'must be an ACM certificate ARN in us-east-1 (CloudFront reads certificates there only)',
      )
      .optional(),
    /** A WAF web ACL of CLOUDFRONT scope (made in us-east-1) for the distribution. */
    dashboardWebAclArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+$/,
        'must be a CLOUDFRONT-scope WAFv2 web ACL ARN, "arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>"',
      )
      .optional(),
    jwtIssuer: z.url({ protocol: /^https$/ }).optional(),
    jwtAudience: stringList(z.string().min(1)).optional(),
    /** auth=jwt: the claim carrying the person's groups (Entra ID `groups` or `roles`, Okta `groups`...). */
    jwtGroupsClaim: z
      .string()
      .regex(/^[\w:./-]{1,100}$/, 'must be a claim name such as "groups"')
      .optional(),
    throttleRate: positiveInt.default(50),
    throttleBurst: positiveInt.default(100),
    sweepAt: hhmm.optional(),
    timeZone: z.optional(timeZone),
    notifyEmails: stringList(z.email()).default([]),
    alarmEmails: stringList(z.email()).default([]),
    alarmHttpsEndpoints: stringList(z.url({ protocol: /^https$/ })).default([]),
    production: flag.optional(),
    terminationProtection: flag.optional(),
    backup: flag.optional(),
    webhookThrottleRate: positiveInt.default(50),
    webhookThrottleBurst: positiveInt.default(100),
    publicThrottleRate: positiveInt.default(5),
    publicThrottleBurst: positiveInt.default(10),
    /** The calendar feed route (no authorizer: the secret in its URL is the credential). */
    feedThrottleRate: positiveInt.default(2),
    feedThrottleBurst: positiveInt.default(5),
    /** Email digest by SES: the sender (an address of the SES identity) and the recipients. */
    mailFrom: z.email().optional(),
    /** The SES identity to verify and send from: a domain, or an address (default: mailFrom). */
    mailIdentity: z
      .string()
      .regex(/^(?:[^@\s]+@)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/, 'must be a domain (example.com) or an email address')
      .optional(),
    mailTo: stringList(z.email()).default([]),
    /** The dashboard's base URL: links in Slack messages, digests and calendar feed URLs. */
    publicUrl: z.url({ protocol: /^https$/ }).optional(),
    /** Slack: a Secrets Manager secret for the incoming-webhook URL, read by the sweep. */
    slack: flag.default(false),
    processorMaxConcurrency: z
      .preprocess(
        (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
        z.number().int().min(2, 'must be at least 2 (the SQS event source minimum)').max(1000),
      )
      .default(5),
    tracer: flag.default(false),
    stripeEventBridge: flag.default(false),
    stripePartnerEventSource: z
      .string()
      .regex(/^aws\.partner\/stripe\.com\/.+$/, 'must be the partner event source name, "aws.partner/stripe.com/ed_..."')
      .optional(),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    logRetentionDays: z
      .preprocess(
        (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
        z.literal(logRetentionChoices, { message: `must be one of ${logRetentionChoices.join(', ')} (days)` }),
      )
      .default(30),
  })
  .superRefine((ctx, issues) => {
    const auth = ctx.auth ?? (ctx.jwtIssuer !== undefined ? 'jwt' : 'cognito');
    if (auth !== 'jwt') {
      // An issuer given beside another mode would be silently ignored: say so instead.
      for (const key of ['jwtIssuer', 'jwtAudience', 'jwtGroupsClaim'] as const) {
        if (ctx[key] !== undefined) issues.addIssue({ code: 'custom', path: [key], message: `is only read when auth is "jwt" (auth is "${auth}")` });
      }
    }
    if (auth !== 'cognito' && ctx.dashboardCallbackUrls !== undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['dashboardCallbackUrls'],
        message: `is only read when auth is "cognito" (auth is "${auth}"); the issuer named by jwtIssuer keeps its own callback list`,
      });
    }
    if ((ctx.dashboardDomainName === undefined) !== (ctx.dashboardCertificateArn === undefined)) {
      const missing = ctx.dashboardDomainName === undefined ? 'dashboardDomainName' : 'dashboardCertificateArn';
      issues.addIssue({ code: 'custom', path: [missing], message: 'is required with the other: dashboardDomainName and dashboardCertificateArn go together' });
    }
    if (auth === 'iam') {
      for (const key of ['dashboardDomainName', 'dashboardCertificateArn', 'dashboardWebAclArn'] as const) {
        if (ctx[key] !== undefined) issues.addIssue({ code: 'custom', path: [key], message: 'is only read with a dashboard (auth is "iam": none is made)' });
      }
    }
    if (auth === 'jwt') {
      if (ctx.jwtIssuer === undefined) {
        issues.addIssue({ code: 'custom', path: ['jwtIssuer'], message: 'is required when auth is "jwt" (e.g. -c jwtIssuer=https://issuer.example.com/)' });
      }
      if (ctx.jwtAudience === undefined || ctx.jwtAudience.length === 0) {
        issues.addIssue({ code: 'custom', path: ['jwtAudience'], message: 'is required when auth is "jwt" (e.g. -c jwtAudience=termwatch-api)' });
      }
    }
    if (ctx.mailFrom !== undefined && ctx.mailTo.length === 0) {
      issues.addIssue({ code: 'custom', path: ['mailTo'], message: 'is required when mailFrom is set (e.g. -c mailTo=finance@example.com)' });
    }
    if (ctx.mailFrom === undefined && ctx.mailTo.length > 0) {
      issues.addIssue({ code: 'custom', path: ['mailFrom'], message: 'is required when mailTo is set (an address of the SES identity)' });
    }
    if (
      ctx.mailFrom !== undefined &&
      ctx.mailIdentity !== undefined &&
      !(ctx.mailIdentity.includes('@') ? ctx.mailFrom === ctx.mailIdentity : ctx.mailFrom.endsWith(`@${ctx.mailIdentity}`))
    ) {
      issues.addIssue({ code: 'custom', path: ['mailFrom'], message: `must be an address of the SES identity ${ctx.mailIdentity}` });
    }
    if (ctx.stripeEventBridge && ctx.stripePartnerEventSource === undefined) {
      issues.addIssue({
        code: 'custom',
        path: ['stripePartnerEventSource'],
        message: 'is required when stripeEventBridge is true (the "aws.partner/stripe.com/..." event source Stripe created)',
      });
    }
  });

type RawContext = z.output<typeof contextSchema>;

export interface DeploySettings {
  readonly stage: string;
  /** Undefined means environment-agnostic (or the CLI's CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION). */
  readonly account: string | undefined;
  readonly region: string | undefined;
  /** The policy object exactly as given (what WATCHER_POLICY_JSON carries). */
  readonly policyInput: Record<string, unknown>;
  /** The same policy, validated and with defaults filled in. */
  readonly policy: Policy;
  readonly auth: /** SigV4 on every finance route: machines and operators only (a browser cannot sign), so no dashboard. */
    | { readonly mode: 'iam' }
    /** Another OIDC issuer (Entra ID, Okta, Auth0, Google...) named in context. */
    | { readonly mode: 'jwt'; readonly issuer: string; readonly audience: readonly string[]; readonly groupsClaim?: string }
    /**
     * The default: a Cognito user pool made by the stack (infra/constructs/identity.ts) is the issuer.
     * `callbackUrls` undefined: the dashboard's CloudFront URL (`https://<distribution>/app/`).
     */
    | { readonly mode: 'cognito'; readonly mfa: 'required' | 'optional'; readonly domainPrefix: string; readonly callbackUrls: readonly string[] | undefined };
  /** The dashboard on S3 behind CloudFront (infra/constructs/dashboard-site.ts): wherever people sign in, i.e. unless auth is iam. */
  readonly dashboard: boolean;
  /** Optional for the distribution: its own host name and certificate (TLS 1.2 minimum), a WAF web ACL. */
  readonly dashboardHosting: {
    readonly domainName: string | undefined;
    readonly certificateArn: string | undefined;
    readonly webAclArn: string | undefined;
  };
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly sweep: { readonly at: string; readonly timeZone: string };
  /** Finance's e-mail subscriptions to the notification topic (renewal reminders, reviews opened). */
  readonly notifyEmails: readonly string[];
  /** Who is paged: subscribers of the operations alarm topic (never the finance topic). */
  readonly alarmSubscribers: { readonly emails: readonly string[]; readonly httpsEndpoints: readonly string[] };
  /** `prod`, or a stage whose config says `"production": true`: committed config required, protected stacks. */
  readonly production: boolean;
  readonly terminationProtection: boolean;
  /** An AWS Backup plan for the table (daily, kept 35 days; monthly, kept a year). */
  readonly backup: boolean;
  /** Per-route limits: the webhook and the anonymous routes each have their own, so one cannot starve the other. */
  readonly routeThrottles: {
    readonly webhook: { readonly rateLimit: number; readonly burstLimit: number };
    readonly public: { readonly rateLimit: number; readonly burstLimit: number };
    readonly feed: { readonly rateLimit: number; readonly burstLimit: number };
  };
  /** Delivery to people: the email digest by SES (identity, sender, recipients), Slack's secret, dashboard links. */
  readonly delivery: {
    readonly mail: { readonly identity: string; readonly from: string; readonly to: readonly string[] } | undefined;
    readonly slack: boolean;
    readonly publicUrl: string | undefined;
  };
  /** The most processor instances the ingest queue's event source runs at once. */
  readonly processorMaxConcurrency: number;
  /** Powertools Tracer around the AWS SDK clients (off by default: see docs/deploy-context.md for the cold-start cost). */
  readonly tracer: boolean;
  /** The committed per-stage file the settings were read from, if there is one. */
  readonly configFile: string | undefined;
  /** Set when Stripe's Amazon EventBridge destination feeds the ingest queue. */
  readonly stripePartnerEventSource: string | undefined;
  readonly logLevel: RawContext['logLevel'];
  readonly logRetentionDays: (typeof logRetentionChoices)[number];
}

/** Room left for WATCHER_POLICY_JSON in Lambda's 4 KB environment after the other variables. */
export const maxPolicyJsonBytes = 3000;

export const contextKeys = Object.keys(contextSchema.shape) as (keyof typeof contextSchema.shape)[];

/**
 * Reads and validates every setting. `lookup` is `(key) => node.tryGetContext(key)`.
 * Throws DeployContextError naming each bad key, so `cdk synth` stops before building anything.
 */
export function readDeploySettings(lookup: (key: string) => unknown, env: NodeJS.ProcessEnv = process.env, committed?: StageConfig): DeploySettings {
  const raw: Record<string, unknown> = {};
  for (const key of contextKeys) {
    // Context given for this deploy (-c, cdk.json) wins over the committed file.
    const value = lookup(key) ?? committed?.values[key];
    if (value !== undefined && value !== null) raw[key] = value;
  }
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(context)'}: ${issue.message}`).join('; ');
    throw new DeployContextError(`CDK context is invalid: ${problems}`);
  }
  const ctx = parsed.data;
  const authMode = ctx.auth ?? (ctx.jwtIssuer !== undefined ? 'jwt' : 'cognito');

  let policy: Policy;
  try {
    policy = parsePolicy(ctx.policy, 'context "policy"');
  } catch (cause) {
    if (cause instanceof PolicyError) throw new DeployContextError(cause.message, { cause });
    throw cause;
  }

  // Every function carries the policy in WATCHER_POLICY_JSON and Lambda allows 4 KB of
  // environment in total; refuse here rather than fail halfway through a deployment.
  const policyBytes = Buffer.byteLength(JSON.stringify(ctx.policy), 'utf8');
  if (policyBytes > maxPolicyJsonBytes) {
    throw new DeployContextError(
      `CDK context is invalid: policy is ${policyBytes} bytes as JSON, more than the ${maxPolicyJsonBytes} that fit beside the other Lambda environment variables (4 KB in all)`,
    );
  }

  // The sweep reads calendar dates in the policy's zone; a schedule in another zone would run it
  // at a surprising local hour, so a disagreement is refused rather than resolved silently.
  const policyZone = typeof ctx.policy.timeZone === 'string' ? policy.timeZone : undefined;
  if (ctx.timeZone !== undefined && policyZone !== undefined && ctx.timeZone !== policyZone) {
    throw new DeployContextError(`CDK context is invalid: timeZone "${ctx.timeZone}" disagrees with policy.timeZone "${policyZone}"; give one of them`);
  }
  const policySweepAt = typeof ctx.policy.sweepAt === 'string' ? policy.sweepAt : undefined;
  if (ctx.sweepAt !== undefined && policySweepAt !== undefined && ctx.sweepAt !== policySweepAt) {
    throw new DeployContextError(`CDK context is invalid: sweepAt "${ctx.sweepAt}" disagrees with policy.sweepAt "${policySweepAt}"; give one of them`);
  }

  // `prod` is always a production stage; another stage becomes one by saying so.
  const production = ctx.stage === 'prod' || ctx.production === true;
  if (production) requireCommittedProductionConfig(ctx.stage, committed);
  const alarmSubscribers = { emails: ctx.alarmEmails, httpsEndpoints: ctx.alarmHttpsEndpoints };
  // An alarm nobody receives is no alarm: only a developer's own stage may run without a subscriber.
  if (ctx.stage !== 'dev' && alarmSubscribers.emails.length + alarmSubscribers.httpsEndpoints.length === 0) {
    throw new DeployContextError(
      `CDK context is invalid: alarmEmails: stage "${ctx.stage}" has no alarm subscriber; give alarmEmails or alarmHttpsEndpoints (in ${committed?.path ?? `config/${ctx.stage}.json`}) so someone is paged`,
    );
  }

  return {
    stage: ctx.stage,
    account: ctx.account ?? nonEmpty(env.CDK_DEFAULT_ACCOUNT),
    region: ctx.region ?? nonEmpty(env.CDK_DEFAULT_REGION),
    policyInput: ctx.policy,
    policy,
    auth:
      authMode === 'jwt'
        ? {
            mode: 'jwt',
            issuer: ctx.jwtIssuer as string,
            audience: ctx.jwtAudience as string[],
            ...(ctx.jwtGroupsClaim ? { groupsClaim: ctx.jwtGroupsClaim } : {}),
          }
        : authMode === 'cognito'
          ? {
              mode: 'cognito',
              mfa: ctx.mfa,
              domainPrefix: ctx.cognitoDomainPrefix ?? `termwatch-${ctx.stage}`,
              callbackUrls: ctx.dashboardCallbackUrls?.length ? ctx.dashboardCallbackUrls : undefined,
            }
          : { mode: 'iam' },
    dashboard: authMode !== 'iam',
    dashboardHosting: { domainName: ctx.dashboardDomainName, certificateArn: ctx.dashboardCertificateArn, webAclArn: ctx.dashboardWebAclArn },
    throttle: { rateLimit: ctx.throttleRate, burstLimit: ctx.throttleBurst },
    sweep: { at: ctx.sweepAt ?? policy.sweepAt, timeZone: ctx.timeZone ?? policy.timeZone },
    notifyEmails: ctx.notifyEmails,
    alarmSubscribers,
    production,
    terminationProtection: ctx.terminationProtection ?? production,
    backup: ctx.backup ?? production,
    routeThrottles: {
      webhook: { rateLimit: ctx.webhookThrottleRate, burstLimit: ctx.webhookThrottleBurst },
      public: { rateLimit: ctx.publicThrottleRate, burstLimit: ctx.publicThrottleBurst },
      feed: { rateLimit: ctx.feedThrottleRate, burstLimit: ctx.feedThrottleBurst },
    },
    delivery: {
      mail: ctx.mailFrom ? { identity: ctx.mailIdentity ?? ctx.mailFrom, from: ctx.mailFrom, to: ctx.mailTo } : undefined,
      slack: ctx.slack,
      publicUrl: ctx.publicUrl?.replace(/\/+$/, ''),
    },
    processorMaxConcurrency: ctx.processorMaxConcurrency,
    tracer: ctx.tracer,
    configFile: committed?.path,
    stripePartnerEventSource: ctx.stripeEventBridge ? ctx.stripePartnerEventSource : undefined,
    logLevel: ctx.logLevel,
    logRetentionDays: ctx.logRetentionDays,
  };
}

/**
 * Reads `<configDir>/<stage>.json` when it exists (infra/stage-config.ts), its keys checked
 * against the context keys above.
 */
export function loadStageConfig(configDir: string, stage: string): StageConfig | undefined {
  return readStageConfig(configDir, stage, contextKeys);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
