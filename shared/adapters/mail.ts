import { createTransport, type Transporter } from 'nodemailer';

/**
 * Email through nodemailer: SMTP locally (`WATCHER_SMTP_URL`), SES v2 on AWS through nodemailer's
 * SES transport. One MIME composer for both, so headers are encoded the same way everywhere:
 * nodemailer folds and encodes header values (a subject with a line break cannot add a header),
 * and the addresses come from configuration, never from customer data.
 */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** A stable Message-ID, so a mail client can tell a resent digest is the same one. */
  messageId: string;
}

export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
}

/** Bounded: a server that accepts the connection and then stalls fails the attempt instead of the sweep. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

export function smtpMailSender(smtpUrl: string, options: { timeouts?: Partial<typeof SMTP_TIMEOUTS> } = {}): MailSender {
  const url = new URL(smtpUrl);
  const transport: Transporter = createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
    secure: url.protocol === 'smtps:',
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    ...SMTP_TIMEOUTS,
    ...options.timeouts,
    // Tests run a local server with a self-signed certificate; a real relay gets full verification.
    ...(url.hostname === '127.0.0.1' || url.hostname === 'localhost' ? { tls: { rejectUnauthorized: false } } : {}),
  });
  return { send: (mail) => transport.sendMail(toNodemailer(mail)).then(() => undefined) };
}

export async function sesMailSender(options: { region?: string } = {}): Promise<MailSender> {
  // Loaded only where SES sends (the sweep function on AWS): local mode never pulls in the SES client.
  const { SESv2Client, SendEmailCommand } = await import('@aws-sdk/client-sesv2');
  const transport = createTransport({ SES: { sesClient: new SESv2Client(options.region ? { region: options.region } : {}), SendEmailCommand } });
  return { send: (mail) => transport.sendMail(toNodemailer(mail)).then(() => undefined) };
}

function toNodemailer(mail: OutgoingMail) {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject.replace(/[\r\n]+/g, ' '),
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
