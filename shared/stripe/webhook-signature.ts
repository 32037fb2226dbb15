/**
 * Stripe's own webhook signature module, without the rest of the SDK.
 *
 * `import Stripe from 'stripe'` brings every API resource class along (≈ 246 KB minified), and
 * the webhook function needs only the signature check. The SDK's `Webhooks` module is the same
 * code `Stripe.webhooks` is built from (`createWebhooks(platformFunctions)`); the package's
 * export map does not list it, hence the path into the pinned package (stripe 23.1.0 in
 * package.json, exact). test/http/webhook.test.ts signs with the public SDK entry point
 * (`Stripe.webhooks.generateTestHeaderString`) and verifies through this module, so a Stripe
 * upgrade that moves it fails the tests rather than production. Bundled: ≈ 16 KB.
 */
import { createWebhooks } from '../../node_modules/stripe/esm/Webhooks.js';
import { NodePlatformFunctions } from '../../node_modules/stripe/esm/platform/NodePlatformFunctions.js';

const webhooks = createWebhooks(new NodePlatformFunctions());

/**
 * Verifies a `Stripe-Signature` header over the raw body; throws the SDK's
 * `StripeSignatureVerificationError` when it does not hold or is older than `toleranceSeconds`.
 * `receivedAtMs` is the instant to measure the signature's age against.
 */
export function verifyStripeSignature(rawBody: Uint8Array, header: string, secret: string, toleranceSeconds: number, receivedAtMs: number): void {
  const signature = webhooks.signature;
  if (!signature) throw new Error('the Stripe SDK did not provide its signature verifier');
  signature.verifyHeader(rawBody, header, secret, toleranceSeconds, undefined, receivedAtMs);
}
