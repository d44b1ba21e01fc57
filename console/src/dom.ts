/** A few lines of DOM building instead of a framework: the console is small. */
type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** `h('button', { type: 'submit', onclick: … }, 'Stop')`: an element with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(typeof child === 'number' ? String(child) : child);
  return element;
}

/** Replaces what `parent` holds. */
export function show(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((child): child is Node | string => child !== null && child !== undefined && child !== false).map((child) => (typeof child === 'number' ? String(child) : child)));
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
export const uidList = (text: string) => text.split(',').map((uid) => uid.trim()).filter(Boolean);
