import type { Identity } from '../constructs/identity.ts';
import type { DeploySettings } from '../settings.ts';

/**
 * What the dashboard needs to sign people in on AWS: the settings the shell reads at
 * `/app/config.json` (web/oidc.ts DashboardConfig: the issuer and the public client; the browser
 * discovers the endpoints from the issuer's discovery document), and the origins its CSP's
 * connect-src must allow for that (Cognito's hosted UI holds the token endpoint, off the issuer's
 * origin). None under auth=iam: a browser cannot sign SigV4, so there is no sign-in.
 */
export function dashboardSignIn(
  auth: DeploySettings['auth'],
  identity: Identity | undefined,
  region: string,
): { signInConfig: Record<string, unknown>; signInOrigins: string[] } {
  if (auth.mode === 'cognito' && identity) {
    const hostedUi = `https://${auth.domainPrefix}.auth.${region}.amazoncognito.com`;
    return {
      signInConfig: { oidc: { issuer: identity.issuer, clientId: identity.clientId } },
      signInOrigins: [hostedUi, `https://cognito-idp.${region}.amazonaws.com`],
    };
  }
  if (auth.mode === 'jwt') {
    return { signInConfig: { oidc: { issuer: auth.issuer, clientId: auth.audience[0] } }, signInOrigins: [new URL(auth.issuer).origin] };
  }
  return { signInConfig: {}, signInOrigins: [] };
}
