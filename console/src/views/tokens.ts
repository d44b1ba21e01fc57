import { field, formatTime, h, show } from '../dom.js';
import { refusal, showIssues } from '../errors.js';
import { api } from '../session.js';
import { decodeToken, type DecodedToken } from '../token-decode.js';

/** token.generate as a form, and what the token grants, decoded. */
export function tokensPage(root: HTMLElement): () => void {
  const kind = h('select', { name: 'kind' }, ...['rtc', 'rtm', 'chat'].map((value) => h('option', { value }, value.toUpperCase())));
  const channel = h('input', { name: 'channel', autocomplete: 'off' });
  const uid = h('input', { name: 'uid', autocomplete: 'off' });
  const userId = h('input', { name: 'userId', autocomplete: 'off' });
  const role = h(
    'select',
    { name: 'role' },
    h('option', { value: 'publisher' }, 'publisher'),
    h('option', { value: 'subscriber' }, 'subscriber'),
  );
  const expire = h('input', { name: 'expireSeconds', inputmode: 'numeric', value: '3600' });
  const formError = h('p', { class: 'error', role: 'alert' });
  const output = h('section', { 'aria-label': 'Token', 'aria-live': 'polite' });
  const form = h(
    'form',
    { 'aria-label': 'Mint a token' },
    field('Kind', kind),
    field('Channel (RTC)', channel),
    field('Uid or account (RTC)', uid),
    field('Role (RTC)', role),
    field('User id (RTM, Chat)', userId),
    field('Lifetime in seconds', expire),
    h('button', { type: 'submit' }, 'Mint'),
    formError,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const common = expire.value ? { expireSeconds: Number(expire.value) } : {};
    const input =
      kind.value === 'rtc'
        ? {
            kind: 'rtc' as const,
            channel: channel.value,
            uid: /^\d+$/.test(uid.value) ? Number(uid.value) : uid.value,
            role: role.value as 'publisher' | 'subscriber',
            ...common,
          }
        : { kind: kind.value as 'rtm' | 'chat', ...(userId.value ? { userId: userId.value } : {}), ...common };
    api()
      .token.generate.mutate(input as never)
      .then(
        async (result) => {
          formError.textContent = '';
          showIssues(form, []);
          show(
            output,
            h('h2', {}, 'Token'),
            h('p', { class: 'token', id: 'token' }, result.token),
            grants(await decodeToken(result.token)),
          );
        },
        (error: unknown) => (formError.textContent = refusal(form, error)),
      );
  });
  show(root, h('h1', {}, 'Tokens'), form, output);
  return () => undefined;
}

function grants(token: DecodedToken): HTMLElement {
  return h(
    'dl',
    { id: 'grants' },
    h('dt', {}, 'App ID'),
    h('dd', {}, token.appId),
    h('dt', {}, 'Issued'),
    h('dd', {}, formatTime(token.issuedAt)),
    h('dt', {}, 'Expires'),
    h('dd', {}, formatTime(token.expiresAt)),
    ...token.services.flatMap((service) => [
      h('dt', {}, service.name),
      h(
        'dd',
        {},
        service.fields.join(', '),
        h(
          'ul',
          {},
          ...service.privileges.map((privilege) =>
            h('li', {}, `${privilege.name}: ${privilege.expiresAt ? `until ${formatTime(privilege.expiresAt)}` : 'no expiry'}`),
          ),
        ),
      ),
    ]),
  );
}
