import { defineConfig } from 'vitest/config';

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
