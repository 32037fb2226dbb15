import { defaultPolicy, type Policy } from '../config/policy.ts';
import { previewBodySchema, previewQuerySchema } from '../schemas/preview.ts';
import { previewPolicy } from '../usecases/policy-preview.ts';
import type { Store } from '../store/client.ts';
import type { RouteHandlers } from './app.ts';
import { parseRequestPart } from './errors.ts';

/**
 * The policy in force and the preview of a proposed one (issue 22). The router checks the roles
 * routes.ts gives them before these run: admin for `GET /policy`, approver or admin for the preview.
 */
export function policyHandlers(deps: { store: Store; policy: Policy; clock: () => Date }): RouteHandlers {
  return {
    // The policy holds thresholds only; secrets live in Secrets Manager or the data dir, never here.
    'GET /policy': async () => ({ status: 200, body: { policy: deps.policy, defaults: defaultPolicy } }),
    'POST /policy/preview': async (request) => {
      const query = parseRequestPart(previewQuerySchema, request.query, 'query');
      const body = parseRequestPart(previewBodySchema, request.json(), 'body');
      const page = await previewPolicy(
        deps,
        { proposed: body.policy, all: query.all === 'true', limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) },
        deps.clock(),
      );
      return { status: 200, body: page };
    },
  };
}
