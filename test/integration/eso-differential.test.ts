// vaultgate's verdicts held against the real External Secrets Operator: each ExternalSecret
// of the corpus is decided by vaultgate's decision service and applied (with vaultgate's
// webhooks not registered) for the real ESO controller to sync, on the same OpenBao data.
// Expected: every object vaultgate admits, ESO syncs; every object vaultgate denies, ESO
// fails on, except where vaultgate is stricter on purpose (path policy, unsafe keys), which
// the corpus names. The agreement table is printed.
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import { withDefaults } from '../../src/core/mutate.js';
import type { RunningServer } from '../../src/server.js';
import { CORPUS, esoOutcomes, externalSecretOf, seedDifferential, type DiffCase } from '../env/differential.js';
import { startEso, type RunningEso } from '../env/eso.js';
import { waitFor } from '../env/processes.js';
import { startStack, type Stack } from '../env/stack.js';
import { startTlsVault, type TlsVault } from '../env/tlsVault.js';
import { startVaultgate } from '../env/vaultgate.js';

let stack: Stack;
let eso: RunningEso;
let server: RunningServer;
let tls: TlsVault;

t.before(async () => {
  stack = await startStack();
  tls = await startTlsVault(stack);
  await seedDifferential(stack, tls);
  eso = await startEso(stack);
  // Only now, so the ESO child process does not inherit them: vaultgate must ignore them for
  // every tenant store (tls-untrusted below must still fail, the token must not be root's).
  Object.assign(process.env, { VAULT_SKIP_VERIFY: 'true', VAULT_TOKEN: stack.vault.token, VAULT_NAMESPACE: 'leaked' });
  // The reconciler handles stores of class "vaultgate" only: the conformance copies below.
  server = await startVaultgate(stack, { reconciler: { controllerClass: 'vaultgate', concurrency: 4 } }, { registerWebhooks: false });
  await waitFor('vaultgate sees every store', async () => (server.cluster.clusterSecretStores.list().length >= 16 && server.cluster.secretStores.list().length >= 3 && server.cluster.policies.list().length >= 1 ? true : undefined));
});

t.teardown(async () => {
  for (const name of ['VAULT_SKIP_VERIFY', 'VAULT_TOKEN', 'VAULT_NAMESPACE']) delete process.env[name];
  await server?.close();
  await eso?.stop();
  await tls?.stop();
  await stack?.stop();
});

interface Row {
  c: DiffCase;
  allowed: boolean;
  lines: string[];
  eso: { synced: boolean; reason: string; events: string[] };
  verdict: 'agree' | 'stricter on purpose' | 'DISAGREE';
}

t.test(`differential: ${CORPUS.length} ExternalSecrets, vaultgate against the real ESO`, async (t) => {
  t.ok(CORPUS.length >= 40, 'a corpus of at least 40 cases');
  const verdicts = new Map<string, { allowed: boolean; lines: string[] }>();
  for (const c of CORPUS) {
    // What the webhook would judge: the object after vaultgate's own defaulting, as ESO's CRD defaults it too.
    const verdict = await server.service.evaluate(withDefaults(externalSecretOf(c)), c.namespace);
    verdicts.set(c.name, { allowed: verdict.allowed, lines: verdict.violations.map((v) => `${v.field}: ${v.message}`) });
  }
  const manifest = CORPUS.map((c) => JSON.stringify(externalSecretOf(c))).join('\n---\n');
  const applied = await stack.kubectl(['apply', '-f', '-'], manifest);
  t.equal(applied.code, 0, applied.stderr);
  const outcomes = await esoOutcomes(stack, CORPUS);

  const rows: Row[] = CORPUS.map((c) => {
    const mine = verdicts.get(c.name) ?? { allowed: false, lines: ['(not decided)'] };
    const theirs = outcomes.get(c.name) ?? { synced: false, reason: 'missing', events: [] };
    let verdict: Row['verdict'] = mine.allowed === theirs.synced ? 'agree' : 'DISAGREE';
    if (c.stricter && !mine.allowed && theirs.synced) verdict = 'stricter on purpose';
    return { c, allowed: mine.allowed, lines: mine.lines, eso: theirs, verdict };
  });

  const width = Math.max(...CORPUS.map((c) => c.name.length));
  const table = rows.map((r) =>
    [
      r.c.name.padEnd(width),
      (r.allowed ? 'admit' : 'deny').padEnd(5),
      (r.eso.synced ? 'synced' : 'failed').padEnd(6),
      r.verdict.padEnd(19),
      r.c.stricter ? `(${r.c.stricter}) ` : '',
      r.c.about,
    ].join(' | '),
  );
  const agreed = rows.filter((r) => r.verdict === 'agree').length;
  const stricter = rows.filter((r) => r.verdict === 'stricter on purpose').length;
  t.comment([`case${' '.repeat(width - 4)} | vaultgate | ESO | outcome`, ...table].join('\n'));
  t.comment(`agreement: ${agreed}/${rows.length} agree, ${stricter} stricter on purpose, ${rows.length - agreed - stricter} disagree`);

  for (const r of rows) {
    const detail = `vaultgate: ${r.allowed ? 'admit' : r.lines.join(' / ')}\nESO: ${r.eso.reason} ${r.eso.events.join(' / ')}`;
    if (r.c.stricter) {
      t.equal(r.verdict, 'stricter on purpose', `${r.c.name}: vaultgate denies on purpose (${r.c.stricter}) what ESO syncs\n${detail}`);
    } else {
      t.equal(r.verdict, 'agree', `${r.c.name}: ${r.c.about}\n${detail}`);
    }
  }
  // Where both fail, ESO's own event text names the same problem vaultgate names.
  const failedBoth = rows.filter((r) => !r.allowed && !r.eso.synced);
  t.ok(failedBoth.length >= 15, `${failedBoth.length} cases fail in both`);
  const misspelled = rows.find((r) => r.c.name === 'flat-misspelled');
  t.match(misspelled?.eso.events.join('\n'), 'cannot find secret data for key: "usr"');
  t.match(misspelled?.lines.join('\n'), '"usr" not found at secret/diff/flat (did you mean "user"?)');
});

t.test("conformance: for every case ESO syncs, vaultgate's reconciler writes the same Secret", async (t) => {
  const custom = stack.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const outcomes = await esoOutcomes(stack, CORPUS, 5000);
  // ClusterSecretStore cases only: a namespaced store's credentials live in its namespace.
  const synced = CORPUS.filter((c) => outcomes.get(c.name)?.synced && c.store.kind === 'ClusterSecretStore' && !c.stricter);
  t.ok(synced.length >= 30, `${synced.length} cases synced by ESO`);
  const stores = new Set(synced.map((c) => c.store.name));
  for (const name of stores) {
    const store = (await custom.getClusterCustomObject({ group: 'external-secrets.io', version: 'v1', plural: 'clustersecretstores', name })) as { spec: Record<string, unknown> };
    await stack.apply(JSON.stringify({ apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name: `vg-${name}` }, spec: { ...store.spec, controller: 'vaultgate' } }));
  }
  for (const namespace of new Set(synced.map((c) => c.namespace))) {
    const original = await core.readNamespace({ name: namespace });
    await stack.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${namespace}-vg`, labels: { ...original.metadata?.labels, 'kubernetes.io/metadata.name': `${namespace}-vg` } } }));
  }
  await waitFor('vaultgate sees the copied stores', async () => ([...stores].every((name) => server.cluster.clusterSecretStores.get(`vg-${name}`)) ? true : undefined));
  const copies = synced.map((c) => {
    const object = externalSecretOf(c) as { metadata: { namespace: string }; spec: { secretStoreRef: { name: string } } };
    object.metadata.namespace = `${c.namespace}-vg`;
    object.spec.secretStoreRef.name = `vg-${c.store.name}`;
    return object;
  });
  const applied = await stack.kubectl(['apply', '-f', '-'], copies.map((o) => JSON.stringify(o)).join('\n---\n'));
  t.equal(applied.code, 0, applied.stderr);
  const mine = await esoOutcomes(stack, synced.map((c) => ({ ...c, namespace: `${c.namespace}-vg` })), 60_000);
  // What both must agree on: data bytes, type, labels and annotations, except what names the namespace.
  const comparable = (secret: k8s.V1Secret | undefined) => {
    if (!secret) return undefined;
    const labels = { ...secret.metadata?.labels };
    delete labels['reconcile.external-secrets.io/created-by'];
    const annotations = { ...secret.metadata?.annotations };
    delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
    return { type: secret.type, data: secret.data ?? {}, labels, annotations };
  };
  let equal = 0;
  for (const c of synced) {
    const name = `d-${c.name}`;
    t.ok(mine.get(c.name)?.synced, `${c.name}: vaultgate synced it too (${mine.get(c.name)?.reason} ${mine.get(c.name)?.events.join(' / ')})`);
    const theirs = comparable(await core.readNamespacedSecret({ namespace: c.namespace, name }).catch(() => undefined));
    const ours = comparable(await core.readNamespacedSecret({ namespace: `${c.namespace}-vg`, name }).catch(() => undefined));
    t.same(ours, theirs, `${c.name}: the Secret vaultgate wrote equals ESO's`);
    if (ours && JSON.stringify(ours) === JSON.stringify(theirs)) equal++;
  }
  t.comment(`conformance: ${equal}/${synced.length} Secrets byte-identical to ESO's (data, type, labels, annotations)`);
});
