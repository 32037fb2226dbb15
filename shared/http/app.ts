import type { Authenticator } from './auth.ts';
import { createRouter, type BoundRoute, type RouteHandler } from './router.ts';
import { routes, type RouteSpec } from './routes.ts';

export type RouteKey = `${RouteSpec['method']} ${RouteSpec['path']}`;
export type RouteHandlers = Partial<Record<RouteKey, RouteHandler>>;
type FunctionKind = RouteSpec['fn'];

/**
 * Binds the route list to handlers. Every route in `routes.ts` served by one of the given
 * function kinds must have a handler, and no handler may exist without a route.
 */
export function bindRoutes(handlers: RouteHandlers, serve: { fns: readonly FunctionKind[]; includeLocalOnly: boolean }): BoundRoute[] {
  const all = routes as readonly RouteSpec[];
  const wanted = all.filter((r) => serve.fns.includes(r.fn) && (serve.includeLocalOnly || !r.localOnly));
  const bound = wanted.map((spec) => {
    const handle = handlers[`${spec.method} ${spec.path}` as RouteKey];
    if (!handle) throw new Error(`route ${spec.method} ${spec.path} has no handler`);
    if (spec.auth === 'finance' && !spec.role) throw new Error(`route ${spec.method} ${spec.path} declares no role`);
    return { spec, handle };
  });
  for (const key of Object.keys(handlers)) {
    if (!all.some((r) => `${r.method} ${r.path}` === key)) throw new Error(`handler ${key} has no route in routes.ts`);
  }
  return bound;
}

/** The router for one function (or, locally, for all of them). */
export function createHttpApp(options: { handlers: RouteHandlers; fns: readonly FunctionKind[]; includeLocalOnly: boolean; authenticate: Authenticator }) {
  return createRouter({
    routes: bindRoutes(options.handlers, { fns: options.fns, includeLocalOnly: options.includeLocalOnly }),
    authenticate: options.authenticate,
  });
}
