/**
 * npm run bench: the same workloads through axios-rate-guard and the usual alternatives against the vendor
 * emulator, axios-rate-guard's pacing section, then overhead and scale in clean child processes; writes
 * bench/results/ and prints PASS/FAIL for the plugin's targets. See bench/README.md.
 *
 * npm run bench -- --only pacing: the pacing section alone (writes bench/results/pacing.md only).
 * npm run bench -- --only learning: the learning section alone (writes bench/results/learning.md and .json).
 * npm run bench -- --only servers: every contender against real servers, repeated (writes bench/results/servers.*
 * and servers-*.svg, and the README's generated region).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BIN_MS, CAP_IDEAL_MULTIPLE, CLIENT_ID, COMPARISON_RUNS, MAX_RETRIES, PACING, REQUESTS, SERVER, SERVERS, TOKENS } from './config';
import { children } from './children';
import { compilePlugin } from './compiled-plugin';
import { contenders } from './contenders';
import { axiosRateGuard } from './contenders/rate-guard';
import { runOne } from './execute';
import { idealTime } from './ideal';
import { curveText, guardVerdict, learningDocument, learningProgressLine, learningReadmeRegion, learningSummaryTable, runLearningSection, type LearningResult } from './learning';
import { runPacing, type PacingResult } from './pacing';
import { latestDocument, targetLines, workloadSection, workloadTable, type WorkloadSection } from './report/markdown';
import { machine, type Machine } from './report/machine';
import { seconds } from './report/format';
import { loadText, pacingDocument, pacingProgressLine, pacingRejectionLines, pacingRunsTable, pacingSummaryTable } from './report/pacing';
import { renderChart, type ChartSeries } from './report/svg';
import { checkPacingTargets, checkTargets, type TargetCheck } from './targets';
import { checkOverheadScaleTargets } from './overhead-scale-targets';
import { overheadTable, scaleTables } from './report/overhead-scale';
import type { Contender, RunResult } from './types';
import { warmUp } from './warm-up';
import { runServersSection, type ServersResult } from './servers';
import { medianIndex, ratioOf } from './spread';
import { serversDocument, serversProgressLine, serversReadmeRegion, serversSummaryTable, versionsText } from './report/servers';
import { serversCharts } from './report/servers-charts';
import { versions } from './report/machine';
import { writeRegion } from './readme-region';
import { latestReadmeRegion } from './report/readme-latest';
import { nginxBinary } from '../__tests__/helpers/nginx';
import { pacingWorkloads, requestsPerToken, workloads } from './workloads';
import { plainAxios } from './contenders/plain';
import { axiosRetryContender } from './contenders/axios-retry';

const RESULTS = path.join(__dirname, 'results');
const README = path.join(__dirname, '..', 'README.md');

/** Sections `--only` can pick; without it, everything runs. */
const SECTIONS = ['pacing', 'learning', 'servers'] as const;
type Section = (typeof SECTIONS)[number];

function commandLine(): { only: Section | undefined } {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  const only = values.only;
  if (only !== undefined && !(SECTIONS as readonly string[]).includes(only)) {
    throw new TypeError(`Expected \`--only\` to be one of ${SECTIONS.join(', ')}, got "${only}"`);
  }
  return { only: only as Section | undefined };
}

const COLORS: Record<string, string> = {
  'rate-guard': '#1f77b4',
  'axios-retry': '#ff7f0e',
  'axios-rate-limit': '#2ca02c',
  'rate-limit+retry': '#9467bd',
  bottleneck: '#8c564b',
  'plain-axios': '#7f7f7f',
};

function progressLine(contender: Contender, result: RunResult): string {
  const m = result.metrics;
  const time = m.timedOut ? `cut off at ${seconds(m.elapsedMs)}` : `${seconds(m.elapsedMs)} (${m.idealRatio.toFixed(2)}× ideal)`;
  return (
    `  ${contender.name.padEnd(32)} accepted ${String(m.completed).padStart(3)}/${m.requests}  ok ${String(m.outcomes.ok).padStart(3)}  ` +
    `lost ${String(m.lost).padStart(3)}  ` +
    `429s ${String(m.rejected429).padStart(4)}  during pause ${String(m.arrivedDuringPause).padStart(4)}  ${time}`
  );
}

function chartSeries(contender: Contender, result: RunResult): ChartSeries {
  const m = result.metrics;
  const time = m.timedOut ? `cut off at ${seconds(m.elapsedMs)}` : seconds(m.elapsedMs);
  return {
    name: contender.name,
    color: COLORS[contender.id] ?? '#333',
    accepted: result.timeline.accepted,
    throttled: result.timeline.throttled,
    endMs: m.elapsedMs,
    cutOff: m.timedOut,
    summary: `${m.completed}/${m.requests} accepted, ${m.lost} lost, ${m.rejected429} × 429, ${time}`,
  };
}

interface PacingOutcome {
  results: PacingResult[];
  checks: TargetCheck[];
}

/** The pacing section: runs it, prints its tables and writes bench/results/pacing.md. */
async function pacing(host: Machine): Promise<PacingOutcome> {
  const started = performance.now();
  const loadBefore = os.loadavg();
  console.log(`\npacing: axios-rate-guard alone, limits known and equal to the server's, ${PACING.runs} runs per workload`);
  const results: PacingResult[] = [];
  for (const workload of pacingWorkloads()) {
    console.log(`${workload.id}: ${workload.title}`);
    results.push(await runPacing(workload, (run, index) => console.log(pacingProgressLine(workload, run, index))));
  }
  const load = { before: loadBefore, after: os.loadavg() };
  const checks = checkPacingTargets(results);
  const rejections = pacingRejectionLines(results);
  console.log(`  ${loadText(load, host.cores)}`);
  console.log(`\nPacing\n${pacingSummaryTable(results)}\n\n${pacingRunsTable(results)}`);
  console.log(rejections.length > 0 ? `\n429s the server sent:\n${rejections.join('\n')}` : '\nThe server sent no 429 in any pacing run.');
  await fs.mkdir(RESULTS, { recursive: true });
  await fs.writeFile(path.join(RESULTS, 'pacing.md'), pacingDocument(host, results, checks, performance.now() - started, load));
  return { results, checks };
}

/** `--only pacing`: warm axios-rate-guard up, run the pacing section, leave latest.* as the last full run wrote them. */
async function pacingOnly(host: Machine): Promise<void> {
  console.log('\nwarm-up (axios-rate-guard, 40 requests, no limits)…');
  await warmUp([axiosRateGuard]);
  const { checks } = await pacing(host);
  console.log(`\nTargets for axios-rate-guard (pacing)\n${targetLines(checks).join('\n')}`);
  console.log(`\nWrote ${path.relative(process.cwd(), RESULTS)}/pacing.md`);
}

/** The learning section: runs it, prints its tables and curves, writes bench/results/learning.md and learning.json. */
async function learning(host: Machine): Promise<LearningResult> {
  console.log('\nlearning: axios-rate-guard with nothing configured against nginx, express-rate-limit, @fastify/rate-limit and the emulators');
  let current = '';
  const result = await runLearningSection((target, run) => {
    if (target.id !== current) {
      current = target.id;
      console.log(`${target.id}: ${target.title} · ideal ${seconds(target.ideal.ms)} · floor ${seconds(target.floor.ms)}`);
    }
    console.log(learningProgressLine(run));
  });
  console.log(`\nLearning\n${learningSummaryTable(result)}`);
  for (const t of result.targets.filter((x) => x.idealCurve)) console.log(`\n${t.target.id}: ${t.target.title}\n${curveText(t)}`);
  const verdicts = result.targets.map(guardVerdict).filter((v) => v !== undefined);
  console.log(`\nTargets for axios-rate-guard, nothing configured (issue 9)\n${verdicts.map((v) => `  ${v.text}`).join('\n')}`);
  await fs.mkdir(RESULTS, { recursive: true });
  await fs.writeFile(path.join(RESULTS, 'learning.md'), learningDocument(host, result));
  // Curves are long arrays of counts: one line each, not one line per number.
  const json = JSON.stringify({ machine: host, ...result }, null, 2).replace(/\[\s+([-\d.,\s]+?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
  await fs.writeFile(path.join(RESULTS, 'learning.json'), `${json}\n`);
  const written = await writeRegion(README, 'learning', learningReadmeRegion(host, result));
  console.log(written ? "Rewrote the README's bench:learning region" : 'README.md has no bench:learning markers: left unchanged');
  return result;
}

/** `--only learning`: warm the contenders up, run the learning section, leave the other results as they are. */
async function learningOnly(host: Machine): Promise<void> {
  console.log('\nwarm-up (axios-rate-guard, axios-retry, plain axios, 40 requests)…');
  await warmUp([axiosRateGuard, axiosRetryContender, plainAxios]);
  await learning(host);
  console.log(`\nWrote ${path.relative(process.cwd(), RESULTS)}/learning.md, learning.json`);
}

interface ServersOutcome {
  result: ServersResult;
  versions: Record<string, string>;
}

/** The servers section: runs it, prints its summary, writes bench/results/servers.md, servers.json and the charts. */
async function servers(host: Machine): Promise<ServersOutcome> {
  const packages = versions(nginxBinary());
  console.log(`\nservers: every contender against express-rate-limit, @fastify/rate-limit, nginx limit_req and the Clover emulator, ${SERVERS.runs} runs each`);
  let current = '';
  const result = await runServersSection((target, entry, run, repeat) => {
    if (target.id !== current) {
      current = target.id;
      console.log(`${target.id}: ${target.title} · ideal ${seconds(target.ideal.ms)}`);
    }
    console.log(serversProgressLine(entry.contender.name, run, repeat, SERVERS.runs));
  });
  console.log(`\nServers (median, min–max of the runs) · ${host.date} · ${versionsText(packages)}\n${serversSummaryTable(result)}`);
  await fs.mkdir(RESULTS, { recursive: true });
  await fs.writeFile(path.join(RESULTS, 'servers.md'), serversDocument(host, packages, result));
  for (const [file, svg] of serversCharts(host, result)) await fs.writeFile(path.join(RESULTS, file), svg);
  // Curves on one line each; a × ideal of Infinity (the run lost requests) is written as null.
  const json = JSON.stringify({ machine: host, versions: packages, ...result }, null, 2).replace(/\[\s+([-\d.,\s]+?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
  await fs.writeFile(path.join(RESULTS, 'servers.json'), `${json}\n`);
  return { result, versions: packages };
}

/** Rewrites the README's generated region from the servers section (only that region: others edit the rest). */
async function serversReadme(host: Machine, outcome: ServersOutcome): Promise<void> {
  const region = serversReadmeRegion(host, outcome.versions, outcome.result, path.relative(path.dirname(README), RESULTS));
  const written = await writeRegion(README, 'servers', region);
  console.log(written ? "Rewrote the README's bench:servers region" : 'README.md has no bench:servers markers: left unchanged');
}

/** `--only servers`: warm the contenders up, run the servers section, rewrite the README's region. */
async function serversOnly(host: Machine): Promise<void> {
  console.log('\nwarm-up (every contender, 40 requests)…');
  await warmUp(contenders);
  const outcome = await servers(host);
  await serversReadme(host, outcome);
  console.log(`\nWrote ${path.relative(process.cwd(), RESULTS)}/servers.md, servers.json, servers-*.svg`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const { only } = commandLine();
  const host = machine();
  console.log(`axios-rate-guard bench · ${host.cpu}, ${host.cores} cores · Node ${host.node} · ${host.date}`);
  if (only === 'pacing') return pacingOnly(host);
  if (only === 'learning') return learningOnly(host);
  if (only === 'servers') return serversOnly(host);
  const settings = [
    `Server: vendor emulator (Clover rules, penalty on) with ${SERVER.appRate} requests per ${SERVER.windowMs} ms and ${SERVER.appConcurrent} in flight per app, ` +
      `${SERVER.tokenRate} per ${SERVER.windowMs} ms and ${SERVER.tokenConcurrent} in flight per token, ${SERVER.latencyMs} ms latency; Retry-After: 1.`,
    `Each workload: ${REQUESTS} requests fired at once, token i % ${TOKENS}, client_id \`${CLIENT_ID}\`, a fresh emulator per run; ` +
      `${COMPARISON_RUNS} runs per contender (the contenders in turn), the median run shown (× ideal; a run that lost requests sorts last).`,
    `Retries: ${MAX_RETRIES} for every contender that retries. Cap: ${CAP_IDEAL_MULTIPLE}× the ideal time, then what is pending is aborted and lost.`,
  ];
  settings.forEach((s) => console.log(`  ${s}`));

  console.log('\nwarm-up (every contender, 40 requests, no limits)…');
  await warmUp(contenders);

  const sections: WorkloadSection[] = [];
  const runs: RunResult[] = [];
  for (const workload of workloads()) {
    const ideal = idealTime(requestsPerToken(workload.requests), SERVER);
    const capMs = CAP_IDEAL_MULTIPLE * ideal.ms;
    console.log(`\n${workload.id}: ${workload.title} · ideal ${seconds(ideal.ms)} (${ideal.bound}) · cap ${seconds(capMs)}`);
    // Repeats sweep all the contenders in turn, so that a noisy minute falls on one run of each.
    const repeats = new Map<string, RunResult[]>(contenders.map((c) => [c.id, []]));
    for (let repeat = 0; repeat < COMPARISON_RUNS; repeat++) {
      for (const contender of contenders) {
        const result = await runOne(contender, workload, ideal, capMs);
        console.log(`${repeat + 1}/${COMPARISON_RUNS}${progressLine(contender, result)}`);
        repeats.get(contender.id)!.push(result);
      }
    }
    const results = contenders.map((c) => {
      const cell = repeats.get(c.id)!;
      return cell[medianIndex(cell, ratioOf)];
    });
    runs.push(...[...repeats.values()].flat());
    sections.push({ workload, ideal, results, repeats, svgFile: `${workload.id}.svg` });
  }

  const paced = await pacing(host);
  await learning(host);
  const onServers = await servers(host);

  console.log('\ncompiling src/ as published (tsconfig.build.cjs.json) for overhead and scale…');
  const compiled = await compilePlugin().catch((error: unknown) => {
    console.log(`  could not compile, measuring src/ through tsx instead: ${(error as Error).message}`);
    return undefined;
  });
  if (compiled?.warnings) console.log(`  tsc reported (the build was still emitted):\n${compiled.warnings}`);
  console.log('overhead (child process)…');
  const overhead = await children.overhead(compiled?.entry);
  console.log('scale (child process)…');
  const scale = await children.scale(compiled?.entry);
  const checks = [
    ...checkTargets(
      sections.map((s) => s.workload),
      runs,
    ),
    ...checkOverheadScaleTargets(overhead, scale),
    ...paced.checks,
  ];
  const capMs = CAP_IDEAL_MULTIPLE * (sections[0]?.ideal.ms ?? 0);

  await fs.mkdir(RESULTS, { recursive: true });
  for (const section of sections) {
    const chart = renderChart({
      title: `${section.workload.id}: ${section.workload.title}`,
      subtitle: `Ideal ${seconds(section.ideal.ms)} · server: ${SERVER.appRate}/s and ${SERVER.appConcurrent} in flight per app, ${SERVER.tokenRate}/s and ${SERVER.tokenConcurrent} per token · ${host.date.slice(0, 10)}`,
      limit: SERVER.appRate,
      windowMs: SERVER.windowMs,
      binMs: BIN_MS,
      series: section.results.map((r) => chartSeries(contenders.find((c) => c.id === r.contender) as Contender, r)),
    });
    await fs.writeFile(path.join(RESULTS, section.svgFile), chart);
    await fs.writeFile(path.join(RESULTS, `${section.workload.id}.md`), `${workloadSection(section, contenders, capMs)}\n`);
  }
  const durationMs = performance.now() - started;
  await fs.writeFile(
    path.join(RESULTS, 'latest.md'),
    latestDocument({ machine: host, settings, sections, contenders, capMs, overhead, scale, checks, pacing: paced.results, durationMs }),
  );
  await fs.writeFile(
    path.join(RESULTS, 'latest.json'),
    `${JSON.stringify(
      {
        machine: host,
        runs: runs.map(({ workload, contender, metrics }) => ({ workload, contender, metrics })),
        pacing: paced.results.map(({ workload, runs: pacedRuns, ...summary }) => ({
          workload: { id: workload.id, title: workload.title, server: workload.server, delay: workload.delay, tokens: workload.tokens, target: workload.target },
          ...summary,
          runs: pacedRuns,
        })),
        overhead,
        scale,
        checks,
      },
      null,
      2,
    )}\n`,
  );

  for (const section of sections) {
    console.log(`\n${section.workload.id} (ideal ${seconds(section.ideal.ms)})\n${workloadTable(section, contenders, capMs)}`);
  }
  console.log(`\nOverhead\n${overheadTable(overhead)}\n\nScale\n${scaleTables(scale)}`);
  console.log(`\nTargets for axios-rate-guard\n${targetLines(checks).join('\n')}`);
  await serversReadme(host, onServers);
  const region = latestReadmeRegion({ machine: host, sections, contenders, pacing: paced.results, overhead, scale, checks, durationMs });
  const written = await writeRegion(README, 'latest', region);
  console.log(written ? "Rewrote the README's bench:latest region" : 'README.md has no bench:latest markers: left unchanged');
  console.log(
    `\nWrote ${path.relative(process.cwd(), RESULTS)}/latest.md, latest.json, pacing.md, learning.md, learning.json, servers.md, servers.json, ` +
      `servers-*.svg, <workload>.md and <workload>.svg · ${seconds(durationMs)}`,
  );
}

main().then(
  // Contenders cut off at the cap may leave retry timers behind; they must not keep the bench alive.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
