/**
 * The dashboard's page script: plain DOM, no framework. Each page reads its filters from the URL,
 * fetches its data from /v1/ (the read API) and /api/ (queues, notifications), renders it into the page's tables, and fetches again every few
 * seconds (REFRESH_MS; STAGE_REFRESH_MS for a deployed stage) while the tab is shown, without
 * reloading, so that new events appear and the filters stay.
 */
import { h, statusLine, about } from './ui';
import { jobsPage, jobPage } from './jobs-pages';
import {
  discoverPage,
  connectionsPage,
  connectionHistoryPage,
  queuesPage,
  notificationsPage,
} from './other-pages';

const PAGES: [path: string, label: string][] = [
  ['/', 'Jobs'],
  ['/discover', 'Discover'],
  ['/connections', 'Connections'],
  ['/queues', 'Queues'],
  ['/notifications', 'Notifications'],
];

function start(): void {
  const path = location.pathname;
  const current = path.startsWith('/jobs/')
    ? '/'
    : path.startsWith('/connections/')
      ? '/connections'
      : path;
  const nav = h(
    'nav',
    { 'aria-label': 'Pages' },
    h(
      'ul',
      {},
      ...PAGES.map(([href, label]) =>
        h('li', {}, h('a', { href, ...(href === current && { 'aria-current': 'page' }) }, label)),
      ),
    ),
  );
  const where = h('span', { class: 'where' });
  void about.then((a) => {
    where.textContent = a.stage === null ? 'local stack' : `stage ${a.stage}`;
  });
  const main = h('main', { id: 'main' });
  document.body.replaceChildren(
    h('header', {}, h('a', { href: '/', class: 'brand' }, 'hotglue-webhooks'), where, nav),
    main,
    h('footer', {}, statusLine),
  );
  if (path.startsWith('/jobs/')) jobPage(main, decodeURIComponent(path.slice('/jobs/'.length)));
  else if (path === '/discover') discoverPage(main);
  else if (path === '/connections') connectionsPage(main);
  else if (path === '/connections/history') connectionHistoryPage(main);
  else if (path === '/queues') queuesPage(main);
  else if (path === '/notifications') notificationsPage(main);
  else jobsPage(main);
}

// The back and forward buttons move between filter states: show the state the URL names.
window.addEventListener('popstate', () => location.reload());
start();
