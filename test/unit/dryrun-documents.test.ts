// Reading dry-run bodies (src/dryrun/documents.ts), without a worker: documents and Lists,
// positions, YAML as kubectl reads it, what leaves the reader (never a Secret's data), the
// review bytes of large objects, and that no input makes it throw anything but a 400.
import t from 'tap';
import fc from 'fast-check';
import { parseAdmissionReview } from '../../src/admission/review.js';
import { withDefaults } from '../../src/core/mutate.js';
import { BodyRejected, prepareBody, type PrepareOptions, type PreparedEntry } from '../../src/dryrun/documents.js';

const OPTIONS: PrepareOptions = { format: 'yaml', wanted: 'ExternalSecret', maxObjects: 100, largeObjectBytes: 64 * 1024 };
const read = (text: string | Uint8Array, options: Partial<PrepareOptions> = {}): PreparedEntry[] => [
  ...prepareBody(typeof text === 'string' ? new TextEncoder().encode(text) : text, { ...OPTIONS, ...options }),
];

const externalSecret = (name: string, extra = '') =>
  `apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: ${name}, namespace: db}\nspec:\n  secretStoreRef: {kind: ClusterSecretStore, name: vault-backend}\n${extra}  data: [{secretKey: k, remoteRef: {key: postgres-secret}}]\n`;

t.test('documents are numbered from 1 with the line each starts on; empty ones are skipped silently', async (t) => {
  const entries = read(`# leading comment\n${externalSecret('a')}---\n---\n# only a comment\n---\n${externalSecret('b')}`);
  t.same(entries.map((e) => [e.type, e.source.document, e.source.line]), [['externalSecret', 1, 2], ['externalSecret', 4, 12]]);
});

t.test('an ExternalSecret carries the mutation and the object the validating webhook would see', async (t) => {
  const [entry] = read(externalSecret('a'));
  t.equal(entry?.type, 'externalSecret');
  if (entry?.type !== 'externalSecret') return;
  t.same(entry.mutation.map((op) => op.path), ['/spec/refreshInterval', '/spec/target']);
  t.same(entry.object, withDefaults({ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'a', namespace: 'db' }, spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: [{ secretKey: 'k', remoteRef: { key: 'postgres-secret' } }] } }));
  t.equal(entry.namespace, 'db');
  t.notOk(entry.review);
});

t.test('other kinds are skipped and carry nothing of their content', async (t) => {
  const entries = read('apiVersion: v1\nkind: Secret\nmetadata: {name: db-creds, namespace: db}\ndata: {password: aHVudGVyMg==}\nstringData: {token: hunter2}\n');
  t.same(entries, [{ source: { document: 1, line: 1 }, apiVersion: 'v1', kind: 'Secret', name: 'db-creds', namespace: 'db', type: 'skipped', reason: 'Secret (v1) is not an ExternalSecret' }]);
  t.notMatch(JSON.stringify(entries), /hunter2|aHVudGVyMg/);
  t.equal(read('apiVersion: external-secrets.io/v1\nkind: ClusterExternalSecret\nmetadata: {name: c}\n')[0]?.type, 'skipped', 'only ExternalSecret itself');
});

t.test('ExternalSecrets of another version are an error, not skipped: admission would judge them', async (t) => {
  const [entry] = read(externalSecret('a').replace('external-secrets.io/v1', 'external-secrets.io/v1beta1'));
  t.equal(entry?.type, 'error');
  t.match(entry?.type === 'error' ? entry.message : '', 'vaultgate judges external-secrets.io/v1 ExternalSecrets (as admission sees them); this one is external-secrets.io/v1beta1');
});

t.test('YAML is read as kubectl reads it (YAML 1.1): y, yes and on are booleans', async (t) => {
  // kubectl 1.35: `metadata: {name: y}` -> "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.name of type string"
  const [name] = read('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\n');
  t.match(name?.type === 'error' ? name.message : '', 'not a Kubernetes object: metadata.name must be string');
  const [entry] = read(externalSecret('a', '  refreshInterval: on\n'));
  t.equal(entry?.type === 'externalSecret' && (entry.object as { spec: { refreshInterval: unknown } }).spec.refreshInterval, true);
});

t.test('broken documents are errors with their position; the others are still read', async (t) => {
  const entries = read(`${externalSecret('a')}---\nmetadata:\n  name: x\n   bad: indent\n---\n- a\n- b\n---\nkind: ConfigMap\n---\napiVersion: v1\nkind: ConfigMap\nkind: Secret\n---\n${externalSecret('b')}`);
  t.same(entries.map((e) => [e.type, e.source.document]), [['externalSecret', 1], ['error', 2], ['error', 3], ['error', 4], ['error', 5], ['externalSecret', 6]]);
  const messages = entries.map((e) => (e.type === 'error' ? e.message : ''));
  t.match(messages[1], /^YAML \(line 9\): /);
  t.equal(messages[2], 'not a Kubernetes object: a document must be a mapping');
  t.equal(messages[3], 'not a Kubernetes object: must have required properties apiVersion');
  t.match(messages[4], /^YAML \(line 19\): Map keys must be unique/);
});

t.test('Lists: any *List with items, each item numbered and placed', async (t) => {
  const item = (name: string) => externalSecret(name).trim().split('\n').join('\n    ');
  const entries = read(`apiVersion: v1\nkind: List\nitems:\n  - ${item('a')}\n  - apiVersion: v1\n    kind: List\n    items: []\n  - ${item('b')}\n`);
  t.same(entries.map((e) => [e.type, e.source.item, e.source.line]), [['externalSecret', 0, 4], ['error', 1, 10], ['externalSecret', 2, 13]]);
  const json = read(JSON.stringify({ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecretList', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }] }), { format: 'json' });
  t.same(json.map((e) => [e.type, e.source]), [['skipped', { document: 1, item: 0 }]]);
});

t.test('JSON: a byte-order mark is fine, broken JSON and __proto__ are errors', async (t) => {
  t.equal(read(`\ufeff${JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })}`, { format: 'json' })[0]?.type, 'skipped');
  const [broken] = read('{"apiVersion": "v1", "kind": ', { format: 'json' });
  t.match(broken?.type === 'error' ? broken.message : '', /^not valid JSON: /);
  const [proto] = read('{"apiVersion":"v1","kind":"ConfigMap","__proto__":{"x":1}}', { format: 'json' });
  t.equal(proto?.type, 'error');
});

t.test('an ExternalSecret nested past the stack is its own error, and the next one is still read', async (t) => {
  const deep = `{"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","metadata":{"name":"deep"},"spec":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`;
  const entries = read(`apiVersion: v1\nkind: List\nitems: []\n---\n${deep}\n---\n${externalSecret('after')}`);
  t.same(entries.map((e) => e.type), ['error', 'externalSecret']);
  const json = read(`{"apiVersion":"v1","kind":"List","items":[${deep}]}`, { format: 'json' });
  t.same(json.map((e) => e.type), ['error']);
  t.match(json[0]?.type === 'error' ? json[0].message : '', /could not be read|not valid JSON/);
});

t.test('limits: objects counted across documents and List items; bytes must be UTF-8', async (t) => {
  t.throws(() => read(Array.from({ length: 4 }, (_, i) => externalSecret(`e${i}`)).join('---\n'), { maxObjects: 3 }), new BodyRejected('the body holds more than 3 objects (documents and List items); send at most 3 per request'));
  t.throws(() => read(`apiVersion: v1\nkind: List\nitems: [${Array.from({ length: 4 }, () => '{apiVersion: v1, kind: ConfigMap}').join(', ')}]\n`, { maxObjects: 3 }), { statusCode: 400, message: /more than 3 objects/ });
  t.equal(read(Array.from({ length: 3 }, (_, i) => externalSecret(`e${i}`)).join('---\n'), { maxObjects: 3 }).length, 3);
  t.throws(() => read(new Uint8Array([0x61, 0x3a, 0x20, 0xc3, 0x28])), new BodyRejected('the body is not valid UTF-8'));
});

t.test('a large ExternalSecret becomes an AdmissionReview the review worker can read', async (t) => {
  const [entry] = read(externalSecret('big', `  refreshInterval: 5m\n  target: {name: big-secret}\n`), { largeObjectBytes: 100 });
  t.ok(entry?.type === 'externalSecret' && entry.review);
  if (entry?.type !== 'externalSecret' || !entry.review) return;
  t.notOk(entry.object);
  const parsed = parseAdmissionReview(JSON.parse(new TextDecoder().decode(entry.review)));
  t.ok(parsed.ok);
  if (!parsed.ok) return;
  t.equal(parsed.request.operation, 'CREATE');
  t.equal(parsed.request.dryRun, true);
  t.same(parsed.request.object?.spec?.target, { name: 'big-secret', creationPolicy: 'Owner', deletionPolicy: 'Retain' }, 'the defaulted object');
});

t.test('policy mode wants VaultPathPolicies and reads nothing else', async (t) => {
  const entries = read(`apiVersion: vaultgate.dev/v1alpha1\nkind: VaultPathPolicy\nmetadata: {name: p}\nspec: {allow: ["secret/{namespace}/*"]}\n---\n${externalSecret('a')}`, { wanted: 'VaultPathPolicy' });
  t.same(entries.map((e) => e.type), ['policy', 'skipped']);
  t.same(entries[0]?.type === 'policy' ? entries[0].object : undefined, { apiVersion: 'vaultgate.dev/v1alpha1', kind: 'VaultPathPolicy', metadata: { name: 'p' }, spec: { allow: ['secret/{namespace}/*'] } });
});

t.test('no input makes the reader throw anything but a BodyRejected', async (t) => {
  const fragments = fc.constantFrom('---\n', 'apiVersion: v1\n', 'kind: List\n', 'items: [', ']', '{', '}', '&a x', '*a', '<<: *a\n', ': ', '- ', '"', "'", '\t', '\u0000', '\ufeff', 'kind: ExternalSecret\n', 'apiVersion: external-secrets.io/v1\n', 'metadata: {name: n}\n', 'spec: {data: [{secretKey: k}]}\n', '!!binary x', '? ', '%YAML 1.2\n');
  fc.assert(
    fc.property(fc.array(fc.oneof(fragments, fc.string({ maxLength: 20 })), { maxLength: 30 }), fc.constantFrom<PrepareOptions['format']>('yaml', 'json'), (parts, format) => {
      try {
        read(parts.join(''), { format, maxObjects: 20 });
      } catch (error) {
        if (!(error instanceof BodyRejected)) throw error;
      }
    }),
    { seed: 20261127, numRuns: 3000 },
  );
  t.pass('3000 generated bodies read, each to entries or a BodyRejected');
});
