/**
 * The load generator for the webhook benchmark, run as its own `node` process so the client's
 * work does not share the server's event loop (as Stripe's deliveries do not).
 * Reads a plan (JSON file named by argv[2]): the base URL, the number of concurrent workers and
 * the requests in order. Each worker takes the next request as soon as its last one answered.
 * Prints one JSON line: per request its class, latency (request sent → body read) and status.
 */
import { readFileSync } from 'node:fs';

export interface PlannedRequest {
  cls: string;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadPlan {
  url: string;
  concurrency: number;
  requests: PlannedRequest[];
}

export interface LoadSample {
  cls: string;
  ms: number;
  status: number;
  /** The webhook's `outcome` field, when the body has one. */
  outcome?: string;
}

export interface LoadReport {
  wallMs: number;
  samples: LoadSample[];
}

async function main(): Promise<void> {
  const path = process.argv[2];
  if (!path) throw new Error('usage: load-client.ts <plan.json>');
  const plan = JSON.parse(readFileSync(path, 'utf8')) as LoadPlan;
  const host = new URL(plan.url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`refusing to load anything but this machine (${plan.url})`);
  const samples: LoadSample[] = new Array(plan.requests.length);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: plan.concurrency }, async () => {
      for (let i = next++; i < plan.requests.length; i = next++) {
        const request = plan.requests[i]!;
        const t0 = performance.now();
        let status = 0;
        let outcome: string | undefined;
        try {
          const response = await fetch(`${plan.url}${request.path}`, {
            method: request.method,
            ...(request.headers ? { headers: request.headers } : {}),
            ...(request.body !== undefined ? { body: request.body } : {}),
          });
          const text = await response.text();
          status = response.status;
          try {
            outcome = (JSON.parse(text) as { outcome?: string }).outcome;
          } catch {
            outcome = undefined;
          }
        } catch {
          status = -1;
        }
        samples[i] = { cls: request.cls, ms: performance.now() - t0, status, ...(outcome ? { outcome } : {}) };
      }
    }),
  );
  const report: LoadReport = { wallMs: performance.now() - started, samples };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
