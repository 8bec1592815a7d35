// The reconciler under the failures a cluster has: the apiserver restarting under it (it
// resumes without a restart of its own and misses no change made meanwhile), and two
// replicas, one of them a real `vaultgate serve` process killed with SIGKILL (only one
// reconciles at a time; the other takes over once the Lease expires).
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { RunningServer } from '../../src/server.js';
import { issueServingMaterial } from '../../src/tls/provision.js';
import { seedTokenStore } from '../env/fixtures.js';
import { freePort, waitFor } from '../env/processes.js';
import { repoRoot, startStack, type Stack } from '../env/stack.js';
import { startVaultgate, VAULTGATE_NAMESPACE } from '../env/vaultgate.js';
import { vaultgateKubeconfigFile } from '../env/vaultgateProcess.js';

let stack: Stack;
let server: RunningServer | undefined;
let child: ChildProcess | undefined;
let core: k8s.CoreV1Api;
let coordination: k8s.CoordinationV1Api;

const LEASE = { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 1000 };

const externalSecret = (name: string, key = 'postgres-secret', property = 'POSTGRES_PASSWORD') => `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: db}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: ClusterSecretStore, name: vault-backend}
  data: [{secretKey: value, remoteRef: {key: ${key}, property: ${property}}}]
`;

async function secretValue(name: string): Promise<string | undefined> {
  const secret = await core.readNamespacedSecret({ namespace: 'db', name }).catch(() => undefined);
  return secret?.data?.value === undefined ? undefined : Buffer.from(secret.data.value, 'base64').toString('utf8');
}

async function holder(): Promise<string> {
  const lease = await coordination.readNamespacedLease({ namespace: VAULTGATE_NAMESPACE, name: 'vaultgate-reconciler' }).catch(() => undefined);
  return lease?.spec?.holderIdentity ?? '';
}

t.before(async () => {
  stack = await startStack();
  await seedTokenStore(stack);
  core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  coordination = stack.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
});

t.teardown(async () => {
  child?.kill('SIGKILL');
  await server?.close();
  await stack?.stop();
});

t.test('two replicas: the real process leads, is killed, the other takes over within the Lease duration', async (t) => {
  // Replica 1: the real CLI, with vaultgate's ServiceAccount identity from a kubeconfig file.
  const kubeconfigFile = await vaultgateKubeconfigFile(stack);
  const tls = issueServingMaterial(undefined, ['localhost'], ['127.0.0.1']);
  await writeFile(join(stack.dir, 'r1.crt'), tls.cert);
  await writeFile(join(stack.dir, 'r1.key'), tls.key);
  child = spawn(process.execPath, [
    join(repoRoot, 'dist/src/cli/main.js'), 'serve', `--kubeconfig=${kubeconfigFile}`, '--host=127.0.0.1', `--port=${await freePort()}`,
    `--tls-cert-file=${join(stack.dir, 'r1.crt')}`, `--tls-key-file=${join(stack.dir, 'r1.key')}`, `--namespace=${VAULTGATE_NAMESPACE}`,
    '--reconcile', '--controller-class=default', `--lease-duration=${LEASE.leaseDurationMs}`, `--lease-renew-deadline=${LEASE.renewDeadlineMs}`, `--lease-retry-period=${LEASE.retryPeriodMs}`, '--log-level=warn',
  ], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, POD_NAME: 'replica-process' } });
  await waitFor('the process holds the Lease', async () => ((await holder()).startsWith('replica-process') ? true : undefined), { timeoutMs: 30_000 });

  // Replica 2: in this process; it serves admission but must not reconcile while the other leads.
  server = await startVaultgate(stack, { reconciler: { controllerClass: 'default', leaseTiming: LEASE } });
  const applied = await stack.kubectl(['apply', '-f', '-'], externalSecret('while-one-leads'));
  t.equal(applied.code, 0, applied.stderr);
  await waitFor('synced by the leader', async () => ((await secretValue('while-one-leads')) ? true : undefined));
  t.equal(server.elector?.isLeader, false, 'the second replica does not lead');
  t.equal(server.reconciler?.queue.length ?? 0, 0, 'and reconciles nothing');

  const killedAt = Date.now();
  child.kill('SIGKILL');
  await waitFor('the second replica takes over', async () => (server?.elector?.isLeader ? true : undefined), { timeoutMs: 60_000 });
  const tookOver = Date.now() - killedAt;
  t.ok((await holder()).length > 0 && !(await holder()).startsWith('replica-process'), 'the Lease names the new leader');
  t.comment(`takeover ${tookOver} ms after SIGKILL (Lease duration ${LEASE.leaseDurationMs} ms, retry ${LEASE.retryPeriodMs} ms)`);
  const after = await stack.kubectl(['apply', '-f', '-'], externalSecret('after-takeover', 'app/config', 'url'));
  t.equal(after.code, 0, after.stderr);
  await stack.kubectl(['annotate', '-n', 'db', 'externalsecret', 'after-takeover', `force-sync=${Date.now()}`]);
  await waitFor('synced by the new leader', async () => ((await secretValue('after-takeover')) === 'https://example.test' ? true : undefined));
  t.pass('the new leader reconciles');
});

t.test('the apiserver restarts under the reconciler: it resumes on its own and misses no change', async (t) => {
  t.ok(server?.elector?.isLeader, 'this replica leads');
  await stack.restartApiserver(2000);
  // Meanwhile Vault changed, and right after the restart two changes are made.
  const result = await stack.bao(['kv', 'put', 'secret/postgres-secret', 'POSTGRES_USER=postgres', 'POSTGRES_PASSWORD=changed-while-down']);
  t.equal(result.code, 0, result.stderr);
  const annotate = await stack.kubectl(['annotate', '--overwrite', '-n', 'db', 'externalsecret', 'while-one-leads', `force-sync=${Date.now()}`]);
  t.equal(annotate.code, 0, annotate.stderr);
  const created = await stack.kubectl(['apply', '-f', '-'], externalSecret('after-restart'));
  t.equal(created.code, 0, created.stderr);
  const restartedAt = Date.now();
  await waitFor('the annotated one resyncs', async () => ((await secretValue('while-one-leads')) === 'changed-while-down' ? true : undefined), { timeoutMs: 90_000 });
  await waitFor('the new one syncs (and is owned)', async () => {
    const secret = await core.readNamespacedSecret({ namespace: 'db', name: 'after-restart' }).catch(() => undefined);
    return secret?.metadata?.ownerReferences?.length ? true : undefined;
  }, { timeoutMs: 90_000 });
  t.comment(`both changes reconciled ${Date.now() - restartedAt} ms after the apiserver was back`);
  t.ok(server?.reconciler?.synced, 'the watches are back without a restart of vaultgate');
});
