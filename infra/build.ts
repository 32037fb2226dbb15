import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';
import { loadStageConfig, readDeploySettings, type DeploySettings } from './settings.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';
import { StatelessStack } from './stacks/stateless-stack.ts';

export interface BuildAppOptions {
  /** CDK context, as `-c key=value` or cdk.json would give it (tests pass it here). */
  readonly context?: Record<string, unknown>;
  /** Where to write the cloud assembly; the CLI sets CDK_OUTDIR, tests get a temporary directory. */
  readonly outdir?: string;
  /** Where the committed per-stage files live (`<stage>.json`); the repository's `config/` by default. */
  readonly configDir?: string;
}

export interface WatcherApp {
  readonly app: App;
  readonly settings: DeploySettings;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/**
 * Builds the whole CDK app without synthesizing it: `infra/app.ts` synthesizes for the CLI,
 * tests inspect the stacks. cdk-nag's AwsSolutions and Serverless packs check every resource
 * during synthesis: an unacknowledged error-level finding fails `cdk synth`, and the tests in
 * test/infra refuse warning-level ones too.
 */
export function buildApp(options: BuildAppOptions = {}): WatcherApp {
  const app = new App({
    ...(options.context ? { context: options.context } : {}),
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const lookup = (key: string): unknown => app.node.tryGetContext(key);
  // The stage names the committed file; an invalid stage name is reported by readDeploySettings.
  const stage = lookup('stage');
  const committed =
    typeof stage === 'string' && /^[a-z][a-z0-9-]{0,19}$/.test(stage)
      ? loadStageConfig(options.configDir ?? join(repoRoot, 'config'), stage)
      : stage === undefined
        ? loadStageConfig(options.configDir ?? join(repoRoot, 'config'), 'dev')
        : undefined;
  const settings = readDeploySettings(lookup, process.env, committed);
  const env = { account: settings.account, region: settings.region };
  const prefix = `Termwatch-${settings.stage}`;
  // Production stacks refuse `cdk destroy` (and a delete from the console) until it is switched off.
  const terminationProtection = settings.terminationProtection;

  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    env,
    settings,
    terminationProtection,
    description: `Termwatch ${settings.stage}: table, Stripe secrets, notification topic, event bus`,
  });
  const stateless = new StatelessStack(app, `${prefix}-Stateless`, {
    env,
    settings,
    terminationProtection,
    description: `Termwatch ${settings.stage}: functions, ingest queue, HTTP API, hourly sweep schedule, alarms`,
    table: stateful.table,
    notifyTopic: stateful.notifyTopic,
    notifyKey: stateful.notifyKey,
    alarmTopic: stateful.alarmTopic,
    eventBus: stateful.eventBus,
    stripeWebhookSecret: stateful.stripeWebhookSecret,
    ...(stateful.slackWebhookSecret ? { slackWebhookSecret: stateful.slackWebhookSecret } : {}),
    ...(stateful.mailIdentity ? { mailIdentity: stateful.mailIdentity } : {}),
  });

  Tags.of(app).add('project', 'termwatch');
  Tags.of(app).add('stage', settings.stage);
  // cdk-nag 3: packs are CDK validation plugins; acknowledgements are `Validations.of(x).acknowledge`.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
  return { app, settings, stateful, stateless };
}
