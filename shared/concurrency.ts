/**
 * Runs `work` over `items`, at most `concurrency` at once, taking them in the order given. The
 * promise settles when every worker has run out of items, or rejects with the first failure (the
 * other workers carry on with the items they took and those after, as before this was shared).
 */
export async function eachAtOnce<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker));
}
