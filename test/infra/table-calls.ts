import { build } from 'esbuild';
import { repoRoot } from '../../infra/paths.ts';

/** What a function's bundled code does with the table, read from the code esbuild keeps. */
export interface TableCalls {
  /** IAM actions, `dynamodb:GetItem` and so on (a transaction's Put is `dynamodb:PutItem`). */
  readonly actions: string[];
  /** Indexes named in a request (`IndexName: "gsi1"`). */
  readonly indexes: string[];
  /** The project's modules whose kept code makes each call, for the failure message. */
  readonly where: Record<string, string[]>;
}

/**
 * Bundles a handler the way the stack does (ESM, tree-shaken, not minified so module markers and
 * names stay) and lists the DynamoDB calls in the project's own code that esbuild kept: each
 * document-client command, the paginators, and the item kinds of transactions (IAM authorizes a
 * TransactWriteItems by the PutItem/UpdateItem/DeleteItem/ConditionCheckItem it holds). Code the
 * handler never imports, and exports nothing reachable uses, are not in the bundle, so they do
 * not count. The SDK's own modules are left out: they define every command, the code calls few.
 */
export async function tableCallsOf(entry: string): Promise<TableCalls> {
  const result = await build({
    entryPoints: [`${repoRoot}/${entry}`],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  // esbuild starts each module's code with a `// <path>` line.
  const regions = code.split(/^(?=\/\/ (?:shared|functions)\/\S+\.ts$)|^(?=\/\/ node_modules\/)/m);
  const patterns: Record<string, RegExp> = {
    'dynamodb:GetItem': /new GetCommand\d*\(/,
    'dynamodb:PutItem': /new PutCommand\d*\(|\bPut:\s*[{\w]/,
    'dynamodb:UpdateItem': /new UpdateCommand\d*\(|\bUpdate:\s*[{\w]/,
    'dynamodb:DeleteItem': /new DeleteCommand\d*\(|\bDelete:\s*[{\w]/,
    'dynamodb:ConditionCheckItem': /\bConditionCheck:\s*[{\w]/,
    'dynamodb:Query': /new QueryCommand\d*\(|paginateQuery\d*\(/,
    'dynamodb:Scan': /new ScanCommand\d*\(|paginateScan\d*\(/,
    'dynamodb:BatchGetItem': /new BatchGetCommand\d*\(/,
    'dynamodb:BatchWriteItem': /new BatchWriteCommand\d*\(/,
    'dynamodb:TransactGetItems': /new TransactGetCommand\d*\(/,
    'dynamodb:ExecuteStatement': /new (?:Execute|BatchExecute)StatementCommand\d*\(/,
  };
  const where: Record<string, string[]> = {};
  const indexes = new Set<string>();
  for (const region of regions) {
    const module = /^\/\/ ((?:shared|functions)\/\S+\.ts)$/m.exec(region.split('\n', 1)[0] ?? '')?.[1];
    if (!module) continue;
    for (const [action, pattern] of Object.entries(patterns)) {
      if (pattern.test(region)) where[action] = [...(where[action] ?? []), module];
    }
    for (const match of region.matchAll(/IndexName:\s*["'`](\w+)["'`]/g)) indexes.add(match[1]!);
  }
  return { actions: Object.keys(where).sort(), indexes: [...indexes].sort(), where };
}
