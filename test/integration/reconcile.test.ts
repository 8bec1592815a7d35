// vaultgate's reconciler against the real stack, alone (no ESO, controller class
// "default"): the seeds' scenario end to end (the Secret exists when kubectl apply
// returns, a force-sync shows a rotated password, a refresh interval does too), deletion
// with Owner and Orphan, drift reverted, a policy change revoking access with the Secret
// kept, and Vault sealed then unsealed and stopped then started: Secrets keep their data,
// status says why, and syncing resumes on its own. Latencies are printed, not asserted.
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import type { RunningServer } from '../../src/server.js';
import type { ExternalSecret } from '../../src/eso/types.js';
import { STORE_TOKEN_AUTH, storeTokenSecret, vaultClusterStore } from '../env/fixtures.js';
import { startPersistentVault, type PersistentVault } from '../env/persistentVault.js';
import { waitFor } from '../env/processes.js';
import { startStack, type Stack } from '../env/stack.js';
import { startVaultgate } from '../env/vaultgate.js';

let stack: Stack;
let storeToken = '';
let server: RunningServer;
let vault: PersistentVault;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;

const decode = (secret: k8s.V1Secret, key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');

async function secretOf(namespace: string, name: string): Promise<k8s.V1Secret | undefined> {
  return core.readNamespacedSecret({ namespace, name }).catch(() => undefined);
}

async function externalSecret(namespace: string, name: string): Promise<ExternalSecret> {
  return (await custom.getNamespacedCustomObject({ group: 'external-secrets.io', version: 'v1', namespace, plural: 'externalsecrets', name })) as ExternalSecret;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await waitFor(what, probe, { timeoutMs, intervalMs: 50 });
  return { value, ms: Date.now() - started };
}

const ready = (es: ExternalSecret) => es.status?.conditions?.find((c) => c.type === 'Ready');

async function kvPut(path: string, data: Record<string, string>): Promise<void> {
  // A fresh KV v2 mount upgrades itself for a moment; retry until it takes writes.
  await waitFor(`write ${path}`, async () => ((await vault.api('POST', `secret/data/${path}`, { data }).then(() => true, () => undefined)) ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
}

t.before(async () => {
  stack = await startStack();
  vault = await startPersistentVault(stack);
  await kvPut('postgres-secret', { POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: 'first-password' });
  await kvPut('app/config', { url: 'https://example.test' });
  const p = (name: string, hcl: string) => vault.api('PUT', `sys/policies/acl/${name}`, { policy: hcl });
  await p('eso-read', 'path "secret/data/*" { capabilities = ["read"] }\npath "secret/metadata/*" { capabilities = ["read", "list"] }');
  const created = (await vault.api('POST', 'auth/token/create', { policies: ['eso-read'], ttl: '4h' })) as { auth: { client_token: string } };
  storeToken = created.auth.client_token;
  await stack.apply(`
apiVersion: v1
kind: Namespace
metadata: {name: db}
---
${storeTokenSecret(storeToken)}
---
${vaultClusterStore(stack, 'vault-backend', STORE_TOKEN_AUTH, { server: vault.addr })}
`);
  core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  custom = stack.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  server = await startVaultgate(stack, {
    vaultCacheTtlMs: 1000,
    vaultHealthIntervalMs: 5000,
    reconciler: { controllerClass: 'default', concurrency: 4, leaseTiming: { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 1000 }, admissionGraceMs: 3000 },
  });
  await waitFor('vaultgate leads and watches', async () => (server.elector?.isLeader && server.reconciler?.synced ? true : undefined), { timeoutMs: 30_000 });
});

t.teardown(async () => {
  await server?.close();
  await vault?.stop();
  await stack?.stop();
});

const seedExternalSecret = (name: string, extra = '', target = '') => `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: db}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: ClusterSecretStore, name: vault-backend}
  target: {name: ${target || name}${extra}}
  data:
    - secretKey: POSTGRES_USER
      remoteRef: {key: postgres-secret, property: POSTGRES_USER}
    - secretKey: POSTGRES_PASSWORD
      remoteRef: {key: postgres-secret, property: POSTGRES_PASSWORD}
`;

t.test('the seeds: the Secret exists when kubectl apply returns, then a force-sync shows a rotated password', async (t) => {
  const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: postgres, namespace: db}
spec:
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers:
        - name: postgres
          image: postgres:16
          envFrom: [{secretRef: {name: postgres-secret}}]
`;
  const applied = await stack.kubectl(['apply', '-f', '-'], `${seedExternalSecret('postgres-secret')}---${deployment}`);
  t.equal(applied.code, 0, applied.stderr);
  const atApply = await secretOf('db', 'postgres-secret');
  t.ok(atApply, 'the Secret exists as soon as kubectl apply returns');
  t.equal(decode(atApply as k8s.V1Secret, 'POSTGRES_PASSWORD'), 'first-password');
  t.equal(atApply?.metadata?.labels?.['reconcile.external-secrets.io/managed'], 'true');

  const adopted = await until('the reconciler adopts the Secret', async () => {
    const secret = await secretOf('db', 'postgres-secret');
    return secret?.metadata?.ownerReferences?.some((ref) => ref.kind === 'ExternalSecret' && ref.controller) ? secret : undefined;
  });
  t.equal(decode(adopted.value, 'POSTGRES_PASSWORD'), 'first-password', 'adoption changes no data');
  const synced = await until('Ready', async () => {
    const es = await externalSecret('db', 'postgres-secret');
    return ready(es)?.status === 'True' ? es : undefined;
  });
  t.equal(ready(synced.value)?.reason, 'SecretSynced');
  t.equal(synced.value.status?.binding?.name, 'postgres-secret');

  await vault.api('PATCH', 'secret/data/postgres-secret', { data: { POSTGRES_PASSWORD: 'rotated-password' } }).catch(async () => kvPut('postgres-secret', { POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: 'rotated-password' }));
  const annotated = await stack.kubectl(['annotate', '--overwrite', '-n', 'db', 'externalsecret', 'postgres-secret', `force-sync=${Date.now()}`]);
  t.equal(annotated.code, 0, annotated.stderr);
  const rotated = await until('the rotated password', async () => {
    const secret = await secretOf('db', 'postgres-secret');
    return secret && decode(secret, 'POSTGRES_PASSWORD') === 'rotated-password' ? true : undefined;
  });
  t.pass(`force-sync showed the rotated password after ${rotated.ms} ms`);
  t.comment(`force-sync to Secret updated: ${rotated.ms} ms`);
});

t.test('without the annotation, the next refresh picks up a change', async (t) => {
  await kvPut('app/config', { url: 'https://first.test' });
  const applied = await stack.kubectl(['apply', '-f', '-'], `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: periodic, namespace: db}
spec:
  refreshInterval: 3s
  secretStoreRef: {kind: ClusterSecretStore, name: vault-backend}
  data: [{secretKey: url, remoteRef: {key: app/config, property: url}}]
`);
  t.equal(applied.code, 0, applied.stderr);
  await until('first value', async () => ((await secretOf('db', 'periodic')) ? true : undefined));
  await kvPut('app/config', { url: 'https://second.test' });
  const refreshed = await until('refreshed value', async () => {
    const secret = await secretOf('db', 'periodic');
    return secret && decode(secret, 'url') === 'https://second.test' ? true : undefined;
  });
  t.comment(`refreshInterval 3s: change seen after ${refreshed.ms} ms`);
  t.pass('the refresh picked up the change');
});

t.test('a manual edit of a managed Secret is reverted', async (t) => {
  await core.patchNamespacedSecret(
    { namespace: 'db', name: 'postgres-secret', body: { data: { POSTGRES_PASSWORD: Buffer.from('tampered').toString('base64') } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  await until('the edit reverted', async () => {
    const secret = await secretOf('db', 'postgres-secret');
    return secret && decode(secret, 'POSTGRES_PASSWORD') === 'rotated-password' ? true : undefined;
  });
  t.pass('reverted to what Vault holds');
});

t.test('a policy change revokes access at the next sync; the Secret is kept', async (t) => {
  await stack.apply(`
apiVersion: vaultgate.dev/v1alpha1
kind: VaultPathPolicy
metadata: {name: db-nothing}
spec:
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: db}}
  allow: ["secret/other/*"]
`);
  const failing = await until('Ready=False with the policy named', async () => {
    const es = await externalSecret('db', 'postgres-secret');
    return ready(es)?.status === 'False' ? es : undefined;
  });
  t.match(ready(failing.value)?.message, /namespace "db" may not read secret\/postgres-secret \(policy db-nothing\)/);
  const kept = await secretOf('db', 'postgres-secret');
  t.equal(decode(kept as k8s.V1Secret, 'POSTGRES_PASSWORD'), 'rotated-password', 'the Secret keeps its data');
  await stack.kubectl(['delete', 'vaultpathpolicy', 'db-nothing']);
  await until('Ready again', async () => (ready(await externalSecret('db', 'postgres-secret'))?.status === 'True' ? true : undefined));
});

t.test('Vault sealed, then unsealed: data kept, status says why, sync resumes on its own', async (t) => {
  await vault.seal();
  await stack.kubectl(['annotate', '--overwrite', '-n', 'db', 'externalsecret', 'postgres-secret', `force-sync=sealed-${Date.now()}`]);
  const failing = await until('Ready=False while sealed', async () => {
    const es = await externalSecret('db', 'postgres-secret');
    return ready(es)?.status === 'False' ? es : undefined;
  });
  t.match(ready(failing.value)?.message, /sealed|503|could not/i, ready(failing.value)?.message ?? '');
  t.equal(decode((await secretOf('db', 'postgres-secret')) as k8s.V1Secret, 'POSTGRES_PASSWORD'), 'rotated-password', 'kept while sealed');
  const unsealedAt = Date.now();
  await vault.unseal();
  const back = await until('Ready again after unseal', async () => (ready(await externalSecret('db', 'postgres-secret'))?.status === 'True' ? true : undefined));
  t.comment(`unsealed to Ready again: ${Date.now() - unsealedAt} ms (${back.ms} ms after the unseal call returned)`);
  t.pass('synced again without a restart');
});

t.test('Vault stopped, then started (sealed) and unsealed: data kept, sync resumes on its own', async (t) => {
  await vault.stop();
  await stack.kubectl(['annotate', '--overwrite', '-n', 'db', 'externalsecret', 'postgres-secret', `force-sync=down-${Date.now()}`]);
  const failing = await until('Ready=False while down', async () => {
    const es = await externalSecret('db', 'postgres-secret');
    return ready(es)?.status === 'False' ? es : undefined;
  });
  t.match(ready(failing.value)?.message, /connection refused|could not/i);
  t.equal(decode((await secretOf('db', 'postgres-secret')) as k8s.V1Secret, 'POSTGRES_PASSWORD'), 'rotated-password', 'kept while down');
  await vault.start();
  const answeredAt = Date.now();
  await vault.unseal();
  const back = await until('Ready again after restart', async () => (ready(await externalSecret('db', 'postgres-secret'))?.status === 'True' ? true : undefined));
  t.comment(`Vault answering again to Ready: ${Date.now() - answeredAt} ms (${back.ms} ms after unseal)`);
  t.pass('synced again without a restart');
});

t.test('deleting the ExternalSecret: Owner takes the Secret (garbage collector), Orphan leaves it', async (t) => {
  const orphan = await stack.kubectl(['apply', '-f', '-'], seedExternalSecret('orphaned', ', creationPolicy: Orphan'));
  t.equal(orphan.code, 0, orphan.stderr);
  await until('the Orphan Secret', async () => ((await secretOf('db', 'orphaned')) ? true : undefined));
  await until('Orphan synced', async () => (ready(await externalSecret('db', 'orphaned'))?.status === 'True' ? true : undefined));
  await stack.kubectl(['delete', 'externalsecret', '-n', 'db', 'orphaned', 'postgres-secret']);
  await until('the Owner Secret is garbage-collected', async () => ((await secretOf('db', 'postgres-secret')) ? undefined : true));
  t.ok(await secretOf('db', 'orphaned'), 'the Orphan Secret stays');
});

t.test('a Secret written at admission whose ExternalSecret was never stored is removed', async (t) => {
  // A check that runs after vaultgate's mutating webhook refuses this one.
  await stack.apply(`
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: refuse-some}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [external-secrets.io], apiVersions: [v1], operations: [CREATE], resources: [externalsecrets]}]
  validations: [{expression: "object.metadata.name != 'refused'", message: refused by a later admission check}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: refuse-some}
spec: {policyName: refuse-some, validationActions: [Deny]}
`);
  await waitFor('the later check is in force (a dry run is refused)', async () => {
    const dry = await stack.kubectl(['apply', '--dry-run=server', '-f', '-'], seedExternalSecret('refused'));
    return dry.code !== 0 ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  const refused = await stack.kubectl(['apply', '-f', '-'], seedExternalSecret('refused'));
  t.not(refused.code, 0);
  t.match(refused.stderr, 'refused by a later admission check');
  t.ok(await secretOf('db', 'refused'), 'the mutating webhook had written the Secret');
  const gone = await until('the abandoned Secret is deleted', async () => ((await secretOf('db', 'refused')) ? undefined : true), 60_000);
  t.comment(`abandoned Secret removed after ${gone.ms} ms (grace 3 s)`);
  t.pass('no Secret left without an ExternalSecret');
});

t.test('a rotated store token is used from the next request', async (t) => {
  const fresh = (await vault.api('POST', 'auth/token/create', { policies: ['eso-read'], ttl: '4h' })) as { auth: { client_token: string } };
  await core.replaceNamespacedSecret({ namespace: 'external-secrets', name: 'vault-token', body: { metadata: { name: 'vault-token', namespace: 'external-secrets' }, stringData: { token: fresh.auth.client_token } } });
  await vault.api('POST', 'auth/token/revoke', { token: storeToken });
  await kvPut('app/config', { url: 'https://after-rotation.test' });
  await stack.kubectl(['annotate', '--overwrite', '-n', 'db', 'externalsecret', 'periodic', `force-sync=${Date.now()}`]);
  const seen = await until('the value read with the new token', async () => {
    const secret = await secretOf('db', 'periodic');
    return secret && decode(secret, 'url') === 'https://after-rotation.test' ? true : undefined;
  });
  t.comment(`rotated token in use ${seen.ms} ms after the force-sync`);
  t.equal(ready(await externalSecret('db', 'periodic'))?.status, 'True');
});

t.test('ESO-compatible metrics', async (t) => {
  const response = await server.app.inject({ method: 'GET', url: '/metrics' });
  t.match(response.body, /externalsecret_sync_calls_total\{name="periodic",namespace="db"\} [1-9]/);
  t.match(response.body, /externalsecret_status_condition\{name="periodic",namespace="db",condition="Ready",status="True"\} 1/);
  t.match(response.body, /externalsecret_reconcile_duration\{name="periodic",namespace="db"\} \d/);
  t.match(response.body, /externalsecret_sync_calls_error\{name="postgres-secret",namespace="db"\} [1-9]/);
  t.match(response.body, /vaultgate_vault_recovery_seconds_count [1-9]/);
});
