import * as z from '../../zod.ts';

/**
 * A person's role. Each includes the one before: viewer reads; reviewer records contracts,
 * costs, signals, imports, checklist ticks and decisions (and asks for a termination);
 * approver approves or rejects another person's termination; admin does everything.
 */
export const roleSchema = z.enum(['viewer', 'reviewer', 'approver', 'admin'], { error: 'must be one of "viewer", "reviewer", "approver" or "admin"' });
export type Role = z.infer<typeof roleSchema>;

export const ROLES: readonly Role[] = roleSchema.options;

/** Whether `held` includes `needed`. */
export function hasRole(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** The highest Termwatch role among group names (others ignored); undefined when none is one. */
export function highestRole(groups: readonly unknown[]): Role | undefined {
  let best: Role | undefined;
  for (const group of groups) {
    const role = ROLES.find((r) => r === group);
    if (role && (!best || hasRole(role, best))) best = role;
  }
  return best;
}

/** Who made a request: the name every write records, and what they may do. */
export const principalSchema = z.object({ name: z.string(), role: roleSchema });
export type Principal = z.infer<typeof principalSchema>;
