import { h, show } from './dom.js';
import { isUnauthorized } from './errors.js';
import { api, credential } from './session.js';
import { agentPage } from './views/agent.js';
import { agentsPage } from './views/agents.js';
import { channelPage } from './views/channel.js';
import { channelsPage } from './views/channels.js';
import { overviewPage } from './views/overview.js';
import { recordingPage } from './views/recording.js';
import { recordingsPage } from './views/recordings.js';
import { signInPage } from './views/sign-in.js';
import { tokensPage } from './views/tokens.js';
import { transcriptionPage } from './views/transcription.js';
import { transcriptionsPage } from './views/transcriptions.js';

/**
 * The console: hash routes (#/overview, the default; #/recordings[?state=…], #/recordings/<id>,
 * #/transcriptions[?state=…], #/transcriptions/<id>, #/agents[?state=…], #/agents/<id>, #/channels,
 * #/channels/<name>, #/tokens, #/sign-in) over one
 * <main>. Each page returns what to undo when it is left (timers, watches).
 */
const root = document.getElementById('app')!;
let leave: () => void = () => undefined;

function route(): void {
  leave();
  const [path = '', query = ''] = location.hash.split('?');
  const [, page, id] = path.split('/');
  const params = new URLSearchParams(query);
  document.getElementById('sign-in-link')!.textContent = credential() ? 'Signed in' : 'Sign in';
  if (page === 'sign-in') leave = signInPage(root);
  else if (page === 'tokens') leave = tokensPage(root);
  else if (page === 'recordings' && id) leave = recordingPage(root, decodeURIComponent(id));
  else if (page === 'transcriptions' && id) leave = transcriptionPage(root, decodeURIComponent(id));
  else if (page === 'agents' && id) leave = agentPage(root, decodeURIComponent(id));
  else if (page === 'agents') leave = agentsPage(root, params);
  else if (page === 'channels' && id) leave = channelPage(root, decodeURIComponent(id));
  else if (page === 'channels') leave = channelsPage(root);
  else if (page === 'transcriptions') leave = transcriptionsPage(root, params);
  else if (page === 'recordings') leave = recordingsPage(root, params);
  else leave = overviewPage(root);
  root.focus();
}

/** With AUTH_MODE=none there is nothing to sign in to; otherwise a refused call sends you there. */
async function start(): Promise<void> {
  try {
    await api().recording.list.query({ limit: 1 });
    // Answered with no credential: this server asks for none (AUTH_MODE=none), so no sign-in.
    if (!credential()) document.getElementById('sign-in-link')!.hidden = true;
  } catch (error) {
    if (isUnauthorized(error) && !location.hash.startsWith('#/sign-in')) location.hash = '#/sign-in';
    else if (!isUnauthorized(error)) show(root, h('p', { class: 'error' }, 'The server could not be reached.'));
  }
  addEventListener('hashchange', route);
  route();
}

void start();
