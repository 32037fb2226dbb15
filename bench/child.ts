import { spawn } from 'node:child_process';

/**
 * Runs `node` with `args` in a child process and resolves to the JSON its stdout ends with (its
 * last line); rejects, naming `what` and the end of its stderr, when it exits non-zero or prints
 * no JSON. The benchmark's cold processes and its load client all report this way.
 */
export function nodeChildJson<T>(args: readonly string[], env: NodeJS.ProcessEnv, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      const detail = err.trim().split('\n').slice(-3).join(' | ').slice(-500) || line.slice(-300);
      if (code !== 0) return reject(new Error(`${what} exited ${code}: ${detail}`));
      try {
        resolve(JSON.parse(line) as T);
      } catch (cause) {
        reject(new Error(`${what} printed no JSON report: ${detail}`, { cause }));
      }
    });
  });
}
