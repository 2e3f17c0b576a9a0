import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import dynalite from 'dynalite';
import type { JournalledMessage, QueueEvent, SqsJournal } from './sqs-journal';

export interface RunningEmulator {
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolve((server.address() as AddressInfo).port));
  });
}

/** dynalite (DynamoDB) in this process, persisted under `path`, on loopback only. */
export async function startDynalite(path: string, port: number): Promise<RunningEmulator> {
  await mkdir(path, { recursive: true });
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const actual = await listen(server, port);
  return {
    port: actual,
    endpoint: `http://${HOST}:${actual}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

interface FauxqsApp {
  listen(options: { port: number; host: string }): Promise<string>;
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
 * option) is loaded from the same installed copy by its file path.
 */
async function loadSqsStoreClass(): Promise<FauxqsSqsStoreClass> {
  for (const folder of require.resolve.paths('fauxqs') ?? []) {
    const file = join(folder, 'fauxqs', 'dist', 'sqs', 'sqsStore.js');
    if (!existsSync(file)) continue;
    const { SqsStore } = (await import(pathToFileURL(file).href)) as {
      SqsStore?: FauxqsSqsStoreClass;
    };
    if (typeof SqsStore?.createMessage === 'function') return SqsStore;
  }
  throw new Error('cannot find fauxqs’s SqsStore: is fauxqs@1.9.2 installed?');
}

const messageIds = (queue: FauxqsQueue): string[] => {
  const { ready, delayed, inflight } = queue.inspectMessages();
  return [...ready, ...delayed, ...inflight.map((i) => i.message)].map((m) => m.messageId);
};

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
 * fauxqs (SQS) in this process, on loopback only. In memory, unless a journal is given: then
 * every enqueue, dead-letter move, delete and purge is written to it before fauxqs answers.
 */
export async function startFauxqs(port: number, journal?: SqsJournal): Promise<RunningSqs> {
  // fauxqs is ESM-only; this import stays a real dynamic import under the nodenext module setting.
  const { buildApp } = (await import('fauxqs')) as unknown as {
    buildApp(options: { logger: boolean; stores?: { sqsStore: FauxqsSqsStore } }): FauxqsApp;
  };
  const SqsStore = await loadSqsStoreClass();
  const store = new SqsStore();
  if (journal !== undefined) journalStore(store, journal);
  const app = buildApp({ logger: false, stores: { sqsStore: store } });
  await app.listen({ port, host: HOST });
  const actual = (app.server.address() as AddressInfo).port;
  return {
    port: actual,
    endpoint: `http://${HOST}:${actual}`,
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
