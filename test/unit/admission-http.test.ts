// The admission HTTP layer through fastify.inject(): parsing, bad input, replies.
import t from 'tap';
import type { InjectOptions } from 'fastify';
import type { Verdict } from '../../src/core/facts.js';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '../../src/admission/webhookConfigurations.js';
import { buildApp } from '../../src/http/app.js';
import { Metrics } from '../../src/metrics/registry.js';
import type { ExternalSecret } from '../../src/eso/types.js';

const denyAll: Verdict = {
  allowed: false,
  violations: [{ field: 'spec.data[0].remoteRef.key', message: 'secret/x not found in Vault', check: 'existence' }],
  warnings: [{ field: 'spec.refreshInterval', message: 'short', check: 'structure' }],
  paths: [],
};
const seen: { namespace: string; es: unknown }[] = [];
let verdict: Verdict | Error = denyAll;

function app(failureMode: 'closed' | 'open' = 'closed') {
  return buildApp({
    evaluator: {
      evaluate: async (es, namespace) => {
        seen.push({ es, namespace });
        if (verdict instanceof Error) throw verdict;
        return verdict;
      },
      evaluateWith: async (storeRef, namespace) => {
        seen.push({ es: storeRef, namespace });
        if (verdict instanceof Error) throw verdict;
        return verdict;
      },
    },
    metrics: new Metrics({ defaultMetrics: false }),
    failureMode,
    readiness: async () => [],
    logLevel: 'silent',
    bodyLimitBytes: 64 * 1024,
  });
}

const es = (extra: Record<string, unknown> = {}): ExternalSecret => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name: 'app', namespace: 'db' },
  spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: [{ secretKey: 'k', remoteRef: { key: 'x' } }], ...extra },
});

const review = (request: Record<string, unknown>) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'u-1',
    kind: { group: 'external-secrets.io', version: 'v1', kind: 'ExternalSecret' },
    operation: 'CREATE',
    namespace: 'db',
    name: 'app',
    object: es(),
    ...request,
  },
});

t.test('a denial is a 403 with one line per problem, and warnings', async (t) => {
  verdict = denyAll;
  const response = await app().inject({ method: 'POST', url: '/validate', payload: review({}) });
  t.equal(response.statusCode, 200);
  const body = response.json() as { response: { uid: string; allowed: boolean; status: { code: number; message: string }; warnings: string[] } };
  t.equal(body.response.uid, 'u-1');
  t.equal(body.response.allowed, false);
  t.equal(body.response.status.code, 403);
  t.equal(body.response.status.message, 'ExternalSecret db/app:\n  spec.data[0].remoteRef.key: secret/x not found in Vault');
  t.same(body.response.warnings, ['spec.refreshInterval: short']);
});

t.test('metadata-only updates and other kinds are not re-checked', async (t) => {
  const before = seen.length;
  const a = app();
  const update = await a.inject({ method: 'POST', url: '/validate', payload: review({ operation: 'UPDATE', oldObject: es(), object: { ...es(), metadata: { name: 'app', annotations: { 'force-sync': '1' } } } }) });
  t.equal((update.json() as { response: { allowed: boolean } }).response.allowed, true);
  const other = await a.inject({ method: 'POST', url: '/validate', payload: review({ kind: { group: '', version: 'v1', kind: 'Secret' } }) });
  t.equal((other.json() as { response: { allowed: boolean } }).response.allowed, true);
  t.equal(seen.length, before, 'the evaluator was not called');
});

t.test('the mutating webhook returns a base64 JSON Patch with the defaults', async (t) => {
  const response = await app().inject({ method: 'POST', url: '/mutate', payload: review({}) });
  const body = response.json() as { response: { allowed: boolean; patchType: string; patch: string } };
  t.equal(body.response.allowed, true);
  t.equal(body.response.patchType, 'JSONPatch');
  const ops = JSON.parse(Buffer.from(body.response.patch, 'base64').toString('utf8')) as { path: string; value: unknown }[];
  t.same(ops.map((o) => o.path).sort(), ['/spec/refreshInterval', '/spec/target']);
  const again = await app().inject({
    method: 'POST',
    url: '/mutate',
    payload: review({ object: es({ refreshInterval: '1h', target: { name: 'app', creationPolicy: 'Owner', deletionPolicy: 'Retain' } }) }),
  });
  t.notOk((again.json() as { response: { patch?: string } }).response.patch, 'nothing left to patch');
});

t.test('bad input gets a clear 4xx', async (t) => {
  const a = app();
  const cases: [string, InjectOptions, number, RegExp][] = [
    ['not JSON', { method: 'POST', url: '/validate', headers: { 'content-type': 'application/json' }, payload: '{nope' }, 400, /JSON/i],
    ['wrong content type', { method: 'POST', url: '/validate', headers: { 'content-type': 'text/plain' }, payload: 'hello' }, 415, /Unsupported Media Type/],
    ['wrong kind', { method: 'POST', url: '/validate', payload: { apiVersion: 'admission.k8s.io/v1', kind: 'Pod' } }, 400, /kind must be AdmissionReview/],
    ['wrong version', { method: 'POST', url: '/validate', payload: { ...review({}), apiVersion: 'admission.k8s.io/v1beta1' } }, 400, /apiVersion must be admission\.k8s\.io\/v1/],
    ['missing uid', { method: 'POST', url: '/validate', payload: review({ uid: '' }) }, 400, /request\.uid is missing/],
    ['missing object', { method: 'POST', url: '/mutate', payload: review({ object: undefined }) }, 400, /request\.object is required/],
    ['oversized', { method: 'POST', url: '/validate', payload: review({ object: es({ padding: 'x'.repeat(100_000) }) }) }, 413, /too large/i],
  ];
  for (const [what, request, status, message] of cases) {
    const response = await a.inject(request);
    t.equal(response.statusCode, status, what);
    t.match((response.json() as { message: string }).message, message, what);
  }
});

t.test('an internal error answers per failure mode', async (t) => {
  verdict = new Error('boom');
  const closed = (await app('closed').inject({ method: 'POST', url: '/validate', payload: review({}) })).json() as { response: { allowed: boolean; status: { message: string } } };
  t.equal(closed.response.allowed, false);
  t.match(closed.response.status.message, 'vaultgate could not decide: boom');
  const open = (await app('open').inject({ method: 'POST', url: '/validate', payload: review({}) })).json() as { response: { allowed: boolean; warnings: string[] } };
  t.equal(open.response.allowed, true);
  t.match(open.response.warnings[0], 'failure mode open');
  verdict = denyAll;
});

t.test('webhook configurations match every namespace but vaultgate\'s own (kube-system included)', async (t) => {
  const options = { name: 'vaultgate', target: { service: { namespace: 'vaultgate-system', name: 'vaultgate' } }, caBundle: 'PEM', ownNamespace: 'vaultgate-system' };
  const validating = validatingWebhookConfiguration(options);
  const mutating = mutatingWebhookConfiguration(options);
  t.equal(validating.webhooks?.[0]?.name, 'validate.externalsecrets.vaultgate.dev');
  t.equal(mutating.webhooks?.[0]?.name, 'mutate.externalsecrets.vaultgate.dev');
  for (const configuration of [validating, mutating]) {
    t.same(configuration.webhooks?.[0]?.namespaceSelector?.matchExpressions, [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['vaultgate-system'] }]);
  }
  t.equal(validating.webhooks?.[0]?.sideEffects, 'NoneOnDryRun');
  t.equal(mutating.webhooks?.[0]?.clientConfig.service?.path, '/mutate');
  t.equal(validating.webhooks?.[0]?.clientConfig.caBundle, Buffer.from('PEM').toString('base64'));
  t.notOk(JSON.stringify([validating, mutating]).includes('external-secrets.io/component'));
});
