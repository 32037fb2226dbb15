import { createTransport, type Transporter } from 'nodemailer';
import type { MailSender, OutgoingMail } from '../ports/mail-sender.ts';

/**
 * Email over SMTP through nodemailer (local mode; on AWS, shared/adapters/ses-mail.ts). nodemailer
 * folds and encodes header values (a subject with a line break cannot add a header), and the
 * addresses come from configuration, never from customer data.
 */

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
