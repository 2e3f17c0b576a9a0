import type { SSMClient } from '@aws-sdk/client-ssm';
import { SecretsUnavailableError } from '../../lib/ports/secret-source';
import { ssmSecretSource } from '../../lib/aws/ssm-secret-source';

type Parameters = { Name: string; Value: string }[];

function fakeSsm(responses: (Parameters | Error)[]) {
  const inputs: { Names?: string[]; WithDecryption?: boolean }[] = [];
  const client = {
    send: async (command: { input: { Names?: string[]; WithDecryption?: boolean } }) => {
      inputs.push(command.input);
      const next = responses.shift();
      if (next instanceof Error) throw next;
      return { Parameters: next ?? [], InvalidParameters: [] };
    },
  };
  return { client: client as unknown as SSMClient, inputs };
}

describe('ssmSecretSource', () => {
  const path = '/hotglue-webhooks/prod/webhook-secret';

  it('reads the four SecureStrings decrypted, each kind falling back to the shared one', async () => {
    const { client, inputs } = fakeSsm([
      [
        { Name: `${path}/shared`, Value: 'shared-new, shared-old' },
        { Name: `${path}/jobs`, Value: 'jobs-only' },
      ],
    ]);
    const secrets = await ssmSecretSource(client, path).secrets();
    expect(secrets).toEqual({
      jobs: ['jobs-only'],
      discover: ['shared-new', 'shared-old'],
      connections: ['shared-new', 'shared-old'],
    });
    expect(inputs).toEqual([
      {
        Names: [`${path}/shared`, `${path}/jobs`, `${path}/discover`, `${path}/connections`],
        WithDecryption: true,
      },
    ]);
  });

  it('caches for the TTL, then fetches again so that a rotation takes effect', async () => {
    let now = 0;
    const { client, inputs } = fakeSsm([
      [{ Name: `${path}/shared`, Value: 'one' }],
      [{ Name: `${path}/shared`, Value: 'two' }],
    ]);
    const source = ssmSecretSource(client, path, { ttlMs: 1000, now: () => now });
    expect((await source.secrets()).jobs).toEqual(['one']);
    now = 999;
    expect((await source.secrets()).jobs).toEqual(['one']);
    now = 1000;
    expect((await source.secrets()).jobs).toEqual(['two']);
    expect(inputs).toHaveLength(2);
  });

  it('keeps using recent secrets while SSM fails, then refuses', async () => {
    let now = 0;
    const { client } = fakeSsm([
      [{ Name: `${path}/shared`, Value: 'one' }],
      new Error('throttled'),
      new Error('down'),
    ]);
    const source = ssmSecretSource(client, path, { ttlMs: 10, staleMs: 100, now: () => now });
    await source.secrets();
    now = 50;
    expect((await source.secrets()).jobs).toEqual(['one']);
    now = 150;
    await expect(source.secrets()).rejects.toBeInstanceOf(SecretsUnavailableError);
  });

  it('refuses when SSM fails before any secret was read', async () => {
    const { client } = fakeSsm([new Error('AccessDenied')]);
    await expect(ssmSecretSource(client, path).secrets()).rejects.toBeInstanceOf(
      SecretsUnavailableError,
    );
  });
});
