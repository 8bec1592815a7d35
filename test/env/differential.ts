// The differential corpus: OpenBao data, stores and ExternalSecrets, good and bad, that
// vaultgate's verdicts are held against the real ESO controller's outcomes with. Every
// case says which way ESO goes only when vaultgate is stricter on purpose (path policy,
// unsafe keys); for all others the test demands that vaultgate and ESO agree.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { generateCertificateAuthority, issueCertificate } from '../../src/tls/certificates.js';
import type { Stack } from './stack.js';
import type { TlsVault } from './tlsVault.js';
import { kvMetadata, kvPut, policy, token, vaultApi } from './vaultApi.js';

export interface DiffCase {
  name: string;
  namespace: string;
  store: { kind: 'ClusterSecretStore' | 'SecretStore'; name: string };
  /** the spec besides secretStoreRef (data, dataFrom, target, ...) */
  spec: Record<string, unknown>;
  /** vaultgate denies on purpose where ESO syncs: the reason, as the test prints it */
  stricter?: 'path policy' | 'unsafe key';
  /** what the case shows */
  about: string;
}

export const NAMESPACES = { a: 'diff-a', b: 'diff-b', policy: 'diff-policy' } as const;

const css = (name: string) => ({ kind: 'ClusterSecretStore' as const, name });
const ss = (name: string) => ({ kind: 'SecretStore' as const, name });
const one = (key: string, extra: Record<string, unknown> = {}) => ({ data: [{ secretKey: 'value', remoteRef: { key, ...extra } }] });

/** The HTTPS OpenBao's data and auth: a token, and certificate auth trusting a client CA of our own. */
async function seedTlsVault(tls: TlsVault): Promise<{ token: string; client: { cert: string; key: string } }> {
  await tls.api('POST', 'secret/data/tls/app', { data: { k: 'over-tls' } });
  await tls.api('PUT', 'sys/policies/acl/tls-read', { policy: 'path "secret/data/tls/*" { capabilities = ["read"] }' });
  const created = (await tls.api('POST', 'auth/token/create', { policies: ['tls-read'], ttl: '4h' })) as { auth: { client_token: string } };
  const clientCa = generateCertificateAuthority('diff-client-ca');
  const client = issueCertificate(clientCa, { commonName: 'diff-client', usage: 'client' });
  await tls.api('POST', 'sys/auth/cert', { type: 'cert' });
  await tls.api('POST', 'auth/cert/certs/diff', { certificate: clientCa.cert, token_policies: ['tls-read'], token_ttl: '1h' });
  return { token: created.auth.client_token, client };
}

/** Writes the Vault data, auth methods and Kubernetes objects the corpus reads. */
export async function seedDifferential(stack: Stack, tls: TlsVault): Promise<void> {
  await kvPut(stack, 'secret', 'diff/flat', { user: 'app', password: 'p4ss' });
  await kvPut(stack, 'secret', 'diff/nested', '{"db":{"host":"db.internal","port":5432,"opts":{"ssl":true}},"list":["a","b",{"x":1}],"num":1.50,"big":12345678901234567890,"a.b":"literal","a":{"b":"nested"},"nullish":null,"json":"{\\"k\\":\\"v\\"}"}');
  await kvPut(stack, 'secret', 'diff/objects', '{"one":{"a":"x<y&z","n":1.50,"big":12345678901234567890,"tiny":1e-7,"u":"\\u2028é"},"two":{"b":[1,"&",null,{"d":2.0}],"c":true,"o":{"z":1,"y":"<"},"nil":null}}');
  for (const v of ['1', '2', '3', '4']) await kvPut(stack, 'secret', 'diff/versions', { v });
  await vaultApi(stack, 'POST', 'secret/delete/diff/versions', { versions: [2] });
  await vaultApi(stack, 'POST', 'secret/destroy/diff/versions', { versions: [3] });
  await kvPut(stack, 'secret', 'diff/gone', { k: 'v' });
  await vaultApi(stack, 'DELETE', 'secret/data/diff/gone');
  await kvPut(stack, 'secret', 'diff/meta', { k: 'v' });
  await kvMetadata(stack, 'secret', 'diff/meta', { owner: 'team-a', env: 'prod' });
  for (const name of ['app1', 'app2', 'sub/app3', 'db1']) await kvPut(stack, 'secret', `diff/find/${name}`, { name });
  await kvMetadata(stack, 'secret', 'diff/find/app1', { team: 'x' });
  await kvMetadata(stack, 'secret', 'diff/find/sub/app3', { team: 'x' });
  await kvPut(stack, 'secret', 'data/foo', { k: 'v' });
  await kvPut(stack, 'secret', 'other/x', { k: 'v' });
  await vaultApi(stack, 'POST', 'sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
  await vaultApi(stack, 'POST', 'kv1/app', { user: 'u' });

  await policy(stack, 'diff-read', [
    'path "secret/data/diff/*" { capabilities = ["read"] }',
    'path "secret/data/data/*" { capabilities = ["read"] }',
    'path "secret/metadata/diff/*" { capabilities = ["read", "list"] }',
    'path "secret/metadata/diff" { capabilities = ["list"] }',
    'path "kv1/*" { capabilities = ["read", "list"] }',
    'path "kv1" { capabilities = ["list"] }',
  ].join('\n'));
  await policy(stack, 'diff-limited', 'path "secret/data/diff/flat" { capabilities = ["read"] }');
  const readToken = await token(stack, ['diff-read']);
  const limitedToken = await token(stack, ['diff-limited']);

  await vaultApi(stack, 'POST', 'sys/auth/approle', { type: 'approle' });
  await vaultApi(stack, 'POST', 'auth/approle/role/diff', { token_policies: ['diff-read'], token_ttl: '1h' });
  const roleId = ((await vaultApi(stack, 'GET', 'auth/approle/role/diff/role-id')) as { data: { role_id: string } }).data.role_id;
  const secretId = ((await vaultApi(stack, 'POST', 'auth/approle/role/diff/secret-id', {})) as { data: { secret_id: string } }).data.secret_id;
  await vaultApi(stack, 'POST', 'sys/auth/userpass', { type: 'userpass' });
  await vaultApi(stack, 'POST', 'auth/userpass/users/diff', { password: 'diff-password', token_policies: ['diff-read'] });
  await vaultApi(stack, 'POST', 'auth/kubernetes/role/diff', { bound_service_account_names: ['diff-sa'], bound_service_account_namespaces: ['external-secrets'], token_policies: ['diff-read'], token_ttl: '1h' });
  // JWT auth that trusts the apiserver's service-account signing key, so a TokenRequest token logs in.
  await vaultApi(stack, 'POST', 'sys/auth/jwt', { type: 'jwt' });
  await vaultApi(stack, 'POST', 'auth/jwt/config', { jwt_validation_pubkeys: [await readFile(join(stack.dir, 'sa.pub'), 'utf8')] });
  await vaultApi(stack, 'POST', 'auth/jwt/role/diff', { role_type: 'jwt', bound_audiences: ['vault'], user_claim: 'sub', bound_subject: 'system:serviceaccount:external-secrets:diff-sa', token_policies: ['diff-read'], token_ttl: '1h' });
  await vaultApi(stack, 'POST', 'sys/auth/ldap', { type: 'ldap' });
  const overTls = await seedTlsVault(tls);
  await vaultApi(stack, 'POST', 'auth/kubernetes/role/diff-a', { bound_service_account_names: ['diff-a-sa'], bound_service_account_namespaces: [NAMESPACES.a], token_policies: ['diff-read'], token_ttl: '1h' });

  const store = (kind: string, name: string, namespace: string | undefined, provider: string, extra = '', server = stack.vault.addr) => `
apiVersion: external-secrets.io/v1
kind: ${kind}
metadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ''}}
spec:
${extra}  provider:
    vault: {server: "${server}", ${provider}}`;
  const caBundle = Buffer.from(tls.ca).toString('base64');
  const tlsToken = 'auth: {tokenSecretRef: {name: diff-tls, key: token, namespace: external-secrets}}';
  const tokenAuth = 'auth: {tokenSecretRef: {name: diff-token, key: token, namespace: external-secrets}}';
  await stack.apply(`
apiVersion: v1
kind: Namespace
metadata: {name: external-secrets}
---
apiVersion: v1
kind: Namespace
metadata: {name: ${NAMESPACES.a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ${NAMESPACES.b}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ${NAMESPACES.policy}, labels: {team: policy}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ${NAMESPACES.b}-vg}
${[NAMESPACES.b, `${NAMESPACES.b}-vg`].map((namespace) => `---
apiVersion: v1
kind: ConfigMap
metadata: {name: diff-templates, namespace: ${namespace}}
data:
  config.yaml: ${JSON.stringify('user: {{ .user }}\npassword: {{ .password | quote }}\n')}
  env: ${JSON.stringify('DB_USER: {{ .user }}\nDB_PASS: {{ .password | b64enc }}\nPORT: 5432\nTLS: on\nRATIO: 0.10')}
`).join('')}---
apiVersion: v1
kind: Secret
metadata: {name: diff-token, namespace: external-secrets}
stringData: {token: "${readToken}", newline: "${readToken}\\n", secret-id: "${secretId}", password: diff-password}
---
apiVersion: v1
kind: Secret
metadata: {name: diff-tls, namespace: external-secrets}
stringData:
  token: "${overTls.token}"
  ca.crt: ${JSON.stringify(tls.ca)}
  tls.crt: ${JSON.stringify(overTls.client.cert)}
  tls.key: ${JSON.stringify(overTls.client.key)}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: diff-tls-ca, namespace: external-secrets}
data: {ca.crt: ${JSON.stringify(tls.ca)}}
---
apiVersion: v1
kind: Secret
metadata: {name: diff-limited-token, namespace: ${NAMESPACES.a}}
stringData: {token: "${limitedToken}", read: "${readToken}"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: diff-sa, namespace: external-secrets}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: diff-a-sa, namespace: ${NAMESPACES.a}}
---
${store('ClusterSecretStore', 'diff-token', undefined, `path: secret, version: v2, ${tokenAuth}`)}
---
${store('ClusterSecretStore', 'diff-nopath', undefined, `version: v2, ${tokenAuth}`)}
---
${store('ClusterSecretStore', 'diff-kv1', undefined, `path: kv1, version: v1, ${tokenAuth}`)}
---
${store('ClusterSecretStore', 'diff-kv1-nopath', undefined, `version: v1, ${tokenAuth}`)}
---
${store('ClusterSecretStore', 'diff-k8s', undefined, 'path: secret, version: v2, auth: {kubernetes: {mountPath: kubernetes, role: diff, serviceAccountRef: {name: diff-sa, namespace: external-secrets}}}')}
---
${store('ClusterSecretStore', 'diff-approle', undefined, `path: secret, version: v2, auth: {appRole: {path: approle, roleId: "${roleId}", secretRef: {name: diff-token, key: secret-id, namespace: external-secrets}}}`)}
---
${store('ClusterSecretStore', 'diff-userpass', undefined, 'path: secret, version: v2, auth: {userPass: {path: userpass, username: diff, secretRef: {name: diff-token, key: password, namespace: external-secrets}}}')}
---
${store('ClusterSecretStore', 'diff-jwt', undefined, 'path: secret, version: v2, auth: {jwt: {path: jwt, role: diff, kubernetesServiceAccountToken: {serviceAccountRef: {name: diff-sa, namespace: external-secrets}}}}')}
---
${store('ClusterSecretStore', 'diff-ldap', undefined, 'path: secret, version: v2, auth: {ldap: {path: ldap, username: diff, secretRef: {name: diff-token, key: password, namespace: external-secrets}}}')}
---
${store('ClusterSecretStore', 'diff-tls-bundle', undefined, `path: secret, version: v2, caBundle: ${caBundle}, ${tlsToken}`, '', tls.addr)}
---
${store('ClusterSecretStore', 'diff-tls-untrusted', undefined, `path: secret, version: v2, ${tlsToken}`, '', tls.addr)}
---
${store('ClusterSecretStore', 'diff-tls-ca-secret', undefined, `path: secret, version: v2, caProvider: {type: Secret, name: diff-tls, key: ca.crt, namespace: external-secrets}, ${tlsToken}`, '', tls.addr)}
---
${store('ClusterSecretStore', 'diff-tls-ca-configmap', undefined, `path: secret, version: v2, caProvider: {type: ConfigMap, name: diff-tls-ca, key: ca.crt, namespace: external-secrets}, ${tlsToken}`, '', tls.addr)}
---
${store('ClusterSecretStore', 'diff-tls-cert-auth', undefined, `path: secret, version: v2, caBundle: ${caBundle}, auth: {cert: {path: cert, clientCert: {name: diff-tls, key: tls.crt, namespace: external-secrets}, secretRef: {name: diff-tls, key: tls.key, namespace: external-secrets}}}`, '', tls.addr)}
---
${store('ClusterSecretStore', 'diff-newline-token', undefined, 'path: secret, version: v2, auth: {tokenSecretRef: {name: diff-token, key: newline, namespace: external-secrets}}')}
---
${store('ClusterSecretStore', 'diff-conditions', undefined, `path: secret, version: v2, ${tokenAuth}`, `  conditions: [{namespaces: [${NAMESPACES.b}]}]\n`)}
---
${store('SecretStore', 'diff-ns-token', NAMESPACES.a, 'path: secret, version: v2, auth: {tokenSecretRef: {name: diff-limited-token, key: token}}')}
---
${store('SecretStore', 'diff-ns-read', NAMESPACES.a, 'path: secret, version: v2, auth: {tokenSecretRef: {name: diff-limited-token, key: read, namespace: ignored-on-a-secretstore}}')}
---
${store('SecretStore', 'diff-ns-k8s', NAMESPACES.a, 'path: secret, version: v2, auth: {kubernetes: {mountPath: kubernetes, role: diff-a, serviceAccountRef: {name: diff-a-sa}}}')}
---
apiVersion: vaultgate.dev/v1alpha1
kind: VaultPathPolicy
metadata: {name: diff-tenant}
spec:
  namespaceSelector: {matchLabels: {team: policy}}
  allow: ["secret/diff/flat"]
  deny: ["secret/diff/nested"]
`);
}

const A = NAMESPACES.a;
const B = NAMESPACES.b;

export const CORPUS: DiffCase[] = [
  { name: 'flat-property', namespace: B, store: css('diff-token'), spec: one('diff/flat', { property: 'user' }), about: 'a top-level property' },
  { name: 'flat-misspelled', namespace: B, store: css('diff-token'), spec: one('diff/flat', { property: 'usr' }), about: 'a misspelled property' },
  { name: 'flat-whole', namespace: B, store: css('diff-token'), spec: one('diff/flat'), about: 'no property: the whole secret as JSON' },
  { name: 'key-leading-slash', namespace: B, store: css('diff-token'), spec: one('/diff/flat', { property: 'user' }), about: 'a leading slash is cleaned away' },
  { name: 'key-trailing-slash', namespace: B, store: css('diff-token'), spec: one('diff/flat/', { property: 'user' }), about: 'a trailing slash is cleaned away' },
  { name: 'key-double-slash', namespace: B, store: css('diff-token'), spec: one('diff//flat', { property: 'user' }), about: '"//" collapses' },
  { name: 'key-mount-prefix', namespace: B, store: css('diff-token'), spec: one('secret/diff/flat', { property: 'user' }), about: 'the mount prefix is stripped' },
  { name: 'key-mount-data-prefix', namespace: B, store: css('diff-token'), spec: one('secret/data/diff/flat', { property: 'user' }), about: 'mount and data/ are stripped' },
  { name: 'key-data-prefix-exists', namespace: B, store: css('diff-token'), spec: one('data/foo', { property: 'k' }), about: 'data/foo is secret/data/data/foo' },
  { name: 'key-data-prefix-missing', namespace: B, store: css('diff-token'), spec: one('data/diff/flat', { property: 'user' }), about: 'data/ is not stripped without the mount' },
  { name: 'key-missing', namespace: B, store: css('diff-token'), spec: one('diff/nope'), about: 'a path that does not exist' },
  { name: 'key-dotdot', namespace: B, store: css('diff-token'), spec: one('diff/x/../flat', { property: 'user' }), stricter: 'unsafe key', about: '".." would be cleaned by the Vault client' },
  { name: 'nested-gjson', namespace: B, store: css('diff-token'), spec: one('diff/nested', { property: 'db.host' }), about: 'a gjson path into nested JSON' },
  { name: 'nested-number', namespace: B, store: css('diff-token'), spec: one('diff/nested', { property: 'db.port' }), about: 'a nested number' },
  { name: 'nested-missing', namespace: B, store: css('diff-token'), spec: one('diff/nested', { property: 'db.nope' }), about: 'a nested property that does not exist' },
  { name: 'array-index', namespace: B, store: css('diff-token'), spec: one('diff/nested', { property: 'list.1' }), about: 'a gjson array index' },
  { name: 'array-count', namespace: B, store: css('diff-token'), spec: one('diff/nested', { property: 'list.#' }), about: 'gjson # (length)' },
  { name: 'array-query', namespace: B, store: css('diff-token'), spec: one('diff/nested', { property: 'list.#(x==1).x' }), about: 'a gjson query' },
  { name: 'array-out-of-range', namespace: B, store: css('diff-token'), spec: one('diff/nested', { property: 'list.7' }), about: 'an index past the end' },
  { name: 'literal-dotted-key', namespace: B, store: css('diff-token'), spec: one('diff/nested', { property: 'a.b' }), about: 'a literal key with a dot wins over the path' },
  { name: 'escaped-dot', namespace: B, store: css('diff-token'), spec: one('diff/nested', { property: 'a\\.b' }), about: 'a gjson escape' },
  { name: 'null-value', namespace: B, store: css('diff-token'), spec: one('diff/nested', { property: 'nullish' }), about: 'a null value is an empty value' },
  { name: 'version-live', namespace: B, store: css('diff-token'), spec: one('diff/versions', { property: 'v', version: '4' }), about: 'the current version, pinned' },
  { name: 'version-old', namespace: B, store: css('diff-token'), spec: one('diff/versions', { property: 'v', version: '1' }), about: 'an old live version' },
  { name: 'version-deleted', namespace: B, store: css('diff-token'), spec: one('diff/versions', { version: '2' }), about: 'a deleted version' },
  { name: 'version-destroyed', namespace: B, store: css('diff-token'), spec: one('diff/versions', { version: '3' }), about: 'a destroyed version' },
  { name: 'version-absent', namespace: B, store: css('diff-token'), spec: one('diff/versions', { version: '9' }), about: 'a version that never existed' },
  { name: 'version-not-a-number', namespace: B, store: css('diff-token'), spec: one('diff/versions', { version: 'abc' }), about: 'a version that is no number' },
  { name: 'latest-deleted', namespace: B, store: css('diff-token'), spec: one('diff/gone'), about: 'the current version is deleted' },
  { name: 'fetch-property', namespace: B, store: css('diff-token'), spec: one('diff/meta', { property: 'owner', metadataPolicy: 'Fetch' }), about: 'metadataPolicy Fetch reads custom_metadata' },
  { name: 'fetch-missing', namespace: B, store: css('diff-token'), spec: one('diff/meta', { property: 'k', metadataPolicy: 'Fetch' }), about: 'Fetch does not see data keys' },
  { name: 'fetch-whole', namespace: B, store: css('diff-token'), spec: one('diff/meta', { metadataPolicy: 'Fetch' }), about: 'Fetch without a property' },
  { name: 'fetch-kv1', namespace: B, store: css('diff-kv1'), spec: one('app', { metadataPolicy: 'Fetch' }), about: 'KV v1 has no metadata' },
  { name: 'extract-whole', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ extract: { key: 'diff/flat' } }] }, about: 'dataFrom.extract of a secret' },
  { name: 'extract-object', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ extract: { key: 'diff/nested', property: 'db' } }] }, about: 'extract of a nested object' },
  { name: 'extract-array', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ extract: { key: 'diff/nested', property: 'list' } }] }, about: 'extract of an array fails' },
  { name: 'extract-json-string', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ extract: { key: 'diff/nested', property: 'json' } }] }, about: 'a string holding a JSON object' },
  { name: 'extract-missing', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ extract: { key: 'diff/nope' } }] }, about: 'extract of a missing path' },
  { name: 'find-regexp', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ find: { path: 'diff/find', name: { regexp: 'app' } } }] }, about: 'find by name (unanchored RE2)' },
  { name: 'find-regexp-flag', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ find: { path: 'diff/find', name: { regexp: '(?i)APP\\d' } } }] }, about: 'the (?i) flag' },
  { name: 'find-regexp-lookahead', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ find: { path: 'diff/find', name: { regexp: '(?=app)' } } }] }, about: 'syntax RE2 rejects' },
  { name: 'find-tags', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ find: { path: 'diff/find', tags: { team: 'x' } } }] }, about: 'find by custom_metadata tags' },
  { name: 'find-path-missing', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ find: { path: 'diff/nothere', name: { regexp: '.' } } }] }, about: 'a find path that does not exist' },
  { name: 'find-nothing', namespace: B, store: css('diff-token'), spec: { data: [{ secretKey: 'u', remoteRef: { key: 'diff/flat', property: 'user' } }], dataFrom: [{ find: { path: 'diff/find', name: { regexp: 'zzz' } } }] }, about: 'a find that matches nothing' },
  { name: 'find-kv1', namespace: B, store: css('diff-kv1'), spec: { dataFrom: [{ find: { name: { regexp: 'app' } } }] }, about: 'find on KV v1' },
  { name: 'find-kv1-tags', namespace: B, store: css('diff-kv1'), spec: { dataFrom: [{ find: { tags: { team: 'x' } } }] }, about: 'tags on KV v1' },
  { name: 'find-nopath-store', namespace: B, store: css('diff-nopath'), spec: { dataFrom: [{ find: { name: { regexp: 'app' } } }] }, about: 'find without a store path' },
  { name: 'kv1-read', namespace: B, store: css('diff-kv1'), spec: one('app', { property: 'user' }), about: 'KV v1' },
  { name: 'kv1-version', namespace: B, store: css('diff-kv1'), spec: one('app', { property: 'user', version: '2' }), about: 'a version on KV v1 is ignored' },
  { name: 'kv1-nopath', namespace: B, store: css('diff-kv1-nopath'), spec: one('kv1/app', { property: 'user' }), about: 'KV v1 without a store path' },
  { name: 'nopath-read', namespace: B, store: css('diff-nopath'), spec: one('secret/diff/flat', { property: 'user' }), about: 'the key names the mount' },
  { name: 'nopath-no-mount', namespace: B, store: css('diff-nopath'), spec: one('flat', { property: 'user' }), about: 'a key without a mount' },
  { name: 'k8s-read', namespace: B, store: css('diff-k8s'), spec: one('diff/flat', { property: 'user' }), about: 'Kubernetes auth with a serviceAccountRef' },
  { name: 'k8s-no-capability', namespace: B, store: css('diff-k8s'), spec: one('other/x'), about: "outside the role's policy" },
  { name: 'approle-read', namespace: B, store: css('diff-approle'), spec: one('diff/flat', { property: 'user' }), about: 'AppRole auth' },
  { name: 'userpass-read', namespace: B, store: css('diff-userpass'), spec: one('diff/flat', { property: 'user' }), about: 'userpass auth' },
  { name: 'jwt-read', namespace: B, store: css('diff-jwt'), spec: one('diff/flat', { property: 'user' }), about: 'JWT auth with a service-account token (audience vault)' },
  { name: 'ldap-unconfigured', namespace: B, store: css('diff-ldap'), spec: one('diff/flat', { property: 'user' }), about: 'an LDAP login that cannot succeed' },
  { name: 'tls-ca-bundle', namespace: B, store: css('diff-tls-bundle'), spec: one('tls/app', { property: 'k' }), about: "HTTPS Vault trusted through the store's caBundle" },
  { name: 'tls-untrusted', namespace: B, store: css('diff-tls-untrusted'), spec: one('tls/app', { property: 'k' }), about: 'HTTPS Vault whose CA nobody trusts' },
  { name: 'tls-ca-secret', namespace: B, store: css('diff-tls-ca-secret'), spec: one('tls/app', { property: 'k' }), about: 'caProvider from a Secret' },
  { name: 'tls-ca-configmap', namespace: B, store: css('diff-tls-ca-configmap'), spec: one('tls/app', { property: 'k' }), about: 'caProvider from a ConfigMap' },
  { name: 'tls-cert-auth', namespace: B, store: css('diff-tls-cert-auth'), spec: one('tls/app', { property: 'k' }), about: 'TLS certificate auth' },
  { name: 'tls-no-capability', namespace: B, store: css('diff-tls-bundle'), spec: one('tls-other/x'), about: 'over TLS, outside the token policy' },
  { name: 'token-newline', namespace: B, store: css('diff-newline-token'), spec: one('diff/flat', { property: 'user' }), about: 'a token with a trailing newline' },
  { name: 'ss-token-read', namespace: A, store: ss('diff-ns-token'), spec: one('diff/flat', { property: 'password' }), about: 'a SecretStore with its own token' },
  { name: 'ss-token-no-capability', namespace: A, store: ss('diff-ns-token'), spec: one('diff/nested'), about: "outside the SecretStore token's policy" },
  { name: 'ss-find', namespace: A, store: ss('diff-ns-read'), spec: { dataFrom: [{ find: { path: 'diff/find', name: { regexp: '^diff/find/app' } } }] }, about: 'find through a SecretStore' },
  { name: 'ss-fetch', namespace: A, store: ss('diff-ns-read'), spec: one('diff/meta', { property: 'env', metadataPolicy: 'Fetch' }), about: 'Fetch through a SecretStore' },
  { name: 'ss-version-deleted', namespace: A, store: ss('diff-ns-read'), spec: one('diff/versions', { version: '2' }), about: 'a deleted version through a SecretStore' },
  { name: 'ss-extract', namespace: A, store: ss('diff-ns-read'), spec: { dataFrom: [{ extract: { key: 'diff/nested', property: 'db.opts' } }] }, about: 'extract through a SecretStore' },
  { name: 'ss-missing-store', namespace: A, store: ss('diff-nope'), spec: one('diff/flat'), about: 'a SecretStore that does not exist' },
  { name: 'ss-other-namespace', namespace: B, store: ss('diff-ns-read'), spec: one('diff/flat'), about: "another namespace's SecretStore" },
  { name: 'ss-k8s-read', namespace: A, store: ss('diff-ns-k8s'), spec: one('diff/nested', { property: 'db.host' }), about: 'a SecretStore with Kubernetes auth' },
  { name: 'css-conditions', namespace: A, store: css('diff-conditions'), spec: one('diff/flat'), about: 'a ClusterSecretStore whose conditions exclude the namespace' },
  { name: 'store-missing', namespace: B, store: css('diff-nope'), spec: one('diff/flat'), about: 'a store that does not exist' },
  { name: 'rewrite-regexp', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ find: { path: 'diff/find', name: { regexp: 'app' } }, rewrite: [{ regexp: { source: '^diff/find/(?:sub/)?(.*)$', target: 'key-$1' } }] }] }, about: 'find, keys rewritten by a regexp with Go expansion' },
  { name: 'rewrite-transform', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ extract: { key: 'diff/flat' }, rewrite: [{ transform: { template: '{{ .value | upper }}_{{ .value | len }}' } }] }] }, about: 'keys rewritten by a template' },
  { name: 'rewrite-merge-json', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ find: { path: 'diff/find', name: { regexp: 'app' } }, rewrite: [{ regexp: { source: '/', target: '-' } }, { merge: { strategy: 'JSON', into: 'all', conflictPolicy: 'Ignore' } }] }] }, about: 'values merged into one JSON key (later keys win)' },
  { name: 'rewrite-merge-extract', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ extract: { key: 'diff/objects' }, rewrite: [{ merge: {} }] }] }, about: "objects merged into keys, values as ESO's GetByteValue writes them" },
  { name: 'rewrite-merge-priority', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ find: { path: 'diff/find', name: { regexp: 'app[12]' } }, rewrite: [{ regexp: { source: '^diff/find/', target: '' } }, { merge: { priority: ['app1'], conflictPolicy: 'Ignore' } }] }] }, about: 'the priority key wins a conflict' },
  {
    name: 'template-data',
    namespace: B,
    store: css('diff-token'),
    spec: {
      dataFrom: [{ extract: { key: 'diff/flat' } }],
      target: {
        creationPolicy: 'Owner',
        deletionPolicy: 'Retain',
        template: {
          type: 'kubernetes.io/basic-auth',
          data: { username: '{{ .user }}', password: '{{ .password | upper }}', dsn: 'postgres://{{ .user }}:{{ .password | urlquery }}@db:5432/app', bin: '{{ "/8OoAA==" | b64dec }}' },
          metadata: { labels: { app: '{{ .user }}' }, annotations: { note: 'user {{ .user | quote }}' } },
        },
      },
    },
    about: 'template data (bytes that are no UTF-8 included), type, labels and annotations',
  },
  { name: 'template-merge', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ extract: { key: 'diff/flat' } }], target: { template: { mergePolicy: 'Merge', data: { extra: '{{ .user }}-x' } } } }, about: 'mergePolicy Merge keeps the provider keys' },
  {
    name: 'template-from-configmap',
    namespace: B,
    store: css('diff-token'),
    spec: { dataFrom: [{ extract: { key: 'diff/flat' } }], target: { template: { templateFrom: [{ configMap: { name: 'diff-templates', items: [{ key: 'config.yaml', templateAs: 'Values' }, { key: 'env', templateAs: 'KeysAndValues' }] } }] } } },
    about: 'templateFrom a ConfigMap, Values and KeysAndValues',
  },
  {
    name: 'template-from-literal',
    namespace: B,
    store: css('diff-token'),
    spec: { dataFrom: [{ extract: { key: 'diff/flat' } }], target: { template: { templateFrom: [{ literal: 'LIT_{{ .user | upper }}: "{{ .password }}"\nflag: yes\nblock: |\n  one\n  {{ .user }}', target: 'Data' }, { literal: 'team: {{ .user }}', target: 'Labels' }, { literal: 'owner: "{{ .user }}@example.com"', target: 'Annotations' }] } } },
    about: 'templateFrom literals into data, labels and annotations',
  },
  { name: 'rewrite-bad-regexp', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ extract: { key: 'diff/flat' }, rewrite: [{ regexp: { source: '(', target: 'x' } }] }] }, about: 'a rewrite regexp RE2 rejects' },
  { name: 'rewrite-bad-template', namespace: B, store: css('diff-token'), spec: { dataFrom: [{ extract: { key: 'diff/flat' }, rewrite: [{ transform: { template: '{{ .value' } }] }] }, about: 'a transform template Go cannot parse' },
  { name: 'policy-allowed', namespace: NAMESPACES.policy, store: css('diff-token'), spec: one('diff/flat', { property: 'user' }), about: 'a path the namespace policy allows' },
  { name: 'policy-denied', namespace: NAMESPACES.policy, store: css('diff-token'), spec: one('diff/nested'), stricter: 'path policy', about: 'a path the namespace policy denies' },
];

export function externalSecretOf(c: DiffCase): Record<string, unknown> {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: `d-${c.name}`, namespace: c.namespace },
    spec: { refreshInterval: '1h', secretStoreRef: c.store, target: { creationPolicy: 'Owner', deletionPolicy: 'Retain' }, ...c.spec },
  };
}

export interface EsoOutcome {
  synced: boolean;
  reason: string;
  /** the Warning events ESO emitted for the object (the real error text) */
  events: string[];
}

interface EsList {
  items: { metadata: { name: string; namespace: string }; status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }[];
}

/** Waits until ESO has set Ready on every case's ExternalSecret (or the deadline passes), then reads its events. */
export async function esoOutcomes(stack: Stack, cases: DiffCase[], timeoutMs = 90_000): Promise<Map<string, EsoOutcome>> {
  const custom = stack.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const wanted = new Set(cases.map((c) => `${c.namespace}/d-${c.name}`));
  const ready = new Map<string, { status: string; reason: string }>();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const list = (await custom.listClusterCustomObject({ group: 'external-secrets.io', version: 'v1', plural: 'externalsecrets' })) as EsList;
    for (const item of list.items) {
      const key = `${item.metadata.namespace}/${item.metadata.name}`;
      const condition = item.status?.conditions?.find((c) => c.type === 'Ready');
      if (wanted.has(key) && condition) ready.set(key, { status: condition.status, reason: condition.reason ?? '' });
    }
    if ([...wanted].every((key) => ready.has(key))) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const events = await core.listEventForAllNamespaces({ fieldSelector: 'involvedObject.kind=ExternalSecret' });
  const outcomes = new Map<string, EsoOutcome>();
  for (const c of cases) {
    const key = `${c.namespace}/d-${c.name}`;
    const condition = ready.get(key);
    const warnings = events.items
      .filter((e) => e.involvedObject.namespace === c.namespace && e.involvedObject.name === `d-${c.name}` && e.type === 'Warning')
      .map((e) => (e.message ?? '').replace(/\s+/g, ' ').trim());
    outcomes.set(c.name, { synced: condition?.status === 'True', reason: condition ? condition.reason : 'no status (ESO never finished a reconcile)', events: [...new Set(warnings)] });
  }
  return outcomes;
}
