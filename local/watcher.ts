import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Policy } from '../shared/domain/policy.ts';
import { bearerTokenAuthenticator } from '../shared/http/auth.ts';
import { oidcSettingsFromEnv, oidcVerifier } from '../shared/http/auth/oidc.ts';
import { readUsersFile, type UserEntry } from '../shared/http/auth/users-file.ts';
import { adminHandlers, apiHandlers } from '../shared/http/api.ts';
import { createHttpApp } from '../shared/http/app.ts';
import { webhookHandlers } from '../shared/http/webhook-routes.ts';
import { logger } from '../shared/powertools.ts';
import { createStore, type Store } from '../shared/store/client.ts';
import { tableDefinition } from '../shared/store/table.ts';
import { runSweep } from '../shared/usecases/sweep.ts';
import { deliverAfterSweep } from '../shared/usecases/deliver.ts';
import { LogNotifier } from '../shared/adapters/log-notifier.ts';
import { SlackNotifier, type SlackSendOptions } from '../shared/adapters/slack.ts';
import { smtpMailSender } from '../shared/adapters/mail.ts';
import { loadDeliveryConfig, type DeliveryConfig } from '../shared/config/delivery.ts';
import type { Notifier } from '../shared/ports/notifier.ts';
import { createProcessor } from '../functions/processor/processor.ts';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from './dynamodb-local.ts';
import { startHttpServer } from './http-server.ts';
import { dashboardSite } from './dashboard-site.ts';
import { loadLocalSecrets } from './secrets.ts';
import { SpoolQueue } from './spool-queue.ts';
import { ensureTable } from '../shared/store/table-admin.ts';
import { backfillAccountDirectory } from '../shared/store/account-directory-backfill.ts';
import { RUNTIME_FILE } from './local-target.ts';

export interface WatcherOptions {
  dataDir: string;
  port: number;
  host?: string;
  policy: Policy;
  /** Use an already running DynamoDB Local (tests) instead of starting one in the data dir. */
  dynamoEndpoint?: string;
  tableName?: string;
  /** How often the local sweep runs; 0 disables the timer. */
  sweepIntervalMs?: number;
  queue?: { maxReceives?: number; retryBaseMs?: number; concurrency?: number };
  clock?: () => Date;
  env?: NodeJS.ProcessEnv;
  /** Slack retry timing (tests shorten the backoff). */
  slack?: SlackSendOptions & { leaseMs?: number };
  /** Email digest retries within one run (tests shorten the delay). */
  digest?: { attempts?: number; retryDelayMs?: number };
}

export interface RunningWatcher {
  url: string;
  port: number;
  apiToken: string;
  webhookSecret: string;
  generatedSecrets: string[];
  store: Store;
  queue: SpoolQueue;
  recoveredEvents: number;
  /** The port of the DynamoDB Local this watcher started, if it started one. */
  dynamoPort?: number;
  /** The delivery channels as configured (WATCHER_SLACK_WEBHOOK_URL, WATCHER_SMTP_URL, ...). */
  delivery: DeliveryConfig;
  stop(): Promise<void>;
}

/**
 * The whole watcher on one machine: DynamoDB Local (persisting under the data dir), the table
 * from the shared definition, the HTTP API and webhook through the Lambda handlers' router,
 * a durable local queue feeding the processor in SQS-shaped batches, and the sweep on a timer.
 */
export async function startWatcher(options: WatcherOptions): Promise<RunningWatcher> {
  const dataDir = resolve(options.dataDir);
  const clock = options.clock ?? (() => new Date());
  const secrets = loadLocalSecrets(dataDir, options.env);
  const env = options.env ?? process.env;
  // People: checked before anything starts, so a malformed users file or issuer stops start-up.
  // WATCHER_USERS, else the data dir's users.json when `npm run users` wrote one there.
  const usersFile = env.WATCHER_USERS || (existsSync(join(dataDir, 'users.json')) ? join(dataDir, 'users.json') : undefined);
  const users: UserEntry[] = usersFile ? readUsersFile(usersFile) : [];
  const oidc = oidcSettingsFromEnv(env);
  // Delivery settings too: a malformed URL or address stops start-up, naming the variable.
  const delivery = loadDeliveryConfig(env, { publicUrl: '' });
  let dynamo: RunningDynamoDbLocal | undefined;
  if (!options.dynamoEndpoint) dynamo = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
  const endpoint = options.dynamoEndpoint ?? (dynamo as RunningDynamoDbLocal).endpoint;
  const tableName = options.tableName ?? tableDefinition.defaultName;
  const admin = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let table: Awaited<ReturnType<typeof ensureTable>>;
  try {
    table = await ensureTable(admin, tableName);
  } finally {
    admin.destroy();
  }
  const store = createStore({ tableName, endpoint });
  if (table.replaced.length > 0) {
    logger.info('table indexes replaced: their projection differed from the table definition (keys only now); DynamoDB rebuilt them from the items', {
      table: tableName,
      indexes: table.replaced,
    });
  }
  // A table from before the account directory (gsi3): its account items join it once.
  if (table.added.includes('gsi3')) await backfillAccountDirectory(store);
  const queue = new SpoolQueue({ dir: join(dataDir, 'queue'), ...options.queue });
  const recoveredEvents = await queue.open();
  queue.start(createProcessor({ store, policy: options.policy, clock }, { throwOnFullBatchFailure: false }));

  // Known once the server listens (port 0 in tests) unless WATCHER_PUBLIC_URL names it.
  let publicUrl = delivery.publicUrl;
  const apiDeps = { store, policy: options.policy, clock, ...(delivery.publicUrl ? { publicUrl: delivery.publicUrl } : {}) };
  // Locally a notification is a log line (its full text is at GET /notifications), and a Slack message when configured.
  const notifiers: Notifier[] = [new LogNotifier()];
  if (delivery.slack) {
    const { leaseMs, ...send } = options.slack ?? {};
    notifiers.push(
      new SlackNotifier({ store, webhookUrl: delivery.slack.webhookUrl, publicUrl: () => publicUrl, now: clock, send, ...(leaseMs ? { leaseMs } : {}) }),
    );
  }
  const mail = delivery.mail?.smtpUrl ? { sender: smtpMailSender(delivery.mail.smtpUrl), from: delivery.mail.from, to: delivery.mail.to } : undefined;
  const deliver = () =>
    deliverAfterSweep({
      store,
      notifiers,
      now: clock,
      ...(mail ? { digest: { store, policy: options.policy, mail, publicUrl, now: clock, ...options.digest } } : {}),
    });
  const app = createHttpApp({
    handlers: {
      ...apiHandlers(apiDeps),
      ...adminHandlers({ ...apiDeps, deliver, queue }),
      ...webhookHandlers({ store, queue, webhookSecret: async () => secrets.webhookSecret, clock }),
    },
    fns: ['api', 'webhook'],
    includeLocalOnly: true,
    authenticate: bearerTokenAuthenticator(secrets.apiToken, { users, ...(oidc ? { verifyJwt: oidcVerifier(oidc) } : {}) }),
  });
  const site = await dashboardSite(oidc ? { oidcIssuer: oidc.issuer, oidcClientId: oidc.audience } : {});
  const http = await startHttpServer({
    host: options.host ?? '127.0.0.1',
    port: options.port,
    handle: async (event) => site.serve(event) ?? app(event),
  });
  publicUrl ||= `http://${options.host ?? '127.0.0.1'}:${http.port}`;

  let sweepTimer: NodeJS.Timeout | undefined;
  // Every five minutes: cheap (it reads only what is due) and opens settled reviews promptly.
  const sweepIntervalMs = options.sweepIntervalMs ?? 5 * 60 * 1000;
  if (sweepIntervalMs > 0) {
    const sweep = () =>
      runSweep(apiDeps, clock())
        .then(async (result) => {
          const delivered = await deliver();
          logger.info('local sweep finished', {
            ...result,
            dispatched: delivered.dispatched.sent,
            ...(delivered.digests ? { digests: delivered.digests } : {}),
          });
        })
        .catch((error: unknown) => logger.error('local sweep failed', { error: error as Error }));
    sweepTimer = setInterval(sweep, sweepIntervalMs);
    sweepTimer.unref();
    void sweep();
  }

  const url = `http://${options.host ?? '127.0.0.1'}:${http.port}`;
  // Lets other local commands (the backfill) use this watcher's DynamoDB Local while it runs:
  // two DynamoDB Local processes must not open the same data files.
  const runtimeFile = join(dataDir, RUNTIME_FILE);
  writeFileSync(runtimeFile, JSON.stringify({ pid: process.pid, url, dynamoEndpoint: endpoint, tableName }, null, 2));
  return {
    url,
    port: http.port,
    apiToken: secrets.apiToken,
    webhookSecret: secrets.webhookSecret,
    generatedSecrets: secrets.generated,
    store,
    queue,
    recoveredEvents,
    ...(dynamo ? { dynamoPort: dynamo.port } : {}),
    delivery: { ...delivery, publicUrl },
    async stop() {
      if (sweepTimer) clearInterval(sweepTimer);
      rmSync(runtimeFile, { force: true });
      await http.close();
      await queue.stop();
      store.doc.destroy();
      await dynamo?.stop();
    },
  };
}
