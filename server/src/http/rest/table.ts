import { AgentUpdateChanges, RecordingUpdateChanges, TranscriptionUpdateChanges } from '@agora-backend/shared';
import type { z } from 'zod';
import type { ProcedurePath } from '../trpc-internals.js';

/**
 * One REST route: a procedure of the tRPC router under another URL. Only what REST adds is
 * written here; the procedure's type, input and output schemas (validation, the OpenAPI
 * document) come from the procedure itself (routes.ts).
 */
export interface RestRow {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  /** OpenAPI-style path under /api/v1, e.g. `/recordings/{id}`; its first segment is the OpenAPI tag. */
  path: string;
  procedure: ProcedurePath;
  /**
   * Where the input's fields come from besides the path's parameters (which always win):
   * `body` (as is when the path has none), `query` (digit strings become numbers where the input
   * takes a number), or `path` only (any body or query parameter is ignored or refused).
   */
  input: 'body' | 'query' | 'path';
  status: 200 | 201;
  summary: string;
  /**
   * The body as documented, where the procedure's input has a rule across fields that an object
   * schema cannot carry (`update`: at least one change). The procedure still validates.
   */
  documentedBody?: z.ZodObject;
}

/** `/api/v1`: each row a procedure; a new namespace (`/agents…`) is a few more rows. */
export const REST_TABLE: readonly RestRow[] = [
  { method: 'POST', path: '/tokens', procedure: 'token.generate', input: 'body', status: 200, summary: 'Build an RTC, RTM or Chat token' },

  { method: 'POST', path: '/recordings', procedure: 'recording.start', input: 'body', status: 201, summary: 'Start a cloud recording' },
  {
    method: 'GET',
    path: '/recordings',
    procedure: 'recording.list',
    input: 'query',
    status: 200,
    summary: 'List recordings, newest first',
  },
  {
    method: 'GET',
    path: '/recordings/{id}',
    procedure: 'recording.get',
    input: 'path',
    status: 200,
    summary: 'One recording as the registry keeps it',
  },
  {
    method: 'GET',
    path: '/recordings/{id}/status',
    procedure: 'recording.query',
    input: 'path',
    status: 200,
    summary: "A recording's status and files, from Agora",
  },
  {
    method: 'GET',
    path: '/recordings/{id}/files',
    procedure: 'recording.files',
    input: 'query',
    status: 200,
    summary: "A recording's files in the bucket, each with a link that expires",
  },
  {
    method: 'POST',
    path: '/recordings/{id}/stop',
    procedure: 'recording.stop',
    input: 'path',
    status: 200,
    summary: 'Stop a recording (stopping an ended one is not an error)',
  },
  {
    method: 'PATCH',
    path: '/recordings/{id}',
    procedure: 'recording.update',
    input: 'body',
    status: 200,
    summary: 'Change subscriptions, or pause/resume a web recording',
    documentedBody: RecordingUpdateChanges,
  },
  {
    method: 'PUT',
    path: '/recordings/{id}/layout',
    procedure: 'recording.updateLayout',
    input: 'body',
    status: 200,
    summary: "Replace a mix recording's layout",
  },

  {
    method: 'POST',
    path: '/transcriptions',
    procedure: 'transcription.start',
    input: 'body',
    status: 201,
    summary: 'Start real-time transcription in a channel',
  },
  {
    method: 'GET',
    path: '/transcriptions',
    procedure: 'transcription.list',
    input: 'query',
    status: 200,
    summary: 'List transcriptions, newest first',
  },
  {
    method: 'GET',
    path: '/transcriptions/{id}',
    procedure: 'transcription.get',
    input: 'path',
    status: 200,
    summary: 'One transcription as the registry keeps it',
  },
  {
    method: 'GET',
    path: '/transcriptions/{id}/status',
    procedure: 'transcription.query',
    input: 'path',
    status: 200,
    summary: "A transcription's status, from Agora",
  },
  {
    method: 'GET',
    path: '/transcriptions/{id}/files',
    procedure: 'transcription.files',
    input: 'query',
    status: 200,
    summary: "A transcription's caption files, each with a link that expires",
  },
  {
    method: 'POST',
    path: '/transcriptions/{id}/stop',
    procedure: 'transcription.stop',
    input: 'path',
    status: 200,
    summary: 'Stop a transcription (stopping an ended one is not an error)',
  },
  {
    method: 'PATCH',
    path: '/transcriptions/{id}',
    procedure: 'transcription.update',
    input: 'body',
    status: 200,
    summary: 'Change languages, translation or the speakers transcribed',
    documentedBody: TranscriptionUpdateChanges,
  },
  {
    method: 'POST',
    path: '/agents',
    procedure: 'agent.start',
    input: 'body',
    status: 201,
    summary: 'Start a Conversational AI agent in a channel from a server-side profile',
  },
  {
    method: 'GET',
    path: '/agents',
    procedure: 'agent.list',
    input: 'query',
    status: 200,
    summary: 'List agents, newest first',
  },
  {
    method: 'GET',
    path: '/agent-profiles',
    procedure: 'agent.profiles',
    input: 'path',
    status: 200,
    summary: "The server's agent profiles as anyone may see them (never a key)",
  },
  {
    method: 'GET',
    path: '/agents/{id}',
    procedure: 'agent.get',
    input: 'path',
    status: 200,
    summary: 'One agent as the registry keeps it',
  },
  {
    method: 'GET',
    path: '/agents/{id}/status',
    procedure: 'agent.query',
    input: 'path',
    status: 200,
    summary: "An agent's state, from Agora",
  },
  {
    method: 'POST',
    path: '/agents/{id}/stop',
    procedure: 'agent.stop',
    input: 'path',
    status: 200,
    summary: 'Stop an agent (stopping an ended one is not an error)',
  },
  {
    method: 'PATCH',
    path: '/agents/{id}',
    procedure: 'agent.update',
    input: 'body',
    status: 200,
    summary: "Change an agent's system messages or LLM params (params replace, no merge)",
    documentedBody: AgentUpdateChanges,
  },
  {
    method: 'POST',
    path: '/agents/{id}/speak',
    procedure: 'agent.speak',
    input: 'body',
    status: 200,
    summary: 'Make the agent say a text (at most 512 bytes)',
  },
  {
    method: 'POST',
    path: '/agents/{id}/interrupt',
    procedure: 'agent.interrupt',
    input: 'path',
    status: 200,
    summary: 'Stop what the agent is saying or thinking',
  },
  {
    method: 'POST',
    path: '/agents/{id}/think',
    procedure: 'agent.think',
    input: 'body',
    status: 200,
    summary: "Hand the agent a text as the user's input",
  },
  {
    method: 'GET',
    path: '/agents/{id}/history',
    procedure: 'agent.history',
    input: 'path',
    status: 200,
    summary: "The agent's conversation, kept by the server (answered after the end too)",
  },
  {
    method: 'GET',
    path: '/agents/{id}/turns',
    procedure: 'agent.turns',
    input: 'path',
    status: 200,
    summary: "The agent's turns with their latencies, kept once it has ended",
  },
  {
    method: 'GET',
    path: '/channels',
    procedure: 'channel.list',
    input: 'query',
    status: 200,
    summary: 'Channels you may use, with their user counts',
  },
  {
    method: 'GET',
    path: '/channels/{channel}',
    procedure: 'channel.get',
    input: 'path',
    status: 200,
    summary: 'Who is in a channel now: users, or hosts and audience with counts',
  },
  {
    method: 'GET',
    path: '/channels/{channel}/users/{uid}',
    procedure: 'channel.user',
    input: 'path',
    status: 200,
    summary: 'One user: in the channel or not, since when, role and platform',
  },
  {
    method: 'POST',
    path: '/channels/{channel}/users/{uid}/kick',
    procedure: 'channel.kick',
    input: 'body',
    status: 200,
    summary: 'Remove a user from a channel and keep them out for banSeconds (default 60)',
  },
  {
    method: 'GET',
    path: '/channels/{channel}/sessions',
    procedure: 'channel.sessions',
    input: 'query',
    status: 200,
    summary: 'Each stay in a channel (uid to filter), newest first, with its duration',
  },
  { method: 'GET', path: '/bans', procedure: 'channel.bans', input: 'path', status: 200, summary: 'Ban rules in force that you may see' },
  { method: 'POST', path: '/bans', procedure: 'channel.ban', input: 'body', status: 201, summary: 'Create a ban rule' },
  {
    method: 'PUT',
    path: '/bans/{id}',
    procedure: 'channel.updateBan',
    input: 'body',
    status: 200,
    summary: "Set a ban rule's duration anew, counted from now",
  },
  { method: 'POST', path: '/bans/{id}/remove', procedure: 'channel.unban', input: 'path', status: 200, summary: 'Remove a ban rule' },
];
