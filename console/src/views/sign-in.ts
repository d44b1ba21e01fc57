import { field, h, show } from '../dom.js';
import { credential, setCredential } from '../session.js';

/** Paste an API key or a JWT; it stays in this tab (sessionStorage). */
export function signInPage(root: HTMLElement): () => void {
  const key = h('input', { name: 'credential', type: 'password', autocomplete: 'off', required: true });
  const form = h('form', { 'aria-label': 'Sign in' }, field('API key or JWT', key), h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setCredential(key.value.trim());
    location.hash = '#/recordings';
  });
  const signOut = h(
    'button',
    { type: 'button', class: 'secondary', onclick: () => (setCredential(undefined), signInPage(root)) },
    'Sign out',
  );
  show(
    root,
    h('h1', {}, 'Sign in'),
    h('p', {}, 'The server asked for credentials. They are kept in this tab only and sent with each call.'),
    form,
    credential() ? signOut : null,
  );
  key.focus();
  return () => undefined;
}
