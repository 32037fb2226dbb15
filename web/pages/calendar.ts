import { useState } from 'preact/hooks';
import { api, type CreatedFeed, type Me } from '../api.ts';
import { Day, Empty, Failure, html, Loading, MoreButton } from '../components/ui.ts';
import { usePages } from '../components/use-load.ts';

const canChange = (me: Me) => me.role !== 'viewer';

/** Calendar feeds: create one (its secret URL is shown once), list them, revoke one. */
export function CalendarPage({ me }: { me: Me }) {
  const [version, setVersion] = useState(0);
  const list = usePages((cursor) => api.calendarFeeds(cursor), String(version));
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedFeed | undefined>();
  const [error, setError] = useState<unknown>();
  return html`<section>
    <h1>Calendar feeds</h1>
    <p>Subscribe a calendar app to a feed's URL: notice deadlines (with reminders before them) and review due dates. The URL is the key: keep it to yourself, revoke it when it leaks.</p>
    ${
      canChange(me)
        ? html`<form onSubmit=${(e: Event) => {
            e.preventDefault();
            setError(undefined);
            api.createCalendarFeed(name.trim()).then((feed) => {
              setCreated(feed);
              setName('');
              setVersion((v) => v + 1);
            }, setError);
          }}>
          <label for="feed-name">Feed name</label> <input id="feed-name" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
          <button type="submit" disabled=${!name.trim()}>Create feed</button>
        </form>`
        : null
    }
    ${
      created
        ? html`<div role="status"><p>Feed “${created.name}” created. Copy its URL now; it is not shown again:</p>
          <label for="feed-url">Feed URL</label> <input id="feed-url" readonly value=${created.url} size="80" /></div>`
        : null
    }
    ${error ? html`<${Failure} error=${error} />` : null}
    ${list.state === 'error' ? html`<${Failure} error=${list.error} retry=${list.reload} />` : null}
    ${
      list.state === 'loading' && list.items.length === 0
        ? html`<${Loading} what="calendar feeds" />`
        : list.items.length === 0
          ? html`<${Empty}>No calendar feed yet.<//>`
          : html`<table><thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">By</th>${canChange(me) ? html`<th scope="col">Revoke</th>` : null}</tr></thead>
          <tbody>${list.items.map(
            (f) =>
              html`<tr><td>${f.name}</td><td><${Day} date=${f.createdAt} /></td><td>${f.createdBy}</td>${
                canChange(me)
                  ? html`<td><button type="button" aria-label=${`Revoke ${f.name}`} onClick=${() => api.revokeCalendarFeed(f.id).then(() => setVersion((v) => v + 1), setError)}>Revoke</button></td>`
                  : null
              }</tr>`,
          )}</tbody></table>`
    }
    <${MoreButton} cursor=${list.cursor} onMore=${list.more} label="Load more feeds" />
  </section>`;
}
