import type { Context } from 'aws-lambda';
import { requireEnv } from '../../shared/config/env.ts';
import { loadPolicyFromEnv } from '../../shared/config/runtime.ts';
import { logger } from '../../shared/powertools.ts';
import { createStore } from '../../shared/store/client.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';

const deps = {
  store: createStore({ tableName: requireEnv('TABLE_NAME') }),
  policy: loadPolicyFromEnv(),
};

/** Invoked daily by EventBridge Scheduler; a thrown error makes the scheduler retry, then dead-letter. */
export const handler = async (_event: unknown, context: Context) => {
  logger.addContext(context);
  const result = await runSweep(deps, new Date());
  logger.info('sweep finished', { ...result });
  if (result.failures > 0) throw new Error(`sweep finished with ${result.failures} failures; they stay due for the next run`);
  return result;
};
