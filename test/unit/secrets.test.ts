import type { SSMClient } from '@aws-sdk/client-ssm';
import {
  fixedSecretSource,
  SecretsUnavailableError,
  warnOfWeakSecrets,
} from '../../lib/ports/secret-source';
import { recordingLog } from '../support/doubles';
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

  describe('in a cold-start burst', () => {
    const throttled = () =>
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      });
    /** A clock that advances only by the pauses the source takes. */
    function pausingClock() {
      const clock = { now: 1_000, pauses: [] as number[] };
      return {
        clock,
        now: () => clock.now,
        sleep: async (ms: number) => {
          clock.pauses.push(ms);
          clock.now += ms;
        },
      };
    }

    it('tries a throttled first read again, with growing jittered pauses, until it answers', async () => {
      const { client, inputs } = fakeSsm([
        throttled(),
        throttled(),
        throttled(),
        [{ Name: `${path}/shared`, Value: 'one' }],
      ]);
      const { clock, now, sleep } = pausingClock();
      const source = ssmSecretSource(client, path, { now, sleep, random: () => 0.999 });
      expect((await source.secrets(clock.now + 5_000)).jobs).toEqual(['one']);
      expect(inputs).toHaveLength(4);
      // Each ceiling doubles; with the draw near 1 each pause is just under it.
      expect(clock.pauses).toHaveLength(3);
      expect(clock.pauses[1]).toBeGreaterThan(clock.pauses[0] ?? Infinity);
      expect(clock.pauses[2]).toBeGreaterThan(clock.pauses[1] ?? Infinity);
    });

    it('gives up by the deadline, never pausing past it', async () => {
      const { client, inputs } = fakeSsm(Array.from({ length: 100 }, throttled));
      const { clock, now, sleep } = pausingClock();
      const deadline = clock.now + 3_000;
      const source = ssmSecretSource(client, path, { now, sleep, random: () => 0.999 });
      await expect(source.secrets(deadline)).rejects.toBeInstanceOf(SecretsUnavailableError);
      expect(clock.now).toBeLessThan(deadline);
      expect(inputs.length).toBeGreaterThan(3);
      expect(inputs.length).toBeLessThan(100);
    });

    it('does not retry what retrying cannot fix (access denied)', async () => {
      const denied = Object.assign(new Error('not authorized'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      });
      const { client, inputs } = fakeSsm([denied, [{ Name: `${path}/shared`, Value: 'one' }]]);
      const { clock, now, sleep } = pausingClock();
      const source = ssmSecretSource(client, path, { now, sleep });
      await expect(source.secrets(clock.now + 5_000)).rejects.toBeInstanceOf(
        SecretsUnavailableError,
      );
      expect(inputs).toHaveLength(1);
    });

    it('shares one read among the requests that arrive while it is in flight', async () => {
      let release: (value: Parameters) => void = () => undefined;
      const answer = new Promise<Parameters>((resolve) => (release = resolve));
      let sent = 0;
      const client = {
        send: async () => {
          sent += 1;
          return { Parameters: await answer, InvalidParameters: [] };
        },
      } as unknown as SSMClient;
      const source = ssmSecretSource(client, path);
      const waiting = Array.from({ length: 20 }, () => source.secrets());
      release([{ Name: `${path}/shared`, Value: 'one' }]);
      const all = await Promise.all(waiting);
      expect(sent).toBe(1);
      expect(all.every((s) => s.jobs[0] === 'one')).toBe(true);
    });

    it('refreshes past the TTL with one try, keeping the cached secrets if it is throttled', async () => {
      const { client, inputs } = fakeSsm([
        [{ Name: `${path}/shared`, Value: 'one' }],
        throttled(),
        [{ Name: `${path}/shared`, Value: 'two' }],
      ]);
      const { clock, now, sleep } = pausingClock();
      const source = ssmSecretSource(client, path, { ttlMs: 10, now, sleep });
      await source.secrets();
      clock.now += 20;
      expect((await source.secrets()).jobs).toEqual(['one']);
      expect(inputs).toHaveLength(2);
      expect(clock.pauses).toEqual([]);
      expect((await source.secrets()).jobs).toEqual(['two']);
    });
  });
});

describe('a deployed ingest with a short secret', () => {
  const strong = 'a'.repeat(16);

  it('uses it, and warns once per container naming the rule and the kinds, never the secret', async () => {
    const log = recordingLog();
    const weak = { jobs: [strong, 'Q'], discover: [strong], connections: ['Xk9#p'] };
    const source = warnOfWeakSecrets(fixedSecretSource(weak), log);
    for (let i = 0; i < 3; i += 1) expect(await source.secrets()).toEqual(weak);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        message:
          'weak webhook secret: each comma-separated webhook secret must be at least 16 bytes; used all the same, as hotglue signs with it',
        fields: { kinds: 'jobs, connections' },
      },
    ]);
    expect(JSON.stringify(log.lines)).not.toMatch(/Xk9|"Q"/);
  });

  it('counts bytes, not characters, and says nothing of strong secrets', async () => {
    const log = recordingLog();
    // 'é' is two bytes in UTF-8: eight make 16 bytes, seven and one more make 15.
    const source = warnOfWeakSecrets(
      fixedSecretSource({ jobs: ['é'.repeat(8)], discover: [strong], connections: [] }),
      log,
    );
    await source.secrets();
    expect(log.lines).toEqual([]);
    const weak = recordingLog();
    await warnOfWeakSecrets(
      fixedSecretSource({ jobs: [`${'é'.repeat(7)}a`], discover: [], connections: [] }),
      weak,
    ).secrets();
    expect(weak.lines).toHaveLength(1);
  });
});
