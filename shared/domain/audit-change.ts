import { canonicalJson } from './canonical-json.ts';

/** What an audit record keeps of one change (see auditChange). */
export interface AuditChange {
  before: unknown;
  after: unknown;
  /** An update's top-level fields that differ, sorted; absent for a creation or a removal. */
  changed?: string[];
}

/**
 * What an audit record keeps of a change from `before` to `after` (null or undefined: no entity).
 * - A creation keeps the whole entity in `after`; a removal the whole entity in `before`; a value
 *   that is not an object is kept whole on both sides.
 * - An update keeps, on each side, only the top-level fields that differ (named in `changed`; a
 *   changed field absent from a side was absent from that entity) and the `keep` fields, which
 *   name the entity, whether they changed or not.
 * So the entity after is the entity before with `after`'s changed fields set and the changed
 * fields `after` lacks removed, and the reverse. Fields compare by value in canonical JSON
 * (DynamoDB does not keep map key order); an undefined field is an absent one. Pure.
 */
export function auditChange(before: unknown, after: unknown, keep: readonly string[] = []): AuditChange {
  if (!isRecord(before) || !isRecord(after)) return { before: before ?? null, after: after ?? null };
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k])).sort();
  const fields = new Set([...keep, ...changed]);
  return { before: pick(before, fields), after: pick(after, fields), changed };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function pick(entity: Record<string, unknown>, fields: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entity).filter(([k, v]) => fields.has(k) && v !== undefined));
}
