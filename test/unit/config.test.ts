import { loadLocalStackConfig } from '../../lib/config/local-stack';
import { ConfigError } from '../../lib/config/env';
import { loadConsumerConfig } from '../../lib/config/consumer';
import { loadIngestConfig, secretsFromEnv } from '../../lib/config/ingest';
import { loadNotificationTarget } from '../../lib/config/notifications';
import { loadReconcileConfig } from '../../lib/config/reconcile';

const queues = {
  JOBS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/jobs',
  DISCOVER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/discover',
  CONNECTIONS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/connections',
};

describe('loadIngestConfig', () => {
  it('uses each kind’s own secrets, falling back to the shared ones', () => {
    const config = loadIngestConfig({
      ...queues,
      WEBHOOK_SECRET: 'shared, older',
      WEBHOOK_SECRET_JOBS: 'j1,j2',
    });
    expect(config.secrets).toEqual({
      source: 'environment',
      values: {
        jobs: ['j1', 'j2'],
        discover: ['shared', 'older'],
        connections: ['shared', 'older'],
      },
    });
    expect(config.allowUnsigned).toBe(false);
    expect(config.allowReserializedSignature).toBe(false);
  });

  it('has no secrets and refuses unsigned events by default', () => {
    const config = loadIngestConfig(queues);
    expect(config.secrets).toEqual({
      source: 'environment',
      values: { jobs: [], discover: [], connections: [] },
    });
    expect(config.allowUnsigned).toBe(false);
  });

  it('reads secrets from SSM when a parameter path is configured, ignoring secret variables', () => {
    const config = loadIngestConfig({
      ...queues,
      WEBHOOK_SECRETS_SSM_PATH: '/svc/prod/webhook-secret/',
      WEBHOOK_SECRET: 'x',
    });
    expect(config.secrets).toEqual({ source: 'ssm', path: '/svc/prod/webhook-secret' });
    expect(() => loadIngestConfig({ ...queues, WEBHOOK_SECRETS_SSM_PATH: 'relative' })).toThrow(
      ConfigError,
    );
  });

  it('reads the opt-ins', () => {
    const config = loadIngestConfig({
      ...queues,
      WEBHOOK_ALLOW_UNSIGNED: 'true',
      WEBHOOK_SIGNATURE_JSON_FALLBACK: '1',
    });
    expect(config.allowUnsigned).toBe(true);
    expect(config.allowReserializedSignature).toBe(true);
  });

  it('fails fast, naming every problem and no value', () => {
    let error: unknown;
    try {
      loadIngestConfig({
        JOBS_QUEUE_URL: 'nope',
        WEBHOOK_ALLOW_UNSIGNED: 'maybe',
        WEBHOOK_SECRET: 'hush',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('JOBS_QUEUE_URL');
    expect(message).toContain('DISCOVER_QUEUE_URL');
    expect(message).toContain('WEBHOOK_ALLOW_UNSIGNED');
    expect(message).not.toContain('hush');
  });
});

describe('secretsFromEnv', () => {
  it('splits on commas and drops blanks', () => {
    expect(secretsFromEnv({ WEBHOOK_SECRET: ' a ,,b ' }).jobs).toEqual(['a', 'b']);
    expect(secretsFromEnv({}).discover).toEqual([]);
    expect(secretsFromEnv({ WEBHOOK_SECRET: '' }).connections).toEqual([]);
  });
});

describe('loadLocalStackConfig: a short webhook secret', () => {
  const load = (env: Record<string, string>) => loadLocalStackConfig('/project', env);
  const rule = 'each comma-separated webhook secret must be at least 16 bytes';

  it('refuses one, in one line naming the variable and the rule, never the secret', () => {
    let message = '';
    try {
      load({ WEBHOOK_SECRET: 'Xk9#p,Q' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toBe(
      `invalid configuration: WEBHOOK_SECRET breaks the rule: ${rule} (WEBHOOK_ALLOW_WEAK_SECRET=true starts anyway, with a warning)`,
    );
    expect(message).not.toContain('Xk9');
    // A per-kind secret is checked too, each part of it.
    expect(() => load({ WEBHOOK_SECRET_JOBS: `${'x'.repeat(16)},short` })).toThrow(
      /^invalid configuration: WEBHOOK_SECRET_JOBS breaks the rule/,
    );
  });

  it('starts with a warning when WEBHOOK_ALLOW_WEAK_SECRET=true, and says nothing of 16 bytes', () => {
    expect(load({ WEBHOOK_SECRET: 'Xk9#p,Q', WEBHOOK_ALLOW_WEAK_SECRET: 'true' })).toMatchObject({
      weakSecretWarning: `warning: WEBHOOK_SECRET breaks the rule: ${rule}; started anyway (WEBHOOK_ALLOW_WEAK_SECRET=true)`,
    });
    const strong = load({ WEBHOOK_SECRET: `${'x'.repeat(16)}, ${'y'.repeat(40)}` });
    expect(strong.weakSecretWarning).toBeUndefined();
  });
});

describe('loadLocalStackConfig: reconciliation', () => {
  const load = (env: Record<string, string>) => loadLocalStackConfig('/project', env);

  it('reconciles only with an API key, every 15m for jobs silent for 2h unless told otherwise', () => {
    expect(load({}).reconcile).toBeUndefined();
    expect(load({ HOTGLUE_API_KEY: 'k' }).reconcile).toEqual({
      apiUrl: 'https://api.hotglue.com',
      apiKey: 'k',
      intervalMs: 15 * 60_000,
      afterMs: 2 * 3_600_000,
      lostAfterMs: 7 * 86_400_000,
    });
    expect(
      load({ HOTGLUE_API_KEY: 'k', RECONCILE_INTERVAL: '30s', RECONCILE_AFTER: '1d' }).reconcile,
    ).toMatchObject({ intervalMs: 30_000, afterMs: 86_400_000 });
    expect(load({ HOTGLUE_API_KEY: 'k', RECONCILE_INTERVAL: '0' }).reconcile).toBeUndefined();
  });

  it('names a bad duration, and never the key', () => {
    expect(() =>
      load({ HOTGLUE_API_KEY: 'secret-key', RECONCILE_INTERVAL: 'often', RECONCILE_AFTER: '2' }),
    ).toThrow(/RECONCILE_INTERVAL must be a duration.*RECONCILE_AFTER must be a duration/);
    let message = '';
    try {
      load({ HOTGLUE_API_KEY: 'secret-key', RECONCILE_INTERVAL: 'often' });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/RECONCILE_INTERVAL/);
    expect(message).not.toContain('secret-key');
  });
});

describe('loadReconcileConfig', () => {
  const deployed = {
    JOBS_TABLE: 'hotglue-webhooks-prod-jobs-table',
    JOBS_QUEUE_URL: queues.JOBS_QUEUE_URL,
    HOTGLUE_API_KEY_PARAMETER: '/hotglue-webhooks/prod/hotglue-api-key',
  };

  it('defaults to hotglue’s API and a 2h threshold', () => {
    expect(loadReconcileConfig(deployed)).toEqual({
      jobsTable: deployed.JOBS_TABLE,
      jobsQueueUrl: deployed.JOBS_QUEUE_URL,
      hotglueApiUrl: 'https://api.hotglue.com',
      apiKeyParameter: deployed.HOTGLUE_API_KEY_PARAMETER,
      afterMs: 2 * 3_600_000,
      lostAfterMs: 7 * 86_400_000,
      notifications: { to: 'local' },
      metricsNamespace: 'HotglueWebhooks',
    });
    expect(
      loadReconcileConfig({
        ...deployed,
        RECONCILE_AFTER: '90m',
        RECONCILE_LOST_AFTER: '3d',
        HOTGLUE_API_URL: 'http://127.0.0.1:1',
      }),
    ).toMatchObject({
      afterMs: 90 * 60_000,
      lostAfterMs: 3 * 86_400_000,
      hotglueApiUrl: 'http://127.0.0.1:1',
    });
  });

  it('sends the key over https only, or plain http to a loopback host', () => {
    expect(() => loadReconcileConfig({ ...deployed, HOTGLUE_API_URL: 'http://x:1' })).toThrow(
      'invalid configuration: HOTGLUE_API_URL must be an https URL (http only for a loopback host: localhost, 127.x.x.x or [::1])',
    );
    expect(() =>
      loadLocalStackConfig('/project', { HOTGLUE_API_URL: 'http://api.hotglue.com' }),
    ).toThrow(/HOTGLUE_API_URL must be an https URL/);
    expect(
      loadReconcileConfig({ ...deployed, HOTGLUE_API_URL: 'https://api.example.com/v2' }),
    ).toMatchObject({ hotglueApiUrl: 'https://api.example.com/v2' });
  });

  it('fails fast, naming every problem', () => {
    expect(() =>
      loadReconcileConfig({ JOBS_QUEUE_URL: 'nope', RECONCILE_AFTER: 'soon', JOBS_TABLE: 't' }),
    ).toThrow(
      new ConfigError(
        'invalid configuration: JOBS_QUEUE_URL must be an http(s) URL; HOTGLUE_API_KEY_PARAMETER must be set; RECONCILE_AFTER must be a duration such as 30s, 15m, 2h or 1d (or 0)',
      ),
    );
  });
});

describe('loadConsumerConfig', () => {
  const dlq = 'https://sqs.eu-west-1.amazonaws.com/1/hotglue-webhooks-prod-discover-dlq.fifo';

  it('reads its own kind’s table and dead-letter queue, and an SQS endpoint override', () => {
    expect(
      loadConsumerConfig('discover', {
        DISCOVER_TABLE: 'hotglue-webhooks-prod-discover-table',
        DISCOVER_DEAD_LETTER_QUEUE_URL: dlq,
        // Another kind's, as the local stack runs the three consumers in one process.
        JOBS_DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/jobs-dlq.fifo',
      }),
    ).toMatchObject({ table: 'hotglue-webhooks-prod-discover-table', deadLetterQueueUrl: dlq });
    expect(
      loadConsumerConfig('discover', {
        DISCOVER_TABLE: 't',
        DISCOVER_DEAD_LETTER_QUEUE_URL: dlq,
        AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9324',
      }).sqsEndpoint,
    ).toBe('http://127.0.0.1:9324');
  });

  it('needs its dead-letter queue: a poison record must have somewhere to go', () => {
    expect(() => loadConsumerConfig('jobs', { JOBS_TABLE: 't' })).toThrow(
      new ConfigError('invalid configuration: JOBS_DEAD_LETTER_QUEUE_URL must be an http(s) URL'),
    );
  });
});

describe('loadNotificationTarget', () => {
  it('puts notifications on the bus when one is named, else on the local log, file and URL', () => {
    expect(loadNotificationTarget({ EVENT_BUS_NAME: 'hotglue-webhooks-prod' })).toEqual({
      to: 'eventbridge',
      bus: 'hotglue-webhooks-prod',
    });
    expect(
      loadNotificationTarget({ NOTIFY_URL: 'http://127.0.0.1:9/hook', NOTIFICATIONS_FILE: '/d/n' }),
    ).toEqual({ to: 'local', url: 'http://127.0.0.1:9/hook', file: '/d/n' });
    expect(loadNotificationTarget({})).toEqual({ to: 'local' });
  });

  it('refuses a NOTIFY_URL that is not an http(s) URL, naming it', () => {
    expect(() => loadNotificationTarget({ NOTIFY_URL: 'ftp://x' })).toThrow(
      /NOTIFY_URL must be an http\(s\) URL when set/,
    );
  });
});
