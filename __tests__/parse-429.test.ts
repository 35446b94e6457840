import { AxiosHeaders } from 'axios';
import fc from 'fast-check';
import { bodyAsObject, parseRetryAfter, parseThrottle, readHeader } from '../src/parse-429';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('21', NOW, [])).toBe(21_000);
    expect(parseRetryAfter('0', NOW, [])).toBe(0);
  });

  it('reads an HTTP-date (IMF-fixdate, RFC 850 and asctime) relative to the wall clock', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 12:00:30 GMT', NOW, [])).toBe(30_000);
    expect(parseRetryAfter('Sunday, 22-Nov-26 12:00:05 GMT', NOW, [])).toBe(5_000);
    expect(parseRetryAfter('Sun Nov 22 12:01:00 2026', NOW, [])).toBe(60_000);
  });

  it('treats a date in the past as "now"', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 11:00:00 GMT', NOW, [])).toBe(0);
  });

  it('rejects garbage and negative values instead of guessing', () => {
    for (const bad of ['soon', '-5', '12abc', '1e3', 'NaN', 'Sun, 99 Foo 2026 GMT']) {
      const rejected: string[] = [];
      expect(parseRetryAfter(bad, NOW, rejected)).toBeUndefined();
      expect(rejected).toEqual([`retry-after: ${bad}`]);
    }
  });

  it('rejects a wait beyond 31 days as unusable (3 years would brick the key); keeps 31 days for the caller to judge', () => {
    const rejected: string[] = [];
    expect(parseRetryAfter('99999999', NOW, rejected)).toBeUndefined();
    expect(rejected).toEqual(['retry-after: 99999999']);
    expect(parseRetryAfter(String(31 * 24 * 3600), NOW, [])).toBe(31 * 24 * 3600 * 1000);
  });
});

describe('parseThrottle', () => {
  it('reads Clover: which limit, its value, and retry-after, case-insensitively', () => {
    const signal = parseThrottle({ 'Retry-After': '22', 'X-RateLimit-tokenLimit': '16' }, '{"message":"429 Too Many Requests"}', NOW);
    expect(signal).toMatchObject({ delayMs: 22_000, delaySource: 'retry-after', level: 'token', kind: 'rate', limit: 16, dialect: 'clover' });
  });

  it.each([
    ['X-RateLimit-crossTokenLimit', 'client', 'rate'],
    ['X-RateLimit-tokenConcurrentLimit', 'token', 'concurrency'],
    ['x-ratelimit-crosstokenconcurrentlimit', 'client', 'concurrency'],
  ])('maps %s to the %s %s limit', (header, level, kind) => {
    expect(parseThrottle({ [header]: '10' }, undefined, NOW)).toMatchObject({ level, kind, limit: 10 });
  });

  it('ignores a zero or garbage Clover limit value, still naming the level', () => {
    const signal = parseThrottle({ 'x-ratelimit-tokenlimit': '0' }, undefined, NOW);
    expect(signal.limit).toBeUndefined();
    expect(signal.level).toBe('token');
    expect(signal.rejected).toEqual(['x-ratelimit-tokenlimit: 0']);
  });

  it('reads the Genesys body when Retry-After is missing', () => {
    const body = JSON.stringify({
      message: 'Rate limit exceeded the maximum. Retry the request in [42] seconds',
      code: 'too.many.requests.retry.after',
      status: 429,
    });
    expect(parseThrottle({}, body, NOW)).toMatchObject({ delayMs: 42_000, delaySource: 'genesys-body', dialect: 'genesys' });
  });

  it('prefers Retry-After over the Genesys body', () => {
    const body = { message: 'Retry the request in [42] seconds', code: 'too.many.requests.retry.after' };
    expect(parseThrottle({ 'retry-after': '3' }, body, NOW)).toMatchObject({ delayMs: 3000, delaySource: 'retry-after' });
  });

  it('reads the body as bytes too (arraybuffer responses)', () => {
    const bytes = new TextEncoder().encode('{"code":"too.many.requests.retry.after","message":"Retry the request in [7] seconds"}');
    expect(parseThrottle({}, bytes, NOW).delayMs).toBe(7000);
  });

  it('recognises GipoNext as an app-wide (client_id) limit', () => {
    const signal = parseThrottle({ 'Retry-After': '30' }, '{"error":"rate_limit_exceeded","message":"Too many requests."}', NOW);
    expect(signal).toMatchObject({ delayMs: 30_000, dialect: 'giponext', level: 'client', kind: 'rate' });
  });

  it('falls back to reset headers: delta seconds, or epoch seconds when large', () => {
    expect(parseThrottle({ 'RateLimit-Reset': '5' }, undefined, NOW)).toMatchObject({ delayMs: 5000, delaySource: 'ratelimit-reset' });
    expect(parseThrottle({ 'X-RateLimit-Reset': String(NOW / 1000 + 12) }, undefined, NOW).delayMs).toBe(12_000);
    expect(parseThrottle({ 'X-RateLimit-Reset-After': '1.5' }, undefined, NOW).delayMs).toBe(1500);
  });

  it('gives no delay for a bare 429, so the caller backs off', () => {
    const signal = parseThrottle({}, '<html>slow down</html>', NOW);
    expect(signal.delayMs).toBeUndefined();
    expect(signal.level).toBeUndefined();
  });

  it('reports unusable values and falls through to the next source', () => {
    const signal = parseThrottle({ 'retry-after': 'later', 'ratelimit-reset': '4' }, undefined, NOW);
    expect(signal.delayMs).toBe(4000);
    expect(signal.rejected).toEqual(['retry-after: later']);
  });
});

describe('helpers', () => {
  it('readHeader works on AxiosHeaders-like objects, plain objects and arrays', () => {
    expect(readHeader({ get: (n: string) => (n === 'retry-after' ? '3' : undefined) }, 'retry-after')).toBe('3');
    expect(readHeader({ 'Retry-After': ['4', '5'] }, 'retry-after')).toBe('4');
    expect(readHeader(undefined, 'retry-after')).toBeUndefined();
  });

  it("readHeader's usual spelling is only a shortcut: the same answer as the case-insensitive lookup, whatever the header was set as", () => {
    const spellings = fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'AuthoriZation');
    const values = fc.oneof(fc.string(), fc.constant(['Bearer a', 'Bearer b']), fc.constant(false), fc.constant(null), fc.integer());
    fc.assert(
      fc.property(fc.option(spellings, { nil: undefined }), values, fc.boolean(), (setAs, value, asAxiosHeaders) => {
        const plain: Record<string, unknown> = { Accept: 'application/json', ...(setAs === undefined ? {} : { [setAs]: value }) };
        const headers = asAxiosHeaders ? new AxiosHeaders(plain as Record<string, string>) : plain;
        expect(readHeader(headers, 'authorization', 'Authorization')).toEqual(readHeader(headers, 'authorization'));
      }),
    );
  });

  it('bodyAsObject ignores non-JSON, streams and oversized bodies', () => {
    expect(bodyAsObject('not json')).toBeUndefined();
    expect(bodyAsObject({ pipe: () => undefined })).toBeUndefined();
    expect(bodyAsObject('{' + ' '.repeat(70_000) + '}')).toBeUndefined();
    expect(bodyAsObject('{"a":1}')).toEqual({ a: 1 });
  });
});
