// The decision core with facts given directly: no servers.
import t from 'tap';
import { decide, vaultQuestions } from '../../src/core/decide.js';
import { parseGoDuration } from '../../src/core/duration.js';
import { failed, missing, ok, unavailable, type DecisionInput, type KvSecretFacts, type VaultAnswer } from '../../src/core/facts.js';
import { resolveKvLocation } from '../../src/core/kvPath.js';
import { denialMessage } from '../../src/core/message.js';
import { defaultingPatch, withDefaults } from '../../src/core/mutate.js';
import { closestName, propertyExists, propertyNames } from '../../src/core/properties.js';
import type { ExternalSecret, SecretStore, VaultPathPolicy } from '../../src/eso/types.js';
import { evaluatePathPolicy, pathMatches, patternProblems } from '../../src/policy/pathPolicy.js';

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

function input(externalSecret: ExternalSecret, overrides: Partial<DecisionInput> = {}): DecisionInput {
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

const liveSecret = (names: string[], capabilities = ['read']): VaultAnswer =>
  ok<KvSecretFacts>({ capabilities, read: ok({ version: 3, state: 'live', propertyNames: names }) });

t.test('Go durations', async (t) => {
  t.equal(parseGoDuration('1h'), 3_600_000);
  t.equal(parseGoDuration('1h30m'), 5_400_000);
  t.equal(parseGoDuration('1.5s'), 1500);
  t.equal(parseGoDuration('0'), 0);
  t.equal(parseGoDuration('300ms'), 300);
  for (const bad of ['1d', '5', '', 'h', '1h 30m', '1.h.']) t.equal(parseGoDuration(bad), undefined, bad);
});

t.test('KV locations follow ESO', async (t) => {
  t.same(resolveKvLocation({ path: 'secret', version: 'v2' }, 'postgres-secret')?.apiPath, 'secret/data/postgres-secret');
  t.same(resolveKvLocation({ path: 'secret', version: 'v2' }, 'secret/app/db')?.kvPath, 'secret/app/db');
  t.same(resolveKvLocation({ path: 'secret' }, 'secret/data/app')?.kvPath, 'secret/app');
  t.same(resolveKvLocation({ version: 'v2' }, 'kv/team/app')?.apiPath, 'kv/data/team/app');
  t.same(resolveKvLocation({ path: 'kv1', version: 'v1' }, 'app')?.apiPath, 'kv1/app');
  t.equal(resolveKvLocation({}, 'nomount'), undefined);
});

t.test('path patterns and policies', async (t) => {
  t.ok(pathMatches('secret/{namespace}/*', 'payments', 'secret/payments/stripe'));
  t.notOk(pathMatches('secret/{namespace}/*', 'payments', 'secret/other/stripe'));
  t.ok(pathMatches('secret/shared/+/public', 'x', 'secret/shared/a/public'));
  t.notOk(pathMatches('secret/shared/+/public', 'x', 'secret/shared/a/b/public'));
  t.ok(pathMatches('secret/exact', 'x', 'secret/exact'));
  t.notOk(pathMatches('secret/exact', 'x', 'secret/exactly'));
  t.equal(patternProblems('secret/*/x'), '"secret/*/x": * is only allowed at the end');
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
});

t.test('property lookup and suggestions', async (t) => {
  const data = { POSTGRES_PASSWORD: 'x', nested: { inner: { deep: 1 } }, 'dotted.key': 2 };
  t.ok(propertyExists(data, 'POSTGRES_PASSWORD'));
  t.ok(propertyExists(data, 'nested.inner.deep'));
  t.ok(propertyExists(data, 'dotted.key'));
  t.notOk(propertyExists(data, 'nested.missing'));
  t.same(propertyNames(data), ['POSTGRES_PASSWORD', 'nested', 'nested.inner', 'nested.inner.deep', 'dotted.key']);
  t.equal(closestName('POSTGRES_PASWORD', ['POSTGRES_USER', 'POSTGRES_PASSWORD']), 'POSTGRES_PASSWORD');
  t.equal(closestName('postgres_password', ['POSTGRES_PASSWORD']), 'POSTGRES_PASSWORD');
  t.equal(closestName('completely-different', ['POSTGRES_PASSWORD']), undefined);
});

t.test('a misspelled property is denied with a did-you-mean line, never a value', async (t) => {
  const questions = vaultQuestions(input(postgres));
  t.equal(questions.length, 1, 'two references to one path ask Vault once');
  const verdict = decide(input(postgres), new Map([[questions[0]!.id, liveSecret(['POSTGRES_USER', 'POSTGRES_PASSWORD'])]]));
  t.equal(verdict.allowed, false);
  t.same(verdict.violations.map((v) => `${v.field}: ${v.message}`), [
    'spec.data[1].remoteRef.property: "POSTGRES_PASWORD" not found at secret/postgres-secret (did you mean "POSTGRES_PASSWORD"?)',
  ]);
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
    ],
    dataFrom: [{ extract: { key: 'app/one' }, find: { name: { regexp: 'x' } } }],
  });
  const policies: VaultPathPolicy[] = [{ metadata: { name: 'tenant-paths' }, spec: { allow: ['secret/app/*'] } }];
  const i = input(broken, { policies: ok(policies) });
  const questions = vaultQuestions(i);
  t.same(questions.map((q) => q.id).sort(), ['secret:secret/data/app/gone@current', 'secret:secret/data/app/locked@current', 'secret:secret/data/app/one@current']);
  const answers = new Map<string, VaultAnswer>([
    ['secret:secret/data/app/one@current', liveSecret(['k'])],
    ['secret:secret/data/app/gone@current', ok({ capabilities: ['read'], read: missing() })],
    ['secret:secret/data/app/locked@current', ok({ capabilities: ['deny'] })],
  ]);
  const verdict = decide(i, answers);
  const lines = verdict.violations.map((v) => `${v.field}: ${v.message}`);
  t.same(lines, [
    'spec.refreshInterval: "1d" is not a Go duration (e.g. 30m, 1h, 1h30m)',
    'spec.target.name: "Bad_Name" is not a valid Secret name (lowercase RFC 1123 subdomain)',
    'spec.target.deletionPolicy: Delete needs a Secret the ExternalSecret owns: set creationPolicy Owner, or deletionPolicy Retain or Merge',
    'spec.data[0].secretKey: "a b" must consist of alphanumerics, "-", "_" or "."',
    'spec.data[2].secretKey: "dup" duplicates spec.data[1].secretKey',
    'spec.dataFrom[0]: must set only one of extract or find',
    'spec.data[1].remoteRef.key: namespace "db" may not read secret/payments/stripe (policy tenant-paths)',
    'spec.data[2].remoteRef.key: secret/app/gone not found in Vault',
    'spec.data[3].remoteRef.key: the Vault identity of ClusterSecretStore "vault-backend" may not read secret/data/app/locked (capabilities: deny)',
  ]);
});

t.test('existence is not revealed for paths the policy denies', async (t) => {
  const denied = es({ secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: [{ secretKey: 'k', remoteRef: { key: 'other/x' } }] });
  const i = input(denied, { policies: ok([{ metadata: { name: 'p' }, spec: { allow: ['secret/db/*'] } }]) });
  t.same(vaultQuestions(i), [], 'Vault is never asked about a denied path');
});

t.test('store problems', async (t) => {
  const missingStore = decide(input(postgres, { store: missing() }));
  t.same(missingStore.violations.map((v) => v.message), ['ClusterSecretStore "vault-backend" not found']);
  const conditioned: SecretStore = { ...store, spec: { ...store.spec, conditions: [{ namespaces: ['apps'], namespaceRegexes: ['team-.*'] }] } };
  const verdict = decide(input(postgres, { store: ok(conditioned) }));
  t.same(verdict.violations.map((v) => v.message), ['ClusterSecretStore "vault-backend" does not admit namespace "db" (its spec.conditions)']);
  t.match(verdict.warnings[0]?.message, /not anchored/);
  const selected: SecretStore = { ...store, spec: { ...store.spec, conditions: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'db' } } }] } };
  t.same(vaultQuestions(input(postgres, { store: ok(selected) })).length, 1, 'a selector admitting the namespace lets checks run');
  const other: SecretStore = { kind: 'ClusterSecretStore', metadata: { name: 'vault-backend' }, spec: { provider: { aws: {} } } };
  t.same(decide(input(postgres, { store: ok(other) })), { allowed: true, violations: [], warnings: [], paths: [] }, 'other providers pass unchecked');
});

t.test('failure modes', async (t) => {
  const questions = vaultQuestions(input(postgres));
  const down = new Map<string, VaultAnswer>([[questions[0]!.id, unavailable('connection refused')]]);
  const closed = decide(input(postgres), down);
  t.equal(closed.allowed, false);
  t.same(closed.violations.map((v) => v.message), ['could not check secret/postgres-secret in Vault: connection refused']);
  const open = decide(input(postgres, { options: { requirePathPolicy: false, failureMode: 'open' } }), down);
  t.equal(open.allowed, true);
  t.match(open.warnings[0]?.message, /^allowed by failure mode open: could not check/);
  const badLogin = decide(input(postgres), new Map([[questions[0]!.id, failed<KvSecretFacts>('ClusterSecretStore "vault-backend" cannot log in to Vault: permission denied')]]));
  t.equal(badLogin.violations.length, 1, 'one line for a store-wide problem');
  t.equal(decide(input(postgres, { options: { requirePathPolicy: false, failureMode: 'open' } }), new Map([[questions[0]!.id, failed<KvSecretFacts>('x')]])).allowed, false, 'definite failures deny even in open mode');
});

t.test('deleted versions and scheduled deletions', async (t) => {
  const [question] = vaultQuestions(input(postgres));
  const deleted = decide(input(postgres), new Map([[question!.id, ok<KvSecretFacts>({ capabilities: ['read'], read: ok({ version: 4, state: 'deleted', propertyNames: [] }) })]]));
  t.same(deleted.violations.map((v) => v.message), ['secret/postgres-secret version 4 is deleted (undelete it or pin an older remoteRef.version)']);
  const now = Date.parse('2026-11-26T00:00:00Z');
  const soon = decide(
    input(postgres, { options: { requirePathPolicy: false, failureMode: 'closed', now } }),
    new Map([[question!.id, ok<KvSecretFacts>({ capabilities: ['read'], read: ok({ version: 4, state: 'live', deletionTime: '2026-11-27T00:00:00Z', propertyNames: ['POSTGRES_USER', 'POSTGRES_PASWORD'] }) })]]),
  );
  t.equal(soon.allowed, true);
  t.same(soon.warnings.map((w) => w.message), ['secret/postgres-secret version 4 will be deleted at 2026-11-27T00:00:00Z']);
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
