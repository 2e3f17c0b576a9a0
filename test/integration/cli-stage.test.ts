import { cli } from '../support/local-stack';
import { startDynalite, type Backend } from '../support/dynamo-servers';

/** A "deployed stage" that does not exist: dynalite with no tables, behind AWS's own wire protocol. */
let dynamo: Backend;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(() => dynamo.stop());

/** The environment of a user with credentials and no region (AWS_REGION unset). */
const env = () => ({
  AWS_REGION: '',
  AWS_DEFAULT_REGION: '',
  AWS_PROFILE: '',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
});

describe('the CLI on a deployed stage', () => {
  it('looks in us-east-1 without AWS_REGION, as deploys do, and says so when the stage is not there', async () => {
    const result = await cli(['jobs', 'list', '--stage', 'nosuch'], env());
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('Region is missing');
    expect(result.stderr).toContain('stage "nosuch" not found in us-east-1');
    expect(result.stderr).toContain('--region');
  }, 30_000);

  it('takes AWS_REGION, and --region over it', async () => {
    const [fromEnv, fromFlag] = await Promise.all([
      cli(['jobs', 'list', '--stage', 'nosuch'], { ...env(), AWS_REGION: 'eu-west-1' }),
      cli(['jobs', 'list', '--stage', 'nosuch', '--region', 'ap-south-1'], {
        ...env(),
        AWS_REGION: 'eu-west-1',
      }),
    ]);
    expect(fromEnv.stderr).toContain('not found in eu-west-1');
    expect(fromFlag.stderr).toContain('not found in ap-south-1');
  }, 30_000);
});
