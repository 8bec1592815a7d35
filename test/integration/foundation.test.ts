// The foundation's contract: the real servers start, talk to each other, and the
// libraries vaultgate is built on work against them.
import t from 'tap';
import * as k8s from '@kubernetes/client-node';
import vault from 'node-vault';
import { startStack, type Stack } from '../env/stack.js';

let stack: Stack;

t.before(async () => {
  stack = await startStack();
});
t.teardown(() => stack?.stop());

t.test('(a) node-vault writes and reads a KV v2 secret in OpenBao', async (t) => {
  const client = vault({ endpoint: stack.vault.addr, token: stack.vault.token });
  await client.write('secret/data/foundation/app', { data: { username: 'app', password: 'p4ss' } });
  const read = (await client.read('secret/data/foundation/app')) as { data: { data: Record<string, string>; metadata: { version: number } } };
  t.same(read.data.data, { username: 'app', password: 'p4ss' });
  t.equal(read.data.metadata.version, 1);
  const cli = await stack.bao(['kv', 'get', '-format=json', 'secret/foundation/app']);
  t.equal(cli.code, 0, cli.stderr);
  t.equal((JSON.parse(cli.stdout) as { data: { data: { username: string } } }).data.data.username, 'app');
});

t.test('(b) client-node creates a ClusterSecretStore and an ExternalSecret', async (t) => {
  const custom = stack.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'db' } } });
  await custom.createClusterCustomObject({
    group: 'external-secrets.io',
    version: 'v1',
    plural: 'clustersecretstores',
    body: {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: 'vault-backend' },
      spec: {
        provider: {
          vault: {
            server: stack.vault.addr,
            path: 'secret',
            version: 'v2',
            auth: { tokenSecretRef: { name: 'vault-token', key: 'token', namespace: 'external-secrets' } },
          },
        },
      },
    },
  });
  await custom.createNamespacedCustomObject({
    group: 'external-secrets.io',
    version: 'v1',
    namespace: 'db',
    plural: 'externalsecrets',
    body: {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'postgres-secret', namespace: 'db' },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' },
        target: { name: 'postgres-secret' },
        data: [{ secretKey: 'POSTGRES_PASSWORD', remoteRef: { key: 'postgres-secret', property: 'POSTGRES_PASSWORD' } }],
      },
    },
  });
  const stored = (await custom.getNamespacedCustomObject({
    group: 'external-secrets.io',
    version: 'v1',
    namespace: 'db',
    plural: 'externalsecrets',
    name: 'postgres-secret',
  })) as { spec: { secretStoreRef: { name: string } } };
  t.equal(stored.spec.secretStoreRef.name, 'vault-backend');
  const store = (await custom.getClusterCustomObject({
    group: 'external-secrets.io',
    version: 'v1',
    plural: 'clustersecretstores',
    name: 'vault-backend',
  })) as { spec: { provider: { vault: { server: string } } } };
  t.equal(store.spec.provider.vault.server, stack.vault.addr);
});

t.test('(c) the built kubectl talks to the apiserver', async (t) => {
  const version = await stack.kubectl(['version', '-o', 'json']);
  t.equal(version.code, 0, version.stderr);
  const parsed = JSON.parse(version.stdout) as { serverVersion: { gitVersion: string }; clientVersion: { gitVersion: string } };
  t.match(parsed.serverVersion.gitVersion, /^v1\.3[45]\./);
  t.equal(parsed.clientVersion.gitVersion, parsed.serverVersion.gitVersion);
  const crds = await stack.kubectl(['get', 'crd', '-o', 'name']);
  t.equal(crds.code, 0, crds.stderr);
  // ESO's own CRD bundle (from the pinned module), not a hand-written subset.
  for (const name of ['externalsecrets', 'secretstores', 'clustersecretstores', 'pushsecrets', 'clusterexternalsecrets']) {
    t.match(crds.stdout, `customresourcedefinition.apiextensions.k8s.io/${name}.external-secrets.io`);
  }
  t.match(crds.stdout, 'customresourcedefinition.apiextensions.k8s.io/generatorstates.generators.external-secrets.io');
});

t.test('(d) a service-account token logs in to OpenBao through the Kubernetes auth method', async (t) => {
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'apps' } } });
  await core.createNamespacedServiceAccount({ namespace: 'apps', body: { metadata: { name: 'reader' } } });
  const admin = vault({ endpoint: stack.vault.addr, token: stack.vault.token });
  await admin.write('sys/policies/acl/apps-read', { policy: 'path "secret/data/apps/*" { capabilities = ["read"] }' });
  await admin.write('auth/kubernetes/role/apps-reader', {
    bound_service_account_names: ['reader'],
    bound_service_account_namespaces: ['apps'],
    token_policies: ['apps-read'],
    token_ttl: '10m',
  });
  const tokenRequest = await core.createNamespacedServiceAccountToken({
    name: 'reader',
    namespace: 'apps',
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const jwt = tokenRequest.status?.token ?? '';
  t.ok(jwt.split('.').length === 3, 'TokenRequest returns a JWT');
  const client = vault({ endpoint: stack.vault.addr });
  // node-vault's kubernetesLogin() helper builds a path OpenBao refuses (403); the plain
  // write to the login endpoint is what vaultgate's Vault adapter uses too.
  const login = (await client.write('auth/kubernetes/login', { role: 'apps-reader', jwt })) as { auth: { client_token: string; policies: string[] } };
  t.ok(login.auth.client_token.length > 0, 'login returns a token');
  t.ok(login.auth.policies.includes('apps-read'));
  client.token = login.auth.client_token;
  const capabilities = (await client.write('sys/capabilities-self', { paths: ['secret/data/apps/x', 'secret/data/other/x'] })) as Record<string, string[]>;
  t.same(capabilities['secret/data/apps/x'], ['read']);
  t.same(capabilities['secret/data/other/x'], ['deny']);
  const anonymous = vault({ endpoint: stack.vault.addr });
  const badLogin = await anonymous.write('auth/kubernetes/login', { role: 'apps-reader', jwt: `${jwt.slice(0, -4)}AAAA` }).then(
    () => 'accepted',
    (error: { response?: { statusCode?: number } }) => error.response?.statusCode,
  );
  t.equal(badLogin, 403, 'a forged token is refused by the TokenReview');
});

t.test('(e) deleting an owner deletes the Secret it owns (controller-manager GC)', async (t) => {
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'gc' } } });
  const owner = await core.createNamespacedConfigMap({ namespace: 'gc', body: { metadata: { name: 'owner' }, data: { a: 'b' } } });
  await core.createNamespacedSecret({
    namespace: 'gc',
    body: {
      metadata: {
        name: 'owned',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' }],
      },
      stringData: { k: 'v' },
    },
  });
  await core.deleteNamespacedConfigMap({ name: 'owner', namespace: 'gc' });
  const deadline = Date.now() + 60_000;
  let gone = false;
  while (!gone && Date.now() < deadline) {
    gone = await core.readNamespacedSecret({ name: 'owned', namespace: 'gc' }).then(
      () => false,
      (error: unknown) => error instanceof k8s.ApiException && error.code === 404,
    );
    if (!gone) await new Promise((r) => setTimeout(r, 200));
  }
  t.ok(gone, 'the owned Secret is garbage-collected');
});
