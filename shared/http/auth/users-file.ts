import { readFileSync } from 'node:fs';
import * as z from '../../zod.ts';
import { roleSchema } from './roles.ts';

/**
 * The local users file (`WATCHER_USERS`): one entry per person, holding only the SHA-256 of
 * their token, so the file reveals no credential. `npm run users` writes it.
 */
export const userEntrySchema = z.strictObject({
  name: z.string({ error: 'is required' }).check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters')),
  role: roleSchema,
  tokenSha256: z.string({ error: 'is required' }).check(z.regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (the SHA-256 of the token)')),
});
export type UserEntry = z.infer<typeof userEntrySchema>;

export const usersFileSchema = z
  .array(userEntrySchema)
  .check(z.refine((users) => new Set(users.map((u) => u.name)).size === users.length, { message: 'names must be unique' }));

export class UsersFileError extends Error {
  override readonly name = 'UsersFileError';
}

/** Validates the file's JSON, naming the entry (by index) and field of each problem. */
export function parseUsers(json: unknown, source: string): UserEntry[] {
  const result = z.safeParse(usersFileSchema, json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const [index, ...field] = issue.path.map(String);
    const keys = issue.code === 'unrecognized_keys' ? ((issue as { keys?: string[] }).keys ?? []) : [];
    const where = index === undefined ? '(root)' : `entry ${index}${[...field, ...keys].length ? ` field ${[...field, ...keys].join('.')}` : ''}`;
    return `${where}: ${issue.message}`;
  });
  throw new UsersFileError(`${source} is invalid: ${problems.join('; ')}`);
}

/** Reads the users file; a missing file is an empty list only when `missingOk` (the CLI creating it). */
export function readUsersFile(path: string, options: { missingOk?: boolean } = {}): UserEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if (options.missingOk && (cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UsersFileError(`cannot read users file ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new UsersFileError(`users file ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parseUsers(json, `users file ${path}`);
}
