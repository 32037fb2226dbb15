/**
 * What every merge of observations shares. Stripe delivers events more than once and out of
 * order, so each event becomes an observation, and observations combine with joins that are
 * commutative, associative and idempotent; these are the order-free choices those joins use.
 */

/** Sortable observation order: Stripe's `created`, then the event id to break ties deterministically. */
export function observationVersion(event: { id: string; created: number }): string {
  return `${String(event.created).padStart(12, '0')}#${event.id}`;
}

/** When the event of an observationVersion was created (ISO 8601). */
export function observationInstant(version: string): string {
  return new Date(Number(version.slice(0, version.indexOf('#'))) * 1000).toISOString();
}

export function compareText(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** The greater of two optional ids: an order-free choice for values Stripe never changes. */
export function greatest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a >= b ? a : b;
}

/** Earliest instant; equal instants written differently fall back to text order, so it stays a total order. */
export function earlier(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const diff = Date.parse(a) - Date.parse(b);
  if (diff !== 0) return diff < 0 ? a : b;
  return a <= b ? a : b;
}

export function earliestOf(values: Array<string | undefined>): string | undefined {
  return values.reduce<string | undefined>((acc, v) => earlier(acc, v), undefined);
}

/** Drops undefined properties so equal facts are also structurally equal (and store cleanly). */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
