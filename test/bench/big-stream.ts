// Worker thread of the admission benchmark: sends one big AdmissionReview after another on
// one connection until told to stop, and reports how long each took. It runs apart from
// the thread that measures small requests, so writing megabytes through TLS here never
// delays (and never inflates) that measurement.
import { parentPort, workerData } from 'node:worker_threads';
import { Agent } from 'node:https';
import { send, type Target } from './load.js';

const target = workerData as Target;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let stopped = false;
parentPort?.on('message', () => (stopped = true));
const durations: number[] = [];
while (!stopped) {
  const started = performance.now();
  const status = await send(agent, target).catch(() => 0);
  if (status === 200) durations.push(performance.now() - started);
  // Let the stop message in between requests.
  await new Promise((resolve) => setImmediate(resolve));
}
agent.destroy();
parentPort?.postMessage(durations);
