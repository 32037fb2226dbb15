/** The part of oidc-provider's API the tests use (the package ships no types; @types/oidc-provider is not installed). */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  interface Account {
    accountId: string;
    claims(): Promise<Record<string, unknown>>;
  }
  interface Configuration {
    clients: Array<Record<string, unknown>>;
    jwks: { keys: Array<Record<string, unknown>> };
    conformIdTokenClaims?: boolean;
    claims?: Record<string, string[]>;
    findAccount(ctx: unknown, sub: string): Promise<Account | undefined>;
    clientBasedCORS?(ctx: unknown, origin: string, client: unknown): boolean;
    features?: Record<string, { enabled: boolean }>;
    cookies?: { keys: string[] };
    ttl?: Record<string, number>;
  }
  export default class Provider {
    constructor(issuer: string, configuration: Configuration);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
