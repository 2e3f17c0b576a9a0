import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDocument } from '../../lib/read-api/openapi';

/**
 * The read API's OpenAPI document as an outside checker reads it (Redocly CLI, pinned in
 * devDependencies, with its recommended rules: no errors), and what it must say: every status each
 * route answers, the servers, the stage's SigV4 scheme, a `limit` that is an integer, and every
 * required property defined.
 */

type Json = Record<string, unknown>;
const doc = openApiDocument() as {
  servers: Json[];
  security: Json[];
  paths: Record<string, Record<string, Json & { responses: Record<string, Json> }>>;
  components: { securitySchemes: Record<string, Json> };
};

interface Problem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

describe('the OpenAPI document of /v1', () => {
  it('passes Redocly’s recommended rules with no error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hgw-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc, null, 2));
      // `redocly lint <file> --extends recommended --format json`, from the pinned devDependency.
      const run = spawnSync(
        process.execPath,
        [
          require.resolve('@redocly/cli/bin/cli.js'),
          ...['lint', file, '--extends', 'recommended', '--format', 'json'],
        ],
        {
          cwd: dir,
          encoding: 'utf8',
          timeout: 15_000,
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      );
      const report = JSON.parse(run.stdout) as { totals: { errors: number }; problems: Problem[] };
      const errors = report.problems
        .filter((p) => p.severity === 'error')
        .map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
      expect(errors).toEqual([]);
      expect(report.totals.errors).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);

  it('lists every status each route answers, for GET and HEAD (HEAD without bodies)', () => {
    const statuses = (path: string) => Object.keys(doc.paths[path]?.get?.responses ?? {}).sort();
    const reads = ['200', '400', '403', '405', '500', '503'];
    expect(statuses('/v1/jobs')).toEqual(reads);
    expect(statuses('/v1/jobs/{s3_root}')).toEqual([
      '200',
      '400',
      '403',
      '404',
      '405',
      '409',
      '500',
      '503',
    ]);
    expect(statuses('/v1/discover')).toEqual(reads);
    expect(statuses('/v1/connections')).toEqual(reads);
    expect(statuses('/v1/connections/history')).toEqual([
      '200',
      '400',
      '403',
      '404',
      '405',
      '500',
      '503',
    ]);
    expect(statuses('/v1/summary')).toEqual(reads);
    expect(statuses('/v1/openapi.json')).toEqual(['200', '400', '403', '405', '500']);
    for (const [path, item] of Object.entries(doc.paths)) {
      expect({ path, methods: Object.keys(item).sort() }).toEqual({
        path,
        methods: ['get', 'head'],
      });
      expect(Object.keys(item.head?.responses ?? {}).sort()).toEqual(statuses(path));
      for (const response of Object.values(item.head?.responses ?? {}))
        expect(response).not.toHaveProperty('content');
      expect(item.get?.responses['405']).toMatchObject({
        headers: { Allow: { required: true, schema: { const: 'GET, HEAD' } } },
      });
    }
    expect(doc.paths['/v1/jobs']?.get?.responses['503']).toMatchObject({
      headers: { 'Retry-After': { required: true } },
    });
  });

  it('names the local server and a stage’s, and the stage’s SigV4 scheme on every operation', () => {
    expect(doc.servers.map((s) => s.url)).toEqual([
      'http://127.0.0.1:3000',
      'https://{apiId}.execute-api.{region}.amazonaws.com',
    ]);
    expect(doc.servers[1]?.variables).toMatchObject({
      apiId: { default: expect.any(String) },
      region: { default: expect.any(String) },
    });
    expect(doc.components.securitySchemes.sigv4).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    });
    for (const item of Object.values(doc.paths))
      for (const operation of Object.values(item))
        // SigV4 on a stage, or none (locally).
        expect(operation.security).toEqual([{ sigv4: [] }, {}]);
  });

  it('types limit as an integer from 1 to 1,000', () => {
    const limits = Object.values(doc.paths).flatMap((item) =>
      ((item.get?.parameters ?? []) as Json[]).filter((p) => p.name === 'limit'),
    );
    expect(limits).toHaveLength(4);
    for (const limit of limits)
      expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
  });

  it('defines every property an object requires (summary.byClass among them)', () => {
    const undefinedRequired: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}/${i}`));
      if (node === null || typeof node !== 'object') return;
      const schema = node as Json;
      if (Array.isArray(schema.required) && schema.type === 'object') {
        const properties = (schema.properties ?? {}) as Json;
        for (const name of schema.required as string[])
          if (!(name in properties)) undefinedRequired.push(`${at}: ${name}`);
      }
      for (const [key, value] of Object.entries(schema)) walk(value, `${at}/${key}`);
    };
    walk(doc, '#');
    expect(undefinedRequired).toEqual([]);
    const summary = doc.paths['/v1/summary']?.get?.responses['200'] as {
      content: { 'application/json': { schema: { properties: { byClass: Json } } } };
    };
    expect(summary.content['application/json'].schema.properties.byClass).toMatchObject({
      type: 'object',
      properties: {
        running: { type: 'number' },
        failed: { type: 'number' },
        completed: { type: 'number' },
        other: { type: 'number' },
      },
      required: ['running', 'failed', 'completed', 'other'],
    });
  });
});
