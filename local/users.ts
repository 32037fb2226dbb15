/**
 * `npm run users -- add <name> --role <role>` | `list` | `revoke <name>`: the local users file
 * (`WATCHER_USERS`, else `<WATCHER_DATA_DIR>/users.json`, which the watcher reads when the
 * variable is unset). `add` prints the new token once; the file keeps only its SHA-256.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sha256Hex } from '../shared/http/auth.ts';
import { ROLES, roleSchema } from '../shared/http/auth/roles.ts';
import { parseUsers, readUsersFile, UsersFileError, userEntrySchema, type UserEntry } from '../shared/http/auth/users-file.ts';
import * as z from '../shared/zod.ts';

export function usersFilePath(env: NodeJS.ProcessEnv): string {
  return resolve(env.WATCHER_USERS || join(env.WATCHER_DATA_DIR || '.data', 'users.json'));
}

/** Writes the whole file at once (temporary file, then rename), readable by its owner only. */
function writeUsers(path: string, users: readonly UserEntry[]): void {
  parseUsers(users, 'the new users file');
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(users, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const USAGE = `usage: npm run users -- add <name> --role <${ROLES.join('|')}>
       npm run users -- list
       npm run users -- revoke <name>`;

/** Runs one command; returns what to print. */
export function runUsersCommand(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const { positionals, values } = parseArgs({ args: [...argv], allowPositionals: true, options: { role: { type: 'string' } } });
  const [command, name, ...extra] = positionals;
  const path = usersFilePath(env);
  if (extra.length > 0) throw new UsageError(USAGE);
  switch (command) {
    case 'add': {
      if (!name) throw new UsageError(USAGE);
      const role = z.safeParse(roleSchema, values.role);
      if (!role.success) throw new UsageError(`--role ${role.error.issues[0]?.message ?? 'is required'}\n${USAGE}`);
      const users = readUsersFile(path, { missingOk: true });
      if (users.some((u) => u.name === name)) throw new UsageError(`${name} is already in ${path}; revoke them first to issue a new token`);
      const token = `tw_${randomBytes(24).toString('base64url')}`;
      const entry = z.safeParse(userEntrySchema, { name, role: role.data, tokenSha256: sha256Hex(token) });
      if (!entry.success) throw new UsageError(`name: ${entry.error.issues[0]?.message}`);
      writeUsers(path, [...users, entry.data]);
      return [
        `Added ${name} (${role.data}) to ${path}.`,
        `Token (shown once; only its SHA-256 is kept): ${token}`,
        `They send it as: Authorization: Bearer <token>. Restart the watcher to let them in${env.WATCHER_USERS ? '' : ' (it reads this file when WATCHER_USERS is unset)'}.`,
      ].join('\n');
    }
    case 'list': {
      if (name) throw new UsageError(USAGE);
      const users = readUsersFile(path, { missingOk: true });
      if (users.length === 0) return `No users in ${path}.`;
      return users.map((u) => `${u.name}\t${u.role}`).join('\n');
    }
    case 'revoke': {
      if (!name) throw new UsageError(USAGE);
      const users = readUsersFile(path, { missingOk: true });
      if (!users.some((u) => u.name === name)) throw new UsageError(`${name} is not in ${path}`);
      writeUsers(
        path,
        users.filter((u) => u.name !== name),
      );
      return `Revoked ${name}; restart the watcher for it to take effect.`;
    }
    default:
      throw new UsageError(USAGE);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    console.log(runUsersCommand(process.argv.slice(2), process.env));
  } catch (error) {
    if (error instanceof UsageError || error instanceof UsersFileError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error((error as Error).message);
      process.exit(2);
    }
    throw error;
  }
}
