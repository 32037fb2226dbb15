import Stripe from 'stripe';
import { RateLimiter } from './rate-limiter.ts';

type HttpClientInterface = Stripe.HttpClient;
type HttpClientResponseInterface = Stripe.HttpClientResponse;

export class StripeSettingsError extends Error {
  override readonly name = 'StripeSettingsError';
}

export interface BackfillStripeOptions {
  apiKey: string;
  /** `STRIPE_API_BASE`: Stripe's own by default; stripe-mock or any Stripe-compatible endpoint. */
  apiBase?: string;
  /** Requests per second at most (Stripe allows 100/s in live mode, 25/s in test mode). */
  ratePerSecond?: number;
  /** The SDK's network retries (connection errors, 409, 5xx, and here 429), with its backoff. */
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

export interface BackfillStripe {
  stripe: Stripe;
  limiter: RateLimiter;
  /** Requests sent (retries included) and 429 answers received, for the summary. */
  stats: { requests: number; throttled: number };
}

export const DEFAULT_RATE_PER_SECOND = 20;

/** `STRIPE_API_BASE` as the SDK's host, port and protocol. */
export function stripeEndpoint(apiBase: string | undefined): { host?: string; port?: number; protocol?: 'http' | 'https' } {
  if (!apiBase) return {};
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch (cause) {
    throw new StripeSettingsError(`STRIPE_API_BASE is not a URL: ${apiBase}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StripeSettingsError(`STRIPE_API_BASE must be http(s): ${apiBase}`);
  if (url.pathname !== '/' && url.pathname !== '') throw new StripeSettingsError(`STRIPE_API_BASE must not have a path (the SDK adds /v1): ${apiBase}`);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443, protocol };
}

/**
 * The SDK retries 409s, 5xx and connection errors, but a 429 only when Stripe adds
 * `Stripe-Should-Retry: true`. This client takes a token from the limiter before every request
 * (retries included), and marks a 429 without that header as retryable after slowing the
 * limiter down, so the SDK's own backoff handles it.
 */
class RateLimitedHttpClient implements HttpClientInterface {
  constructor(
    private readonly inner: HttpClientInterface,
    private readonly limiter: RateLimiter,
    private readonly stats: BackfillStripe['stats'],
  ) {}

  getClientName(): string {
    return `${this.inner.getClientName()}+rate-limited`;
  }

  async makeRequest(...args: Parameters<HttpClientInterface['makeRequest']>): Promise<HttpClientResponseInterface> {
    await this.limiter.take();
    this.stats.requests++;
    const response = await this.inner.makeRequest(...args);
    if (response.getStatusCode() !== 429) {
      this.limiter.onSuccess();
      return response;
    }
    this.stats.throttled++;
    this.limiter.onThrottled();
    const headers = response.getHeaders();
    if (headers['stripe-should-retry'] !== undefined) return response;
    return {
      getStatusCode: () => response.getStatusCode(),
      getHeaders: () => ({ ...headers, 'stripe-should-retry': 'true' }),
      getRawResponse: () => response.getRawResponse(),
      toStream: (done) => response.toStream(done),
      toJSON: () => response.toJSON(),
      ...(response.dispose ? { dispose: () => response.dispose?.() } : {}),
    };
  }
}

export function createBackfillStripe(options: BackfillStripeOptions): BackfillStripe {
  if (!options.apiKey) throw new StripeSettingsError('STRIPE_API_KEY is not set: a secret or restricted key (read access) is needed');
  const limiter = new RateLimiter({ ratePerSecond: options.ratePerSecond ?? DEFAULT_RATE_PER_SECOND });
  const stats = { requests: 0, throttled: 0 };
  const stripe = new Stripe(options.apiKey, {
    ...stripeEndpoint(options.apiBase),
    maxNetworkRetries: options.maxNetworkRetries ?? 5,
    timeout: options.timeoutMs ?? 30_000,
    telemetry: false,
    httpClient: new RateLimitedHttpClient(Stripe.createNodeHttpClient(), limiter, stats),
  });
  return { stripe, limiter, stats };
}
