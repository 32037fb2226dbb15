/** One email as the digest sends it; the addresses come from configuration, never from customer data. */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** A stable Message-ID, so a mail client can tell a resent digest is the same one (SMTP; SES sets its own). */
  messageId: string;
}

/** Sends one email; resolves once the server has accepted it, rejects otherwise. */
export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
}
