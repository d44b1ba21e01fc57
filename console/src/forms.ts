import { field, h } from './dom.js';
import { describe, refusal, showIssues } from './errors.js';

/** What a shared schema offers a form: a check that names each field it refuses. */
interface Checkable {
  safeParse(
    value: unknown,
  ): { success: true } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/**
 * A form that sends what `read` says once `schema` accepts it: refused fields get the schema's
 * words beside them before anything is sent, then the server's field errors the same way, and
 * its other refusals in `formError`.
 */
export function onCheckedSubmit<T>(
  form: HTMLFormElement,
  formError: HTMLElement,
  schema: Checkable,
  read: () => unknown,
  send: (input: never) => Promise<T>,
  done: (value: T) => void,
): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const wanted = read();
    const checked = schema.safeParse(wanted);
    formError.textContent = checked.success
      ? ''
      : showIssues(
          form,
          checked.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
        ).join('; ');
    if (!checked.success) return;
    showIssues(form, []);
    send(wanted as never).then(done, (error: unknown) => (formError.textContent = refusal(form, error)));
  });
}

/**
 * What a start form does once the server started the task: straight to its page, or, when the
 * answer carries warnings (CHANNEL_EMPTY: nobody publishes in the channel yet), the warnings in
 * the form with a link to the page, so they are read before moving on.
 */
export function afterStart(
  form: HTMLFormElement,
  started: { id: string; warnings: readonly { code: string; message: string }[] },
  href: string,
  what: string,
): void {
  form.querySelector('.warning')?.remove();
  if (started.warnings.length === 0) {
    location.hash = href;
    return;
  }
  form.append(
    h(
      'div',
      { class: 'warning', role: 'status', 'data-warning': started.warnings.map((warning) => warning.code).join(' ') },
      h('strong', {}, `Started, with a warning: `),
      ...started.warnings.map((warning) => h('span', {}, warning.message, ' ')),
      h('a', { href }, `Open the ${what}`),
    ),
  );
}

/**
 * A Stop button that asks first ("Stop this recording?" with Yes and No; the returned group goes
 * right after the button), then is disabled while the stop is sent; says so when Agora has not
 * confirmed it yet.
 */
export function wireStop(
  button: HTMLButtonElement,
  message: HTMLElement,
  stop: () => Promise<{ state: string }>,
  what = 'recording',
): HTMLElement {
  const yes = h('button', { type: 'button', class: 'danger' }, `Yes, stop the ${what}`);
  const no = h('button', { type: 'button', class: 'secondary' }, 'No, keep it');
  const ask = h(
    'span',
    { class: 'confirm', role: 'group', 'aria-label': `Confirm stopping the ${what}`, hidden: true },
    `Stop this ${what}? `,
    yes,
    ' ',
    no,
  );
  const asking = (on: boolean) => {
    ask.hidden = !on;
    button.hidden = on;
    (on ? no : button).focus();
  };
  button.addEventListener('click', () => asking(true));
  no.addEventListener('click', () => asking(false));
  yes.addEventListener('click', () => {
    ask.hidden = true;
    button.hidden = false;
    button.disabled = true;
    stop().then(
      (result) =>
        (message.textContent = result.state === 'stopping' ? 'Agora has not confirmed the stop yet; the server keeps at it.' : ''),
      (error: unknown) => {
        button.disabled = false;
        message.textContent = describe(error);
      },
    );
  });
  return ask;
}

/**
 * A list's search form: an id goes straight to its page (`#/<list>/<id>`); otherwise `load` reads
 * the list again with the filters.
 */
export function findForm(
  list: 'recordings' | 'transcriptions' | 'agents',
  idLabel: string,
  filters: HTMLLabelElement[],
  load: () => void,
): HTMLFormElement {
  const id = h('input', { name: 'id', type: 'search', autocomplete: 'off', spellcheck: 'false' });
  const find = (event: Event) => {
    event.preventDefault();
    const wanted = id.value.trim();
    if (wanted) location.hash = `#/${list}/${encodeURIComponent(wanted)}`;
    else load();
  };
  return h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': `Find ${list}`, onsubmit: find },
    field(idLabel, id),
    ...filters,
    h('button', { type: 'submit' }, 'Find'),
  );
}

/**
 * A task's events for its page: the whole history from the registry first (a finished task's
 * too), then live ones from its watch; `onEvent` gets each with its id. Returns what stops it.
 */
export function followTask<E>(
  history: () => Promise<{ events: (E & { eventId: string })[] }>,
  watch: (handlers: { onEvent: (event: E, eventId: string) => void; onError: (error: unknown) => void }) => { stop(): void },
  onEvent: (event: E, eventId: string) => void,
  onError: (error: unknown) => void,
): () => void {
  let live: { stop(): void } | undefined;
  let left = false;
  history()
    .then((past) => past.events.forEach((event) => onEvent(event, event.eventId)), onError)
    .finally(() => {
      if (!left) live = watch({ onEvent, onError });
    });
  return () => {
    left = true;
    live?.stop();
  };
}
