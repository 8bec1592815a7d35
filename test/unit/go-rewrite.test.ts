// Differential test: ESO's dataFrom rewrite (merge, regexp, transform; esutils.RewriteMap in
// v0.20.4) as vaultgate's reconciler applies it (src/core/esoValues.ts rewriteKeys) against
// real Go, through the oracle in test/env/oracle, on generated key maps and JSON values that
// reach the corners of Go's encoding/json (numbers, escapes, invalid UTF-8, non-objects).
// Invariant: one oracle process answers the whole corpus, which is deterministic (fixed
// fast-check seed). A case is compared unless vaultgate declines it (counted, and only for
// template functions it does not evaluate) or Go's answer depends on its random map order
// (two keys rewritten into one; counted, and kept a small share of the corpus).
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { askGo, tapSafeJson, type OracleAnswer } from '../env/goOracle.js';
import { rewriteKeys, type Bytes } from '../../src/core/esoValues.js';
import { readExternalSecret } from '../../src/core/shape.js';
import { structureFindings } from '../../src/core/structure.js';
import type { ExternalSecretRewrite } from '../../src/eso/types.js';

const SEED = 20251126;

interface Case {
  operations: ExternalSecretRewrite[];
  input: Record<string, Bytes>;
}

const utf8 = (text: string): Bytes => Buffer.from(text, 'utf8');

const INPUT_KEYS = ['a', 'b', 'c', 'db', 'app/one', 'app/two', 'sub/app3', '0', '10', 'é', 'Z', '_x', '😀', '\uFFFD', 'x.y'];
const JSON_KEYS = ['a', 'b', 'user', 'pass', 'x<y&z>', 'é', '😀', '\u2028', 'ü', 'A', ''];

/** JSON texts JSON.stringify would never write: Go's decoder and encoder meet them in Vault data. */
const HAND_VALUES: Bytes[] = [
  utf8('{"n":1.50,"big":12345678901234567890,"neg":-0,"exp":1E2,"tiny":1e-7,"huge":1e21}'),
  utf8('{"over":1e400}'),
  utf8('{"s":"\\u2028\\u2029<b>&amp;","slash":"\\/","lone":"\\ud800x","pair":"\\ud83d\\ude00"}'),
  utf8('{"dup":1,"dup":2}'),
  utf8(' \t{ "ws" : [ 1 , { "deep" : [ null , true ] } ] }\n'),
  utf8('{"html":"<a href=\\"x\\">&</a>","nested":{"h":"<>&","list":["<",1.0,false]}}'),
  Uint8Array.from([0x7b, 0x22, 0x62, 0x22, 0x3a, 0x22, 0xff, 0xc3, 0x28, 0x22, 0x7d]), // {"b":"\xff\xc3("}
  utf8('[1,2]'),
  utf8('"just a string"'),
  utf8('42'),
  utf8('true'),
  utf8('null'),
  utf8(''),
  utf8('{"unterminated":'),
  utf8('not json'),
  utf8('{"a":1} trailing'),
];

const jsonScalar = fc.oneof(
  fc.constantFrom('v', '<b>', 'a&b', 'é', '😀', '\u2028', 'line\nbreak', '"q"', '\\', '\u0000', '\u007f', ''),
  fc.constantFrom(0, 1, -1, 1.5, 0.1, 1e21, 1e-7, 123456789012, 2 ** 53 + 2, -2.5e-8),
  fc.boolean(),
  fc.constant(null),
);
const jsonValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonScalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...JSON_KEYS), tie('value'), { maxKeys: 3 })),
})).value;
const objectValue = fc.dictionary(fc.constantFrom(...JSON_KEYS), jsonValue, { maxKeys: 4 }).map((object) => utf8(JSON.stringify(object)));
const anyValue = fc.oneof({ weight: 6, arbitrary: objectValue }, { weight: 2, arbitrary: fc.constantFrom(...HAND_VALUES) }, { weight: 1, arbitrary: fc.constantFrom('x', 'plain', '{}').map(utf8) });

const inputMap = fc.dictionary(fc.constantFrom(...INPUT_KEYS), anyValue, { minKeys: 1, maxKeys: 4 });

const REGEXP_SOURCES = ['^app/', '/', '[^a-z]', '(?P<n>app)/(.*)', '^(.*)$', 'a', '', '(?i)A', '[', '\\d+', 'é|😀', '(a)(b)?', '$'];
const REGEXP_TARGETS = ['', '_', '$1', '${n}-$2', '$0$0', '$$', 'x$9y', '${1}z', '$n', 'new'];
const TRANSFORMS = [
  '{{ .value | upper }}',
  '{{ .value | replace "/" "_" }}',
  'prefix-{{ .value }}',
  '{{ .value | lower | trimPrefix "app/" }}',
  '{{ .nope }}',
  '{{ .value.x }}',
  '{{ index . "value" }}',
  '{{ printf "%s-%d" .value 3 }}',
  '{{ if eq .value "a" }}A{{ else }}{{ .value }}{{ end }}',
  '{{ .value | b64enc }}',
  '{{ .value | sha256sum | trunc 8 }}',
  '{{',
  '{{ fail "no" }}',
  '{{ template "x" }}',
  '{{ .value | camelcase }}',
  '{{ $x := .value }}{{ $x }}{{ $x }}',
];

const mergeOperation = fc.record(
  {
    strategy: fc.constantFrom('Extract', 'JSON', ''),
    into: fc.constantFrom('all', 'a', 'merged', ''),
    priority: fc.uniqueArray(fc.constantFrom(...INPUT_KEYS, 'missing'), { maxLength: 3 }),
    priorityPolicy: fc.constantFrom('IgnoreNotFound', 'Strict'),
    conflictPolicy: fc.constantFrom('Ignore', 'Error'),
  },
  { requiredKeys: [] },
);
const operation: fc.Arbitrary<ExternalSecretRewrite> = fc.oneof(
  { weight: 3, arbitrary: mergeOperation.map((merge) => ({ merge: merge as NonNullable<ExternalSecretRewrite['merge']> })) },
  { weight: 2, arbitrary: fc.record({ source: fc.constantFrom(...REGEXP_SOURCES), target: fc.constantFrom(...REGEXP_TARGETS) }).map((regexp) => ({ regexp })) },
  { weight: 2, arbitrary: fc.constantFrom(...TRANSFORMS).map((template) => ({ transform: { template } })) },
);
const rewriteCase: fc.Arbitrary<Case> = fc.record({ operations: fc.array(operation, { minLength: 1, maxLength: 3 }), input: inputMap });

/** Hand-picked cases: each strategy and policy on inputs whose answer is known to be interesting. */
const HAND_CASES: Case[] = [
  { operations: [{ merge: {} }], input: { a: utf8('{"x":1,"y":"<b>"}'), b: utf8('{"z":[1,{"h":"&"}]}') } },
  { operations: [{ merge: { strategy: 'JSON', into: 'all' } }], input: { a: utf8('{"x":1,"y":"<b>"}'), b: utf8('{"z":[1,{"h":"&"}]}') } },
  { operations: [{ merge: { strategy: 'JSON' } }], input: { a: utf8('{"x":1}') } },
  { operations: [{ merge: { conflictPolicy: 'Error' } }], input: { a: utf8('{"x":1,"y":2}'), b: utf8('{"x":3,"y":4}') } },
  { operations: [{ merge: { conflictPolicy: 'Ignore', priority: ['a'] } }], input: { a: utf8('{"x":"from-a"}'), b: utf8('{"x":"from-b"}') } },
  { operations: [{ merge: { priority: ['missing'] } }], input: { a: utf8('{"x":1}') } },
  { operations: [{ merge: { priority: ['missing'], priorityPolicy: 'IgnoreNotFound' } }], input: { a: utf8('{"x":1}') } },
  { operations: [{ merge: {} }], input: { a: utf8('null') } },
  { operations: [{ merge: {} }], input: { a: utf8('{"f":1e21,"g":1e-7,"h":100,"i":-0,"j":0.000001}') } },
  { operations: [{ regexp: { source: '^app/', target: '' } }, { transform: { template: '{{ .value | upper }}' } }], input: { 'app/one': utf8('1'), 'app/two': utf8('2') } },
  { operations: [{ transform: { template: '{{ .missing }}' } }], input: { k: utf8('v') } },
  { operations: [{ transform: { template: '{{ .value.deeper }}' } }], input: { k: utf8('v') } },
  { operations: [{ transform: { template: '{{ fail "no" }}' } }], input: { 'k"ey': utf8('v') } },
  { operations: [{ regexp: { source: '(', target: '' } }], input: { k: utf8('v') } },
  { operations: [{ merge: {} }, { regexp: { source: '<', target: 'lt' } }], input: { a: utf8('{"<":"x"}') } },
];

type Outcome = { ok: true; out: Record<string, string> } | { ok: false; error: string };

const base64Of = (map: Record<string, Bytes>) => Object.fromEntries(Object.entries(map).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));

/** Go shuffles the conflict list by its map order (the oracle sorts it): compare it sorted. */
function normalized(error: string): string {
  return error.replace(/(merge failed with conflicts: )(.*)$/s, (_all, head: string, list: string) => head + list.split(', ').sort().join(', '));
}

function goOutcome(answer: OracleAnswer): Outcome {
  if (typeof answer.error === 'string') return { ok: false, error: normalized(answer.error) };
  // A nil []byte (GetByteValue of a JSON null) encodes as null: in a Secret it is an empty value.
  const out = Object.entries((answer.out ?? {}) as Record<string, string | null>).map(([key, value]) => [key, value ?? '']);
  return { ok: true, out: Object.fromEntries(out) as Record<string, string> };
}

function vaultgateOutcome(c: Case): Outcome | 'declined' {
  const result = rewriteKeys(c.operations, c.input);
  if (result.ok) return { ok: true, out: base64Of(result.map) };
  if (result.unsupported) return 'declined';
  return { ok: false, error: normalized(result.message.replace(/^error applying rewrite to keys: /, '')) };
}

t.test("vaultgate rewrites keys exactly as ESO's RewriteMap (merge, regexp, transform)", async (t) => {
  const cases = [...HAND_CASES, ...fc.sample(rewriteCase, { seed: SEED, numRuns: 3000 })];
  const answers = await askGo(cases.map((c) => ({ op: 'rewrite', rewrite: c.operations, in: base64Of(c.input) })));
  let compared = 0;
  let declined = 0;
  let ambiguous = 0;
  let failures = 0;
  const outcomes = { ok: 0, error: 0 };
  for (const [i, c] of cases.entries()) {
    const answer = answers[i] as OracleAnswer;
    if (typeof answer.bad === 'string' || typeof answer.panic === 'string') {
      failures++;
      t.fail(`the oracle could not answer ${tapSafeJson(c.operations)}: ${String(answer.bad ?? answer.panic)}`);
      continue;
    }
    const ours = vaultgateOutcome(c);
    if (ours === 'declined') {
      declined++;
      continue;
    }
    if (answer.ambiguous === true) {
      ambiguous++;
      continue;
    }
    compared++;
    const go = goOutcome(answer);
    outcomes[go.ok ? 'ok' : 'error']++;
    if (isDeepStrictEqual(ours, go)) continue;
    failures++;
    // Keys and texts may hold U+2028, which ends a TAP stream: shown through tapSafeJson only.
    if (failures <= 10) t.fail(`case ${i}: ${tapSafeJson(c.operations)} on ${tapSafeJson(base64Of(c.input))}: vaultgate ${tapSafeJson(ours)}, Go ${tapSafeJson(go)}`);
  }
  t.equal(failures, 0, `${cases.length} rewrites: ${compared} compared with Go (${outcomes.ok} rewritten, ${outcomes.error} errors), ${declined} declined, ${ambiguous} left to Go's map order`);
  t.ok(outcomes.ok >= 500 && outcomes.error >= 300, 'the corpus reaches both rewritten maps and errors');
  t.ok(ambiguous < cases.length / 4, `cases whose answer depends on Go's map order stay a minority (${ambiguous})`);
  t.ok(declined < cases.length / 10, `vaultgate declines few (${declined}: template functions it does not evaluate)`);
});

t.test('admission refuses rewrites ESO could never apply, with the field and ESO\'s words', async (t) => {
  const findings = (rewrite: unknown[]) => {
    const raw = { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'x', namespace: 'n' }, spec: { secretStoreRef: { name: 's' }, dataFrom: [{ extract: { key: 'k' }, rewrite }] } };
    return structureFindings(readExternalSecret(raw, 100).view).violations.map((v) => `${v.field}: ${v.message}`);
  };
  t.same(findings([{ regexp: { source: '^app/', target: '' } }, { transform: { template: '{{ .value | upper }}' } }, { merge: { strategy: 'JSON', into: 'all' } }]), [], 'good operations pass');
  t.match(findings([{ regexp: { source: '(', target: '' } }]), ['spec.dataFrom[0].rewrite[0].regexp.source: regexp failed with failed to compile: error parsing regexp: missing closing ): `(`'], 'a regexp RE2 rejects');
  t.match(findings([{ regexp: { source: 'a', target: 'b' } }, { transform: { template: '{{ .value' } }]), [/^spec\.dataFrom\[0\]\.rewrite\[1\]\.transform\.template: transform failed with failed to parse template: template: transform:1: /], 'a template Go cannot parse');
  t.match(findings([{ merge: { strategy: 'JSON' } }]), [/^spec\.dataFrom\[0\]\.rewrite\[0\]\.merge\.into: merge failed with missing 'into' field/], 'a JSON merge without into');
  t.same(findings([{ transform: { template: '{{ .nope }}' } }]), [], 'a missing key is no parse error (Go prints <no value>)');
});
