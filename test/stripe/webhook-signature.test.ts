import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { verifyStripeSignature } from '../../shared/stripe/webhook-signature.ts';

/** The check without the SDK agrees with the SDK's own verifier on every header below. */
describe('verifyStripeSignature', () => {
  const secret = 'whsec_signature_test';
  const body = JSON.stringify({ id: 'evt_1', object: 'event', data: { object: { name: 'Zoë' } } });
  const now = 1_780_000_000;
  const signed = (t: number, s = secret, payload = body) => Stripe.webhooks.generateTestHeaderString({ payload, secret: s, timestamp: t });
  const v1 = (header: string) => header.split(',').find((p) => p.startsWith('v1='))!;
  const cases: Array<[string, string, boolean]> = [
    ['signed now', signed(now), true],
    ['signed 300 s ago (the tolerance)', signed(now - 300), true],
    ['signed 301 s ago', signed(now - 301), false],
    ['signed in the future', signed(now + 60), true],
    ['another secret', signed(now, 'whsec_other'), false],
    ['another body', signed(now, secret, '{}'), false],
    ['a wrong v1 before the right one', `t=${now},v1=${'0'.repeat(64)},${v1(signed(now))}`, true],
    ['only a v0 scheme', `t=${now},v0=${v1(signed(now)).slice(3)}`, false],
    ['no timestamp', v1(signed(now)), false],
    ['a garbled header', 't=abc,v1=zzz', false],
    ['empty', '', false],
  ];
  it.each(cases)('%s', (_name, header, valid) => {
    const sdk = () => Stripe.webhooks.signature?.verifyHeader(body, header, secret, 300, undefined, now * 1000);
    const ours = () => verifyStripeSignature(Buffer.from(body), header, secret, 300, now * 1000);
    expect(Stripe.webhooks.signature).toBeTruthy();
    if (valid) {
      expect(sdk).not.toThrow();
      expect(ours).not.toThrow();
    } else {
      expect(sdk).toThrow();
      expect(ours).toThrow();
    }
  });
});
