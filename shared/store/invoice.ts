import { invoiceFactsSchema, mergeInvoiceFacts, type InvoiceFacts } from '../domain/invoice.ts';
import type { FactKind, StoredFact } from './facts.ts';

/** Invoice facts live in their account's partition, so one Query reads an account's whole history. */
export const invoiceFacts: FactKind<InvoiceFacts> = {
  prefix: 'INV#',
  entity: 'invoice',
  schema: invoiceFactsSchema,
  idOf: (f) => f.invoiceId,
  merge: mergeInvoiceFacts,
  ordering: ['version'],
};

export type StoredInvoice = StoredFact<InvoiceFacts>;
