// What the benchmarks measure besides latency: medians of rounds, a process's memory and
// CPU from /proc, load from a worker thread while the main thread measures, and a serving
// certificate for the servers they start, and the `vaultgate serve` process itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { issueServingMaterial } from '../../src/tls/provision.js';

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** Resident memory of a process in MiB, now (VmRSS) and at its peak (VmHWM). */
export async function residentMemory(pid: number | undefined): Promise<{ rssMiB: number; peakRssMiB: number } | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return status ? { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 } : undefined;
}

/** User plus system CPU time a process has used, in seconds. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

/**
 * Runs a load script (dist/test/bench/<script>.js) in a worker thread until stopped, so its
 * requests do not share an event loop with the measurements; `stop` returns how long each
 * of its requests took.
 */
export function backgroundLoad(repoRoot: string, script: string, workerData: unknown): { stop: () => Promise<number[]> } {
  const worker = new Worker(join(repoRoot, `dist/test/bench/${script}.js`), { workerData });
  const result = new Promise<number[]>((resolve, reject) => {
    worker.once('message', (durations: number[]) => resolve(durations));
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      worker.postMessage('stop');
      const durations = await result;
      await worker.terminate();
      return durations;
    },
  };
}

/** A fresh CA and serving certificate for 127.0.0.1, written to `dir` as bench.crt/bench.key. */
export async function writeServingFiles(dir: string): Promise<{ certFile: string; keyFile: string; ca: string }> {
  const tls = issueServingMaterial(undefined, ['localhost'], ['127.0.0.1']);
  const certFile = join(dir, 'bench.crt');
  const keyFile = join(dir, 'bench.key');
  await writeFile(certFile, tls.cert);
  await writeFile(keyFile, tls.key);
  return { certFile, keyFile, ca: tls.ca };
}

/**
 * `vaultgate serve` as the benchmarks start it: the real CLI on loopback with mounted
 * certificate files, its output discarded but its errors shown; BENCH_CPU_PROF=<dir>
 * writes a CPU profile of it.
 */
export function spawnServe(repoRoot: string, options: { kubeconfig: string; port: number; certFile: string; keyFile: string; flags: string[] }): ChildProcess {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const args = [
    ...profile,
    join(repoRoot, 'dist/src/cli/main.js'),
    'serve',
    `--kubeconfig=${options.kubeconfig}`,
    '--host=127.0.0.1',
    `--port=${options.port}`,
    `--tls-cert-file=${options.certFile}`,
    `--tls-key-file=${options.keyFile}`,
    ...options.flags,
  ];
  return spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A benchmark's figures as JSON in .cache/bench/<file> (BENCH_OUT: another directory, e.g. when worktrees share one .cache). */
export async function writeReport(repoRoot: string, file: string, report: unknown): Promise<void> {
  const out = process.env.BENCH_OUT ?? join(repoRoot, '.cache/bench');
  await mkdir(out, { recursive: true });
  await writeFile(join(out, file), `${JSON.stringify(report, null, 2)}\n`);
}
