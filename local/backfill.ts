/**
 * `npm run backfill` is named by the contract but not built yet (issue 8 is open): say so
 * plainly instead of failing with a missing-module error.
 */
console.error(
  [
    'npm run backfill is not available yet: importing an existing Stripe account\'s history is issue 8, still open.',
    'Until then: record contracts with PUT /accounts/{id}/contract or npm run import:contracts -- file.csv,',
    'and let webhooks bring new invoices (stripe listen --forward-to localhost:3000/webhooks/stripe).',
  ].join('\n'),
);
process.exit(2);
