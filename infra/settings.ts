import * as z from 'zod';
import { parsePolicy, PolicyError, timeZoneSchema, type Policy } from '../shared/config/policy.ts';

/**
 * Deployment settings read from CDK context (`cdk.json` "context", or `-c key=value`).
 * Keys, defaults and meaning are documented in `infra/app.ts` and `docs/deploy-context.md`.
 *
 * Values given with `-c` arrive as strings, values in cdk.json keep their JSON type; every
 * schema here takes both forms so the two ways of passing a setting behave the same.
 */

export class DeployContextError extends Error {
  override readonly name = 'DeployContextError';
}

/** CloudWatch Logs only accepts these retention periods (days). */
export const logRetentionChoices = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

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

const positiveInt = z.preprocess(
  (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
  z.number().int().positive(),
);

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
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id').optional(),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as "eu-west-1"').optional(),
    policy: z.preprocess(fromJsonText, z.record(z.string(), z.unknown())).default({}),
    auth: z.enum(['iam', 'jwt', 'cognito']).default('iam'),
    /** auth=cognito: TOTP MFA required (default) or optional. */
    mfa: z.enum(['required', 'optional']).default('required'),
    /** auth=cognito: the hosted-UI domain prefix (default `termwatch-<stage>`). */
    cognitoDomainPrefix: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lower-case letters, digits and dashes').optional(),
    /** auth=cognito: the dashboard's callback URL(s), https (http only on localhost). */
    dashboardCallbackUrls: stringList(z.url().refine((u) => u.startsWith('https://') || /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(u), 'must be https:// (http:// only on localhost)')).optional(),
    jwtIssuer: z.url({ protocol: /^https$/ }).optional(),
    jwtAudience: stringList(z.string().min(1)).optional(),
    throttleRate: positiveInt.default(50),
    throttleBurst: positiveInt.default(100),
    sweepAt: hhmm.optional(),
    timeZone: z.optional(timeZone),
    notifyEmails: stringList(z.email()).default([]),
    stripeEventBridge: flag.default(false),
    stripePartnerEventSource: z
      .string()
      .regex(/^aws\.partner\/stripe\.com\/.+$/, 'must be the partner event source name, "aws.partner/stripe.com/ed_..."')
      .optional(),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    logRetentionDays: z.preprocess(
      (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
      z.literal(logRetentionChoices, { message: `must be one of ${logRetentionChoices.join(', ')} (days)` }),
    ).default(30),
  })
  .superRefine((ctx, issues) => {
    if (ctx.auth === 'jwt') {
      if (ctx.jwtIssuer === undefined) {
        issues.addIssue({ code: 'custom', path: ['jwtIssuer'], message: 'is required when auth is "jwt" (e.g. -c jwtIssuer=https://issuer.example.com/)' });
      }
      if (ctx.jwtAudience === undefined || ctx.jwtAudience.length === 0) {
        issues.addIssue({ code: 'custom', path: ['jwtAudience'], message: 'is required when auth is "jwt" (e.g. -c jwtAudience=termwatch-api)' });
      }
    }
    if (ctx.auth === 'cognito' && (ctx.dashboardCallbackUrls === undefined || ctx.dashboardCallbackUrls.length === 0)) {
      issues.addIssue({ code: 'custom', path: ['dashboardCallbackUrls'], message: 'is required when auth is "cognito" (e.g. -c dashboardCallbackUrls=https://termwatch.example.com/app/)' });
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
  readonly auth:
    | { readonly mode: 'iam' }
    | { readonly mode: 'jwt'; readonly issuer: string; readonly audience: readonly string[] }
    /** A Cognito user pool made by the stack (infra/constructs/identity.ts) is the issuer. */
    | { readonly mode: 'cognito'; readonly mfa: 'required' | 'optional'; readonly domainPrefix: string; readonly callbackUrls: readonly string[] };
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly sweep: { readonly at: string; readonly timeZone: string };
  readonly notifyEmails: readonly string[];
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
export function readDeploySettings(
  lookup: (key: string) => unknown,
  env: NodeJS.ProcessEnv = process.env,
): DeploySettings {
  const raw: Record<string, unknown> = {};
  for (const key of contextKeys) {
    const value = lookup(key);
    if (value !== undefined && value !== null) raw[key] = value;
  }
  const parsed = contextSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(context)'}: ${issue.message}`)
      .join('; ');
    throw new DeployContextError(`CDK context is invalid: ${problems}`);
  }
  const ctx = parsed.data;

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
    throw new DeployContextError(
      `CDK context is invalid: timeZone "${ctx.timeZone}" disagrees with policy.timeZone "${policyZone}"; give one of them`,
    );
  }
  const policySweepAt = typeof ctx.policy.sweepAt === 'string' ? policy.sweepAt : undefined;
  if (ctx.sweepAt !== undefined && policySweepAt !== undefined && ctx.sweepAt !== policySweepAt) {
    throw new DeployContextError(
      `CDK context is invalid: sweepAt "${ctx.sweepAt}" disagrees with policy.sweepAt "${policySweepAt}"; give one of them`,
    );
  }

  return {
    stage: ctx.stage,
    account: ctx.account ?? nonEmpty(env.CDK_DEFAULT_ACCOUNT),
    region: ctx.region ?? nonEmpty(env.CDK_DEFAULT_REGION),
    policyInput: ctx.policy,
    policy,
    auth:
      ctx.auth === 'jwt'
        ? { mode: 'jwt', issuer: ctx.jwtIssuer as string, audience: ctx.jwtAudience as string[] }
        : ctx.auth === 'cognito'
          ? { mode: 'cognito', mfa: ctx.mfa, domainPrefix: ctx.cognitoDomainPrefix ?? `termwatch-${ctx.stage}`, callbackUrls: ctx.dashboardCallbackUrls as string[] }
          : { mode: 'iam' },
    throttle: { rateLimit: ctx.throttleRate, burstLimit: ctx.throttleBurst },
    sweep: { at: ctx.sweepAt ?? policy.sweepAt, timeZone: ctx.timeZone ?? policy.timeZone },
    notifyEmails: ctx.notifyEmails,
    stripePartnerEventSource: ctx.stripeEventBridge ? ctx.stripePartnerEventSource : undefined,
    logLevel: ctx.logLevel,
    logRetentionDays: ctx.logRetentionDays,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
