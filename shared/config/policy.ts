import { readFileSync } from 'node:fs';
import { parsePolicy, PolicyError, defaultPolicy, type Policy } from '../domain/policy.ts';

/**
 * Loading the policy; its schema and defaults are domain (domain/policy.ts), re-exported here
 * so existing imports keep working.
 */
export * from '../domain/policy.ts';

/** Reads the policy file named by `WATCHER_POLICY`, or the defaults when unset. */
export function loadPolicy(path: string | undefined = process.env.WATCHER_POLICY): Policy {
  if (!path) return defaultPolicy;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new PolicyError(`cannot read policy file ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new PolicyError(`policy file ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parsePolicy(json, `policy file ${path}`);
}
