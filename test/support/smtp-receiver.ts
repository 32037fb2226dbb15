import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** What the server answers at the end of one message's data: accept, or an SMTP error code. */
export type SmtpStep = 'accept' | { code: number; message: string };

/**
 * A real SMTP server on loopback (smtp-server) that parses what it accepts with a MIME parser
 * (mailparser), playing `script` one step per message and then `otherwise`.
 */
export async function startSmtpReceiver(script: SmtpStep[] = [], otherwise: SmtpStep = 'accept') {
  const accepted: Array<ParsedMail & { envelopeTo: string[] }> = [];
  let refused = 0;
  const steps = [...script];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const step = steps.shift() ?? otherwise;
          if (step === 'accept') {
            accepted.push(Object.assign(mail, { envelopeTo: session.envelope.rcptTo.map((r) => r.address) }));
            callback();
            return;
          }
          refused++;
          callback(Object.assign(new Error(step.message), { responseCode: step.code }));
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    accepted,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
