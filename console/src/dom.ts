/** A few lines of DOM building instead of a framework: the console is small. */
type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** `h('button', { type: 'submit', onclick: … }, 'Stop')`: an element with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children)
    if (child !== null && child !== undefined && child !== false) element.append(typeof child === 'number' ? String(child) : child);
  return element;
}

/** Replaces what `parent` holds. */
export function show(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(
    ...children
      .filter((child): child is Node | string => child !== null && child !== undefined && child !== false)
      .map((child) => (typeof child === 'number' ? String(child) : child)),
  );
}

let fields = 0;

/** A labelled form control: the label wraps it, and a slot for its error follows (aria-describedby). */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement): HTMLLabelElement {
  const name = control.name;
  const error = h('span', { class: 'field-error', id: `error-${name}-${++fields}`, 'data-error-for': name, role: 'alert' });
  control.setAttribute('aria-describedby', error.id);
  return h('label', {}, label, control, error);
}

export const formatTime = (date: Date | null | undefined) => (date ? date.toLocaleString() : '–');

/** `"123, 456"` → `['123', '456']`. */
export const uidList = (text: string) =>
  text
    .split(',')
    .map((uid) => uid.trim())
    .filter(Boolean);

/** What a task's lastError shows of why it failed, or '' when it holds nothing. */
export function failureText(error: { message: string; reason?: string | undefined; from?: string | undefined } | null): string {
  if (!error) return '';
  const source = error.from === 'rule' ? 'our rule' : error.from ? `Agora's ${error.from}` : undefined;
  const tag = [error.reason, source].filter(Boolean).join(', from ');
  return tag ? `${error.message} (${tag})` : error.message;
}

/** How long a task ran (or has run): `1 h 02 min`, `3 min 20 s`, `12 s`; '–' before it started. */
export function formatDuration(startedAt: Date | null, stoppedAt: Date | null, now = Date.now()): string {
  if (!startedAt) return '–';
  const seconds = Math.max(0, Math.round(((stoppedAt?.getTime() ?? now) - startedAt.getTime()) / 1000));
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60];
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return m > 0 ? `${m} min ${String(s).padStart(2, '0')} s` : `${s} s`;
}
