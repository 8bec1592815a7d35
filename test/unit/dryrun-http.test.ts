// The dry-run endpoints through fastify.inject(): what a body is read as, what each object
// is answered with (the real decision core behind a fake cluster and Vault), who may ask,
// every limit, and the OpenAPI document.
import t, { type Test } from 'tap';
import type { InjectOptions } from 'fastify';
import { ok } from '../../src/core/facts.js';
import { denialMessage, objectLabel } from '../../src/core/message.js';
import { defaultingPatch } from '../../src/core/mutate.js';
import { AccessReviewUnavailable } from '../../src/dryrun/access.js';
import type { DryRunResult, ErrorBody, ObjectResult, PolicyImpactResult } from '../../src/dryrun/schemas.js';
import type { ExternalSecret } from '../../src/eso/types.js';
import { decisionService, dryRunApp, externalSecretYaml as es, fakeCluster, fakeReviewer, tenantPolicy, type DryRunAppOptions } from '../fakes/dryRun.js';

/** An app for one test, closed (parse and review workers included) when the test ends. */
function open(t: Test, options: DryRunAppOptions = {}) {
  const app = dryRunApp(options);
  t.teardown(() => app.close());
  return app;
}

const yaml = (payload: string, extra: Partial<InjectOptions> = {}, token = 'alice-token'): InjectOptions => ({
  method: 'POST',
  url: '/v1/dry-run',
  headers: { 'content-type': 'application/yaml', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  payload,
  ...extra,
});

const good = es('pg', 'db', [{ key: 'postgres-secret', property: 'POSTGRES_USER' }]);
const typo = es('typo', 'db', [{ key: 'postgres-secret', property: 'POSTGRES_PASWORD' }]);

t.test('multi-document YAML: each object in order, with its verdict, mutation and paths', async (t) => {
  const app = open(t);
  const body = [good, typo, 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: db}\nstringData: {password: hunter2-value}\n', 'key: [unclosed\n', es('nons', undefined, [{ key: 'postgres-secret' }])].join('---\n');
  const response = await app.inject(yaml(body, { url: '/v1/dry-run?namespace=payments' }));
  t.equal(response.statusCode, 200, response.body);
  const result = response.json() as DryRunResult;
  t.same(result.results.map((r) => [r.outcome, r.source.document, r.name]), [
    ['allowed', 1, 'pg'],
    ['denied', 2, 'typo'],
    ['skipped', 3, 's'],
    ['error', 4, undefined],
    ['allowed', 5, 'nons'],
  ]);
  const [allowed, denied, skipped, error, defaulted] = result.results as [ObjectResult, ObjectResult, ObjectResult, ObjectResult, ObjectResult];
  t.same(allowed.paths, [{ field: 'spec.data[0].remoteRef.key', store: { kind: 'ClusterSecretStore', name: 'vault-backend' }, kvPath: 'secret/postgres-secret', apiPath: 'secret/data/postgres-secret', policy: 'allowed' }]);
  t.same(allowed.mutation, defaultingPatch({ metadata: { name: 'pg' }, spec: {} }), 'the mutating webhook\'s patch');
  t.equal(denied.message, 'ExternalSecret db/typo:\n  spec.data[0].remoteRef.property: "POSTGRES_PASWORD" not found at secret/postgres-secret (did you mean "POSTGRES_PASSWORD"?)');
  t.equal(denied.message, denialMessage(objectLabel('ExternalSecret', 'db', 'typo'), denied.violations ?? []), 'the words admission uses');
  t.equal(skipped.message, 'Secret (v1) is not an ExternalSecret');
  t.notOk(JSON.stringify(result).includes('hunter2'), 'a Secret in the body never comes back');
  t.equal(error.source.line, body.split('\n').indexOf('key: [unclosed') + 1, 'the line the document starts on');
  t.match(error.message, /^YAML \(line \d+\): /);
  t.equal(defaulted.namespace, 'payments', 'an object without a namespace takes the query parameter');
  t.same(result.summary, { objects: 5, externalSecrets: 3, allowed: 2, denied: 1, forbidden: 0, skipped: 1, errors: 1 });
});

t.test('JSON bodies and Lists (kind List or any *List) are read item by item, with lines for YAML items', async (t) => {
  const app = open(t);
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'a', namespace: 'db' }, spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: [{ secretKey: 'u', remoteRef: { key: 'postgres-secret', property: 'POSTGRES_USER' } }] } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } },
      { apiVersion: 'v1', kind: 'List', items: [] },
    ],
  };
  const json = await app.inject({ method: 'POST', url: '/v1/dry-run', headers: { authorization: 'Bearer alice-token' }, payload: list });
  t.equal(json.statusCode, 200, json.body);
  const fromJson = json.json() as DryRunResult;
  t.same(fromJson.results.map((r) => [r.outcome, r.source.item]), [['allowed', 0], ['skipped', 1], ['error', 2]]);
  t.match(fromJson.results[2]?.message, 'a List inside a List');

  const asYaml = `apiVersion: external-secrets.io/v1\nkind: ExternalSecretList\nitems:\n- ${good.trim().split('\n').join('\n  ')}\n- ${typo.trim().split('\n').join('\n  ')}\n`;
  const fromYaml = (await app.inject(yaml(asYaml, { headers: { 'content-type': 'text/yaml', authorization: 'Bearer alice-token' } }))).json() as DryRunResult;
  t.same(fromYaml.results.map((r) => [r.outcome, r.source.item, r.source.line]), [['allowed', 0, 4], ['denied', 1, 4 + good.trim().split('\n').length]]);
});

t.test('the verdict is the one the validating webhook gives after the mutating one', async (t) => {
  const app = open(t);
  const result = (await app.inject(yaml(es('defaults', 'db', [{ key: 'postgres-secret', property: 'POSTGRES_USER' }], '  refreshInterval: 10s\n')))).json() as DryRunResult;
  const [only] = result.results;
  t.equal(only?.outcome, 'allowed');
  t.same(only?.warnings?.map((w) => w.field), ['spec.refreshInterval']);
  t.same(only?.mutation?.map((op) => op.path), ['/spec/target'], 'refreshInterval was given, so only the target is defaulted');
});

t.test('large objects are decided in the review worker, with the same verdict', async (t) => {
  const entries = Array.from({ length: 40 }, (_, i) => ({ key: 'postgres-secret', property: i % 2 ? 'POSTGRES_USER' : `MISSING_${i}` }));
  const body = es('big', 'db', entries);
  const inline = (await open(t).inject(yaml(body))).json() as DryRunResult;
  const worker = open(t, { limits: { largeObjectBytes: 512 } });
  const viaWorker = (await worker.inject(yaml(body))).json() as DryRunResult;
  t.equal(inline.results[0]?.outcome, 'denied');
  t.same(viaWorker.results, inline.results);
});

t.test('authentication: no token and a bad token are 401, and nothing is read or decided', async (t) => {
  const app = open(t);
  const none = await app.inject(yaml(typo, {}, ''));
  t.equal(none.statusCode, 401);
  t.equal(none.headers['www-authenticate'], 'Bearer');
  t.match((none.json() as ErrorBody).message, 'Authorization: Bearer');
  const bad = await app.inject(yaml(typo, {}, 'not-a-token'));
  t.equal(bad.statusCode, 401);
  t.equal((bad.json() as ErrorBody).message, 'the token was not accepted by the Kubernetes API (TokenReview)');
  for (const response of [none, bad]) t.notMatch(response.body, /secret\/|postgres/, 'nothing about Vault');
  const basic = await app.inject(yaml(typo, { headers: { 'content-type': 'application/yaml', authorization: 'Basic YWxpY2U6eA==' } }, ''));
  t.equal(basic.statusCode, 401, 'only bearer tokens');
});

t.test('authorization: per namespace, one SubjectAccessReview each; all forbidden is a 403 that reveals nothing', async (t) => {
  const reviewer = fakeReviewer();
  const app = open(t, { reviewer });
  const forbidden = await app.inject(yaml([es('x', 'kube-system', [{ key: 'postgres-secret', property: 'POSTGRES_USER' }]), es('other', 'kube-system', [{ key: 'payments/stripe' }])].join('---\n')));
  t.equal(forbidden.statusCode, 403);
  const body = forbidden.json() as DryRunResult;
  t.same(body.results.map((r) => [r.outcome, r.code]), [['forbidden', 403], ['forbidden', 403]]);
  t.equal(body.results[0]?.message, 'externalsecrets.external-secrets.io is forbidden: User "alice" cannot create resource "externalsecrets" in API group "external-secrets.io" in the namespace "kube-system"');
  t.notMatch(forbidden.body, /secret\/|stripe|postgres-secret|paths|violations/, 'no verdict, no path');
  t.same(reviewer.asked, [{ group: 'external-secrets.io', resource: 'externalsecrets', verb: 'create', namespace: 'kube-system' }], 'asked once for the namespace');

  const mixed = await app.inject(yaml([good, es('z', 'kube-system', [{ key: 'postgres-secret' }])].join('---\n')));
  t.equal(mixed.statusCode, 200);
  t.same((mixed.json() as DryRunResult).results.map((r) => r.outcome), ['allowed', 'forbidden']);
});

t.test('the Kubernetes API not answering a review is a 503, never an allow', async (t) => {
  const down = async () => {
    throw new AccessReviewUnavailable('could not ask the Kubernetes API (TokenReview): connect ECONNREFUSED');
  };
  const app = open(t, { reviewer: fakeReviewer({ authenticate: down }) });
  const response = await app.inject(yaml(good));
  t.equal(response.statusCode, 503);
  t.match((response.json() as ErrorBody).message, 'could not ask the Kubernetes API');
  const noSar = open(t, { reviewer: fakeReviewer({ authorize: down }) });
  t.equal((await noSar.inject(yaml(good))).statusCode, 503);
});

t.test('limits: size 413, objects 400, bad input 400/415; the server stays up', async (t) => {
  const app = open(t, { limits: { maxBodyBytes: 64 * 1024, maxObjects: 10 } });
  const cases: [string, InjectOptions, number, RegExp][] = [
    ['oversized', yaml(`# ${'x'.repeat(70 * 1024)}\n${good}`), 413, /larger than 65536 bytes \(--dry-run-max-bytes\)/],
    ['too many documents', yaml(Array.from({ length: 11 }, () => good).join('---\n')), 400, /more than 10 objects/],
    ['no body', { method: 'POST', url: '/v1/dry-run', headers: { authorization: 'Bearer alice-token' } }, 400, /send the objects in the body/],
    ['unsupported type', yaml(good, { headers: { 'content-type': 'text/plain', authorization: 'Bearer alice-token' } }), 415, /application\/json or application\/yaml/],
    ['bad namespace', yaml(good, { url: '/v1/dry-run?namespace=Not_A_Namespace' }), 400, /querystring\/namespace/],
    ['not UTF-8', yaml(Buffer.from([0xff, 0xfe, 0x00, 0x41]) as unknown as string), 400, /not valid UTF-8/],
  ];
  for (const [what, request, status, message] of cases) {
    const response = await app.inject(request);
    t.equal(response.statusCode, status, `${what}: ${response.body}`);
    t.match((response.json() as ErrorBody).message, message, what);
    const after = await app.inject(yaml(good));
    t.equal(after.statusCode, 200, `the server answers after: ${what}`);
  }
});

t.test('limits: time 503, requests in flight 429, and the slot is given back', async (t) => {
  let release: () => void = () => undefined;
  const cluster = fakeCluster();
  const service = decisionService(cluster);
  const slow = Object.assign(Object.create(service) as typeof service, {
    evaluate: async (object: unknown, namespace: string) => {
      if ((object as ExternalSecret).metadata?.name === 'slow') await new Promise<void>((resolve) => (release = resolve));
      return service.evaluate(object, namespace);
    },
  });
  const app = open(t, { cluster, decider: slow, limits: { timeoutMs: 2000, maxConcurrentRequests: 1 } });
  const tooSlow = await app.inject(yaml(es('slow', 'db', [{ key: 'postgres-secret' }])));
  t.equal(tooSlow.statusCode, 503);
  t.match((tooSlow.json() as ErrorBody).message, /did not finish within 2000 ms \(--dry-run-timeout\); send fewer objects per request/);
  release();

  const busy = app.inject(yaml(es('slow', 'db', [{ key: 'postgres-secret' }])));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const refused = await app.inject(yaml(good));
  t.equal(refused.statusCode, 429);
  t.equal(refused.headers['retry-after'], '1');
  t.equal((refused.json() as ErrorBody).message, 'vaultgate is already working on 1 dry run, the most it takes at once; try again in a moment');
  t.equal((await busy).statusCode, 503);
  release();
  t.not((await app.inject(yaml(good))).statusCode, 429, 'the slot is free again');
});

t.test('hostile documents are refused one by one: alias bombs, duplicate keys, __proto__', async (t) => {
  const app = open(t);
  const bomb = `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`;
  const duplicate = 'apiVersion: v1\nkind: ConfigMap\nkind: Secret\n';
  const proto = '{"apiVersion":"v1","kind":"ConfigMap","__proto__":{"polluted":true}}';
  const result = (await app.inject(yaml([bomb, duplicate].join('---\n')))).json() as DryRunResult;
  t.same(result.results.map((r) => r.outcome), ['error', 'error']);
  t.match(result.results[0]?.message, /alias/i);
  t.match(result.results[1]?.message, /unique|duplicate/i);
  const json = (await app.inject({ method: 'POST', url: '/v1/dry-run', headers: { 'content-type': 'application/json', authorization: 'Bearer alice-token' }, payload: proto })).json() as DryRunResult;
  t.equal(json.results[0]?.outcome, 'error');
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});

t.test('policy impact: who may ask, what a candidate must be, and what it would change', async (t) => {
  const cluster = fakeCluster();
  cluster.policies = ok([tenantPolicy(['secret/{namespace}/*'])]);
  const stored = (name: string, namespace: string, key: string): ExternalSecret => ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace },
    spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: [{ secretKey: 'k', remoteRef: { key } }] },
  });
  cluster.externalSecrets = [stored('stripe', 'payments', 'payments/stripe'), stored('pg', 'db', 'postgres-secret'), stored('legacy', 'payments', 'postgres-secret')];
  const app = open(t, { cluster });
  const ask = (policy: unknown, token = 'platform-token') =>
    app.inject({ method: 'POST', url: '/v1/dry-run/policy', headers: { authorization: `Bearer ${token}` }, payload: policy as Record<string, unknown> });

  const forbidden = await ask(tenantPolicy([]), 'alice-token');
  t.equal(forbidden.statusCode, 403);
  t.match((forbidden.json() as ErrorBody).message, 'cannot create resource "vaultpathpolicies" in API group "vaultgate.dev" at the cluster scope');
  t.equal((await ask(tenantPolicy([]), '')).statusCode, 401);

  const invalid = await ask(tenantPolicy(['secret/*/admin']));
  t.equal(invalid.statusCode, 400);
  t.match((invalid.json() as ErrorBody).message, 'spec.allow[0] "secret/*/admin": * is only allowed at the end of a pattern');
  const notPolicy = await ask({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
  t.equal(notPolicy.statusCode, 400);
  t.equal((notPolicy.json() as ErrorBody).message, 'document 1: ConfigMap x: send only vaultgate.dev/v1alpha1 VaultPathPolicies');

  const removesAccess = await ask(tenantPolicy(['secret/shared/*']));
  t.equal(removesAccess.statusCode, 200, removesAccess.body);
  const impact = removesAccess.json() as PolicyImpactResult;
  t.same(impact.policies, [{ name: 'tenant-paths', change: 'changed' }]);
  t.same(impact.newlyDenied.map((d) => `${d.namespace}/${d.name}`), ['payments/stripe'], 'exactly the ExternalSecret it breaks');
  t.same(impact.newlyDenied[0]?.violations.map((v) => v.check), ['policy']);
  t.match(impact.newlyDenied[0]?.message, 'ExternalSecret payments/stripe:\n  spec.data[0].remoteRef.key: namespace "payments" may not read secret/payments/stripe');
  t.same(impact.newlyAllowed, []);
  t.same(impact.summary, { externalSecrets: 3, reconsidered: 2, newlyDenied: 1, newlyAllowed: 0 }, 'db is selected by neither version and is not re-decided');

  const widens = (await ask(tenantPolicy(['secret/{namespace}/*', 'secret/postgres-secret']))).json() as PolicyImpactResult;
  t.same(widens.newlyAllowed.map((a) => `${a.namespace}/${a.name}`), ['payments/legacy']);
  t.same(widens.newlyAllowed[0]?.resolved.map((f) => f.check), ['policy']);

  const lockdown = tenantPolicy([], 'lockdown');
  const created = (await ask({ ...lockdown, spec: { ...lockdown.spec, deny: ['secret/payments/*'] } })).json() as PolicyImpactResult;
  t.same(created.policies, [{ name: 'lockdown', change: 'created' }]);
  t.same(created.newlyDenied.map((d) => d.name), ['stripe'], 'a new policy\'s deny wins over the existing allow');
  t.match(created.newlyDenied[0]?.violations[0]?.policy, 'lockdown');

  const both = { apiVersion: 'v1', kind: 'List', items: [tenantPolicy(['secret/{namespace}/*', 'secret/postgres-secret']), { ...lockdown, spec: { ...lockdown.spec, deny: ['secret/payments/*'] } }] };
  const together = (await ask(both)).json() as PolicyImpactResult;
  t.same(together.policies, [{ name: 'tenant-paths', change: 'changed' }, { name: 'lockdown', change: 'created' }], 'several candidates at once');
  t.same([together.newlyDenied.map((d) => d.name), together.newlyAllowed.map((a) => a.name)], [['stripe'], ['legacy']]);
  const twice = await ask({ apiVersion: 'v1', kind: 'List', items: [lockdown, lockdown] });
  t.equal(twice.statusCode, 400);
  t.match((twice.json() as ErrorBody).message, 'VaultPathPolicy "lockdown" is given more than once');
});

t.test('policy impact is bounded', async (t) => {
  const cluster = fakeCluster();
  cluster.externalSecrets = Array.from({ length: 5 }, (_, i) => ({ metadata: { name: `e${i}`, namespace: 'db' } }));
  const app = open(t, { cluster, limits: { maxClusterObjects: 4 } });
  const response = await app.inject({ method: 'POST', url: '/v1/dry-run/policy', headers: { authorization: 'Bearer platform-token' }, payload: tenantPolicy([]) as unknown as Record<string, unknown> });
  t.equal(response.statusCode, 503);
  t.match((response.json() as ErrorBody).message, 'more than 4 ExternalSecrets');
});

t.test('the OpenAPI document is generated from the schemas the routes use', async (t) => {
  const app = open(t);
  const response = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
  t.equal(response.statusCode, 200);
  const doc = response.json() as {
    openapi: string;
    paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: { required?: string[]; type?: string } }> }; responses: Record<string, { content: Record<string, { schema: { properties: Record<string, unknown> } }> }>; parameters?: { name: string; in: string }[]; security: unknown[] }>>;
    components: { securitySchemes: Record<string, { scheme: string }> };
  };
  t.match(doc.openapi, /^3\./);
  t.same(Object.keys(doc.paths).sort(), ['/v1/dry-run', '/v1/dry-run/policy'], 'only the dry-run API (admission is not a public API)');
  const dryRun = doc.paths['/v1/dry-run']?.post;
  t.same(Object.keys(dryRun?.requestBody.content ?? {}).sort(), ['application/json', 'application/x-yaml', 'application/yaml', 'text/yaml']);
  t.same(dryRun?.requestBody.content['application/json']?.schema.required, ['apiVersion', 'kind']);
  t.same(Object.keys(dryRun?.responses ?? {}).sort(), ['200', '400', '401', '403', '413', '415', '429', '503']);
  t.ok(dryRun?.responses['200']?.content['application/json']?.schema.properties.results);
  t.ok(dryRun?.parameters?.some((p) => p.name === 'namespace' && p.in === 'query'));
  t.equal(doc.components.securitySchemes.kubernetesToken?.scheme, 'bearer');
  t.ok(doc.paths['/v1/dry-run/policy']?.post?.responses['200']?.content['application/json']?.schema.properties.newlyDenied);
});

t.test('an object that cannot be decided is its own error; the others are answered', async (t) => {
  const cluster = fakeCluster();
  const service = decisionService(cluster);
  const failing = Object.assign(Object.create(service) as typeof service, {
    evaluate: async (object: unknown, namespace: string) => {
      if ((object as ExternalSecret).metadata?.name === 'boom') throw new Error('review worker exited (code 1)');
      return service.evaluate(object, namespace);
    },
  });
  const response = await open(t, { cluster, decider: failing }).inject(yaml([good, es('boom', 'db', [{ key: 'postgres-secret' }])].join('---\n')));
  t.equal(response.statusCode, 200);
  t.same((response.json() as DryRunResult).results.map((r) => [r.outcome, r.message]), [['allowed', undefined], ['error', 'vaultgate could not decide: review worker exited (code 1)']]);
});

t.test('every answer is counted in the metrics, refusals included', async (t) => {
  const app = open(t);
  await app.inject(yaml(good));
  await app.inject(yaml(good, {}, ''));
  await app.inject(yaml(typo, { headers: { 'content-type': 'text/plain', authorization: 'Bearer alice-token' } }));
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, 'vaultgate_dryrun_requests_total{endpoint="dry-run",code="200"} 1');
  t.match(metrics, 'vaultgate_dryrun_requests_total{endpoint="dry-run",code="401"} 1');
  t.match(metrics, 'vaultgate_dryrun_requests_total{endpoint="dry-run",code="415"} 1');
  t.match(metrics, 'vaultgate_dryrun_objects_total{outcome="allowed"} 1');
  t.notMatch(metrics, /alice|postgres|secret\//, 'no caller, namespace or path in a label');
});

t.test('fields outside the schema never reach the caller', async (t) => {
  const cluster = fakeCluster();
  const service = decisionService(cluster);
  const leaky = Object.assign(Object.create(service) as typeof service, {
    evaluate: async (object: unknown, namespace: string) => {
      const verdict = await service.evaluate(object, namespace);
      return { ...verdict, secretValue: 's3cr3t', paths: verdict.paths.map((p) => ({ ...p, value: 's3cr3t' })) };
    },
  });
  const response = await open(t, { cluster, decider: leaky }).inject(yaml(good));
  t.equal(response.statusCode, 200);
  t.notMatch(response.body, 's3cr3t');
});
