import type { ChannelSummary } from '@agora-backend/shared';
import { field, h, show } from '../dom.js';
import { describe } from '../errors.js';
import { api } from '../session.js';
import { listTable } from './task-list.js';

const channelHref = (name: string) => `#/channels/${encodeURIComponent(name)}`;

function row(item: ChannelSummary): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-channel': item.channel },
    h('td', {}, h('a', { href: channelHref(item.channel) }, item.channel)),
    h('td', {}, item.userCount),
  );
}

/**
 * The channels the caller may moderate, with their user counts (channel.list; Agora lists only
 * channels someone is in), re-read every 3 s; and a box to open any channel by name.
 */
export function channelsPage(root: HTMLElement): () => void {
  const body = h('tbody');
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Next page');
  let cursor: string | undefined;

  async function load() {
    try {
      const page = await api().channel.list.query(cursor ? { cursor } : {});
      show(body, ...page.items.map(row));
      status.textContent = page.items.length === 0 ? 'Nobody is in any channel you may moderate.' : '';
      more.hidden = page.nextCursor === null;
      more.onclick = () => {
        cursor = page.nextCursor ?? undefined;
        void load();
      };
    } catch (error) {
      status.textContent = describe(error);
    }
  }

  const name = h('input', { name: 'channel', type: 'search', autocomplete: 'off', spellcheck: 'false', required: true });
  const open = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Open a channel',
      onsubmit: (event: Event) => {
        event.preventDefault();
        if (name.value.trim()) location.hash = channelHref(name.value.trim());
      },
    },
    field('Channel', name),
    h('button', { type: 'submit' }, 'Open'),
  );
  show(root, h('h1', {}, 'Channels'), open, listTable(['Channel', 'Users'], body), status, more);
  void load();
  const timer = setInterval(() => void load(), 3_000);
  return () => clearInterval(timer);
}
