// Serving a changing certificate, on loopback without a cluster: the HTTPS app swaps its
// certificate in place and moves keep-alive clients to it (Connection: close on their next
// response), draining does the same for every connection, and mounted files are reloaded
// when Kubernetes swaps the `..data` symlink of a Secret volume.
import { mkdtemp, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildApp, drainConnections, reloadTls } from '../../src/http/app.js';
import { Metrics } from '../../src/metrics/registry.js';
import { silentLogger } from '../../src/log.js';
import { certificateFacts } from '../../src/tls/inspect.js';
import type { ServingPair } from '../../src/tls/material.js';
import { watchMountedPair } from '../../src/tls/mounted.js';
import { issueServingMaterial } from '../../src/tls/provision.js';
import { generateCertificateAuthority } from '../../src/tls/certificates.js';

const ca = generateCertificateAuthority('tls-serving-test-ca');
const pair = () => {
  const material = issueServingMaterial(ca, ['localhost'], ['127.0.0.1']);
  return { cert: material.cert, key: material.key };
};
const fingerprint = (p: ServingPair) => certificateFacts(p.cert)!.fingerprint;

function get(url: string, agent: Agent): Promise<{ fingerprint: string; connection: string | undefined; status: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, ca: ca.cert }, (res) => {
      const socket = res.socket as TLSSocket;
      const peer = socket.getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ fingerprint: peer, connection: res.headers.connection, status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('a reloaded certificate reaches keep-alive clients on their next connection, announced by Connection: close', async (t) => {
  const first = pair();
  const app = buildApp({
    evaluator: { evaluate: async () => { throw new Error('unused'); }, evaluateWith: async () => { throw new Error('unused'); } },
    metrics: new Metrics({ defaultMetrics: false }),
    failureMode: 'closed',
    tls: first,
    readiness: async () => [],
    logLevel: 'silent',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const address = app.server.address();
  const url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/healthz`;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());

  const before = await get(url, agent);
  t.equal(before.fingerprint, fingerprint(first));
  t.equal(before.connection, 'keep-alive');

  const second = pair();
  reloadTls(app, second);
  const onOldConnection = await get(url, agent);
  t.equal(onOldConnection.status, 200, 'the request on the old connection is answered');
  t.equal(onOldConnection.fingerprint, fingerprint(first), 'on the connection made with the old certificate');
  t.equal(onOldConnection.connection, 'close', 'which is then closed');
  const after = await get(url, agent);
  t.equal(after.fingerprint, fingerprint(second), 'the next connection gets the new certificate');
  t.equal(after.connection, 'keep-alive', 'and is kept');

  drainConnections(app);
  const draining = await get(url, agent);
  t.equal(draining.status, 200, 'while draining, requests are still answered');
  t.equal(draining.connection, 'close', 'and every connection closes after its response');
});

/** A Secret volume as the kubelet lays it out: files are symlinks through `..data` to a timestamped directory. */
async function secretVolume(dir: string, generation: string, files: ServingPair): Promise<void> {
  const target = join(dir, `..${generation}`);
  await mkdir(target);
  await writeFile(join(target, 'tls.crt'), files.cert);
  await writeFile(join(target, 'tls.key'), files.key);
  await symlink(`..${generation}`, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
}

t.test('mounted files are reloaded when the volume swaps its ..data symlink, and a broken pair is never served', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vaultgate-mounted-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const first = pair();
  await secretVolume(dir, '2030_01_01_00_00_00.1', first);
  await symlink('..data/tls.crt', join(dir, 'tls.crt'));
  await symlink('..data/tls.key', join(dir, 'tls.key'));
  const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };

  const changes: ServingPair[] = [];
  let notify: () => void = () => undefined;
  let warned: (message: string) => void = () => undefined;
  const log = { ...silentLogger, warn: (_obj: object, message?: string) => warned(message ?? '') };
  const watch = watchMountedPair(files, first, (p) => {
    changes.push(p);
    notify();
  }, log);
  t.teardown(() => watch.stop());
  const nextChange = () => new Promise<void>((resolve) => (notify = resolve));

  const second = pair();
  let changed = nextChange();
  await secretVolume(dir, '2030_01_02_00_00_00.2', second);
  await changed;
  t.equal(fingerprint(changes[0]!), fingerprint(second), 'the symlink swap is seen and the new pair served');

  // A half-written update (new certificate, old key) is read and refused; the complete one then is served.
  const third = pair();
  const refused = new Promise<string>((resolve) => (warned = resolve));
  await secretVolume(dir, '2030_01_03_00_00_00.3', { cert: third.cert, key: second.key });
  t.match(await refused, 'do not form a valid pair');
  changed = nextChange();
  await secretVolume(dir, '2030_01_03_00_00_01.4', third);
  await changed;
  t.equal(changes.length, 2);
  t.equal(fingerprint(changes[1]!), fingerprint(third), 'the mismatched pair was skipped');

  // Files edited in place (make certs regenerating them) count too.
  const fourth = pair();
  changed = nextChange();
  await rm(files.certFile);
  await rm(files.keyFile);
  await writeFile(files.keyFile, fourth.key);
  await writeFile(files.certFile, fourth.cert);
  await changed;
  t.equal(fingerprint(changes[changes.length - 1]!), fingerprint(fourth));
});
