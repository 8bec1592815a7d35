// The decision core with facts given directly: no servers.
import t from 'tap';
import { analyze, decideWithoutVault } from '../../src/core/decide.js';
import { authPlan, caBundlePem, storeAccess, tokenProblem } from '../../src/core/auth.js';
import { parseGoDuration } from '../../src/core/duration.js';
import { failed, missing, ok, unavailable, WHOLE_SECRET, type DecisionInput, type FindFacts, type ReadFacts, type VaultAnswer, type Verdict } from '../../src/core/facts.js';
import { convertKey } from '../../src/core/keys.js';
import { denialMessage } from '../../src/core/message.js';
import { defaultingPatch, withDefaults } from '../../src/core/mutate.js';
import { closestName, propertyFact, propertyNames } from '../../src/core/properties.js';
import { dataTarget, findListing, metadataTarget } from '../../src/core/vaultPath.js';
import type { ExternalSecret, SecretStore, VaultPathPolicy, VaultProvider } from '../../src/eso/types.js';
import { evaluatePathPolicy, evaluateSubtreePolicy, pathMatches, patternCoversUnder, patternProblems, patternReachesUnder, policyProblems } from '../../src/policy/pathPolicy.js';

const store: SecretStore = {
  kind: 'ClusterSecretStore',
  metadata: { name: 'vault-backend' },
  spec: { provider: { vault: { server: 'http://vault:8200', path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 't', key: 'token', namespace: 'eso' } } } } },
};

function es(spec: ExternalSecret['spec'], name = 'postgres-secret'): ExternalSecret {
  return { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name, namespace: 'db' }, spec };
}

const postgres = es({
  secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' },
  refreshInterval: '1h',
  data: [
    { secretKey: 'POSTGRES_USER', remoteRef: { key: 'postgres-secret', property: 'POSTGRES_USER' } },
    { secretKey: 'POSTGRES_PASSWORD', remoteRef: { key: 'postgres-secret', property: 'POSTGRES_PASWORD' } },
  ],
});

function input(externalSecret: unknown, overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    externalSecret,
    namespace: 'db',
    namespaceLabels: ok({ 'kubernetes.io/metadata.name': 'db' }),
    store: ok(store),
    policies: ok([]),
    options: { requirePathPolicy: false, failureMode: 'closed' },
    ...overrides,
  };
}

/** A live secret with these top-level keys; every property asked is judged against them. */
function liveSecret(data: Record<string, unknown>, capabilities = ['read']): (properties: string[]) => VaultAnswer {
  return (properties) =>
    ok<ReadFacts>({
      capabilities,
      outcome: { state: 'found', version: 3, propertyNames: propertyNames(data), properties: Object.fromEntries(properties.map((p) => [p, propertyFact(data, p)])) },
    });
}

type Responder = VaultAnswer | ((properties: string[]) => VaultAnswer);

/** analyze(), answer each question by its API path (or find list path), decide(). */
function verdictOf(i: DecisionInput, byPath: Record<string, Responder> = {}): { verdict: Verdict; asked: string[] } {
  const analysis = analyze(i);
  const asked: string[] = [];
  const answers = new Map<string, VaultAnswer>();
  for (const question of analysis.vault?.questions ?? []) {
    const path = question.kind === 'find' ? question.listApiPath : question.apiPath;
    asked.push(`${question.kind}:${path}`);
    const responder = byPath[path];
    if (responder === undefined) continue;
    answers.set(question.id, typeof responder === 'function' ? responder(question.kind === 'find' ? [] : question.properties) : responder);
  }
  return { verdict: analysis.decide(answers), asked };
}

const lines = (verdict: Verdict) => verdict.violations.map((v) => `${v.field}: ${v.message}`);

t.test('Go durations', async (t) => {
  t.equal(parseGoDuration('1h'), 3_600_000);
  t.equal(parseGoDuration('1h30m'), 5_400_000);
  t.equal(parseGoDuration('1.5s'), 1500);
  t.equal(parseGoDuration('0'), 0);
  t.equal(parseGoDuration('300ms'), 300);
  for (const bad of ['1d', '5', '', 'h', '1h 30m', '1.h.']) t.equal(parseGoDuration(bad), undefined, bad);
});

t.test('Vault paths follow ESO, judged cleaned', async (t) => {
  const v2: VaultProvider = { path: 'secret', version: 'v2' };
  const none: VaultProvider = { version: 'v2' };
  const v1: VaultProvider = { path: 'kv1', version: 'v1' };
  // (provider, key) -> [API path Vault serves, kv path policies judge], from ESO's buildPath and the Vault client's path.Join.
  const table: [VaultProvider, string, string, string][] = [
    [v2, 'foo', 'secret/data/foo', 'secret/foo'],
    [v2, '/foo', 'secret/data/foo', 'secret/foo'],
    [v2, 'foo/', 'secret/data/foo', 'secret/foo'],
    [v2, 'a//b', 'secret/data/a/b', 'secret/a/b'],
    [v2, 'secret/foo', 'secret/data/foo', 'secret/foo'],
    [v2, 'secret/data/foo', 'secret/data/foo', 'secret/foo'],
    [v2, 'data/foo', 'secret/data/data/foo', 'secret/data/foo'],
    [v2, 'secret', 'secret/data/secret', 'secret/secret'],
    [{ path: 'secret/data', version: 'v2' }, 'foo', 'secret/data/data/foo', 'secret/data/foo'],
    [{ path: 'secret/', version: 'v2' }, 'foo', 'secret/data/foo', 'secret/foo'],
    [{ path: 'team/kv', version: 'v2' }, 'team/kv/data/x', 'team/kv/data/x', 'team/kv/x'],
    [none, 'secret/foo', 'secret/data/foo', 'secret/foo'],
    [none, 'secret/data/foo', 'secret/data/foo', 'secret/foo'],
    [none, 'team/kv/x', 'team/data/kv/x', 'team/kv/x'],
    [none, 'foo', 'foo/data', 'foo'],
    [v1, 'app', 'kv1/app', 'kv1/app'],
    [v1, 'kv1/app', 'kv1/app', 'kv1/app'],
    [{ version: 'v1' }, 'kv1/app', 'kv1/app', 'kv1/app'],
    [v2, 'foo?version=3', 'secret/data/foo?version=3', 'secret/foo?version=3'],
  ];
  for (const [provider, key, apiPath, kvPath] of table) {
    const target = dataTarget(provider, key);
    t.same(target, { ok: true, value: { apiPath, kvPath } }, `${JSON.stringify(provider)} ${key}`);
  }
  for (const key of ['team-a/../team-b/db', './x', 'foo/.', '../../sys/mounts', 'a/%2e%2e/b', 'a\u0000b', 'x\ny']) {
    const target = dataTarget(v2, key);
    t.equal(target.ok, false, `${JSON.stringify(key)} is refused`);
    if (!target.ok) t.match(target.message, 'stricter than ESO on purpose');
  }
  t.same(metadataTarget(v2, 'secret/foo'), { ok: true, value: { apiPath: 'secret/metadata/secret/foo', kvPath: 'secret/secret/foo' } }, 'Fetch does not strip the mount');
  t.same(metadataTarget(none, 'secret/data/foo'), { ok: true, value: { apiPath: 'secret/metadata/foo', kvPath: 'secret/foo' } });
  t.match(metadataTarget(none, 'secret/foo'), { ok: false, message: /isn't a valid kv v2 path/ });
  t.match(metadataTarget(v1, 'app'), { ok: false, message: 'cannot perform metadata fetch operations with kv version v1' });
  t.same(findListing(v2, 'app'), { ok: true, value: { listApiPath: 'secret/metadata/app', namePrefix: 'app/', rootKvPath: 'secret/app' } });
  t.same(findListing(v2, undefined), { ok: true, value: { listApiPath: 'secret/metadata', namePrefix: '', rootKvPath: 'secret' } });
  t.match(findListing(none, undefined), { ok: false });
  t.match(findListing({ version: 'v1' }, 'x'), { ok: false }, 'ESO panics on a v1 find without a store path');
});

t.test('auth plans follow ESO', async (t) => {
  t.same(authPlan(undefined, 'ClusterSecretStore', 'db'), { method: 'none' });
  t.same(authPlan({}, 'ClusterSecretStore', 'db'), { invalid: 'cannot initialize Vault client: no valid auth method specified' });
  t.same(authPlan({ tokenSecretRef: { name: 't', key: 'k' } }, 'ClusterSecretStore', 'db'), { method: 'token', token: { from: 'secret', ref: { namespace: 'db', name: 't', key: 'k' } } }, 'a ClusterSecretStore reference without namespace is the ExternalSecret\'s');
  t.same(authPlan({ tokenSecretRef: { name: 't', key: 'k', namespace: 'other' } }, 'SecretStore', 'db'), { method: 'token', token: { from: 'secret', ref: { namespace: 'db', name: 't', key: 'k' } } }, 'a SecretStore reference always resolves in the ExternalSecret\'s namespace');
  t.same(authPlan({ tokenSecretRef: { name: 't', key: 'k' }, appRole: { roleId: 'r' } }, 'SecretStore', 'db'), authPlan({ tokenSecretRef: { name: 't', key: 'k' } }, 'SecretStore', 'db'), 'the first method wins');
  t.same(authPlan({ kubernetes: { role: 'r', secretRef: { name: 'jwt' } } }, 'SecretStore', 'db'), {
    method: 'kubernetes',
    loginPath: 'auth/kubernetes/login',
    body: { role: { from: 'literal', value: 'r' }, jwt: { from: 'secret', ref: { namespace: 'db', name: 'jwt', key: 'token' } } },
  }, 'kubernetes secretRef key defaults to token');
  t.match(authPlan({ kubernetes: { role: 'r' } }, 'SecretStore', 'db'), { method: 'unchecked' }, "ESO's own service account cannot be checked");
  t.same(authPlan({ appRole: { path: 'approle', roleId: ' id ', secretRef: { name: 's', key: 'sid' } } }, 'SecretStore', 'db'), {
    method: 'appRole',
    loginPath: 'auth/approle/login',
    body: { role_id: { from: 'literal', value: 'id' }, secret_id: { from: 'secret', ref: { namespace: 'db', name: 's', key: 'sid' } } },
  });
  t.same(authPlan({ appRole: { path: 'approle' } }, 'SecretStore', 'db'), { invalid: 'invalid Auth.AppRole: neither `roleId` nor `roleRef` was supplied' });
  t.same(authPlan({ userPass: { path: 'userpass', username: ' me ', secretRef: { name: 'p', key: 'password' } } }, 'SecretStore', 'db'), {
    method: 'userPass',
    loginPath: 'auth/userpass/login/me',
    body: { password: { from: 'secret', ref: { namespace: 'db', name: 'p', key: 'password' } } },
  });
  t.match(authPlan({ jwt: { path: 'jwt', role: 'r', kubernetesServiceAccountToken: { serviceAccountRef: { name: 'sa' } } } }, 'SecretStore', 'db'), {
    method: 'jwt',
    body: { jwt: { from: 'serviceAccount', ref: { name: 'sa', audiences: ['vault'], expirationSeconds: 600 } } },
  }, 'jwt service-account tokens default to audience vault');
  t.match(authPlan({ cert: { clientCert: { name: 'c', key: 'tls.crt' }, secretRef: { name: 'c', key: 'tls.key' } } }, 'SecretStore', 'db'), { method: 'cert', loginPath: 'auth/cert/login' });
  t.match(authPlan({ iam: {} }, 'SecretStore', 'db'), { method: 'unchecked' });
  const access = storeAccess({ spec: { provider: { vault: { server: 'https://v:8200/', namespace: 'team', auth: { namespace: 'admin', tokenSecretRef: { name: 't', key: 'k' } } } } } }, 'SecretStore', 'db');
  t.match(access, { ok: true, access: { connection: { server: 'https://v:8200', readNamespace: 'team', loginNamespace: 'admin' } } });
  t.equal(tokenProblem('hvs.abc'), undefined);
  t.match(tokenProblem('hvs.abc\n'), 'non-printable', 'a token with a trailing newline fails as in ESO');
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  t.equal(caBundlePem(Buffer.from(pem).toString('base64')), pem);
  t.equal(caBundlePem(Buffer.from(Buffer.from(pem).toString('base64')).toString('base64')), pem, 'one more base64 layer is accepted');
  t.equal(caBundlePem(Buffer.from('nope').toString('base64')), undefined);
});

t.test('path patterns and policies', async (t) => {
  t.ok(pathMatches('secret/{namespace}/*', 'payments', 'secret/payments/stripe'));
  t.notOk(pathMatches('secret/{namespace}/*', 'payments', 'secret/other/stripe'));
  t.ok(pathMatches('secret/shared/+/public', 'x', 'secret/shared/a/public'));
  t.notOk(pathMatches('secret/shared/+/public', 'x', 'secret/shared/a/b/public'));
  t.ok(pathMatches('secret/exact', 'x', 'secret/exact'));
  t.notOk(pathMatches('secret/exact', 'x', 'secret/exactly'));
  t.same(patternProblems('secret/*/x'), ['* is only allowed at the end of a pattern']);
  t.same(patternProblems('secret/a+b'), ['+ must be a whole path segment']);
  t.same(patternProblems('/secret/x'), ['patterns start with the mount, without a leading /']);
  t.same(patternProblems('secret//x'), ['patterns have no empty segments (// or a trailing /): Vault serves cleaned paths']);
  t.same(patternProblems('secret/../x'), ['. and .. segments never occur in the paths Vault serves']);
  t.same(patternProblems('secret/{name}/x'), ['{namespace} is the only placeholder']);
  t.same(patternProblems('secret/%2e'), ['patterns contain no percent-encoding or control characters']);
  t.same(patternProblems('secret/{namespace}/*'), []);
  t.same(policyProblems({ spec: { allow: ['ok/*'], deny: ['bad/*/x'] } }), ['spec.deny[0] "bad/*/x": * is only allowed at the end of a pattern']);
  const policies: VaultPathPolicy[] = [
    { metadata: { name: 'tenant-paths' }, spec: { namespaceSelector: { matchLabels: { team: 'payments' } }, allow: ['secret/{namespace}/*', 'secret/shared/+/public'], deny: ['secret/shared/admin/*'] } },
    { metadata: { name: 'extra' }, spec: { namespaceSelector: { matchLabels: { team: 'payments' } }, allow: ['secret/shared/admin/*'] } },
  ];
  const query = (kvPath: string, labels: Record<string, string> = { team: 'payments' }) =>
    evaluatePathPolicy({ namespace: 'payments', namespaceLabels: labels, store: { kind: 'ClusterSecretStore', name: 'vault-backend' }, kvPath }, policies, false);
  t.same(query('secret/payments/stripe'), { allowed: true, policy: 'tenant-paths' });
  t.same(query('secret/shared/admin/root'), { allowed: false, policy: 'tenant-paths', because: 'denied' }, 'deny wins over another policy allow');
  t.same(query('secret/other/x'), { allowed: false, policy: 'extra, tenant-paths', because: 'not-allowed' });
  t.same(query('secret/other/x', {}), { allowed: true }, 'unselected namespace allowed by default');
  t.same(
    evaluatePathPolicy({ namespace: 'x', namespaceLabels: {}, store: { kind: 'SecretStore', name: 's' }, kvPath: 'a/b' }, policies, true),
    { allowed: false, policy: 'require-path-policy', because: 'no-policy' },
  );
  const mistyped: VaultPathPolicy[] = [{ metadata: { name: 'typo' }, spec: { allow: ['secret/*'], deny: ['secret/*/admin'] } }];
  t.match(
    evaluatePathPolicy({ namespace: 'x', namespaceLabels: {}, store: { kind: 'SecretStore', name: 's' }, kvPath: 'secret/app' }, mistyped, false),
    { allowed: false, because: 'invalid-pattern' },
    'a deny vaultgate cannot honour fails safe instead of denying nothing',
  );
});

t.test('subtree policy for dataFrom.find is decided without listing Vault', async (t) => {
  t.ok(patternReachesUnder('secret/team-a/admin/*', 'team-a', 'secret/team-a'));
  t.ok(patternReachesUnder('secret/+/admin', 'team-a', 'secret/team-a'));
  t.ok(patternReachesUnder('secret/*', 'team-a', 'secret/team-a'));
  t.ok(patternReachesUnder('secret/team-*', 'x', 'secret/team-a'));
  t.notOk(patternReachesUnder('secret/team-b/*', 'x', 'secret/team-a'));
  t.notOk(patternReachesUnder('secret/team-a', 'x', 'secret/team-a'), 'the root itself is no name under it');
  t.ok(patternCoversUnder('secret/{namespace}/*', 'team-a', 'secret/team-a'));
  t.ok(patternCoversUnder('secret/*', 'team-a', 'secret/team-a/app'));
  t.ok(patternCoversUnder('secret/+/*', 'team-a', 'secret/team-a'));
  t.notOk(patternCoversUnder('secret/team-a/+', 'x', 'secret/team-a'), 'one segment is not the whole subtree');
  t.notOk(patternCoversUnder('secret/team-a/app/*', 'x', 'secret/team-a'));
  const policies: VaultPathPolicy[] = [{ metadata: { name: 'tenant' }, spec: { allow: ['secret/{namespace}/*'], deny: ['secret/{namespace}/admin/*'] } }];
  const query = (root: string) => evaluateSubtreePolicy({ namespace: 'team-a', namespaceLabels: {}, store: { kind: 'SecretStore', name: 's' }, kvPath: root }, policies, false);
  t.same(query('secret/team-a/app'), { allowed: true, policy: 'tenant' });
  t.match(query('secret/team-a'), { allowed: false, because: 'denied' }, 'a deny inside the subtree denies the find whatever exists there');
  t.match(query('secret'), { allowed: false });
});

t.test('property facts follow ESO (literal key first, then gjson)', async (t) => {
  const data = { POSTGRES_PASSWORD: 'x', nested: { inner: { deep: 1 } }, 'dotted.key': 2, list: [{ name: 'a' }, { name: 'b' }], json: '{"a":1}' };
  t.match(propertyFact(data, 'POSTGRES_PASSWORD'), { found: true, kind: 'string', objectJson: false });
  t.match(propertyFact(data, 'nested.inner.deep'), { found: true, kind: 'number' });
  t.match(propertyFact(data, 'nested'), { found: true, kind: 'object', objectJson: true });
  t.match(propertyFact(data, 'dotted.key'), { found: true }, 'a literal key with a dot');
  t.match(propertyFact(data, 'list.1.name'), { found: true, kind: 'string' }, 'gjson array index');
  t.match(propertyFact(data, 'list.#'), { found: true, kind: 'number' });
  t.match(propertyFact(data, 'json'), { found: true, kind: 'string', objectJson: true }, 'a string holding a JSON object can be extracted');
  t.same(propertyFact(data, 'nested.missing'), { found: false });
  t.same(propertyFact(data, WHOLE_SECRET), { found: true, kind: 'object', objectJson: true });
  t.same(propertyNames(data), ['POSTGRES_PASSWORD', 'nested', 'dotted.key', 'list', 'json', 'nested.inner', 'nested.inner.deep']);
  t.equal(closestName('POSTGRES_PASWORD', ['POSTGRES_USER', 'POSTGRES_PASSWORD']), 'POSTGRES_PASSWORD');
  t.equal(closestName('postgres_password', ['POSTGRES_PASSWORD']), 'POSTGRES_PASSWORD');
  t.equal(closestName('completely-different', ['POSTGRES_PASSWORD']), undefined);
  t.equal(convertKey('app/db', 'Default'), 'app_db');
  t.equal(convertKey('app/db', 'Unicode'), 'app_U002f_db');
  t.equal(convertKey('ünï.k-e_y', 'Default'), 'ünï.k-e_y');
});

t.test('a misspelled property is denied with a did-you-mean line, never a value', async (t) => {
  const { verdict, asked } = verdictOf(input(postgres), { 'secret/data/postgres-secret': liveSecret({ POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: 's3cr3t' }) });
  t.same(asked, ['read:secret/data/postgres-secret'], 'two references to one path ask Vault once');
  t.equal(verdict.allowed, false);
  t.same(lines(verdict), ['spec.data[1].remoteRef.property: "POSTGRES_PASWORD" not found at secret/postgres-secret (did you mean "POSTGRES_PASSWORD"?)']);
  t.notMatch(JSON.stringify(verdict), 's3cr3t');
  t.equal(
    denialMessage('ExternalSecret db/postgres-secret', verdict.violations),
    'ExternalSecret db/postgres-secret:\n  spec.data[1].remoteRef.property: "POSTGRES_PASWORD" not found at secret/postgres-secret (did you mean "POSTGRES_PASSWORD"?)',
  );
});

t.test('every problem is reported at once', async (t) => {
  const broken = es({
    secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' },
    refreshInterval: '1d',
    target: { name: 'Bad_Name', creationPolicy: 'Merge', deletionPolicy: 'Delete' },
    data: [
      { secretKey: 'a b', remoteRef: { key: 'app/one' } },
      { secretKey: 'dup', remoteRef: { key: 'payments/stripe' } },
      { secretKey: 'dup', remoteRef: { key: 'app/gone' } },
      { secretKey: 'nocap', remoteRef: { key: 'app/locked' } },
      { secretKey: 'sneaky', remoteRef: { key: 'app/../payments/stripe' } },
    ],
    dataFrom: [{ extract: { key: 'app/one' }, find: { name: { regexp: 'x' } } }, { find: { name: { regexp: '(?=x)' } } }],
  });
  const policies: VaultPathPolicy[] = [{ metadata: { name: 'tenant-paths' }, spec: { allow: ['secret/app/*'] } }];
  const { verdict, asked } = verdictOf(input(broken, { policies: ok(policies) }), {
    'secret/data/app/one': liveSecret({ k: 'v' }),
    'secret/data/app/gone': ok<ReadFacts>({ capabilities: ['read'], outcome: { state: 'no-secret', detail: 'missing' } }),
    'secret/data/app/locked': ok<ReadFacts>({ capabilities: ['deny'] }),
  });
  t.same(asked.sort(), ['read:secret/data/app/gone', 'read:secret/data/app/locked', 'read:secret/data/app/one']);
  t.same(lines(verdict), [
    'spec.refreshInterval: "1d" is not a Go duration (e.g. 30m, 1h, 1h30m); ESO cannot read it, and one such object stops ESO\'s sync for every ExternalSecret',
    'spec.target.name: "Bad_Name" is not a valid Secret name (lowercase RFC 1123 subdomain)',
    "spec.target.deletionPolicy: deletionPolicy=Delete must not be used when the controller doesn't own the secret. Please set creationPolicy=Owner",
    'spec.data[0].secretKey: "a b" must consist of alphanumerics, "-", "_" or "." (at most 253)',
    'spec.dataFrom[0]: extract, find, or generatorRef cannot be set at the same time',
    'spec.dataFrom[1].find.name.regexp: could not compile find.name.regexp [(?=x)]: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    'spec.data[1].remoteRef.key: namespace "db" may not read secret/payments/stripe (policy tenant-paths)',
    'spec.data[4].remoteRef.key: "app/../payments/stripe" has a "." or ".." segment: Vault would read a different path than it names (stricter than ESO on purpose)',
    'spec.data[3].remoteRef.key: the Vault identity of ClusterSecretStore "vault-backend" may not read secret/data/app/locked (capabilities: deny)',
  ]);
  t.same(verdict.warnings.map((w) => w.message), [
    'duplicate secretKey found: dup (also spec.data[1]); the later entry overwrites the earlier',
    'secret/app/gone not found in Vault; ESO skips it under deletionPolicy Delete',
  ], 'under deletionPolicy Delete, ESO skips duplicates and missing secrets instead of failing');
});

t.test('hostile shapes become findings, never exceptions', async (t) => {
  const cases: [unknown, string][] = [
    [null, '(object): must be an object'],
    [{ spec: 'x' }, 'spec: must be an object'],
    [{ spec: { secretStoreRef: { name: 'vault-backend', kind: 'ClusterSecretStore' }, data: 'nope' } }, 'spec.data: must be a list'],
    [{ spec: { secretStoreRef: { name: 'vault-backend', kind: 'ClusterSecretStore' }, data: [7] } }, 'spec.data[0]: must be an object'],
    [{ spec: { secretStoreRef: { name: 42 }, data: [{ secretKey: 'k', remoteRef: { key: ['a'] } }] } }, 'spec.secretStoreRef.name: must be a string'],
  ];
  for (const [object, line] of cases) {
    const verdict = decideWithoutVault(input(object));
    t.equal(verdict.allowed, false, JSON.stringify(object));
    t.ok(lines(verdict).includes(line), `${line} in ${JSON.stringify(lines(verdict))}`);
  }
  const huge = es({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: Array.from({ length: 50_000 }, (_, i) => ({ secretKey: `k${i}`, remoteRef: { key: `app/p${i % 5000}` } })) });
  const verdict = decideWithoutVault(input(huge));
  t.same(lines(verdict), ['spec.data: 50000 data and 0 dataFrom entries exceed the limit of 1000 entries per ExternalSecret (--max-entries)'], 'refused by its size alone: no entry is read');
  const manyPaths = es({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: Array.from({ length: 150 }, (_, i) => ({ secretKey: `k${i}`, remoteRef: { key: `app/p${i}` } })) });
  const tooMany = analyze(input(manyPaths));
  t.equal(tooMany.vault, undefined, 'Vault is not asked about 150 paths');
  t.same(lines(tooMany.decide()), ['spec: reads 150 distinct Vault paths; the limit is 100 per ExternalSecret (--max-paths)']);
});

t.test('existence is not revealed for paths the policy denies', async (t) => {
  const denied = es({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: [{ secretKey: 'k', remoteRef: { key: 'other/x' } }] });
  const analysis = analyze(input(denied, { policies: ok([{ metadata: { name: 'p' }, spec: { allow: ['secret/db/*'] } }]) }));
  t.equal(analysis.vault, undefined, 'Vault is never asked about a denied path');
  const find = es({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, dataFrom: [{ find: { path: 'db', name: { regexp: 'admin' } } }] });
  const policies = ok<VaultPathPolicy[]>([{ metadata: { name: 'p' }, spec: { allow: ['secret/db/*'], deny: ['secret/db/admin/*'] } }]);
  const findAnalysis = analyze(input(find, { policies }));
  t.equal(findAnalysis.vault, undefined, 'a find whose subtree holds a denied path is refused before listing');
  t.match(lines(findAnalysis.decide()), [/spec\.dataFrom\[0\]\.find\.path: namespace "db" may not read secret\/db\/\* \(policy p: deny pattern "secret\/db\/admin\/\*" reaches under secret\/db\/\)/]);
});

t.test('dataFrom.find: limits, collisions and capabilities', async (t) => {
  const find = es({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, dataFrom: [{ find: { path: 'app', name: { regexp: '.' } } }] });
  const answer = (facts: Partial<FindFacts>): VaultAnswer => ok<FindFacts>({ matched: [], unreadable: [], truncated: false, listed: 0, ...facts });
  const run = (facts: Partial<FindFacts>, spec = find) => verdictOf(input(spec), { 'secret/metadata/app': answer(facts) }).verdict;
  t.same(run({ matched: ['app/a', 'app/b'], listed: 2 }).allowed, true);
  t.same(lines(run({ truncated: true, listed: 1001 })), ['spec.dataFrom[0].find: lists more than 1001 secrets under secret/app; the limit is 1000 (--max-find-names): narrow find.path']);
  t.same(lines(run({ matched: ['app/a-b', 'app/a_b'], listed: 2 })), [], '"-" is kept, so these two do not collide');
  t.same(lines(run({ matched: ['app/x', 'app_x'], listed: 2 })), ['spec.dataFrom[0].find: secret name collision during conversion: app_x ("app/x" and "app_x")']);
  t.match(lines(run({ matched: ['app/a'], unreadable: ['app/a'], listed: 1 })), [/may not read 1 matched secret\(s\) under secret\/app \("app\/a"\)/]);
  t.same(lines(run({ failure: { noSecret: true, message: 'Secret does not exist' } })), ['spec.dataFrom[0].find.path: cannot list secret/app: Secret does not exist']);
  const none = run({ matched: [], listed: 3 });
  t.equal(none.allowed, true);
  t.same(none.warnings.map((w) => w.message), ['matches no secret under secret/app']);
});

t.test('store problems', async (t) => {
  const missingStore = decideWithoutVault(input(postgres, { store: missing() }));
  t.same(missingStore.violations.map((v) => v.message), ['ClusterSecretStore "vault-backend" not found']);
  const conditioned: SecretStore = { ...store, spec: { ...store.spec, conditions: [{ namespaces: ['apps'], namespaceRegexes: ['team-.*'] }] } };
  t.same(decideWithoutVault(input(postgres, { store: ok(conditioned) })).violations.map((v) => v.message), ['ClusterSecretStore "vault-backend" does not admit namespace "db" (its spec.conditions)']);
  const unanchored: SecretStore = { ...store, spec: { ...store.spec, conditions: [{ namespaceRegexes: ['d'] }] } };
  t.ok(analyze(input(postgres, { store: ok(unanchored) })).vault, 'ESO matches namespaceRegexes unanchored, as Go regexp.MatchString');
  const selected: SecretStore = { ...store, spec: { ...store.spec, conditions: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'db' } } }] } };
  t.equal(analyze(input(postgres, { store: ok(selected) })).vault?.questions.length, 1, 'a selector admitting the namespace lets checks run');
  const other: SecretStore = { kind: 'ClusterSecretStore', metadata: { name: 'vault-backend' }, spec: { provider: { aws: {} } } };
  t.same(decideWithoutVault(input(postgres, { store: ok(other) })), { allowed: true, violations: [], warnings: [], paths: [] }, 'other providers pass unchecked');
  const iam: SecretStore = { ...store, spec: { provider: { vault: { server: 'http://v', path: 'secret', auth: { iam: {} } } } } };
  const skipped = decideWithoutVault(input(postgres, { store: ok(iam) }));
  t.equal(skipped.allowed, true);
  t.match(skipped.warnings.map((w) => w.message), [/^capability and existence checks skipped: AWS IAM/]);
  const noAuth: SecretStore = { ...store, spec: { provider: { vault: { server: 'http://v', path: 'secret', auth: {} } } } };
  t.same(decideWithoutVault(input(postgres, { store: ok(noAuth) })).violations.map((v) => v.message), ['ClusterSecretStore "vault-backend" cannot log in to Vault: cannot initialize Vault client: no valid auth method specified']);
});

t.test('failure modes', async (t) => {
  const down = { 'secret/data/postgres-secret': unavailable<ReadFacts>('connection refused') };
  const closed = verdictOf(input(postgres), down).verdict;
  t.equal(closed.allowed, false);
  t.same(closed.violations.map((v) => v.message), ['could not check secret/postgres-secret in Vault: connection refused']);
  const openOptions = { requirePathPolicy: false, failureMode: 'open' as const };
  const open = verdictOf(input(postgres, { options: openOptions }), down).verdict;
  t.equal(open.allowed, true);
  t.match(open.warnings[0]?.message, /^allowed by failure mode open: could not check/);
  const badLogin = verdictOf(input(postgres), { 'secret/data/postgres-secret': failed<ReadFacts>('ClusterSecretStore "vault-backend" cannot log in to Vault: permission denied') }).verdict;
  t.equal(badLogin.violations.length, 1, 'one line for a store-wide problem');
  t.equal(verdictOf(input(postgres, { options: openOptions }), { 'secret/data/postgres-secret': failed<ReadFacts>('x') }).verdict.allowed, false, 'definite failures deny even in open mode');
});

t.test('deleted versions, version pins and scheduled deletions', async (t) => {
  const path = 'secret/data/postgres-secret';
  const deleted = verdictOf(input(postgres), { [path]: ok<ReadFacts>({ capabilities: ['read'], outcome: { state: 'no-secret', detail: 'deleted', version: 4 } }) }).verdict;
  t.same(deleted.violations.map((v) => v.message), ['secret/postgres-secret version 4 is deleted (undelete it or pin an older remoteRef.version)']);
  const pinned = es({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: [{ secretKey: 'k', remoteRef: { key: 'postgres-secret', version: 'abc' } }] });
  const analysis = analyze(input(pinned));
  t.match(analysis.vault?.questions, [{ kind: 'read', apiPath: path, version: 'abc' }], 'the version is passed as ESO passes it, unvalidated');
  const now = Date.parse('2026-11-26T00:00:00Z');
  const soon = verdictOf(input(postgres, { options: { requirePathPolicy: false, failureMode: 'closed', now } }), {
    [path]: (properties) =>
      ok<ReadFacts>({ capabilities: ['read'], outcome: { state: 'found', version: 4, deletionTime: '2026-11-27T00:00:00Z', propertyNames: [], properties: Object.fromEntries(properties.map((p) => [p, { found: true, kind: 'string', objectJson: false }])) } }),
  }).verdict;
  t.equal(soon.allowed, true);
  t.same(soon.warnings.map((w) => w.message), ['secret/postgres-secret version 4 will be deleted at 2026-11-27T00:00:00Z']);
});

t.test('metadataPolicy Fetch and dataFrom.extract', async (t) => {
  const fetch = es({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: [{ secretKey: 'owner', remoteRef: { key: 'app/x', property: 'owner', metadataPolicy: 'Fetch', version: '9' } }] });
  const analysis = analyze(input(fetch));
  t.same(analysis.vault?.questions, [{ id: 'metadata:secret/metadata/app/x', kind: 'metadata', apiPath: 'secret/metadata/app/x', kvPath: 'secret/app/x', properties: ['owner'] }], 'Fetch reads custom_metadata and ignores version');
  const extract = es({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, dataFrom: [{ extract: { key: 'app/x', property: 'db' } }, { extract: { key: 'app/x', property: 'list' } }] });
  const verdict = verdictOf(input(extract), { 'secret/data/app/x': liveSecret({ db: { host: 'h' }, list: [1] }) }).verdict;
  t.same(lines(verdict), ['spec.dataFrom[1].extract.property: "list" at secret/app/x is a JSON array; dataFrom.extract needs a JSON object of keys']);
});

t.test('defaults are made explicit, once', async (t) => {
  const bare = es({ secretStoreRef: { name: 's' }, data: [{ secretKey: 'k', remoteRef: { key: 'a/b' } }] }, 'app');
  t.same(
    defaultingPatch(bare).sort((a, b) => a.path.localeCompare(b.path)),
    [
      { op: 'add', path: '/spec/refreshInterval', value: '1h' },
      { op: 'add', path: '/spec/target', value: { name: 'app', creationPolicy: 'Owner', deletionPolicy: 'Retain' } },
    ],
  );
  t.same(defaultingPatch(withDefaults(bare)), [], 'reinvocation changes nothing');
  const partial = es({ secretStoreRef: { name: 's' }, refreshInterval: '5m', target: { creationPolicy: 'Merge' }, data: [] }, 'app');
  t.same(withDefaults(partial).spec?.target, { creationPolicy: 'Merge', name: 'app', deletionPolicy: 'Retain' });
  t.equal(withDefaults(partial).spec?.refreshInterval, '5m');
});
