import { startAwsJsonServer } from './aws-json-server';

/**
 * SSM's GetParameter over its real wire protocol, for the one call the reconcile bundle makes: no
 * SSM emulator runs here. Answers a parameter that was `put`, else ParameterNotFound as SSM does;
 * records each name asked for.
 */
export async function startFakeSsm(): Promise<{
  endpoint: string;
  asked: { name: string; withDecryption: boolean }[];
  put(name: string, value: string): void;
  close(): Promise<void>;
}> {
  const parameters = new Map<string, string>();
  const asked: { name: string; withDecryption: boolean }[] = [];
  const server = await startAwsJsonServer('AmazonSSM.GetParameter', (input) => {
    const name = String(input.Name);
    asked.push({ name, withDecryption: input.WithDecryption === true });
    const value = parameters.get(name);
    return value === undefined
      ? { status: 400, body: { __type: 'ParameterNotFound', message: 'Parameter not found' } }
      : {
          status: 200,
          body: { Parameter: { Name: name, Type: 'SecureString', Value: value, Version: 1 } },
        };
  });
  return { ...server, asked, put: (name, value) => void parameters.set(name, value) };
}
