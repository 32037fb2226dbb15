import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A stage's committed settings (`config/<stage>.json`) and the rules a production stage's file
 * must meet. The context keys themselves, and their validation, are in infra/settings.ts.
 */

/** A deployment setting (context or config/<stage>.json) that cannot be used, naming it. */
export class DeployContextError extends Error {
  override readonly name = 'DeployContextError';
}

/** A stage's committed settings: `config/<stage>.json`, an object of the context keys (infra/settings.ts). */
export interface StageConfig {
  readonly path: string;
  readonly values: Readonly<Record<string, unknown>>;
}

/** What a production stage must commit, so a deploy never falls back to a default by omission. */
export const productionRequiredKeys = ['account', 'region', 'policy', 'notifyEmails', 'logRetentionDays'] as const;

/**
 * Reads `<configDir>/<stage>.json` when it exists. `stage` is not a key of the file (the file is
 * named after it); an unknown key is refused like a bad value, so a typo cannot pass unnoticed.
 */
export function readStageConfig(configDir: string, stage: string, contextKeys: readonly string[]): StageConfig | undefined {
  const path = join(configDir, `${stage}.json`);
  if (!existsSync(path)) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new DeployContextError(`${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new DeployContextError(`${path} must hold one JSON object of context keys`);
  }
  const known = new Set<string>(contextKeys);
  const unknown = Object.keys(values).filter((key) => key === 'stage' || !known.has(key));
  if (unknown.length > 0) {
    throw new DeployContextError(
      `${path}: ${unknown.map((k) => `"${k}"`).join(', ')} ${unknown.length === 1 ? 'is not a' : 'are not'} per-stage key${unknown.length === 1 ? '' : 's'} (the stage is the file's name; keys are listed in docs/deploy-context.md)`,
    );
  }
  return { path, values: values as Record<string, unknown> };
}

export function requireCommittedProductionConfig(stage: string, committed: StageConfig | undefined): void {
  if (committed === undefined) {
    throw new DeployContextError(
      `stage "${stage}" is a production stage and has no committed config/${stage}.json; commit one with ${[...productionRequiredKeys, 'alarmEmails'].join(', ')}`,
    );
  }
  const missing = productionRequiredKeys.filter((key) => committed.values[key] === undefined);
  const alarms = [committed.values.alarmEmails, committed.values.alarmHttpsEndpoints].some(
    (v) => (Array.isArray(v) && v.length > 0) || (typeof v === 'string' && v.trim() !== '' && v.trim() !== '[]'),
  );
  if (!alarms) missing.push('alarmEmails' as never);
  if (missing.length > 0) {
    throw new DeployContextError(
      `${committed.path}: a production stage must commit ${missing.join(', ')} (a deploy would otherwise fall back to a default, or page nobody)`,
    );
  }
}
