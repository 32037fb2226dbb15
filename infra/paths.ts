import { fileURLToPath } from 'node:url';

/** The repository root (where package-lock.json and `functions/` live), whatever the cwd. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
