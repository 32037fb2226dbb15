import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the receiver does with one request: answer a status (with headers), or drop the connection mid-request. */
export type SlackStep = { status: number; headers?: Record<string, string>; body?: string } | 'drop' | 'hang';

export interface SlackRequest {
  at: number;
  body: any;
  /** What the receiver answered: a status, or `drop`. */
  answer: number | 'drop' | 'hang';
}

/**
 * A local Slack incoming-webhook endpoint over real HTTP. It plays `script` one step per request
 * (then `otherwise`, by default 200 "ok" as Slack answers), and keeps every request it saw, so a
 * test can tell the messages Slack would have posted (answered 2xx) from the refused ones.
 */
export async function startSlackReceiver(script: SlackStep[] = [], otherwise: SlackStep = { status: 200, body: 'ok' }) {
  const requests: SlackRequest[] = [];
  const steps = [...script];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const step = steps.shift() ?? otherwise;
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      requests.push({ at: Date.now(), body, answer: typeof step === 'string' ? step : step.status });
      // Never answers: a slow or stuck endpoint (the sender's timeout must end the attempt).
      if (step === 'hang') return;
      if (step === 'drop') {
        // The connection goes away without an answer, as a proxy or Slack's edge might.
        req.socket.destroy();
        return;
      }
      res.writeHead(step.status, { 'content-type': 'text/plain', ...step.headers });
      res.end(step.body ?? (step.status < 300 ? 'ok' : 'error'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/secret`,
    requests,
    /** Messages Slack took (2xx): what people see. */
    delivered: () => requests.filter((r) => typeof r.answer === 'number' && r.answer < 300),
    script: (more: SlackStep[]) => steps.push(...more),
    setOtherwise: (step: SlackStep) => {
      otherwise = step;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
