// Property-based tests of everything a tenant controls: AdmissionReview parsing, the
// mutating and validating handlers over HTTP (fastify.inject), and the decision core, over
// generated and mutated ExternalSecrets (wrong types, huge arrays, deep nesting, unicode,
// missing fields) and generated Vault answers. Never a throw, always a verdict, the same
// verdict twice. Fixed seeds, so a failure is reproducible.
import t from 'tap';
import fc from 'fast-check';
import { analyze } from '../../src/core/decide.js';
import { ok, unavailable, type DecisionInput, type FindFacts, type PropertyFact, type ReadFacts, type VaultAnswer, type VaultRequest, type Verdict } from '../../src/core/facts.js';
import { defaultingPatch } from '../../src/core/mutate.js';
import { parseAdmissionReview } from '../../src/admission/review.js';
import { buildApp } from '../../src/http/app.js';
import { DecisionService } from '../../src/decision/service.js';
import { Metrics } from '../../src/metrics/registry.js';
import type { SecretStore, VaultPathPolicy } from '../../src/eso/types.js';

const SEED = 20261126;
const CORE_RUNS = 10_000;
const PARSE_RUNS = 10_000;
const HTTP_RUNS = 2_000;

// --- generators ---------------------------------------------------------------------------

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', '.', '..', '/', '//', 'a/../b', '%2e%2e', 'secret/data/x', '\u0000', 'x\n', '(?=x)', '.*', '1d', '-1h', '9223372036854775808ns', 'team-a/../team-b/db', '\u202e', 'a\\.b', 'list.#(x==1)', '@reverse', '{namespace}'),
  fc.string({ minLength: 1000, maxLength: 1200 }),
);

const anything = fc.anything({ maxDepth: 4, maxKeys: 5, withBigInt: false, withDate: false, withMap: false, withSet: false, withTypedArray: false, withSparseArray: true, withNullPrototype: true });

const remoteRef = fc.record(
  { key: hostileString, property: hostileString, version: fc.oneof(hostileString, fc.constantFrom('1', '2', '0')), metadataPolicy: fc.constantFrom('None', 'Fetch', 'fetch', ''), decodingStrategy: hostileString },
  { requiredKeys: [] },
);

const validish = fc.record({
  apiVersion: fc.constant('external-secrets.io/v1'),
  kind: fc.constant('ExternalSecret'),
  metadata: fc.record({ name: hostileString, namespace: fc.constant('db') }, { requiredKeys: [] }),
  spec: fc.record(
    {
      secretStoreRef: fc.record({ kind: fc.constantFrom('ClusterSecretStore', 'SecretStore', 'Other'), name: fc.constantFrom('vault-backend', 'nope', '') }, { requiredKeys: [] }),
      refreshInterval: hostileString,
      refreshPolicy: hostileString,
      target: fc.record({ name: hostileString, creationPolicy: fc.constantFrom('Owner', 'Merge', 'None', 'Orphan', 'x'), deletionPolicy: fc.constantFrom('Retain', 'Delete', 'Merge', 'x') }, { requiredKeys: [] }),
      data: fc.array(fc.record({ secretKey: hostileString, remoteRef, sourceRef: fc.option(anything, { nil: undefined }) }, { requiredKeys: [] }), { maxLength: 12 }),
      dataFrom: fc.array(
        fc.record(
          {
            extract: remoteRef,
            find: fc.record({ path: hostileString, name: fc.record({ regexp: hostileString }), tags: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }), conversionStrategy: fc.constantFrom('Default', 'Unicode', 'x') }, { requiredKeys: [] }),
            rewrite: fc.array(anything, { maxLength: 2 }),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 4 },
      ),
    },
    { requiredKeys: [] },
  ),
});

/** Mostly what a careful user writes, so that allowed verdicts are exercised too. */
const plausible = fc.record({
  metadata: fc.record({ name: fc.constantFrom('app', 'db') }),
  spec: fc.record({
    secretStoreRef: fc.constant({ kind: 'ClusterSecretStore', name: 'vault-backend' }),
    refreshInterval: fc.constantFrom('1h', '30m', '0'),
    data: fc.array(fc.record({ secretKey: fc.stringMatching(/^[a-zA-Z0-9_.-]{1,12}$/), remoteRef: fc.record({ key: fc.constantFrom('app/db', 'app/api', 'secret/app/db', 'app/x/y'), property: fc.option(fc.constantFrom('user', 'password', 'a.b', 'list.0'), { nil: undefined }) }, { requiredKeys: ['key'] }) }), { minLength: 1, maxLength: 4 }).map((entries) => entries.filter((e, i) => entries.findIndex((o) => o.secretKey === e.secretKey) === i)),
  }),
});

/** A valid-looking object with random subtrees replaced by anything at all. */
const mutated = fc.tuple(validish, fc.array(fc.tuple(fc.constantFrom('spec', 'spec.data', 'spec.dataFrom', 'spec.target', 'spec.secretStoreRef', 'metadata', 'spec.data.0', 'spec.data.0.remoteRef', 'spec.dataFrom.0.find'), anything), { maxLength: 3 })).map(([object, edits]) => {
  for (const [path, value] of edits) {
    const parts = path.split('.');
    let node: unknown = object;
    for (const part of parts.slice(0, -1)) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
    if (typeof node === 'object' && node !== null) (node as Record<string, unknown>)[parts.at(-1) as string] = value;
  }
  return object;
});

const hugeArrays = fc.integer({ min: 900, max: 3000 }).map((n) => ({
  spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: Array.from({ length: n }, (_, i) => ({ secretKey: `k${i}`, remoteRef: { key: `app/p${i % 200}`, property: 'x' } })) },
}));

const deep = fc.letrec((tie) => ({ node: fc.oneof({ depthSize: 'large', maxDepth: 60 }, fc.string(), fc.record({ spec: tie('node') }), fc.array(tie('node'), { maxLength: 2 })) })).node;

const externalSecret = fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 3, arbitrary: validish }, { weight: 3, arbitrary: plausible }, { weight: 1, arbitrary: anything }, { weight: 1, arbitrary: hugeArrays }, { weight: 1, arbitrary: deep });

const store = (vault: Record<string, unknown>): SecretStore => ({ kind: 'ClusterSecretStore', metadata: { name: 'vault-backend' }, spec: { provider: { vault } } });
const stores = fc.constantFrom<SecretStore>(
  store({ server: 'http://v', path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 't', key: 'token', namespace: 'eso' } } }),
  store({ server: 'http://v', version: 'v2', auth: { kubernetes: { role: 'r', serviceAccountRef: { name: 'sa' } } } }),
  store({ server: 'http://v', path: 'kv', version: 'v1', auth: { appRole: { path: 'approle', roleId: 'id', secretRef: { name: 's', key: 'k' } } } }),
  store({ server: 'http://v', path: 'secret', auth: { iam: {} } }),
  store({ server: 'http://v', path: 'secret', auth: {} }),
  { kind: 'ClusterSecretStore', metadata: { name: 'vault-backend' }, spec: { conditions: [{ namespaceRegexes: ['(', 'd.*'] }], provider: { vault: { server: 'http://v', path: 'secret', auth: { tokenSecretRef: { name: 't', key: 'k' } } } } } },
);

const policies = fc.array(
  fc.record<VaultPathPolicy>({ metadata: fc.record({ name: fc.string() }), spec: fc.record({ allow: fc.array(hostileString, { maxLength: 3 }), deny: fc.array(hostileString, { maxLength: 3 }) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
  { maxLength: 3 },
);

const propertyFact = fc.oneof(fc.constant({ found: false as const }), fc.record({ found: fc.constant(true as const), kind: fc.constantFrom('object', 'array', 'string', 'number', 'bool', 'null' as const), objectJson: fc.boolean() }), fc.record({ unsupported: fc.string() }));

const readAnswer = (properties: string[]): fc.Arbitrary<VaultAnswer> =>
  fc.oneof(
    fc.constant(unavailable<ReadFacts>('down')),
    fc.record({ state: fc.constant('failed' as const), reason: hostileString }),
    fc.record({ capabilities: fc.constantFrom(['read'], ['deny'], [], ['root']), outcome: fc.oneof(fc.constant(undefined), fc.record({ state: fc.constant('found' as const), version: fc.nat(), deletionTime: fc.constantFrom(undefined, '2026-11-27T00:00:00Z', 'garbage'), propertyNames: fc.array(hostileString, { maxLength: 5 }), properties: fc.tuple(...properties.map(() => propertyFact)).map((facts) => Object.fromEntries(properties.map((p, i) => [p, facts[i]]))) }, { requiredKeys: ['state', 'propertyNames', 'properties'] }), fc.record({ state: fc.constant('no-secret' as const), detail: fc.constantFrom('missing', 'deleted', 'destroyed' as const) }), fc.record({ state: fc.constant('error' as const), message: hostileString })) }).map((facts) => ok<ReadFacts>(facts as unknown as ReadFacts)),
  );

const findAnswerArbitrary: fc.Arbitrary<VaultAnswer> = fc.oneof(
  fc.constant(unavailable<FindFacts>('down')),
  fc.record({ matched: fc.array(hostileString, { maxLength: 6 }), unreadable: fc.array(hostileString, { maxLength: 2 }), truncated: fc.boolean(), listed: fc.nat(), failure: fc.option(fc.record({ noSecret: fc.boolean(), message: hostileString }), { nil: undefined }) }, { requiredKeys: ['matched', 'unreadable', 'truncated', 'listed'] }).map((facts) => ok<FindFacts>(facts as FindFacts)),
);

// Answers come from pools sampled once (sampling inside every run would dominate the time).
const FIND_POOL = fc.sample(findAnswerArbitrary, { numRuns: 200, seed: SEED });
const PROPERTY_POOL = fc.sample(propertyFact, { numRuns: 50, seed: SEED });
const READ_POOL = fc.sample(readAnswer(['p']), { numRuns: 300, seed: SEED });

/** A pooled read answer, its property facts spread over the properties actually asked. */
function readAnswerFor(properties: string[], pick: number): VaultAnswer {
  const answer = READ_POOL[pick % READ_POOL.length] as VaultAnswer;
  if (answer.state !== 'ok' || !('outcome' in answer.value) || answer.value.outcome?.state !== 'found') return answer;
  const facts = Object.fromEntries(properties.map((p, i) => [p, PROPERTY_POOL[(pick + i) % PROPERTY_POOL.length]]));
  return ok<ReadFacts>({ ...answer.value, outcome: { ...answer.value.outcome, properties: facts as Record<string, PropertyFact> } });
}

/** The real decision service over a fixed store, no policies, and a Vault that is down. */
function coreEvaluator(s: SecretStore): DecisionService {
  const cluster = { namespaceLabels: () => ok({}), store: () => ok(s), pathPolicies: () => ok<VaultPathPolicy[]>([]) };
  const vault = { answer: async (request: VaultRequest) => new Map(request.questions.map((q) => [q.id, unavailable<ReadFacts>('Vault is down')] as const)) };
  return new DecisionService(cluster, vault, { requirePathPolicy: false, failureMode: 'closed', vaultDeadlineMs: 1000 });
}

// --- properties ---------------------------------------------------------------------------

function decideWith(input: DecisionInput, pick: (question: { kind: string; properties?: string[] }) => VaultAnswer | undefined): Verdict {
  const analysis = analyze(input);
  const answers = new Map<string, VaultAnswer>();
  for (const question of analysis.vault?.questions ?? []) {
    const answer = pick(question);
    if (answer) answers.set(question.id, answer);
  }
  return analysis.decide(answers);
}

const isVerdict = (v: Verdict) =>
  typeof v.allowed === 'boolean' &&
  v.allowed === (v.violations.length === 0) &&
  [...v.violations, ...v.warnings].every((f) => typeof f.field === 'string' && typeof f.message === 'string' && f.message.length > 0) &&
  v.violations.length <= 100;

t.test(`the decision core: ${CORE_RUNS} generated ExternalSecrets and Vault answers`, async (t) => {
  let runs = 0;
  let denied = 0;
  let askedVault = 0;
  fc.assert(
    fc.property(externalSecret, stores, fc.oneof(fc.constant<VaultPathPolicy[]>([]), policies), fc.constantFrom<'closed' | 'open'>('closed', 'open'), fc.infiniteStream(fc.nat()), fc.context(), (object, s, p, failureMode, picks, ctx) => {
      runs++;
      const input: DecisionInput = { externalSecret: object, namespace: 'db', namespaceLabels: ok({ team: 'x' }), store: ok(s), policies: ok(p), options: { requirePathPolicy: false, failureMode } };
      const analysis = analyze(input);
      const questions = analysis.vault?.questions ?? [];
      if (questions.length > 0) askedVault++;
      // Answers drawn once, then given to two independent decisions: they must agree.
      const iterator = picks[Symbol.iterator]();
      const answers = new Map<string, VaultAnswer>();
      for (const question of questions) {
        const pick = iterator.next().value as number;
        answers.set(question.id, question.kind === 'find' ? (FIND_POOL[pick % FIND_POOL.length] as VaultAnswer) : readAnswerFor(question.properties, pick));
      }
      const first = analysis.decide(answers);
      const second = decideWith(input, (q) => answers.get((q as { id?: string }).id ?? ''));
      ctx.log(JSON.stringify(first).slice(0, 300));
      if (!first.allowed) denied++;
      return isVerdict(first) && JSON.stringify(first) === JSON.stringify(second) && (questions.length === 0 || questions.length <= 100);
    }),
    { numRuns: CORE_RUNS, seed: SEED },
  );
  t.equal(runs, CORE_RUNS, `${runs} cases, never a throw`);
  t.ok(denied > 0 && denied < runs, `${denied} denied, ${runs - denied} allowed: both outcomes were exercised`);
  t.ok(askedVault > 100, `${askedVault} cases reached the Vault questions`);
});

t.test(`AdmissionReview parsing: ${PARSE_RUNS} generated bodies`, async (t) => {
  let runs = 0;
  const review = fc.record({
    apiVersion: fc.oneof(fc.constant('admission.k8s.io/v1'), anything),
    kind: fc.oneof(fc.constant('AdmissionReview'), anything),
    request: fc.oneof(
      anything,
      fc.record({ uid: fc.oneof(fc.uuid(), anything), operation: fc.oneof(fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT'), anything), kind: fc.oneof(fc.constant({ group: 'external-secrets.io', version: 'v1', kind: 'ExternalSecret' }), anything), namespace: anything, name: anything, object: fc.oneof(externalSecret, anything), oldObject: anything, dryRun: anything }, { requiredKeys: [] }),
    ),
  }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.oneof(review, anything), (body) => {
      runs++;
      const parsed = parseAdmissionReview(body);
      const again = parseAdmissionReview(body);
      if (parsed.ok) defaultingPatch(parsed.request.object);
      return JSON.stringify(parsed) === JSON.stringify(again) && (parsed.ok ? typeof parsed.request.uid === 'string' : parsed.message.length > 0);
    }),
    { numRuns: PARSE_RUNS, seed: SEED },
  );
  t.equal(runs, PARSE_RUNS, `${runs} bodies, never a throw`);
});

t.test(`both webhooks over HTTP: ${HTTP_RUNS} generated AdmissionReviews, each answered`, async (t) => {
  const s = fc.sample(stores, { numRuns: 1, seed: SEED })[0] as SecretStore;
  const app = buildApp({
    evaluator: coreEvaluator(s),
    metrics: new Metrics({ defaultMetrics: false }),
    failureMode: 'closed',
    readiness: async () => [],
    logLevel: 'silent',
  });
  let runs = 0;
  let internalErrors = 0;
  await fc.assert(
    fc.asyncProperty(externalSecret, fc.constantFrom('validate', 'mutate'), fc.constantFrom('CREATE', 'UPDATE'), async (object, webhook, operation) => {
      runs++;
      const response = await app.inject({
        method: 'POST',
        url: `/${webhook}`,
        payload: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { group: 'external-secrets.io', version: 'v1', kind: 'ExternalSecret' }, operation, namespace: 'db', name: 'x', object: typeof object === 'object' && object !== null && !Array.isArray(object) ? object : { spec: object }, oldObject: {} } },
      });
      const body = response.json() as { response?: { uid: string; allowed: boolean; status?: { message: string } } };
      if (body.response?.status?.message.startsWith('vaultgate could not decide')) internalErrors++;
      return response.statusCode === 200 && body.response?.uid === 'u' && typeof body.response.allowed === 'boolean';
    }),
    { numRuns: HTTP_RUNS, seed: SEED },
  );
  t.equal(runs, HTTP_RUNS, `${runs} reviews answered with 200 and a verdict`);
  t.equal(internalErrors, 0, 'no review ended in "could not decide" (an exception inside a decision)');
  await app.close();
});

t.test('a large AdmissionReview is decided in the worker thread exactly as a small one on the event loop', async (t) => {
  const s = fc.sample(stores, { numRuns: 1, seed: SEED })[0] as SecretStore;
  const evaluator = coreEvaluator(s);
  const app = buildApp({ evaluator, metrics: new Metrics({ defaultMetrics: false }), failureMode: 'closed', readiness: async () => [], logLevel: 'silent' });
  const objects = fc.sample(fc.oneof(plausible, mutated, validish), { numRuns: 40, seed: SEED });
  const padded = (object: unknown) => ({ ...(object as object), metadata: { name: 'x', annotations: { padding: 'p'.repeat(70_000) } } });
  let compared = 0;
  for (const object of objects) {
    for (const webhook of ['validate', 'mutate']) {
      const request = (o: unknown) => ({ method: 'POST' as const, url: `/${webhook}`, payload: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { group: 'external-secrets.io', version: 'v1', kind: 'ExternalSecret' }, operation: 'CREATE', namespace: 'db', name: 'x', object: o } } });
      const large = await app.inject(request(padded(object)));
      t.ok(large.payload.length > 0 && JSON.stringify(request(padded(object)).payload).length > 64 * 1024, 'over the worker threshold');
      const inline = await evaluator.evaluate(padded(object), 'db');
      const answer = (large.json() as { response: { allowed: boolean; status?: { message: string } } }).response;
      if (webhook === 'validate') {
        t.equal(answer.allowed, inline.allowed, 'same verdict through the worker');
        if (!inline.allowed) t.match(answer.status?.message, inline.violations[0]?.message ?? '');
      } else {
        t.equal(answer.allowed, true, 'the mutating webhook answers');
      }
      compared++;
    }
  }
  t.equal(compared, 80);
  await app.close();
});
