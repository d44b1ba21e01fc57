import { watchChannel, type ChannelPresenceEvent } from '@agora-backend/client';
import {
  CHANNEL_KICK_DEFAULT_SECONDS,
  ChannelBanInput,
  type BanPrivilege,
  type ChannelBan,
  type ChannelGetOutput,
  type ChannelMember,
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

/** Agora's platform numbers as channel.user names them. */
const PLATFORMS: Record<number, string> = { 0: 'other', 1: 'android', 2: 'ios', 5: 'windows', 6: 'linux', 7: 'web', 8: 'macos' };
/** How many joins and leaves the "Recent" list keeps. */
const RECENT = 10;

/** The summary line from presence's members (the same words as from channel.get). */
function presenceSummary(members: Map<number, ChannelMember>): string {
  const roles = [...members.values()].map((member) => member.role);
  if (roles.length === 0) return 'Nobody is in this channel.';
  const count = (role: string) => roles.filter((r) => r === role).length;
  if (roles.includes('communication')) return `Communication: ${roles.length} user${roles.length === 1 ? '' : 's'}.`;
  const hosts = count('host');
  return `Live broadcasting: ${hosts} host${hosts === 1 ? '' : 's'}, ${count('audience')} audience.`;
}

/** One line of the "Recent joins and leaves" list, or undefined for a snapshot. */
function recentLine(event: ChannelPresenceEvent): HTMLElement | undefined {
  if (event.type === 'snapshot') return undefined;
  const what =
    event.type === 'join' ? `joined as ${event.role}` : event.type === 'leave' ? `left (${event.reason})` : `is now ${event.role}`;
  return h('li', { 'data-event': event.type, 'data-uid': event.uid }, `${formatTime(new Date(event.at))} uid ${event.uid} ${what}`);
}

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
 * One channel: who is here (role, platform, since when); Kick, which asks first; a ban form; and
 * the channel's bans in force, each with Unban. Who is here follows channel.watch once presence is
 * fed by Agora's channel events (the first join, leave or role change from a notice shows it), with
 * the recent joins and leaves; until then, or when the watch fails, the page re-reads every 3 s.
 */
export function channelPage(root: HTMLElement, name: string): () => void {
  const status = h('p', { role: 'status', 'aria-live': 'polite', id: 'channel-summary' }, '…');
  const message = h('p', { class: 'error', role: 'alert' });
  const users = h('tbody');
  const bans = h('tbody');
  const noBans = h('p', { class: 'muted' });
  const recent = h('ul', { id: 'channel-recent', class: 'recent' });
  const recentNote = h('p', { class: 'muted' }, 'Live updates are not available here: the page re-reads every 3 s.');
  // Each user's details once (their join time does not change); a refresh asks only for new ones.
  const details = new Map<number, ChannelUserOutput>();
  // Presence's view, kept from the watch's snapshot and events; drawn only once `live`.
  const members = new Map<number, ChannelMember>();
  let live = false;

  async function readDetails(uids: number[]) {
    const wanted = uids.filter((uid) => !details.has(uid)).slice(0, DETAILS_PER_REFRESH);
    const answers = await Promise.allSettled(wanted.map((uid) => api().channel.user.query({ channel: name, uid })));
    for (const answer of answers) if (answer.status === 'fulfilled') details.set(answer.value.uid, answer.value);
  }

  function userRow(uid: number, role: string): HTMLTableRowElement {
    const detail = details.get(uid);
    const member = live ? members.get(uid) : undefined;
    const joinedAt = detail?.joinedAt ?? member?.joinedAt;
    const since = joinedAt ? formatTime(new Date(joinedAt)) : '–';
    const platform = detail?.platform ?? (member?.platform != null ? (PLATFORMS[member.platform] ?? 'unknown') : undefined);
    return h(
      'tr',
      { 'data-uid': uid, 'data-role': detail?.role ?? role, 'data-detailed': detail !== undefined },
      h('td', {}, uid),
      h('td', {}, detail?.role ?? role),
      h('td', {}, platform ?? '–'),
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
      // Live, who is here comes from the watch: only the bans are read.
      const [channel, rules] = await Promise.all([
        live ? undefined : api().channel.get.query({ channel: name }),
        api().channel.bans.query(),
      ]);
      if (channel && !live) {
        const everyone = people(channel);
        await readDetails(everyone.map((person) => person.uid));
        // The watch may have gone live meanwhile: its view wins over this older read.
        if (root.dataset.live !== 'true') {
          drawUsers(everyone);
          status.textContent = summary(channel);
        }
      }
      const ours = rules.items.filter((rule) => rule.channel === name);
      show(bans, ...ours.map((rule) => banRow(rule, message, () => void load())));
      noBans.textContent = ours.length === 0 ? 'No bans in force in this channel.' : '';
    } catch (error) {
      message.textContent = describe(error);
    } finally {
      loading = false;
    }
  }

  /** Makes the table show `everyone`: a row being confirmed keeps its place; only rows of users who left or came are replaced. */
  function drawUsers(everyone: { uid: number; role: string }[]) {
    const present = new Set(everyone.map((person) => person.uid));
    for (const row of users.querySelectorAll<HTMLTableRowElement>('tr[data-uid]')) if (!present.has(Number(row.dataset.uid))) row.remove();
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
  }

  /** Draws presence's members (live only); details of newcomers are asked for after, and drawn when they come. */
  function drawLive() {
    const everyone = [...members.values()].map((member) => ({ uid: member.uid, role: member.role }));
    drawUsers(everyone);
    status.textContent = presenceSummary(members);
    void readDetails(everyone.map((person) => person.uid)).then(() => live && drawUsers(everyone));
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  const refreshEvery3s = () => {
    timer ??= setInterval(() => void load(), 3_000);
  };

  function onPresence(event: ChannelPresenceEvent) {
    if (event.type === 'snapshot') {
      members.clear();
      for (const member of event.members) members.set(member.uid, member);
    } else if (event.type === 'leave') {
      members.delete(event.uid);
      details.delete(event.uid);
    } else {
      const before = members.get(event.uid);
      members.set(event.uid, {
        uid: event.uid,
        role: event.role,
        platform: event.type === 'join' ? event.platform : (before?.platform ?? null),
        joinedAt: event.type === 'join' ? event.at : (before?.joinedAt ?? event.at),
        source: event.source,
      });
      if (event.type === 'role') details.delete(event.uid);
    }
    const line = recentLine(event);
    if (line) {
      recent.prepend(line);
      while (recent.children.length > RECENT) recent.lastElementChild?.remove();
    }
    // Agora's channel events reach us: from now on the watch says who is here, not a re-read.
    const fromNotice = event.type === 'snapshot' ? event.members.some((member) => member.source === 'event') : event.source === 'event';
    if (fromNotice && !live) {
      live = true;
      root.dataset.live = 'true';
      recentNote.textContent = '';
      clearInterval(timer);
      timer = undefined;
    }
    if (live) drawLive();
  }

  show(
    root,
    h('h1', {}, 'Channel ', h('code', {}, name)),
    status,
    message,
    h('h2', {}, 'Who is here'),
    listTable(['Uid', 'Role', 'Platform', 'Since', ''], users),
    h('h2', {}, 'Recent joins and leaves'),
    recentNote,
    recent,
    h('h2', {}, 'Bans in force'),
    listTable(['Ban', 'Uid', 'May not', 'Until', 'By', 'Reason', ''], bans),
    noBans,
    banForm(name, () => void load()),
  );
  void load();
  refreshEvery3s();
  const watch = watchChannel(api(), name, {
    onEvent: onPresence,
    // No access to the watch, or no presence on this server: the page keeps re-reading.
    onError: () => {
      live = false;
      delete root.dataset.live;
      recentNote.textContent = 'Live updates are not available here: the page re-reads every 3 s.';
      refreshEvery3s();
    },
  });
  return () => {
    watch.stop();
    clearInterval(timer);
    delete root.dataset.live;
  };
}
