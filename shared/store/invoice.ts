import { invoiceFactsSchema, type InvoiceFacts } from '../domain/invoice.ts';

/** Invoice facts live in their account's partition, so one Query reads an account's whole history. */
export const invoiceKey = (accountId: string, invoiceId: string) => ({
  pk: `ACCT#${accountId}`,
  sk: `INV#${invoiceId}`,
});

export const INVOICE_SK_PREFIX = 'INV#';

export interface StoredInvoice {
  facts: InvoiceFacts;
  /** Item revision for optimistic concurrency: every write bumps it under a condition. */
  rev: number;
}

export function invoiceToItem(accountId: string, stored: StoredInvoice): Record<string, unknown> {
  return { ...invoiceKey(accountId, stored.facts.invoiceId), entity: 'invoice', rev: stored.rev, facts: stored.facts };
}

export function invoiceFromItem(item: Record<string, unknown>): StoredInvoice {
  return { facts: invoiceFactsSchema.parse(item.facts), rev: Number(item.rev) };
}
