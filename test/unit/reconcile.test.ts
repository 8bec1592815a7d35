// The reconciler's pure parts: the work queue's controller-runtime semantics, ESO's hashes
// (test vectors computed with Go), the refresh schedule, the bytes ESO writes from Vault
// data, the Secret ESO's mutationFunc produces, and the status it reports.
import t from 'tap';
import { createdByHash, dataHash, fieldManagerFor, syncedResourceVersion } from '../../src/core/esoHash.js';
import { assembleProviderData, findMap, getSecret, getSecretMap, processDataFromMap, processDataValue } from '../../src/core/esoValues.js';
import { JsonNumber, parseJsonKeepingNumbers } from '../../src/core/gjson.js';
import { isSecretValid, requeueAfterMs, shouldRefresh, spreadFor } from '../../src/core/schedule.js';
import { emptySecret, planSecret, secretChanged } from '../../src/core/secretPlan.js';
import { markDone, markFailed, statusChanged } from '../../src/core/status.js';
import type { ExternalSecret } from '../../src/eso/types.js';
import { WorkQueue } from '../../src/reconcile/queue.js';
import { CollectionIndex } from '../../src/kube/informers.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const text = (value: Uint8Array | undefined) => Buffer.from(value ?? []).toString('utf8');
const noSources = { configMap: () => undefined, secret: () => undefined };

t.test('ESO hashes, byte for byte (vectors from Go)', async (t) => {
  t.equal(dataHash({ foo: bytes('bar') }), 'f2a604b87eb0cf673761e8cfea850f901fe73a3d1b2f338802107f36');
  t.equal(dataHash({ username: bytes('admin'), password: bytes('s3cr3t') }), '4dc87f1bc1b42f99971f11cd8a752c3c1babc6486c0744d841d68c6a');
  t.equal(dataHash({}), '74a974446e359fb3e6baff9bd0058950e6edd0f040888d9989b0a11b');
  t.equal(dataHash({ a: new Uint8Array(), b: new Uint8Array([0, 10, 255]) }), 'fdc630851f879aaddc4911ff629844639ade079e1e97ac0da77b378a');
  t.equal(createdByHash('default', 'example'), '5b1224068cc3cca5aa3071e518838346f821fe1761229559d4959980');
  t.equal(syncedResourceVersion({ generation: 1 }), '1-f47fe3c0b255b6dd8047cdffa772587bb829efe7a1cb70febeda2eb2');
  t.equal(syncedResourceVersion({ generation: 3, labels: { app: 'web' } }), '3-2e04591e40c776c3728c23f945498e9ede3af1fb42b72508007b73bb');
  t.equal(syncedResourceVersion({ generation: 1, labels: { tier: 'be', app: 'web' }, annotations: { 'force-sync': '1700000000' } }), '1-d2fc2e564bd2de04a74df21847a309e94985a4c913b0bb2f3f507f0b');
  t.equal(fieldManagerFor('db'), 'externalsecrets.external-secrets.io/db');
  t.equal(fieldManagerFor('abcdefghijklmnopqrstuvwxyz01'), 'externalsecrets.external-secrets.io/sha3/f2db6b08328936d09fdff0e361cbbba2e6b5c7e6625a37f3e2a9300f');
});

/** The queue's timers do not keep a process alive (unref); a test awaiting them must. */
async function alive<T>(promise: Promise<T>): Promise<T> {
  const keep = setInterval(() => undefined, 1000);
  try {
    return await promise;
  } finally {
    clearInterval(keep);
  }
}

t.test('the work queue: one worker per key, merged adds, earliest delay, backoff', async (t) => {
  const queue = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 40, qps: 1000, burst: 1000 });
  queue.add('a');
  queue.add('a');
  queue.add('b');
  t.equal(queue.length, 2, 'a key waiting is not added twice');
  const first = await queue.get();
  t.equal(first?.key, 'a');
  queue.add('a');
  t.equal(queue.length, 1, 'a key being processed is not handed out again');
  const second = await queue.get();
  t.equal(second?.key, 'b');
  queue.done('a');
  t.equal(queue.length, 1, 'added while processing: back in line once done');
  t.equal((await queue.get())?.key, 'a');
  queue.done('a');
  queue.done('b');
  queue.addAfter('c', 10_000);
  queue.addAfter('c', 5);
  t.equal((await alive(queue.get()))?.key, 'c', 'the earlier of two delayed adds wins');
  queue.done('c');
  queue.addRateLimited('d');
  queue.addRateLimited('d');
  queue.addRateLimited('d');
  t.equal(queue.failuresOf('d'), 3);
  queue.forget('d');
  t.equal(queue.failuresOf('d'), 0, 'success forgets failures');
  t.equal((await alive(queue.get()))?.key, 'd');
  queue.shutDown();
  t.equal(await queue.get(), undefined, 'a shut-down queue hands out nothing');
});

const es = (spec: ExternalSecret['spec'], status?: ExternalSecret['status'], meta: Partial<NonNullable<ExternalSecret['metadata']>> = {}): ExternalSecret => ({
  metadata: { name: 'app', namespace: 'db', uid: 'uid-1', generation: 1, ...meta },
  spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'v' }, ...spec },
  ...(status ? { status } : {}),
});

t.test('the refresh schedule follows ESO', async (t) => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  const fresh = (refreshInterval: string, policy?: string) =>
    es({ refreshInterval, ...(policy ? { refreshPolicy: policy } : {}) }, { refreshTime: '2026-11-26T11:30:00Z', syncedResourceVersion: syncedResourceVersion({ generation: 1 }) });
  t.equal(shouldRefresh(fresh('1h'), now), false, 'synced 30 min ago with a 1h interval');
  t.equal(shouldRefresh(fresh('10m'), now), true, 'the interval elapsed');
  t.equal(shouldRefresh({ ...fresh('1h'), metadata: { ...fresh('1h').metadata, annotations: { 'force-sync': '1' } } }, now), true, 'an annotation change forces a sync');
  t.equal(shouldRefresh({ ...fresh('0'), metadata: { ...fresh('0').metadata, generation: 2 } }, now), false, 'interval 0: no sync after the first, even after an edit (as ESO)');
  t.equal(shouldRefresh(fresh('1m', 'CreatedOnce'), now), false);
  t.equal(shouldRefresh({ ...fresh('1m', 'OnChange'), metadata: { ...fresh('1m').metadata, generation: 2 } }, now), true);
  t.equal(requeueAfterMs(fresh('1h'), now), 30 * 60_000);
  t.equal(requeueAfterMs(fresh('0'), now), undefined);
  t.equal(requeueAfterMs(fresh('10m'), now), 0);
  const spread = spreadFor('k', 3_600_000);
  t.ok(spread >= 0 && spread < 300_000 && spread === spreadFor('k', 3_600_000), 'the spread is stable and bounded');
  const data = { k: bytes('v') };
  t.equal(isSecretValid({ uid: 'u', labels: { 'reconcile.external-secrets.io/managed': 'true' }, annotations: { 'reconcile.external-secrets.io/data-hash': dataHash(data) }, data }, fresh('1h')), true);
  t.equal(isSecretValid({ uid: 'u', labels: { 'reconcile.external-secrets.io/managed': 'true' }, annotations: { 'reconcile.external-secrets.io/data-hash': 'x' }, data }, fresh('1h')), false, 'an edited Secret is not valid');
  t.equal(isSecretValid(undefined, es({ target: { creationPolicy: 'Orphan' } })), true, 'Orphan: always valid (as ESO)');
});

t.test('the bytes ESO writes from Vault data', async (t) => {
  const data = parseJsonKeepingNumbers('{"b":1.50,"a":"<x>&","n":{"k":1e3},"list":[1,"two"],"nul":null,"t":true}') as Record<string, unknown>;
  t.ok(data.b instanceof JsonNumber);
  const value = (property: string) => {
    const result = getSecret(data, property);
    return result.ok ? text(result.value) : `error: ${result.message}`;
  };
  t.equal(value(''), '{"a":"\\u003cx\\u003e\\u0026","b":1.50,"list":[1,"two"],"n":{"k":1e3},"nul":null,"t":true}', 'the whole secret: sorted, HTML-escaped, number literals kept');
  t.equal(value('b'), '1.50', 'a top-level number keeps its literal');
  t.equal(value('a'), '<x>&', 'a string as it is');
  t.equal(value('n.k'), '1000', 'a nested number through gjson is reformatted');
  t.equal(value('nul'), '', 'null gives an empty value');
  t.equal(value('list.1'), 'two');
  t.equal(value('nope'), 'error: cannot find secret data for key: "nope"');
  t.same(getSecret(undefined, 'x'), { ok: false, noSecret: true, message: 'Secret does not exist' });
  const map = getSecretMap(getSecret(data, 'n'));
  t.same(map.ok && Object.fromEntries(Object.entries(map.map).map(([k, v]) => [k, text(v)])), { k: '1000' }, 'extract goes through float64');
  t.match(getSecretMap(getSecret(data, 'list')), { ok: false, message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' });
  const found = findMap([{ name: 'app/one', data: { x: 'y' } }, { name: 'app/gone', data: undefined }]);
  const converted = processDataFromMap(found, undefined, 'Default', 'None');
  t.same(converted.ok && Object.keys(converted.map), ['app_one'], 'find: deleted matches skipped, keys converted');
  const rewritten = processDataFromMap(found, [{ regexp: { source: 'app/(.*)', target: 'x-$1' } }], undefined, undefined);
  t.same(rewritten.ok && Object.keys(rewritten.map), ['x-one'], 'rewrite with Go expansion');
  t.match(processDataFromMap({ ok: true, map: { 'a/b': bytes('v') } }, [{ regexp: { source: 'zzz', target: '' } }], undefined, undefined), { ok: false, message: /invalid secret keys/ }, 'with a rewrite, keys are not converted');
  t.match(processDataValue({ ok: true, value: bytes('dGVzdA') }, 'Base64'), { ok: false }, 'Go base64 wants padding');
  t.same(text((processDataValue({ ok: true, value: bytes('dGVzdA==') }, 'Base64') as { value: Uint8Array }).value), 'test');
  const assembled = assembleProviderData(
    es({ target: { deletionPolicy: 'Delete' }, data: [{ secretKey: 'k', remoteRef: { key: 'x' } }, { secretKey: 'gone', remoteRef: { key: 'y' } }], dataFrom: [{ extract: { key: 'z' } }] }),
    { data: [{ ok: true, value: bytes('from-data') }, { ok: false, noSecret: true, message: 'Secret does not exist' }], dataFrom: [{ ok: true, map: { k: bytes('from-dataFrom'), other: bytes('o') } }] },
  );
  t.same(assembled.ok && Object.fromEntries(Object.entries(assembled.data).map(([k, v]) => [k, text(v)])), { k: 'from-data', other: 'o' }, 'data wins over dataFrom; a missing secret is skipped under Delete');
  t.same(assembled.ok && assembled.missing, ['secret does not exist at provider using spec.dataFrom[1] (key=y)'], "ESO's event wording, dataFrom included");
});

t.test("the Secret ESO's mutationFunc produces", async (t) => {
  const owner = es({ target: { creationPolicy: 'Owner' } }, undefined, { labels: { team: 'a' }, annotations: { note: 'n' } });
  const plan = planSecret(owner, emptySecret(owner), { password: bytes('p') }, noSources);
  if (!plan.ok) throw new Error(plan.message);
  t.same(plan.secret.ownerReferences, [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'app', uid: 'uid-1', controller: true, blockOwnerDeletion: true }]);
  t.same(plan.secret.labels, { team: 'a', 'reconcile.external-secrets.io/created-by': createdByHash('db', 'app'), 'reconcile.external-secrets.io/managed': 'true' }, "the ExternalSecret's labels are copied");
  t.same(plan.secret.annotations, { note: 'n', 'reconcile.external-secrets.io/data-hash': dataHash({ password: bytes('p') }) });
  t.equal(secretChanged({ ...plan.secret, uid: 'x' }, plan.secret), false, 'planning again changes nothing');
  const foreign = { ...emptySecret(owner), uid: 's', ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'other', uid: 'o', controller: true }] };
  t.match(planSecret(owner, foreign, {}, noSources), { ok: false, reason: 'target is owned by another ExternalSecret', retry: false });
  const merge = es({ target: { creationPolicy: 'Merge' } });
  const merged = planSecret(merge, { ...emptySecret(merge), uid: 's', data: { mine: bytes('keep') } }, { theirs: bytes('v') }, noSources);
  t.same(merged.ok && Object.keys(merged.secret.data).sort(), ['mine', 'theirs'], 'Merge keeps foreign keys');
  t.same(merged.ok && merged.secret.labels['reconcile.external-secrets.io/created-by'], undefined, 'created-by only for Owner');
  const templated = es({ target: { template: { type: 'kubernetes.io/basic-auth', data: { url: 'postgres://{{ .user }}:{{ .password }}@db/app' } } } });
  const rendered = planSecret(templated, emptySecret(templated), { user: bytes('u'), password: bytes('p') }, noSources);
  t.same(rendered.ok && Object.fromEntries(Object.entries(rendered.secret.data).map(([k, v]) => [k, text(v)])), { url: 'postgres://u:p@db/app' }, 'template data replaces provider keys (mergePolicy Replace)');
  t.equal(rendered.ok && rendered.secret.type, 'kubernetes.io/basic-auth');
  const broken = es({ target: { template: { data: { x: '{{ .missing }}' } } } });
  t.match(planSecret(broken, emptySecret(broken), { user: bytes('u') }, noSources), { ok: false, reason: 'could not update secret', message: /map has no entry for key "missing"/ });
  // ESO's layers around a failed template.data entry: ApplyTemplate, MergeMap, valueScopeApply, execute.
  t.equal(
    (planSecret(broken, emptySecret(broken), { user: bytes('u') }, noSources) as { message: string }).message,
    'could not apply template: could not execute template: could not execute template: unable to execute template at key x: unable to execute template at key x: template: x:1:3: executing "x" at <.missing>: map has no entry for key "missing"',
    "a template.data failure in ESO's words",
  );
  const fromMissing = es({ target: { template: { templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'k' }] } }] } } });
  t.equal((planSecret(fromMissing, emptySecret(fromMissing), {}, noSources) as { message: string }).message, 'could not apply template: error fetching templateFrom data: configmaps "tpl" not found', 'a missing templateFrom ConfigMap');
  const sources = { configMap: (name: string) => (name === 'tpl' ? { k: 'x: {{ .user }}\nport: 1.50\ny: n' } : undefined), secret: () => undefined };
  const keysAndValues = es({ target: { template: { templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'k', templateAs: 'KeysAndValues' }] } }, { literal: 'team: "{{ .user }}"', target: 'Labels' }] } } });
  const kv = planSecret(keysAndValues, emptySecret(keysAndValues), { user: bytes('u') }, sources);
  t.same(kv.ok && Object.fromEntries(Object.entries(kv.secret.data).map(([k, v]) => [k, text(v)])), { x: 'u', port: '1.5', true: 'false' }, 'KeysAndValues: the rendered YAML gives keys and values (YAML 1.1: y and n are bools, as in ESO)');
  t.equal(kv.ok && kv.secret.labels.team, 'u', 'a literal into the labels');
  const inherited = es({ target: { template: { templateFrom: [{ configMap: { name: 'tpl', items: [{ key: 'constructor' }] } }] } } });
  t.match(planSecret(inherited, emptySecret(inherited), {}, sources), { ok: false, message: /error in configmap tpl: missing key constructor$/ }, 'an item key is looked up among the own keys only');
  // One sync's templates share one evaluation budget: a heavy template under the limit passes
  // once, but many keys of it cannot multiply the time it holds the event loop.
  const heavy = '{{ range $i := until 300 }}{{ range $j := until 300 }}{{ end }}{{ end }}';
  const once = es({ target: { template: { data: { a: heavy } } } });
  t.match(planSecret(once, emptySecret(once), {}, noSources), { ok: true }, 'one heavy template fits the budget');
  const many = es({ target: { template: { data: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, heavy])) } } });
  const started = performance.now();
  t.match(planSecret(many, emptySecret(many), {}, noSources), { ok: false, unsupported: true, message: /need more evaluation steps than vaultgate's limit/ }, 'twenty of them exceed it together');
  t.comment(`twenty heavy templates declined after ${(performance.now() - started).toFixed(0)} ms`);
  const binary = es({ target: { template: { data: { bin: '{{ "/8OoAA==" | b64dec }}' } } } });
  const decoded = planSecret(binary, emptySecret(binary), {}, noSources);
  t.same(decoded.ok && [...(decoded.secret.data.bin ?? [])], [0xff, 0xc3, 0xa8, 0x00], 'template output is kept as bytes, not re-encoded as text');
  t.same(
    (() => {
      const raw = planSecret(templated, emptySecret(templated), { user: Uint8Array.from([0xff]), password: bytes('p') }, noSources);
      return raw.ok && [...(raw.secret.data.url ?? [])].slice(11, 12);
    })(),
    [0xff],
    'provider bytes reach the template as bytes',
  );
});

t.test('status as ESO writes it', async (t) => {
  const started = Date.parse('2026-11-26T12:00:00.700Z');
  const object = es({});
  const done = markDone(object, 'SecretSynced', 'secret synced', started, 'app');
  t.equal(done.refreshTime, '2026-11-26T12:00:00Z');
  t.equal(done.syncedResourceVersion, syncedResourceVersion(object.metadata ?? {}));
  t.same(done.binding, { name: 'app' });
  const failed = markFailed({ ...object, status: done }, 'could not get secret data from provider', started + 5000);
  t.equal(failed.refreshTime, done.refreshTime, 'a failure keeps refreshTime');
  t.equal(failed.conditions?.[0]?.status, 'False');
  const again = markFailed({ ...object, status: failed }, 'could not get secret data from provider', started + 9000);
  t.equal(statusChanged(failed, again), false, 'the same failure again writes nothing');
  const other = markFailed({ ...object, status: failed }, 'another reason', started + 9000);
  t.equal(other.conditions?.[0]?.lastTransitionTime, failed.conditions?.[0]?.lastTransitionTime, 'lastTransitionTime moves only when the status flips');
});

t.test('an index follows its objects as they change, move between keys and go', async (t) => {
  type Obj = { metadata: { namespace: string; name: string; labels?: Record<string, string> } };
  const index = new CollectionIndex<Obj>((o) => (o.metadata.labels?.target ? [`${o.metadata.namespace}/${o.metadata.labels.target}`] : []));
  const names = (key: string) => index.get(key).map((o) => o.metadata.name).sort();
  index.put({ metadata: { namespace: 'a', name: 'one', labels: { target: 's' } } });
  index.put({ metadata: { namespace: 'a', name: 'two', labels: { target: 's' } } });
  index.put({ metadata: { namespace: 'b', name: 'one', labels: { target: 's' } } });
  index.put({ metadata: { namespace: 'a', name: 'none' } });
  t.same(names('a/s'), ['one', 'two'], 'objects of one namespace sharing a key');
  t.same(names('b/s'), ['one'], 'the same name in another namespace is another object');
  index.put({ metadata: { namespace: 'a', name: 'two', labels: { target: 't' } } });
  t.same(names('a/s'), ['one'], 'an update moves the object off its old key');
  t.same(names('a/t'), ['two'], '... onto its new one');
  index.remove({ metadata: { namespace: 'a', name: 'one' } });
  t.same(names('a/s'), [], 'a delete takes it off, whatever the deleted copy says');
  t.same(names('missing'), [], 'an unknown key has nothing');
});
