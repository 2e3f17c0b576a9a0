import { startAwsJsonServer, type AwsJsonAnswer } from './aws-json-server';

const THROTTLED: AwsJsonAnswer = {
  status: 400,
  body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
};

/**
 * SSM's GetParameter and GetParameters over their real wire protocol, for the calls the ingest
 * and reconcile bundles make: no SSM emulator runs here. Answers a parameter that was `put`, else
 * ParameterNotFound (GetParameter) or InvalidParameters (GetParameters) as SSM does; records each
 * name asked for. `throttle(n)` answers the next n calls ThrottlingException, as Parameter Store
 * does past its throughput.
 */
export async function startFakeSsm(): Promise<{
  endpoint: string;
  asked: { name: string; withDecryption: boolean }[];
  /** Every call, throttled or not, in order: its operation and whether it was throttled. */
  calls: { operation: string; throttled: boolean }[];
  put(name: string, value: string): void;
  throttle(calls: number): void;
  close(): Promise<void>;
}> {
  const parameters = new Map<string, string>();
  const asked: { name: string; withDecryption: boolean }[] = [];
  const calls: { operation: string; throttled: boolean }[] = [];
  let throttled = 0;
  const parameter = (name: string, value: string) => ({
    Name: name,
    Type: 'SecureString',
    Value: value,
    Version: 1,
  });
  const guarded =
    (operation: string, handle: (input: Record<string, unknown>) => AwsJsonAnswer) =>
    (input: Record<string, unknown>): AwsJsonAnswer => {
      calls.push({ operation, throttled: throttled > 0 });
      if (throttled > 0) {
        throttled -= 1;
        return THROTTLED;
      }
      return handle(input);
    };
  const server = await startAwsJsonServer({
    'AmazonSSM.GetParameter': guarded('GetParameter', (input) => {
      const name = String(input.Name);
      asked.push({ name, withDecryption: input.WithDecryption === true });
      const value = parameters.get(name);
      return value === undefined
        ? { status: 400, body: { __type: 'ParameterNotFound', message: 'Parameter not found' } }
        : { status: 200, body: { Parameter: parameter(name, value) } };
    }),
    'AmazonSSM.GetParameters': guarded('GetParameters', (input) => {
      const names = (input.Names as string[]).map(String);
      for (const name of names) asked.push({ name, withDecryption: input.WithDecryption === true });
      const found = names.filter((n) => parameters.has(n));
      return {
        status: 200,
        body: {
          Parameters: found.map((n) => parameter(n, parameters.get(n) ?? '')),
          InvalidParameters: names.filter((n) => !parameters.has(n)),
        },
      };
    }),
  });
  return {
    ...server,
    asked,
    calls,
    put: (name, value) => void parameters.set(name, value),
    throttle: (n) => void (throttled = n),
  };
}
