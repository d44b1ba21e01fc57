import type { AdminOverviewOutput } from '@agora-backend/client';
import { failureText, formatTime, h, show } from '../dom.js';
import { describe } from '../errors.js';
import { api } from '../session.js';

/** A table of counts by state, each count a link to the list filtered by that state. */
function countsTable(caption: string, list: 'recordings' | 'transcriptions' | 'agents', counts: Record<string, number>): HTMLTableElement {
  const states = Object.keys(counts);
  return h(
    'table',
    { class: 'counts', 'data-kind': list },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...states.map((state) => h('th', { scope: 'col' }, state)))),
    h(
      'tbody',
      {},
      h(
        'tr',
        {},
        ...states.map((state) =>
          h('td', { class: `state state-${state}`, 'data-state': state }, h('a', { href: `#/${list}?state=${state}` }, counts[state] ?? 0)),
        ),
      ),
    ),
  );
}

function failures(overview: AdminOverviewOutput): HTMLElement {
  if (overview.recentFailures.length === 0) return h('p', {}, 'Nothing has failed.');
  return h(
    'ul',
    { class: 'failures', 'aria-label': 'Recent failures' },
    ...overview.recentFailures.map((failure) =>
      h(
        'li',
        { 'data-failure': failure.id },
        h('a', { href: `#/${failure.kind}s/${failure.id}` }, `${failure.kind} ${failure.id.slice(0, 12)}`),
        ` · ${failure.channel} · ${formatTime(failure.stoppedAt)} · `,
        h('span', { class: 'reason' }, failureText(failure.lastError)),
      ),
    ),
  );
}

function upstream(health: AdminOverviewOutput['upstream']): HTMLElement[] {
  const outcomes = [...new Set(health.endpoints.flatMap((entry) => Object.keys(entry.outcomes)))].sort();
  const notices = Object.entries(health.notices);
  return [
    health.endpoints.length === 0
      ? h('p', {}, 'No calls to Agora yet.')
      : h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'upstream' },
            h('caption', {}, 'Calls to Agora since start-up, by answer'),
            h(
              'thead',
              {},
              h('tr', {}, h('th', { scope: 'col' }, 'endpoint'), ...outcomes.map((outcome) => h('th', { scope: 'col' }, outcome))),
            ),
            h(
              'tbody',
              {},
              ...health.endpoints.map((entry) =>
                h(
                  'tr',
                  { 'data-endpoint': entry.endpoint },
                  h('th', { scope: 'row' }, entry.endpoint),
                  ...outcomes.map((outcome) => h('td', {}, entry.outcomes[outcome] ?? 0)),
                ),
              ),
            ),
          ),
        ),
    h('p', {}, `Waited for Agora's rate budget: ${health.budgetWaits.count} calls, ${health.budgetWaits.seconds.toFixed(2)} s in all.`),
    h(
      'p',
      {},
      notices.length === 0
        ? 'No notices from Agora yet.'
        : `Agora's notices: ${notices.map(([outcome, count]) => `${outcome} ${count}`).join(', ')}.`,
    ),
  ];
}

/** The operator's dashboard: what runs now, what failed and why, and how Agora answers; re-read every 3 s. */
export function overviewPage(root: HTMLElement): () => void {
  const body = h('div', { id: 'overview', 'aria-live': 'polite' }, h('p', {}, 'Loading…'));
  async function load() {
    try {
      const overview = await api().admin.overview.query();
      show(
        body,
        countsTable('Recordings by state', 'recordings', overview.recordings),
        countsTable('Transcriptions by state', 'transcriptions', overview.transcriptions),
        countsTable('Conversational AI agents by state', 'agents', overview.agents),
        h(
          'p',
          {},
          h('a', { href: '#/agents?state=running', id: 'running-agents' }, 'Conversational AI agents running'),
          ' · ',
          h('a', { href: '#/agents' }, 'all agents'),
        ),
        h('h2', {}, 'Recent failures'),
        failures(overview),
        h('h2', {}, 'Agora'),
        ...upstream(overview.upstream),
        h('p', { class: 'muted' }, `As of ${formatTime(overview.at)}.`),
      );
    } catch (error) {
      show(body, h('p', { class: 'error', role: 'alert' }, describe(error)));
    }
  }
  show(root, h('h1', {}, 'Overview'), body);
  void load();
  const timer = setInterval(() => void load(), 3_000);
  return () => clearInterval(timer);
}
