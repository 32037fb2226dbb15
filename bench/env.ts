import '../local/node-version.ts';
/**
 * Imported first by bench/run.ts, before any product module: the product logger reads its level
 * when it is constructed, and the report must not drown in INFO lines.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_DEV ??= 'false';
