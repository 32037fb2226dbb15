/**
 * `npm start`: the whole watcher on this machine. Environment: PORT (3000), WATCHER_DATA_DIR
 * (.data), STRIPE_WEBHOOK_SECRET and WATCHER_API_TOKEN (generated and kept when unset),
 * WATCHER_POLICY (policy JSON file); delivery: WATCHER_SLACK_WEBHOOK_URL, WATCHER_SMTP_URL,
 * WATCHER_MAIL_FROM, WATCHER_MAIL_TO, WATCHER_PUBLIC_URL. See README.md.
 */
import './node-version.ts';
import { loadPolicy, PolicyError } from '../shared/config/policy.ts';
import { JavaMissingError } from './dynamodb-local.ts';
import { OidcConfigError } from '../shared/http/auth/oidc.ts';
import { UsersFileError } from '../shared/http/auth/users-file.ts';
import { startWatcher } from './watcher.ts';
import { DeliveryConfigError, describeChannels } from '../shared/config/delivery.ts';

const started = Date.now();
const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got "${process.env.PORT}"`);
  process.exit(1);
}
const dataDir = process.env.WATCHER_DATA_DIR || '.data';

let policy;
try {
  policy = loadPolicy(process.env.WATCHER_POLICY);
} catch (error) {
  if (error instanceof PolicyError) {
    console.error(`Termwatch cannot start: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

try {
  const watcher = await startWatcher({ dataDir, port, policy });
  const webhookUrl = `${watcher.url}/webhooks/stripe`;
  const lines = [
    '',
    `Termwatch is running (started in ${Date.now() - started} ms; data in ${dataDir}; DynamoDB Local on port ${watcher.dynamoPort ?? 'external'})`,
    `  API:          ${watcher.url}   (try: curl -H "Authorization: Bearer $WATCHER_API_TOKEN" ${watcher.url}/accounts?flag=late_payer)`,
    `  Dashboard:    ${watcher.url}/app/   (sign in with the API token below)`,
    `  Webhook URL:  ${webhookUrl}`,
    `  API token:    ${watcher.apiToken}${watcher.generatedSecrets.includes('apiToken') ? '   (generated; kept in the data dir; set WATCHER_API_TOKEN to choose one)' : ''}`,
    `  Webhook secret: ${watcher.webhookSecret}${watcher.generatedSecrets.includes('webhookSecret') ? '   (generated; kept in the data dir)' : ''}`,
    '',
    '  Forward Stripe test events with the Stripe CLI:',
    `    stripe listen --forward-to localhost:${watcher.port}/webhooks/stripe`,
    '  The CLI prints its own whsec_ secret: restart with STRIPE_WEBHOOK_SECRET=<that secret> npm start',
    '',
    '  Delivery to people:',
    ...describeChannels(watcher.delivery),
    ...(watcher.recoveredEvents > 0 ? [`  Resumed ${watcher.recoveredEvents} event(s) accepted before the last stop.`] : []),
    ...(watcher.queue.deadLetters().length > 0
      ? [`  ${watcher.queue.deadLetters().length} dead-lettered event(s): GET /admin/dead-letters lists them, POST /admin/dead-letters/redrive retries them.`]
      : []),
    '',
    'Ctrl-C stops everything (DynamoDB Local included); the data stays for the next start.',
  ];
  console.log(lines.join('\n'));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Termwatch…`);
    watcher
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  if (error instanceof JavaMissingError || error instanceof UsersFileError || error instanceof OidcConfigError || error instanceof DeliveryConfigError) {
    console.error(`Termwatch cannot start: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
