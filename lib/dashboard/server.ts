import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { logger } from '../aws/logger';
import { answerApi, type DashboardDeps } from './api';
import { answerReadApi, isReadApiPath } from '../read-api/answer';
import { READ_METHODS } from '../read-api/openapi';

/** The page paths: each is the same HTML shell, which renders the page its path names. */
const PAGE = /^\/(?:|discover|connections|connections\/history|queues|notifications|jobs\/.+)$/;

/** A request target that starts with two slashes, either way round: a URL of another host. */
const OFF_SITE = /^[/\\]{2}/;

/**
 * Nothing from another host, no inline script or style: the page works offline, and a value
 * shown on it can never run as code.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hotglue-webhooks dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script defer src="/assets/app.js"></script>
</head>
<body>
<noscript>This dashboard needs JavaScript. The same data: npx hotglue-webhooks jobs list --json</noscript>
</body>
</html>
`;

interface Assets {
  'app.js': Buffer;
  'app.css': Buffer;
}

let built: Promise<Assets> | undefined;

/**
 * The page's sources: beside this file, or, when this runs from the CLI's bundle (dist/cli.cjs),
 * in lib/dashboard/web of the same project.
 */
const WEB_DIR =
  [join(__dirname, 'web'), join(__dirname, '..', 'lib', 'dashboard', 'web')].find((dir) =>
    existsSync(join(dir, 'app.ts')),
  ) ?? join(__dirname, 'web');

/** The page's script and style, bundled by esbuild on first use (about 50 ms) and kept. */
function assets(): Promise<Assets> {
  built ??= build({
    entryPoints: [join(WEB_DIR, 'app.ts'), join(WEB_DIR, 'app.css')],
    bundle: true,
    minify: true,
    write: false,
    outdir: '/assets',
    target: ['chrome110', 'firefox110', 'safari16'],
    logLevel: 'silent',
  }).then((result) => {
    const file = (ext: string) =>
      Buffer.from(result.outputFiles.find((f) => f.path.endsWith(ext))?.contents ?? []);
    return { 'app.js': file('.js'), 'app.css': file('.css') };
  });
  return built;
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...headers }).end(body);
}

const json = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);

/**
 * A request that failed for a reason of ours (a bug, a backend's error): logged with a request id
 * and answered with a generic 500 that names it, never with the error's own text (a backend's
 * message says how the tables are queried), as the read Lambda does on a stage.
 */
function internalError(res: ServerResponse, path: string, error: unknown): void {
  const requestId = randomUUID();
  logger.error('dashboard request failed', {
    requestId,
    path,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
  json(res, 500, { error: `internal error (request ${requestId}): see the log` });
}

/**
 * Serves the dashboard: its pages, their assets and the JSON API, all read-only. Returns false for
 * a request that is none of these (a path starting with `//` included), for the caller to answer:
 * a 404, or the local stack's webhook routes, which match the raw path.
 * Only a request addressed to one of `hosts` (host:port) is served: a web page elsewhere cannot
 * reach it by pointing a name of its own at 127.0.0.1 (DNS rebinding).
 */
export function dashboardHandler(
  deps: DashboardDeps,
  hosts: () => string[],
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const target = req.url ?? '/';
    // `//evil.com/` (or `/\evil.com/`) resolves to another host's `/`, and parsed it would be the
    // jobs page: a page whose path the browser shows as `//evil.com/` links off-site (its "First
    // page" link, `//evil.com/`, is http://evil.com/). No such path is the dashboard's.
    if (OFF_SITE.test(target)) return false;
    const url = new URL(target, 'http://dashboard');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    // The same after `.` and `..` segments (`/.//evil.com/` is `//evil.com/`).
    if (path.startsWith('//')) return false;
    const isApi = path === '/api' || path.startsWith('/api/');
    const isReadApi = isReadApiPath(path);
    const isAsset = path === '/assets/app.js' || path === '/assets/app.css';
    const isPage = (method === 'GET' || method === 'HEAD') && PAGE.test(path);
    if (!isApi && !isReadApi && !isAsset && !isPage) return false;
    if (!hosts().includes(String(req.headers.host ?? '').toLowerCase())) {
      json(res, 403, { error: 'the dashboard answers only at the address it printed' });
      return true;
    }
    try {
      if (isApi || isReadApi) {
        const answer = await (isApi ? answerApi : answerReadApi)(
          deps,
          method,
          path,
          url.searchParams,
        );
        // Both APIs only read: a 405 names the methods they answer (RFC 9110 requires Allow).
        json(res, answer.status, answer.body, answer.status === 405 ? { allow: READ_METHODS } : {});
      } else if (isAsset) {
        const name = path.slice('/assets/'.length) as keyof Assets;
        const type = name.endsWith('.js') ? 'text/javascript' : 'text/css';
        send(res, 200, `${type}; charset=utf-8`, (await assets())[name]);
      } else send(res, 200, 'text/html; charset=utf-8', SHELL);
    } catch (error) {
      internalError(res, path, error);
    }
    return true;
  };
}

/** The addresses a server on `host:port` answers at: the host itself, and loopback names. */
export function hostsFor(host: string, port: number): string[] {
  return [...new Set([host, '127.0.0.1', 'localhost', '[::1]'])].map((h) => `${h}:${port}`);
}

/** The dashboard on its own server (`hotglue-webhooks dashboard`), on 127.0.0.1 only. */
export async function startDashboard(
  deps: DashboardDeps,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  let bound = 0;
  const handle = dashboardHandler(deps, () => hostsFor('127.0.0.1', bound));
  const server: Server = createServer((req, res) => {
    handle(req, res).then(
      (handled) => {
        if (!handled) json(res, 404, { error: 'not found' });
      },
      (error: unknown) => internalError(res, (req.url ?? '/').split('?')[0] ?? '/', error),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  bound = (server.address() as AddressInfo).port;
  await assets();
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Builds the page's assets now, so that the first page view does not wait (and a build error shows at start). */
export const prepareDashboard = async (): Promise<{ scriptBytes: number; styleBytes: number }> => {
  const a = await assets();
  return { scriptBytes: a['app.js'].length, styleBytes: a['app.css'].length };
};
