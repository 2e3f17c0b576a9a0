import * as z from 'zod/mini';
import { ROUTES } from './routes';
import { ANSWERS, ERROR, QUERIES } from './schemas';

/** The OpenAPI 3.1 document of /v1, generated from the schemas that check and shape it. */

type JsonSchema = Record<string, unknown>;

/** The methods /v1 answers (HEAD as GET, without the body): a 405's `Allow`. */
export const READ_METHODS = 'GET, HEAD';

/** A schema as JSON Schema 2020-12, without its own `$schema` (the document names the dialect). */
function jsonSchema(schema: z.core.$ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

const json = (description: string, schema: JsonSchema) => ({
  description,
  content: { 'application/json': { schema } },
});

const ERRORS = {
  '400': json(
    'A bad, unknown or repeated parameter, or a cursor this API did not give',
    jsonSchema(ERROR),
  ),
  '404': json('No such job or connection', jsonSchema(ERROR)),
  '405': json('Any method but GET (and HEAD)', jsonSchema(ERROR)),
  '503': json(
    'On a stage, the records could not be read within the function’s time: retry (Retry-After)',
    jsonSchema(ERROR),
  ),
};

function queryParameters(name: keyof typeof QUERIES) {
  const schema = jsonSchema(QUERIES[name]) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(schema.properties ?? {}).map(([param, property]) => ({
    name: param,
    in: 'query',
    required: schema.required?.includes(param) ?? false,
    ...(typeof property.description === 'string' && { description: property.description }),
    schema: property,
  }));
}

const PATH_PARAMETER = {
  name: 's3_root',
  in: 'path',
  required: true,
  description:
    "The job's s3_root, URL-encoded (its slashes as %2F), or a job_id that names one job",
  schema: { type: 'string' },
};

/** The document, built once. */
let built: JsonSchema | undefined;

export function openApiDocument(): JsonSchema {
  built ??= {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'hotglue-webhooks read API',
      version: '1',
      description:
        'The records the webhooks made: jobs, discover states and connections, as the CLI shows them with --json. Lists answer { items, next } and take ?cursor=<next>.',
    },
    paths: Object.fromEntries([
      ...ROUTES.map((route) => [
        route.path,
        {
          get: {
            operationId: route.name,
            summary: route.summary,
            parameters: [
              ...(route.path.includes('{s3_root}') ? [PATH_PARAMETER] : []),
              ...queryParameters(route.name),
            ],
            responses: { '200': json(route.summary, jsonSchema(ANSWERS[route.name])), ...ERRORS },
          },
        },
      ]),
      [
        '/v1/openapi.json',
        {
          get: {
            operationId: 'openapi',
            summary: 'This document',
            responses: { '200': json('The OpenAPI 3.1 document of /v1', { type: 'object' }) },
          },
        },
      ],
    ]),
  };
  return built;
}
