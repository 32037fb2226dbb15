import { defineConfig } from 'vitest/config';

/** Pure tests only (no DynamoDB Local): `npx vitest run --config vitest.unit.config.ts <files>`. */
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
