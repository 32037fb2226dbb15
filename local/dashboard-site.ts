import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildDashboard, type DashboardBundle } from '../web/build.ts';

/** The CSP the dashboard runs under: its own scripts and styles only, no inline code, no framing. */
export function dashboardCsp(extraConnect: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src ${["'self'", ...extraConnect].join(' ')}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * What the shell reads at /app/config.json before sign-in: the issuer and the public client id
 * when people sign in through an identity provider (the CSP allows no inline script to carry it).
 */
export function dashboardConfig(options: { oidcIssuer?: string; oidcClientId?: string }): { oidc?: { issuer: string; clientId: string } } {
  return options.oidcIssuer && options.oidcClientId ? { oidc: { issuer: options.oidcIssuer, clientId: options.oidcClientId } } : {};
}

/**
 * Serves the dashboard locally: `GET /` redirects to `/app/`, `/app/assets/…` are the bundle's
 * files, `/app/config.json` the sign-in settings, and every other `/app/…` path is the shell (deep links and reloads work). No credentials:
 * the shell holds no data; every figure comes from the API with the person's token.
 */
export async function dashboardSite(options: { oidcIssuer?: string; oidcClientId?: string } = {}): Promise<{
  bundle: DashboardBundle;
  serve(event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 | undefined;
}> {
  const bundle = await buildDashboard();
  const headers = {
    'content-security-policy': dashboardCsp(options.oidcIssuer ? [new URL(options.oidcIssuer).origin] : []),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  return {
    bundle,
    serve(event) {
      const method = event.requestContext.http.method;
      const path = event.rawPath;
      if (path !== '/' && path !== '/app' && !path.startsWith('/app/')) return undefined;
      if (method !== 'GET' && method !== 'HEAD') {
        return {
          statusCode: 405,
          headers: { ...headers, allow: 'GET, HEAD', 'content-type': 'application/json' },
          body: '{"error":{"code":"method_not_allowed","message":"the dashboard is read with GET"}}',
        };
      }
      if (path === '/' || path === '/app') return { statusCode: 302, headers: { ...headers, location: '/app/' }, body: '' };
      if (path === '/app/config.json') {
        return {
          statusCode: 200,
          headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
          body: JSON.stringify(dashboardConfig(options)),
        };
      }
      const asset = path.startsWith('/app/assets/') ? bundle.assets.get(path.slice('/app/'.length)) : undefined;
      if (path.startsWith('/app/assets/') && !asset) {
        return { statusCode: 404, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: 'not found' };
      }
      const file = asset ?? { contentType: 'text/html; charset=utf-8', body: bundle.shell };
      return {
        statusCode: 200,
        headers: { ...headers, 'content-type': file.contentType, 'cache-control': asset ? 'no-cache' : 'no-store' },
        body: file.body.toString('base64'),
        isBase64Encoded: true,
      };
    },
  };
}
