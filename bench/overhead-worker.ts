/**
 * One contender of the overhead measurement in a process of its own, forked by bench/overhead.ts:
 * `overhead-worker.ts <bare|axios-rate-limit|axios-retry|rate-guard> [compiled plugin index.js]`. Answers
 * `describe` with its name and configuration and `round` with the µs per request of one round.
 */
import { createEntrant, round, type EntrantId } from './overhead';
import type { Plugin } from './types';

async function main(id: EntrantId, entry: string | undefined): Promise<void> {
  const plugin = (entry ? require(entry) : await import('../src')) as Plugin;
  const entrant = createEntrant(id, plugin);
  process.on('message', (message: { kind: 'describe' } | { kind: 'round'; requests: number }) => {
    if (message.kind === 'describe') process.send!({ name: entrant.name, setup: entrant.setup });
    else void round(entrant.api, message.requests).then((result) => process.send!(result));
  });
}

main(process.argv[2] as EntrantId, process.argv[3]).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
