import { describe, expectTypeOf, it } from 'vitest';
import type { TRPCClientError } from '@trpc/client';
import type {
  AgentStatusEvent,
  AgoraBackendClient,
  AppRouter,
  Recording,
  RecordingStatusEvent,
  RouterInputs,
  RouterOutputs,
} from './index.js';
import { getAgoraError, watchAgent } from './index.js';
import type { LiveAgent } from './react.js';

describe('client types', () => {
  it('types procedure inputs', () => {
    expectTypeOf<{ channel: string; uid: number }>().toExtend<RouterInputs['token']['generate']>();
    expectTypeOf<{ channel: string; uid: string; role: 'publisher'; expireTime: number }>().toExtend<RouterInputs['token']['generate']>();
    expectTypeOf<{ kind: 'rtm'; userId: string }>().toExtend<RouterInputs['token']['generate']>();
    expectTypeOf<{ kind: 'rtm'; channel: string }>().not.toExtend<RouterInputs['token']['generate']>();
    expectTypeOf<{ channel: string }>().toExtend<RouterInputs['recording']['start']>();
    expectTypeOf<{ uid: string; channel: string }>().toExtend<RouterInputs['recording']['start']>();
    expectTypeOf<{ resourceId: string; sid: string }>().toExtend<RouterInputs['recording']['query']>();
    expectTypeOf<{ id: string; lastEventId?: string }>().toExtend<RouterInputs['recording']['watch']>();
  });

  it('types procedure outputs, dates included', () => {
    expectTypeOf<RouterOutputs['token']['generate']['expiresAt']>().toEqualTypeOf<Date>();
    expectTypeOf<RouterOutputs['recording']['start']['startedAt']>().toEqualTypeOf<Date>();
    expectTypeOf<RouterOutputs['recording']['get']>().toEqualTypeOf<Recording>();
    expectTypeOf<RouterOutputs['recording']['stop']['alreadyStopped']>().toEqualTypeOf<boolean>();
  });

  it('types subscription data as tracked events', () => {
    const subscribe = (client: AgoraBackendClient) =>
      client.recording.watch.subscribe(
        { id: 'x' },
        {
          onData: (value) => {
            expectTypeOf(value).toEqualTypeOf<{ id: string; data: RecordingStatusEvent }>();
          },
        },
      );
    expectTypeOf(subscribe).toBeFunction();
  });

  it("types the agent's procedures, watch and hook", () => {
    expectTypeOf<{ channel: string }>().toExtend<RouterInputs['agent']['start']>();
    expectTypeOf<{ channel: string; profile: string; remoteUids: string[]; greeting: string }>().toExtend<RouterInputs['agent']['start']>();
    expectTypeOf<{ id: string; text: string; priority: 'INTERRUPT' }>().toExtend<RouterInputs['agent']['speak']>();
    expectTypeOf<RouterOutputs['agent']['history']['messages'][number]['seenAt']>().toEqualTypeOf<Date>();
    expectTypeOf(watchAgent).parameter(2).toHaveProperty('onEvent').toEqualTypeOf<(event: AgentStatusEvent, eventId: string) => void>();
    expectTypeOf<LiveAgent['messages'][number]['content']>().toEqualTypeOf<string>();
    expectTypeOf<LiveAgent['latest']>().toEqualTypeOf<AgentStatusEvent | undefined>();
  });

  it('types error data', () => {
    type Data = NonNullable<TRPCClientError<AppRouter>['data']>;
    expectTypeOf<Data['appCode']>().toEqualTypeOf<import('./index.js').AppErrorCode>();
    expectTypeOf<Data['issues']>().toEqualTypeOf<import('./index.js').FieldIssue[] | undefined>();
    expectTypeOf(getAgoraError).returns.toEqualTypeOf<
      { code: number | undefined; reason: string | undefined; httpStatus: number } | undefined
    >();
  });
});
