// End to end: a local API on 127.0.0.1 answers the first request with 429 and Retry-After: 1; the metrics
// the SDK exports say so, with the server's address and port as the HTTP semantic conventions name them.
import axios from 'axios';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from '../../src/memory-store';
import { METRICS, rateGuardTelemetry } from '../../src/otel';
import { rateGuard } from '../../src/rate-guard';
import { pointWith, points, testMetrics, type HistogramPoint } from './metrics';

let server: Server;
let port: number;
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (requests === 1) {
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Too Many Requests' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, url: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('records the 429, the 1 s pause and the replay waiting it out, against a local server', async () => {
  const sdk = testMetrics();
  const telemetry = rateGuardTelemetry({ meter: sdk.provider.getMeter('http-test') });
  const api = axios.create({ baseURL: `http://127.0.0.1:${port}` });
  const guard = rateGuard(api, telemetry.withHooks({ clientId: 'local', jitter: { ratio: 0 }, store: new MemoryStore() }));
  telemetry.instrument(api);
  telemetry.observe(guard);

  const response = await api.post('/orders?token=SECRET', { item: 1 }, { headers: { Authorization: 'Bearer RAW' } });
  expect(response.data).toEqual({ ok: true, url: '/orders?token=SECRET' });
  expect(requests).toBe(2);

  const metrics = await sdk.collect();
  const server_ = { 'server.address': '127.0.0.1', 'server.port': port };
  expect(points(metrics, METRICS.throttles)).toEqual([
    expect.objectContaining({
      value: 1,
      attributes: expect.objectContaining({
        ...server_,
        'http.request.method': 'POST',
        'http.response.status_code': 429,
        'error.type': '429',
        'rate_guard.key.id': 'local',
        'rate_guard.key.level': 'client',
        'rate_guard.delay.source': 'retry-after',
      }),
    }),
  ]);
  const pause = points<HistogramPoint['value']>(metrics, METRICS.pauseDuration)[0];
  expect(pause.value).toMatchObject({ count: 1, sum: 1 });
  const replay = pointWith<HistogramPoint['value']>(metrics, METRICS.waitDuration, { ...server_, 'rate_guard.replay': true });
  expect(replay?.value.count).toBe(1);
  expect(replay?.value.sum).toBeGreaterThanOrEqual(0.99);
  expect(replay?.value.sum).toBeLessThan(2);
  expect(pointWith(metrics, METRICS.queued, { 'rate_guard.key.id': 'local' })?.value).toBe(0);
  expect(JSON.stringify(metrics)).not.toMatch(/SECRET|RAW|orders/);
  guard.detach();
  await sdk.shutdown();
});
