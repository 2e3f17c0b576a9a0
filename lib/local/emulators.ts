import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import dynalite from 'dynalite';
import { endpointOf, type LocalAddress } from './emulator-gate';
import type { JournalledMessage, QueueEvent, SqsJournal } from './sqs-journal';

export interface RunningEmulator {
  readonly address: LocalAddress;
  /** `http://127.0.0.1:<port>`, or `unix:<path>` on a socket. */
  readonly endpoint: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** Listens on a TCP port of 127.0.0.1 (a number; 0 picks one), or on a unix socket (a path). */
function listen(server: Server, at: number | string): Promise<LocalAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof at === 'string') server.listen(at, () => resolve({ socketPath: at }));
    else server.listen(at, HOST, () => resolve({ port: (server.address() as AddressInfo).port }));
  });
}

/**
 * dynalite (DynamoDB) in this process, persisted under `path`, on a port of loopback or on a unix
 * socket (`at`). It answers any origin and any key: the local stack puts a gate in front of it.
 */
export async function startDynalite(path: string, at: number | string): Promise<RunningEmulator> {
  await mkdir(path, { recursive: true });
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const address = await listen(server, at);
  return {
    address,
    endpoint: endpointOf(address),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

interface FauxqsApp {
  listen(options: { port: number; host: string } | { path: string }): Promise<string>;
  close(): Promise<void>;
  server: Server;
}

/** The parts of fauxqs's in-memory SQS store that the journal hooks into (fauxqs 1.9.2). */
interface FauxqsMessage {
  messageId: string;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}
interface FauxqsQueue {
  name: string;
  pollTimer?: ReturnType<typeof setInterval>;
  processTimers(): void;
  startPollTimerIfNeeded(): void;
  enqueue(message: FauxqsMessage): void;
  purge(): void;
  inspectMessages(): Record<'ready' | 'delayed', { messageId: string }[]> & {
    inflight: { message: { messageId: string } }[];
  };
}
interface FauxqsSqsStore {
  spy?: { addMessage(event: QueueEvent): void };
  createQueue(...args: unknown[]): FauxqsQueue;
  deleteQueue(url: string): boolean;
  getQueue(url: string): FauxqsQueue | undefined;
  getQueueByName(name: string): FauxqsQueue | undefined;
}
interface FauxqsSqsStoreClass {
  new (): FauxqsSqsStore;
  createMessage(
    body: string,
    attributes: Record<string, unknown>,
    delaySeconds?: number,
    messageGroupId?: string,
    messageDeduplicationId?: string,
  ): FauxqsMessage;
}

export interface RunningSqs extends RunningEmulator {
  /** Puts journalled messages back on their queues, keeping their ids; returns those it could not. */
  restore(messages: readonly JournalledMessage[]): JournalledMessage[];
}

/**
 * fauxqs's store class. The package exports only its app; the store (which the app accepts as an
 * option) is loaded from the same installed copy by its file path, and checked with its queue
 * class for what journalStore and slowerExpiryChecks hook into: a start fails, not a request.
 */
async function loadSqsStoreClass(): Promise<FauxqsSqsStoreClass> {
  for (const folder of require.resolve.paths('fauxqs') ?? []) {
    const file = join(folder, 'fauxqs', 'dist', 'sqs', 'sqsStore.js');
    if (!existsSync(file)) continue;
    const { SqsStore, SqsQueue } = (await import(pathToFileURL(file).href)) as {
      SqsStore?: FauxqsSqsStoreClass;
      SqsQueue?: { prototype: Partial<FauxqsQueue> };
    };
    const queue = SqsQueue?.prototype;
    if (
      typeof SqsStore?.createMessage === 'function' &&
      typeof queue?.processTimers === 'function' &&
      typeof queue.startPollTimerIfNeeded === 'function'
    )
      return SqsStore;
  }
  throw new Error('cannot find fauxqs’s SqsStore: is fauxqs@1.9.2 installed?');
}

const messageIds = (queue: FauxqsQueue): string[] => {
  const { ready, delayed, inflight } = queue.inspectMessages();
  return [...ready, ...delayed, ...inflight.map((i) => i.message)].map((m) => m.messageId);
};

/**
 * How often a queue with a long poll waiting on it looks for messages whose delay or visibility
 * timeout has run out. fauxqs looks every 20 ms: with receives waiting on all three queues, that
 * was half of an idle local stack's CPU. A message sent wakes a waiting receive at once either
 * way; a retried one comes back at most this much later than its visibility timeout.
 */
const EXPIRY_CHECK_MS = 250;

function slowerExpiryChecks(store: FauxqsSqsStore): void {
  const createQueue = store.createQueue.bind(store);
  store.createQueue = (...args) => {
    const queue = createQueue(...args);
    queue.startPollTimerIfNeeded = () => {
      if (queue.pollTimer) return;
      queue.pollTimer = setInterval(() => queue.processTimers(), EXPIRY_CHECK_MS);
    };
    return queue;
  };
}

/**
 * Has fauxqs's store write every enqueue, dead-letter move, delete and purge to `journal` before
 * it answers (see sqs-journal.ts).
 */
function journalStore(store: FauxqsSqsStore, journal: SqsJournal): void {
  // fauxqs's spy leaves out a FIFO message's group and deduplication ids: each queue's enqueue
  // says which message it is enqueuing, so that its journal line keeps them.
  let enqueuing: FauxqsMessage | undefined;
  store.spy = {
    addMessage: (event) =>
      journal.record({
        ...event,
        ...(enqueuing?.messageId === event.messageId && {
          messageGroupId: enqueuing.messageGroupId,
          messageDeduplicationId: enqueuing.messageDeduplicationId,
        }),
      }),
  };
  const enqueueOf = (queue: FauxqsQueue): FauxqsQueue['enqueue'] => {
    const enqueue = queue.enqueue.bind(queue);
    return (message) => {
      enqueuing = message;
      try {
        enqueue(message);
      } finally {
        enqueuing = undefined;
      }
    };
  };
  const purgeOf = (queue: FauxqsQueue): (() => void) => {
    const purge = queue.purge.bind(queue);
    return () => {
      journal.forget(messageIds(queue));
      purge();
    };
  };
  const createQueue = store.createQueue.bind(store);
  store.createQueue = (...args) => {
    const queue = createQueue(...args);
    queue.purge = purgeOf(queue);
    queue.enqueue = enqueueOf(queue);
    return queue;
  };
  const deleteQueue = store.deleteQueue.bind(store);
  store.deleteQueue = (url) => {
    const queue = store.getQueue(url);
    if (queue !== undefined) journal.forget(messageIds(queue));
    return deleteQueue(url);
  };
}

/**
 * fauxqs (SQS) in this process, on a port of loopback or on a unix socket (`at`, as for dynalite).
 * In memory, unless a journal is given: then every enqueue, dead-letter move, delete and purge is
 * written to it before fauxqs answers. Its queue URLs name the Host each CreateQueue was sent to.
 */
export async function startFauxqs(at: number | string, journal?: SqsJournal): Promise<RunningSqs> {
  // fauxqs is ESM-only; this import stays a real dynamic import under the nodenext module setting.
  const { buildApp } = (await import('fauxqs')) as unknown as {
    buildApp(options: { logger: boolean; stores?: { sqsStore: FauxqsSqsStore } }): FauxqsApp;
  };
  const SqsStore = await loadSqsStoreClass();
  const store = new SqsStore();
  slowerExpiryChecks(store);
  if (journal !== undefined) journalStore(store, journal);
  const app = buildApp({ logger: false, stores: { sqsStore: store } });
  await app.listen(typeof at === 'string' ? { path: at } : { port: at, host: HOST });
  const address: LocalAddress =
    typeof at === 'string'
      ? { socketPath: at }
      : { port: (app.server.address() as AddressInfo).port };
  return {
    address,
    endpoint: endpointOf(address),
    close: () => app.close(),
    restore(messages) {
      const missing: JournalledMessage[] = [];
      for (const m of messages) {
        const queue = store.getQueueByName(m.queue);
        if (queue === undefined) {
          missing.push(m);
          continue;
        }
        const message = SqsStore.createMessage(
          m.body,
          m.attributes,
          undefined,
          m.groupId,
          m.deduplicationId,
        );
        message.messageId = m.id;
        queue.enqueue(message);
      }
      return missing;
    },
  };
}
