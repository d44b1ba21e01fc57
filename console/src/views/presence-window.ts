import type { ChannelSession } from '@agora-backend/shared';
import { formatTime, h, show } from '../dom.js';
import { api } from '../session.js';
import { listTable } from './task-list.js';

/** `1h02m03s`, `4m05s`, `12s`. */
function duration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (hours > 0) return `${hours}h${pad(minutes)}m${pad(seconds % 60)}s`;
  return minutes > 0 ? `${minutes}m${pad(seconds % 60)}s` : `${seconds % 60}s`;
}

function sessionRow(session: ChannelSession): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-session-uid': session.uid },
    h('td', {}, session.uid),
    h('td', {}, session.role),
    h('td', {}, formatTime(new Date(session.joinedAt))),
    h('td', {}, session.leftAt === null ? 'still here' : formatTime(new Date(session.leftAt))),
    h('td', {}, duration(session.durationMs)),
  );
}

/** A task as this section needs it: its channel, its own uid (left out: it is the bot) and when it ran. */
export interface TaskWindow {
  channel: string;
  uid: string;
  createdAt: Date;
  startedAt: Date | null;
  stoppedAt: Date | null;
}

/**
 * "Who was in the channel": every stay that overlaps the task's run [started, stopped or now], from
 * channel.sessions. Shown only to a caller who may read the channel's presence (the `moderate`
 * scope and the channel); for anyone else, or on a server without presence, it stays hidden.
 */
export function presenceWindow(reread: () => Promise<TaskWindow>): {
  section: HTMLElement;
  load(task: TaskWindow): void;
  /** The task ended: read it again once, so the window closes at its stop (not at when the page opened). */
  closeAtEnd(): void;
} {
  const rows = h('tbody');
  const note = h('p', { class: 'muted' });
  const section = h(
    'section',
    { id: 'who-was-here', hidden: true, 'aria-label': 'Who was in the channel' },
    h('h2', {}, 'Who was in the channel'),
    note,
    listTable(['Uid', 'Role', 'Joined', 'Left', 'Stayed'], rows),
  );
  let closed = false;
  const presence = {
    section,
    closeAtEnd() {
      if (closed) return;
      closed = true;
      reread().then(
        (task) => presence.load(task),
        () => undefined,
      );
    },
    load(task: TaskWindow) {
      // A task read after its end already carries it: no second read.
      if (task.stoppedAt !== null) closed = true;
      // Agora stamps joins and leaves in whole seconds: the window is widened to whole seconds too,
      // or a leave in the second the task started would count as before it.
      const since = Math.floor((task.startedAt ?? task.createdAt).getTime() / 1000) * 1000;
      const until = Math.ceil((task.stoppedAt?.getTime() ?? Date.now()) / 1000) * 1000;
      api()
        .channel.sessions.query({ channel: task.channel, since, until, limit: 500 })
        .then(
          (answer) => {
            const people = answer.items.filter((session) => String(session.uid) !== task.uid);
            show(rows, ...people.map(sessionRow));
            note.textContent =
              people.length === 0
                ? 'Nobody was seen in the channel while it ran.'
                : `${people.length} stay${people.length === 1 ? '' : 's'} overlap the time it ran.`;
            section.hidden = false;
          },
          // No rights to the channel's presence (or no presence here): the section is not for this caller.
          () => (section.hidden = true),
        );
    },
  };
  return presence;
}
