import type { Context } from 'aws-lambda';
import { requireEnv } from '../../shared/config/env.ts';
import { loadPolicyFromEnv } from '../../shared/config/runtime.ts';
import { logger } from '../../shared/powertools.ts';
import { createStore } from '../../shared/store/client.ts';
import { runSweep } from '../../shared/usecases/sweep.ts';
import { dispatchNotifications } from '../../shared/usecases/dispatch-notifications.ts';
import { SnsNotifier } from '../../shared/adapters/sns-notifier.ts';
import { EventBridgeNotifier } from '../../shared/adapters/eventbridge-notifier.ts';

const deps = {
  store: createStore({ tableName: requireEnv('TABLE_NAME') }),
  policy: loadPolicyFromEnv(),
};
const notifiers = [new SnsNotifier(requireEnv('NOTIFY_TOPIC_ARN')), new EventBridgeNotifier(requireEnv('EVENT_BUS_NAME'))];

/** Invoked hourly by EventBridge Scheduler; a thrown error makes the scheduler retry, then dead-letter. */
export const handler = async (_event: unknown, context: Context) => {
  logger.addContext(context);
  const result = await runSweep(deps, new Date());
  // Everything recorded since the last run (by the sweep, the processor or the API) goes out now.
  const dispatched = await dispatchNotifications({ store: deps.store, notifiers, now: () => new Date() }, 1000);
  logger.info('sweep finished', { ...result, dispatched });
  if (result.failures > 0) throw new Error(`sweep finished with ${result.failures} failures; they stay due for the next run`);
  return result;
};
