/**
 * CDK entry point: `npm run synth` (cdk.json runs `npx tsx infra/app.ts`). Offline: no lookups,
 * no AWS credentials, functions bundled by the local esbuild.
 *
 * Two stacks per stage: `Termwatch-<stage>-Stateful` (table, Stripe secrets, notification topic,
 * event bus) and `Termwatch-<stage>-Stateless` (functions, ingest queue, HTTP API, schedule,
 * alarms), the second receiving the first's resources as typed props.
 *
 * Context settings (`-c key=value`, or "context" in cdk.json); all optional. Full notes in
 * docs/deploy-context.md.
 *
 * | key                      | default            | meaning                                                      |
 * |--------------------------|--------------------|--------------------------------------------------------------|
 * | stage                    | "dev"              | names the stacks, the bus (`termwatch-<stage>`), the secrets |
 * | account                  | CDK_DEFAULT_ACCOUNT| 12-digit account; unset = environment-agnostic               |
 * | region                   | CDK_DEFAULT_REGION | e.g. "eu-west-1"; unset = environment-agnostic               |
 * | policy                   | {}                 | policy object (shared/config/policy.ts), validated at synth, |
 * |                          |                    | given to every function as WATCHER_POLICY_JSON               |
 * | auth                     | "iam"              | finance routes: "iam" (SigV4) or "jwt"                       |
 * | jwtIssuer                | (none)             | https issuer URL; required when auth = "jwt"                 |
 * | jwtAudience              | (none)             | audience(s), comma-separated; required when auth = "jwt"     |
 * | throttleRate             | 50                 | API stage steady-state requests per second                   |
 * | throttleBurst            | 100                | API stage burst                                              |
 * | sweepAt                  | policy.sweepAt     | HH:MM reminders go out; the sweep runs hourly at its minute  |
 * | timeZone                 | policy.timeZone    | IANA zone of sweepAt (policy default "UTC")                  |
 * | notifyEmails             | []                 | e-mail addresses subscribed to alarms and notifications      |
 * | stripeEventBridge        | false              | also take Stripe events from Stripe's EventBridge destination|
 * | stripePartnerEventSource | (none)             | "aws.partner/stripe.com/ed_..."; required with the flag above|
 * | logLevel                 | "INFO"             | POWERTOOLS_LOG_LEVEL of every function                       |
 * | logRetentionDays         | 30                 | retention of function and API access log groups              |
 */
import { buildApp } from './build.ts';

buildApp().app.synth();
