import { useState } from 'preact/hooks';
import { APPROVAL_MODES } from '../../shared/domain/approval-modes.ts';
import { api, type Me, type PolicyPreview } from '../api.ts';
import { A, Day, Empty, Failure, html, Loading, MoreButton } from '../components/ui.ts';
import { useLoad } from '../components/use-load.ts';

type Policy = PolicyPreview['policy'];
type PreviewAccount = PolicyPreview['accounts'][number];
/** A field of the form: one scalar (or list of numbers) of the policy, by its path. */
type Field = { path: string[]; value: number | boolean | string | number[] };
type Values = Record<string, string | boolean>;

/** Fields with a fixed set of values, offered as a choice rather than typed (by their path). */
const CHOICES: Record<string, readonly string[]> = { 'approvals.terminate': APPROVAL_MODES };
const CHOICE_LABELS: Record<string, string> = { two_person: 'Two people (four eyes)', single: 'One person' };
const choiceLabel = (value: string) => CHOICE_LABELS[value] ?? humanize(value);

/** Kept as they are in the base policy: lists of records, not thresholds one types in. */
const KEPT = new Set(['fixedMonthlyCosts', 'exchangeRates']);

const humanize = (key: string) => {
  const words = key.replace(/([A-Z])/g, ' $1').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};
const idOf = (path: string[]) => `policy-${path.join('-')}`;

/** The policy's editable fields, in its own order, grouped by their first key. */
function fieldsOf(value: Record<string, unknown>, prefix: string[] = []): Field[] {
  const fields: Field[] = [];
  for (const [key, v] of Object.entries(value)) {
    const path = [...prefix, key];
    if (KEPT.has(key)) continue;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') fields.push({ path, value: v });
    else if (Array.isArray(v) && v.every((n) => typeof n === 'number')) fields.push({ path, value: v as number[] });
    else if (v && typeof v === 'object' && !Array.isArray(v)) fields.push(...fieldsOf(v as Record<string, unknown>, path));
  }
  return fields;
}

const formValues = (fields: Field[]): Values =>
  Object.fromEntries(
    fields.map((f) => [f.path.join('.'), typeof f.value === 'boolean' ? f.value : Array.isArray(f.value) ? f.value.join(', ') : String(f.value)]),
  );

/**
 * The proposal: the base policy with the form's values put in. A number left empty or not a
 * number is sent as null, so the server's 400 names the field (one validation, the server's).
 */
function proposalOf(base: Policy, fields: Field[], values: Values): Policy {
  const proposal = structuredClone(base) as Record<string, unknown>;
  for (const field of fields) {
    const raw = values[field.path.join('.')];
    let value: unknown = raw;
    if (typeof field.value === 'number') value = String(raw).trim() === '' ? null : Number(raw);
    else if (Array.isArray(field.value))
      value = String(raw)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map(Number);
    let target = proposal;
    for (const key of field.path.slice(0, -1)) target = target[key] as Record<string, unknown>;
    target[field.path.at(-1)!] = typeof value === 'number' && Number.isNaN(value) ? null : value;
  }
  return proposal as Policy;
}

/** Where the form starts: the policy in force for an admin; the built-in defaults for anyone else. */
async function basePolicy(me: Me): Promise<{ policy: Policy; inForce: boolean }> {
  if (me.role === 'admin') return { policy: (await api.policy()).policy, inForce: true };
  // A preview of an empty proposal answers the defaults filled in; one account is enough.
  return { policy: (await api.previewPolicy({}, { all: true, limit: 1 })).policy, inForce: false };
}

type Run =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'error'; error: unknown }
  | { state: 'ready'; result: PolicyPreview; all: boolean; proposal: Policy };

export function PreviewPage({ me }: { me: Me }) {
  if (me.role !== 'admin' && me.role !== 'approver') {
    return html`<section>
      <h1>Policy preview</h1>
      <p class="state">The policy preview is for approvers and admins; you are signed in as ${me.role === 'viewer' ? 'a viewer' : 'a reviewer'}.</p>
    </section>`;
  }
  return html`<${PreviewLoader} me=${me} />`;
}

/** Loads the policy the form starts from (apart, so no hook runs behind the role check). */
function PreviewLoader({ me }: { me: Me }) {
  const [base, reload] = useLoad(() => basePolicy(me), me.name);
  return html`<section>
    <h1>Policy preview</h1>
    <p>Who would be flagged or cleared, and which reviews would open, under a proposed policy. Nothing is saved or sent.</p>
    ${base.state === 'loading' ? html`<${Loading} what="the policy" />` : base.state === 'error' ? html`<${Failure} error=${base.error} retry=${reload} />` : html`<${PreviewForm} base=${base.data.policy} inForce=${base.data.inForce} />`}
  </section>`;
}

function PreviewForm({ base, inForce }: { base: Policy; inForce: boolean }) {
  const fields = fieldsOf(base as Record<string, unknown>);
  const [values, setValues] = useState<Values>(() => formValues(fields));
  const [all, setAll] = useState(false);
  const [run, setRun] = useState<Run>({ state: 'idle' });
  const [more, setMore] = useState<{ loading: boolean; error?: unknown }>({ loading: false });
  const set = (key: string, value: string | boolean) => setValues((v) => ({ ...v, [key]: value }));
  const submit = (event: Event) => {
    event.preventDefault();
    const proposal = proposalOf(base, fields, values);
    setRun({ state: 'running' });
    setMore({ loading: false });
    api.previewPolicy(proposal, { all }).then(
      (result) => setRun({ state: 'ready', result, all, proposal }),
      (error: unknown) => setRun({ state: 'error', error }),
    );
  };
  const loadMore = () => {
    if (run.state !== 'ready' || !run.result.nextCursor) return;
    setMore({ loading: true });
    api.previewPolicy(run.proposal, { all: run.all, cursor: run.result.nextCursor }).then(
      (page) => {
        setRun({ ...run, result: { ...page, accounts: [...run.result.accounts, ...page.accounts] } });
        setMore({ loading: false });
      },
      (error: unknown) => setMore({ loading: false, error }),
    );
  };
  const groups = new Map<string, Field[]>();
  for (const f of fields) {
    const group = f.path.length > 1 ? f.path[0]! : '';
    groups.set(group, [...(groups.get(group) ?? []), f]);
  }
  const input = (f: Field) => {
    const key = f.path.join('.');
    const id = idOf(f.path);
    const label = humanize(f.path.at(-1)!);
    if (typeof f.value === 'boolean') {
      // Label first, as for every other field, so the fieldset's two columns line up.
      return html`<div class="field"><label for=${id}>${label}</label><input id=${id} type="checkbox" checked=${values[key] === true} onChange=${(e: Event) => set(key, (e.target as HTMLInputElement).checked)} /></div>`;
    }
    const choices = CHOICES[key];
    if (choices) {
      return html`<div class="field"><label for=${id}>${label}</label>
        <select id=${id} value=${String(values[key] ?? '')} onChange=${(e: Event) => set(key, (e.target as HTMLSelectElement).value)}>
          ${choices.map((c) => html`<option value=${c}>${choiceLabel(c)}</option>`)}
        </select></div>`;
    }
    const hint = Array.isArray(f.value) ? 'comma-separated' : undefined;
    return html`<div class="field"><label for=${id}>${label}${hint ? html` <span class="muted">(${hint})</span>` : null}</label>
      <input id=${id} type=${typeof f.value === 'number' ? 'number' : 'text'} step=${typeof f.value === 'number' ? 'any' : undefined} value=${String(values[key] ?? '')} onInput=${(e: Event) => set(key, (e.target as HTMLInputElement).value)} /></div>`;
  };
  return html`
    <p class=${inForce ? 'muted' : 'pending'} role="note">
      ${
        inForce
          ? 'The fields hold the policy in force; change any of them and preview.'
          : 'Only an admin may read the policy in force, so the fields hold the built-in defaults: a preview compares the policy in force with these values as changed here.'
      }
    </p>
    ${inForce ? html`<details><summary>The policy in force</summary><pre class="evidence">${JSON.stringify(base, null, 2)}</pre></details>` : null}
    <form class="policy-form" aria-label="Proposed policy" onSubmit=${submit}>
      ${[...groups].map(([group, fs]) =>
        group
          ? html`<fieldset><legend>${humanize(group)}</legend>${fs.map(input)}</fieldset>`
          : html`<fieldset><legend>General</legend>${fs.map(input)}</fieldset>`,
      )}
      <p class="muted">Fixed monthly costs and exchange rates are kept as they are.</p>
      <div class="field"><input id="preview-all" type="checkbox" checked=${all} onChange=${(e: Event) => setAll((e.target as HTMLInputElement).checked)} /> <label for="preview-all">List every account, not only those that would change</label></div>
      <button type="submit" disabled=${run.state === 'running'}>Preview</button>
    </form>
    ${run.state === 'running' ? html`<${Loading} what="the preview" />` : null}
    ${run.state === 'error' ? html`<div class="state error" role="alert"><p>The preview failed: ${run.error instanceof Error ? run.error.message : String(run.error)}</p></div>` : null}
    ${run.state === 'ready' ? html`<${Results} result=${run.result} all=${run.all} />` : null}
    ${run.state === 'ready' ? html`<${MoreButton} cursor=${more.loading ? undefined : run.result.nextCursor} onMore=${loadMore} label="Load more accounts" />` : null}
    ${more.loading ? html`<${Loading} what="more accounts" />` : null}
    ${more.error ? html`<${Failure} error=${more.error} retry=${loadMore} />` : null}`;
}

function Results({ result, all }: { result: PolicyPreview; all: boolean }) {
  const s = result.summary;
  const partial = result.nextCursor !== undefined;
  return html`<div aria-live="polite">
    <h2>Summary</h2>
    <p class="muted">Assessed at ${new Date(result.asOf).toLocaleString('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' })} UTC${partial ? `; ${s.accounts} accounts examined so far, load more to continue` : ''}.</p>
    <dl class="summary">
      <dt>Accounts examined</dt><dd>${s.accounts}</dd>
      <dt>Flagged now</dt><dd>${s.flaggedNow}</dd>
      <dt>Flagged under the proposal</dt><dd>${s.flaggedUnderPreview}</dd>
      <dt>Newly flagged</dt><dd>${s.newlyFlagged}</dd>
      <dt>Cleared</dt><dd>${s.cleared}</dd>
    </dl>
    <h2>${all ? 'Every account' : 'Accounts whose flags would change'}</h2>
    ${
      result.accounts.length === 0
        ? html`<${Empty}>${partial ? 'None among the accounts examined so far.' : 'No account would change.'}<//>`
        : html`<table><thead><tr><th scope="col">Customer</th><th scope="col">Flags now</th><th scope="col">Under the proposal</th><th scope="col">Why</th><th scope="col">Review it would plan</th></tr></thead>
        <tbody>${result.accounts.map((a) => html`<${Row} account=${a} />`)}</tbody></table>`
    }
  </div>`;
}

function Row({ account: a }: { account: PreviewAccount }) {
  const flags = (list: string[]) => (list.length ? list.map((f) => f.replace('_', ' ')).join(', ') : 'none');
  const review = a.reviewUnderPreview;
  return html`<tr>
    <td><${A} href=${`/app/accounts/${encodeURIComponent(a.id)}`}>${a.name ?? a.id}<//><div class="muted">${a.id}</div></td>
    <td>${flags(a.flagsNow)}</td>
    <td>${flags(a.flagsUnderPreview)}</td>
    <td>${a.reasonsUnderPreview.length ? html`<ul class="reasons">${a.reasonsUnderPreview.map((r) => html`<li>${r}</li>`)}</ul>` : '—'}</td>
    <td>${
      review
        ? html`${review.status}: opens <${Day} date=${review.openAt} />, due <${Day} date=${review.dueAt} />${review.targetEnd ? html`, for the term ending <${Day} date=${review.targetEnd} />` : ', no contract on record'}`
        : '—'
    }</td>
  </tr>`;
}
