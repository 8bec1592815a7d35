// Differential test: vaultgate's port of Go's text/template with ESO's FuncMap
// (src/core/goTemplate.ts) and of encoding/base64 and base32 (src/core/goBase64.ts) against
// real Go, through the oracle in test/env/oracle (text/template + sprig from ESO's fork, the
// versions ESO v0.20.4 builds with).
// Invariant: one oracle process answers the whole corpus, which is deterministic (fixed
// fast-check seed), so a failure names an input that fails the same way on every run; every
// case is an ordinary assertion (no todo, no skip). A case vaultgate declines (`unsupported`)
// is counted, never compared; every other case must give Go's bytes or Go's error text, and
// the ordinary ESO templates must not be declined at all.
// Looking into a group: GO_TEMPLATE_DEBUG=<group> prints cases with Go's answers,
// GO_TEMPLATE_DEBUG=<group>-declined the declined ones, GO_TEMPLATE_SLOW=<ms> the slow ones.
import fc from 'fast-check';
import t from 'tap';
import { askGo, tapSafeJson, type OracleAnswer } from '../env/goOracle.js';
import { base32DecodeString, base64DecodeString, base64EncodeToString, decodeStrategy, decodeStrategyMap } from '../../src/core/goBase64.js';
import {
  esoTemplateError,
  executeGoTemplate,
  isEsoTemplateFunction,
  MAX_OUTPUT_BYTES,
  MAX_TEMPLATE_BYTES,
  parseGoTemplate,
  renderGoTemplate,
  supportedTemplateFunctions,
} from '../../src/core/goTemplate.js';

const SEED = 20250612;

// ---------------------------------------------------------------------------------------
// The oracle (built and driven as test/unit/go-semantics.test.ts does)

type Request =
  | { op: 'template'; name: string; text: string; data: Record<string, string> }
  | { op: 'base64'; encoding: 'std' | 'url'; text: string }
  | { op: 'base32'; text: string };

type Answer = OracleAnswer;

// ---------------------------------------------------------------------------------------
// Agreement

const safe = tapSafeJson;

const short = (text: string, max = 120) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);

type Outcome = { output: string } | { error: string };

/** The part of a tap test the helpers use. */
interface Asserter {
  same(found: unknown, wanted: unknown, ...messageExtra: [] | [string]): boolean;
  equal(found: unknown, wanted: unknown, ...messageExtra: [] | [string]): boolean;
  fail(...messageExtra: [] | [string]): boolean;
  comment(...message: unknown[]): void;
}

/** Go's answer to a template request: the output bytes (base64) or the error text. */
function goOutcome(answer: Answer): Outcome {
  if (typeof answer.output === 'string') return { output: answer.output };
  if (typeof answer.parseError === 'string') return { error: answer.parseError };
  if (typeof answer.execError === 'string') return { error: answer.execError };
  return { error: `oracle: ${safe(answer)}` };
}

interface TemplateCase {
  group: string;
  name: string;
  text: string;
  data: Record<string, string>;
  /** Must not be declined (ordinary ESO templates). */
  mustSupport?: boolean;
}

interface Tally {
  /** Go's answers among the compared cases: output, parse error, execution error. */
  outcomes: { output: number; parse: number; exec: number };
  compared: number;
  unsupported: number;
  failures: number;
  reasons: Map<string, number>;
}

const SHOWN_FAILURES = 25;

/** Every case compared with Go, or counted as declined; a few failures shown in full. */
function checkTemplates(t: Asserter, cases: TemplateCase[], answers: Answer[]): Tally {
  const tally: Tally = { outcomes: { output: 0, parse: 0, exec: 0 }, compared: 0, unsupported: 0, failures: 0, reasons: new Map() };
  cases.forEach((c, i) => {
    const answer = answers[i] as Answer;
    const go = goOutcome(answer);
    const started = performance.now();
    const ts = renderGoTemplate('k', c.text, c.data);
    const elapsed = performance.now() - started;
    // Generous: the machine may be busy; the caps themselves are checked in 'hostile templates are bounded'.
    if (elapsed > 5000) t.fail(`${c.group}: ${short(safe(c.text))} took ${Math.round(elapsed)}ms`);
    if (process.env.GO_TEMPLATE_SLOW && elapsed > Number(process.env.GO_TEMPLATE_SLOW)) t.comment(`slow (${Math.round(elapsed)}ms): ${safe(c.text)}`);
    if (!ts.ok && ts.unsupported) {
      tally.unsupported++;
      const reason = ts.error.replace(/template function \S+/, 'template function X').replace(/\d+/g, 'N');
      tally.reasons.set(reason, (tally.reasons.get(reason) ?? 0) + 1);
      if (c.mustSupport) t.fail(`${c.group}: ${short(safe(c.text))} is an ordinary template, yet vaultgate declines it: ${ts.error}`);
      if (process.env.GO_TEMPLATE_DEBUG === `${c.group}-declined`) t.comment(`declined: ${short(safe(c.text), 200)} with ${short(safe(c.data), 300)}: ${ts.error}`);
      return;
    }
    tally.compared++;
    tally.outcomes[typeof answer.output === 'string' ? 'output' : typeof answer.parseError === 'string' ? 'parse' : 'exec']++;
    if (process.env.GO_TEMPLATE_DEBUG === c.group && tally.compared <= 40) t.comment(`${short(safe(c.text), 200)} → ${short(safe(go), 200)}`);
    const mine: Outcome = ts.ok ? { output: Buffer.from(ts.bytes).toString('base64') } : { error: ts.error };
    if (safe(mine) === safe(go)) return;
    tally.failures++;
    if (tally.failures > SHOWN_FAILURES) return;
    const decode = (o: Outcome) => ('output' in o ? { output: Buffer.from(o.output, 'base64').toString('utf8') } : o);
    t.same(safe(decode(mine)), safe(decode(go)), `${c.group} ${c.name}: ${short(safe(c.text), 300)} with ${short(safe(c.data), 200)}`);
  });
  t.equal(tally.failures, 0, `${cases.length} ${cases[0]?.group ?? ''} cases: ${tally.compared} compared with Go, ${tally.unsupported} declined, ${tally.failures} disagree`);
  const { output, parse, exec } = tally.outcomes;
  t.comment(`Go's answers to the compared cases: ${output} outputs, ${parse} parse errors, ${exec} execution errors`);
  return tally;
}

// ---------------------------------------------------------------------------------------
// The data ESO passes (the secret's values as strings)

const CONFIG_JSON =
  '{"db":{"host":"pg.internal","port":5432,"opts":["ssl","timeout=5"],"nested":{"deep":{"x":1}}},"big":1000000,"huge":1e21,"tiny":1e-7,' +
  '"f":1.5,"neg":-2,"zero":0,"t":true,"n":null,"s":"<tag>&\'\\"","list":[1,"two",null,false,{"k":"v"}],"empty":{},"none":[],' +
  '"unicode":"h\\u00e9llo \\u2028 \\ud83d\\ude00","Key With Space":"v"}';

const DATA: Record<string, string> = {
  user: 'admin',
  password: 's3cr<e>t&"\'%',
  host: 'db.internal',
  port: '5432',
  config: CONFIG_JSON,
  list: '[1,2,3]',
  b64: 'aGVsbG8gd29ybGQ=',
  b64url: 'aGk_Pz4-',
  b64bad: 'aGVsbG8',
  empty: '',
  multi: 'line1\nline2\n',
  spaces: '  padded  ',
  unicode: 'héllo wörld ✓ 😀',
  num: '42',
  float: '3.14',
  neg: '-7',
  truthy: 'true',
  yaml: 'a: 1\nb:\n  - x\n  - y\n',
  'tls.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  'dash-key': 'dash',
  under_score: 'under',
  Upper: 'UP',
};

// ---------------------------------------------------------------------------------------
// Hand-picked templates

/** What ESO users write: every one must be rendered by vaultgate itself. */
const ESO_TYPICAL = [
  '{{ .password | b64enc }}',
  '{{ .password }}',
  'postgres://{{ .user }}:{{ .password }}@{{ .host }}:{{ .port }}/db',
  '{{ (.config | fromJson).db.host }}',
  '{{ (.config | fromJson).db.port }}',
  '{{ (.config | fromJson).big }}',
  '{{ (.config | fromJson).big | int64 }}',
  '{{ (.config | fromJson).db.opts | join "," }}',
  '{{- range $k, $v := . }}{{ $k }}={{ $v }}\n{{- end }}',
  '{{- range $k, $v := . }}\n{{ $k }}: {{ $v | quote }}{{ end }}',
  '{{ .b64 | b64dec }}',
  '{{ .b64bad | b64dec }}',
  '{{ .user | upper }}-{{ .host | lower }}',
  '{{ .missing }}',
  '{{ .missing | default "fallback" }}',
  '{{ .empty | default "fallback" }}',
  '{{ index . "tls.crt" }}',
  '{{ index . "dash-key" }}',
  '{{ index . "nope" }}',
  '{{ .config | fromJson | toYaml }}',
  '{{ .config | fromJson | toJson }}',
  '{{ .config | fromJson | toPrettyJson }}',
  '{{ .config | fromJson | toRawJson }}',
  '{{ dict "username" .user "password" .password | toJson }}',
  '{{ dict "username" .user "password" .password | toYaml }}',
  '{{ toJson . }}',
  '{{ toYaml . }}',
  '{{ . | toJson | b64enc }}',
  '[client]\nuser={{ .user }}\npassword={{ .password }}\n',
  'apiVersion: v1\nkind: Config\nusers:\n- name: {{ .user }}\n  password: {{ .password | quote }}\n',
  '{{ if .empty }}set{{ else }}unset{{ end }}',
  '{{ if eq .user "admin" }}is admin{{ end }}',
  '{{ if and .user .host }}both{{ end }}',
  '{{ if or .empty .missing2 }}x{{ end }}',
  '{{ with .user }}user is {{ . }}{{ end }}',
  '{{ .multi | indent 4 }}',
  'key: |\n{{ .multi | indent 2 }}',
  'cert:{{ index . "tls.crt" | nindent 2 }}',
  '{{ .password | sha256sum }}',
  '{{ printf "%s:%s" .user .password | b64enc }}',
  '{{ .spaces | trim }}',
  '{{ .num | int | add 1 }}',
  '{{ .num | atoi | mul 2 }}',
  '{{ list .user .host | join "," }}',
  '{{ .host | replace "." "-" }}',
  '{{ .user | quote }}',
  '{{ .user | squote }}',
  '{{ .unicode | upper }}',
  '{{ .unicode | b64enc }}',
  '{{ .b64url | b64dec }}',
  '{{ $c := .config | fromJson }}{{ $c.db.host }}:{{ $c.db.port }}',
  '{{- $c := .config | fromJson -}}\n{{- range $c.db.opts }}\n- {{ . }}\n{{- end }}',
  '{{ .yaml }}',
  '{{ len .password }}',
  '{{ .user | trunc 3 }}',
  '{{ hasPrefix "adm" .user }}',
  '{{ .config | fromJson | keys | sortAlpha | join "," }}',
  '{{ .missing | default "" }}',
  '{{ (.config | fromJson).missing }}',
  '{{ (.config | fromJson).n }}',
  '{{ .config | mustFromJson | toJson }}',
  '{{ .password | b64enc | b64dec }}',
  '{{ .user }}{{/* a comment */}}{{ .host }}',
  '{{- /* trimmed comment */ -}}\n{{ .user }}',
];

/** Everything else the port claims: constructs, functions, errors. */
const HAND: string[] = [
  // text and trim markers
  '', 'plain text', ' {{- .user }} ', ' {{ .user -}} \n x', '{{- .user -}}', 'a {{- "b" -}} c', '{{ "x" }}\n\n{{- "y" }}', '{{-3}}', '{{- 3}}',
  '{{ 3 -}}', '{{- /* c */ -}} x', '{{/* c */}}', '{{ /* c */ }}', '{{/* unclosed', '{{/* c */ x}}', 'x{{-/* c */}}y', '{{- "a" }}\t\r\n b',
  // literals and numbers
  '{{ 1 }}', '{{ -1 }}', '{{ +1 }}', '{{ 1.0 }}', '{{ 1e3 }}', '{{ 1E3 }}', '{{ 0x1F }}', '{{ 0o17 }}', '{{ 017 }}', '{{ 0b101 }}', '{{ 1_000 }}',
  '{{ 0x1p-2 }}', '{{ .5 }}', '{{ 5. }}', '{{ 1e400 }}', '{{ 9223372036854775807 }}', '{{ 9223372036854775808 }}', '{{ 18446744073709551615 }}',
  '{{ 18446744073709551616 }}', '{{ -9223372036854775808 }}', '{{ 1.5e300 }}', '{{ 1e-320 }}', '{{ 0.1 }}', '{{ 100000 }}', '{{ 1000000.0 }}',
  "{{ 'a' }}", "{{ '\\n' }}", "{{ '\\x41' }}", "{{ '\\u00e9' }}", "{{ 'ab' }}", "{{ '' }}", '{{ 1i }}', '{{ 1+2i }}', '{{ 08 }}', '{{ 1__0 }}', '{{ 0x }}',
  '{{ 1a }}', '{{ true }}', '{{ false }}', '{{ nil }}', '{{ "a\\tb" }}', '{{ "\\u00e9\\U0001F600" }}', '{{ "\\x41\\101" }}', '{{ "\\q" }}', '{{ `raw\\n` }}',
  '{{ "unterminated }}', '{{ `unterminated }}', "{{ 'x }}", '{{ "a" "b" }}', '{{ . }}', '{{ $ }}', '{{ "%d" }}', '{{ "<>&" }}',
  // fields, variables, chains
  '{{ .user.x }}', '{{ .user.x.y }}', '{{ .Upper }}', '{{ .under_score }}', '{{ .dash-key }}', '{{ .tls.crt }}', '{{ $.user }}', '{{ $x := .user }}{{ $x }}',
  '{{ $x := 1 }}{{ $x = "two" }}{{ $x }}', '{{ $x = 1 }}', '{{ $undefined }}', '{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}',
  '{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}', '{{ if $x := .user }}{{ $x }}{{ end }}{{ $x }}', '{{ $x, $y := 1 }}', '{{ $x := 1 | print }}{{ $x }}',
  '{{ (.config | fromJson).db.nested.deep.x }}', '{{ (.config | fromJson).db.nested.nope }}', '{{ (.config | fromJson).n.x }}', '{{ (.config | fromJson).f.x }}',
  '{{ (.config | fromJson).list.x }}', '{{ ($c := 1) }}', '{{ (1).x }}', '{{ ("a").x }}', '{{ nil.x }}', '{{ (nil).x }}', '{{ .user | .host }}', '{{ .user .host }}',
  '{{ $.user.x }}', '{{ $x := dict "a" (dict "b" 1) }}{{ $x.a.b }}', '{{ $x := list 1 }}{{ $x.a }}', '{{ (dict).a }}', '{{ (dict "a" nil).a.b }}',
  '{{ . | print }}', '{{ .user | printf "%s-%s" .host }}', '{{ .user.x | print }}', '{{ print . }}',
  // control structures
  '{{ if 1 }}a{{ end }}', '{{ if 0 }}a{{ else }}b{{ end }}', '{{ if "" }}a{{ else if "x" }}b{{ end }}', '{{ if false }}a{{ else if false }}b{{ else }}c{{ end }}',
  '{{ if nil }}x{{ end }}', '{{ if list }}x{{ else }}empty list{{ end }}', '{{ if dict }}x{{ else }}empty dict{{ end }}', '{{ if 0.0 }}x{{ else }}zero{{ end }}',
  '{{ with "" }}x{{ else }}y{{ end }}', '{{ with .user }}{{ . }}{{ else with .host }}{{ . }}{{ end }}', '{{ with .empty }}a{{ else with .host }}{{ . }}{{ end }}',
  '{{ range list 1 2 3 }}{{ . }}{{ end }}', '{{ range $i, $v := list "a" "b" }}{{ $i }}={{ $v }};{{ end }}', '{{ range $v := list "a" }}{{ $v }}{{ end }}',
  '{{ range $k, $v := dict "b" 2 "a" 1 }}{{ $k }}{{ $v }}{{ end }}', '{{ range dict }}x{{ else }}none{{ end }}', '{{ range .empty }}x{{ end }}', '{{ range 0 }}x{{ else }}zero{{ end }}',
  '{{ range 3 }}{{ . }}{{ end }}', '{{ range $i := 3 }}{{ $i }}{{ end }}', '{{ range $i, $v := 3 }}{{ end }}', '{{ range -2 }}x{{ else }}neg{{ end }}', '{{ range 1.5 }}{{ end }}',
  '{{ range true }}{{ end }}', '{{ range nil }}{{ end }}', '{{ range (.config | fromJson).list }}[{{ . }}]{{ end }}', '{{ range (.config | fromJson).db }}{{ . }};{{ end }}',
  '{{ range $k, $v := (.config | fromJson).db }}{{ $k }};{{ end }}', '{{ range $i, $e := (.config | fromJson).none }}x{{ else }}none{{ end }}',
  '{{ range list 1 2 3 }}{{ if eq . 2 }}{{ break }}{{ end }}{{ . }}{{ end }}', '{{ range list 1 2 3 }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ . }}{{ end }}',
  '{{ break }}', '{{ continue }}', '{{ range . }}{{ break 1 }}{{ end }}', '{{ $x := 0 }}{{ range list 1 2 }}{{ $x = . }}{{ end }}{{ $x }}',
  '{{ range $i, $e := list 1 }}{{ $i = 5 }}{{ $i }}{{ end }}', '{{ $i := 0 }}{{ $e := 0 }}{{ range $i, $e = list "a" "b" }}{{ end }}{{ $i }}{{ $e }}',
  '{{ range $i = list 1 }}{{ end }}', '{{ range $a, $b, $c := list 1 }}{{ end }}', '{{ range $a, 1 }}{{ end }}',
  '{{ if }}{{ end }}', '{{ if 1 }}', '{{ if 1 }}{{ else }}{{ else }}{{ end }}', '{{ end }}', '{{ else }}', '{{ if 1 }}{{ end }}{{ end }}', '{{ range }}{{ end }}',
  '{{ with }}{{ end }}', '{{ if 1 }}x{{ else if }}{{ end }}', '{{ if 1 }}{{ else with 2 }}{{ end }}', '{{ with 1 }}{{ else if 2 }}{{ end }}',
  '{{ if 1 }}\n\n{{ end', '{{ if 1 }}\n\n{{ else 2 }}{{ end }}',
  // define, template, block
  '{{ define "t" }}T{{ end }}{{ template "t" }}', '{{ define "t" }}[{{ . }}]{{ end }}{{ template "t" .user }}', '{{ template "nope" }}',
  '{{ define "t" }}{{ $ }}{{ end }}{{ template "t" 5 }}', '{{ define "t" }}{{ .missing }}{{ end }}{{ template "t" . }}', '{{ define "t" }}{{ .x }}{{ end }}{{ template "t" }}',
  '{{ define "k" }}redefined{{ end }}', '{{ define "k" }}redefined{{ end }}body', '{{ define "t" }}a{{ end }}{{ define "t" }}b{{ end }}', '{{ define "t" }}a{{ end }}{{ define "t" }} {{ end }}{{ template "t" }}',
  '{{ block "b" .user }}<{{ . }}>{{ end }}', '{{ block "b" }}x{{ end }}', '{{ define "t" }}{{ template "t" }}{{ end }}{{ template "t" }}', '{{ define `r` }}raw{{ end }}{{ template `r` }}',
  '{{ define "t" }}{{ end }}', '{{ define t }}{{ end }}', '{{ define "t" }}', '{{ template }}', '{{ template "t" 1 2 }}', '{{ define "a" }}{{ template "b" }}{{ end }}{{ define "b" }}B{{ end }}{{ template "a" }}',
  '{{ define "t" }}{{ if . }}{{ else }}{{ end }}{{ end }}{{ template "t" 0 }}', '{{ define "t" }}{{ .user.x }}{{ end }}\n{{ template "t" . }}',
  // pipelines and commands
  '{{ "a" | printf "%s-%s" "b" }}', '{{ 1 | 2 }}', '{{ .user | "x" }}', '{{ print | }}', '{{ | print }}', '{{ print "a" | print "b" | print "c" }}', '{{ (print "a") }}',
  '{{ (print "a") "b" }}', '{{ ((((1)))) }}', '{{ (1 }}', '{{ 1) }}', '{{ ( ) }}', '{{ print (len .user) }}', '{{ .user | len | printf "%03d" }}', '{{ nil | print }}',
  '{{ true | not }}', '{{ and }}', '{{ not 1 2 }}', '{{ len }}', '{{ len 1 2 }}', '{{ printf }}', '{{ index }}', '{{ eq }}', '{{ eq 1 }}', '{{ lt 1 }}',
  '{{ .user "x" }}', '{{ $ "x" }}', '{{ $x := 1 }}{{ $x 2 }}', '{{ "x" 2 }}', '{{ nil 1 }}', '{{ 1 2 }}', '{{ . 1 }}', '{{ true 1 }}', '{{ (1) 2 }}',
  '{{ .user | upper | lower | title }}', '{{ .user}}', '{{.user }}', '{{.user}}', '{{ .user	}}', '{{ .user\n}}', '{{\n.user\n}}', '{{ .user ! }}', '{{ .user # }}', '{{ .user ; }}',
  '{{ .user , }}', '{{ :=  }}', '{{ $x:= 1 }}{{ $x }}', '{{ $x :=1 }}{{$x}}', '{{ $x : = 1 }}', '{{ $x := }}', '{{ $x == 1 }}', '{{ @ }}', '{{ é }}', '{{ .é }}',
  '{{ \u00a0 }}', '{{ "x" }}}', '{{{ "x" }}', '{{ .user }}{{', '{{', '}}', 'a}}b', '{{ .user -}}}',
  // builtins
  '{{ index . "user" }}', '{{ index . 1 }}', '{{ index . nil }}', '{{ index .user 0 }}', '{{ index .user 5 }}', '{{ index .user 10 }}', '{{ index .user -1 }}',
  '{{ index (list 1 2) 1 }}', '{{ index (list 1 2) 2 }}', '{{ index (list 1 2) 3 }}', '{{ index (list 1 2) "a" }}', '{{ index (list (list 1 2)) 0 1 }}', '{{ index nil 1 }}',
  '{{ index 1 1 }}', '{{ index (dict "a" 1) "a" }}', '{{ index (dict "a" 1) "b" }}', '{{ index (dict "a" (dict "b" 2)) "a" "b" }}', '{{ index (dict "a" nil) "a" "b" }}',
  '{{ index (.config | fromJson) "db" "port" }}', '{{ index (.config | fromJson) "list" 4 "k" }}', '{{ index . }}', '{{ index (list 1) 0.5 }}', '{{ index (list 1) true }}',
  '{{ len . }}', '{{ len (list) }}', '{{ len (dict "a" 1) }}', '{{ len 3 }}', '{{ len nil }}', '{{ len (.config | fromJson).n }}', '{{ len "héllo" }}',
  '{{ not 0 }}', '{{ not "x" }}', '{{ not nil }}', '{{ not (list) }}', '{{ and 1 2 3 }}', '{{ and 1 0 3 }}', '{{ or 0 "" nil }}', '{{ or 0 .user }}', '{{ and .missing 1 }}',
  '{{ or 1 .missing }}', '{{ and 0 .missing }}', '{{ "x" | and 1 }}', '{{ "" | or 0 }}', '{{ and (list) 1 }}',
  '{{ eq 1 1 }}', '{{ eq 1 2 }}', '{{ eq 1 2 1 }}', '{{ eq "a" "a" }}', '{{ eq 1 1.0 }}', '{{ eq 1.0 1.0 }}', '{{ eq true true }}', '{{ eq nil nil }}', '{{ eq nil 1 }}',
  '{{ eq 1 nil }}', '{{ eq .user "admin" }}', '{{ eq (list) (list) }}', '{{ eq (dict) (dict) }}', '{{ eq (list) 1 }}', '{{ eq (dict) nil }}', '{{ eq (int64 1) 1 }}',
  '{{ eq (index "a" 0) 97 }}', '{{ ne 1 2 }}', '{{ ne "a" "a" }}', '{{ ne 1 "a" }}', '{{ lt 1 2 }}', '{{ lt 2 1 }}', '{{ lt "a" "b" }}', '{{ lt 1.5 2.5 }}',
  '{{ lt 1 1.5 }}', '{{ lt true false }}', '{{ lt nil 1 }}', '{{ lt (list) 1 }}', '{{ le 2 2 }}', '{{ le 3 2 }}', '{{ gt 3 2 }}', '{{ gt 2 3 }}', '{{ ge 2 2 }}',
  '{{ ge "a" "b" }}', '{{ lt (index "a" 0) 98 }}', '{{ lt -1 (index "a" 0) }}', '{{ eq -1 (index "a" 0) }}', '{{ lt (int64 5) 6 }}', '{{ eq "é" "é" }}',
  '{{ print }}', '{{ print 1 }}', '{{ print 1 2 }}', '{{ print "a" 1 "b" }}', '{{ print 1 "a" 2 }}', '{{ print nil }}', '{{ print nil nil }}', '{{ print (list 1 nil "a") }}',
  '{{ print (dict "b" 1 "a" (list 2)) }}', '{{ print 1.5 2e10 1e21 -0.0 }}', '{{ println }}', '{{ println 1 "a" }}', '{{ print true false }}', '{{ print (.config | fromJson) }}',
  '{{ html "<a href=\'x\'>&\\"" }}', '{{ html 1 2 }}', '{{ html nil }}', '{{ js "a\'b\\"c<>&=\\n\\u2028é" }}', '{{ urlquery "a b&c=d/é" }}', '{{ urlquery 1 "x" }}',
  '{{ call 1 }}', '{{ slice "abc" 1 }}', '{{ call .user }}', '{{ call }}', '{{ "x" | call }}', '{{ 1 | call }}', '{{ call nil }}', '{{ call (fromJson "null") }}', '{{ call 1 2 }}',
  '{{ slice (list 1 2 3) 1 5 }}', '{{ slice (list 1 2 3) -1 }}', '{{ slice (list 1 2 3) 2 1 }}', '{{ if 1 }}{{ define "x" }}{{ end }}{{ end }}', '{{ define "a" }}{{ define "b" }}{{ end }}{{ end }}',
  '{{ if 1 }}{{ block "b" 1 }}[{{ . }}]{{ end }}{{ end }}{{ template "b" 2 }}', '{{ .user | and 0 }}|{{ .user | or 0 }}|{{ "" | and 1 }}|{{ 0 | or "" }}', '{{ and 1 (fail "x") }}',
  '{{ or 1 (fail "x") }}', '{{ $ = 1 }}{{ $ }}', '{{ range 2 }}{{ with 1 }}{{ break }}{{ end }}x{{ end }}y', '{{ range 2 }}{{ range 2 }}{{ else }}{{ break }}{{ end }}{{ end }}',
  'é{{ .x }}', 'ab\ncd{{ .é }}', '{{ .éx }}', '{{ define "x" }}{{ .a.b }}{{ end }}\nline2 {{ template "x" (dict "a" 1) }}', '{{ (index (.config | fromJson).list 4).k }}',
  '{{ range (.config | fromJson).list }}{{ typeOf . }};{{ end }}', '{{ len (index (.config | fromJson).list 3) }}', '{{ eq (index (.config | fromJson).list 2) nil }}',
  '{{ $m := fromJson "{\"a\":null}" }}{{ $m.a }}|{{ index $m "a" }}|{{ get $m "a" }}|{{ $m.a | print }}|{{ print $m.a }}', '{{ upper (index (fromJson "[1]") 0) }}',
  '{{ $l := fromJson "[null]" }}{{ range $l }}{{ . }}{{ end }}{{ range $i, $e := $l }}{{ $e }}{{ end }}', '{{ with fromJson "null" }}x{{ else }}null{{ end }}',
  // printf
  '{{ printf "%s" "x" }}', '{{ printf "%d" 42 }}', '{{ printf "%v" 42 }}', '{{ printf "%q" "a\\"b" }}', '{{ printf "%x" "hi" }}', '{{ printf "%X" "hi" }}', '{{ printf "% x" "hi" }}',
  '{{ printf "%#x" "hi" }}', '{{ printf "%# x" "hi" }}', '{{ printf "%x" 255 }}', '{{ printf "%#x" 255 }}', '{{ printf "%o" 8 }}', '{{ printf "%#o" 8 }}', '{{ printf "%O" 8 }}',
  '{{ printf "%b" 5 }}', '{{ printf "%#b" 5 }}', '{{ printf "%c" 233 }}', '{{ printf "%q" 233 }}', '{{ printf "%U" 233 }}', '{{ printf "%#U" 233 }}', '{{ printf "%t" true }}',
  '{{ printf "%5d|%-5d|%05d" 42 42 42 }}', '{{ printf "%+d % d" 5 5 }}', '{{ printf "%.3d" 7 }}', '{{ printf "%8.3f" 3.14159 }}', '{{ printf "%-8.2f|" 3.14159 }}',
  '{{ printf "%e %E" 1234.5678 1234.5678 }}', '{{ printf "%g %G" 0.000012345 1e21 }}', '{{ printf "%.2e" 9.995 }}', '{{ printf "%.0f %.0f %.0f" 0.5 1.5 2.5 }}',
  '{{ printf "%.1f %.2f %.3f" 0.05 2.675 1.0005 }}', '{{ printf "%.10g" 3.14159265358979 }}', '{{ printf "%f" 1e300 }}', '{{ printf "%v %v" 1e20 1e21 }}',
  '{{ printf "%s" 42 }}', '{{ printf "%d" "x" }}', '{{ printf "%d" 1.5 }}', '{{ printf "%z" 1 }}', '{{ printf "%s %s" "a" }}', '{{ printf "%s" "a" "b" }}',
  '{{ printf "%!" }}', '{{ printf "%" }}', '{{ printf "%%" }}', '{{ printf "%5%" }}', '{{ printf "%[2]s %[1]s" "a" "b" }}', '{{ printf "%[3]s" "a" }}', '{{ printf "%[0]s" "a" }}',
  '{{ printf "%*d" 5 42 }}', '{{ printf "%-*d|" 5 42 }}', '{{ printf "%*d" "x" 42 }}', '{{ printf "%.*f" 2 3.14159 }}', '{{ printf "%.*f" -1 3.14159 }}',
  '{{ printf "%v" nil }}', '{{ printf "%d" nil }}', '{{ printf "%s" nil }}', '{{ printf "%T %T %T %T %T" 1 "a" 1.5 nil (list) }}', '{{ printf "%T" (dict) }}',
  '{{ printf "%v" (list 1 "a" nil) }}', '{{ printf "%d" (list 1 2) }}', '{{ printf "%s" (list "a" 1) }}', '{{ printf "%q" (list "a" "b") }}', '{{ printf "%x" (list "a" 10) }}',
  '{{ printf "%v" (dict "a" 1 "b" (list 2 3)) }}', '{{ printf "%d" (dict "a" 1) }}', '{{ printf "%s" (dict "a" 1) }}', '{{ printf "%5v|" (list 1 22) }}',
  '{{ printf "%v" . }}', '{{ printf "%q" .unicode }}', '{{ printf "%+q" .unicode }}', '{{ printf "%#q" "back`tick" }}', '{{ printf "%#q" "plain" }}', '{{ printf "%x" .unicode }}',
  '{{ printf "%.2s" "héllo" }}', '{{ printf "%5.1s|" "abc" }}', '{{ printf "%-5s|%5s" "é" "é" }}', '{{ printf "%05s" "ab" }}', '{{ printf "%t" 1 }}',
  '{{ printf "%v %v %v %v" (int64 5) (float64 "2.5") (index "a" 0) true }}', '{{ printf "%e" 0.0 }}', '{{ printf "%g" 100000.0 }}', '{{ printf "%g" 1000000.0 }}',
  '{{ printf "%.3g" 1234567.0 }}', '{{ printf "%.3g" 0.0001234 }}', '{{ printf "%g" 0.0001 }}', '{{ printf "%g" 0.00001 }}', '{{ printf "%v" -0.0 }}',
  '{{ printf "%6.2f|%-6.2f|%+.1e" -1.5 2.25 12345.678 }}', '{{ printf "% d|% .2f" 5 1.5 }}', '{{ printf "%#v" 1 }}', '{{ printf "%w" 1 }}', '{{ printf "%p" 1 }}',
  '{{ printf "%#v|%#v|%#v|%#v|%#v" "a\"b" 1.5 true (index "a" 0) nil }}', '{{ printf "%#v" (list 1 "a" nil (list) (dict "k" (list 2))) }}', '{{ printf "%#v" . }}',
  '{{ printf "%#v|%#v" (splitList "," "a") (until 2) }}', '{{ printf "%#v" (rest (list)) }}', '{{ printf "%+v" (dict "a" 1) }}', '{{ printf "%#g|%#.3g|%#e|%#.0f|%#x" 1.0 2.0 3.0 4.0 5.0 }}',
  '{{ printf "%b|%x|%X|%.3x|%#x" 1.0 1.5 -0.1 3.14159 2.0 }}', '{{ printf "%x|%b" 0.0 5e-324 }}', '{{ printf "%+q|%+q" 233 0x1F600 }}', '{{ printf "%#.0e|%#g" 5.0 100000.0 }}',
  '{{ printf "%v" (float64 "NaN") }}', '{{ printf "%5.1f|%05.1f|%+f" (float64 "Inf") (float64 "-Inf") (float64 "NaN") }}', '{{ printf "%s" (list) }}',
  '{{ printf "%d %d" (index "é" 0) (index "é" 1) }}', '{{ printf "%c%c" 0x1F600 -1 }}', '{{ printf "%.0d" 0 }}', '{{ printf "%08.3f" -3.14159 }}', '{{ printf "%x" -255 }}',
  // missingkey=error and nil data
  '{{ .nope.deeper }}', '{{ (.config | fromJson).nope.deeper }}', '{{ $m := dict }}{{ $m.x }}', '{{ (fromJson "null").x }}', '{{ (fromJson "1").x }}', '{{ $.nope }}',
  '{{ range . }}{{ .x }}{{ end }}', '{{ with dict "a" nil }}{{ .a }}{{ end }}', '{{ with dict "a" nil }}{{ .a.b }}{{ end }}',
  // large but within vaultgate's limits: rendered, and quickly
  `${'{{- 1 -}} '.repeat(6000)}`, '{{ .user }}\n'.repeat(5000), `${'x'.repeat(60000)}{{- 1 }}`, `{{ ${'('.repeat(90)}1${')'.repeat(90)} }}`, `${'{{ if 1 }}'.repeat(90)}y${'{{ end }}'.repeat(90)}`,
  `{{ $s := "x" }}${'{{ $s = print $s $s }}'.repeat(16)}{{ len $s }}`, '{{ range until 2000 }}{{ . }},{{ end }}', '{{ define "t" }}{{ if . }}{{ template "t" (sub . 1) }}{{ . }}{{ end }}{{ end }}{{ template "t" 90 }}',
];

/** Sprig and ESO functions, one or more calls each. */
const FUNCTIONS: string[] = [
  '{{ hello }}', '{{ upper "aBc" }}', '{{ lower "aBc" }}', '{{ title "hello wORLD foo-bar_baz x.y" }}', '{{ upper "straße ǆ ñ" }}', '{{ lower "ÀÉÎ İ" }}', '{{ title "élan ǆungla" }}',
  '{{ abbrev 5 "hello world" }}', '{{ abbrev 3 "hello" }}', '{{ abbrev 20 "hello" }}', '{{ abbrevboth 5 10 "1234567890abcdefghij" }}', '{{ abbrevboth 0 4 "abcdefg" }}', '{{ abbrevboth 1 5 "abcdefg" }}',
  '{{ abbrevboth 20 10 "1234567890abcdefghij" }}', '{{ untitle "Hello World ÉTÉ" }}', '{{ swapcase "Hello wORLD ǅ é" }}', '{{ initials "hello big world" }}', '{{ initials " élan x" }}',
  '{{ seq 5 }}', '{{ seq -3 }}', '{{ seq 0 }}', '{{ seq 2 5 }}', '{{ seq 5 2 }}', '{{ seq 0 2 10 }}', '{{ seq 10 -3 0 }}', '{{ seq 10 3 0 }}', '{{ seq 1 2 3 4 }}', '{{ seq }}',
  '{{ round 3.14159 2 }}', '{{ round 2.5 0 }}', '{{ round -2.5 0 }}', '{{ round 1.005 2 }}', '{{ round "1.55" 1 }}', '{{ round 1.44 1 0.4 }}', '{{ round 12345.678 -1 }}',
  '{{ trim "  \\t x \\n " }}', '{{ trim "\u00a0x\u00a0" }}', '{{ trimAll "xy" "xyaxyx" }}', '{{ trimall "é" "éaé" }}', '{{ trimPrefix "ab" "abab" }}', '{{ trimSuffix "b" "abb" }}',
  '{{ trunc 3 "abcdef" }}', '{{ trunc -3 "abcdef" }}', '{{ trunc 10 "abc" }}', '{{ trunc -10 "abc" }}', '{{ trunc 0 "abc" }}', '{{ trunc 2 "é" }}', '{{ trunc "x" "abc" }}',
  '{{ substr 1 3 "abcdef" }}', '{{ substr -1 2 "abc" }}', '{{ substr 1 -1 "abc" }}', '{{ substr 2 10 "abc" }}', '{{ substr 5 10 "abc" }}', '{{ substr -1 5 "abc" }}', '{{ substr 2 1 "abc" }}',
  '{{ substr -1 -1 "abc" }}', '{{ repeat 3 "ab" }}', '{{ repeat 0 "ab" }}', '{{ repeat -1 "ab" }}', '{{ repeat 3 "" }}', '{{ nospace " a \\t b\\nc " }}', '{{ nospace "é è" }}',
  '{{ nospace "éè" }}', '{{ contains "b" "abc" }}', '{{ contains "" "abc" }}', '{{ hasPrefix "ab" "abc" }}', '{{ hasSuffix "bc" "abc" }}', '{{ quote "a\\"b" 1 nil 2.5 (list 1) }}',
  '{{ quote }}', '{{ quote nil }}', '{{ squote "a\'b" nil 1 }}', '{{ cat "a" nil 1 (list 2) "b" }}', '{{ cat }}', '{{ cat nil }}', '{{ indent 2 "a\\nb\\n" }}', '{{ indent 0 "a" }}',
  '{{ indent -1 "a" }}', '{{ nindent 2 "a\\nb" }}', '{{ replace "" "-" "abc" }}', '{{ replace "a" "" "banana" }}', '{{ replace "é" "e" "été" }}', '{{ replace "" "." "é" }}',
  '{{ plural "one" "many" 1 }}', '{{ plural "one" "many" 2 }}', '{{ sha1sum "" }}', '{{ sha256sum .unicode }}', '{{ adler32sum "hello" }}', '{{ toString 1 }}', '{{ toString nil }}',
  '{{ toString "x" }}', '{{ toString (list 1 "a") }}', '{{ toString (dict "a" 1) }}', '{{ toString 1.0 }}', '{{ toString true }}', '{{ atoi "42" }}', '{{ atoi "-42" }}',
  '{{ atoi "x" }}', '{{ atoi "99999999999999999999" }}', '{{ atoi "1_000" }}', '{{ atoi " 1" }}', '{{ atoi "+5" }}', '{{ int "42" }}', '{{ int "0x1F" }}', '{{ int "017" }}',
  '{{ int "08" }}', '{{ int "1.9" }}', '{{ int "-1.9" }}', '{{ int ".5" }}', '{{ int "1e3" }}', '{{ int "1_000" }}', '{{ int " 1" }}', '{{ int "" }}', '{{ int nil }}', '{{ int true }}',
  '{{ int 1.9 }}', '{{ int -1.9 }}', '{{ int (list 1) }}', '{{ int "9223372036854775808" }}', '{{ int64 "0b101" }}', '{{ int64 "-0o17" }}', '{{ int64 "+.5" }}', '{{ int64 "-." }}',
  '{{ float64 "1.5" }}', '{{ float64 "1e400" }}', '{{ float64 "x" }}', '{{ float64 "inf" }}', '{{ float64 "0x1p4" }}', '{{ float64 1 }}', '{{ float64 nil }}', '{{ float64 "1_0.5" }}',
  '{{ float64 true }}', '{{ toDecimal "777" }}', '{{ toDecimal 777 }}', '{{ toDecimal "8" }}', '{{ split "," "a,b,c" }}', '{{ (split "," "a,b").0 }}', '{{ (split "," "a,b")._1 }}',
  '{{ split "" "abc" }}', '{{ split "," "" }}', '{{ splitList "," "a,,b" }}', '{{ splitList "" "é!" }}', '{{ splitn "," 2 "a,b,c" }}', '{{ splitn "," 0 "a,b" }}', '{{ splitn "," -1 "a,b" }}',
  '{{ toStrings (list 1 "a" nil 2.5) }}', '{{ toStrings "x" }}', '{{ toStrings nil }}', '{{ join "," (list 1 "a" nil) }}', '{{ join "," "abc" }}', '{{ join "," nil }}',
  '{{ join "," (splitList "." "a.b.c") }}', '{{ sortAlpha (list "b" "a" 10 2) }}', '{{ sortAlpha "x" }}', '{{ sortAlpha nil }}', '{{ b64enc "" }}', '{{ b64dec "" }}', '{{ b64dec "!" }}',
  '{{ b64dec "YQ" }}', '{{ b64dec "YQ==\\nYQ==" }}', '{{ b32enc "hello world" }}', '{{ b32dec "NBSWY3DPEB3W64TMMQ======" }}', '{{ b32dec "NBSW" }}', '{{ b32dec "x" }}',
  '{{ fail "boom" }}', '{{ fail "" }}', '{{ regexMatch "^a.c$" "abc" }}', '{{ regexMatch "[" "abc" }}', '{{ mustRegexMatch "[" "abc" }}', '{{ mustRegexMatch "b+" "abbc" }}',
  '{{ add }}', '{{ add 1 }}', '{{ add 1 "2" 3.9 true nil }}', '{{ add1 1 }}', '{{ add1 "x" }}', '{{ sub 1 2 }}', '{{ mul 2 }}', '{{ mul 2 "3" }}', '{{ div 7 2 }}', '{{ div -7 2 }}',
  '{{ div 1 0 }}', '{{ mod 7 3 }}', '{{ mod -7 3 }}', '{{ mod 1 0 }}', '{{ max 1 }}', '{{ max 1 5 "7" }}', '{{ min 3 -1 "x" }}', '{{ biggest 2 3 }}', '{{ maxf 1 2.5 }}', '{{ minf 1 2.5 "-3" }}',
  '{{ floor 1.5 }}', '{{ floor "-1.5" }}', '{{ ceil 1.2 }}', '{{ until 3 }}', '{{ until -3 }}', '{{ until 0 }}', '{{ untilStep 0 10 3 }}', '{{ untilStep 10 0 -4 }}', '{{ untilStep 0 10 0 }}',
  '{{ add 9223372036854775807 1 }}', '{{ mul 4294967296 4294967296 }}', '{{ div -9223372036854775808 -1 }}', '{{ sub -9223372036854775808 1 }}',
  '{{ default "d" "" }}', '{{ default "d" "x" }}', '{{ default "d" }}', '{{ default "d" 0 }}', '{{ default "d" (list) }}', '{{ default "d" nil }}', '{{ default "d" false }}', '{{ default 1 2 3 }}',
  '{{ empty "" }}', '{{ empty 0 }}', '{{ empty 0.0 }}', '{{ empty nil }}', '{{ empty (dict) }}', '{{ empty "x" }}', '{{ empty false }}', '{{ coalesce "" 0 nil "x" }}', '{{ coalesce "" nil }}',
  '{{ coalesce }}', '{{ all 1 "a" }}', '{{ all 1 "" }}', '{{ all }}', '{{ any 0 "" }}', '{{ any 0 "a" }}', '{{ any }}', '{{ ternary "y" "n" true }}', '{{ ternary "y" "n" false }}',
  '{{ ternary "y" "n" 1 }}', '{{ ternary "y" "n" }}', '{{ fromJson "{}" }}', '{{ fromJson "[]" }}', '{{ fromJson "" }}', '{{ fromJson "x" }}', '{{ fromJson "1" }}',
  '{{ fromJson "\\"s\\"" }}', '{{ fromJson "true" }}', '{{ fromJson "null" }}', '{{ fromJson "{\\"a\\":1}" | toJson }}', '{{ mustFromJson "" }}', '{{ mustFromJson "{" }}',
  '{{ mustFromJson "[1,]" }}', '{{ mustFromJson "{\\"a\\" 1}" }}', '{{ mustFromJson "tru" }}', '{{ mustFromJson "nul" }}', '{{ mustFromJson "01" }}', '{{ mustFromJson "1." }}',
  '{{ mustFromJson "-" }}', '{{ mustFromJson "1e" }}', '{{ mustFromJson "\\"\\\\x\\"" }}', '{{ mustFromJson "\\"\\\\u12\\"" }}', '{{ mustFromJson "[1] 2" }}', '{{ mustFromJson "{,}" }}',
  '{{ mustFromJson "{\\"a\\":1,}" }}', '{{ mustFromJson "\\"\\t\\"" }}', '{{ mustFromJson "\'a\'" }}', '{{ mustFromJson "é" }}', '{{ mustFromJson "[1e999]" }}', '{{ mustFromJson "  " }}',
  '{{ toJson nil }}', '{{ toJson "é<>&\\u2028" }}', '{{ toJson 1.0 }}', '{{ toJson 1e21 }}', '{{ toJson 1e-7 }}', '{{ toJson 0.000001 }}', '{{ toJson (float64 "NaN") }}',
  '{{ mustToJson (float64 "Inf") }}', '{{ toRawJson (float64 "NaN") }}', '{{ mustToRawJson "<>" }}', '{{ toPrettyJson (dict) }}', '{{ toPrettyJson (list) }}',
  '{{ toPrettyJson (dict "a" (list 1 (dict)) "b" "x") }}', '{{ mustToPrettyJson 1 }}', '{{ toJson (list "\\u0000\\u001f\\b\\f") }}', '{{ toJson (split "," "a,b") }}',
  '{{ toJson (until 3) }}', '{{ toJson (splitList "," "a") }}', '{{ typeOf 1 }}', '{{ typeOf "a" }}', '{{ typeOf nil }}', '{{ typeOf (list) }}', '{{ typeOf (dict) }}', '{{ typeOf (split "," "") }}',
  '{{ typeOf (until 1) }}', '{{ typeOf 1.5 }}', '{{ typeOf (int64 1) }}', '{{ typeOf (index "a" 0) }}', '{{ typeOf . }}', '{{ typeIs "int" 1 }}', '{{ typeIsLike "int" 1 }}', '{{ kindOf 1 }}',
  '{{ kindOf nil }}', '{{ kindOf (list) }}', '{{ kindOf (dict) }}', '{{ kindOf . }}', '{{ kindIs "map" . }}', '{{ deepEqual (list 1) (list 1) }}', '{{ deepEqual (list 1) (list 2) }}',
  '{{ deepEqual 1 (int64 1) }}', '{{ deepEqual (dict "a" (list 1)) (dict "a" (list 1)) }}', '{{ deepEqual nil nil }}', '{{ base "/a/b.txt" }}', '{{ dir "/a/b.txt" }}', '{{ clean "a//b/../c" }}',
  '{{ ext "a/b.tar.gz" }}', '{{ isAbs "/x" }}', '{{ base "" }}', '{{ base "///" }}', '{{ dir "x" }}', '{{ osBase "a/b" }}', '{{ ext "a.b/c" }}',
  '{{ list }}', '{{ list 1 "a" nil }}', '{{ tuple 1 2 }}', '{{ append (list 1) 2 }}', '{{ push (list) 1 }}', '{{ append nil 1 }}', '{{ append "x" 1 }}', '{{ mustAppend "x" 1 }}',
  '{{ prepend (list 1) 0 }}', '{{ first (list 1 2) }}', '{{ first (list) }}', '{{ first nil }}', '{{ first "ab" }}', '{{ mustFirst "ab" }}', '{{ last (list 1 2) }}', '{{ rest (list 1 2 3) }}',
  '{{ rest (list) }}', '{{ initial (list 1 2 3) }}', '{{ reverse (list 1 2 3) }}', '{{ reverse (list) }}', '{{ uniq (list 1 1 "a" "a" 1.0) }}', '{{ without (list 1 2 3 2) 2 }}',
  '{{ has 2 (list 1 2) }}', '{{ has "2" (list 1 2) }}', '{{ has 1 nil }}', '{{ has 1 "x" }}', '{{ mustHas 1 "x" }}', '{{ compact (list 0 1 "" "a" nil (list)) }}',
  '{{ slice (list 1 2 3) 1 }}', '{{ slice (list 1 2 3) 1 2 }}', '{{ slice (list 1 2 3) }}', '{{ slice (list) 1 }}', '{{ slice "abc" 1 }}', '{{ slice (splitList "," "a,b,c") 1 }}',
  '{{ concat (list 1) (list 2 3) }}', '{{ concat }}', '{{ concat (list) }}', '{{ concat (list 1) "x" }}', '{{ concat nil }}', '{{ typeOf (concat) }}',
  '{{ dict }}', '{{ dict "a" }}', '{{ dict 1 2 nil 3 }}', '{{ dict "a" 1 "a" 2 }}', '{{ get (dict "a" 1) "a" }}', '{{ get (dict "a" 1) "b" }}', '{{ get . "user" }}', '{{ get nil "a" }}',
  '{{ $d := dict "a" 1 }}{{ set $d "b" 2 }}{{ $d }}', '{{ set nil "a" 1 }}', '{{ $d := dict "a" 1 "b" 2 }}{{ unset $d "a" }}', '{{ hasKey (dict "a" 1) "a" }}', '{{ hasKey . "user" }}',
  '{{ pluck "a" (dict "a" 1) (dict "a" 2) (dict "b" 3) }}', '{{ pluck "a" }}', '{{ keys (dict "a" 1) }}', '{{ keys }}', '{{ keys (dict "a" 1 "b" 2) }}', '{{ keys (dict "b" 1 "a" 2) | sortAlpha }}',
  '{{ len (keys (dict "a" 1 "b" 2)) }}', '{{ values (dict "a" 1) }}', '{{ values (dict "a" 1 "b" 2) }}', '{{ pick (dict "a" 1 "b" 2) "a" "c" }}', '{{ omit (dict "a" 1 "b" 2) "a" }}',
  '{{ dig "a" "b" "def" (dict "a" (dict "b" 1)) }}', '{{ dig "a" "x" "def" (dict "a" (dict "b" 1)) }}', '{{ dig "a" "def" }}', '{{ dig "db" "host" "none" (.config | fromJson) }}',
  '{{ toYaml nil }}', '{{ toYaml "" }}', '{{ toYaml "x" }}', '{{ toYaml 1 }}', '{{ toYaml 1.5 }}', '{{ toYaml true }}', '{{ toYaml (list) }}', '{{ toYaml (dict) }}',
  '{{ toYaml (list 1 "a" nil true (list 2) (dict "k" "v")) }}', '{{ toYaml (dict "b" 1 "a" (dict "x" (list 1 2)) "c" (list)) }}', '{{ toYaml "a\\nb" }}', '{{ toYaml "a\\nb\\n" }}',
  '{{ toYaml "a\\nb\\n\\n" }}', '{{ toYaml "\\n" }}', '{{ toYaml " lead" }}', '{{ toYaml "trail " }}', '{{ toYaml "a: b" }}', '{{ toYaml "- x" }}', '{{ toYaml "#x" }}', '{{ toYaml "a #x" }}',
  '{{ toYaml "yes" }}', '{{ toYaml "on" }}', '{{ toYaml "null" }}', '{{ toYaml "~" }}', '{{ toYaml "1" }}', '{{ toYaml "1.5" }}', '{{ toYaml "0x1F" }}', '{{ toYaml "1_000" }}',
  '{{ toYaml "2024-01-15" }}', '{{ toYaml "2024-1-5" }}', '{{ toYaml "2024-13-01" }}', '{{ toYaml "2024-02-30" }}', '{{ toYaml "2024-01-15T10:00:00Z" }}', '{{ toYaml "2024-01-15 10:00:00" }}',
  '{{ toYaml "1:30" }}', '{{ toYaml "190:20:30.15" }}', '{{ toYaml ".5" }}', '{{ toYaml ".inf" }}', '{{ toYaml "<<" }}', '{{ toYaml "é" }}', '{{ toYaml "it\'s" }}', '{{ toYaml "a\\tb" }}',
  '{{ toYaml "\\u0001" }}', '{{ toYaml "\\ufeffbom" }}', '{{ toYaml "x\\u2028y" }}', '{{ toYaml "---" }}', '{{ toYaml "@x" }}', '{{ toYaml "x:" }}', '{{ toYaml "x: " }}', '{{ toYaml "?" }}',
  '{{ toYaml (dict "k10" 1 "k9" 2 "K1" 3 "a" 4 "_" 5 "1" 6 "10" 7 "2" 8) }}', '{{ toYaml (dict "a\\nb" 1 "" 2 " " 3 "yes" 4) }}', '{{ toYaml (dict "k" "a\\nb") }}',
  '{{ toYaml (list "a\\nb" (list "c\\nd")) }}', '{{ toYaml (dict "k" (list (dict "a" 1 "b" (list 1)))) }}', '{{ toYaml (.config | fromJson) }}', '{{ toYaml . }}',
  '{{ toYaml (repeat 30 "word ") }}', '{{ toYaml (dict "k" (repeat 30 "word ")) }}', '{{ toYaml (list (repeat 20 "longer-word ")) }}', '{{ toYaml (repeat 20 "it\'s x: ") }}',
  '{{ toYaml (printf "%s\\n%s" (repeat 40 "y ") "z") }}', '{{ toYaml (dict (repeat 130 "k") 1) }}', '{{ toYaml (repeat 20 "\\u00e9\\u00e9 ") }}', '{{ toYaml (float64 "NaN") }}',
  '{{ toYaml 1e21 }}', '{{ toYaml 100000000000000000000.0 }}', '{{ toYaml (int64 "9223372036854775807") }}', '{{ toYaml 1e-7 }}', '{{ toYaml -0.0 }}',
  ...['2024-1-1', '2024-01-01T00:00:00', '2024-01-01 1:2:3.5', '2024-01-01t10:00:00+05:30', '2024-01-01T10:00:00.123Z', '2024-02-29', '2023-02-29', '2024-01-01T24:00:00Z',
    '2024-01-01 10:00:00Z', '2024-01-01T10:00:00+25:00', '2024-01-01T10:00:00+05:61', '2024-00-10', '2024-1-32', '2024-01-01x', '20240-01-01', '2024-01-01T1:2:3Z', '2024-01-01T10:00Z',
    '2024-01-01T10:00:00,5Z', '2024-01-01T10:00:00+0530', '2024-01-01T10:00:00-05:30', '2024-01-01 10:00:00.123456789123', '2024-01-01 10:00:60', '1900-02-29', '2000-02-29',
    '2024-01-01T10:00:00+24:00', '2024-01-01  10:00:00', '2024-1-1 1:1:1'].map((ts) => `{{ toYaml "${ts}" }}`),
  '{{ fromYaml "a: 1" }}', '{{ fromYaml "- a" }}', '{{ fromYaml "x" }}', '{{ fromYaml "1" }}', '{{ fromYaml "true" }}', '{{ fromYaml "~" | toJson }}', '{{ fromYaml "" | toJson }}',
  '{{ fromYaml "# only a comment" | toJson }}', '{{ fromYaml "a: 1\nb: yes\nc: ~\nd: 0x1F\ne: 1.5\nf: \"q\"\n1: x\ntrue: y\nno: n" | toJson }}', '{{ fromYaml "a: 2024-01-15" | toJson }}',
  '{{ fromYaml "a: |\n  x\n  y\n\nb: 1" | toJson }}', '{{ fromYaml "a: |-\n  x\n\n  y\n\n\nb: 1" | toJson }}', '{{ fromYaml "a:\n- 1\n- b: 2\n  c: 3" | toJson }}',
  '{{ fromYaml "a: 12345678901234567890" | toJson }}', '{{ fromYaml "a: 9007199254740993" | toJson }}', '{{ (fromYaml .yaml).b }}', '{{ fromYaml "- - a\n  - b\n- c" }}',
  '{{ fromYaml "a: 1\nb:\n  c: 2\n  d:\n    - x\n    - \u0027y\u0027\u0027z\u0027\n    - \"q\\tr\\u00e9\"\n# comment\ne: f # trailing\n" | toJson }}',
  '{{ fromYaml "a:\n  - - x\n    - y\n  -\n    k: v" | toJson }}', '{{ fromYaml "key: http://x.y:80/z" | toJson }}', '{{ fromYaml "a: -1\nb: +2\nc: 017\nd: 1_000\ne: .5\nf: 1e3\ng: 0o17" | toJson }}',
  '{{ fromYaml "a: b: c" }}', '{{ fromYaml "a: [1, 2]" }}', '{{ fromYaml "a: &x 1" }}', '{{ fromYaml "a: 1\na: 2" }}', '{{ fromYaml "a: 1\n  b" }}', '{{ fromYaml "a: .inf" }}', '{{ fromYaml "1.5: x" }}',
  '{{ (fromYaml "db:\n  host: pg\n  port: 5432").db.port }}', '{{ fromYaml "x: \"\\x41\\u00e9\\U0001F600\\n\"" | toJson }}', '{{ fromYaml "x: \u0027it\u0027\u0027s\u0027 # c" | toJson }}',
  // bytes that are not UTF-8 (a b64dec of binary data), through every kind of function
  '{{ printf "%d" (fromJson "{\"a\":\"x\",\"b\":[1,\"y\"]}") }}', '{{ printf "%q" ("/w==" | b64dec) }}', '{{ printf "%x|%s|%v" ("/w==" | b64dec) ("/w==" | b64dec) ("/w==" | b64dec) }}',
  '{{ "/w==" | b64dec | toJson }}', '{{ "/w==" | b64dec | upper }}', '{{ "/w==" | b64dec | quote }}', '{{ "/w==" | b64dec | toYaml }}', '{{ "/w==" | b64dec | len }}', '{{ trunc 1 "é" }}',
  '{{ "4pyTw6k=" | b64dec | title }}', '{{ "/w==" | b64dec | title }}', '{{ "/w==" | b64dec | html }}', '{{ "/w==" | b64dec | js }}', '{{ "/w==" | b64dec | printf "%+q" }}',
  '{{ "/w==" | b64dec | nospace }}', '{{ "/w==" | b64dec | replace "" "-" }}', '{{ "/w==" | b64dec | splitList "" | len }}', '{{ "/w==" | b64dec | trim }}', '{{ dict ("/w==" | b64dec) 1 | toJson }}',
  '{{ "/w==" | b64dec | sha256sum }}', '{{ printf "%5.1q" ("4pyTw6k=" | b64dec) }}', '{{ "/w==" | b64dec | squote }}', '{{ "/w==" | b64dec | urlquery }}', '{{ index ("/w==" | b64dec) 0 }}',
  '{{ "/w==" | b64dec | mustFromJson }}', '{{ print ("/w==" | b64dec) }}', '{{ "gIGA" | b64dec | lower }}', '{{ "gIGA" | b64dec | fromYaml }}', '{{ regexMatch "." ("/w==" | b64dec) }}',
  '{{ pkcs12key "x" }}', '{{ getSecretKey "a" "b" "c" }}', '{{ now }}', '{{ uuidv4 }}', '{{ randAlphaNum 5 }}', '{{ semver "1.0.0" }}',
  '{{ if false }}{{ pkcs12key "x" }}{{ end }}unused', '{{ merge (dict) (dict) }}', '{{ regexFind "a" "abc" }}', '{{ env "HOME" }}', '{{ expandenv "$HOME" }}',
];

// ---------------------------------------------------------------------------------------
// Generated templates

const keyArb = fc.constantFrom(...Object.keys(DATA).filter((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)), 'missing', 'x');

/** A term: something a command can start with or take as an argument. */
const termArb: fc.Arbitrary<string> = fc.oneof(
  keyArb.map((k) => `.${k}`),
  fc.constantFrom('.', '$', '"lit"', '"a b"', '""', '"é"', '"1"', '"true"', '"<x>"', '"a,b"', '`raw`', '0', '1', '-3', '2.5', '1e6', '0x10', "'c'", 'true', 'false', 'nil'),
  fc.constantFrom('(.config | fromJson)', '(.config | fromJson).db', '(.config | fromJson).db.port', '(.config | fromJson).list', '(.config | fromJson).n', '(.config | fromJson).big'),
  fc.constantFrom('(list 1 "a")', '(list)', '(dict "k" "v")', '(dict)', '(splitList "," "a,b")', '(split "," "a,b")', '(until 3)', '(int64 5)', '(float64 "2.5")', '(index "a" 0)'),
);

/** Functions with the arities generated templates use (wrong ones are part of the point). */
const FUNC_CALLS: Array<[string, number]> = [
  ['upper', 1], ['lower', 1], ['title', 1], ['trim', 1], ['quote', 1], ['squote', 2], ['b64enc', 1], ['b64dec', 1], ['b32enc', 1], ['toString', 1], ['toJson', 1], ['toRawJson', 1],
  ['toPrettyJson', 1], ['toYaml', 1], ['fromJson', 1], ['mustFromJson', 1], ['len', 1], ['print', 2], ['println', 1], ['printf', 2], ['not', 1], ['and', 2], ['or', 2],
  ['eq', 2], ['ne', 2], ['lt', 2], ['le', 2], ['gt', 2], ['ge', 2], ['index', 2], ['default', 2], ['empty', 1], ['coalesce', 2], ['ternary', 3], ['contains', 2],
  ['hasPrefix', 2], ['hasSuffix', 2], ['split', 2], ['splitList', 2], ['join', 2], ['list', 2], ['dict', 2], ['get', 2], ['hasKey', 2], ['keys', 1], ['pluck', 2],
  ['indent', 2], ['nindent', 2], ['repeat', 2], ['nospace', 1], ['cat', 2], ['sha256sum', 1], ['sha1sum', 1], ['int', 1], ['int64', 1], ['float64', 1], ['atoi', 1],
  ['add', 2], ['sub', 2], ['mul', 2], ['div', 2], ['mod', 2], ['max', 2], ['min', 2], ['trunc', 2], ['trimAll', 2], ['trimPrefix', 2], ['trimSuffix', 2], ['replace', 3],
  ['first', 1], ['last', 1], ['rest', 1], ['reverse', 1], ['uniq', 1], ['has', 2], ['append', 2], ['sortAlpha', 1], ['typeOf', 1], ['kindOf', 1], ['toStrings', 1],
  ['html', 1], ['js', 1], ['urlquery', 1], ['substr', 3], ['plural', 3], ['until', 1], ['compact', 1], ['base', 1], ['clean', 1],
];

const { pipeline: pipelineArb } = fc.letrec<{ pipeline: string; command: string; argument: string }>((tie) => ({
  pipeline: fc
    .tuple(tie('command'), fc.array(fc.constantFrom(...FUNC_CALLS), { maxLength: 3 }), fc.array(tie('argument'), { maxLength: 3 }))
    .map(([head, stages, args]) => [head, ...stages.map(([name, arity], i) => [name, ...args.slice(0, Math.max(arity - 1, 0) + (i % 2))].join(' '))].join(' | ')),
  command: fc.oneof(
    { depthSize: 'small', withCrossShrink: false },
    termArb,
    fc.tuple(fc.constantFrom(...FUNC_CALLS), fc.array(tie('argument'), { maxLength: 3 })).map(([[name, arity], args]) => [name, ...args.slice(0, arity)].join(' ')),
  ),
  argument: fc.oneof({ depthSize: 'small', withCrossShrink: false }, termArb, termArb, tie('pipeline').map((p) => `(${p})`)),
}));

const actionArb = fc.tuple(fc.constantFrom('{{ ', '{{- ', '{{'), pipelineArb, fc.constantFrom(' }}', ' -}}', '}}')).map(([l, p, r]) => `${l}${p}${r}`);

const textArb = fc.constantFrom('', ' ', 'x', '\n', ' - ', ': ', '\t');

const { block: blockArb } = fc.letrec<{ block: string; control: string }>((tie) => ({
  block: fc.array(fc.oneof({ depthSize: 'small', withCrossShrink: false }, actionArb, textArb, tie('control')), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')),
  control: fc.oneof(
    { depthSize: 'small', withCrossShrink: false },
    fc.tuple(pipelineArb, tie('block'), fc.option(tie('block'))).map(([p, a, b]) => `{{ if ${p} }}${a}${b === null ? '' : `{{ else }}${b}`}{{ end }}`),
    fc.tuple(pipelineArb, tie('block')).map(([p, a]) => `{{ with ${p} }}${a}{{ end }}`),
    fc.tuple(pipelineArb, tie('block'), fc.option(tie('block'))).map(([p, a, b]) => `{{ range $k, $v := ${p} }}${a}{{ $k }}={{ $v }}${b === null ? '' : `{{ else }}${b}`}{{ end }}`),
    fc.tuple(pipelineArb, tie('block')).map(([p, a]) => `{{ range ${p} }}${a}{{ end }}`),
    fc.tuple(keyArb, pipelineArb, tie('block')).map(([k, p, a]) => `{{ $${k} := ${p} }}${a}{{ $${k} }}`),
  ),
}));

/**
 * Well-typed templates: expressions built by the type they produce, so that most render and
 * exercise whole pipelines rather than stopping at the first type error.
 */
const { str: strExprArb, int: intExprArb, bool: boolExprArb, list: listExprArb, map: mapExprArb } = fc.letrec<{
  str: string;
  int: string;
  bool: string;
  list: string;
  map: string;
  any: string;
}>((tie) => ({
  str: fc.oneof(
    { depthSize: 'small', maxDepth: 2, withCrossShrink: false },
    fc.constantFrom('$.user', '$.password', '$.host', '$.port', '$.unicode', '$.multi', '$.spaces', '$.empty', '$.b64', '$.num', '$.float', '"lit"', '"a b c"', '""', '"é😀"', '"x\\ny"', '`r\\a`'),
    tie('str').chain((x) =>
      fc.constantFrom(
        `(${x} | upper)`, `(lower ${x})`, `(title ${x})`, `(trim ${x})`, `(${x} | b64enc)`, `(${x} | b64enc | b64dec)`, `(b64dec ${x})`, `(b32enc ${x})`, `(sha256sum ${x})`,
        `(quote ${x})`, `(squote ${x})`, `(nospace ${x})`, `(toString ${x})`, `(toJson ${x})`, `(toYaml ${x})`, `(trunc 3 ${x})`, `(${x} | indent 2)`, `(nindent 1 ${x})`,
        `(replace "a" "4" ${x})`, `(trimPrefix "a" ${x})`, `(trimSuffix "n" ${x})`, `(trimAll "a" ${x})`, `(repeat 2 ${x})`, `(default "dflt" ${x})`, `(html ${x})`, `(js ${x})`,
        `(urlquery ${x})`, `(print ${x} 1)`, `(printf "%s|%q|%x|%5.2s" ${x} ${x} ${x} ${x})`, `(base ${x})`, `(clean ${x})`, `(ext ${x})`, `(cat ${x} ${x})`, `(substr 0 2 ${x})`,
      ),
    ),
    fc.tuple(tie('str'), tie('str')).map(([a, b]) => `(print ${a} ${b})`),
    fc.tuple(tie('str'), tie('int')).map(([a, b]) => `(printf "%s=%d" ${a} ${b})`),
    tie('int').map((x) => `(toString ${x})`),
    tie('list').map((x) => `(join "," ${x})`),
    fc.oneof(tie('map'), fc.constantFrom('$', '(split "," "a,b")')).map((x) => `(toJson ${x})`),
    fc.oneof(tie('map'), fc.constantFrom('$', '(split "," "a,b")')).map((x) => `(toYaml ${x})`),
    tie('list').map((x) => `(toPrettyJson ${x})`),
    fc.tuple(tie('bool'), tie('str'), tie('str')).map(([c, a, b]) => `(ternary ${a} ${b} ${c})`),
  ),
  int: fc.oneof(
    { depthSize: 'small', maxDepth: 2, withCrossShrink: false },
    fc.constantFrom('0', '1', '7', '-3', '($.num | int)', '(atoi $.port)', '(int64 $.neg)', '(len $.user)', '(($.config | fromJson).db.port | int)'),
    tie('str').map((x) => `(len ${x})`),
    tie('list').map((x) => `(len ${x})`),
    fc.tuple(tie('int'), tie('int')).chain(([a, b]) => fc.constantFrom(`(add ${a} ${b})`, `(sub ${a} ${b})`, `(mul ${a} ${b})`, `(max ${a} ${b})`, `(min ${a} ${b})`, `(add1 ${a})`)),
  ),
  bool: fc.oneof(
    { depthSize: 'small', maxDepth: 2, withCrossShrink: false },
    fc.constantFrom('true', 'false', '(hasKey (dict "a" 1) "a")'),
    fc.tuple(tie('str'), tie('str')).chain(([a, b]) => fc.constantFrom(`(eq ${a} ${b})`, `(ne ${a} ${b})`, `(lt ${a} ${b})`, `(contains ${a} ${b})`, `(hasPrefix ${a} ${b})`)),
    fc.tuple(tie('int'), tie('int')).chain(([a, b]) => fc.constantFrom(`(eq ${a} ${b})`, `(le ${a} ${b})`, `(gt ${a} ${b})`, `(ge ${a} ${b})`)),
    tie('str').chain((x) => fc.constantFrom(`(empty ${x})`, `(not ${x})`)),
    fc.tuple(tie('bool'), tie('bool')).chain(([a, b]) => fc.constantFrom(`(and ${a} ${b})`, `(or ${a} ${b})`, `(not ${a})`)),
  ),
  list: fc.oneof(
    { depthSize: 'small', maxDepth: 2, withCrossShrink: false },
    fc.constantFrom('(list)', '(list 1 "two" 3.5 nil true)', '(until 4)', '(splitList "," "a,b,,c")', '($.config | fromJson).db.opts', '($.config | fromJson).list', '($.list | fromJson)'),
    fc.array(tie('any'), { maxLength: 3 }).map((xs) => `(list ${xs.join(' ')})`),
    fc.tuple(tie('str'), tie('str')).map(([sep, x]) => `(splitList ${sep} ${x})`),
    tie('list').chain((x) => fc.constantFrom(`(reverse ${x})`, `(uniq ${x})`, `(compact ${x})`, `(rest ${x})`, `(initial ${x})`, `(append ${x} "z")`, `(prepend ${x} 0)`, `(sortAlpha ${x})`, `(toStrings ${x})`)),
    tie('map').map((x) => `(keys ${x} | sortAlpha)`),
  ),
  map: fc.oneof(
    { depthSize: 'small', maxDepth: 2, withCrossShrink: false },
    fc.constantFrom('(dict)', '($.config | fromJson)', '($.config | fromJson).db', '(dict "k" "v" "n" 1)'),
    fc.array(fc.tuple(fc.constantFrom('"a"', '"b"', '"k10"', '"k9"', '"x y"', '"é"'), tie('any')), { maxLength: 3 }).map((kvs) => `(dict ${kvs.flat().join(' ')})`),
    fc.tuple(tie('map'), tie('str')).map(([m, k]) => `(pick ${m} ${k} "a")`),
    tie('map').map((m) => `(omit ${m} "a")`),
  ),
  any: fc.oneof({ depthSize: 'small', maxDepth: 2, withCrossShrink: false }, tie('str'), tie('int'), tie('bool'), tie('list'), tie('map')),
}));

const { typed: typedTemplateArb } = fc.letrec<{ typed: string; part: string }>((tie) => ({
  typed: fc.array(tie('part'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('')),
  part: fc.oneof(
    { depthSize: 'small', maxDepth: 2, withCrossShrink: false },
    fc.oneof(strExprArb, intExprArb, boolExprArb, listExprArb, mapExprArb).map((e) => `{{ ${e} }}`),
    strExprArb.map((e) => `{{- ${e} -}}\n`),
    fc.constantFrom('text ', '\n', ': '),
    fc.tuple(boolExprArb, tie('typed'), tie('typed')).map(([c, a, b]) => `{{ if ${c} }}${a}{{ else }}${b}{{ end }}`),
    fc.tuple(strExprArb, tie('typed')).map(([c, a]) => `{{ with ${c} }}[{{ . }}]${a}{{ end }}`),
    fc.tuple(listExprArb, tie('typed')).map(([l, a]) => `{{ range $i, $e := ${l} }}{{ $i }}:{{ $e }},${a}{{ else }}none{{ end }}`),
    fc.tuple(fc.oneof(mapExprArb, fc.constantFrom('$', '(split "," "a,b")')), tie('typed')).map(([m, a]) => `{{ range $k, $v := ${m} }}{{ $k }}={{ $v }};${a}{{ end }}`),
    fc.tuple(strExprArb, tie('typed')).map(([e, a]) => `{{ $s := ${e} }}${a}{{ $s }}`),
  ),
}));

/** Templates cut or mutated at random: the lexer's and parser's error paths. */
const brokenArb = fc.tuple(blockArb, fc.nat(), fc.constantFrom('', '{{', '}}', '(', ')', '|', '"', '`', '$', '.', ' ', '-', ':=', '=', ',', 'end', 'else', '{{end}}', '/*')).map(([text, at, insert]) => {
  const i = text.length === 0 ? 0 : at % text.length;
  return text.slice(0, i) + insert + text.slice(i + (at % 3 === 0 ? 1 : 0));
});

/** Data maps: the keys templates use, values from awkward alphabets. */
const valueArb = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'B', '1', ' ', '\n', '"', "'", '<', '&', ':', '#', '-', 'é', '😀', '\t', '\\', '{', '}', '=', '/', '+', '\u2028', '\u0000'), maxLength: 12 }),
  fc.constantFrom('', 'true', 'yes', 'null', '1', '1.5', '0x1F', '2024-01-15', '{"a":1}', '[1,2]', 'aGVsbG8=', 'YQ', 'a b: c', '- x', 'line1\nline2', ' ', 'é'),
);
const dataArb = fc.dictionary(fc.oneof(keyArb, fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', '_', '1', 'é'), minLength: 1, maxLength: 4 })), valueArb, { maxKeys: 6 });

const DATA_TEMPLATES = [
  '{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}',
  '{{ toJson . }}',
  '{{ toYaml . }}',
  '{{ range $k, $v := . }}{{ $k }}: {{ $v | quote }}\n{{ end }}',
  '{{ range . }}{{ . | b64enc }},{{ . | b64dec | len }},{{ . | upper }};{{ end }}',
  '{{ range . }}{{ . | int }}/{{ . | float64 }}/{{ . | atoi }};{{ end }}',
  '{{ range . }}{{ fromJson . }}|{{ . | fromJson | toJson }};{{ end }}',
  '{{ range . }}{{ . | trim | nospace | title }}|{{ . | squote }}|{{ printf "%q %x %v" . . . }};{{ end }}',
  '{{ range $k, $v := . }}{{ toYaml (dict $k $v) }}\n{{ end }}',
  '{{ .x }}',
];

/** JSON documents (valid and broken) for fromJson, toJson, toPrettyJson and toYaml. */
type JsonDoc = null | boolean | string | number | JsonDoc[] | { [k: string]: JsonDoc };
const jsonKeyArb = fc.oneof(
  fc.constantFrom('a', 'b', 'k10', 'k9', 'K1', '_x', '1', '10', '2', 'é', '', ' ', 'yes', 'a b', 'a: b', '#', 'x\ny', 'null', 'Z', 'z'),
  fc.string({ unit: fc.constantFrom('a', 'B', '0', '9', ' ', '-', '.', 'é', ':'), maxLength: 5 }),
);
const jsonStringArb = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', 'B', '0', ' ', '\n', '"', "'", '<', '&', ':', '#', '-', 'é', '😀', '\t', '\\', '\u2028', '\u0001', '\ufeff', '~', '@', '`', '|', '>', '?', '!', '%'), maxLength: 14 }),
  fc.constantFrom('', 'true', 'yes', 'no', 'on', 'null', '~', '1', '-1', '1.5', '.5', '1e3', '0x1F', '0o17', '0b101', '1_000', '2024-01-15', '2024-01-15T10:20:30Z', '12:30', '<<', '.inf', '---', '...', '- a', '? q', 'a: b', 'a #b', ' x', 'x ', 'x\n', '\nx', 'a\n\nb', 'a \nb'),
  fc.array(fc.constantFrom('word', 'longerword', 'x', 'it\'s', 'a:', '#b', 'é'), { minLength: 10, maxLength: 30 }).map((w) => w.join(' ')),
);
const jsonNumberArb = fc.oneof(fc.integer(), fc.constantFrom(0, -0, 1.5, 1e6, 1e21, 1e20, 1e-7, 123456789.125, 0.1, 1e300, 2 ** 53 + 2, -1.25e-10), fc.double({ noNaN: true, noDefaultInfinity: true }));
const { doc: jsonDocArb } = fc.letrec<{ doc: JsonDoc; leaf: JsonDoc }>((tie) => ({
  doc: fc.oneof(
    { depthSize: 'small', withCrossShrink: false },
    tie('leaf'),
    fc.array(tie('doc'), { maxLength: 4 }),
    fc.array(fc.tuple(jsonKeyArb, tie('doc')), { maxLength: 5 }).map((entries) => Object.fromEntries(entries)),
  ),
  leaf: fc.oneof(jsonStringArb, jsonNumberArb, fc.boolean(), fc.constant(null)),
}));
const jsonTextArb = fc.oneof(
  jsonDocArb.map((d) => JSON.stringify(d)),
  jsonDocArb.map((d) => JSON.stringify(d, null, 2)),
  fc.tuple(jsonDocArb, fc.nat()).map(([d, cut]) => {
    const text = JSON.stringify(d);
    return text.slice(0, cut % (text.length + 1));
  }),
  fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '1', '-', '.', 'e', 't', 'n', 'u', ' ', '\\', 'x', 'é', '0'), maxLength: 10 }),
);
const JSON_TEMPLATES = [
  '{{ .j | fromJson }}',
  '{{ dict "doc" (.j | fromJson) | toYaml | fromYaml | toJson }}',
  '{{ .j | mustFromJson | toJson }}',
  '{{ .j | fromJson | toPrettyJson }}',
  '{{ .j | fromJson | toRawJson }}',
  '{{ .j | fromJson | toYaml }}',
  '{{ range $k, $v := (.j | fromJson) }}{{ $k }}={{ $v }};{{ end }}',
  '{{ .j | fromJson | toString }}',
];

/** printf formats built from Go's grammar, with generated arguments. */
const printfArb = fc
  .tuple(
    fc.array(
      fc.tuple(
        fc.constantFrom('', '-', '+', '#', ' ', '0', '-0', '+ '),
        fc.constantFrom('', '5', '1', '12', '*', '[1]', '[2]*'),
        fc.constantFrom('', '.', '.0', '.2', '.10', '.*'),
        fc.constantFrom('v', 'd', 's', 'q', 'x', 'X', 'o', 'b', 'e', 'E', 'f', 'F', 'g', 'G', 't', 'c', 'U', 'T', '%', 'z', '[1]v'),
      ),
      { minLength: 1, maxLength: 3 },
    ),
    fc.array(fc.constantFrom('1', '-42', '255', '3.14159', '-0.5', '1e21', '0.0001', '"str"', '"é😀"', '""', 'true', 'nil', '(list 1 "a")', '(dict "k" 2)', '(int64 7)', '(index "a" 0)', '(float64 "NaN")'), { maxLength: 4 }),
  )
  .map(([verbs, args]) => `{{ printf ${JSON.stringify(verbs.map(([flags, width, prec, verb]) => `%${flags}${width}${prec}${verb}`).join('|'))} ${args.join(' ')} }}`);

// ---------------------------------------------------------------------------------------
// Base64 and base32 corpora

const B64_HAND = [
  '', 'YQ==', 'YQ=', 'YQ', 'Y', 'YWI=', 'YWJj', 'YWJjZA==', 'YWJjZA=', 'YWJjZA', 'YWJjZA===', '=', '==', '====', 'YQ==YQ==', 'YQ==\n', '\nYQ==', 'Y\nQ\r=\n=', 'YQ=\n=',
  'YQ==x', 'YQ== ', ' YQ==', 'YW Jj', 'YWJj\r\n', 'YR==', 'YWJ=', 'YWK=', '-_-_', '+/+/', 'aGk/Pz4+', 'aGk_Pz4-', 'aGVsbG8gd29ybGQ=', 'aGVsbG8gd29ybGQ', 'é', 'YQ==é',
  'AAAAAAAAAAAA', 'AAAAAAAAAAA=', 'AAAAAAAA=AAA', '////', '____', 'test', 'abcd', 'abc', '\r\n', 'YWJjZGVmZ2hpamtsbW5vcA==', 'YWJjZGVmZ2hpamtsbW5vcA=\n=', 'Y===',
];

const b64Arb = fc.oneof(
  fc.string({ unit: fc.constantFrom('A', 'Q', 'g', 'w', '/', '+', '-', '_', '=', '\n', '\r', ' ', '9', '*', 'é'), maxLength: 14 }),
  fc.uint8Array({ maxLength: 20 }).chain((bytes) =>
    fc.tuple(fc.constant(Buffer.from(bytes).toString('base64')), fc.nat(), fc.constantFrom('', '\n', '\r\n', '=', '-', '_', 'x', '')).map(([s, at, insert]) => {
      const i = s.length === 0 ? 0 : at % (s.length + 1);
      return s.slice(0, i) + insert + s.slice(i);
    }),
  ),
  fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
);

const B32_HAND = ['', 'ME======', 'MFRA====', 'MFRGG===', 'MFRGGZA=', 'MFRGGZDF', 'ME=====', 'ME', 'M=======', 'MFR=====', 'MFRGG=', 'ME======ME======', 'me======', 'ME==\n====', 'M\nE======', 'MFRGGZDF\n', '1AAAAAAA', 'ME=====A'];
const b32Arb = fc.string({ unit: fc.constantFrom('A', 'M', 'E', 'Z', '2', '7', '=', '\n', '1', 'a'), maxLength: 18 });

// ---------------------------------------------------------------------------------------

t.test('vaultgate renders templates exactly as ESO (Go text/template + sprig)', async (t) => {
  const cases: TemplateCase[] = [];
  const add = (group: string, text: string, data: Record<string, string> = DATA, mustSupport = false) =>
    cases.push({ group, name: `#${cases.filter((c) => c.group === group).length}`, text, data, ...(mustSupport ? { mustSupport } : {}) });

  for (const text of ESO_TYPICAL) add('eso-typical', text, DATA, true);
  for (const text of ESO_TYPICAL.slice(0, 12)) add('eso-typical-empty-data', text, {});
  for (const text of HAND) add('hand', text);
  for (const text of FUNCTIONS) add('functions', text);
  for (const text of fc.sample(blockArb, { seed: SEED, numRuns: 1200 })) add('generated', text);
  for (const text of fc.sample(typedTemplateArb.filter((text) => text.length <= 1500), { seed: SEED + 7, numRuns: 2000 })) add('typed', text);
  for (const text of fc.sample(brokenArb, { seed: SEED + 1, numRuns: 600 })) add('broken', text);
  for (const [i, data] of fc.sample(dataArb, { seed: SEED + 2, numRuns: 250 }).entries()) add('data', DATA_TEMPLATES[i % DATA_TEMPLATES.length] as string, data);
  for (const [i, j] of fc.sample(jsonTextArb, { seed: SEED + 3, numRuns: 900 }).entries()) add('json', JSON_TEMPLATES[i % JSON_TEMPLATES.length] as string, { j });
  for (const text of fc.sample(printfArb, { seed: SEED + 4, numRuns: 700 })) add('printf', text);

  const base64Texts = [...B64_HAND, ...fc.sample(b64Arb, { seed: SEED + 5, numRuns: 700 })];
  const base32Texts = [...B32_HAND, ...fc.sample(b32Arb, { seed: SEED + 6, numRuns: 250 })];

  const requests: Request[] = [
    ...cases.map((c): Request => ({ op: 'template', name: 'k', text: c.text, data: c.data })),
    ...base64Texts.flatMap((text): Request[] => [
      { op: 'base64', encoding: 'std', text },
      { op: 'base64', encoding: 'url', text },
    ]),
    ...base32Texts.map((text): Request => ({ op: 'base32', text })),
  ];
  const answers = await askGo(requests);
  t.comment(`${requests.length} cases checked against Go`);
  const templateAnswers = answers.slice(0, cases.length);
  const codecAnswers = answers.slice(cases.length);

  const groups = [...new Set(cases.map((c) => c.group))];
  const totals = { compared: 0, unsupported: 0 };
  const reasons = new Map<string, number>();
  for (const group of groups) {
    const indices = cases.flatMap((c, i) => (c.group === group ? [i] : []));
    await t.test(`${group} (${indices.length} templates)`, async (t) => {
      const tally = checkTemplates(
        t,
        indices.map((i) => cases[i] as TemplateCase),
        indices.map((i) => templateAnswers[i] as Answer),
      );
      totals.compared += tally.compared;
      totals.unsupported += tally.unsupported;
      for (const [reason, n] of tally.reasons) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
    });
  }
  t.comment(`templates: ${cases.length}, compared with Go: ${totals.compared}, declined by vaultgate: ${totals.unsupported}`);
  for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1])) t.comment(`  declined ${n}×: ${reason}`);

  await t.test(`base64.StdEncoding/URLEncoding.DecodeString (${base64Texts.length} texts × 2)`, async (t) => {
    let failures = 0;
    base64Texts.forEach((text, i) => {
      for (const [k, variant] of (['std', 'url'] as const).entries()) {
        const go = codecAnswers[2 * i + k] as Answer;
        const ts = base64DecodeString(variant, text);
        const mine = ts.ok ? { bytes: Buffer.from(ts.value).toString('base64') } : { error: ts.error };
        if (safe(mine) !== safe(go) && ++failures <= SHOWN_FAILURES) t.same(safe(mine), safe(go), `${variant} ${safe(text)}`);
      }
      // decodingStrategy Auto: Base64, else Base64URL, else the raw bytes.
      const std = codecAnswers[2 * i] as Answer;
      const url = codecAnswers[2 * i + 1] as Answer;
      const wanted = typeof std.bytes === 'string' ? std.bytes : typeof url.bytes === 'string' ? url.bytes : Buffer.from(text, 'utf8').toString('base64');
      const auto = decodeStrategy('Auto', Buffer.from(text, 'utf8'));
      if (!auto.ok || Buffer.from(auto.value).toString('base64') !== wanted) {
        if (++failures <= SHOWN_FAILURES) t.fail(`Auto on ${safe(text)}: ${safe(auto)} instead of ${wanted}`);
      }
    });
    t.equal(failures, 0, `${base64Texts.length * 3} decodings: disagreements with Go`);
  });

  await t.test(`base32.StdEncoding.DecodeString (${base32Texts.length} texts)`, async (t) => {
    let failures = 0;
    base32Texts.forEach((text, i) => {
      const go = codecAnswers[2 * base64Texts.length + i] as Answer;
      const ts = base32DecodeString(text);
      const mine = ts.ok ? { bytes: Buffer.from(ts.value).toString('base64') } : { error: ts.error };
      if (safe(mine) !== safe(go) && ++failures <= SHOWN_FAILURES) t.same(safe(mine), safe(go), safe(text));
    });
    t.equal(failures, 0, `${base32Texts.length} decodings: disagreements with Go`);
  });
});

t.test('decodingStrategy as ESO applies it', async (t) => {
  const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
  const text = (r: ReturnType<typeof decodeStrategy>) => (r.ok ? Buffer.from(r.value).toString('latin1') : { error: r.error });
  t.same(text(decodeStrategy('None', bytes('aGk='))), 'aGk=');
  t.same(text(decodeStrategy('', bytes('aGk='))), 'aGk=', 'empty (v1alpha1 default) keeps the bytes');
  t.same(text(decodeStrategy('Base64', bytes('aGk='))), 'hi');
  t.same(text(decodeStrategy('Base64', bytes('aGk'))), { error: 'illegal base64 data at input byte 0' });
  t.same(text(decodeStrategy('Base64URL', bytes('aGk_Pz4-'))), 'hi??>>');
  t.same(text(decodeStrategy('Auto', bytes('test'))), '\xb5\xeb-', 'Auto decodes plain text that happens to be base64');
  t.same(text(decodeStrategy('Auto', bytes('not base64!'))), 'not base64!');
  t.same(text(decodeStrategy('Hex', bytes('x'))), { error: 'decoding strategy Hex is not supported' });
  t.same(decodeStrategyMap('Base64', { a: bytes('aGk='), b: bytes('aGk') }), { ok: false, error: 'failure decoding key b: illegal base64 data at input byte 0', failingKeys: ['b'] });
  t.same(decodeStrategyMap('Hex', {}), { ok: true, value: {} }, 'an empty map decodes under any strategy');
  t.match(decodeStrategyMap('Hex', { z: bytes('1'), a: bytes('2') }), { ok: false, error: 'failure decoding key a: decoding strategy Hex is not supported', failingKeys: ['a', 'z'] });
  const auto = decodeStrategyMap('Auto', { k: bytes('aGk='), p: bytes('plain text') });
  t.same(auto.ok && Object.fromEntries(Object.entries(auto.value).map(([k, v]) => [k, Buffer.from(v).toString('latin1')])), { k: 'hi', p: 'plain text' });
  t.equal(base64EncodeToString('std', 'hi?>'), 'aGk/Pg==');
  t.equal(base64EncodeToString('url', 'hi?>'), 'aGk_Pg==');
});

t.test('the API around the engine', async (t) => {
  const parsed = parseGoTemplate('key', '{{ .a }}-{{ .b | upper }}');
  t.ok(parsed.ok);
  if (parsed.ok) {
    t.same(executeGoTemplate(parsed.template, { a: '1', b: 'x' }), { ok: true, output: '1-X', bytes: new Uint8Array(Buffer.from('1-X')) }, 'one parse, several executions');
    t.match(executeGoTemplate(parsed.template, { a: '1' }), { ok: false, phase: 'execute', error: 'template: key:1:12: executing "key" at <.b>: map has no entry for key "b"' });
  }
  t.match(parseGoTemplate('key', '{{ nope }}'), { ok: false, phase: 'parse', error: 'template: key:1: function "nope" not defined' });
  t.equal(esoTemplateError('K', 'execute', 'x'), 'unable to execute template at key K: x');
  t.equal(esoTemplateError('K', 'parse', 'x'), 'unable to parse template at key K: x');
  const binary = renderGoTemplate('k', '{{ .b | b64dec }}', { b: '/w==' });
  t.same(binary.ok && [...binary.bytes], [0xff], 'binary output is exact in bytes');
  t.same(renderGoTemplate('k', '{{ .v }}', { v: new Uint8Array([0xc3, 0x28]) }), { ok: true, output: '\ufffd(', bytes: new Uint8Array([0xc3, 0x28]) }, 'binary data values pass through');
  t.match(renderGoTemplate('k', '{{ pkcs12key .x }}', { x: '' }), { ok: false, unsupported: true, error: 'template function pkcs12key is not supported by vaultgate' });
  t.ok(isEsoTemplateFunction('pkcs12key') && isEsoTemplateFunction('b64enc') && !isEsoTemplateFunction('env'));
  t.ok(supportedTemplateFunctions().includes('toYaml'));
});

t.test('hostile templates are bounded', async (t) => {
  const cases: Array<[string, string, Record<string, string>]> = [
    ['a long template', `${'x'.repeat(MAX_TEMPLATE_BYTES)}{{ 1 }}`, {}],
    ['deep parentheses', `{{ ${'('.repeat(5000)}1${')'.repeat(5000)} }}`, {}],
    ['deep nesting', `${'{{if 1}}'.repeat(2000)}${'{{end}}'.repeat(2000)}`, {}],
    ['a huge repeat', '{{ repeat 100000000 "abcdefgh" }}', {}],
    ['nested ranges', '{{ range until 10000 }}{{ range until 10000 }}x{{ end }}{{ end }}', {}],
    ['many iterations', '{{ range until 100000000 }}{{ end }}', {}],
    ['range over a huge int', '{{ range 9223372036854775807 }}{{ end }}', {}],
    ['a big output', '{{ range until 2000 }}{{ $.v }}{{ end }}', { v: 'x'.repeat(10_000) }],
    ['recursive templates', '{{ define "t" }}{{ template "t" . }}{{ end }}{{ template "t" . }}', {}],
    ['a self-containing map', '{{ $d := dict }}{{ $_ := set $d "d" $d }}{{ toJson $d }}', {}],
    ['a deep JSON document', '{{ .j | fromJson }}', { j: `${'['.repeat(100_000)}${']'.repeat(100_000)}` }],
    ['doubling strings', `{{ $s := "xxxxxxxx" }}${'{{ $s = print $s $s }}'.repeat(40)}{{ len $s }}`, {}],
  ];
  for (const [name, text, data] of cases) {
    const started = performance.now();
    const result = renderGoTemplate('k', text, data);
    const elapsed = performance.now() - started;
    t.match(result, { ok: false, unsupported: true }, `${name}: declined (${result.ok ? 'rendered' : result.error})`);
    t.ok(elapsed < 3000, `${name}: within 3s (took ${Math.round(elapsed)}ms)`);
  }
  t.ok(MAX_OUTPUT_BYTES >= 1024 * 1024, 'the output cap is at least a Secret');
});
