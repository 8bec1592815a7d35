// Worker thread of the dry-run benchmark: posts one large dry-run body after another until
// told to stop, and reports how long each took. It runs apart from the thread that measures
// small admissions, so sending and reading megabytes here never delays that measurement.
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'node:https';

interface Stream {
  url: string;
  ca: string;
  token: string;
  body: string;
}

const target = workerData as Stream;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function post(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      target.url,
      { method: 'POST', agent, ca: target.ca, headers: { 'content-type': 'application/yaml', authorization: `Bearer ${target.token}`, 'content-length': Buffer.byteLength(target.body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(target.body);
  });
}

let stopped = false;
parentPort?.on('message', () => (stopped = true));
const durations: number[] = [];
while (!stopped) {
  const started = performance.now();
  const status = await post().catch(() => 0);
  if (status === 200) durations.push(performance.now() - started);
  await new Promise((resolve) => setImmediate(resolve));
}
agent.destroy();
parentPort?.postMessage(durations);
