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
