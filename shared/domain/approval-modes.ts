/**
 * The ways a termination may be approved, kept free of zod so the dashboard can offer them as
 * choices without bundling the schemas; the policy's schema (domain/policy.ts) is built from it.
 */
export const APPROVAL_MODES = ['two_person', 'single'] as const;
