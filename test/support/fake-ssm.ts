import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * SSM's GetParameter over its real wire protocol (JSON 1.1, `X-Amz-Target: AmazonSSM.GetParameter`),
 * for the one call the reconcile bundle makes: no SSM emulator runs here. Answers a parameter
 * that was `put`, else ParameterNotFound as SSM does; records each name asked for.
 */
export async function startFakeSsm(): Promise<{
  endpoint: string;
  asked: { name: string; withDecryption: boolean }[];
  put(name: string, value: string): void;
  close(): Promise<void>;
}> {
  const parameters = new Map<string, string>();
  const asked: { name: string; withDecryption: boolean }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const send = (status: number, payload: unknown) =>
        res
          .writeHead(status, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify(payload));
      if (req.headers['x-amz-target'] !== 'AmazonSSM.GetParameter')
        return send(400, { __type: 'InvalidAction', message: 'only GetParameter is faked' });
      const input = JSON.parse(body) as { Name: string; WithDecryption?: boolean };
      asked.push({ name: input.Name, withDecryption: input.WithDecryption === true });
      const value = parameters.get(input.Name);
      if (value === undefined)
        return send(400, { __type: 'ParameterNotFound', message: 'Parameter not found' });
      return send(200, {
        Parameter: { Name: input.Name, Type: 'SecureString', Value: value, Version: 1 },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    asked,
    put: (name, value) => void parameters.set(name, value),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
