import { defineConfig } from 'vitest/config';

// The AWS SDK's notice about its releases after January 2027 needing Node 22 would print once per
// test file on Node 20 (and in the global setup); the entry points replace it by one line
// (local/node-version.ts, tested in test/local/node-version.test.ts); other warnings still print.
// Set here, in the main process, so the global setup and every worker inherit it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/dynamodb-local.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep parallelism modest so DynamoDB Local and the CDK synth tests do not starve.
    maxWorkers: 2,
    reporters: ['default'],
    // Keep the run's output to warnings; the product logs at INFO.
    env: { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_DEV: 'false' },
  },
});
