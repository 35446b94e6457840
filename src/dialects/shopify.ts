/**
 * Shopify REST Admin: `X-Shopify-Shop-Api-Call-Limit: 32/40`, the fill of a leaky bucket (32 used of 40).
 *
 * The header gives the bucket's size, not its leak rate. Shopify documents 40 leaking at 2 per second on
 * standard plans, and its other plans keep that ratio (4/s, 20/s for buckets 2 and 10 times as large), so
 * the leak rate is assumed to be the size / 20 per second. That rate becomes the learned limit (one request
 * per leak interval, 500 ms for 40), and what is left in the bucket is the budget until the next leak: a
 * burst may use the whole bucket, and a full one waits one leak interval, not until the bucket is empty.
 * Configure `limits` for a plan that leaks otherwise.
 */
import type { QuotaReading } from '../rate-limit-headers.js';
import { count, type HeaderMap } from './common.js';

export const SHOPIFY_HEADER = 'x-shopify-shop-api-call-limit';
/** Seconds a full bucket takes to drain (40 at 2/s). */
export const SHOPIFY_DRAIN_SECONDS = 20;
const CALL_LIMIT = /^(\d+)\s*\/\s*(\d+)$/;

export function readShopify(h: HeaderMap, rejected: string[]): QuotaReading | undefined {
  const raw = h.get(SHOPIFY_HEADER);
  if (raw === undefined) return undefined;
  const match = CALL_LIMIT.exec(raw);
  const used = match ? count(SHOPIFY_HEADER, match[1], [], 0) : undefined;
  const size = match ? count(SHOPIFY_HEADER, match[2], [], 1) : undefined;
  if (used === undefined || size === undefined || used > size) {
    rejected.push(`${SHOPIFY_HEADER}: ${raw}`);
    return { dialect: 'shopify', rejected };
  }
  const leakMs = Math.ceil((SHOPIFY_DRAIN_SECONDS * 1000) / size);
  return {
    dialect: 'shopify',
    policy: { requests: 1, windowMs: leakMs },
    remaining: size - used,
    resetMs: leakMs,
    quotas: [{ name: 'bucket', limit: size, remaining: size - used }],
    rejected,
  };
}
