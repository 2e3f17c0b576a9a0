import { fromHttpApiEvent } from '../../lib/aws/http-api';
import { parseSignatureHeader, signBody, verifySignature } from '../../lib/webhook/signature';
import { hmacHex, httpApiEvent } from '../support/events';

describe('verifySignature', () => {
  const body = Buffer.from('{"tenant":"t1","status":"JOB_COMPLETED"}');
  const secret = 's3cret';
  const good = hmacHex(secret, body);

  it('accepts the published HMAC-SHA1 test vector', () => {
    const fox = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(verifySignature(fox, 'de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9', ['key'])).toEqual({
      ok: true,
      over: 'raw',
    });
  });

  it('accepts lower- and upper-case hex, with or without a sha1= prefix', () => {
    for (const header of [good, good.toUpperCase(), `sha1=${good}`, `SHA1=${good.toUpperCase()}`]) {
      expect(verifySignature(body, header, [secret])).toEqual({ ok: true, over: 'raw' });
    }
  });

  it('refuses a missing or empty header', () => {
    expect(verifySignature(body, undefined, [secret])).toEqual({ ok: false, reason: 'missing' });
    expect(verifySignature(body, '  ', [secret])).toEqual({ ok: false, reason: 'missing' });
  });

  it('refuses wrong lengths, non-hex and other algorithms without comparing', () => {
    for (const header of [
      good.slice(0, 39),
      `${good}0`,
      `${good.slice(0, 38)}zz`,
      `sha256=${good}`,
      `md5=${good}`,
      'sha1=',
    ]) {
      expect(verifySignature(body, header, [secret])).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('refuses a signature made with another secret or over other bytes', () => {
    expect(verifySignature(body, hmacHex('other', body), [secret])).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySignature(Buffer.concat([body, Buffer.from(' ')]), good, [secret])).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('accepts any of several secrets, so a secret can be rotated', () => {
    const next = 'n3w-secret';
    expect(verifySignature(body, hmacHex(next, body), [secret, next]).ok).toBe(true);
    expect(verifySignature(body, good, [secret, next]).ok).toBe(true);
    expect(verifySignature(body, hmacHex('retired', body), [secret, next]).ok).toBe(false);
  });

  it('refuses everything when no secret is given', () => {
    expect(verifySignature(body, good, [])).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('signs the UTF-8 bytes of a unicode body', () => {
    const unicode = Buffer.from('{"tenant":"Zoë ☃ 🚀","status":"ÉTÉ"}', 'utf8');
    expect(verifySignature(unicode, hmacHex(secret, unicode), [secret]).ok).toBe(true);
    // A signature over Latin-1 bytes of the same text is a different signature.
    const latin1 = Buffer.from('{"tenant":"Zoë"}', 'latin1');
    const utf8 = Buffer.from('{"tenant":"Zoë"}', 'utf8');
    expect(verifySignature(utf8, hmacHex(secret, latin1), [secret]).ok).toBe(false);
  });

  it('verifies a base64-encoded API Gateway body over its decoded bytes', () => {
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0x00, 0x7d]);
    const decoded = fromHttpApiEvent(
      httpApiEvent({ path: '/webhooks', body: bytes, base64: true }),
    ).body;
    expect(decoded.equals(bytes)).toBe(true);
    expect(verifySignature(decoded, hmacHex(secret, bytes), [secret]).ok).toBe(true);
    // Verifying the base64 text itself would be wrong.
    expect(verifySignature(decoded, hmacHex(secret, bytes.toString('base64')), [secret]).ok).toBe(
      false,
    );
    expect(fromHttpApiEvent(httpApiEvent({ path: '/webhooks' })).body.length).toBe(0);
  });

  describe('re-serialised JSON fallback', () => {
    const spaced = Buffer.from('{ "tenant" : "t1",\n  "n": 1.50 }');
    const reserialized = JSON.stringify(JSON.parse(spaced.toString()));
    const header = hmacHex(secret, reserialized);

    it('is off by default', () => {
      expect(verifySignature(spaced, header, [secret])).toEqual({ ok: false, reason: 'mismatch' });
    });

    it('accepts a signature over JSON.stringify(JSON.parse(body)) when enabled', () => {
      expect(verifySignature(spaced, header, [secret], { allowReserializedBody: true })).toEqual({
        ok: true,
        over: 'reserialized',
      });
    });

    it('still prefers the raw bytes and refuses non-JSON bodies', () => {
      expect(
        verifySignature(spaced, hmacHex(secret, spaced), [secret], { allowReserializedBody: true }),
      ).toEqual({
        ok: true,
        over: 'raw',
      });
      const notJson = Buffer.from('not json');
      expect(
        verifySignature(notJson, hmacHex(secret, 'x'), [secret], { allowReserializedBody: true })
          .ok,
      ).toBe(false);
    });
  });
});

describe('parseSignatureHeader and signBody', () => {
  it('decodes 40 hex digits to 20 bytes', () => {
    expect(parseSignatureHeader(`sha1=${'ab'.repeat(20)}`)?.length).toBe(20);
    expect(parseSignatureHeader('xyz')).toBeUndefined();
  });

  it('signs like hotglue: lower-case hex without a prefix', () => {
    expect(signBody('abc', 'k')).toBe(hmacHex('k', 'abc'));
    expect(signBody('abc', 'k')).toMatch(/^[0-9a-f]{40}$/);
  });
});
