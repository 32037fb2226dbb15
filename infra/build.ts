import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { readDeploySettings, type DeploySettings } from './settings.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';
import { StatelessStack } from './stacks/stateless-stack.ts';

export interface BuildAppOptions {
  /** CDK context, as `-c key=value` or cdk.json would give it (tests pass it here). */
  readonly context?: Record<string, unknown>;
  /** Where to write the cloud assembly; the CLI sets CDK_OUTDIR, tests get a temporary directory. */
  readonly outdir?: string;
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
  const settings = readDeploySettings((key) => app.node.tryGetContext(key));
  const env = { account: settings.account, region: settings.region };
  const prefix = `Termwatch-${settings.stage}`;

  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    env,
    settings,
    description: `Termwatch ${settings.stage}: table, Stripe secrets, notification topic, event bus`,
  });
  const stateless = new StatelessStack(app, `${prefix}-Stateless`, {
    env,
    settings,
    description: `Termwatch ${settings.stage}: functions, ingest queue, HTTP API, hourly sweep schedule, alarms`,
    table: stateful.table,
    notifyTopic: stateful.notifyTopic,
    notifyKey: stateful.notifyKey,
    eventBus: stateful.eventBus,
    stripeWebhookSecret: stateful.stripeWebhookSecret,
  });

  Tags.of(app).add('project', 'termwatch');
  Tags.of(app).add('stage', settings.stage);
  // cdk-nag 3: packs are CDK validation plugins; acknowledgements are `Validations.of(x).acknowledge`.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ServerlessChecks(app, { verbose: true }));
  return { app, settings, stateful, stateless };
}
