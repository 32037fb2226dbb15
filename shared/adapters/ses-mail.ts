import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { MailSender } from '../ports/mail-sender.ts';

/**
 * Email through SES v2 (`SendEmail` with simple content: SES composes the MIME message, so the
 * function needs neither nodemailer nor `ses:SendRawEmail`, and the bundle stays small). The
 * subject is ours (no customer data) and folded to one line all the same.
 */
export function sesMailSender(client: SESv2Client): MailSender {
  return {
    async send(mail) {
      await client.send(
        new SendEmailCommand({
          FromEmailAddress: mail.from,
          Destination: { ToAddresses: [mail.to] },
          Content: {
            Simple: {
              Subject: { Data: mail.subject.replace(/[\r\n]+/g, ' '), Charset: 'UTF-8' },
              Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
            },
          },
        }),
      );
    },
  };
}
