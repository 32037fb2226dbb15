/**
 * Settings every AWS SDK client of a deployed function shares. The stack sizes the timeouts to
 * the function's own (infra/constructs/watcher-function.ts): without them a hung connection holds
 * a request until the function times out, and the SDK never gets to retry it. Locally (no
 * variables) the SDK's defaults stay.
 */
export interface SdkClientSettings {
  requestHandler?: { requestTimeout: number; connectionTimeout: number };
}

export function sdkClientSettings(env: NodeJS.ProcessEnv = process.env): SdkClientSettings {
  const requestTimeout = positiveMs(env.WATCHER_SDK_REQUEST_TIMEOUT_MS, 'WATCHER_SDK_REQUEST_TIMEOUT_MS');
  const connectionTimeout = positiveMs(env.WATCHER_SDK_CONNECTION_TIMEOUT_MS, 'WATCHER_SDK_CONNECTION_TIMEOUT_MS');
  if (requestTimeout === undefined && connectionTimeout === undefined) return {};
  return { requestHandler: { requestTimeout: requestTimeout ?? 5000, connectionTimeout: connectionTimeout ?? 1000 } };
}

function positiveMs(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`${name} must be a positive whole number of milliseconds, got "${value}"`);
  return ms;
}

/**
 * Takes the SDK's request-log middleware off clients built without a `logger` (every client of
 * the functions). With the default no-op logger it still copies each request's input and answer,
 * walking the operation's schema to mask sensitive fields, for the no-op to drop: on a cold start
 * that walk is first-use work over every item read (about 15 ms of CPU in the API's first
 * `GET /tasks`, 50 tasks). Nothing was logged before and nothing is now.
 */
export function withoutSdkRequestLog(...clients: ReadonlyArray<{ middlewareStack: { remove(name: string): boolean } }>): void {
  for (const client of clients) client.middlewareStack.remove('loggerMiddleware');
}
