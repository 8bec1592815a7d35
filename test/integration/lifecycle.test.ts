// vaultgate's production lifecycle against the real stack, with the real CLI processes
// (`vaultgate serve`, the ServiceAccount identity of manifests/rbac.yaml, self-managed TLS
// registered through the webhook configurations it patches itself): certificates renewed
// every few seconds and a CA rotated while ExternalSecrets are created in a loop, a deleted
// Secret and a corrupted caBundle repaired, replicas stopped gracefully or killed behind a
// round-robin proxy, and mounted certificates reloaded.
import { connect } from 'node:tls';
import { request } from 'node:https';
import { mkdtemp, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { generateCertificateAuthority } from '../../src/tls/certificates.js';
import { certificateFacts, splitPemCertificates } from '../../src/tls/inspect.js';
import { issueServingMaterial } from '../../src/tls/provision.js';
import { seedTokenStore } from '../env/fixtures.js';
import { freePort, waitFor } from '../env/processes.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../env/proxy.js';
import { startStack, type Stack } from '../env/stack.js';
import { VAULTGATE_NAMESPACE, WEBHOOK_CONFIGURATION } from '../env/vaultgate.js';
import { registeredCaBundle, registerWebhooks, startVaultgateProcess, TLS_SECRET, type VaultgateProcess } from '../env/vaultgateProcess.js';

// Real lifetimes take real time (renewals, two 40 s CAs, a 15 s Lease expiry): about two
// minutes on 2 shared cores, so more than the suite's default per-file timeout of 300 s
// allows for on a loaded machine.
t.setTimeout(900_000);

let stack: Stack;
const running = new Set<VaultgateProcess>();
let proxy: RoundRobinProxy | undefined;

t.before(async () => {
  stack = await startStack();
  await seedTokenStore(stack);
});

t.teardown(async () => {
  for (const vaultgate of running) await vaultgate.stop(5000);
  await proxy?.close();
  await stack?.stop();
});

async function start(options: Parameters<typeof startVaultgateProcess>[1] = {}): Promise<VaultgateProcess> {
  const vaultgate = await startVaultgateProcess(stack, options);
  running.add(vaultgate);
  return vaultgate;
}

async function stop(vaultgate: VaultgateProcess): Promise<void> {
  await vaultgate.stop();
  running.delete(vaultgate);
}

/** Deletes what a previous scenario left (Secret, Leases), with no vaultgate running. */
async function forgetTls(): Promise<void> {
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  await core.deleteNamespacedSecret({ name: TLS_SECRET, namespace: VAULTGATE_NAMESPACE }).catch(() => undefined);
  const coordination = stack.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  await coordination.deleteCollectionNamespacedLease({ namespace: VAULTGATE_NAMESPACE }).catch(() => undefined);
}

let created = 0;
const externalSecret = (name: string) => `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: db}
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: vault-backend}
  data:
    - secretKey: POSTGRES_USER
      remoteRef: {key: postgres-secret, property: POSTGRES_USER}
`;

interface Stream {
  stop(): Promise<{ created: number; failures: string[] }>;
  created(): number;
}

/** `kubectl create`s valid ExternalSecrets back to back (each one fully judged), until stopped. */
function createInLoop(streams = 2): Stream {
  let stopped = false;
  let count = 0;
  const failures: string[] = [];
  const loops = Array.from({ length: streams }, async () => {
    while (!stopped) {
      const result = await stack.kubectl(['create', '-f', '-'], externalSecret(`loop-${++created}`));
      if (result.code === 0) count++;
      else failures.push(result.stderr.trim());
    }
  });
  return {
    created: () => count,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return { created: count, failures };
    },
  };
}

/** The fingerprint of the certificate a fresh TLS connection to the port is served. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on('error', reject);
  });
}

function httpsText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

async function metric(vaultgate: VaultgateProcess, name: string): Promise<number> {
  const text = await httpsText(`${vaultgate.url}/metrics`, await registeredCaBundle(stack));
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

async function tlsSecret(): Promise<{ caBundle: string; cert: string } | undefined> {
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const secret = await core.readNamespacedSecret({ name: TLS_SECRET, namespace: VAULTGATE_NAMESPACE }).catch(() => undefined);
  const decode = (key: string) => Buffer.from(secret?.data?.[key] ?? '', 'base64').toString('utf8');
  return secret ? { caBundle: decode('ca.crt'), cert: decode('tls.crt') } : undefined;
}

async function leaseHolder(): Promise<string> {
  const coordination = stack.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  const lease = await coordination.readNamespacedLease({ name: TLS_SECRET, namespace: VAULTGATE_NAMESPACE });
  return lease.spec?.holderIdentity ?? '';
}

t.test('(a) serving certificates that live 6 s, renewed across many renewals: zero failed admissions, no restart', async (t) => {
  await forgetTls();
  const port = await freePort();
  await registerWebhooks(stack, `https://127.0.0.1:${port}`);
  const vaultgate = await start({ port, name: 'renewals', args: ['--tls-serving-validity=6s', '--tls-renew-remaining=0.5'] });
  const pid = vaultgate.process.pid;
  const stream = createInLoop();
  const seen = new Set<string>();
  await waitFor('five served certificates (four renewals)', async () => {
    seen.add(await servedFingerprint(port));
    return seen.size >= 5 ? true : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250, process: vaultgate.process });
  // Keep creating until the apiserver has gone through the last renewal too.
  const target = stream.created() + 10;
  await waitFor('ten more admissions', async () => (stream.created() >= target ? true : undefined), { timeoutMs: 60_000 });
  const { created: count, failures } = await stream.stop();
  t.same(failures, [], 'no TLS or admission failure');
  t.ok(count >= 20, `${count} ExternalSecrets created across the renewals`);
  t.ok(seen.size >= 5, `${seen.size} distinct certificates served`);
  const reloads = await metric(vaultgate, 'vaultgate_tls_certificate_reloads_total');
  t.ok(reloads >= 4, `${reloads} certificate reloads in the running process`);
  t.equal(vaultgate.process.pid, pid, 'same process throughout');
  t.ok(vaultgate.process.running, 'still running');
  t.comment(`renewals: ${reloads} reloads, ${seen.size} certificates seen, ${count} creates, ${failures.length} failures`);
  await stop(vaultgate);
  t.same(vaultgate.process.exitStatus, { code: 0, signal: null }, 'SIGTERM ends it cleanly');
});

t.test('(b) two CA rotations with two replicas behind a proxy: admissions work throughout', async (t) => {
  await forgetTls();
  const ports = [await freePort(), await freePort()];
  proxy = await startRoundRobinProxy(ports);
  await registerWebhooks(stack, proxy.url);
  const args = ['--tls-ca-validity=40s', '--tls-serving-validity=12s', '--tls-renew-remaining=0.5'];
  const replicas = [await start({ port: ports[0], name: 'rotate-a', args }), await start({ port: ports[1], name: 'rotate-b', args })];
  const pids = replicas.map((r) => r.process.pid);
  const firstCa = certificateFacts((await registeredCaBundle(stack)))!.fingerprint;
  const stream = createInLoop();
  const bundles: string[][] = [];
  await waitFor('two completed CA rotations', async () => {
    const fingerprints = splitPemCertificates(await registeredCaBundle(stack)).map((pem) => certificateFacts(pem)!.fingerprint);
    if (JSON.stringify(bundles[bundles.length - 1]) !== JSON.stringify(fingerprints)) bundles.push(fingerprints);
    const singles = new Set(bundles.filter((b) => b.length === 1).map((b) => b[0]));
    return singles.size >= 3 ? true : undefined;
  }, { timeoutMs: 180_000, intervalMs: 200 });
  const { created: count, failures } = await stream.stop();
  t.same(failures, [], 'no failed admission while CAs rotated');
  t.ok(count >= 20, `${count} ExternalSecrets created during the rotations`);
  t.equal(bundles[0]?.[0], firstCa, 'started from the first CA');
  const overlaps = bundles.filter((b) => b.length === 2);
  t.ok(overlaps.length >= 2, 'each rotation went through a bundle holding the new and the old CA');
  for (const overlap of overlaps) {
    const i = bundles.indexOf(overlap);
    t.equal(bundles[i + 1]?.length, 1, 'the overlap ends with the new CA alone');
    t.equal(bundles[i + 1]?.[0], overlap[0], 'the new CA (first in the overlap) is the one kept');
  }
  t.same(replicas.map((r) => r.process.pid), pids, 'no replica restarted');
  t.ok(proxy.relayed.every((n) => n > 0), `both replicas took connections (${proxy.relayed.join(', ')})`);
  t.comment(`CA rotations: bundles in order ${bundles.map((b) => b.length).join(' ')}; ${count} creates, ${failures.length} failures`);
  for (const replica of replicas) await stop(replica);
  await proxy.close();
  proxy = undefined;
});

let pair: VaultgateProcess[] = [];
let pairPorts: number[] = [];

t.test('(c) a deleted TLS Secret and a corrupted caBundle are repaired', async (t) => {
  await forgetTls();
  pairPorts = [await freePort(), await freePort()];
  proxy = await startRoundRobinProxy(pairPorts);
  await registerWebhooks(stack, proxy.url);
  // A short shutdown delay: the proxy does not look at readiness, so the delay only has to cover keep-alive draining.
  const args = ['--shutdown-delay=1000'];
  pair = [await start({ port: pairPorts[0], name: 'pair-a', args }), await start({ port: pairPorts[1], name: 'pair-b', args })];
  const original = await tlsSecret();
  t.ok(original?.caBundle, 'the leader created the Secret');
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);

  const stream = createInLoop(1);
  await core.deleteNamespacedSecret({ name: TLS_SECRET, namespace: VAULTGATE_NAMESPACE });
  const restored = await waitFor('the Secret back', async () => tlsSecret(), { timeoutMs: 30_000 });
  t.equal(restored.caBundle, original?.caBundle, 'put back with the same CA');
  t.equal(restored.cert, original?.cert, 'and the same serving certificate, so nothing changes for the apiserver');

  await core.replaceNamespacedSecret({
    name: TLS_SECRET,
    namespace: VAULTGATE_NAMESPACE,
    body: { metadata: { name: TLS_SECRET, namespace: VAULTGATE_NAMESPACE }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'garbage', 'tls.key': 'garbage', 'ca.crt': 'garbage' } },
  });
  await waitFor('the overwritten Secret put back', async () => ((await tlsSecret())?.cert === original?.cert ? true : undefined), { timeoutMs: 30_000 });
  const during = await stream.stop();
  t.same(during.failures, [], 'no admission failed while the Secret was deleted and overwritten');

  const registrations = async () => (await metric(pair[0]!, 'vaultgate_tls_ca_bundle_registrations_total')) + (await metric(pair[1]!, 'vaultgate_tls_ca_bundle_registrations_total'));
  const before = await registrations();
  // Someone else rewrites caBundle: with another CA on the validating webhook, with bytes that are no PEM on the mutating one.
  const admission = stack.kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
  const options = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
  const stranger = Buffer.from(generateCertificateAuthority('someone-else').cert).toString('base64');
  await admission.patchValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION, body: [{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: stranger }] }, options);
  await admission.patchMutatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION, body: [{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: Buffer.from('not a certificate').toString('base64') }] }, options);
  await waitFor('caBundle put back on both webhooks', async () => {
    const [validating, mutating] = await Promise.all([
      admission.readValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION }),
      admission.readMutatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION }),
    ]);
    const expected = Buffer.from(original?.caBundle ?? '').toString('base64');
    return validating.webhooks?.[0]?.clientConfig.caBundle === expected && mutating.webhooks?.[0]?.clientConfig.caBundle === expected ? true : undefined;
  }, { timeoutMs: 30_000 });
  const repairs = (await registrations()) - before;
  t.ok(repairs >= 2, `the leader set caBundle again on ${repairs} webhook entries`);
  // The apiserver may take a moment to load the repaired configurations; then admission works again.
  await waitFor('admission works again', async () => ((await stack.kubectl(['create', '-f', '-'], externalSecret(`after-repair-${++created}`))).code === 0 ? true : undefined), { timeoutMs: 30_000 });
  t.pass('an ExternalSecret is admitted after the repair');
});

t.test('(e) two replicas behind a round-robin proxy: one stopped gracefully, then one killed, during a stream of creates', async (t) => {
  t.equal(pair.length, 2, 'the pair from (c) is running');
  const [a, b] = pair as [VaultgateProcess, VaultgateProcess];
  const identityOf = (name: string) => (holder: string) => holder.startsWith(`${name}-`);

  // Graceful: SIGTERM the leader while creates stream through the proxy.
  const leader = identityOf(a.name)(await leaseHolder()) ? a : b;
  const other = leader === a ? b : a;
  let stream = createInLoop();
  await waitFor('creates flowing', async () => (stream.created() >= 5 ? true : undefined), { timeoutMs: 60_000 });
  await stop(leader);
  t.same(leader.process.exitStatus, { code: 0, signal: null }, 'the stopped replica exited cleanly');
  const afterStop = stream.created() + 5;
  await waitFor('creates still flowing', async () => (stream.created() >= afterStop ? true : undefined), { timeoutMs: 60_000 });
  await waitFor('the other replica leads within a retry period, not a lease duration', async () => (identityOf(other.name)(await leaseHolder()) ? true : undefined), { timeoutMs: 10_000 });
  const graceful = await stream.stop();
  t.same(graceful.failures, [], `no create failed across the graceful stop (${graceful.created} created)`);

  // Harsh: a new replica in place of the stopped one, then SIGKILL the leader mid-stream.
  const index = pair.indexOf(leader);
  const replacement = await start({ port: pairPorts[index], name: `${leader.name}-2`, args: ['--shutdown-delay=1000'] });
  pair[index] = replacement;
  stream = createInLoop();
  await waitFor('creates flowing', async () => (stream.created() >= 5 ? true : undefined), { timeoutMs: 60_000 });
  other.process.signal('SIGKILL');
  await other.process.waitExit();
  running.delete(other);
  const afterKill = stream.created() + 5;
  await waitFor('creates flowing after the kill', async () => (stream.created() >= afterKill ? true : undefined), { timeoutMs: 60_000 });
  // The killed leader cannot release its Lease: the survivor takes over once it expires (15 s).
  await waitFor('the survivor leads once the Lease expires', async () => (identityOf(replacement.name)(await leaseHolder()) ? true : undefined), { timeoutMs: 40_000 });
  const harsh = await stream.stop();
  // Only a request already sent to the killed process can fail (the apiserver does not
  // retry a webhook POST whose connection was reset): at most one per stream.
  t.ok(harsh.failures.length <= 2, `${harsh.failures.length} of ${harsh.created + harsh.failures.length} creates failed across the kill`);
  for (const failure of harsh.failures) {
    t.match(failure, /failed calling webhook/, 'a failure is a connection cut by the kill');
    t.notMatch(failure, /x509|certificate|denied the request/, 'never TLS trust or a denial');
  }
  t.comment(`kill: ${harsh.failures.length} failed of ${harsh.created + harsh.failures.length}: ${harsh.failures.join(' | ') || 'none'}`);
  t.comment(`graceful stop: ${graceful.failures.length} failed of ${graceful.created}`);
  const ok = await stack.kubectl(['create', '-f', '-'], externalSecret(`after-kill-${++created}`));
  t.equal(ok.code, 0, `the survivor admits alone: ${ok.stderr}`);
  for (const replica of pair) if (running.has(replica)) await stop(replica);
  await proxy?.close();
  proxy = undefined;
});

t.test('mounted certificates: reloaded when the volume changes, caBundle left alone', async (t) => {
  const dir = await mkdtemp(join(stack.dir, 'mounted-'));
  const ca = generateCertificateAuthority('mounted-test-ca');
  const volume = async (generation: string) => {
    const material = issueServingMaterial(ca, ['localhost'], ['127.0.0.1']);
    await mkdir(join(dir, `..${generation}`));
    await writeFile(join(dir, `..${generation}`, 'tls.crt'), material.cert);
    await writeFile(join(dir, `..${generation}`, 'tls.key'), material.key);
    await symlink(`..${generation}`, join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    return certificateFacts(material.cert)!.fingerprint;
  };
  const first = await volume('1');
  await symlink('..data/tls.crt', join(dir, 'tls.crt'));
  await symlink('..data/tls.key', join(dir, 'tls.key'));
  const port = await freePort();
  await registerWebhooks(stack, `https://127.0.0.1:${port}`, ca.cert);
  const vaultgate = await start({ port, name: 'mounted', mounted: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') }, trust: ca.cert });
  t.equal(await servedFingerprint(port), first);
  const second = await volume('2');
  await waitFor('the new certificate served', async () => ((await servedFingerprint(port)) === second ? true : undefined), { timeoutMs: 30_000, process: vaultgate.process });
  t.pass('the mounted certificate was reloaded without a restart');
  t.equal(await registeredCaBundle(stack), ca.cert, 'caBundle is what the harness registered');
  const result = await stack.kubectl(['create', '-f', '-'], externalSecret(`mounted-${++created}`));
  t.equal(result.code, 0, result.stderr);
  await stop(vaultgate);
});
