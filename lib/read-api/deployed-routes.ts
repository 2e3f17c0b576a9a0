import { ROUTES } from './routes';

/**
 * The paths the read function serves on a stage, as API Gateway routes: each route of /v1 and the
 * OpenAPI document. A job's s3_root holds slashes, so its route takes the rest of the path
 * (`{s3_root+}`), encoded or not.
 */
export const deployedReadRoutes = (): string[] => [
  ...ROUTES.map((route) => route.path.replace('{s3_root}', '{s3_root+}')),
  '/v1/openapi.json',
];

/** The read function's `httpApi` events: each path, GET, with IAM (SigV4) authorisation. */
export const deployedReadEvents = () =>
  deployedReadRoutes().map((path) => ({
    httpApi: { method: 'GET', path, authorizer: { type: 'aws_iam' } },
  }));
