import { emfCounters } from '../../lib/aws/metrics';

describe('emfCounters', () => {
  it('publishes one EMF line per dimension set, with the summed counts, only on flush', () => {
    const lines: string[] = [];
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      }),
      jest
        .spyOn(console, 'log')
        .mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
    ];
    try {
      const counters = emfCounters('HotglueWebhooks');
      counters.count('accepted', { kind: 'jobs' });
      counters.count('enqueued', { kind: 'jobs' });
      counters.count('accepted', { kind: 'jobs' });
      counters.count('rejected', { route: 'auto', reason: 'bad_signature' });
      expect(lines).toEqual([]);
      counters.flush();
      counters.flush();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const blobs = lines.map(
      (l) =>
        JSON.parse(l) as Record<string, unknown> & {
          _aws: {
            CloudWatchMetrics: {
              Namespace: string;
              Dimensions: string[][];
              Metrics: { Name: string }[];
            }[];
          };
        },
    );
    expect(blobs).toHaveLength(2);
    expect(blobs[0]).toMatchObject({ kind: 'jobs', accepted: 2, enqueued: 1 });
    expect(blobs[0]?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toContain('kind');
    expect(blobs[1]).toMatchObject({ route: 'auto', reason: 'bad_signature', rejected: 1 });
    expect(blobs[1]?._aws.CloudWatchMetrics[0]?.Namespace).toBe('HotglueWebhooks');
  });
});
