import { AGENT_SPEAK_MAX_BYTES, type AgentMessage } from '@agora-backend/shared';
import { stopLine, watchToEnd, type CommandIo, type Values } from './cli-task.js';
import { watchAgent, type AgoraBackendClient } from './index.js';

/** `agoractl agent …`: Conversational AI agents from a terminal. */

export const AGENT_USAGE = `  agent start --channel <name> [--profile <name>] [--listen <uid>] [--uid <uid>] [--greeting <text>]
        [--var <name=value,…>] [--label <key=value,…>] [--max-idle <seconds>]
  agent say <agent-id> <text…> [--priority INTERRUPT|APPEND|IGNORE] [--no-interrupt]
  agent interrupt|history|watch|stop <agent-id>`;

/** A refusal of the command line itself (exit 1). */
export class AgentUsageError extends Error {}

const PRIORITIES = ['INTERRUPT', 'APPEND', 'IGNORE'] as const;

/** `a=1,b=2` → { a: '1', b: '2' }; each pair must hold a `=` after a non-empty name. */
export function parsePairs(value: string | undefined, option: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const pairs: Record<string, string> = {};
  for (const item of value.split(',')) {
    const at = item.indexOf('=');
    if (at <= 0) throw new AgentUsageError(`--${option} takes name=value pairs separated by commas`);
    pairs[item.slice(0, at).trim()] = item.slice(at + 1);
  }
  return pairs;
}

function startInput(values: Values) {
  const str = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
  const channel = str('channel');
  if (!channel) throw new AgentUsageError('agent start needs --channel');
  const maxIdle = str('max-idle');
  if (maxIdle !== undefined && !/^\d+$/.test(maxIdle)) throw new AgentUsageError('--max-idle must be a whole number');
  const variables = parsePairs(str('var'), 'var');
  const labels = parsePairs(str('label'), 'label');
  return {
    channel,
    ...(str('profile') ? { profile: str('profile')! } : {}),
    ...(str('listen') ? { remoteUids: [str('listen')!] } : {}),
    ...(str('uid') ? { uid: str('uid')! } : {}),
    ...(str('greeting') !== undefined ? { greeting: str('greeting')! } : {}),
    ...(variables ? { variables } : {}),
    ...(labels ? { labels } : {}),
    ...(maxIdle !== undefined ? { idleTimeoutSeconds: Number(maxIdle) } : {}),
  };
}

const messageLine = (message: AgentMessage) => `${message.seq}\t${message.role}\t${message.content}`;

/** Runs `agent <action>`; resolves with the exit code (0 done). Errors from the server are thrown to the caller. */
export async function agent(client: AgoraBackendClient, args: string[], values: Values, io: CommandIo): Promise<number> {
  const [action, id, ...rest] = args;
  const json = values.json === true;
  const print = (value: unknown, human: string) => io.out(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
  const needId = () => {
    if (!id) throw new AgentUsageError(`agent ${action ?? ''} needs an agent id`);
    return id;
  };
  switch (action) {
    case 'start': {
      const result = await client.agent.start.mutate(startInput(values));
      print(result, `${result.id}\t${result.state}\tchannel=${result.channel} uid=${result.uid} profile=${result.profile}`);
      return 0;
    }
    case 'say': {
      const agentId = needId();
      const text = rest.join(' ');
      if (!text) throw new AgentUsageError('agent say needs a text after the agent id');
      if (new TextEncoder().encode(text).length > AGENT_SPEAK_MAX_BYTES)
        throw new AgentUsageError(
          `the text is ${new TextEncoder().encode(text).length} bytes; Agora takes at most ${AGENT_SPEAK_MAX_BYTES}`,
        );
      const priority = typeof values.priority === 'string' ? values.priority.toUpperCase() : undefined;
      if (priority !== undefined && !PRIORITIES.includes(priority as (typeof PRIORITIES)[number]))
        throw new AgentUsageError(`--priority must be one of ${PRIORITIES.join(', ')}`);
      const result = await client.agent.speak.mutate({
        id: agentId,
        text,
        ...(priority ? { priority: priority as (typeof PRIORITIES)[number] } : {}),
        ...(values['no-interrupt'] === true ? { interruptable: false } : {}),
      });
      print(result, `${result.id}\tsaid\t${result.at.toISOString()}`);
      return 0;
    }
    case 'interrupt': {
      const result = await client.agent.interrupt.mutate({ id: needId() });
      print(result, `${result.id}\tinterrupted\t${result.at.toISOString()}`);
      return 0;
    }
    case 'history': {
      const result = await client.agent.history.query({ id: needId() });
      print(result, result.messages.length === 0 ? '(nothing said yet)' : result.messages.map(messageLine).join('\n'));
      return 0;
    }
    case 'stop': {
      const result = await client.agent.stop.mutate({ id: needId() });
      print(result, stopLine(result));
      return 0;
    }
    case 'watch':
      // `<time> <state> <Agora status>` for a state, `<time> <state> <seq> <role> <content>` for a message.
      return watchToEnd(
        watchAgent,
        client,
        needId(),
        (event) => `${event.at.toISOString()}\t${event.state}\t${event.message ? messageLine(event.message) : (event.agoraStatus ?? '-')}`,
        json,
        io.out,
      );
    default:
      throw new AgentUsageError(`unknown agent action "${action ?? ''}"`);
  }
}
