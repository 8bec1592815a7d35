// A small HTTPS load generator with sub-millisecond latency measurement: closed-loop
// throughput (N connections back to back) and open-loop fixed rate (requests scheduled
// on a clock, latency measured from the scheduled send time, so queueing counts).
import { Agent, request } from 'node:https';

export interface Target {
  url: string;
  ca: string;
  body: string;
}

export function send(agent: Agent, target: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      target.url,
      { method: 'POST', agent, ca: target.ca, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(target.body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(target.body);
  });
}

export async function throughput(target: Target, connections: number, durationMs: number): Promise<{ rps: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let done = 0;
  let errors = 0;
  const end = performance.now() + durationMs;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const status = await send(agent, target).catch(() => 0);
        if (status === 200) done++;
        else errors++;
      }
    }),
  );
  agent.destroy();
  return { rps: (done / durationMs) * 1000, errors };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function fixedRate(target: Target, rate: number, durationMs: number): Promise<{ p50: number; p99: number; max: number; errors: number; sent: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const latencies: number[] = [];
  let errors = 0;
  const interval = 1000 / rate;
  const start = performance.now();
  const total = Math.floor((durationMs / 1000) * rate);
  const inflight: Promise<void>[] = [];
  // Warm the pool so connection setup is not measured as request latency.
  await Promise.all(Array.from({ length: 8 }, () => send(agent, target).catch(() => 0)));
  const begin = performance.now();
  for (let i = 0; i < total; i++) {
    const scheduled = begin + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait - 0.5));
    // Yield (rather than spin) until the send time, so responses keep being read.
    while (performance.now() < scheduled) await new Promise((r) => setImmediate(r));
    inflight.push(
      send(agent, target).then(
        (status) => {
          if (status === 200) latencies.push(performance.now() - scheduled);
          else errors++;
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inflight);
  agent.destroy();
  void start;
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN, errors, sent: total };
}
