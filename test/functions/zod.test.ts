import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { functionEntries } from '../../bench/bundles.ts';
import { policySchema } from '../../shared/domain/policy.ts';

/**
 * Cold start is a budget (issue 9: module load at most 1.5 × a bundle holding only the DynamoDB
 * client and the logger). zod's classic API attaches its chainable methods to every schema it
 * builds and is about 60 KiB more code than `zod/mini`, which the product uses through
 * `shared/zod.ts`; one stray `import … from 'zod'` anywhere a handler reaches would bring it all
 * back, silently.
 */
describe('zod in the functions', () => {
  it.each(functionEntries())('$name does not bundle zod classic', async ({ entry }) => {
    const { metafile } = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outfile: 'out.mjs',
    });
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.some((input) => input.includes('node_modules/zod/v4/mini/'))).toBe(true);
    expect(inputs.filter((input) => input.includes('node_modules/zod/v4/classic/'))).toEqual([]);
  });

  it('product code imports zod only through shared/zod.ts, which configures the messages', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
      );
    const direct = [...sources('shared'), ...sources('functions'), ...sources('local')].filter(
      (file) => file !== join('shared', 'zod.ts') && /from 'zod(\/[^']*)?'/.test(readFileSync(file, 'utf8')),
    );
    expect(direct).toEqual([]);
  });

  it('explains problems in English, as classic would (zod/mini alone configures no messages)', () => {
    // This file loads no zod classic (whose import would configure English as a side effect).
    const result = policySchema.safeParse({ graceDays: -1, latePayer: { windowDays: 'x' } });
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'graceDays: Too small: expected number to be >=0',
      'latePayer.windowDays: Invalid input: expected number, received string',
    ]);
  });
});
