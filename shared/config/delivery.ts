import * as z from '../zod.ts';

/**
 * Delivery to people (Slack, the email digest, links into the dashboard), read from the
 * environment with zod at start-up. Every channel is optional; a variable that is set but
 * malformed stops start-up with a message naming it, never a channel that silently stays off.
 */
export class DeliveryConfigError extends Error {
  override readonly name = 'DeliveryConfigError';
  constructor(
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${variable} ${message}`, options);
  }
}

/** A plain address (no display name, no line break): it goes into headers as it is. */
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

const urlWith = (protocols: readonly string[]) =>
  z.string().check(
    z.refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL`,
    ),
  );

const addressSchema = z.string().check(z.trim(), z.maxLength(254), z.regex(ADDRESS, 'must be an email address like finance@example.com'));

/** The variables, one schema each; empty means unset. */
export const deliveryEnvSchema = z.object({
  WATCHER_PUBLIC_URL: z.optional(urlWith(['http:', 'https:'])),
  WATCHER_SLACK_WEBHOOK_URL: z.optional(urlWith(['https:', 'http:'])),
  WATCHER_SMTP_URL: z.optional(urlWith(['smtp:', 'smtps:'])),
  WATCHER_MAIL_FROM: z.optional(addressSchema),
  WATCHER_MAIL_TO: z.optional(
    z
      .pipe(
        z.string(),
        z.transform((value) =>
          value
            .split(',')
            .map((a) => a.trim())
            .filter((a) => a !== ''),
        ),
      )
      .check(z.minLength(1, 'names no address')),
  ),
});

export const deliveryConfigSchema = z.object({
  /** The dashboard's base URL, without a trailing slash. */
  publicUrl: z.string(),
  slack: z.optional(z.object({ webhookUrl: z.string() })),
  /** `smtpUrl` absent: SES sends (AWS). */
  mail: z.optional(z.object({ smtpUrl: z.optional(z.string()), from: z.string(), to: z.array(z.string()) })),
});
export type DeliveryConfig = z.infer<typeof deliveryConfigSchema>;

/**
 * Locally: `WATCHER_SLACK_WEBHOOK_URL`, `WATCHER_SMTP_URL` + `WATCHER_MAIL_FROM` + `WATCHER_MAIL_TO`,
 * `WATCHER_PUBLIC_URL` (default: the local API's URL). On AWS (`smtp: false`) SES sends: the sweep
 * function gets the addresses from context and the Slack URL from Secrets Manager.
 */
export function loadDeliveryConfig(env: NodeJS.ProcessEnv, defaults: { publicUrl: string; smtp?: boolean }): DeliveryConfig {
  const present = Object.fromEntries(Object.keys(deliveryEnvSchema.shape).flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
  const parsed = deliveryEnvSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'delivery settings');
    const index = issue?.path[1];
    throw new DeliveryConfigError(
      variable,
      `${issue?.message ?? 'is malformed'}${index !== undefined ? ` (address ${Number(index) + 1})` : ''}, got ${JSON.stringify(present[variable] ?? '')}`,
    );
  }
  const v = parsed.data;
  const to = v.WATCHER_MAIL_TO?.map((address, i) => {
    const one = addressSchema.safeParse(address);
    if (!one.success)
      throw new DeliveryConfigError('WATCHER_MAIL_TO', `must list email addresses like finance@example.com, got ${JSON.stringify(address)} (address ${i + 1})`);
    return one.data;
  });
  const smtp = defaults.smtp ?? true;
  if (v.WATCHER_SMTP_URL && !smtp) throw new DeliveryConfigError('WATCHER_SMTP_URL', 'is not used here (SES sends the digest)');
  const anyMail = v.WATCHER_SMTP_URL || v.WATCHER_MAIL_FROM || to;
  if (anyMail) {
    if (smtp && !v.WATCHER_SMTP_URL) throw new DeliveryConfigError('WATCHER_SMTP_URL', 'is required when WATCHER_MAIL_FROM or WATCHER_MAIL_TO is set');
    if (!v.WATCHER_MAIL_FROM) throw new DeliveryConfigError('WATCHER_MAIL_FROM', 'is required to send the email digest');
    if (!to) throw new DeliveryConfigError('WATCHER_MAIL_TO', 'is required to send the email digest (comma-separated addresses)');
  }
  return {
    publicUrl: (v.WATCHER_PUBLIC_URL ?? defaults.publicUrl).replace(/\/+$/, ''),
    ...(v.WATCHER_SLACK_WEBHOOK_URL ? { slack: { webhookUrl: v.WATCHER_SLACK_WEBHOOK_URL } } : {}),
    ...(v.WATCHER_MAIL_FROM && to
      ? {
          mail: { ...(v.WATCHER_SMTP_URL ? { smtpUrl: v.WATCHER_SMTP_URL } : {}), from: v.WATCHER_MAIL_FROM, to: [...new Set(to.map((a) => a.toLowerCase()))] },
        }
      : {}),
  };
}

/** What `npm start` prints: which channels are on (never a secret: Slack by host only, SMTP without credentials). */
export function describeChannels(config: DeliveryConfig): string[] {
  const smtpHost = config.mail?.smtpUrl ? new URL(config.mail.smtpUrl).host : 'SES';
  return [
    `  Slack:        ${config.slack ? `on (${new URL(config.slack.webhookUrl).host})` : 'off (set WATCHER_SLACK_WEBHOOK_URL)'}`,
    `  Email digest: ${config.mail ? `on (to ${config.mail.to.join(', ')} via ${smtpHost})` : 'off (set WATCHER_SMTP_URL, WATCHER_MAIL_FROM, WATCHER_MAIL_TO)'}`,
    `  Calendar:     on (POST /calendar-feeds; links use ${config.publicUrl})`,
  ];
}
