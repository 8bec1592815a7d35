// Differential test: ESO's templateFrom literal and KeysAndValues (mapScopeApply in v0.20.4:
// the template, named by its own text, renders YAML that sigs.k8s.io/yaml reads into
// map[string]string, numbers and bools turned into text) as vaultgate's Secret plan
// (src/core/secretPlan.ts) applies it, against real Go through the oracle in test/env/oracle.
// Invariant: one oracle process answers the whole corpus, which is deterministic (fixed
// fast-check seed). A case vaultgate declines (YAML outside its subset, template functions it
// does not evaluate) is counted, never compared; the rest must give Go's keys and bytes or
// ESO's error text.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import t from 'tap';
import { askGo, tapSafeJson, type OracleAnswer } from '../env/goOracle.js';
import { emptySecret, planSecret, type TemplateSources } from '../../src/core/secretPlan.js';
import type { ExternalSecret } from '../../src/eso/types.js';

const SEED = 20251127;

const DATA: Record<string, string>[] = [
  { user: 'app', password: 'p4ss', n: '1', json: '{"x":1,"y":[1,2],"z":{"k":"v"}}' },
  { user: 'a: b', password: '- x', n: '1.5e3', json: '[]' },
  { user: 'yes', password: '#not a comment', n: '0x1F', json: '{"s":"é"}' },
  { user: 'é😀', password: '"quoted"', n: '012', json: 'null' },
  { user: '123', password: "it's", n: '~', json: '{"a":true}' },
  { user: '', password: ' padded ', n: '-0.0', json: '{' },
];

const HAND_TEXTS = [
  'a: {{ .user }}',
  'key: value',
  '{{ .user }}: {{ .password }}',
  'a: 1\nb: 1.5\nc: true\nd: ~\ne: yes\nf: 0x1F\ng: 1e10\nh: 3.14159265\ni: 012\nj: off\nk: null\nl: 0.1\nm: 1234567.0\nn: 100000000\no: -0.0\np: 0.00001',
  'n: {{ .n }}',
  // past float32's range: sigs.k8s.io/yaml formats numbers with bitSize 32
  'u: 1e39\nv: -1e39\nw: 1e-50\nx: -1e-50\ny: 3.4e38\nz: 16777217',
  'list:\n  - 1',
  'nested:\n  k: v',
  'a: x\nnested:\n  k: v\nlist:\n  - 1',
  '- {{ .user }}',
  'plain',
  '',
  '# only a comment',
  'a: "quoted: {{ .user }}"',
  "a: '{{ .user }}'",
  'a: |\n  line1\n  {{ .user }}',
  'a: |-\n  {{ .password }}',
  '{{ .missing }}: x',
  '{{ toYaml . }}',
  '{{ .json | fromJson | toYaml }}',
  'a: {{ .password | quote }}',
  'a: {{ .password | squote }}',
  'b64: {{ .password | b64enc }}',
  'k{{ .n }}: v',
  '1: one\ntrue: two\nfalse: three',
  'a: 1\na: 2',
  '{{ if eq .user "app" }}who: app{{ else }}who: other{{ end }}',
  '{{',
  'a: {{ fail "no" }}',
  '{{ range $k, $v := . }}{{ $k }}: {{ $v | b64enc }}\n{{ end }}',
  'a: x #comment\nb: "y" # another',
  'x: {{ .user | upper }}\ny: {{ .user | lower }}',
];

// No null key: sigs.k8s.io/yaml refuses it with Go's %#v of the map, which vaultgate declines.
const keyPiece = fc.constantFrom('a', 'b', 'user', 'K_1', '{{ .user }}', '{{ .n }}', 'x.y', 'é', '0', 'true', '"q"', "'s'");
const valuePiece = fc.constantFrom('v', '{{ .user }}', '{{ .password }}', '{{ .n }}', '1', '1.5', '-2', '1e3', '0.1', 'yes', 'no', 'on', '~', 'null', '"{{ .user }}"', "'{{ .password }}'", '{{ .password | b64enc }}', '', 'a b', '2024-01-01', '0o17', '.5', '+1', '9223372036854775808', '18446744073709551616', '1_000');
const generatedText = fc.array(fc.tuple(keyPiece, valuePiece).map(([key, value]) => `${key}: ${value}`), { minLength: 1, maxLength: 4 }).map((lines) => lines.join('\n'));

interface Case {
  text: string;
  data: Record<string, string>;
}

const noSources: TemplateSources = { configMap: () => undefined, secret: () => undefined };

function vaultgateOutcome(c: Case): { ok: true; map: Record<string, string> } | { ok: false; error: string } | 'declined' {
  const es: ExternalSecret = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'kv', namespace: 'n', uid: 'u' },
    spec: { target: { template: { templateFrom: [{ literal: c.text, target: 'Data' }] } } },
  };
  const values = Object.fromEntries(Object.entries(c.data).map(([key, value]) => [key, Buffer.from(value, 'utf8')]));
  const plan = planSecret(es, emptySecret(es), values, noSources);
  if (!plan.ok) {
    if (plan.unsupported) return 'declined';
    return { ok: false, error: plan.message.replace(/^could not apply template: error fetching templateFrom data: /, '') };
  }
  return { ok: true, map: Object.fromEntries(Object.entries(plan.secret.data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])) };
}

t.test('templateFrom literal and KeysAndValues render exactly as ESO (Go text/template + sigs.k8s.io/yaml)', async (t) => {
  const cases: Case[] = [
    ...HAND_TEXTS.flatMap((text) => DATA.map((data) => ({ text, data }))),
    ...fc.sample(fc.record({ text: generatedText, data: fc.constantFrom(...DATA) }), { seed: SEED, numRuns: 1500 }),
  ];
  const answers = await askGo(cases.map((c) => ({ op: 'keysandvalues', text: c.text, data: c.data })));
  let compared = 0;
  let declined = 0;
  let declinedPlain = 0;
  let failures = 0;
  const outcomes = { ok: 0, error: 0 };
  for (const [i, c] of cases.entries()) {
    const answer = answers[i] as OracleAnswer;
    const ours = vaultgateOutcome(c);
    if (ours === 'declined') {
      declined++;
      if (c.data === DATA[0]) declinedPlain++;
      continue;
    }
    compared++;
    const go = typeof answer.error === 'string' ? { ok: false, error: answer.error } : { ok: true, map: answer.map };
    outcomes[go.ok ? 'ok' : 'error']++;
    if (isDeepStrictEqual(ours, go)) continue;
    failures++;
    // Texts may hold U+2028, which ends a TAP stream: shown through tapSafeJson only.
    if (failures <= 10) t.fail(`case ${i}: ${tapSafeJson(c)}: vaultgate ${tapSafeJson(ours)}, Go ${tapSafeJson(go)}`);
  }
  t.equal(failures, 0, `${cases.length} templates: ${compared} compared with Go (${outcomes.ok} maps, ${outcomes.error} errors), ${declined} declined`);
  t.ok(outcomes.ok >= 600 && outcomes.error >= 40, 'the corpus reaches both maps and errors');
  // Values such as "a: b" or "- x" make YAML that is invalid or beyond the subset; ordinary values must not.
  const plain = cases.filter((c) => c.data === DATA[0]).length;
  t.ok(declinedPlain < plain / 10, `with ordinary values vaultgate declines few (${declinedPlain} of ${plain}; ${declined} of all: YAML outside its subset)`);
});
