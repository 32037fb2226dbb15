import { useCallback, useEffect, useState } from 'preact/hooks';

export type Load<T> = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ready'; data: T };

/** A page's one fetching layer: loads on mount and whenever `key` changes; `reload` fetches again. */
export function useLoad<T>(fetcher: () => Promise<T>, key: string): [Load<T>, () => void, (data: T) => void] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setLoad({ state: 'loading' });
    fetcher().then(
      (data) => live && setLoad({ state: 'ready', data }),
      (error: unknown) => live && setLoad({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [key, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  const set = useCallback((data: T) => setLoad({ state: 'ready', data }), []);
  return [load, reload, set];
}

/** A list read page by page through the API's cursors: nothing loads a whole table. */
export function usePages<T>(fetchPage: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>, key: string) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [state, setState] = useState<'loading' | 'ready' | 'error'>('loading');
  const [error, setError] = useState<unknown>();
  const load = (from?: string) => {
    setState('loading');
    fetchPage(from).then(
      (page) => {
        setItems((before) => (from ? [...before, ...page.items] : page.items));
        setCursor(page.nextCursor);
        setState('ready');
      },
      (e: unknown) => {
        setError(e);
        setState('error');
      },
    );
  };
  useEffect(() => {
    setItems([]);
    load();
  }, [key]);
  return { items, cursor, state, error, more: () => load(cursor), reload: () => load() };
}
