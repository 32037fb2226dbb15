/**
 * Delivery to people (Slack, the email digest, links into the dashboard), read from the
 * environment. Every channel is optional; a variable that is set but malformed stops start-up
 * with a message naming it, never a channel that silently stays off.
 */
export class DeliveryConfigError extends Error {
  override readonly name = 'DeliveryConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable} ${message}`);
  }
}

export interface DeliveryConfig {
  /** The dashboard's base URL, without a trailing slash. */
  publicUrl: string;
  slack?: { webhookUrl: string };
  mail?: { smtpUrl?: string; from: string; to: string[] };
}

/** A plain address (no display name, no line break): it goes into headers as it is. */
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function parseAddress(variable: string, value: string): string {
  const address = value.trim();
  if (!ADDRESS.test(address) || address.length > 254) throw new DeliveryConfigError(variable, `must be an email address like finance@example.com, got ${JSON.stringify(value)}`);
  return address;
}

function parseUrl(variable: string, value: string, protocols: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DeliveryConfigError(variable, `is not a URL: ${JSON.stringify(value)}`);
  }
  if (!protocols.includes(url.protocol)) throw new DeliveryConfigError(variable, `must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`);
  return url;
}

/**
 * Locally: `WATCHER_SLACK_WEBHOOK_URL`, `WATCHER_SMTP_URL` + `WATCHER_MAIL_FROM` + `WATCHER_MAIL_TO`,
 * `WATCHER_PUBLIC_URL` (default: the local API's URL). On AWS the sweep function gets the mail
 * settings from context and the Slack URL from Secrets Manager (`smtp: false`: SES sends).
 */
export function loadDeliveryConfig(env: NodeJS.ProcessEnv, defaults: { publicUrl: string; smtp?: boolean }): DeliveryConfig {
  const set = (name: string) => (env[name] !== undefined && env[name] !== '' ? env[name] : undefined);
  const publicUrlValue = set('WATCHER_PUBLIC_URL');
  const publicUrl = publicUrlValue ? parseUrl('WATCHER_PUBLIC_URL', publicUrlValue, ['http:', 'https:']).href.replace(/\/+$/, '') : defaults.publicUrl.replace(/\/+$/, '');
  const config: DeliveryConfig = { publicUrl };

  const slack = set('WATCHER_SLACK_WEBHOOK_URL');
  if (slack) config.slack = { webhookUrl: parseUrl('WATCHER_SLACK_WEBHOOK_URL', slack, ['https:', 'http:']).href };

  const smtpUrl = set('WATCHER_SMTP_URL');
  const from = set('WATCHER_MAIL_FROM');
  const to = set('WATCHER_MAIL_TO');
  const smtp = defaults.smtp ?? true;
  if (smtpUrl && !smtp) throw new DeliveryConfigError('WATCHER_SMTP_URL', 'is not used here (SES sends the digest)');
  if (smtpUrl) parseUrl('WATCHER_SMTP_URL', smtpUrl, ['smtp:', 'smtps:']);
  if (smtpUrl || from || to || !smtp) {
    if (smtp && !smtpUrl && (from || to)) throw new DeliveryConfigError('WATCHER_SMTP_URL', 'is required when WATCHER_MAIL_FROM or WATCHER_MAIL_TO is set');
    if (!from && (smtpUrl || to)) throw new DeliveryConfigError('WATCHER_MAIL_FROM', 'is required to send the email digest');
    if (!to && (smtpUrl || from)) throw new DeliveryConfigError('WATCHER_MAIL_TO', 'is required to send the email digest (comma-separated addresses)');
    if (from && to) {
      const recipients = to.split(',').map((a) => a.trim()).filter((a) => a !== '').map((a) => parseAddress('WATCHER_MAIL_TO', a));
      if (recipients.length === 0) throw new DeliveryConfigError('WATCHER_MAIL_TO', 'names no address');
      config.mail = { ...(smtpUrl ? { smtpUrl } : {}), from: parseAddress('WATCHER_MAIL_FROM', from), to: [...new Set(recipients)] };
    }
  }
  return config;
}

/** What `npm start` prints: which channels are on. */
export function describeChannels(config: DeliveryConfig): string[] {
  return [
    `  Slack:        ${config.slack ? `on (${new URL(config.slack.webhookUrl).host})` : 'off (set WATCHER_SLACK_WEBHOOK_URL)'}`,
    `  Email digest: ${config.mail ? `on (to ${config.mail.to.join(', ')})` : 'off (set WATCHER_SMTP_URL, WATCHER_MAIL_FROM, WATCHER_MAIL_TO)'}`,
    `  Calendar:     on (POST /calendar-feeds; links use ${config.publicUrl})`,
  ];
}
