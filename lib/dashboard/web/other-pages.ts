import type { QueueRow } from './api-types';
import {
  type Json,
  h,
  text,
  timeOf,
  badge,
  discoverTone,
  table,
  setRows,
  api,
  once,
  query,
  jobHref,
  TENANT_FLOW,
  statusField,
  listPage,
} from './ui';
import { replaceIfChanged } from './redraw';

/** The discover, connections (and one connection's history), queues and notifications pages. */

export function discoverPage(main: HTMLElement): void {
  listPage<Json>(main, {
    title: 'Discover',
    caption: 'Discover state per connector',
    source: () => `/v1/discover${query(['tenant', 'flow', 'status', 'limit', 'cursor'])}`,
    paged: {
      count: () => `/api/count/discover${query(['tenant', 'flow', 'status'])}`,
      noun: ['discover state', 'discover states'],
    },
    empty: 'No discover state matches these filters.',
    fields: [
      ...TENANT_FLOW,
      statusField([
        ['started', 'Started'],
        ['success', 'Success'],
        ['failed', 'Failed'],
      ]),
    ],
    columns: [
      ['Status', (s) => badge(text(s.status), discoverTone(s.status))],
      ['Connector', (s) => text(s.connector)],
      ['Tenant', (s) => text(s.tenant)],
      ['Flow', (s) => text(s.flow_id)],
      ['Environment', (s) => text(s.env_id)],
      ['Last update', (s) => timeOf(s.updated_at)],
      ['Last success', (s) => timeOf(s.last_success_at)],
      ['Last failure', (s) => timeOf(s.last_failed_at)],
      ['Error', (s) => text(s.error ?? s.message), 'wrap'],
    ],
  });
}

export function connectionsPage(main: HTMLElement): void {
  listPage<Json>(main, {
    title: 'Connections',
    caption: 'Connections',
    source: () => `/v1/connections${query(['tenant', 'flow', 'linked', 'limit', 'cursor'])}`,
    paged: {
      count: () => `/api/count/connections${query(['tenant', 'flow', 'linked'])}`,
      noun: ['connection', 'connections'],
    },
    empty: 'No connections match these filters.',
    fields: [...TENANT_FLOW, { name: 'linked', label: 'Linked only', kind: 'checkbox' }],
    columns: [
      ['Linked', (c) => (c.linked === true ? badge('linked', 'ok') : badge('unlinked', 'bad'))],
      ['Connector', (c) => text(c.connector)],
      ['Type', (c) => text(c.connector_type)],
      ['Tenant', (c) => text(c.tenant)],
      ['Flow', (c) => text(c.flow_id)],
      ['Latest event', (c) => text(c.event)],
      ['Last update', (c) => timeOf(c.updated_at)],
      ['Events', (c) => text(c.event_count)],
      ['History', (c) => h('a', { href: connectionHistoryHref(c) }, 'History')],
    ],
  });
}

/** The history page of the connection a list row shows. */
const connectionHistoryHref = (c: Json, cursor?: string): string =>
  `/connections/history?${new URLSearchParams({
    env: text(c.env_id),
    tenant: text(c.tenant),
    flow: text(c.flow_id),
    type: text(c.connector_type),
    connector: text(c.connector),
    ...(cursor !== undefined && { cursor }),
  }).toString()}`;

/** One connection's events, newest first, a page at a time (read once: a page reads it all). */
export function connectionHistoryPage(main: HTMLElement): void {
  const params = new URLSearchParams(location.search);
  const key: Json = {
    env_id: params.get('env'),
    tenant: params.get('tenant'),
    flow_id: params.get('flow'),
    connector_type: params.get('type'),
    connector: params.get('connector'),
  };
  const events = table('Events, newest first', ['Time', 'Event', 'Event id', 'First link']);
  const older = h('p', {});
  main.append(
    h('p', {}, h('a', { href: '/connections' }, '← All connections')),
    h('h1', {}, `Connection ${text(key.connector)} of ${text(key.tenant)}`),
    h(
      'p',
      {},
      `Flow ${text(key.flow_id)}, ${text(key.connector_type)}, environment ${text(key.env_id)}.`,
    ),
    events.element,
    older,
  );
  once(async () => {
    const page = await api<{ items: Json[]; next: string | null }>(
      `/v1/connections/history${location.search}`,
    );
    setRows(
      events.body,
      page.items.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, timeOf(e.timestamp)),
          h('td', {}, text(e.event)),
          h('td', {}, text(e.event_id)),
          h('td', {}, text(e.first_link)),
        ),
      ),
      4,
      'No events.',
    );
    replaceIfChanged(older, [
      page.next === null
        ? ''
        : h('a', { href: connectionHistoryHref(key, page.next) }, 'Older events'),
    ]);
  });
}

/** Why a queue's first dead letters are there: one line each, its reason and when. */
function whyDead(q: QueueRow): Node | string {
  if (q.lettersError !== undefined) return `could not list them (${q.lettersError}): use dlq list`;
  if (q.letters === undefined || q.letters.length === 0) return '—';
  return h(
    'ul',
    { class: 'reasons' },
    ...q.letters.map((l) =>
      h(
        'li',
        { title: `message ${l.messageId}` },
        l.reason,
        l.at === undefined ? '' : ' · ',
        timeOf(l.at),
      ),
    ),
  );
}

export function queuesPage(main: HTMLElement): void {
  listPage<QueueRow>(main, {
    title: 'Queues',
    caption: 'Queues and their dead-letter queues',
    above: {
      element: h(
        'p',
        {},
        'This page only reads. Dead letters wait until you move them back with the command shown, once the cause is fixed.',
      ),
      refresh: async () => undefined,
    },
    source: () => '/api/queues',
    empty: 'No queues.',
    columns: [
      ['Kind', (q) => q.kind],
      ['Queue', (q) => q.queue?.name ?? '—'],
      ['Waiting or in flight', (q) => (q.queue === undefined ? '—' : String(q.queue.messages))],
      ['Dead-letter queue', (q) => q.deadLetter.name],
      [
        'Dead letters',
        (q) =>
          q.deadLetter.messages > 0
            ? badge(String(q.deadLetter.messages), 'bad')
            : String(q.deadLetter.messages),
      ],
      ['Why (the first ones)', whyDead, 'wrap'],
      ['To redrive them', (q) => h('code', {}, q.redrive)],
    ],
  });
}

export function notificationsPage(main: HTMLElement): void {
  const note = h(
    'p',
    {},
    'One per change of a record’s state, as the local stack delivered them (to its log, NOTIFY_URL when set, and notifications tail). A deployed stage puts them on its EventBridge bus instead.',
  );
  listPage<Json>(main, {
    title: 'Notifications',
    caption: 'Notifications sent, newest first',
    above: { element: note, refresh: async () => undefined },
    source: () => '/api/notifications',
    empty: 'No notification yet: a job that completes or fails sends one.',
    columns: [
      ['Time', (n) => timeOf(n.time)],
      ['Detail-type', (n) => text(n['detail-type'])],
      [
        'About',
        (n) => {
          const d = (n.detail ?? {}) as Json;
          return d.s3_root !== undefined
            ? h('a', { href: jobHref(d.s3_root) }, text(d.job_id ?? d.s3_root))
            : `${text(d.connector)} · ${text(d.tenant)}`;
        },
      ],
      [
        'Change',
        (n) => {
          const d = (n.detail ?? {}) as Json;
          return d.previous_linked !== undefined
            ? `linked ${text(d.previous_linked) || '—'} → ${text(d.linked)}`
            : `${text(d.previous_status) || '—'} → ${text(d.status)}`;
        },
      ],
      ['Id', (n) => h('code', {}, text(n.id))],
    ],
  });
}
