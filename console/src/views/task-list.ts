import { field, h, show } from '../dom.js';
import { describe } from '../errors.js';
import { findForm } from '../forms.js';

/** The filters every task list takes, read from the page's URL (`#/<list>?channel=…&state=…`). */
export function listFilters(states: readonly string[], params: URLSearchParams) {
  const channel = h('input', { name: 'channel', type: 'search', autocomplete: 'off', value: params.get('channel') ?? '' });
  const state = h(
    'select',
    { name: 'state' },
    h('option', { value: '' }, 'any'),
    ...states.map((value) => h('option', { value, selected: value === params.get('state') }, value)),
  );
  return { channel, state, fields: [field('Channel', channel), field('State', state)] };
}

/** A list's table: its column titles over `body`, in a wrapper that scrolls sideways on a narrow screen. */
export function listTable(titles: readonly string[], body: HTMLTableSectionElement): HTMLDivElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', {}, h('thead', {}, h('tr', {}, ...titles.map((title) => h('th', { scope: 'col' }, title)))), body),
  );
}

/**
 * A page of the registry's tasks of one kind (transcriptions, agents): find by id, filter by
 * channel and state, the newest 20 re-read every 3 s, and the start form below the list.
 */
export function taskListPage<T, S extends string>(
  root: HTMLElement,
  params: URLSearchParams,
  page: {
    list: 'transcriptions' | 'agents';
    title: string;
    idLabel: string;
    states: readonly S[];
    columns: readonly string[];
    read: (filters: { channel?: string; state?: S }) => Promise<{ items: T[] }>;
    row: (item: T) => HTMLTableRowElement;
    empty: string;
    form: HTMLFormElement;
  },
): () => void {
  const { channel, state, fields } = listFilters(page.states, params);
  const body = h('tbody');
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  async function load() {
    try {
      const listed = await page.read({
        ...(channel.value ? { channel: channel.value } : {}),
        ...(state.value ? { state: state.value as S } : {}),
      });
      show(body, ...listed.items.map(page.row));
      status.textContent = listed.items.length === 0 ? page.empty : '';
    } catch (error) {
      status.textContent = describe(error);
    }
  }
  const filters = findForm(page.list, page.idLabel, fields, () => void load());
  show(root, h('h1', {}, page.title), filters, listTable(page.columns, body), status, page.form);
  void load();
  const timer = setInterval(() => void load(), 3_000);
  return () => clearInterval(timer);
}
