#!/usr/bin/env node
// npm run test:soak [-- --runs 20 --load 2 <jest path patterns>]: runs the timing-sensitive suites many
// times in a row (optionally beside CPU-bound processes) and prints how many runs of each failed. A suite
// that fails once in twenty runs here would block a landing by chance on CI.
import { spawn, spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
let runs = 20;
let load = 0;
const patterns = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--load') load = Number(args[++i]);
  else patterns.push(args[i]);
}
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(load) || load < 0) {
  console.error('usage: npm run test:soak -- [--runs N] [--load CPU_BOUND_PROCESSES] [jest path patterns]');
  process.exit(2);
}
const suites = patterns.length > 0 ? patterns : ['__tests__/arrivals', '__tests__/browser', '__tests__/integration', '__tests__/redis/redis-store.multiprocess'];

const burners = Array.from({ length: load }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
const stopBurners = () => burners.forEach((child) => child.kill('SIGKILL'));
process.on('exit', stopBurners);
process.on('SIGINT', () => process.exit(130));

const failures = new Map();
const started = Date.now();
for (let run = 1; run <= runs; run++) {
  const result = spawnSync('npx', ['jest', '--json', '--silent', ...suites], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let report;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    console.log(`run ${run}: jest did not report (exit ${result.status})\n${result.stderr.slice(-2000)}`);
    failures.set('(no report)', (failures.get('(no report)') ?? 0) + 1);
    continue;
  }
  const failed = report.testResults.flatMap((suite) =>
    suite.assertionResults.filter((test) => test.status === 'failed').map((test) => `${suite.name.replace(process.cwd() + '/', '')} › ${test.title}`),
  );
  for (const name of failed) failures.set(name, (failures.get(name) ?? 0) + 1);
  console.log(`run ${run}/${runs}: ${report.numPassedTests} passed, ${report.numFailedTests} failed${failed.length ? `: ${failed.join('; ')}` : ''}`);
}
stopBurners();
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(`\n${runs} runs of ${suites.join(', ')}${load ? ` beside ${load} CPU-bound processes` : ''} in ${minutes} min`);
if (failures.size === 0) console.log('no failures');
for (const [name, count] of failures) console.log(`  ${count}/${runs} failed: ${name}`);
process.exitCode = failures.size === 0 ? 0 : 1;
