import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalSecrets {
  webhookSecret: string;
  apiToken: string;
  /** Which values were generated (and kept in the data dir) rather than given in the environment. */
  generated: Array<'webhookSecret' | 'apiToken'>;
}

/**
 * Local mode's secrets: from the environment when set, else generated once and kept in the data
 * directory (mode 600) so a restart keeps the same webhook secret and token.
 */
export function loadLocalSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): LocalSecrets {
  const path = join(dataDir, 'secrets.json');
  let kept: { webhookSecret?: string; apiToken?: string } = {};
  if (existsSync(path)) kept = JSON.parse(readFileSync(path, 'utf8')) as typeof kept;
  const generated: LocalSecrets['generated'] = [];
  const generate = (name: (typeof generated)[number], make: () => string) => {
    generated.push(name);
    return make();
  };
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET || kept.webhookSecret || generate('webhookSecret', () => `whsec_${randomBytes(24).toString('hex')}`);
  const apiToken = env.WATCHER_API_TOKEN || kept.apiToken || generate('apiToken', () => randomBytes(24).toString('base64url'));
  if (generated.length > 0) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(
      path,
      JSON.stringify(
        {
          webhookSecret: kept.webhookSecret ?? (env.STRIPE_WEBHOOK_SECRET ? undefined : webhookSecret),
          apiToken: kept.apiToken ?? (env.WATCHER_API_TOKEN ? undefined : apiToken),
        },
        null,
        2,
      ),
      { mode: 0o600 },
    );
  }
  return { webhookSecret, apiToken, generated };
}
