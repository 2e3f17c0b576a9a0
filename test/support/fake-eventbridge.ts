import { startAwsJsonServer } from './aws-json-server';

/** One entry of a PutEvents call, as the SDK sent it. */
export interface PutEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: number;
}

/**
 * EventBridge's PutEvents over its real wire protocol, for the notifiers: no EventBridge emulator
 * runs here. Keeps every entry and accepts them all, unless `failing` is set.
 */
export async function startFakeEventBridge(): Promise<{
  endpoint: string;
  entries: PutEntry[];
  failing: boolean;
  close(): Promise<void>;
}> {
  const entries: PutEntry[] = [];
  const state = { failing: false };
  const server = await startAwsJsonServer('AWSEvents.PutEvents', (input) => {
    const put = (input.Entries as PutEntry[] | undefined) ?? [];
    if (state.failing)
      return {
        status: 200,
        body: {
          FailedEntryCount: put.length,
          Entries: put.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'down' })),
        },
      };
    entries.push(...put);
    return {
      status: 200,
      body: { FailedEntryCount: 0, Entries: put.map((_, i) => ({ EventId: `event-${i}` })) },
    };
  });
  return {
    endpoint: server.endpoint,
    entries,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    close: server.close,
  };
}
