import { appOf, tokenOf } from '../../emulator/identity.js';
import { normalizeOptions } from '../../emulator/options.js';
import { GIPONEXT_429_BODY, tooManyRequests } from '../../emulator/vendor-responses.js';
import { parseCliArgs } from '../../emulator/cli-args.js';

describe('normalizeOptions', () => {
  it('applies the documented vendor defaults', () => {
    expect(normalizeOptions({ vendor: 'clover' })).toEqual({
      vendor: 'clover',
      windowMs: 1000,
      appRate: 50,
      tokenRate: 16,
      appConcurrent: 10,
      tokenConcurrent: 5,
      retryAfterSec: 1,
      penalty: true,
      latencyMs: 0,
      omitRetryAfterEvery: 0,
      port: 0,
      cors: undefined,
      corsExposeHeaders: true,
    });
    expect(normalizeOptions({ vendor: 'giponext' })).toMatchObject({
      appRate: 50,
      tokenRate: undefined,
      appConcurrent: undefined,
      tokenConcurrent: undefined,
      omitRetryAfterEvery: 0,
    });
    expect(normalizeOptions({ vendor: 'genesys' })).toMatchObject({
      appRate: undefined,
      tokenRate: 16,
      appConcurrent: undefined,
      tokenConcurrent: undefined,
      omitRetryAfterEvery: 2,
    });
  });

  it('lets null remove a default limit', () => {
    expect(normalizeOptions({ vendor: 'clover', appRate: null, tokenConcurrent: null })).toMatchObject({
      appRate: undefined,
      tokenRate: 16,
      tokenConcurrent: undefined,
    });
  });

  it('says what was expected and what was given', () => {
    expect(() => normalizeOptions({ vendor: 'acme' as never })).toThrow(
      'Expected `vendor` to be one of clover, giponext, genesys, got "acme"',
    );
    expect(() => normalizeOptions({ vendor: 'clover', windowMs: 0 })).toThrow(
      'Expected `windowMs` to be a finite number above 0, got 0',
    );
    expect(() => normalizeOptions({ vendor: 'clover', appRate: 2.5 })).toThrow(
      'Expected `appRate` to be an integer from 1 and up, got 2.5',
    );
    expect(() => normalizeOptions({ vendor: 'clover', retryAfterSec: 1.5 })).toThrow('retryAfterSec');
    expect(() => normalizeOptions({ vendor: 'clover', latencyMs: -1 })).toThrow('latencyMs');
    expect(() => normalizeOptions({ vendor: 'clover', port: 70000 })).toThrow('port');
    expect(() => normalizeOptions({ vendor: 'clover', cors: 'localhost' })).toThrow(
      'Expected `cors` to be a boolean, "*" or an origin like "http://127.0.0.1:5173", got "localhost"',
    );
    expect(() => normalizeOptions({ vendor: 'clover', corsExposeHeaders: 'no' as never })).toThrow('corsExposeHeaders');
  });

  it('turns cors true into any origin, keeps a given origin, and exposes headers unless told not to', () => {
    expect(normalizeOptions({ vendor: 'clover', cors: true })).toMatchObject({ cors: '*', corsExposeHeaders: true });
    expect(normalizeOptions({ vendor: 'clover', cors: 'http://127.0.0.1:5173', corsExposeHeaders: false })).toMatchObject({
      cors: 'http://127.0.0.1:5173',
      corsExposeHeaders: false,
    });
    expect(normalizeOptions({ vendor: 'clover', cors: false }).cors).toBeUndefined();
  });
});

describe('identity', () => {
  it('reads the app from x-client-id and the token from a Bearer header', () => {
    expect(appOf({ 'x-client-id': 'acme' })).toBe('acme');
    expect(appOf({})).toBe('default');
    expect(tokenOf({ authorization: 'Bearer abc.def' })).toBe('abc.def');
    expect(tokenOf({ authorization: 'bearer abc' })).toBe('abc');
    expect(tokenOf({})).toBe('anonymous');
  });
});

describe('429 wire formats', () => {
  const info = { limit: 'tokenLimit' as const, value: 16, retryAfterSec: 21, withRetryAfter: true, correlationId: 'c-1' };

  it('Clover: lowercase retry-after, X-RateLimit-{type} with the limit value, the documented body', () => {
    const reply = tooManyRequests('clover', info);
    expect(reply.status).toBe(429);
    expect(reply.headers).toMatchObject({ 'retry-after': '21', 'X-RateLimit-tokenLimit': '16' });
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.body).toBe('{"message":"429 Too Many Requests"}');
    const concurrent = tooManyRequests('clover', { ...info, limit: 'crossTokenConcurrentLimit', value: 10 });
    expect(concurrent.headers['X-RateLimit-crossTokenConcurrentLimit']).toBe('10');
  });

  it('GipoNext: Retry-After and the rate_limit_exceeded body, no X-RateLimit headers', () => {
    const reply = tooManyRequests('giponext', info);
    expect(reply.headers).toEqual({ 'Retry-After': '21', 'Content-Type': 'application/json' });
    expect(JSON.parse(reply.body)).toEqual(GIPONEXT_429_BODY);
  });

  it('Genesys: the normalized body, and no Retry-After header when told to omit it', () => {
    const reply = tooManyRequests('genesys', { ...info, withRetryAfter: false });
    expect(reply.headers['Retry-After']).toBeUndefined();
    expect(reply.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(reply.body)).toEqual({
      message: 'Rate limit exceeded the maximum. Retry the request in [21] seconds',
      code: 'too.many.requests.retry.after',
      status: 429,
      contextId: 'c-1',
      details: [],
      errors: [],
    });
  });
});

describe('parseCliArgs', () => {
  it('maps flags to options, "none" to null', () => {
    expect(
      parseCliArgs(['--vendor', 'clover', '--port=8080', '--app-rate', 'none', '--window-ms', '250', '--no-penalty']),
    ).toEqual({ help: false, options: { vendor: 'clover', port: 8080, appRate: null, windowMs: 250, penalty: false } });
    expect(parseCliArgs(['--help'])).toEqual({ help: true });
    expect(parseCliArgs(['--vendor', 'clover', '--cors', '*', '--cors-hide-headers'])).toEqual({
      help: false,
      options: { vendor: 'clover', cors: '*', corsExposeHeaders: false },
    });
  });

  it('rejects unknown flags, missing values and a missing vendor', () => {
    expect(() => parseCliArgs(['--vendor', 'clover', '--fast'])).toThrow('Unknown option --fast');
    expect(() => parseCliArgs(['--vendor'])).toThrow('Missing value for --vendor');
    expect(() => parseCliArgs(['--port', '1'])).toThrow('Missing --vendor');
    expect(() => parseCliArgs(['--vendor', 'clover', '--port', 'x'])).toThrow('Expected --port to be a number');
  });
});
