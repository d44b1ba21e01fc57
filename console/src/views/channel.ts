import {
  CHANNEL_KICK_DEFAULT_SECONDS,
  ChannelBanInput,
  type BanPrivilege,
  type ChannelBan,
  type ChannelGetOutput,
  type ChannelUserOutput,
} from '@agora-backend/shared';
import { field, formatTime, h, show } from '../dom.js';
import { describe, showIssues } from '../errors.js';
import { onCheckedSubmit } from '../forms.js';
import { api } from '../session.js';
import { listTable } from './task-list.js';

/** How many users' details (role, platform, since when: one Agora call each) one refresh asks for. */
const DETAILS_PER_REFRESH = 20;
const PRIVILEGES: [BanPrivilege, string][] = [
  ['join', 'joining (also removes them now)'],
  ['publishAudio', 'publishing audio'],
  ['publishVideo', 'publishing video'],
];

/** Everyone in the channel with the role its answer gives: communication users, or hosts then audience. */
function people(channel: ChannelGetOutput): { uid: number; role: string }[] {
  if (channel.profile === 'communication') return channel.users.map((uid) => ({ uid, role: 'communication' }));
  return [...channel.hosts.map((uid) => ({ uid, role: 'host' })), ...channel.audience.map((uid) => ({ uid, role: 'audience' }))];
}

function summary(channel: ChannelGetOutput): string {
  if (!channel.exists) return 'Nobody is in this channel.';
  if (channel.profile === 'communication') return `Communication: ${channel.total} user${channel.total === 1 ? '' : 's'}.`;
  const listed = channel.audienceTruncated ? ` (Agora lists the first ${channel.audienceListCap})` : '';
  return `Live broadcasting: ${channel.hostCount} host${channel.hostCount === 1 ? '' : 's'}, ${channel.audienceCount} audience${listed}.`;
}

/**
 * A Kick button that asks first ("Kick uid 42? They stay out 60 s." with Yes and No), then sends
 * channel.kick; `done` re-reads the page.
 */
function kickButton(channel: string, uid: number, message: HTMLElement, done: () => void): HTMLElement {
  const kick = h('button', { type: 'button', class: 'secondary' }, 'Kick');
  const yes = h('button', { type: 'button', class: 'danger' }, `Yes, kick ${uid}`);
  const no = h('button', { type: 'button', class: 'secondary' }, 'No, keep them');
  const ask = h(
    'span',
    { class: 'confirm', role: 'group', 'aria-label': `Confirm kicking ${uid}`, hidden: true },
    `Kick uid ${uid}? They stay out ${CHANNEL_KICK_DEFAULT_SECONDS} s. `,
    yes,
    ' ',
    no,
  );
  const asking = (on: boolean) => {
    ask.hidden = !on;
    kick.hidden = on;
    (on ? no : kick).focus();
  };
  kick.addEventListener('click', () => asking(true));
  no.addEventListener('click', () => asking(false));
  yes.addEventListener('click', () => {
    yes.disabled = true;
    api()
      .channel.kick.mutate({ channel, uid })
      .then(
        () => {
          message.textContent = '';
          done();
        },
        (error: unknown) => {
          yes.disabled = false;
          asking(false);
          message.textContent = describe(error);
        },
      );
  });
  return h('span', {}, kick, ask);
}

/**
 * The ban form: a uid in this channel, what they may not do, for how long; checked with the shared
 * schema first. The uid is required here: a channel-wide ban (everyone) is left to the API and agoractl.
 */
function banForm(channel: string, done: () => void): HTMLFormElement {
  const uid = h('input', { name: 'uid', inputmode: 'numeric', autocomplete: 'off', placeholder: '42' });
  const seconds = h('input', { name: 'seconds', inputmode: 'numeric', autocomplete: 'off', value: '600' });
  const reason = h('input', { name: 'reason', autocomplete: 'off' });
  const boxes = PRIVILEGES.map(([value]) => h('input', { type: 'checkbox', name: 'privileges', value, checked: value === 'join' }));
  const formError = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { 'aria-label': 'Ban a user' },
    h('h2', {}, 'Ban'),
    field('Uid', uid),
    h(
      'fieldset',
      {},
      h('legend', {}, 'They may not'),
      ...boxes.map((box, index) => h('label', {}, h('span', {}, box, ` ${PRIVILEGES[index]![1]}`))),
      h('span', { class: 'field-error', 'data-error-for': 'privileges' }),
    ),
    field('For … seconds (0: remove now, or 10 to 86430)', seconds),
    field('Reason (optional)', reason),
    h('button', { type: 'submit' }, 'Ban'),
    formError,
  );
  // Agora clamps a duration out of its range silently: the shared schema refuses it here, under
  // the field the server names (`seconds`), before anything is sent.
  onCheckedSubmit(
    form,
    formError,
    ChannelBanInput,
    () => ({
      channel,
      // Empty is no uid: refused under the field rather than read as "everyone in the channel".
      uid: uid.value.trim() === '' ? Number.NaN : Number(uid.value),
      privileges: boxes.filter((box) => box.checked).map((box) => box.value),
      seconds: seconds.value.trim() === '' ? Number.NaN : Number(seconds.value),
      ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
    }),
    (input) => api().channel.ban.mutate(input),
    () => {
      uid.value = '';
      reason.value = '';
      showIssues(form, []);
      done();
    },
  );
  return form;
}

function banRow(ban: ChannelBan, message: HTMLElement, done: () => void): HTMLTableRowElement {
  const unban = h('button', { type: 'button', class: 'secondary' }, 'Unban');
  unban.addEventListener('click', () => {
    unban.disabled = true;
    api()
      .channel.unban.mutate({ id: ban.id })
      .then(done, (error: unknown) => {
        unban.disabled = false;
        message.textContent = describe(error);
      });
  });
  return h(
    'tr',
    { 'data-ban': ban.id },
    h('td', {}, ban.id),
    h('td', {}, ban.uid ?? 'everyone'),
    h('td', {}, ban.privileges.join(', ')),
    h('td', {}, formatTime(ban.expiresAt === null ? null : new Date(ban.expiresAt))),
    h('td', {}, ban.createdBy ?? '–'),
    h('td', {}, ban.reason ?? ''),
    h('td', {}, unban),
  );
}

/**
 * One channel: who is here (role, platform, since when), re-read every 3 s; Kick, which asks
 * first; a ban form; and the channel's bans in force, each with Unban.
 */
export function channelPage(root: HTMLElement, name: string): () => void {
  const status = h('p', { role: 'status', 'aria-live': 'polite', id: 'channel-summary' }, '…');
  const message = h('p', { class: 'error', role: 'alert' });
  const users = h('tbody');
  const bans = h('tbody');
  const noBans = h('p', { class: 'muted' });
  // Each user's details once (their join time does not change); a refresh asks only for new ones.
  const details = new Map<number, ChannelUserOutput>();

  async function readDetails(uids: number[]) {
    const wanted = uids.filter((uid) => !details.has(uid)).slice(0, DETAILS_PER_REFRESH);
    const answers = await Promise.allSettled(wanted.map((uid) => api().channel.user.query({ channel: name, uid })));
    for (const answer of answers) if (answer.status === 'fulfilled') details.set(answer.value.uid, answer.value);
  }

  function userRow(uid: number, role: string): HTMLTableRowElement {
    const detail = details.get(uid);
    const since = detail?.joinedAt ? formatTime(new Date(detail.joinedAt)) : '–';
    return h(
      'tr',
      { 'data-uid': uid, 'data-role': detail?.role ?? role, 'data-detailed': detail !== undefined },
      h('td', {}, uid),
      h('td', {}, detail?.role ?? role),
      h('td', {}, detail?.platform ?? '–'),
      h('td', {}, since),
      h(
        'td',
        {},
        kickButton(name, uid, message, () => void load()),
      ),
    );
  }

  let loading = false;
  async function load() {
    if (loading) return;
    loading = true;
    try {
      const [channel, rules] = await Promise.all([api().channel.get.query({ channel: name }), api().channel.bans.query()]);
      const everyone = people(channel);
      await readDetails(everyone.map((person) => person.uid));
      // A row being confirmed keeps its place: only rows of users who left or came are replaced.
      const present = new Set(everyone.map((person) => person.uid));
      for (const row of users.querySelectorAll<HTMLTableRowElement>('tr[data-uid]'))
        if (!present.has(Number(row.dataset.uid))) row.remove();
      for (const person of everyone) {
        const shown = users.querySelector<HTMLTableRowElement>(`tr[data-uid="${person.uid}"]`);
        // A row shown before its details came (or whose role changed) is redrawn, unless a kick is being confirmed there.
        const stale =
          shown &&
          ((details.has(person.uid) && !shown.hasAttribute('data-detailed')) ||
            shown.dataset.role !== (details.get(person.uid)?.role ?? person.role));
        if (shown && stale && !shown.querySelector('.confirm:not([hidden])')) shown.replaceWith(userRow(person.uid, person.role));
        else if (!shown) users.append(userRow(person.uid, person.role));
      }
      status.textContent = summary(channel);
      const ours = rules.items.filter((rule) => rule.channel === name);
      show(bans, ...ours.map((rule) => banRow(rule, message, () => void load())));
      noBans.textContent = ours.length === 0 ? 'No bans in force in this channel.' : '';
    } catch (error) {
      message.textContent = describe(error);
    } finally {
      loading = false;
    }
  }

  show(
    root,
    h('h1', {}, 'Channel ', h('code', {}, name)),
    status,
    message,
    h('h2', {}, 'Who is here'),
    listTable(['Uid', 'Role', 'Platform', 'Since', ''], users),
    h('h2', {}, 'Bans in force'),
    listTable(['Ban', 'Uid', 'May not', 'Until', 'By', 'Reason', ''], bans),
    noBans,
    banForm(name, () => void load()),
  );
  void load();
  // Refreshed every 3 s for now; channel.watch (presence from Agora's channel events) will push changes.
  const timer = setInterval(() => void load(), 3_000);
  return () => clearInterval(timer);
}
