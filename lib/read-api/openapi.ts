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

const json = (description: string, schema: JsonSchema, headers?: JsonSchema) => ({
  description,
  ...(headers !== undefined && { headers }),
  content: { 'application/json': { schema } },
});

const error = (description: string, headers?: JsonSchema) =>
  json(description, { $ref: '#/components/schemas/Error' }, headers);

/** What each route may answer besides its 200, by status. */
const ANSWERED = {
  '400': error(
    'A bad, unknown or repeated parameter, or a cursor this API did not give for this route and these filters',
  ),
  '403': json(
    'Locally, a request addressed to another host than the one the server printed (a page elsewhere pointing a name at 127.0.0.1); on a stage, API Gateway refusing a request without a valid SigV4 signature or IAM permission (`{ "message": … }`)',
    {
      anyOf: [
        { $ref: '#/components/schemas/Error' },
        {
          type: 'object',
          properties: { message: { type: 'string' } },
          required: ['message'],
        },
      ],
    },
  ),
  '404': error('No such job or connection'),
  '405': error(`Any method but GET or HEAD (locally: on a stage only GET is routed)`, {
    Allow: {
      description: `The methods this path answers: ${READ_METHODS}`,
      required: true,
      schema: { type: 'string', const: READ_METHODS },
    },
  }),
  '409': error('A job_id that names several jobs: ask by s3_root'),
  '500': error(
    'An error of ours: `internal error`, never a backend’s text (locally logged with the request id the answer names; on a stage, in the function’s log)',
  ),
  '503': error(
    'On a stage, the records could not be read within the function’s time: ask again after Retry-After',
    {
      'Retry-After': {
        description: 'Seconds to wait before asking again',
        required: true,
        schema: { type: 'string', pattern: '^[0-9]+$' },
      },
    },
  ),
};
type Status = keyof typeof ANSWERED;

/** The statuses other than 200 each operation answers. */
const READS: Status[] = ['400', '403', '405', '500', '503'];
const STATUSES: Record<string, Status[]> = {
  jobs: READS,
  job: ['400', '403', '404', '405', '409', '500', '503'],
  discover: READS,
  connections: READS,
  connectionHistory: ['400', '403', '404', '405', '500', '503'],
  summary: READS,
  openapi: ['400', '403', '405', '500'],
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

/** SigV4 on a stage (IAM authorisation); locally none: the empty requirement. */
const SECURITY = [{ sigv4: [] }, {}];

/** A route's GET, and its HEAD: the same answers without their bodies. */
function operations(
  name: keyof typeof QUERIES,
  summary: string,
  parameters: unknown[],
  answer: JsonSchema,
) {
  const responses = {
    '200': json(summary, answer),
    ...Object.fromEntries((STATUSES[name] ?? []).map((status) => [status, ANSWERED[status]])),
  };
  const bodiless = Object.fromEntries(
    Object.entries(responses).map(([status, { description, ...rest }]) => [
      status,
      {
        description: `${description} (as GET, without the body)`,
        ...('headers' in rest && { headers: rest.headers }),
      },
    ]),
  );
  return {
    get: { operationId: name, summary, parameters, security: SECURITY, responses },
    head: {
      operationId: `${name}Head`,
      summary: `${summary}: the GET's status and headers, without its body`,
      parameters,
      security: SECURITY,
      responses: bodiless,
    },
  };
}

/** The document, built once. */
let built: JsonSchema | undefined;

export function openApiDocument(): JsonSchema {
  built ??= {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'hotglue-webhooks read API',
      version: '1',
      license: { name: 'MIT', identifier: 'MIT' },
      description: [
        'The records the webhooks made: jobs, discover states and connections, as the CLI shows them with --json. Lists answer { items, next } and take ?cursor=<next>.',
        'Locally (`npm start`, `hotglue-webhooks dashboard`) it needs no authorisation, and answers only requests addressed to the host it printed. On a stage, each route is authorised by IAM: sign each request with SigV4 for the service `execute-api` (the `sigv4` scheme).',
        'HEAD answers as GET, without the body (locally; a stage routes only GET). Every error is `{ "error": "<why>" }`.',
      ].join('\n\n'),
    },
    servers: [
      { url: 'http://127.0.0.1:3000', description: 'npm start, on the webhook port: no auth' },
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'A stage deployed with readApi: true (IAM authorisation: SigV4)',
        variables: {
          apiId: {
            default: 'abc123',
            description: 'The stage’s HTTP API id (npx serverless info --stage <stage>)',
          },
          region: { default: 'eu-west-1', description: 'The stage’s AWS region' },
        },
      },
    ],
    security: SECURITY,
    paths: Object.fromEntries([
      ...ROUTES.map((route) => [
        route.path,
        operations(
          route.name,
          route.summary,
          [
            ...(route.path.includes('{s3_root}') ? [PATH_PARAMETER] : []),
            ...queryParameters(route.name),
          ],
          jsonSchema(ANSWERS[route.name]),
        ),
      ]),
      [
        '/v1/openapi.json',
        operations('openapi', 'This document', [], {
          ...jsonSchema(ANSWERS.openapi),
          description: 'The OpenAPI 3.1 document of /v1',
        }),
      ],
    ]),
    components: {
      schemas: {
        Error: { ...jsonSchema(ERROR), description: 'Every error: its status says which' },
      },
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          'x-amazon-apigateway-authtype': 'awsSigv4',
          description:
            'On a stage: AWS Signature Version 4 for the service execute-api, with credentials allowed execute-api:Invoke on the routes (Authorization, X-Amz-Date and, for temporary credentials, X-Amz-Security-Token). Locally no authorisation is needed.',
        },
      },
    },
  };
  return built;
}
