import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployedReadRoutes } from '../../lib/read-api/deployed-routes';
import { packageProd, type Template } from '../support/template';

/** A stage with `readApi: true` (the prod package, PROD): the /v1 routes, behind IAM, on a read-only role. */

let dir: string;
let template: Template;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hgw-read-api-'));
  await packageProd(dir);
  template = JSON.parse(
    await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Props = Record<string, unknown>;
const ofType = (type: string) =>
  Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, (r.Properties ?? {}) as Props] as const);

/** Each route's key, authorisation and the function its integration invokes. */
function routes() {
  const integrations = new Map(ofType('AWS::ApiGatewayV2::Integration'));
  return ofType('AWS::ApiGatewayV2::Route').map(([, r]) => {
    const target = JSON.stringify(r.Target);
    const integration = [...integrations].find(([id]) => target.includes(`"${id}"`))?.[1];
    return {
      key: String(r.RouteKey),
      auth: r.AuthorizationType ?? 'NONE',
      fn: JSON.stringify(integration?.IntegrationUri ?? ''),
    };
  });
}

describe('the read API on a stage (readApi=true)', () => {
  it('adds a GET route per /v1 path, each with IAM authorisation, to the read function', () => {
    const v1 = routes().filter((r) => r.key.startsWith('GET /v1'));
    expect(v1.map((r) => r.key).sort()).toEqual(
      deployedReadRoutes()
        .map((p) => `GET ${p}`)
        .sort(),
    );
    for (const route of v1) {
      expect(route.auth).toBe('AWS_IAM');
      expect(route.fn).toContain('ReadLambdaFunction');
    }
  });

  it('keeps every webhook route open to hotglue, which signs its events instead', () => {
    const webhooks = routes().filter((r) => !r.key.startsWith('GET /v1'));
    expect(webhooks.map((r) => r.key)).toEqual(expect.arrayContaining(['POST /webhooks/jobs']));
    for (const route of webhooks) expect(route.auth).toBe('NONE');
    expect(ofType('AWS::ApiGatewayV2::Authorizer')).toEqual([]);
  });

  it('serves them from a role that can only read the tables and their indexes', () => {
    const fn = ofType('AWS::Lambda::Function').find(([id]) => id === 'ReadLambdaFunction')?.[1];
    expect(fn?.Role).toEqual({ 'Fn::GetAtt': ['ReadRole', 'Arn'] });
    const role = ofType('AWS::IAM::Role').find(([id]) => id === 'ReadRole')?.[1];
    // As CloudFormation reads them: the customer key's statement is AWS::NoValue without one.
    const statements = (role?.Policies as { PolicyDocument: { Statement: Props[] } }[])
      .flatMap((p) => p.PolicyDocument.Statement)
      .filter((st) => (st.Ref as unknown) !== 'AWS::NoValue');
    const actions = new Set(statements.flatMap((s) => [s.Action].flat() as string[]));
    expect([...actions].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
  });
});
