import { AsyncLocalStorage } from 'node:async_hooks';
import type { Store } from '../../../shared/store/client.ts';
import { random } from '../../support/random.ts';

/**
 * Fault injection for the DynamoDB client, as SDK middleware: a seeded share of the calls fail
 * the way DynamoDB and the network fail in production.
 * - throttled: a `ThrottlingException` before the request leaves (nothing was written);
 * - timed out: a `TimeoutError` before the request leaves;
 * - response lost: the request reached DynamoDB and succeeded, then a `TimeoutError` — the
 *   caller does not know its write happened, the hard case for idempotency.
 * The middleware sits in the `finalizeRequest` step below the SDK's retry middleware, so the
 * SDK's own retry strategy sees these errors and retries them as it would in production; what
 * outlasts its attempts reaches the application. A "process crash" can be armed for one async
 * context (one processor batch): after a given number of calls every further call in that
 * context fails, as if the process died, leaving whatever was already written.
 */

export type FaultKind = 'throttled' | 'timeout' | 'response_lost' | 'crashed' | 'unavailable';

/** Shaped like the SDK's own service exception, so the retry strategy classifies it as throttling. */
export class InjectedThrottlingError extends Error {
  override readonly name = 'ThrottlingException';
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 };
  readonly $retryable = { throttling: true };
  constructor(command: string) {
    super(`injected: ${command} throttled (rate of requests exceeds the allowed throughput)`);
  }
}

/** Shaped like the Node HTTP handler's socket timeout: a transient error the SDK retries. */
export class InjectedTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    command: string,
    readonly responseLost: boolean,
  ) {
    super(`injected: ${command} timed out${responseLost ? ' after DynamoDB applied it (response lost)' : ''}`);
  }
}

/** Every call after the crash point of a batch: the process is gone; nothing more reaches DynamoDB. */
export class InjectedCrashError extends Error {
  override readonly name = 'InjectedCrashError';
}

export interface FaultOptions {
  /** Share of calls (SDK attempts) that fail, 0..1. */
  rate: number;
  seed: number;
  /** Share of the failures that happen after DynamoDB applied the request (default 0.3). */
  responseLostShare?: number;
  /** Share of the failures before the request that are throttling rather than timeouts (default 0.5). */
  throttleShare?: number;
  /**
   * A key (e.g. `ACCT#cus_1`) whose every call times out while the faults are on: a partition
   * that is down, so its events outlast every retry and are dead-lettered, for certain.
   */
  unavailable?: string;
}

interface CrashContext {
  callsLeft: number;
  crashed: boolean;
  /** Crash right after the first call this matches has succeeded (instead of after a count). */
  after?: (command: string, input: Record<string, unknown>) => boolean;
  armed: boolean;
}

export class FaultInjector {
  /** Off: calls pass untouched (verification reads, the redrive after the cause is fixed). */
  enabled = true;
  readonly counts: Record<FaultKind | 'calls', number> = { calls: 0, throttled: 0, timeout: 0, response_lost: 0, crashed: 0, unavailable: 0 };
  private readonly random: () => number;
  private readonly crashScope = new AsyncLocalStorage<CrashContext>();

  constructor(private readonly options: FaultOptions) {
    this.random = random(options.seed);
  }

  /** Installs the middleware on a store's client (the document client shares the client's stack). */
  attach(store: Store): this {
    store.doc.middlewareStack.add(
      (next, context) => async (args) => {
        if (!this.enabled) return next(args);
        const command = context.commandName ?? 'command';
        this.counts.calls++;
        const crash = this.crashScope.getStore();
        if (crash && (crash.crashed || crash.armed || (!crash.after && crash.callsLeft-- <= 0))) {
          crash.crashed = true;
          this.counts.crashed++;
          throw new InjectedCrashError(`injected: the processor died before ${command}`);
        }
        const { unavailable } = this.options;
        if (unavailable && JSON.stringify(args.input).includes(unavailable)) {
          this.counts.unavailable++;
          throw new InjectedTimeoutError(command, false);
        }
        const fault = this.random() < this.options.rate;
        if (fault && this.random() >= (this.options.responseLostShare ?? 0.3)) {
          if (this.random() < (this.options.throttleShare ?? 0.5)) {
            this.counts.throttled++;
            throw new InjectedThrottlingError(command);
          }
          this.counts.timeout++;
          throw new InjectedTimeoutError(command, false);
        }
        const result = await next(args);
        if (crash?.after?.(command, args.input as Record<string, unknown>)) crash.armed = true;
        if (fault) {
          this.counts.response_lost++;
          throw new InjectedTimeoutError(command, true);
        }
        return result;
      },
      { step: 'finalizeRequest', priority: 'low', name: 'reliabilityFaultInjection' },
    );
    return this;
  }

  /** A number in [0, 1) from the injector's seeded sequence (crash decisions share the seed). */
  next(): number {
    return this.random();
  }

  /**
   * Runs `work` with a crash armed after `calls` DynamoDB calls made within it. Resolves with
   * `crashed: true` if the crash point was reached (the caller then behaves as a dead process).
   */
  async withCrashAfter<T>(calls: number, work: () => Promise<T>): Promise<{ result: T; crashed: boolean }> {
    return this.runCrashing({ callsLeft: calls, crashed: false, armed: false }, work);
  }

  /**
   * Runs `work` so that the process "dies" right after the first DynamoDB call matching `after`
   * succeeds (the command name and its marshalled input): a crash at an exact point.
   */
  async withCrashAfterCall<T>(
    after: (command: string, input: Record<string, unknown>) => boolean,
    work: () => Promise<T>,
  ): Promise<{ result: T; crashed: boolean }> {
    return this.runCrashing({ callsLeft: Number.POSITIVE_INFINITY, crashed: false, after, armed: false }, work);
  }

  private async runCrashing<T>(context: CrashContext, work: () => Promise<T>): Promise<{ result: T; crashed: boolean }> {
    const result = await this.crashScope.run(context, work);
    return { result, crashed: context.crashed };
  }
}
