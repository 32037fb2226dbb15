import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * The local entry points' Node notice (local/node-version.ts): on Node 20 the AWS SDK's
 * multi-line "NodeVersionSupportWarning" is replaced by one line of ours, and other warnings
 * still print. Each case runs in a fresh `node`, with the switch the test workers set removed.
 */
const script = (importOurs: boolean) => `
${importOurs ? "await import('./local/node-version.ts');" : ''}
const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
new DynamoDBClient({ region: 'local' });
process.emitWarning('a real warning', 'ExampleWarning');
await new Promise((resolve) => setTimeout(resolve, 50));
`;

function run(importOurs: boolean) {
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  delete env.WATCHER_QUIET_NODE_NOTICE;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(importOurs)], { env, encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(0);
  return result.stderr;
}

describe.runIf(Number(process.versions.node.split('.')[0]) < 22)('the Node notice on Node 20', () => {
  it("prints one line of ours instead of the SDK's warning, and other warnings as usual", () => {
    const bare = run(false);
    // Not vacuous: without the entry point's import the SDK prints its warning.
    expect(bare).toContain('NodeVersionSupportWarning');
    const ours = run(true);
    expect(ours).not.toContain('NodeVersionSupportWarning');
    expect(ours.match(/^Note: Node .* is fine for local runs; Lambda runs Node 22\+/gm)).toHaveLength(1);
    expect(ours).toContain('ExampleWarning: a real warning');
  }, 90_000);
});
