import { randomUUID } from 'node:crypto';
import { AppErrorCode, type AgentStartOutput, type ParsedAgentStartInput } from '@agora-backend/shared';
import { buildAgentJoinBody, chooseProfile, type AgentProfiles } from '../agent-profiles.js';
import { AgoraApiError, isAgentNameConflict, type AgoraClient } from '../agora/index.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../logger.js';
import { freshTaskLife, type AgentEvent, type AgentRecord, type AgentTable } from '../store/index.js';
import { joinOrAdopt } from '../tasks/agent-join.js';
import { insertIntent, onFreeUid } from '../tasks/intent.js';
import type { TokenIssuer } from '../tokens/index.js';
import { agentPatch } from './state.js';
import type { AgentTransitions } from './transitions.js';
import type { AgentOptions } from './views.js';

/** Uids other kinds of task hold in a channel (recorders, transcription bots). */
export interface UidHolder {
  activeUids(channel: string): Promise<Set<string>>;
}

export interface AgentStartSettings {
  store: AgentTable;
  agora: AgoraClient;
  tokens: TokenIssuer;
  clock: Clock;
  logger: Logger;
  profiles: AgentProfiles;
  uidRange: { min: number; max: number };
  /** How long each token of an agent lasts (it is renewed through update before it runs out). */
  tokenSeconds: number;
  /** The channel's recorders and transcription bots: an agent takes none of their uids. */
  otherBots: UidHolder[];
  bus?: EventBus<AgentEvent> | undefined;
  onStarted?: ((record: AgentRecord) => void) | undefined;
}

/**
 * A join that failed this way may still have started an agent: no answer (timeout, network), a
 * 5xx, or a 409 for our own `name`, which only an earlier attempt of ours can hold.
 */
const mayHaveStarted = (error: unknown) => !(error instanceof AgoraApiError) || error.httpStatus >= 500 || isAgentNameConflict(error);

/** join, with the intent recorded first and the outcome recorded through a transition. */
export function createAgentStarter(
  options: AgentStartSettings & {
    transitions: AgentTransitions;
    startsInFlight: Set<string>;
    recovery: { recover(record: AgentRecord): Promise<AgentRecord> };
  },
) {
  const { store, agora, clock, logger, transitions } = options;

  function output(record: AgentRecord): AgentStartOutput {
    return {
      id: record.id,
      channel: record.channel,
      uid: record.uid,
      profile: record.profile,
      agentId: record.agentId!,
      state: record.state,
      startedAt: new Date(record.startedAt ?? record.createdAt),
    };
  }

  async function startOnce(input: ParsedAgentStartInput, owner: string, uid: string, allocated: boolean): Promise<AgentStartOutput> {
    const profile = chooseProfile(options.profiles, input.profile);
    const id = randomUUID().replaceAll('-', '');
    const { token, expiresAt } = options.tokens.issueAgent({ channel: input.channel, uid, expireSeconds: options.tokenSeconds });
    // Built before the intent: a choice the profile does not allow is refused with no row and no call.
    const body = buildAgentJoinBody(
      profile,
      {
        greeting: input.greeting,
        variables: input.variables,
        remoteUids: input.remoteUids,
        idleTimeoutSeconds: input.idleTimeoutSeconds,
        labels: input.labels,
      },
      { channel: input.channel, agentUid: uid, token, name: id, labels: { agentTaskId: id } },
    );
    const remoteUids = input.remoteUids ?? profile.remoteUids ?? [];
    const kept: AgentOptions = { remoteUids: [...remoteUids] };
    const now = clock.now();
    const row: AgentRecord = {
      id,
      channel: input.channel,
      uid,
      owner,
      state: 'starting',
      agentId: null,
      agoraStatus: null,
      profile: profile.name,
      options: kept,
      tokenExpiresAt: expiresAt,
      turnsComplete: false,
      ...freshTaskLife(now),
    };
    options.startsInFlight.add(id);
    try {
      await insertIntent(store, options.bus, row, { byCaller: !allocated, taken: `is another agent's in channel "${row.channel}"` });
      const joined = await joinOrAdopt({
        row,
        join: () => agora.convoai.join(body),
        mayHaveStarted,
        recover: (record) => options.recovery.recover(record),
        patchOf: agentPatch,
        move: (record, decide, source) => transitions.move(record, decide, source),
        clock,
      });
      if (joined.adopted) return output(joined.record);
      const updated = joined.record;
      options.onStarted?.(updated);
      logger.info({ agentTaskId: id, channel: input.channel, uid, agentId: updated.agentId, profile: profile.name }, 'agent started');
      return output(updated);
    } finally {
      options.startsInFlight.delete(id);
    }
  }

  /** Uids of the channel's active agents, recorders and transcription bots: a new agent takes none of them. */
  async function takenUids(channel: string): Promise<Set<string>> {
    const sets = await Promise.all([store.activeUids(channel), ...options.otherBots.map((bots) => bots.activeUids(channel))]);
    return new Set(sets.flatMap((set) => [...set]));
  }

  return {
    async start(input: ParsedAgentStartInput, owner: string): Promise<AgentStartOutput> {
      if (input.uid !== undefined) {
        const others = await Promise.all(options.otherBots.map((bots) => bots.activeUids(input.channel)));
        if (others.some((uids) => uids.has(input.uid!)))
          throw new AppError(
            AppErrorCode.UID_CONFLICT,
            `uid ${input.uid} is a recorder's or transcription bot's in channel "${input.channel}"; choose another uid or leave it out`,
          );
        return startOnce(input, owner, input.uid, false);
      }
      return onFreeUid({
        range: options.uidRange,
        taken: await takenUids(input.channel),
        // Agora's 409 on join is about the name (ours), never the uid: only the registry's index collides.
        collided: () => false,
        exhausted: 'no free agent uid left in RECORDER_UID_MIN..RECORDER_UID_MAX',
        start: (uid) => startOnce(input, owner, uid, true),
      });
    },
  };
}
