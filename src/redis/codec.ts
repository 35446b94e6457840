import type { KeySpec, LearnedLimits } from '../store.js';

/** A number as a script argument: '' for absent, 'inf' / '-inf' for the infinities. */
export function encodeNumber(value: number | undefined): string {
  if (value === undefined) return '';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  return String(value);
}

/** A key spec as the seven ARGV entries every script reads (see scripts.ts). */
export function encodeSpec(spec: KeySpec): string[] {
  return [
    spec.id,
    spec.level,
    encodeNumber(spec.limits.requests),
    encodeNumber(spec.limits.perMs),
    encodeNumber(spec.limits.concurrent),
    encodeNumber(spec.marginMs),
    spec.adaptive ? '1' : '0',
  ];
}

/** The reply of a script: an array whose first element is the server's time. */
export function replyArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply) || reply.length === 0) throw new Error(`RedisStore: unexpected script reply ${String(reply)}`);
  return reply;
}

export function decodeNumber(value: unknown): number {
  const text = String(value);
  if (text === 'inf' || text === '+inf') return Number.POSITIVE_INFINITY;
  if (text === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** A number that scripts send as -1 (or '') when absent. */
export function decodeOptional(value: unknown): number | undefined {
  if (value === '' || value === null || value === undefined) return undefined;
  const number = decodeNumber(value);
  return number === -1 ? undefined : number;
}

/** Learned limits from three reply fields (requests, perMs, concurrent), leaving out the absent ones. */
export function decodeLearned(requests: unknown, perMs: unknown, concurrent: unknown): LearnedLimits {
  const learned: LearnedLimits = {};
  const r = decodeOptional(requests);
  const p = decodeOptional(perMs);
  const c = decodeOptional(concurrent);
  if (r !== undefined) learned.requests = r;
  if (p !== undefined) learned.perMs = p;
  if (c !== undefined) learned.concurrent = c;
  return learned;
}
