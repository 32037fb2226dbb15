export class MissingConfigError extends Error {
  override readonly name = 'MissingConfigError';
}

/** Reads a required environment variable; a missing one is a deployment error, said plainly. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new MissingConfigError(`environment variable ${name} is required but not set`);
  }
  return value;
}
