/**
 * A token bucket bounding the request rate to an API, slowing down when the API says it is
 * overloaded (HTTP 429) and recovering gradually afterwards.
 *
 * `take()` resolves when a request may be sent. Up to `burst` requests go at once after a quiet
 * spell; over any longer window the rate never exceeds `ratePerSecond`.
 */
export interface RateLimiterOptions {
  ratePerSecond: number;
  burst?: number;
  /** Lowest rate the limiter falls to after repeated 429s. */
  minRatePerSecond?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class RateLimiter {
  readonly maxRate: number;
  private rate: number;
  private readonly minRate: number;
  private readonly burst: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Serialises waiters so tokens are handed out in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  throttled = 0;

  constructor(options: RateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be greater than 0');
    this.maxRate = options.ratePerSecond;
    this.rate = options.ratePerSecond;
    this.minRate = Math.min(options.minRatePerSecond ?? 1, options.ratePerSecond);
    this.burst = Math.max(1, options.burst ?? Math.ceil(options.ratePerSecond / 4));
    this.tokens = this.burst;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.last = this.now();
  }

  get currentRate(): number {
    return this.rate;
  }

  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The API answered 429: halve the rate (not below the minimum). */
  onThrottled(): void {
    this.throttled++;
    this.rate = Math.max(this.minRate, this.rate / 2);
    this.tokens = Math.min(this.tokens, 0);
  }

  /** A request went through: creep back towards the configured rate. */
  onSuccess(): void {
    if (this.rate < this.maxRate) this.rate = Math.min(this.maxRate, this.rate * 1.05);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  private async waitForToken(): Promise<void> {
    this.refill();
    while (this.tokens < 1) {
      await this.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
      this.refill();
    }
    this.tokens -= 1;
  }
}
