import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The Stripe signature check, as Stripe documents it ("Verify webhook signatures manually"):
 * the `Stripe-Signature` header holds `t=<unix seconds>` and one or more `v1=<hex>`; a `v1` must
 * equal HMAC-SHA256 of `<t>.<raw body>` under the endpoint's secret (compared in constant time),
 * and the timestamp must be at most `toleranceSeconds` old. The same rules as the SDK's
 * `Stripe.webhooks.signature.verifyHeader`, with node:crypto alone.
 *
 * Why not the SDK: its public entry point (`import Stripe from 'stripe'`) brings every API
 * resource class into the webhook bundle (477 → 707 KB minified, over the 600 KB budget
 * `npm run bench` enforces, and ≈ 36 ms more module load); its `esm/Webhooks.js` alone is outside
 * the package's export map and breaks under other installers. test/http/webhook.test.ts signs
 * with the SDK (`Stripe.webhooks.generateTestHeaderString`) and verifies through this module, so
 * the two cannot drift unnoticed.
 */
export class StripeSignatureError extends Error {
  override readonly name = 'StripeSignatureError';
}

/**
 * Verifies a `Stripe-Signature` header over the raw body; throws StripeSignatureError when it
 * does not hold or is older than `toleranceSeconds`. `receivedAtMs` is the instant to measure the
 * signature's age against.
 */
export function verifyStripeSignature(rawBody: Uint8Array, header: string, secret: string, toleranceSeconds: number, receivedAtMs: number): void {
  let timestamp = -1;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') timestamp = /^\d+$/.test(value) ? Number(value) : -1;
    else if (key === 'v1') signatures.push(value);
  }
  if (timestamp < 0) throw new StripeSignatureError('Unable to extract timestamp and signatures from header');
  if (signatures.length === 0) throw new StripeSignatureError('No signatures found with expected scheme');
  const expected = createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest();
  const matches = signatures.some((hex) => {
    if (!/^[0-9a-f]+$/i.test(hex) || hex.length !== expected.length * 2) return false;
    return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  });
  if (!matches) throw new StripeSignatureError('No signatures found matching the expected signature for payload');
  const age = Math.floor(receivedAtMs / 1000) - timestamp;
  if (toleranceSeconds > 0 && age > toleranceSeconds) throw new StripeSignatureError('Timestamp outside the tolerance zone');
}
