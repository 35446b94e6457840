import { PACING, REQUESTS, TOKENS } from './config';
import type { BenchRequest, PacingWorkload, Workload } from './types';

/** A JSON order of a few hundred bytes, with non-ASCII text so that a re-encoded body would show. */
function orderBody(index: number, token: string): unknown {
  return {
    order: index,
    token,
    items: [
      { sku: `sku-${index}-a`, qty: 1 + (index % 3), note: 'crème brûlée ✓' },
      { sku: `sku-${index}-b`, qty: 2, note: 'naïve café — 東京' },
    ],
    total: { amount: 1999 + index, currency: 'EUR' },
  };
}

/** `count` requests to unique paths, token i % tokens, spread over `instances` axios instances. */
function burst(method: 'get' | 'post', instances: number, count = REQUESTS, tokens = TOKENS): BenchRequest[] {
  return Array.from({ length: count }, (_, index): BenchRequest => {
    const token = `bench-token-${index % tokens}`;
    const request: BenchRequest = {
      index,
      instance: index % instances,
      method,
      path: `/v3/merchants/m${index % tokens}/orders/${index}`,
      token,
    };
    if (method === 'post') request.body = orderBody(index, token);
    return request;
  });
}

/** The workloads every contender runs, in order. */
export function workloads(): Workload[] {
  return [
    {
      id: 'burst-known',
      title: `Burst of ${REQUESTS} GETs across ${TOKENS} tokens of one app, limits known`,
      limitsKnown: true,
      instances: 1,
      requests: burst('get', 1),
    },
    {
      id: 'burst-unknown',
      title: `Burst of ${REQUESTS} GETs across ${TOKENS} tokens of one app, limits unknown`,
      limitsKnown: false,
      instances: 1,
      requests: burst('get', 1),
    },
    {
      id: 'two-instances',
      title: `Two axios instances sharing one clientId, ${REQUESTS} GETs, limits known`,
      limitsKnown: true,
      instances: 2,
      requests: burst('get', 2),
    },
    {
      id: 'post-bodies',
      title: `${REQUESTS} POSTs with JSON bodies, limits unknown (every client is throttled and must replay)`,
      limitsKnown: false,
      instances: 1,
      requests: burst('post', 1),
    },
  ];
}

/** The pacing section's workloads, in order: axios-rate-guard alone, limits known and equal to the server's. */
export function pacingWorkloads(): PacingWorkload[] {
  const { tokens, burst: b, sustained, longRoundTrip, slowLatencyMs, targets } = PACING;
  const rtt = longRoundTrip.upstreamDelayMs + longRoundTrip.downstreamDelayMs;
  const sustainedTarget = { measure: 'sustained-share', min: targets.sustainedShare } as const;
  return [
    {
      id: 'pacing-burst',
      title: `Burst of ${b.requests} GETs across ${tokens} tokens, Clover's limits, loopback, ${b.server.latencyMs} ms latency`,
      limitsKnown: true,
      instances: 1,
      requests: burst('get', 1, b.requests, tokens),
      server: b.server,
      tokens,
      target: { measure: 'ideal-ratio', max: targets.burstIdealRatio },
    },
    {
      id: 'pacing-long-rtt',
      title: `${sustained.requests} GETs across ${tokens} tokens through a ${rtt} ms round trip, rate limits only`,
      limitsKnown: true,
      instances: 1,
      requests: burst('get', 1, sustained.requests, tokens),
      server: sustained.server,
      delay: longRoundTrip,
      tokens,
      target: sustainedTarget,
    },
    {
      id: 'pacing-slow-endpoint',
      title: `${sustained.requests} GETs across ${tokens} tokens to an endpoint that answers in ${slowLatencyMs / 1000} s, rate limits only`,
      limitsKnown: true,
      instances: 1,
      requests: burst('get', 1, sustained.requests, tokens),
      server: { ...sustained.server, latencyMs: slowLatencyMs },
      tokens,
      target: sustainedTarget,
    },
  ];
}

/** Requests per token, for the ideal time. */
export function requestsPerToken(requests: readonly BenchRequest[]): number[] {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(r.token, (counts.get(r.token) ?? 0) + 1);
  return [...counts.values()];
}
