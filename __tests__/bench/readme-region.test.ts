/**
 * The bench rewrites generated README regions in place (bench/readme-region.ts): only what lies between a
 * region's markers changes, other regions and hand-written text stay, and missing markers change nothing.
 */
import { replaceRegion } from '../../bench/readme-region';

const README = [
  'intro, edited by hand',
  '<!-- bench:servers:start -->',
  'old servers table',
  '<!-- bench:servers:end -->',
  'more hand-written text',
  '<!-- bench:learning:start -->',
  'old learning table',
  '<!-- bench:learning:end -->',
  'end',
].join('\n');

describe('replaceRegion', () => {
  it('replaces one region and nothing else', () => {
    const updated = replaceRegion(README, 'learning', '\n| new | table |\n');
    expect(updated).toBe(README.replace('old learning table', '| new | table |'));
  });

  it('is idempotent: the same content written twice gives the same file', () => {
    const once = replaceRegion(README, 'servers', 'new servers table')!;
    expect(replaceRegion(once, 'servers', 'new servers table')).toBe(once);
  });

  it('returns undefined when the markers are missing, so the file is left alone', () => {
    expect(replaceRegion(README, 'latest', 'anything')).toBeUndefined();
    expect(replaceRegion('<!-- bench:latest:end -->\n<!-- bench:latest:start -->', 'latest', 'x')).toBeUndefined();
  });
});
