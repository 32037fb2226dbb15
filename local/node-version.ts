/**
 * Imported first by every local entry point (`npm start`, backfill, imports, the bench).
 *
 * Lambda runs Node 22+; local runs are supported on Node 20.19+ (package.json `engines`). On
 * Node 20 the AWS SDK prints a multi-line "NodeVersionSupportWarning" at its first client, on
 * every run, which people read as an error. It is a notice about future SDK releases, not about
 * this run, so it is replaced by one line of ours; every other warning still prints.
 */
const major = Number(process.versions.node.split('.')[0]);
if (major < 22 && process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (process.env.WATCHER_QUIET_NODE_NOTICE !== 'true') {
    process.stderr.write(
      `Note: Node ${process.versions.node} is fine for local runs; Lambda runs Node 22+, and AWS SDK releases after January 2027 will need Node 22 here too.\n`,
    );
  }
}
export {};
