import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  gateRefusal,
  isLoopbackHost,
  newAccessKeyId,
  startEmulatorGate,
  type EmulatorGate,
} from '../../lib/local/emulator-gate';

const KEY = 'HGW0123456789ABCDEF0123456789ABCDEF';
const RULE = { port: 8000, accessKeyId: KEY };
const signed = (id: string) =>
  `AWS4-HMAC-SHA256 Credential=${id}/20261207/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00ff`;
const admitted = { host: '127.0.0.1:8000', authorization: signed(KEY) };

describe('gateRefusal', () => {
  it('admits the stack’s own SDK requests at each loopback name of its port', () => {
    for (const host of ['127.0.0.1:8000', 'localhost:8000', '[::1]:8000', 'LOCALHOST:8000'])
      expect(gateRefusal({ ...admitted, host }, RULE)).toBeUndefined();
  });

  it('refuses any request carrying Origin, whatever its value, even with the right key', () => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:3000', 'null', ''])
      expect(gateRefusal({ ...admitted, origin }, RULE)).toMatch(/Origin/);
  });

  it('refuses a Host that is not loopback with the gate’s port (DNS rebinding), or none', () => {
    for (const host of ['evil.example:8000', '127.0.0.1:8001', '127.0.0.1', '0.0.0.0:8000', ''])
      expect(gateRefusal({ ...admitted, host }, RULE)).toMatch(/Host/);
    expect(gateRefusal({ authorization: signed(KEY) }, RULE)).toMatch(/Host/);
  });

  it('refuses a request without a SigV4 access key, or with another one', () => {
    expect(gateRefusal({ host: admitted.host }, RULE)).toMatch(/no SigV4 access key/);
    expect(gateRefusal({ ...admitted, authorization: `Bearer ${KEY}` }, RULE)).toMatch(/no SigV4/);
    for (const id of ['local', KEY.slice(0, -1), `${KEY}0`, KEY.toLowerCase()])
      expect(gateRefusal({ ...admitted, authorization: signed(id) }, RULE)).toMatch(/not this run/);
  });

  it('skips only the key check when asked to (the partition model’s report)', () => {
    expect(gateRefusal({ host: admitted.host }, RULE, false)).toBeUndefined();
    expect(gateRefusal({ host: admitted.host, origin: 'http://x' }, RULE, false)).toMatch(/Origin/);
  });

  it('never names the expected key in a refusal', () => {
    const reasons = [
      gateRefusal({ ...admitted, authorization: signed('other') }, RULE),
      gateRefusal({ host: admitted.host }, RULE),
    ];
    for (const reason of reasons) expect(reason).not.toContain(KEY);
  });
});

describe('the per-run access key and HOST', () => {
  it('makes a new key of letters and digits on every call', () => {
    const keys = new Set(Array.from({ length: 20 }, newAccessKeyId));
    expect(keys.size).toBe(20);
    for (const key of keys) expect(key).toMatch(/^[A-Z0-9]{35}$/);
  });

  it('tells loopback hosts from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'example.local', 'localhost.evil.example'])
      expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('startEmulatorGate', () => {
  let folder: string;
  let upstream: Server;
  let gate: EmulatorGate;
  let reached = 0;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'hgw-gate-'));
    const socketPath = join(folder, 'emulator.sock');
    // An emulator as dynalite answers: any origin allowed.
    upstream = createServer((req, res) => {
      reached += 1;
      req.resume();
      res
        .writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' })
        .end(JSON.stringify({ TableNames: ['jobs'] }));
    });
    await new Promise<void>((resolve) => upstream.listen(socketPath, resolve));
    gate = await startEmulatorGate({
      upstream: { socketPath },
      port: 0,
      accessKeyId: KEY,
      open: (method, path) => (method === 'GET' && path === '/report' ? { ok: true } : undefined),
    });
  });

  afterAll(async () => {
    await gate?.close();
    await new Promise((resolve) => upstream?.close(resolve));
    await rm(folder, { recursive: true, force: true });
  });

  const post = (headers: Record<string, string>) =>
    fetch(gate.endpoint, { method: 'POST', headers, body: '{}' });

  it('passes a signed request on and its answer back, without the emulator’s CORS grant', async () => {
    const before = reached;
    const answer = await post({ authorization: signed(KEY) });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ TableNames: ['jobs'] });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(reached).toBe(before + 1);
  });

  it('answers a refused request 403 with a JSON reason and no CORS header; the emulator never sees it', async () => {
    const before = reached;
    const refused: Record<string, string>[] = [
      { authorization: signed(KEY), origin: 'http://evil.example' },
      { authorization: signed('local') },
      {},
    ];
    for (const headers of refused) {
      const answer = await post(headers);
      expect(answer.status).toBe(403);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      expect(Object.keys((await answer.json()) as object)).toEqual(['error']);
    }
    const preflight = await fetch(gate.endpoint, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(reached).toBe(before);
  });

  it('answers its open GET without a key, but not to a web page', async () => {
    expect(await (await fetch(`${gate.endpoint}/report`)).json()).toEqual({ ok: true });
    const fromPage = await fetch(`${gate.endpoint}/report`, { headers: { origin: 'http://x' } });
    expect(fromPage.status).toBe(403);
  });
});
