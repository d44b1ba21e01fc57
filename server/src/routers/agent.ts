import {
  Agent,
  AgentActionOutput,
  AgentHistoryOutput,
  AgentIdInput,
  AgentListInput,
  AgentListOutput,
  AgentProfilesInput,
  AgentProfilesOutput,
  AgentQueryOutput,
  AgentSpeakInput,
  AgentStartInput,
  AgentStartOutput,
  AgentStopOutput,
  AgentThinkInput,
  AgentTurnsOutput,
  AgentUpdateInput,
  AgentUpdateOutput,
  AgentWatchInput,
  AppErrorCode,
} from '@agora-backend/shared';
import { isAdmin, mayUseChannel, type Caller } from '../auth/index.js';
import { AppError } from '../errors.js';
import type { Viewer } from '../tasks/views.js';
import { router } from '../trpc/init.js';
import { watchPlan } from '../trpc/watch-stream.js';
import { enforceRateLimit, scopedProcedure } from '../trpc/procedures.js';

/** Conversational AI agents: the `agent` scope (admins hold every scope), the caller's channel rules and the start limits. */
const agentProcedure = scopedProcedure('agent');
const viewerOf = (caller: Caller): Viewer => ({ id: caller.id, admin: isAdmin(caller) });

export const agentRouter = router({
  /** Starts an agent in a channel from a server-side profile: its uid, token and vendor keys come from the server. */
  start: agentProcedure
    .input(AgentStartInput)
    .output(AgentStartOutput)
    .mutation(({ ctx, input }) => {
      if (!mayUseChannel(ctx.caller, input.channel))
        throw new AppError(AppErrorCode.FORBIDDEN, `this credential may not start agents in channel "${input.channel}"`);
      enforceRateLimit(ctx.rateLimits.starts, ctx.caller, ctx.ip, 'agent starts');
      return ctx.services.agents().start(input, ctx.caller.id);
    }),

  /** The server's profiles as anyone may see them (names, vendors, what callers may set; never a key). */
  profiles: agentProcedure
    .input(AgentProfilesInput)
    .output(AgentProfilesOutput)
    .query(({ ctx }) => ctx.services.agents().profiles()),

  /** The registry's record (no Agora call). */
  get: agentProcedure
    .input(AgentIdInput)
    .output(Agent)
    .query(({ ctx, input }) => ctx.services.agents().get(input.id, viewerOf(ctx.caller))),

  /** Agents, newest first, one page at a time (admins see all). */
  list: agentProcedure
    .input(AgentListInput)
    .output(AgentListOutput)
    .query(({ ctx, input }) => ctx.services.agents().list(input, viewerOf(ctx.caller))),

  /** Its state, from Agora. */
  query: agentProcedure
    .input(AgentIdInput)
    .output(AgentQueryOutput)
    .query(({ ctx, input }) => ctx.services.agents().query(input.id, viewerOf(ctx.caller))),

  /** Stops it; stopping one that already ended is not an error. */
  stop: agentProcedure
    .input(AgentIdInput)
    .output(AgentStopOutput)
    .mutation(({ ctx, input }) => ctx.services.agents().stop(input.id, viewerOf(ctx.caller))),

  /** New system messages or LLM params (these replace the stored params whole). */
  update: agentProcedure
    .input(AgentUpdateInput)
    .output(AgentUpdateOutput)
    .mutation(({ ctx, input }) => ctx.services.agents().update(input, viewerOf(ctx.caller))),

  /** Makes the agent say a text (≤ 512 bytes); sent once, never repeated. */
  speak: agentProcedure
    .input(AgentSpeakInput)
    .output(AgentActionOutput)
    .mutation(({ ctx, input }) => ctx.services.agents().speak(input, viewerOf(ctx.caller))),

  /** Stops what the agent is saying or thinking. */
  interrupt: agentProcedure
    .input(AgentIdInput)
    .output(AgentActionOutput)
    .mutation(({ ctx, input }) => ctx.services.agents().interrupt(input.id, viewerOf(ctx.caller))),

  /** Hands the agent a text as if the user had said it. */
  think: agentProcedure
    .input(AgentThinkInput)
    .output(AgentActionOutput)
    .mutation(({ ctx, input }) => ctx.services.agents().think(input, viewerOf(ctx.caller))),

  /** The conversation kept in the registry: answered after the agent has ended too. */
  history: agentProcedure
    .input(AgentIdInput)
    .output(AgentHistoryOutput)
    .query(({ ctx, input }) => ctx.services.agents().history(input.id, viewerOf(ctx.caller))),

  /** The turns with their latencies, kept once the agent has ended. */
  turns: agentProcedure
    .input(AgentIdInput)
    .output(AgentTurnsOutput)
    .query(({ ctx, input }) => ctx.services.agents().turns(input.id, viewerOf(ctx.caller))),

  /** Live: the current state, then each change and each new message, ending after the end. */
  watch: agentProcedure
    .input(AgentWatchInput)
    .subscription(({ ctx, input, signal }) =>
      watchPlan(ctx, signal, ctx.services.watchAgent(input.id, input.lastEventId ?? undefined, viewerOf(ctx.caller))),
    ),
});
