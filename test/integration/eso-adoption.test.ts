// The Secret vaultgate writes at admission, adopted by the real ESO controller (ESO
// reconciles the store; vaultgate only guards admission and sweeps): ESO adds its owner
// reference and changes nothing else — same data, labels and annotations — with no
// conflict and no Warning event.
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import type { RunningServer } from '../../src/server.js';
import { startEso, type RunningEso } from '../env/eso.js';
import { seedTokenStore } from '../env/fixtures.js';
import { waitFor } from '../env/processes.js';
import { startStack, type Stack } from '../env/stack.js';
import { startVaultgate } from '../env/vaultgate.js';

let stack: Stack;
let eso: RunningEso;
let server: RunningServer;

t.before(async () => {
  stack = await startStack();
  await seedTokenStore(stack);
  eso = await startEso(stack);
  // vaultgate's reconciler takes class "vaultgate" only: ESO owns the seed's unclassed store.
  server = await startVaultgate(stack, { reconciler: { controllerClass: 'vaultgate', concurrency: 2 } });
  await waitFor('vaultgate leads', async () => (server.elector?.isLeader && server.reconciler?.synced ? true : undefined), { timeoutMs: 30_000 });
});

t.teardown(async () => {
  await server?.close();
  await eso?.stop();
  await stack?.stop();
});

t.test('ESO adopts the Secret written at admission without changing its content', async (t) => {
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const custom = stack.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const applied = await stack.kubectl(['apply', '-f', '-'], `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: postgres-secret, namespace: db, labels: {app: postgres}, annotations: {team: data}}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: ClusterSecretStore, name: vault-backend}
  target: {name: postgres-secret}
  data:
    - {secretKey: POSTGRES_USER, remoteRef: {key: postgres-secret, property: POSTGRES_USER}}
    - {secretKey: POSTGRES_PASSWORD, remoteRef: {key: postgres-secret, property: POSTGRES_PASSWORD}}
`);
  t.equal(applied.code, 0, applied.stderr);
  // ESO may adopt it within milliseconds: what each writer wrote is read from managedFields.
  const atAdmission = await core.readNamespacedSecret({ namespace: 'db', name: 'postgres-secret' });
  const adopted = await waitFor('ESO adopts it', async () => {
    const secret = await core.readNamespacedSecret({ namespace: 'db', name: 'postgres-secret' });
    return secret.metadata?.ownerReferences?.some((ref) => ref.kind === 'ExternalSecret' && ref.controller) ? secret : undefined;
  }, { timeoutMs: 60_000 });
  const es = (await custom.getNamespacedCustomObject({ group: 'external-secrets.io', version: 'v1', namespace: 'db', plural: 'externalsecrets', name: 'postgres-secret' })) as { status?: { conditions?: { type: string; status: string; reason: string }[] } };
  const ready = await waitFor('ESO reports Ready', async () => {
    const current = (await custom.getNamespacedCustomObject({ group: 'external-secrets.io', version: 'v1', namespace: 'db', plural: 'externalsecrets', name: 'postgres-secret' })) as typeof es;
    const condition = current.status?.conditions?.find((c) => c.type === 'Ready');
    return condition?.status === 'True' ? condition : undefined;
  });
  t.equal(ready.reason, 'SecretSynced');
  const managers = Object.fromEntries((adopted.metadata?.managedFields ?? []).map((entry) => [entry.manager ?? '', entry.fieldsV1 as Record<string, unknown>]));
  const admission = managers['vaultgate-admission'] as { 'f:data'?: object; 'f:metadata'?: { 'f:labels'?: object; 'f:annotations'?: object } } | undefined;
  t.ok(admission?.['f:data'] && admission['f:metadata']?.['f:labels'] && admission['f:metadata']['f:annotations'], 'data, labels and annotations were written at admission');
  const eso = managers['externalsecrets.external-secrets.io/postgres-secret'] as { 'f:metadata'?: Record<string, unknown> } | undefined;
  t.same(Object.keys(eso ?? {}), ['f:metadata'], "ESO's write touched metadata only");
  t.same(Object.keys(eso?.['f:metadata'] ?? {}), ['f:ownerReferences'], "ESO's write added the owner reference and nothing else");
  t.same(adopted.data, atAdmission.data, 'the data is what vaultgate wrote');
  t.same(adopted.metadata?.labels, atAdmission.metadata?.labels, 'the labels are what vaultgate wrote');
  t.same(adopted.metadata?.annotations, atAdmission.metadata?.annotations, 'the annotations are what vaultgate wrote (the data hash included)');
  t.equal(adopted.metadata?.labels?.app, 'postgres', "the ExternalSecret's labels, as ESO copies them");
  const events = await core.listNamespacedEvent({ namespace: 'db', fieldSelector: 'involvedObject.name=postgres-secret' });
  const warnings = events.items.filter((e) => e.type === 'Warning');
  t.same(warnings.map((e) => `${e.reason}: ${e.message}`), [], 'no Warning event');
  t.comment(`events: ${events.items.map((e) => `${e.source?.component}/${e.reason}`).join(', ')}`);
  // Still there and unchanged after the sweeper's grace: an adopted Secret is never swept.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const later = await core.readNamespacedSecret({ namespace: 'db', name: 'postgres-secret' });
  t.equal(later.metadata?.uid, adopted.metadata?.uid);
});
