// Admission against the real stack: kubectl apply goes through the apiserver to vaultgate's
// webhooks, which ask the real OpenBao with each store's own identity.
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import type { RunningServer } from '../../src/server.js';
import { waitFor } from '../env/processes.js';
import { seedTokenStore, STORE_TOKEN_AUTH, vaultClusterStore } from '../env/fixtures.js';
import { kvPut } from '../env/vaultApi.js';
import { startStack, type Stack } from '../env/stack.js';
import { startVaultgate } from '../env/vaultgate.js';

let stack: Stack;
let server: RunningServer;

// node-vault falls back to these for anything a client does not set; none may reach a
// tenant's store. With the root token here, a leak would turn every capability check into
// "root" and the "no read capability" case below would pass instead of being denied.
const VAULT_ENV = ['VAULT_TOKEN', 'VAULT_ADDR', 'VAULT_NAMESPACE', 'VAULT_PREFIX', 'VAULT_SKIP_VERIFY'] as const;
const savedEnv = Object.fromEntries(VAULT_ENV.map((name) => [name, process.env[name]]));

const externalSecret = (name: string, namespace: string, store: string, data: { secretKey: string; key: string; property?: string }[], extra = '') => `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: ${store}}
${extra}  data:
${data.map((d) => `    - secretKey: ${d.secretKey}\n      remoteRef: {key: ${d.key}${d.property ? `, property: ${d.property}` : ''}}`).join('\n')}
`;

async function apply(manifest: string, ...flags: string[]) {
  return stack.kubectl(['apply', '-f', '-', ...flags], manifest);
}

t.before(async () => {
  stack = await startStack();
  await seedTokenStore(stack);
  await kvPut(stack, 'secret', 'locked/x', { k: 'v' });
  await kvPut(stack, 'secret', 'payments/stripe', { api_key: 'sk_test' });
  await stack.bao(['policy', 'write', 'app-only', '-'], 'path "secret/data/app/*" { capabilities = ["read"] }\n');
  await stack.bao(['write', 'auth/kubernetes/role/app-only', 'bound_service_account_names=eso-auth', 'bound_service_account_namespaces=external-secrets', 'token_policies=app-only', 'token_ttl=10m']);

  await stack.apply(`
apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {team: payments}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: eso-auth, namespace: external-secrets}
---
${vaultClusterStore(stack, 'vault-kubernetes', '{kubernetes: {mountPath: kubernetes, role: app-only, serviceAccountRef: {name: eso-auth, namespace: external-secrets}}}')}
---
apiVersion: vaultgate.dev/v1alpha1
kind: VaultPathPolicy
metadata: {name: tenant-paths}
spec:
  namespaceSelector: {matchLabels: {team: payments}}
  stores: [{kind: ClusterSecretStore, name: vault-backend}]
  allow: ["secret/{namespace}/*", "secret/shared/+/public"]
  deny: ["secret/payments/admin/*"]
`);
  // Set only now: the bao CLI the setup runs would read them too.
  Object.assign(process.env, { VAULT_TOKEN: stack.vault.token, VAULT_ADDR: 'http://127.0.0.1:1', VAULT_NAMESPACE: 'leaked', VAULT_PREFIX: '/leaked', VAULT_SKIP_VERIFY: 'true' });
  server = await startVaultgate(stack);
  await waitFor('policy and stores watched', async () =>
    server.cluster.policies.list().length === 1 && server.cluster.clusterSecretStores.list().length === 2 ? true : undefined,
  );
});

t.teardown(async () => {
  for (const name of VAULT_ENV) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  await server?.close();
  await stack?.stop();
});

t.test('a valid ExternalSecret is admitted and stored with explicit defaults', async (t) => {
  const result = await apply(externalSecret('postgres-secret', 'db', 'vault-backend', [
    { secretKey: 'POSTGRES_USER', key: 'postgres-secret', property: 'POSTGRES_USER' },
    { secretKey: 'POSTGRES_PASSWORD', key: 'postgres-secret', property: 'POSTGRES_PASSWORD' },
  ]));
  t.equal(result.code, 0, result.stderr);
  const custom = stack.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const stored = (await custom.getNamespacedCustomObject({ group: 'external-secrets.io', version: 'v1', namespace: 'db', plural: 'externalsecrets', name: 'postgres-secret' })) as {
    spec: { refreshInterval: string; target: { name: string; creationPolicy: string; deletionPolicy: string } };
  };
  t.same(stored.spec.target, { name: 'postgres-secret', creationPolicy: 'Owner', deletionPolicy: 'Retain' });
  t.equal(stored.spec.refreshInterval, '1h');
});

const misspelled = externalSecret('typo', 'db', 'vault-backend', [{ secretKey: 'POSTGRES_PASSWORD', key: 'postgres-secret', property: 'POSTGRES_PASWORD' }]);

t.test('a misspelled property is denied with a "did you mean" line and no value', async (t) => {
  const result = await apply(misspelled);
  t.not(result.code, 0);
  t.match(result.stderr, 'admission webhook "validate.externalsecrets.vaultgate.dev" denied the request: ExternalSecret db/typo:');
  t.match(result.stderr, 'spec.data[0].remoteRef.property: "POSTGRES_PASWORD" not found at secret/postgres-secret (did you mean "POSTGRES_PASSWORD"?)');
  t.notMatch(result.stderr, 's3cr3t-value');
});

t.test('each kind of problem gets its own line', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['missing path', externalSecret('nopath', 'db', 'vault-backend', [{ secretKey: 'k', key: 'app/does-not-exist' }]), /spec\.data\[0\]\.remoteRef\.key: secret\/app\/does-not-exist not found in Vault/],
    ['policy denial', externalSecret('cross', 'payments', 'vault-backend', [{ secretKey: 'k', key: 'postgres-secret', property: 'POSTGRES_PASSWORD' }]), /namespace "payments" may not read secret\/postgres-secret \(policy tenant-paths\)/],
    ['no read capability', externalSecret('locked', 'db', 'vault-backend', [{ secretKey: 'k', key: 'locked/x' }]), /the Vault identity of ClusterSecretStore "vault-backend" may not read secret\/data\/locked\/x \(capabilities: deny\)/],
    ['missing store', externalSecret('nostore', 'db', 'nope', [{ secretKey: 'k', key: 'postgres-secret' }]), /spec\.secretStoreRef\.name: ClusterSecretStore "nope" not found/],
  ];
  for (const [what, manifest, line] of cases) {
    const result = await apply(manifest);
    t.not(result.code, 0, `${what} is denied`);
    t.match(result.stderr, line, what);
  }
  const allowed = await apply(externalSecret('own', 'payments', 'vault-backend', [{ secretKey: 'k', key: 'payments/stripe', property: 'api_key' }]));
  t.equal(allowed.code, 0, `the tenant's own path is allowed: ${allowed.stderr}`);
});

t.test('several problems in one object give several lines in one message', async (t) => {
  const result = await apply(
    externalSecret('many', 'db', 'vault-backend', [
      { secretKey: 'a', key: 'postgres-secret', property: 'POSTGRES_PASWORD' },
      { secretKey: 'b', key: 'does/not/exist' },
      { secretKey: 'c', key: 'locked/x' },
    ], '  refreshInterval: 1d\n'),
  );
  t.not(result.code, 0);
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('  spec.'));
  t.equal(lines.length, 4, result.stderr);
  t.match(result.stderr, 'spec.refreshInterval: "1d" is not a Go duration');
});

t.test('--dry-run=server gives the same verdicts and stores nothing', async (t) => {
  const denied = await apply(misspelled, '--dry-run=server');
  t.not(denied.code, 0);
  t.match(denied.stderr, 'did you mean "POSTGRES_PASSWORD"?');
  const fine = await apply(externalSecret('dry', 'db', 'vault-backend', [{ secretKey: 'u', key: 'postgres-secret', property: 'POSTGRES_USER' }]), '--dry-run=server', '-o', 'json');
  t.equal(fine.code, 0, fine.stderr);
  t.equal((JSON.parse(fine.stdout) as { spec: { target: { name: string } } }).spec.target.name, 'dry', 'the dry run shows the defaults');
  const get = await stack.kubectl(['get', 'externalsecret', 'dry', '-n', 'db']);
  t.not(get.code, 0, 'nothing was stored');
});

t.test('a Kubernetes-auth store is checked with its own role', async (t) => {
  const beyondRole = await apply(externalSecret('k8s-denied', 'db', 'vault-kubernetes', [{ secretKey: 'p', key: 'postgres-secret', property: 'POSTGRES_PASSWORD' }]));
  t.not(beyondRole.code, 0);
  t.match(beyondRole.stderr, 'the Vault identity of ClusterSecretStore "vault-kubernetes" may not read secret/data/postgres-secret');
  const withinRole = await apply(externalSecret('k8s-ok', 'db', 'vault-kubernetes', [{ secretKey: 'u', key: 'app/config', property: 'url' }]));
  t.equal(withinRole.code, 0, withinRole.stderr);
});

t.test('warnings reach kubectl', async (t) => {
  const result = await apply(externalSecret('fast', 'db', 'vault-backend', [{ secretKey: 'u', key: 'app/config', property: 'mode' }], '  refreshInterval: 10s\n'));
  t.equal(result.code, 0, result.stderr);
  t.match(result.stderr, /Warning: spec\.refreshInterval: "10s" reads Vault more than once a minute/);
});

t.test('kube-system is guarded too: an ExternalSecret ESO cannot parse is refused there', async (t) => {
  const result = await apply(externalSecret('bad-interval', 'kube-system', 'vault-backend', [{ secretKey: 'u', key: 'app/config', property: 'url' }], '  refreshInterval: 1d\n'));
  t.not(result.code, 0);
  t.match(result.stderr, 'spec.refreshInterval: "1d" is not a Go duration');
});

t.test('a store pointing at an unreachable Vault does not make vaultgate unready', async (t) => {
  await stack.apply(vaultClusterStore(stack, 'unreachable', STORE_TOKEN_AUTH, { server: 'http://127.0.0.1:9' }));
  await waitFor('the unreachable store is watched', async () => (server.cluster.clusterSecretStores.get('unreachable') ? true : undefined));
  const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200, ready.body);
  const denied = await apply(externalSecret('via-unreachable', 'db', 'unreachable', [{ secretKey: 'u', key: 'app/config', property: 'url' }]));
  t.not(denied.code, 0, 'its own ExternalSecrets are still judged (closed by default)');
  t.match(denied.stderr, /could not check secret\/app\/config in Vault|could not log in/);
  const other = await apply(externalSecret('unaffected', 'db', 'vault-backend', [{ secretKey: 'u', key: 'app/config', property: 'url' }]));
  t.equal(other.code, 0, `other stores are unaffected: ${other.stderr}`);
});

t.test('VaultPathPolicy patterns vaultgate cannot honour are refused when applied', async (t) => {
  const policy = (name: string, deny: string) => `apiVersion: vaultgate.dev/v1alpha1\nkind: VaultPathPolicy\nmetadata: {name: ${name}}\nspec: {deny: ["${deny}"]}\n`;
  const cases: [string, string][] = [
    ['secret/*/admin', '* is only allowed at the end of a pattern'],
    ['secret/a+b', '+ must be a whole path segment'],
    ['/secret/x', 'patterns start with the mount'],
    ['secret//x', 'no empty segments'],
    ['secret/team/../x', '. and .. segments never occur'],
    ['secret/{name}/x', '{namespace} is the only placeholder'],
    ['secret/%2e%2e/x', 'no percent-encoding'],
  ];
  for (const [i, [pattern, message]] of cases.entries()) {
    const result = await apply(policy(`bad-${i}`, pattern));
    t.not(result.code, 0, pattern);
    t.match(result.stderr, message, pattern);
  }
  const good = await apply(policy('good', 'secret/{namespace}/admin/*'));
  t.equal(good.code, 0, good.stderr);
  await stack.kubectl(['delete', 'vaultpathpolicy', 'good']);
});

t.test('metrics count decisions', async (t) => {
  const response = await server.app.inject({ method: 'GET', url: '/metrics' });
  t.match(response.body, /vaultgate_admission_decisions_total\{webhook="validate",decision="denied",reason="existence"\} [1-9]/);
  t.match(response.body, /vaultgate_vault_request_duration_seconds_count\{operation="read",outcome="ok"\} [1-9]/);
});

t.test('OpenBao stopped: closed by default, open with a warning when asked', async (t) => {
  await stack.stopVault();
  server.gateway.clear();
  const manifest = externalSecret('vault-down', 'db', 'vault-backend', [{ secretKey: 'u', key: 'app/config', property: 'url' }]);
  const closed = await apply(manifest);
  t.not(closed.code, 0);
  t.match(closed.stderr, /spec\.data\[0\]\.remoteRef\.key: could not check secret\/app\/config in Vault: .*(connection refused|could not log in)/);
  const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200, "a store's Vault being down never makes vaultgate unready");

  await server.close();
  server = await startVaultgate(stack, { failureMode: 'open' });
  const open = await apply(manifest);
  t.equal(open.code, 0, open.stderr);
  t.match(open.stderr, /Warning: spec\.data\[0\]\.remoteRef\.key: allowed by failure mode open: could not check secret\/app\/config/);
});
