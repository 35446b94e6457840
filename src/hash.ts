/**
 * One-way label for an access token, so that no raw token reaches a key, an event, an error or stats.
 *
 * A 64-bit FNV-1a over UTF-16 code units, as two 32-bit halves with different offsets. It is not a
 * cryptographic digest (a synchronous SHA-256 would need Node's crypto or 2 KB of code in browsers), but
 * a 64-bit label of a high-entropy token reveals nothing usable and collides with odds of ~1 in 10^19
 * per pair. Tokens of low entropy can be guessed from any unsalted hash, cryptographic or not.
 */
export function hashToken(token: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
