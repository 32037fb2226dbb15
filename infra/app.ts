/**
 * CDK entry point: `npm run synth` (cdk.json runs `npx tsx infra/app.ts`). Offline: no lookups,
 * no AWS credentials, functions bundled by the local esbuild.
 *
 * Two stacks per stage: `Termwatch-<stage>-Stateful` (table and its backups, Stripe secrets, the
 * finance notification topic, the operations alarm topic, event bus) and
 * `Termwatch-<stage>-Stateless` (functions, ingest queue, HTTP API, schedule, alarms, dashboards,
 * user pool),
 * the second receiving the first's resources as typed props.
 *
 * Settings: the committed `config/<stage>.json` (required for a production stage), then context
 * (`-c key=value`, or "context" in cdk.json), which wins for one deploy. Every key, its default and
 * the production rules are in docs/deploy-context.md; the main ones:
 *
 * | key                      | default            | meaning                                                      |
 * |--------------------------|--------------------|--------------------------------------------------------------|
 * | stage                    | "dev"              | names the stacks, the bus (`termwatch-<stage>`), the secrets |
 * | account                  | CDK_DEFAULT_ACCOUNT| 12-digit account; unset = environment-agnostic               |
 * | region                   | CDK_DEFAULT_REGION | e.g. "eu-west-1"; unset = environment-agnostic               |
 * | policy                   | {}                 | policy object (shared/domain/policy.ts), validated at synth, |
 * |                          |                    | given to every function as WATCHER_POLICY_JSON               |
 * | auth                     | "cognito"          | finance routes: JWT from the stack's user pool ("cognito"), |
 * |                          |                    | from another issuer ("jwt"), or SigV4 only ("iam", no      |
 * |                          |                    | dashboard); the dashboard is on S3 + CloudFront otherwise    |
 * | jwtIssuer                | (none)             | another https issuer; with jwtAudience it means auth = "jwt" |
 * | jwtAudience              | (none)             | audience(s), comma-separated; required with jwtIssuer        |
 * | dashboardCallbackUrls    | CloudFront /app/   | the Cognito client's callback URL(s) instead                 |
 * | throttleRate             | 50                 | API stage steady-state requests per second                   |
 * | throttleBurst            | 100                | API stage burst                                              |
 * | sweepAt                  | policy.sweepAt     | HH:MM reminders go out; the sweep runs hourly at its minute  |
 * | timeZone                 | policy.timeZone    | IANA zone of sweepAt (policy default "UTC")                  |
 * | notifyEmails             | []                 | finance's e-mail subscriptions (reminders, reviews opened)   |
 * | alarmEmails              | []                 | who is paged (alarm topic); required on every stage but dev  |
 * | alarmHttpsEndpoints      | []                 | paging services (PagerDuty, Opsgenie) on the alarm topic     |
 * | backup                   | production         | AWS Backup plan for the table                                |
 * | terminationProtection    | production         | on both stacks                                               |
 * | webhookThrottleRate/Burst| 50 / 100           | the webhook route's own limit                                |
 * | publicThrottleRate/Burst | 5 / 10             | /health and /openapi.json                                    |
 * | feedThrottleRate/Burst   | 2 / 5              | the calendar feed route (no authorizer: secret URL)          |
 * | mailFrom, mailTo         | (none), []         | email digest by SES: sender (of mailIdentity), recipients    |
 * | mailIdentity             | mailFrom           | SES identity (domain or address) the stack makes             |
 * | publicUrl                | the dashboard      | base URL for links (default: the dashboard's URL) and feeds  |
 * | slack                    | false              | Secrets Manager secret for the Slack incoming-webhook URL    |
 * | processorMaxConcurrency  | 5                  | SQS event source maximum concurrency                         |
 * | tracer                   | false              | Powertools Tracer around the AWS SDK clients                 |
 * | stripeEventBridge        | false              | also take Stripe events from Stripe's EventBridge destination|
 * | stripePartnerEventSource | (none)             | "aws.partner/stripe.com/ed_..."; required with the flag above|
 * | logLevel                 | "INFO"             | POWERTOOLS_LOG_LEVEL of every function                       |
 * | logRetentionDays         | 30                 | retention of function and API access log groups              |
 */
import { buildApp } from './build.ts';
import { DeployContextError } from './settings.ts';

try {
  buildApp().app.synth();
} catch (error) {
  // A settings mistake is the operator's to fix: say what, not where in the CDK it was noticed.
  if (!(error instanceof DeployContextError)) throw error;
  console.error(`Termwatch: ${error.message}`);
  process.exit(1);
}
