import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A real OIDC issuer for tests: a local HTTP server answering discovery and the JWKS, with
 * keys made here, and a signer for tokens as an identity provider would issue them.
 */
export async function startOidcIssuer() {
  const signing = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const jwks: JWK[] = [
    { ...(await exportJWK(signing.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  let jwksFetches = 0;
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json`, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token` }));
      return;
    }
    if (req.url === '/jwks.json') {
      jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: jwks }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const audience = 'termwatch-dashboard';

  async function sign(
    claims: Record<string, unknown>,
    options: {
      key?: CryptoKey;
      kid?: string;
      alg?: string;
      issuer?: string;
      audience?: string | null;
      expiresIn?: string | number;
      notBefore?: string | number;
    } = {},
  ) {
    const alg = options.alg ?? 'RS256';
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg, kid: options.kid ?? (alg === 'ES256' ? 'ec-1' : 'rsa-1') })
      .setIssuer(options.issuer ?? issuer)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '1h');
    if (options.audience !== null) jwt = jwt.setAudience(options.audience ?? audience);
    if (options.notBefore !== undefined) jwt = jwt.setNotBefore(options.notBefore);
    return jwt.sign(options.key ?? (alg === 'ES256' ? ec.privateKey : signing.privateKey));
  }

  return {
    issuer,
    audience,
    sign,
    jwksFetches: () => jwksFetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
