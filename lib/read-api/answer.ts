import { AmbiguousJobIdError } from '../ports/event-store';
import { InvalidCursorError } from '../records/views';
import { BadCursorError } from './cursor';
import { openApiDocument, READ_METHODS } from './openapi';
import { BadParameter } from './params';
import { checkQuery, NotFound, ROUTES, shaped, type ReadApiDeps } from './routes';

/** An answer of the read API: a status and a body to send as JSON. */
export interface ReadAnswer {
  status: number;
  body: unknown;
  /** Headers to send with it: a 405's `Allow`. */
  headers?: Record<string, string>;
}

/** Whether a path is the read API's. */
export const isReadApiPath = (path: string): boolean => path === '/v1' || path.startsWith('/v1/');

const error = (status: number, message: string): ReadAnswer => ({
  status,
  body: { error: message },
});

/**
 * The read API, `/v1`: the same records and filters as the CLI's `--json`, lists a page at a
 * time (`{ items, next }`), and its OpenAPI document at /v1/openapi.json. Only reads: any method
 * but GET (or HEAD) is 405, with `Allow: GET, HEAD`; a bad or unknown parameter, or a cursor this API did not give for
 * the route and filters, 400; an unknown job or connection 404; a job_id that names several jobs
 * 409. Each with `{ error }`. Anything else is thrown: its caller (the read Lambda, the
 * dashboard's server) logs it and answers a generic 500, never the error's own text.
 */
export async function answerReadApi(
  deps: ReadApiDeps,
  method: string,
  path: string,
  query: URLSearchParams,
): Promise<ReadAnswer> {
  if (method !== 'GET' && method !== 'HEAD')
    return {
      ...error(405, `method ${method} not allowed: /v1 only reads (GET)`),
      headers: { allow: READ_METHODS },
    };
  try {
    if (path === '/v1/openapi.json') {
      checkQuery('openapi', query);
      return { status: 200, body: openApiDocument() };
    }
    for (const route of ROUTES) {
      const matched = route.match(path);
      if (matched === undefined) continue;
      const body = await route.run(deps, checkQuery(route.name, query) as never, matched.param);
      return { status: 200, body: shaped(route.name, body) };
    }
    return error(404, `no API at ${path} (see /v1/openapi.json)`);
  } catch (caught) {
    if (caught instanceof NotFound) return error(404, caught.message);
    if (caught instanceof BadParameter || caught instanceof BadCursorError)
      return error(400, caught.message);
    // A history cursor that decoded but names no event: refused like any other cursor.
    if (caught instanceof InvalidCursorError) return error(400, new BadCursorError().message);
    if (caught instanceof AmbiguousJobIdError) return error(409, caught.message);
    throw caught;
  }
}
