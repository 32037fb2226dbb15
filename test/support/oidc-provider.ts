import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID Provider (panva's oidc-provider) on loopback for the dashboard's sign-in: its
 * development login page (any login, any password; the login is the person's email), a public
 * client with the code flow and PKCE, CORS on the token endpoint, and ID tokens carrying `email`
 * and the groups claim `cognito:groups`, as Cognito's do. The issuer URL exists before the
 * client's redirect URI is known (the dashboard starts on a free port after it), hence `register`.
 */
export async function startOidcProvider(groupsOf: (login: string) => string[]) {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => (handler ? handler(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'termwatch-dashboard';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-rs256', alg: 'RS256', use: 'sig' };
  return {
    issuer,
    clientId,
    /** Starts answering, with the dashboard's callback as the client's one redirect URI. */
    register(redirectUri: string) {
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            token_endpoint_auth_method: 'none',
            redirect_uris: [redirectUri],
            post_logout_redirect_uris: [new URL('/app/', redirectUri).toString()],
            grant_types: ['authorization_code'],
            response_types: ['code'],
          },
        ],
        jwks: { keys: [jwk] },
        // Claims of the scopes asked for go into the ID token (the API's bearer), as Cognito's do.
        conformIdTokenClaims: false,
        claims: { openid: ['sub', 'cognito:groups'], email: ['email'] },
        findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, email: sub, 'cognito:groups': groupsOf(sub) }) }),
        clientBasedCORS: (_ctx, origin) => redirectUri.startsWith(origin),
        features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
        cookies: { keys: ['test-only-cookie-key'] },
        ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
      });
      handler = provider.callback();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
