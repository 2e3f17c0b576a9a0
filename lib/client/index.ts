import type * as z from 'zod/mini';
import type { ANSWERS, QUERIES } from '../read-api/schemas';

/**
 * A small client of the read API, `/v1`, for TypeScript services: `fetch`, the answer types
 * inferred from the schemas the API shapes its answers with, and an optional signer (bring SigV4
 * from the AWS SDK for a stage: docs/read-api.md shows how).
 */

/** What a signer is given: the request about to be sent. */
export interface UnsignedRequest {
  method: 'GET';
  url: URL;
  headers: Record<string, string>;
}

/** Signs a request: returns the headers to send it with (SigV4's, for a stage). */
export type Signer = (request: UnsignedRequest) => Promise<Record<string, string>>;

export interface ReadClientOptions {
  /** The API's base URL: `http://127.0.0.1:3000` locally, the stage's API URL on AWS. */
  baseUrl: string;
  sign?: Signer;
  /** Another fetch (a proxy's, a test's); the global one by default. */
  fetch?: typeof fetch;
}

/** An answer that is not 200: its status and the API's reason. */
export class ReadApiError extends Error {
  constructor(
    readonly status: number,
    reason: string,
  ) {
    super(`${status}: ${reason}`);
  }
}

/** A route's query: its parameters, numbers and switches given as they are. */
type QueryOf<N extends keyof typeof QUERIES> = {
  [K in keyof z.infer<(typeof QUERIES)[N]>]?: string | number | boolean;
};

export type Jobs = z.infer<typeof ANSWERS.jobs>;
export type Job = z.infer<typeof ANSWERS.job>;
export type DiscoverStates = z.infer<typeof ANSWERS.discover>;
export type Connections = z.infer<typeof ANSWERS.connections>;
export type ConnectionHistory = z.infer<typeof ANSWERS.connectionHistory>;
export type JobsSummary = z.infer<typeof ANSWERS.summary>;

/** A client of `/v1` at `baseUrl`. */
export function readClient(options: ReadClientOptions) {
  const send = options.fetch ?? fetch;
  async function get<T>(path: string, query: Record<string, unknown> = {}): Promise<T> {
    const url = new URL(path, options.baseUrl);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, String(value));
    const unsigned: UnsignedRequest = {
      method: 'GET',
      url,
      headers: { accept: 'application/json' },
    };
    const headers = options.sign === undefined ? unsigned.headers : await options.sign(unsigned);
    const response = await send(url, { method: 'GET', headers });
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    if (!response.ok) throw new ReadApiError(response.status, body.error ?? response.statusText);
    return body as T;
  }
  return {
    jobs: (query: QueryOf<'jobs'> = {}) => get<Jobs>('/v1/jobs', query),
    /** One job by its s3_root (or a job_id that names one job), with its history. */
    job: (s3Root: string) => get<Job>(`/v1/jobs/${encodeURIComponent(s3Root)}`),
    discover: (query: QueryOf<'discover'> = {}) => get<DiscoverStates>('/v1/discover', query),
    connections: (query: QueryOf<'connections'> = {}) => get<Connections>('/v1/connections', query),
    connectionHistory: (query: QueryOf<'connectionHistory'>) =>
      get<ConnectionHistory>('/v1/connections/history', query),
    summary: (query: QueryOf<'summary'> = {}) => get<JobsSummary>('/v1/summary', query),
    /** Every job the filters match, page after page. */
    async *allJobs(
      query: Omit<QueryOf<'jobs'>, 'cursor'> = {},
    ): AsyncGenerator<Jobs['items'][number]> {
      let cursor: string | null | undefined;
      do {
        const page = await get<Jobs>('/v1/jobs', { ...query, cursor: cursor ?? undefined });
        yield* page.items;
        cursor = page.next;
      } while (cursor !== null);
    },
  };
}

export type ReadClient = ReturnType<typeof readClient>;
