// Warm-cache admission benchmark: vaultgate (the real CLI, real stack) against a bare
// fastify server that parses the same AdmissionReview and allows it, measured in one run
// with the same load generator. Reports medians over rounds and vaultgate/bare ratios.
// Goal: throughput ratio >= 0.8 and p99 <= 2 ms at 500 requests/s.
// Then the noisy neighbour: the p99 of small ExternalSecrets at a fixed rate while 1 MB
// ones (the largest the apiserver stores) are decided back to back, against the same rate
// with no big objects, in the same run: once with a 1 MB object inside the limits (1,000
// entries) and once with one far over them (20,000 entries, refused by its size).
// Last, vaultgate's resident memory (current and peak, from /proc) after all of that: what
// the Deployment's memory request and limit are sized from.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { join } from 'node:path';
import { seedTokenStore } from '../env/fixtures.js';
import { freePort, waitFor } from '../env/processes.js';
import { repoRoot, startStack } from '../env/stack.js';
import { fixedRate, throughput, type Target } from './load.js';
import { backgroundLoad, median, residentMemory, spawnServe, writeReport, writeServingFiles } from './measure.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATE = 500;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);


function get(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An AdmissionReview of about 1 MB: `entries` data entries, their properties padded to fill it. */
function bigReview(uid: string, entries: number): string {
  const base = JSON.parse(review(uid)) as { request: { object: { spec: { data: unknown[] } } } };
  const entry = (i: number, property: string) => ({ secretKey: `k${i}`, remoteRef: { key: 'postgres-secret', property } });
  const bare = JSON.stringify(entry(0, '')).length + 1;
  const pad = Math.max(0, Math.floor(1_000_000 / entries) - bare);
  // Half the entries name a real property, half a long one that does not exist: the whole object is judged.
  base.request.object.spec.data = Array.from({ length: entries }, (_, i) => entry(i, i % 2 === 0 ? 'POSTGRES_USER' : `P${i}`.padEnd(pad, 'x')));
  return JSON.stringify(base);
}

function review(uid: string): string {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: 'external-secrets.io', version: 'v1', kind: 'ExternalSecret' },
      resource: { group: 'external-secrets.io', version: 'v1', resource: 'externalsecrets' },
      operation: 'CREATE',
      namespace: 'db',
      name: 'postgres-secret',
      dryRun: false,
      object: {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: 'postgres-secret', namespace: 'db' },
        spec: {
          refreshInterval: '1h',
          secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' },
          target: { name: 'postgres-secret', creationPolicy: 'Owner', deletionPolicy: 'Retain' },
          data: [
            { secretKey: 'POSTGRES_USER', remoteRef: { key: 'postgres-secret', property: 'POSTGRES_USER' } },
            { secretKey: 'POSTGRES_PASSWORD', remoteRef: { key: 'postgres-secret', property: 'POSTGRES_PASSWORD' } },
          ],
        },
      },
    },
  });
}

const NEIGHBOUR_RATE = 200;

async function noisyNeighbour(small: Target) {
  const bigs = { '1 MB, 1,000 entries': bigReview('big', 1000), '1 MB, 20,000 entries': bigReview('huge', 20_000) };
  const alone = { p50: [] as number[], p99: [] as number[], errors: 0 };
  const beside: Record<string, { p50: number[]; p99: number[]; errors: number; decided: number[] }> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const quiet = await fixedRate(small, NEIGHBOUR_RATE, SECONDS * 1000);
    alone.p50.push(quiet.p50);
    alone.p99.push(quiet.p99);
    alone.errors += quiet.errors;
    for (const [name, body] of Object.entries(bigs)) {
      const entry = (beside[name] ??= { p50: [], p99: [], errors: 0, decided: [] });
      const stream = backgroundLoad(repoRoot, 'big-stream', { ...small, body });
      const loud = await fixedRate(small, NEIGHBOUR_RATE, SECONDS * 1000);
      const durations = await stream.stop();
      entry.p50.push(loud.p50);
      entry.p99.push(loud.p99);
      entry.errors += loud.errors;
      entry.decided.push(...durations);
    }
  }
  return {
    rateRps: NEIGHBOUR_RATE,
    alone: { p50Ms: median(alone.p50), p99Ms: median(alone.p99), errors: alone.errors },
    beside: Object.fromEntries(
      Object.entries(beside).map(([name, r]) => [name, { p50Ms: median(r.p50), p99Ms: median(r.p99), errors: r.errors, bigDecided: r.decided.length, bigMedianMs: median(r.decided) }]),
    ),
  };
}

async function main(): Promise<void> {
  const stack = await startStack();
  const children: ChildProcess[] = [];
  try {
    await seedTokenStore(stack);
    const tls = await writeServingFiles(stack.dir);
    const { certFile, keyFile } = tls;
    const [vaultgatePort, barePort] = [await freePort(), await freePort()];
    const start = (args: string[]) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      return child;
    };
    const vaultgateProcess = spawnServe(repoRoot, {
      kubeconfig: stack.kubeconfigPath,
      port: vaultgatePort,
      certFile,
      keyFile,
      // Warm cache for the whole measurement: the benchmark measures the decision path,
      // not Vault's own latency (cold-cache cost is one Vault round trip per path).
      flags: ['--vault-cache-ttl=600000', '--log-level=warn'],
    });
    children.push(vaultgateProcess);
    start([join(repoRoot, 'dist/test/bench/bare-server.js'), String(barePort), certFile, keyFile]);
    const targets: Record<'vaultgate' | 'bare', Target> = {
      vaultgate: { url: `https://127.0.0.1:${vaultgatePort}/validate`, ca: tls.ca, body: review('bench') },
      bare: { url: `https://127.0.0.1:${barePort}/validate`, ca: tls.ca, body: review('bench') },
    };
    await waitFor('vaultgate ready', async () => ((await get(`https://127.0.0.1:${vaultgatePort}/readyz`, tls.ca)) === 200 ? true : undefined), { timeoutMs: 30_000 });
    await waitFor('bare server up', async () => ((await get(`https://127.0.0.1:${barePort}/healthz`, tls.ca)) === 200 ? true : undefined), { timeoutMs: 30_000 });
    // Warm up both (JIT, caches, connections) and check vaultgate really allows.
    for (const target of Object.values(targets)) await throughput(target, CONNECTIONS, 2000);

    const results: Record<string, { rps: number[]; p50: number[]; p99: number[]; errors: number }> = {
      vaultgate: { rps: [], p50: [], p99: [], errors: 0 },
      bare: { rps: [], p50: [], p99: [], errors: 0 },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ['bare', 'vaultgate'] as const) {
        const t = await throughput(targets[name], CONNECTIONS, SECONDS * 1000);
        const l = await fixedRate(targets[name], RATE, SECONDS * 1000);
        const r = results[name]!;
        r.rps.push(t.rps);
        r.p50.push(l.p50);
        r.p99.push(l.p99);
        r.errors += t.errors + l.errors;
      }
    }
    const summary = Object.fromEntries(
      Object.entries(results).map(([name, r]) => [name, { throughputRps: median(r.rps), p50Ms: median(r.p50), p99Ms: median(r.p99), errors: r.errors }]),
    ) as Record<'vaultgate' | 'bare', { throughputRps: number; p50Ms: number; p99Ms: number; errors: number }>;
    const ratio = summary.vaultgate.throughputRps / summary.bare.throughputRps;
    const smallOnlyMemory = await residentMemory(vaultgateProcess.pid);
    const neighbour = await noisyNeighbour(targets.vaultgate);
    const memory = await residentMemory(vaultgateProcess.pid);
    const report = {
      date: new Date().toISOString(),
      rounds: ROUNDS,
      secondsPerMeasurement: SECONDS,
      connections: CONNECTIONS,
      fixedRateRps: RATE,
      ...summary,
      throughputRatio: ratio,
      goals: { throughputRatioAtLeast: 0.8, p99AtMostMs: 2, met: ratio >= 0.8 && summary.vaultgate.p99Ms <= 2 },
      noisyNeighbour: neighbour,
      vaultgateMemory: { afterSmallObjects: smallOnlyMemory, afterBigObjects: memory },
    };
    const fmt = (n: number) => n.toFixed(2);
    console.log(`admission benchmark (medians of ${ROUNDS} rounds, ${SECONDS}s each, warm cache)`);
    console.log(`  bare fastify : ${summary.bare.throughputRps.toFixed(0)} req/s; at ${RATE} req/s p50 ${fmt(summary.bare.p50Ms)} ms, p99 ${fmt(summary.bare.p99Ms)} ms`);
    console.log(`  vaultgate    : ${summary.vaultgate.throughputRps.toFixed(0)} req/s; at ${RATE} req/s p50 ${fmt(summary.vaultgate.p50Ms)} ms, p99 ${fmt(summary.vaultgate.p99Ms)} ms`);
    console.log(`  throughput ratio vaultgate/bare: ${fmt(ratio)} (goal >= 0.8); p99 goal <= 2 ms: ${summary.vaultgate.p99Ms <= 2 ? 'met' : 'not met'}; errors ${summary.vaultgate.errors + summary.bare.errors}`);
    console.log(`noisy neighbour: small ExternalSecrets at ${NEIGHBOUR_RATE} req/s, medians of ${ROUNDS} rounds`);
    console.log(`  alone                      : p50 ${fmt(neighbour.alone.p50Ms)} ms, p99 ${fmt(neighbour.alone.p99Ms)} ms`);
    for (const [name, r] of Object.entries(neighbour.beside)) {
      console.log(`  beside ${name.padEnd(20)}: p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms (p99 ratio ${fmt(r.p99Ms / neighbour.alone.p99Ms)}); ${r.bigDecided} big decided, median ${fmt(r.bigMedianMs)} ms each; errors ${r.errors}`);
    }
    if (smallOnlyMemory) console.log(`vaultgate resident memory after the small-object runs: ${smallOnlyMemory.rssMiB.toFixed(0)} MiB now, ${smallOnlyMemory.peakRssMiB.toFixed(0)} MiB at peak`);
    if (memory) console.log(`vaultgate resident memory after the 1 MB objects too: ${memory.rssMiB.toFixed(0)} MiB now, ${memory.peakRssMiB.toFixed(0)} MiB at peak`);
    await writeReport(repoRoot, 'admission.json', report);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await stack.stop();
  }
}

await main();
