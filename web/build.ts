import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, buildSync, type BuildOptions, type OutputFile } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

export interface DashboardAsset {
  contentType: string;
  body: Buffer;
}

/** The dashboard's static files by their path under /app/: the shell, one script, one style sheet. */
export interface DashboardBundle {
  shell: Buffer;
  assets: Map<string, DashboardAsset>;
  /** Minified JavaScript, all files, in bytes (the bench's dashboardBundleKb). */
  scriptBytes: number;
}

const options = {
  entryPoints: [join(here, 'main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  write: false,
  outdir: '/assets',
  entryNames: 'app',
  legalComments: 'none',
  logLevel: 'silent',
} satisfies BuildOptions;

/**
 * Bundles web/ with esbuild in memory (no dist folder: `npm ci && npm start` works from a clean
 * clone, and nothing of it can end up in a Lambda bundle, which esbuild builds from functions/).
 */
export async function buildDashboard(): Promise<DashboardBundle> {
  return collect((await build(options)).outputFiles);
}

/** The same bundle, synchronously: `cdk synth` builds the app in one synchronous pass (infra/constructs/dashboard-site.ts). */
export function buildDashboardSync(): DashboardBundle {
  return collect(buildSync(options).outputFiles);
}

function collect(outputFiles: readonly OutputFile[]): DashboardBundle {
  const assets = new Map<string, DashboardAsset>();
  let scriptBytes = 0;
  for (const file of outputFiles) {
    const body = Buffer.from(file.contents);
    if (file.path.endsWith('.js')) scriptBytes += body.byteLength;
    assets.set(`assets/${file.path.split('/').pop()}`, {
      contentType: file.path.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      body,
    });
  }
  assets.set('assets/app.css', { contentType: 'text/css; charset=utf-8', body: readFileSync(join(here, 'styles.css')) });
  return { shell: readFileSync(join(here, 'index.html')), assets, scriptBytes };
}
