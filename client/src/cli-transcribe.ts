import type { TranslationPair } from '@agora-backend/shared';
import { printWarnings, stopLine, watchToEnd, type CommandIo, type Values } from './cli-task.js';
import { watchTranscription, type AgoraBackendClient } from './index.js';

/** `agoractl transcribe …`: Real-Time Transcription from a terminal. */

export const TRANSCRIBE_USAGE = `  transcribe start --channel <name> --languages <en-US,…> [--translate <src:dst,dst;src:dst>]
        [--uid <uid>] [--speakers <uid,uid>] [--max-idle <seconds>] [--slice <seconds>] [--no-captions]
  transcribe query|stop|files|watch <transcription-id>
  transcribe list [--channel <name>] [--state <state>] [--limit <n>]`;

/** A refusal of the command line itself (exit 1). */
export class TranscribeUsageError extends Error {}

const list = (value: string | undefined) =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);

/** `en-US:fr-FR,de-DE;es-ES:en-US` → [{ source: 'en-US', targets: ['fr-FR', 'de-DE'] }, …]. */
export function parseTranslate(value: string | undefined): TranslationPair[] | undefined {
  if (value === undefined) return undefined;
  return value.split(';').map((pair) => {
    const [source, targets] = pair.split(':');
    if (!source || !targets) throw new TranscribeUsageError('--translate takes source:target,target (pairs separated by ;)');
    return { source: source.trim(), targets: list(targets)! };
  });
}

function wholeNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new TranscribeUsageError(`--${name} must be a whole number`);
  return Number(value);
}

function startInput(values: Values) {
  const str = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
  const channel = str('channel');
  const languages = list(str('languages'));
  if (!channel || !languages) throw new TranscribeUsageError('transcribe start needs --channel and --languages');
  const slice = wholeNumber(str('slice'), 'slice');
  const maxIdle = wholeNumber(str('max-idle'), 'max-idle');
  const translate = parseTranslate(str('translate'));
  const speakers = list(str('speakers'));
  return {
    channel,
    languages,
    ...(translate ? { translate } : {}),
    ...(speakers ? { subscribeUids: speakers } : {}),
    ...(str('uid') ? { uid: str('uid')! } : {}),
    ...(maxIdle !== undefined ? { maxIdleSeconds: maxIdle } : {}),
    ...(values['no-captions'] === true ? { captions: false as const } : slice !== undefined ? { captions: { sliceSeconds: slice } } : {}),
  };
}

/** Runs `transcribe <action>`; resolves with the exit code (0 done). Errors from the server are thrown to the caller. */
export async function transcribe(client: AgoraBackendClient, args: string[], values: Values, io: CommandIo): Promise<number> {
  const [action, id] = args;
  const json = values.json === true;
  const print = (value: unknown, human: string) => io.out(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
  const needId = () => {
    if (!id) throw new TranscribeUsageError(`transcribe ${action ?? ''} needs a transcription id`);
    return id;
  };
  switch (action) {
    case 'start': {
      const result = await client.transcription.start.mutate(startInput(values));
      print(result, `${result.id}\t${result.state}\tchannel=${result.channel} bot-uid=${result.uid} agent=${result.agentId}`);
      printWarnings(result.warnings, json, io.err);
      return 0;
    }
    case 'query': {
      const result = await client.transcription.query.query({ id: needId() });
      print(result, `${result.id}\t${result.state}\tagoraStatus=${result.agoraStatus ?? '-'}`);
      return 0;
    }
    case 'stop': {
      const result = await client.transcription.stop.mutate({ id: needId() });
      print(result, stopLine(result));
      return 0;
    }
    case 'files': {
      const result = await client.transcription.files.query({ id: needId() });
      print(
        result,
        result.files.length === 0
          ? '(no caption files yet)'
          : result.files
              .map(
                (file) =>
                  `${file.kind}\t${file.language ?? '-'}\t${file.fileName}\n  ${file.url ?? `(no link: ${file.unavailableReason ?? 'unknown'})`}`,
              )
              .join('\n'),
      );
      return 0;
    }
    case 'list': {
      const str = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
      const limit = wholeNumber(str('limit'), 'limit');
      const result = await client.transcription.list.query({
        ...(str('channel') ? { channel: str('channel')! } : {}),
        ...(str('state') ? { state: str('state') as 'running' } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      print(
        result,
        result.items.length === 0
          ? '(no transcriptions)'
          : result.items
              .map((item) => `${item.id}\t${item.state}\t${item.channel}\t${item.languages.join(',')}\t${item.createdAt.toISOString()}`)
              .join('\n'),
      );
      return 0;
    }
    case 'watch':
      return watchToEnd(
        watchTranscription,
        client,
        needId(),
        (event) => `${event.at.toISOString()}\t${event.state}\t${event.agoraStatus ?? '-'}`,
        json,
        io.out,
      );
    default:
      throw new TranscribeUsageError(`unknown transcribe action "${action ?? ''}"`);
  }
}
