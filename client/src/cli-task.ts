import type { AgoraBackendClient } from './index.js';
import type { WatchHandle, WatchHandlers } from './watch.js';

/** What `agoractl transcribe …` and `agoractl agent …` share: their terminal, options, stop line and a watch followed to the end. */

export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
  /** Aborted when the user interrupts (Ctrl-C): a command that runs until then ends cleanly. */
  signal?: AbortSignal;
}

/** The parsed options (`parseArgs`' values). */
export type Values = Record<string, string | boolean | undefined>;

/** `<id>\t<state>[ (already)][ (<why>)]`: the state the server confirmed, not a fixed word. */
export function stopLine(result: { id: string; state: string; alreadyStopped: boolean; lastError: { message: string } | null }): string {
  return `${result.id}\t${result.state}${result.alreadyStopped ? ' (already)' : ''}${result.lastError ? ` (${result.lastError.message})` : ''}`;
}

/**
 * Prints one line per event (`--json`: the event as JSON) until the task ends; resolves 0 then,
 * rejects with what the watch could not get past (an unknown id, no access).
 */
export function watchToEnd<E>(
  watch: (client: AgoraBackendClient, id: string, handlers: WatchHandlers<E>) => WatchHandle,
  client: AgoraBackendClient,
  id: string,
  line: (event: E) => string,
  json: boolean,
  out: (text: string) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const handle = watch(client, id, {
      onEvent: (event) => out(json ? `${JSON.stringify(event)}\n` : `${line(event)}\n`),
      onEnd: () => resolve(0),
      onError: (error) => {
        handle.stop();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    });
  });
}

/**
 * A start's warnings (e.g. CHANNEL_EMPTY: nobody publishes in the channel yet) on stderr, one
 * `agoractl: warning: …` line each, so stdout stays the answer; with --json they are in the answer.
 */
export function printWarnings(warnings: readonly { code: string; message: string }[], json: boolean, err: (text: string) => void): void {
  if (json) return;
  for (const warning of warnings) err(`agoractl: warning: ${warning.message} [${warning.code}]\n`);
}
