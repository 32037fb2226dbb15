import { loadPolicy, parsePolicy, type Policy } from './policy.ts';

/**
 * The policy in a deployed function: `WATCHER_POLICY_JSON` (set by the CDK stack from context)
 * or a file named by `WATCHER_POLICY`; the defaults otherwise. A bad policy fails the cold start
 * with a message naming the field.
 */
export function loadPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): Policy {
  const inline = env.WATCHER_POLICY_JSON;
  if (inline !== undefined && inline !== '') {
    let json: unknown;
    try {
      json = JSON.parse(inline);
    } catch (cause) {
      throw new Error(`WATCHER_POLICY_JSON is not valid JSON`, { cause });
    }
    return parsePolicy(json, 'WATCHER_POLICY_JSON');
  }
  return loadPolicy(env.WATCHER_POLICY);
}
