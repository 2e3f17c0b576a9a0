import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One AWS API call that went through the proxy. */
export interface RecordedCall {
  /** The IAM action the call needs, e.g. `dynamodb:GetItem`, from its X-Amz-Target header. */
  action: string;
  /** The index a DynamoDB Query or Scan named, if any. */
  indexName?: string;
}

/** X-Amz-Target prefixes of the JSON protocols, by IAM service prefix. */
const SERVICES: Record<string, string> = {
  DynamoDB_20120810: 'dynamodb',
  AmazonSQS: 'sqs',
  AmazonSSM: 'ssm',
  AWSEvents: 'events',
};

/**
 * An HTTP proxy in front of a local AWS stand-in that records the IAM action of every call (the
 * JSON protocols name it in X-Amz-Target): what a bundle really calls, to hold against its role.
 */
export async function startRecordingProxy(targetEndpoint: string): Promise<{
  endpoint: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}> {
  const target = new URL(targetEndpoint);
  const calls: RecordedCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const header = String(req.headers['x-amz-target'] ?? '');
      const [prefix = '', operation = ''] = header.split('.');
      const service = SERVICES[prefix];
      if (service !== undefined) {
        let indexName: string | undefined;
        try {
          indexName = (JSON.parse(body.toString()) as { IndexName?: string }).IndexName;
        } catch {
          // not JSON: no index
        }
        calls.push({
          action: `${service}:${operation}`,
          ...(indexName !== undefined && { indexName }),
        });
      } else calls.push({ action: `unknown:${header || req.url}` });
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
