// Go's text/template as External Secrets Operator v0.20.4 runs it for spec.target.template
// (pkg/template/v2: `template.New(key).Option("missingkey=error").Funcs(sprig + ESO).Parse`,
// executed on the secret's data as map[string]string), ported so that vaultgate renders a
// template exactly as ESO would — same bytes, or the same error text — or says it cannot.
//
// What is ported: the lexer and parser of text/template/parse (trim markers, comments,
// pipelines, variables, if/else if/range/with/define/template/block/break/continue, Go's
// parse errors with their line numbers), the executor of text/template (reflect-like
// values: Go's types, interface{} boxes and their quirks, missingkey=error, Go's execution
// errors with `template: K:1:3: executing "K" at <.x>: ...` context), fmt's Sprint, Sprintln
// and Sprintf for the values a template can hold, strconv's quoting and float formatting,
// encoding/json (Marshal, MarshalIndent, Unmarshal into interface{} with Go's error texts),
// sigs.k8s.io/yaml's Marshal (JSON → yaml.v2 emitter, line folding at 80 columns
// included) and the sprig (ESO's fork, v3.3.0) functions listed in IMPLEMENTED below, with
// spf13/cast v1.10.0's conversions for int, int64 and float64.
//
// Strings are Go strings: every text value is a "byte string" (one UTF-16 unit per byte,
// 0-255), so that len, index, trunc, %x and byte offsets in errors are Go's. Output is the
// exact bytes ESO would write to the Secret (`bytes`), plus their UTF-8 decoding (`output`).
//
// Invariants:
// - An answer is Go's answer or `unsupported`, never a guess. Unsupported: a function of
//   ESO's FuncMap that vaultgate does not implement (the reason reads "template function X
//   is not supported by vaultgate", for the ExternalSecret's status); a construct whose Go
//   behaviour is not reproduced — complex numbers, %p, Go's random map order observed
//   through keys or values, YAML beyond fromYaml's subset, case mappings JavaScript and Go
//   disagree on, float-to-int conversions that differ between CPUs; and any of the caps.
// - Bounded work: the template text (MAX_TEMPLATE_BYTES), the output and any string built
//   on the way (MAX_OUTPUT_BYTES), the nesting of parentheses, control structures and
//   template calls (MAX_DEPTH) and of data (MAX_DATA_DEPTH, which also stops a map that
//   contains itself), and the evaluation steps — nodes walked, functions called, range
//   iterations, bytes produced (MAX_STEPS) — are all capped, so one hostile template costs
//   at most a few hundred milliseconds. Go has no such caps (or far larger ones), so
//   hitting one is `unsupported`, never an error ESO would not give.
// - test/unit/go-template.test.ts checks all of this against real Go with ESO's FuncMap.

import { createHash } from 'node:crypto';
import { cleanPath } from './goPath.js';
import { compileGoRegexp, matchGoRegexp } from './goRegexp.js';
import { goParseFloat, underscoreOK } from './goStrconv.js';
import { byteStringToBytes, bytesToByteString, decodeLastRune, decodeRune, encodeRune, fromByteString, goJsonString, RUNE_ERROR, toByteString } from './goStrings.js';
import { base32DecodeString, base32EncodeToString, base64DecodeString, base64EncodeToString } from './goBase64.js';

/** Longest template text parsed, in UTF-8 bytes. */
export const MAX_TEMPLATE_BYTES = 64 * 1024;
/** Largest output (and largest string built by a function), in bytes: a Secret holds 1 MiB. */
export const MAX_OUTPUT_BYTES = 1024 * 1024;
/** Deepest nesting of parentheses, of control structures, and of {{template}} calls. */
export const MAX_DEPTH = 100;
/** Deepest data handled: JSON and YAML nesting, printing and marshalling nested maps and lists. */
export const MAX_DATA_DEPTH = 500;
/** Evaluation budget: nodes, calls, iterations, and bytes produced by functions (1 unit per 64 bytes). */
export const MAX_STEPS = 2_000_000;

const PARSED: unique symbol = Symbol('GoTemplate');

/** A parsed template: Go's *template.Template for one ESO key, with its {{define}}s. */
export interface GoTemplate {
  readonly name: string;
  readonly [PARSED]: Parsed;
}

/** What the executor needs: names and text as bytes, the trees by template name. */
interface Parsed {
  readonly name: string;
  readonly trees: ReadonlyMap<string, ListNode>;
  readonly text: string;
  readonly missingKey: MissingKey;
}

/**
 * Go's missingkey option: "error" as ESO's target templates set it; "default" (print
 * `<no value>`) as a template without the option has it, like ESO's rewrite transform.
 */
export type MissingKey = 'error' | 'default';

/** Which of ESO's two steps failed: they are reported differently (see esoTemplateError). */
export type TemplatePhase = 'parse' | 'execute';

export type ParseResult = { ok: true; template: GoTemplate } | { ok: false; phase: 'parse'; error: string; unsupported?: true };

export type ExecuteResult =
  | { ok: true; output: string; bytes: Uint8Array }
  | { ok: false; phase: 'execute'; error: string; unsupported?: true };

export type RenderResult =
  | { ok: true; output: string; bytes: Uint8Array }
  | { ok: false; phase: TemplatePhase; error: string; unsupported?: true };

/**
 * template.New(name).Option("missingkey=error").Funcs(esoFuncs).Parse(text) (or without the
 * option, for missingKey "default"). The error is Go's (`template: name:LINE: ...`), without
 * ESO's `unable to parse template at key`.
 */
export function parseGoTemplate(name: string, text: string, missingKey: MissingKey = 'error'): ParseResult {
  const source = toByteString(text);
  const goName = toByteString(name);
  if (source.length > MAX_TEMPLATE_BYTES) return { ok: false, phase: 'parse', unsupported: true, error: `the template is longer than vaultgate's limit of ${MAX_TEMPLATE_BYTES} bytes` };
  try {
    const trees = parseTemplateText(goName, source);
    return { ok: true, template: { name, [PARSED]: { name: goName, trees, text: source, missingKey } } };
  } catch (error) {
    if (error instanceof GoParseError) return { ok: false, phase: 'parse', error: fromByteString(error.message) };
    if (error instanceof Unsupported) return { ok: false, phase: 'parse', unsupported: true, error: fromByteString(error.reason) };
    if (error instanceof RangeError) return { ok: false, phase: 'parse', unsupported: true, error: `the template is too deeply nested for vaultgate (${error.message})` };
    throw error;
  }
}

/**
 * t.Execute(buf, data) with data as ESO passes it (map[string]string of the secret's values:
 * a JS string is taken as its UTF-8 bytes, a Uint8Array as the bytes themselves). The error
 * is Go's (`template: K:1:3: executing "K" at <...>: ...`), without ESO's wrapping.
 */
export function executeGoTemplate(template: GoTemplate, data: Readonly<Record<string, string | Uint8Array>>, shared?: EvaluationBudget): ExecuteResult {
  const dot = mapValue('map[string]string', new Map(Object.entries(data).map(([k, v]) => [toByteString(k), str(typeof v === 'string' ? toByteString(v) : bytesToByteString(v))])));
  const budget = shared ? budgetOf(shared) : new Budget();
  const parsed = template[PARSED];
  try {
    const out = new Output(budget);
    const root = parsed.trees.get(parsed.name);
    const state = new State(parsed, parsed.name, out, budget, [{ name: '$', value: dot }], 0);
    if (!root) state.errorf(`${goQuote(parsed.name)} is an incomplete or empty template`);
    else state.walk(dot, root);
    const bytes = byteStringToBytes(out.text());
    return { ok: true, bytes, output: new TextDecoder().decode(bytes) };
  } catch (error) {
    if (error instanceof GoExecError) return { ok: false, phase: 'execute', error: fromByteString(error.message) };
    if (error instanceof Unsupported) return { ok: false, phase: 'execute', unsupported: true, error: fromByteString(error.reason) };
    if (error instanceof RangeError) return { ok: false, phase: 'execute', unsupported: true, error: `the template is too deeply nested for vaultgate (${error.message})` };
    throw error;
  }
}

declare const EVALUATION_BUDGET: unique symbol;
/**
 * One evaluation budget (MAX_STEPS) shared by several templates and JSON steps: what one
 * ExternalSecret's sync may spend in all its templates and rewrites together, so many keys
 * cannot multiply the time one hostile template may hold the event loop.
 */
export type EvaluationBudget = { readonly [EVALUATION_BUDGET]: true };
export const newEvaluationBudget = (): EvaluationBudget => new Budget() as unknown as EvaluationBudget;
const budgetOf = (shared: EvaluationBudget) => shared as unknown as Budget;

/** Parse and execute in one step, as ESO's execute does for one template.data entry. */
export function renderGoTemplate(name: string, text: string, data: Readonly<Record<string, string | Uint8Array>>): RenderResult {
  const parsed = parseGoTemplate(name, text);
  if (!parsed.ok) return parsed;
  return executeGoTemplate(parsed.template, data);
}

/**
 * The text ESO's execute returns for a failed template (pkg/template/v2): callers add their
 * own layers (`unable to execute template at key K: ...` again, then `could not execute
 * template: ...` twice; see the research notes §4).
 */
export function esoTemplateError(key: string, phase: TemplatePhase, error: string): string {
  return phase === 'parse' ? `unable to parse template at key ${key}: ${error}` : `unable to execute template at key ${key}: ${error}`;
}

/** The function names of ESO's FuncMap that vaultgate evaluates itself. */
export function supportedTemplateFunctions(): string[] {
  return [...IMPLEMENTED.keys()].sort();
}

/** Whether `name` is in ESO's FuncMap (sprig without env/expandenv, ESO's own, Go's builtins). */
export function isEsoTemplateFunction(name: string): boolean {
  return ESO_FUNCTION_NAMES.has(name);
}

// ---------------------------------------------------------------------------------------
// Failures: Go's two error kinds, and vaultgate declining

/** A parse error, with Go's full text (a byte string). */
class GoParseError extends Error {}

/** An execution error, with Go's full text (a byte string). */
class GoExecError extends Error {}

/** vaultgate does not reproduce what Go would do here. */
class Unsupported extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The error a Go function returns (or panics with): the executor reports "error calling". */
class FuncError extends Error {}

const unsupported = (reason: string): never => {
  throw new Unsupported(reason);
};

/** Steps and sizes, charged as the template runs; exhausting either declines. */
class Budget {
  private steps = 0;

  spend(units: number): void {
    this.steps += units;
    if (this.steps > MAX_STEPS) unsupported(`the templates (and rewrites) of one ExternalSecret need more evaluation steps than vaultgate's limit of ${MAX_STEPS}`);
  }

  /** A string about to be built by a function: its size counts, and a huge one declines. */
  bytes(length: number): void {
    if (length > MAX_OUTPUT_BYTES) unsupported(`the template builds a string larger than vaultgate's limit of ${MAX_OUTPUT_BYTES} bytes`);
    this.spend(1 + (length >> 6));
  }
}

/** The writer Execute writes to, capped at MAX_OUTPUT_BYTES. */
class Output {
  private readonly parts: string[] = [];
  private length = 0;

  constructor(private readonly budget: Budget) {}

  write(s: string): void {
    this.length += s.length;
    if (this.length > MAX_OUTPUT_BYTES) unsupported(`the template's output is larger than vaultgate's limit of ${MAX_OUTPUT_BYTES} bytes`);
    this.budget.spend(1 + (s.length >> 6));
    this.parts.push(s);
  }

  text(): string {
    return this.parts.join('');
  }
}

// ---------------------------------------------------------------------------------------
// Byte strings (Go strings) and Unicode

/** strings.TrimSpace (and bytes.TrimSpace): Unicode white space off both ends. */
function trimSpace(s: string): string {
  let start = 0;
  while (start < s.length) {
    const [r, w] = decodeRune(s, start);
    if (!isUnicodeSpace(r)) break;
    start += w;
  }
  let end = s.length;
  while (end > start) {
    const [r, w] = decodeLastRune(s, end);
    if (!isUnicodeSpace(r)) break;
    end -= w;
  }
  return s.slice(start, end);
}

/** The runes of a byte string, as Go's `for _, r := range s` yields them. */
function runesOf(s: string): number[] {
  if (ASCII.test(s)) return Array.from(s, (c) => c.charCodeAt(0));
  const runes: number[] = [];
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    runes.push(r);
    i += w;
  }
  return runes;
}

const ASCII = /^[\x00-\x7f]*$/;

function runeCount(s: string): number {
  if (ASCII.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; n++) i += decodeRune(s, i)[1];
  return n;
}

function validUtf8(s: string): boolean {
  if (ASCII.test(s)) return true;
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    if (r === RUNE_ERROR && w === 1) return false;
    i += w;
  }
  return true;
}

// Unicode classes from the JS engine's tables. Go 1.26 ships Unicode 15; Node's ICU may be a
// version newer, which only matters for characters assigned since.
const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
const PRINT = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const SPACE = /^\s$/u;

const runeText = (r: number) => String.fromCodePoint(r);
const isLetter = (r: number) => (r < 0x80 ? (r >= 0x41 && r <= 0x5a) || (r >= 0x61 && r <= 0x7a) : LETTER.test(runeText(r)));
const isDigitRune = (r: number) => (r < 0x80 ? r >= 0x30 && r <= 0x39 : DIGIT.test(runeText(r)));
/** unicode.IsPrint / strconv.IsPrint: L, M, N, P, S and the ASCII space. */
const isPrint = (r: number) => (r < 0x80 ? r >= 0x20 && r < 0x7f : r <= 0x10ffff && !(r >= 0xd800 && r <= 0xdfff) && PRINT.test(runeText(r)));
/** unicode.IsSpace. */
const isUnicodeSpace = (r: number) =>
  r === 0x20 || (r >= 0x09 && r <= 0x0d) || r === 0x85 || r === 0xa0 || (r >= 0x80 && r <= 0x10ffff && !(r >= 0xd800 && r <= 0xdfff) && SPACE.test(runeText(r)) && r !== 0xfeff);

// ---------------------------------------------------------------------------------------
// strconv: quoting, integer and float parsing, float formatting

const LOWER_HEX = '0123456789abcdef';

/** strconv.Quote (and %q): Go escapes, invalid UTF-8 bytes as \xNN. */
function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    if (w === 1 && r === RUNE_ERROR) {
      const b = s.charCodeAt(i);
      out += `\\x${LOWER_HEX[b >> 4]}${LOWER_HEX[b & 15]}`;
      i += 1;
      continue;
    }
    out += escapedRune(r, 0x22, asciiOnly);
    i += w;
  }
  return `${out}"`;
}

/** strconv's appendEscapedRune, as a byte string. */
function escapedRune(r: number, quote: number, asciiOnly: boolean): string {
  if (r === quote || r === 0x5c) return `\\${String.fromCharCode(r)}`;
  if (asciiOnly ? r < 0x80 && isPrint(r) : isPrint(r)) return encodeRune(r);
  switch (r) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return `\\x${LOWER_HEX[r >> 4]}${LOWER_HEX[r & 15]}`;
  if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = RUNE_ERROR;
  if (r < 0x10000) return `\\u${r.toString(16).padStart(4, '0')}`;
  return `\\U${r.toString(16).padStart(8, '0')}`;
}

/** strconv.QuoteRune (for %q on integers). */
function goQuoteRune(r: number, asciiOnly = false): string {
  if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff) || r < 0) r = RUNE_ERROR;
  return `'${escapedRune(r, 0x27, asciiOnly)}'`;
}

/** strconv.CanBackquote. */
function canBackquote(s: string): boolean {
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    i += w;
    if (w > 1) {
      if (r === 0xfeff) return false;
      continue;
    }
    if (r === RUNE_ERROR) return false;
    if ((r < 0x20 && r !== 0x09) || r === 0x60 || r === 0x7f) return false;
  }
  return true;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

type IntParse = { ok: true; value: bigint } | { ok: false; range: boolean; value: bigint };

/** strconv.ParseUint(s, base, 64), base 0 (prefixes, underscores) or 2..36. */
function parseUint(s0: string, base0: number): IntParse {
  if (s0 === '') return { ok: false, range: false, value: 0n };
  // Plain decimal that cannot overflow: the common case, without the digit loop.
  if ((base0 === 0 || base0 === 10) && /^(?:0|[1-9][0-9]{0,17})$/.test(s0)) return { ok: true, value: BigInt(s0) };
  let s = s0;
  let base = base0;
  const prefixed = base0 === 0;
  if (base === 0) {
    base = 10;
    if (s[0] === '0') {
      const c = (s[1] ?? '').toLowerCase();
      if (s.length >= 3 && c === 'b') {
        base = 2;
        s = s.slice(2);
      } else if (s.length >= 3 && c === 'o') {
        base = 8;
        s = s.slice(2);
      } else if (s.length >= 3 && c === 'x') {
        base = 16;
        s = s.slice(2);
      } else {
        base = 8;
        s = s.slice(1);
      }
    }
  }
  let n = 0n;
  let underscores = false;
  const b = BigInt(base);
  for (const c of s) {
    if (c === '_' && prefixed) {
      underscores = true;
      continue;
    }
    const code = c.charCodeAt(0);
    let d: number;
    if (code >= 0x30 && code <= 0x39) d = code - 0x30;
    else if ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a) d = (code | 0x20) - 0x61 + 10;
    else return { ok: false, range: false, value: 0n };
    if (d >= base) return { ok: false, range: false, value: 0n };
    n = n * b + BigInt(d);
    if (n > UINT64_MAX) return { ok: false, range: true, value: UINT64_MAX };
  }
  if (underscores && !underscoreOK(s0)) return { ok: false, range: false, value: 0n };
  return { ok: true, value: n };
}

/** strconv.ParseInt(s, base, 64). */
function parseInt64(s0: string, base: number): IntParse {
  if (s0 === '') return { ok: false, range: false, value: 0n };
  let s = s0;
  let negative = false;
  if (s[0] === '+') s = s.slice(1);
  else if (s[0] === '-') {
    negative = true;
    s = s.slice(1);
  }
  const u = parseUint(s, base);
  if (!u.ok) {
    if (!u.range) return { ok: false, range: false, value: 0n };
    return { ok: false, range: true, value: negative ? INT64_MIN : INT64_MAX };
  }
  if (!negative && u.value > INT64_MAX) return { ok: false, range: true, value: INT64_MAX };
  if (negative && u.value > -INT64_MIN) return { ok: false, range: true, value: INT64_MIN };
  return { ok: true, value: negative ? -u.value : u.value };
}

/** strconv.Atoi (64-bit int): base 10, no underscores; a range error still yields the clamped value. */
function atoi(s: string): IntParse {
  return parseInt64(s, 10);
}

const FLOAT_DECIMAL = /^[+-]?(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9][0-9_]*)?$/;
const FLOAT_HEX = /^[+-]?0[xX](?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)[pP][+-]?[0-9][0-9_]*$/;
const FLOAT_SPECIAL = /^(?:[+-]?(?:inf|infinity)|nan)$/i;

/** strconv.ParseFloat(s, 64) with its error: syntax (value 0) or range (value ±Inf). */
function parseFloat64(s: string): { ok: true; value: number } | { ok: false; range: boolean; value: number } {
  if (FLOAT_SPECIAL.test(s)) return { ok: true, value: goParseFloat(s) };
  const mantissa = s.replace(/^[+-]?0[xX]/, '').replace(/[eEpP].*$/, '');
  const syntax = (FLOAT_DECIMAL.test(s) || FLOAT_HEX.test(s)) && /[0-9a-fA-F]/.test(mantissa) && (!s.includes('_') || underscoreOK(s));
  if (!syntax) return { ok: false, range: false, value: 0 };
  const value = goParseFloat(s);
  if (!Number.isFinite(value)) return { ok: false, range: true, value };
  return { ok: true, value };
}

/** The exact decimal digits of a finite float64: value = 0.d1d2d3... × 10^dp, no trailing zeros. */
interface Decimal {
  digits: string;
  dp: number;
}

function exactDecimal(f: number): Decimal {
  if (f === 0) return { digits: '', dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(f));
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  let exp2: number;
  if (exponentBits === 0) exp2 = -1074;
  else {
    mantissa |= 1n << 52n;
    exp2 = exponentBits - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp2 >= 0) {
    digits = (mantissa << BigInt(exp2)).toString();
    dp = digits.length;
  } else {
    digits = (mantissa * 5n ** BigInt(-exp2)).toString();
    dp = digits.length + exp2;
  }
  return trimDecimal({ digits, dp });
}

function trimDecimal(d: Decimal): Decimal {
  let end = d.digits.length;
  while (end > 0 && d.digits[end - 1] === '0') end--;
  return end === 0 ? { digits: '', dp: 0 } : { digits: d.digits.slice(0, end), dp: d.dp };
}

/** The shortest digits that round-trip (Go's and JavaScript's shortest agree). */
function shortestDecimal(f: number): Decimal {
  if (f === 0) return { digits: '', dp: 0 };
  const [mantissa = '0', exponent = '0'] = Math.abs(f).toExponential().split('e');
  return trimDecimal({ digits: mantissa.replace('.', ''), dp: Number(exponent) + 1 });
}

/** The fewest digits that read back as the same float32 (strconv with bitSize 32); f is one already. */
function shortestDecimal32(f: number): Decimal {
  const single = Math.abs(f);
  if (single === 0) return { digits: '', dp: 0 };
  let text = single.toExponential(8);
  for (let precision = 1; precision < 9; precision++) {
    const candidate = single.toExponential(precision - 1);
    if (Math.fround(Number(candidate)) === single) {
      text = candidate;
      break;
    }
  }
  const [mantissa = '0', exponent = '0'] = text.split('e');
  return trimDecimal({ digits: mantissa.replace('.', ''), dp: Number(exponent) + 1 });
}

/** strconv's decimal.Round(nd): to nd digits, half to even on an exact tie. */
function roundDecimal(d: Decimal, nd: number): Decimal {
  if (nd < 0 || nd >= d.digits.length) return d;
  const next = d.digits.charCodeAt(nd);
  let up: boolean;
  if (next > 0x35) up = true;
  else if (next < 0x35) up = false;
  else if (nd + 1 < d.digits.length) up = true; // more non-zero digits follow (no trailing zeros)
  else up = nd > 0 && (d.digits.charCodeAt(nd - 1) - 0x30) % 2 === 1;
  if (!up) return trimDecimal({ digits: d.digits.slice(0, nd), dp: d.dp });
  let i = nd - 1;
  while (i >= 0 && d.digits[i] === '9') i--;
  if (i < 0) return { digits: '1', dp: d.dp + 1 };
  return trimDecimal({ digits: d.digits.slice(0, i) + String.fromCharCode(d.digits.charCodeAt(i) + 1), dp: d.dp });
}

type FloatFormat = 'e' | 'E' | 'f' | 'g' | 'G' | 'b' | 'x' | 'X';

/** strconv.FormatFloat(f, fmt, prec, bitSize); bitSize 32 only for the shortest digits (prec -1). */
function formatFloat(value: number, fmt: FloatFormat, prec: number, bitSize: 32 | 64 = 64): string {
  // Go converts to float32 first: a value past its range is ±Inf.
  const f = bitSize === 32 ? Math.fround(value) : value;
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const neg = f < 0 || Object.is(f, -0);
  if (fmt === 'b' || fmt === 'x' || fmt === 'X') return formatFloatBinary(f, fmt, prec, neg);
  const shortest = prec < 0;
  let digs: Decimal;
  if (shortest) {
    digs = bitSize === 32 ? shortestDecimal32(f) : shortestDecimal(f);
    if (fmt === 'e' || fmt === 'E') prec = Math.max(digs.digits.length - 1, 0);
    else if (fmt === 'f') prec = Math.max(digs.digits.length - digs.dp, 0);
    else prec = digs.digits.length;
  } else {
    const exact = exactDecimal(f);
    if (fmt === 'e' || fmt === 'E') digs = roundDecimal(exact, prec + 1);
    else if (fmt === 'f') digs = roundDecimal(exact, exact.dp + prec);
    else {
      if (prec === 0) prec = 1;
      digs = roundDecimal(exact, prec);
    }
  }
  return formatDigits(neg, digs, prec, fmt, shortest);
}

/** strconv's fmtB (mantissa p binary exponent) and fmtX (hexadecimal mantissa and exponent). */
function formatFloatBinary(f: number, fmt: 'b' | 'x' | 'X', prec: number, neg: boolean): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, f);
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp += -1023;
  const sign = neg ? '-' : '';
  if (fmt === 'b') {
    const e = exp - 52;
    return `${sign}${mant}p${e >= 0 ? '+' : ''}${e}`;
  }
  if (mant === 0n) exp = 0;
  mant <<= 60n - 52n;
  while (mant !== 0n && (mant & (1n << 60n)) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = fmt === 'X' ? '0123456789ABCDEF' : LOWER_HEX;
  let out = `${sign}0${fmt}${(mant >> 60n) & 1n}`;
  mant = (mant << 4n) & ((1n << 64n) - 1n);
  if (prec < 0 && mant !== 0n) {
    out += '.';
    while (mant !== 0n) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  } else if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & ((1n << 64n) - 1n);
    }
  }
  out += fmt === 'X' ? 'P' : 'p';
  const e = Math.abs(exp);
  out += exp < 0 ? '-' : '+';
  return out + (e < 10 ? `0${e}` : String(e));
}

function formatDigits(neg: boolean, digs: Decimal, prec: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G', shortest: boolean): string {
  switch (fmt) {
    case 'e':
    case 'E':
      return fmtE(neg, digs, prec, fmt);
    case 'f':
      return fmtF(neg, digs, prec);
    default: {
      const nd = digs.digits.length;
      let eprec = prec;
      if (eprec > nd && nd >= digs.dp) eprec = nd;
      if (shortest) eprec = 6;
      const exp = digs.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > nd) prec = nd;
        return fmtE(neg, digs, prec - 1, fmt === 'g' ? 'e' : 'E');
      }
      if (prec > digs.dp) prec = nd;
      return fmtF(neg, digs, Math.max(prec - digs.dp, 0));
    }
  }
}

function fmtE(neg: boolean, d: Decimal, prec: number, fmt: 'e' | 'E'): string {
  let out = neg ? '-' : '';
  out += d.digits.length === 0 ? '0' : d.digits[0];
  if (prec > 0) {
    out += '.';
    const more = d.digits.slice(1, Math.min(d.digits.length, prec + 1));
    out += more + '0'.repeat(Math.max(prec - more.length, 0));
  }
  let exp = d.digits.length === 0 ? 0 : d.dp - 1;
  const sign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return `${out}${fmt}${sign}${exp < 10 ? `0${exp}` : String(exp)}`;
}

function fmtF(neg: boolean, d: Decimal, prec: number): string {
  let out = neg ? '-' : '';
  if (d.dp > 0) {
    const m = Math.min(d.digits.length, d.dp);
    out += d.digits.slice(0, m) + '0'.repeat(d.dp - m);
  } else out += '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = d.dp + i - 1;
      out += j >= 0 && j < d.digits.length ? d.digits[j] : '0';
    }
  }
  return out;
}

/** encoding/json's float64 encoding: 'f' in [1e-6, 1e21), else 'e' with e-07 → e-7. */
function jsonFloat(f: number): string {
  const abs = Math.abs(f);
  const fmt = abs !== 0 && (abs < 1e-6 || abs >= 1e21) ? 'e' : 'f';
  let s = formatFloat(f, fmt, -1);
  if (fmt === 'e') s = s.replace(/e-0(\d)$/, 'e-$1');
  return s;
}

// ---------------------------------------------------------------------------------------
// Values: what reflect.Value holds in a template

/**
 * A Go value of a concrete type. Strings are byte strings; int, int64 and uint8 are exact
 * (bigint); maps and slices keep their Go type, which shows in errors, %T and assignability.
 * `nil` marks a nil map or slice (prints like an empty one, marshals as JSON null).
 * `unordered` marks a slice built from Go's randomly ordered map iteration (sprig's keys,
 * values): anything that observes its order, beyond one element, declines.
 */
type Concrete =
  | { t: 'string'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'int' | 'int64' | 'uint8'; v: bigint }
  | { t: 'float64'; v: number }
  | { t: 'map'; type: MapType; v: Map<string, Dyn>; nil?: boolean }
  | { t: 'slice'; type: SliceType; v: Dyn[]; nil?: boolean; unordered?: boolean };

type MapType = 'map[string]string' | 'map[string]interface {}';
type SliceType = '[]interface {}' | '[]string' | '[]int';

/** What an interface{} holds: a concrete value, or nil. */
type Dyn = Concrete | null;

/** A reflect.Value of interface type (a map[string]interface{} entry, a []interface{} element). */
interface Iface {
  t: 'iface';
  inner: Dyn;
}

/** The zero reflect.Value: "no value". */
const INVALID = { t: 'invalid' } as const;
type Invalid = typeof INVALID;

/** text/template's missingVal: "no final argument from a previous pipeline stage". */
const MISSING = { t: 'missing' } as const;
type Missing = typeof MISSING;
const isMissing = (v: Value | Missing): v is Missing => v === MISSING;

type Value = Concrete | Iface | Invalid;

const str = (v: string): Concrete => ({ t: 'string', v });
const bool = (v: boolean): Concrete => ({ t: 'bool', v });
const int = (v: bigint): Concrete => ({ t: 'int', v: BigInt.asIntN(64, v) });
const int64 = (v: bigint): Concrete => ({ t: 'int64', v: BigInt.asIntN(64, v) });
const float64 = (v: number): Concrete => ({ t: 'float64', v });
const iface = (inner: Dyn): Iface => ({ t: 'iface', inner });
const mapValue = (type: MapType, v: Map<string, Dyn>): Concrete => ({ t: 'map', type, v });
const sliceValue = (type: SliceType, v: Dyn[]): Concrete => ({ t: 'slice', type, v });

/** reflect.Type.String() of a value. */
function typeOf(v: Concrete | Iface): string {
  switch (v.t) {
    case 'map':
    case 'slice':
      return v.type;
    case 'iface':
      return 'interface {}';
    default:
      return v.t;
  }
}

/** Type of an interface's content for %T and "%!verb(type=...)": <nil> for nil. */
const dynTypeName = (d: Dyn) => (d === null ? '<nil>' : typeOf(d));

/** indirectInterface: the concrete value inside an interface, or INVALID for nil. */
function indirectInterface(v: Value): Concrete | Invalid {
  if (v.t === 'iface') return v.inner ?? INVALID;
  return v;
}

/** An element as reflect sees it through its container's type. */
function elementValue(containerType: MapType | SliceType, element: Dyn): Value {
  if (containerType === 'map[string]interface {}' || containerType === '[]interface {}') return iface(element);
  return element ?? INVALID;
}

/** The Go kinds text/template's comparisons and truth distinguish. */
type BasicKind = 'bool' | 'int' | 'uint' | 'float' | 'string' | 'invalid';

function basicKind(v: Concrete | Invalid): BasicKind {
  switch (v.t) {
    case 'bool':
      return 'bool';
    case 'int':
    case 'int64':
      return 'int';
    case 'uint8':
      return 'uint';
    case 'float64':
      return 'float';
    case 'string':
      return 'string';
    default:
      return 'invalid';
  }
}

/** text/template's isTrue on an indirected value (invalid is false; every kind we hold has a truth). */
function isTrue(v: Concrete | Invalid): boolean {
  switch (v.t) {
    case 'invalid':
      return false;
    case 'string':
      return v.v.length > 0;
    case 'map':
      return v.v.size > 0;
    case 'slice':
      return v.v.length > 0;
    case 'bool':
      return v.v;
    case 'float64':
      return v.v !== 0;
    default:
      return v.v !== 0n;
  }
}

/** sprig's empty(): the zero value of its type, or nil. */
function isEmpty(d: Dyn): boolean {
  return d === null || !isTrue(d);
}

/** An ordered view of a slice; declines when Go would show its random map order. */
function ordered(slice: Extract<Concrete, { t: 'slice' }>): Dyn[] {
  if (slice.unordered && slice.v.length > 1) unsupported('the template depends on the order of a Go map iteration, which is random');
  return slice.v;
}

/** Map keys in fmtsort order (byte order for strings). */
const sortedKeys = (m: Map<string, Dyn>) => [...m.keys()].sort(compareBytes);

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// fmt: Sprint, Sprintln, Sprintf

interface FmtFlags {
  widPresent: boolean;
  precPresent: boolean;
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number;
  prec: number;
}

const noFlags = (): FmtFlags => ({ widPresent: false, precPresent: false, minus: false, plus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false, wid: 0, prec: 0 });

/** fmt's pp: one formatting run, its buffer and the current verb's flags. */
class Printer {
  buf = '';
  f: FmtFlags = noFlags();
  private arg: Dyn = null;
  private value: Concrete | Iface | Invalid = INVALID;
  private reordered = false;
  private goodArgNum = true;

  constructor(private readonly budget: Budget) {}

  private write(s: string): void {
    this.buf += s;
    if (this.buf.length > MAX_OUTPUT_BYTES) this.budget.bytes(this.buf.length);
    this.budget.spend(1 + (s.length >> 6));
  }

  private writePadding(n: number): void {
    if (n <= 0) return;
    this.write((this.f.zero && !this.f.minus ? '0' : ' ').repeat(n));
  }

  private pad(s: string): void {
    if (!this.f.widPresent || this.f.wid === 0) return this.write(s);
    const width = this.f.wid - runeCount(s);
    if (!this.f.minus) {
      this.writePadding(width);
      this.write(s);
    } else {
      this.write(s);
      this.writePadding(width);
    }
  }

  private truncate(s: string): string {
    if (!this.f.precPresent) return s;
    let n = this.f.prec;
    for (let i = 0; i < s.length; ) {
      n--;
      if (n < 0) return s.slice(0, i);
      i += decodeRune(s, i)[1];
    }
    return s;
  }

  private fmtS(s: string): void {
    this.pad(this.truncate(s));
  }

  private fmtBoolean(v: boolean): void {
    this.pad(v ? 'true' : 'false');
  }

  private fmtQ(s: string): void {
    s = this.truncate(s);
    if (this.f.sharp && canBackquote(s)) return this.pad(`\`${s}\``);
    this.pad(goQuote(s, this.f.plus));
  }

  private fmtSx(s: string, upper: boolean): void {
    const digits = upper ? '0123456789ABCDEFX' : '0123456789abcdefx';
    let length = s.length;
    if (this.f.precPresent && this.f.prec < length) length = this.f.prec;
    let width = 2 * length;
    if (width > 0) {
      if (this.f.space) {
        if (this.f.sharp) width *= 2;
        width += length - 1;
      } else if (this.f.sharp) width += 2;
    } else {
      if (this.f.widPresent) this.writePadding(this.f.wid);
      return;
    }
    if (this.f.widPresent && this.f.wid > width && !this.f.minus) this.writePadding(this.f.wid - width);
    let out = '';
    if (this.f.sharp) out += `0${digits[16]}`;
    for (let i = 0; i < length; i++) {
      if (this.f.space && i > 0) {
        out += ' ';
        if (this.f.sharp) out += `0${digits[16]}`;
      }
      const c = s.charCodeAt(i);
      out += (digits[c >> 4] as string) + (digits[c & 15] as string);
    }
    this.write(out);
    if (this.f.widPresent && this.f.wid > width && this.f.minus) this.writePadding(this.f.wid - width);
  }

  /** fmt.fmtInteger: u is the two's-complement uint64 of the value. */
  private fmtInteger(value: bigint, base: number, isSigned: boolean, verb: string, upper: boolean): void {
    const digits = upper ? '0123456789ABCDEFX' : '0123456789abcdefx';
    const negative = isSigned && value < 0n;
    let u = negative ? -value : value;
    let prec = 0;
    if (this.f.precPresent) {
      prec = this.f.prec;
      if (prec === 0 && u === 0n) {
        const oldZero = this.f.zero;
        this.f.zero = false;
        this.writePadding(this.f.wid);
        this.f.zero = oldZero;
        return;
      }
    } else if (this.f.zero && !this.f.minus && this.f.widPresent) {
      prec = this.f.wid;
      if (negative || this.f.plus || this.f.space) prec--;
    }
    let body = u === 0n ? '0' : '';
    const b = BigInt(base);
    while (u > 0n) {
      body = (digits[Number(u % b)] as string) + body;
      u /= b;
    }
    if (body.length < prec) body = '0'.repeat(prec - body.length) + body;
    if (this.f.sharp) {
      if (base === 2) body = `0b${body}`;
      else if (base === 8 && body[0] !== '0') body = `0${body}`;
      else if (base === 16) body = `0${digits[16]}${body}`;
    }
    if (verb === 'O') body = `0o${body}`;
    if (negative) body = `-${body}`;
    else if (this.f.plus) body = `+${body}`;
    else if (this.f.space) body = ` ${body}`;
    const oldZero = this.f.zero;
    this.f.zero = false;
    this.pad(body);
    this.f.zero = oldZero;
  }

  /** fmt.fmtUnicode: U+0041, with ' 'A'' under #. */
  private fmtUnicode(u: bigint): void {
    const prec = this.f.precPresent && this.f.prec > 4 ? this.f.prec : 4;
    let body = `U+${u.toString(16).toUpperCase().padStart(prec, '0')}`;
    if (this.f.sharp && u <= 0x10ffffn && isPrint(Number(u))) body += ` '${encodeRune(Number(u))}'`;
    const oldZero = this.f.zero;
    this.f.zero = false;
    this.pad(body);
    this.f.zero = oldZero;
  }

  private fmtFloat(v: number, verb: FloatFormat, prec: number): void {
    if (this.f.precPresent) prec = this.f.prec;
    let num = formatFloat(v, verb, prec);
    if (num[0] === '-' || num[0] === '+') {
      /* keep the sign */
    } else num = `+${num}`;
    if (this.f.space && num[0] === '+' && !this.f.plus) num = ` ${num.slice(1)}`;
    if (num[1] === 'I' || num[1] === 'N') {
      const oldZero = this.f.zero;
      this.f.zero = false;
      if (num[1] === 'N' && !this.f.space && !this.f.plus) num = num.slice(1);
      this.pad(num);
      this.f.zero = oldZero;
      return;
    }
    if (this.f.sharp && verb !== 'b') num = this.sharpFloat(num, verb, prec);
    if (this.f.plus || num[0] !== '+') {
      if (this.f.zero && !this.f.minus && this.f.widPresent && this.f.wid > num.length) {
        this.write(num[0] as string);
        this.writePadding(this.f.wid - num.length);
        this.write(num.slice(1));
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  /** The # flag on floats: always a decimal point, and %g's trailing zeros kept. */
  private sharpFloat(num: string, verb: FloatFormat, prec: number): string {
    let digits = 0;
    if (verb === 'g' || verb === 'G' || verb === 'x') digits = prec === -1 ? 6 : prec;
    let tail = '';
    let hasDecimalPoint = false;
    let sawNonzeroDigit = false;
    for (let i = 1; i < num.length; i++) {
      const c = num[i] as string;
      if (c === '.') {
        hasDecimalPoint = true;
        continue;
      }
      if (c === 'p' || c === 'P' || ((c === 'e' || c === 'E') && verb !== 'x' && verb !== 'X')) {
        tail = num.slice(i);
        num = num.slice(0, i);
        break;
      }
      if (c !== '0') sawNonzeroDigit = true;
      if (sawNonzeroDigit) digits--;
    }
    if (!hasDecimalPoint) {
      if (num.length === 2 && num[1] === '0') digits--;
      num += '.';
    }
    if (digits > 0) num += '0'.repeat(digits);
    return num + tail;
  }

  private badVerb(verb: string): void {
    this.write(`%!${verb}(`);
    if (this.arg !== null) {
      this.write(`${typeOf(this.arg)}=`);
      this.printArg(this.arg, 'v');
    } else if (this.value.t !== 'invalid') {
      this.write(`${typeOf(this.value)}=`);
      this.printValue(this.value, 'v', 0);
    } else this.write('<nil>');
    this.write(')');
  }

  private fmtBool(v: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.fmtBoolean(v);
    else this.badVerb(verb);
  }

  private fmtIntegerVerb(v: bigint, isSigned: boolean, verb: string): void {
    switch (verb) {
      case 'v':
      case 'd':
        return this.fmtInteger(v, 10, isSigned, verb, false);
      case 'b':
        return this.fmtInteger(v, 2, isSigned, verb, false);
      case 'o':
      case 'O':
        return this.fmtInteger(v, 8, isSigned, verb, false);
      case 'x':
        return this.fmtInteger(v, 16, isSigned, verb, false);
      case 'X':
        return this.fmtInteger(v, 16, isSigned, verb, true);
      case 'c': {
        const r = v < 0n || v > 0x10ffffn ? RUNE_ERROR : Number(v);
        return this.pad(encodeRune(r));
      }
      case 'q': {
        const r = v < 0n || v > 0x10ffffn ? RUNE_ERROR : Number(v);
        return this.pad(goQuoteRune(r, this.f.plus));
      }
      case 'U':
        return this.fmtUnicode(BigInt.asUintN(64, v));
      default:
        return this.badVerb(verb);
    }
  }

  private fmtFloatVerb(v: number, verb: string): void {
    switch (verb) {
      case 'v':
        return this.fmtFloat(v, 'g', -1);
      case 'g':
      case 'G':
        return this.fmtFloat(v, verb, -1);
      case 'f':
      case 'e':
      case 'E':
        return this.fmtFloat(v, verb, 6);
      case 'F':
        return this.fmtFloat(v, 'f', 6);
      case 'b':
      case 'x':
      case 'X':
        return this.fmtFloat(v, verb, -1);
      default:
        return this.badVerb(verb);
    }
  }

  private fmtString(v: string, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.f.sharpV) return this.fmtQ(v);
        return this.fmtS(v);
      case 's':
        return this.fmtS(v);
      case 'x':
        return this.fmtSx(v, false);
      case 'X':
        return this.fmtSx(v, true);
      case 'q':
        return this.fmtQ(v);
      default:
        return this.badVerb(verb);
    }
  }

  /** printArg: an interface{} argument (nil, or a concrete value). */
  printArg(arg: Dyn, verb: string): void {
    this.arg = arg;
    this.value = INVALID;
    if (arg === null) {
      if (verb === 'T' || verb === 'v') return this.pad('<nil>');
      return this.badVerb(verb);
    }
    if (verb === 'T') return this.fmtS(typeOf(arg));
    if (verb === 'p') return unsupported('%p is not supported by vaultgate');
    this.printConcrete(arg, verb, 0);
  }

  private printConcrete(v: Concrete, verb: string, depth: number): void {
    if (depth > MAX_DATA_DEPTH) unsupported(`the data nests deeper than vaultgate's limit of ${MAX_DATA_DEPTH}`);
    switch (v.t) {
      case 'bool':
        return this.fmtBool(v.v, verb);
      case 'int':
      case 'int64':
        return this.fmtIntegerVerb(v.v, true, verb);
      case 'uint8':
        if (verb === 'v' && this.f.sharpV) {
          // fmt0x64: %#v of an unsigned integer is 0x-prefixed hex.
          const sharp = this.f.sharp;
          this.f.sharp = true;
          this.fmtInteger(v.v, 16, false, 'v', false);
          this.f.sharp = sharp;
          return;
        }
        return this.fmtIntegerVerb(v.v, false, verb);
      case 'float64':
        return this.fmtFloatVerb(v.v, verb);
      case 'string':
        return this.fmtString(v.v, verb);
      case 'map': {
        this.arg = null;
        this.value = v;
        const sharpV = this.f.sharpV;
        if (sharpV) {
          this.write(v.type);
          if (v.nil) return this.write('(nil)');
          this.write('{');
        } else this.write('map[');
        sortedKeys(v.v).forEach((key, i) => {
          if (i > 0) this.write(sharpV ? ', ' : ' ');
          this.printValue(str(key), verb, depth + 1);
          this.write(':');
          this.printValue(elementValue(v.type, v.v.get(key) ?? null), verb, depth + 1);
        });
        this.write(sharpV ? '}' : ']');
        return;
      }
      case 'slice': {
        this.arg = null;
        this.value = v;
        const sharpV = this.f.sharpV;
        if (sharpV) {
          this.write(v.type);
          if (v.nil) return this.write('(nil)');
          this.write('{');
        } else this.write('[');
        ordered(v).forEach((element, i) => {
          if (i > 0) this.write(sharpV ? ', ' : ' ');
          this.printValue(elementValue(v.type, element), verb, depth + 1);
        });
        this.write(sharpV ? '}' : ']');
        return;
      }
    }
  }

  /** printValue: a reflect.Value inside a container (or given as one). */
  printValue(v: Value, verb: string, depth: number): void {
    if (v.t === 'iface') {
      this.arg = null;
      this.value = v;
      if (v.inner === null) return this.write(this.f.sharpV ? 'interface {}(nil)' : '<nil>');
      return this.printValue(v.inner, verb, depth + 1);
    }
    if (v.t === 'invalid') {
      this.arg = null;
      this.value = INVALID;
      if (depth === 0) return this.write('<invalid reflect.Value>');
      if (verb === 'v') return this.write('<nil>');
      return this.badVerb(verb);
    }
    // At depth 0 this is printArg's case; the difference (p.arg vs p.value) only shows in badVerb.
    if (depth > 0 || v.t === 'map' || v.t === 'slice') {
      this.arg = null;
      this.value = v;
    } else {
      this.arg = v;
      this.value = INVALID;
    }
    this.printConcrete(v, verb, depth);
  }

  /** doPrint (Sprint): spaces between operands when neither side is a string. */
  doPrint(args: Dyn[]): void {
    let prevString = false;
    args.forEach((arg, i) => {
      const isString = arg !== null && arg.t === 'string';
      if (i > 0 && !isString && !prevString) this.write(' ');
      this.f = noFlags();
      this.printArg(arg, 'v');
      prevString = isString;
    });
  }

  /** doPrintln (Sprintln). */
  doPrintln(args: Dyn[]): void {
    args.forEach((arg, i) => {
      if (i > 0) this.write(' ');
      this.f = noFlags();
      this.printArg(arg, 'v');
    });
    this.write('\n');
  }

  private intFromArg(args: Dyn[], argNum: number): { num: number; isInt: boolean; argNum: number } {
    let num = 0;
    let isInt = false;
    let next = argNum;
    if (argNum < args.length) {
      const a = args[argNum] ?? null;
      if (a !== null && (a.t === 'int' || a.t === 'int64' || a.t === 'uint8')) {
        num = Number(a.v);
        isInt = true;
      }
      next = argNum + 1;
      if (num > 1e6 || num < -1e6) {
        num = 0;
        isInt = false;
      }
    }
    return { num, isInt, argNum: next };
  }

  private argNumber(argNum: number, format: string, i: number, numArgs: number): { argNum: number; i: number; found: boolean } {
    if (format.length <= i || format[i] !== '[') return { argNum, i, found: false };
    this.reordered = true;
    const parsed = parseArgNumber(format.slice(i));
    if (parsed.ok && parsed.index >= 0 && parsed.index < numArgs) return { argNum: parsed.index, i: i + parsed.wid, found: true };
    this.goodArgNum = false;
    return { argNum, i: i + parsed.wid, found: parsed.ok };
  }

  /** doPrintf (Sprintf), verb by verb. */
  doPrintf(format: string, args: Dyn[]): void {
    const end = format.length;
    let argNum = 0;
    let afterIndex = false;
    this.reordered = false;
    formatLoop: for (let i = 0; i < end; ) {
      this.goodArgNum = true;
      const lasti = i;
      while (i < end && format[i] !== '%') i++;
      if (i > lasti) this.write(format.slice(lasti, i));
      if (i >= end) break;
      i++;
      this.f = noFlags();
      simple: for (; i < end; i++) {
        const c = format[i] as string;
        switch (c) {
          case '#':
            this.f.sharp = true;
            break;
          case '0':
            this.f.zero = true;
            break;
          case '+':
            this.f.plus = true;
            break;
          case '-':
            this.f.minus = true;
            break;
          case ' ':
            this.f.space = true;
            break;
          default:
            if (c >= 'a' && c <= 'z' && argNum < args.length) {
              if (c === 'v') {
                this.f.sharpV = this.f.sharp;
                this.f.sharp = false;
                this.f.plusV = this.f.plus;
                this.f.plus = false;
              }
              this.printArg(args[argNum] ?? null, c);
              argNum++;
              i++;
              continue formatLoop;
            }
            break simple;
        }
      }
      let step = this.argNumber(argNum, format, i, args.length);
      ({ argNum, i } = step);
      afterIndex = step.found;
      if (i < end && format[i] === '*') {
        i++;
        const w = this.intFromArg(args, argNum);
        this.f.wid = w.num;
        this.f.widPresent = w.isInt;
        argNum = w.argNum;
        if (!this.f.widPresent) this.write('%!(BADWIDTH)');
        if (this.f.wid < 0) {
          this.f.wid = -this.f.wid;
          this.f.minus = true;
          this.f.zero = false;
        }
        afterIndex = false;
      } else {
        const n = parsenum(format, i, end);
        this.f.wid = n.num;
        this.f.widPresent = n.isnum;
        i = n.newi;
        if (afterIndex && this.f.widPresent) this.goodArgNum = false;
      }
      if (i + 1 < end && format[i] === '.') {
        i++;
        if (afterIndex) this.goodArgNum = false;
        step = this.argNumber(argNum, format, i, args.length);
        ({ argNum, i } = step);
        afterIndex = step.found;
        if (i < end && format[i] === '*') {
          i++;
          const p = this.intFromArg(args, argNum);
          this.f.prec = p.num;
          this.f.precPresent = p.isInt;
          argNum = p.argNum;
          if (this.f.prec < 0) {
            this.f.prec = 0;
            this.f.precPresent = false;
          }
          if (!this.f.precPresent) this.write('%!(BADPREC)');
          afterIndex = false;
        } else {
          const n = parsenum(format, i, end);
          this.f.prec = n.num;
          this.f.precPresent = n.isnum;
          i = n.newi;
          if (!this.f.precPresent) {
            this.f.prec = 0;
            this.f.precPresent = true;
          }
        }
      }
      if (!afterIndex) {
        step = this.argNumber(argNum, format, i, args.length);
        ({ argNum, i } = step);
        afterIndex = step.found;
      }
      if (i >= end) {
        this.write('%!(NOVERB)');
        break;
      }
      const [rune, size] = decodeRune(format, i);
      const verb = encodeRune(rune);
      i += size;
      if (verb === '%') this.write('%');
      else if (!this.goodArgNum) this.write(`%!${verb}(BADINDEX)`);
      else if (argNum >= args.length) this.write(`%!${verb}(MISSING)`);
      else {
        if (verb === 'v') {
          this.f.sharpV = this.f.sharp;
          this.f.sharp = false;
          this.f.plusV = this.f.plus;
          this.f.plus = false;
        }
        this.printArg(args[argNum] ?? null, verb);
        argNum++;
      }
    }
    if (!this.reordered && argNum < args.length) {
      this.f = noFlags();
      this.write('%!(EXTRA ');
      args.slice(argNum).forEach((arg, k) => {
        if (k > 0) this.write(', ');
        if (arg === null) this.write('<nil>');
        else {
          this.write(`${typeOf(arg)}=`);
          this.printArg(arg, 'v');
        }
      });
      this.write(')');
    }
  }
}

/** fmt's parsenum: a decimal number at format[start:end]. */
function parsenum(s: string, start: number, end: number): { num: number; isnum: boolean; newi: number } {
  if (start >= end) return { num: 0, isnum: false, newi: end };
  let num = 0;
  let isnum = false;
  let newi = start;
  for (; newi < end && s.charCodeAt(newi) >= 0x30 && s.charCodeAt(newi) <= 0x39; newi++) {
    if (num > 1e6) return { num: 0, isnum: false, newi: end };
    num = num * 10 + s.charCodeAt(newi) - 0x30;
    isnum = true;
  }
  return { num, isnum, newi };
}

/** fmt's parseArgNumber: "[n]" at the start of format. */
function parseArgNumber(format: string): { index: number; wid: number; ok: boolean } {
  if (format.length < 3) return { index: 0, wid: 1, ok: false };
  for (let i = 1; i < format.length; i++) {
    if (format[i] === ']') {
      const n = parsenum(format, 1, i);
      if (!n.isnum || n.newi !== i) return { index: 0, wid: i + 1, ok: false };
      return { index: n.num - 1, wid: i + 1, ok: true };
    }
  }
  return { index: 0, wid: 1, ok: false };
}

function sprint(budget: Budget, args: Dyn[]): string {
  const p = new Printer(budget);
  p.doPrint(args);
  return p.buf;
}

function sprintln(budget: Budget, args: Dyn[]): string {
  const p = new Printer(budget);
  p.doPrintln(args);
  return p.buf;
}

function sprintf(budget: Budget, format: string, args: Dyn[]): string {
  const p = new Printer(budget);
  p.doPrintf(format, args);
  return p.buf;
}

/** fmt.Sprintf("%v", d). */
const sprintV = (budget: Budget, d: Dyn) => sprintf(budget, '%v', [d]);

// ---------------------------------------------------------------------------------------
// text/template/parse: the lexer

const enum Item {
  Error,
  Bool,
  Char,
  CharConstant,
  Comment,
  Complex,
  Assign,
  Declare,
  EOF,
  Field,
  Identifier,
  LeftDelim,
  LeftParen,
  Number,
  Pipe,
  RawString,
  RightDelim,
  RightParen,
  Space,
  String,
  Text,
  Variable,
  Keyword,
  Block,
  Break,
  Continue,
  Dot,
  Define,
  Else,
  End,
  If,
  Nil,
  Range,
  Template,
  With,
}

interface Token {
  typ: Item;
  pos: number;
  val: string;
  line: number;
}

const KEYWORDS = new Map<string, Item>([
  ['.', Item.Dot],
  ['block', Item.Block],
  ['break', Item.Break],
  ['continue', Item.Continue],
  ['define', Item.Define],
  ['else', Item.Else],
  ['end', Item.End],
  ['if', Item.If],
  ['range', Item.Range],
  ['nil', Item.Nil],
  ['template', Item.Template],
  ['with', Item.With],
]);

const LEFT_DELIM = '{{';
const RIGHT_DELIM = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';
const EOF_RUNE = -1;

/** item.String(), for "unexpected %s" errors. */
function tokenString(i: Token): string {
  if (i.typ === Item.EOF) return 'EOF';
  if (i.typ === Item.Error) return i.val;
  if (i.typ > Item.Keyword) return `<${i.val}>`;
  // %.10q...: at most 10 runes, quoted, when the value is longer than 10 bytes.
  if (i.val.length > 10) return `${goQuote(truncateRunes(i.val, 10))}...`;
  return goQuote(i.val);
}

function truncateRunes(s: string, n: number): string {
  let i = 0;
  for (let k = 0; k < n && i < s.length; k++) i += decodeRune(s, i)[1];
  return s.slice(0, i);
}

const isSpaceRune = (r: number) => r === 0x20 || r === 0x09 || r === 0x0d || r === 0x0a;
const isAlphaNumeric = (r: number) => r === 0x5f || isLetter(r) || isDigitRune(r);
const hasLeftTrimMarker = (s: string, i: number) => s.length - i >= 2 && s[i] === '-' && isSpaceRune(s.charCodeAt(i + 1));
const hasRightTrimMarker = (s: string, i: number) => s.length - i >= 2 && isSpaceRune(s.charCodeAt(i)) && s[i + 1] === '-';

/** %#U of a rune: U+0041 'A' (the character only when printable). */
function unicodeNotation(r: number): string {
  const hex = `U+${r.toString(16).toUpperCase().padStart(4, '0')}`;
  return isPrint(r) ? `${hex} '${encodeRune(r)}'` : hex;
}

type StateFn = ((l: Lexer) => StateFn) | null;

/** Go's lexer: state functions run until one emits an item; errors end the input. */
class Lexer {
  pos = 0;
  start = 0;
  atEOF = false;
  parenDepth = 0;
  line = 1;
  startLine = 1;
  item: Token = { typ: Item.EOF, pos: 0, val: 'EOF', line: 1 };
  insideAction = false;
  readonly breakOK = true;
  readonly continueOK = true;

  constructor(public input: string) {}

  next(): number {
    if (this.pos >= this.input.length) {
      this.atEOF = true;
      return EOF_RUNE;
    }
    const [r, w] = decodeRune(this.input, this.pos);
    this.pos += w;
    if (r === 0x0a) this.line++;
    return r;
  }

  peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  backup(): void {
    if (!this.atEOF && this.pos > 0) {
      const [r, w] = decodeLastRune(this.input, this.pos);
      this.pos -= w;
      if (r === 0x0a) this.line--;
    }
  }

  thisItem(t: Item): Token {
    const i = { typ: t, pos: this.start, val: this.input.slice(this.start, this.pos), line: this.startLine };
    this.start = this.pos;
    this.startLine = this.line;
    return i;
  }

  emit(t: Item): StateFn {
    return this.emitItem(this.thisItem(t));
  }

  emitItem(i: Token): StateFn {
    this.item = i;
    return null;
  }

  ignore(): void {
    this.line += countNewlines(this.input, this.start, this.pos);
    this.start = this.pos;
    this.startLine = this.line;
  }

  accept(valid: string): boolean {
    const r = this.next();
    if (r !== EOF_RUNE && valid.includes(String.fromCharCode(r)) && r < 0x80) return true;
    this.backup();
    return false;
  }

  acceptRun(valid: string): void {
    for (;;) {
      const r = this.next();
      if (r === EOF_RUNE || r >= 0x80 || !valid.includes(String.fromCharCode(r))) break;
    }
    this.backup();
  }

  errorf(message: string): StateFn {
    this.item = { typ: Item.Error, pos: this.start, val: message, line: this.startLine };
    this.start = 0;
    this.pos = 0;
    this.input = '';
    return null;
  }

  nextItem(): Token {
    this.item = { typ: Item.EOF, pos: this.pos, val: 'EOF', line: this.startLine };
    let state: StateFn = this.insideAction ? lexInsideAction : lexText;
    while (state) state = state(this);
    return this.item;
  }

  atRightDelim(): { delim: boolean; trimSpaces: boolean } {
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT_DELIM, this.pos + 2)) return { delim: true, trimSpaces: true };
    if (this.input.startsWith(RIGHT_DELIM, this.pos)) return { delim: true, trimSpaces: false };
    return { delim: false, trimSpaces: false };
  }

  atTerminator(): boolean {
    const r = this.peek();
    if (isSpaceRune(r)) return true;
    if (r === EOF_RUNE || r === 0x2e || r === 0x2c || r === 0x7c || r === 0x3a || r === 0x29 || r === 0x28) return true;
    return this.input.startsWith(RIGHT_DELIM, this.pos);
  }

  scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }
}

/** Newlines in s[from:to], scanning only that range (indexOf would run on to the end of the input). */
function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 0x0a) n++;
  return n;
}

/** The length of the spaces ending s[from:to] (scanned in place: templates may hold thousands of trim markers). */
function rightTrimLength(s: string, from: number, to: number): number {
  let i = to;
  while (i > from && isSpaceRune(s.charCodeAt(i - 1))) i--;
  return to - i;
}

/** The length of the spaces starting at s[from]. */
function leftTrimLength(s: string, from: number): number {
  let i = from;
  while (i < s.length && isSpaceRune(s.charCodeAt(i))) i++;
  return i - from;
}

function lexText(l: Lexer): StateFn {
  const x = l.input.indexOf(LEFT_DELIM, l.pos);
  if (x >= 0) {
    if (x > l.pos) {
      l.pos = x;
      let trimLength = 0;
      const delimEnd = l.pos + LEFT_DELIM.length;
      if (hasLeftTrimMarker(l.input, delimEnd)) trimLength = rightTrimLength(l.input, l.start, l.pos);
      l.pos -= trimLength;
      l.line += countNewlines(l.input, l.start, l.pos);
      const i = l.thisItem(Item.Text);
      l.pos += trimLength;
      l.ignore();
      if (i.val.length > 0) return l.emitItem(i);
    }
    return lexLeftDelim;
  }
  l.pos = l.input.length;
  if (l.pos > l.start) {
    l.line += countNewlines(l.input, l.start, l.pos);
    return l.emit(Item.Text);
  }
  return l.emit(Item.EOF);
}

function lexLeftDelim(l: Lexer): StateFn {
  l.pos += LEFT_DELIM.length;
  const trimSpace = hasLeftTrimMarker(l.input, l.pos);
  const afterMarker = trimSpace ? 2 : 0;
  if (l.input.startsWith(LEFT_COMMENT, l.pos + afterMarker)) {
    l.pos += afterMarker;
    l.ignore();
    return lexComment;
  }
  const i = l.thisItem(Item.LeftDelim);
  l.insideAction = true;
  l.pos += afterMarker;
  l.ignore();
  l.parenDepth = 0;
  return l.emitItem(i);
}

function lexComment(l: Lexer): StateFn {
  l.pos += LEFT_COMMENT.length;
  const x = l.input.indexOf(RIGHT_COMMENT, l.pos);
  if (x < 0) return l.errorf('unclosed comment');
  l.pos = x + RIGHT_COMMENT.length;
  const { delim, trimSpaces } = l.atRightDelim();
  if (!delim) return l.errorf('comment ends before closing delimiter');
  l.line += countNewlines(l.input, l.start, l.pos);
  l.thisItem(Item.Comment);
  if (trimSpaces) l.pos += 2;
  l.pos += RIGHT_DELIM.length;
  if (trimSpaces) l.pos += leftTrimLength(l.input, l.pos);
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): StateFn {
  const { trimSpaces } = l.atRightDelim();
  if (trimSpaces) {
    l.pos += 2;
    l.ignore();
  }
  l.pos += RIGHT_DELIM.length;
  const i = l.thisItem(Item.RightDelim);
  if (trimSpaces) {
    l.pos += leftTrimLength(l.input, l.pos);
    l.ignore();
  }
  l.insideAction = false;
  return l.emitItem(i);
}

function lexInsideAction(l: Lexer): StateFn {
  const { delim } = l.atRightDelim();
  if (delim) {
    if (l.parenDepth === 0) return lexRightDelim;
    return l.errorf('unclosed left paren');
  }
  const r = l.next();
  if (r === EOF_RUNE) return l.errorf('unclosed action');
  if (isSpaceRune(r)) {
    l.backup();
    return lexSpace;
  }
  switch (r) {
    case 0x3d: // =
      return l.emit(Item.Assign);
    case 0x3a: // :
      if (l.next() !== 0x3d) return l.errorf('expected :=');
      return l.emit(Item.Declare);
    case 0x7c: // |
      return l.emit(Item.Pipe);
    case 0x22: // "
      return lexQuote;
    case 0x60: // `
      return lexRawQuote;
    case 0x24: // $
      return lexVariable;
    case 0x27: // '
      return lexChar;
    case 0x2e: // .
      if (l.pos < l.input.length) {
        const c = l.input.charCodeAt(l.pos);
        if (c < 0x30 || c > 0x39) return lexField;
      }
      l.backup();
      return lexNumber;
    case 0x28: // (
      l.parenDepth++;
      return l.emit(Item.LeftParen);
    case 0x29: // )
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf('unexpected right paren');
      return l.emit(Item.RightParen);
  }
  if (r === 0x2b || r === 0x2d || (r >= 0x30 && r <= 0x39)) {
    l.backup();
    return lexNumber;
  }
  if (isAlphaNumeric(r)) {
    l.backup();
    return lexIdentifier;
  }
  if (r <= 0x7f && isPrint(r)) return l.emit(Item.Char);
  return l.errorf(`unrecognized character in action: ${unicodeNotation(r)}`);
}

function lexSpace(l: Lexer): StateFn {
  let numSpaces = 0;
  for (;;) {
    const r = l.peek();
    if (!isSpaceRune(r)) break;
    l.next();
    numSpaces++;
  }
  if (hasRightTrimMarker(l.input, l.pos - 1) && l.input.startsWith(RIGHT_DELIM, l.pos - 1 + 2)) {
    l.backup();
    if (numSpaces === 1) return lexRightDelim;
  }
  return l.emit(Item.Space);
}

function lexIdentifier(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (isAlphaNumeric(r)) continue;
    l.backup();
    const word = l.input.slice(l.start, l.pos);
    if (!l.atTerminator()) return l.errorf(`bad character ${unicodeNotation(r)}`);
    const key = KEYWORDS.get(word);
    if (key !== undefined && key > Item.Keyword) {
      if ((key === Item.Break && !l.breakOK) || (key === Item.Continue && !l.continueOK)) return l.emit(Item.Identifier);
      return l.emit(key);
    }
    if (word[0] === '.') return l.emit(Item.Field);
    if (word === 'true' || word === 'false') return l.emit(Item.Bool);
    return l.emit(Item.Identifier);
  }
}

function lexField(l: Lexer): StateFn {
  return lexFieldOrVariable(l, Item.Field);
}

function lexVariable(l: Lexer): StateFn {
  if (l.atTerminator()) return l.emit(Item.Variable);
  return lexFieldOrVariable(l, Item.Variable);
}

function lexFieldOrVariable(l: Lexer, typ: Item): StateFn {
  if (l.atTerminator()) return l.emit(typ === Item.Variable ? Item.Variable : Item.Dot);
  let r: number;
  for (;;) {
    r = l.next();
    if (!isAlphaNumeric(r)) {
      l.backup();
      break;
    }
  }
  if (!l.atTerminator()) return l.errorf(`bad character ${unicodeNotation(r)}`);
  return l.emit(typ);
}

function lexChar(l: Lexer): StateFn {
  for (;;) {
    let r = l.next();
    if (r === 0x5c) {
      r = l.next();
      if (r !== EOF_RUNE && r !== 0x0a) continue;
      return l.errorf('unterminated character constant');
    }
    if (r === EOF_RUNE || r === 0x0a) return l.errorf('unterminated character constant');
    if (r === 0x27) break;
  }
  return l.emit(Item.CharConstant);
}

function lexNumber(l: Lexer): StateFn {
  if (!l.scanNumber()) return l.errorf(`bad number syntax: ${goQuote(l.input.slice(l.start, l.pos))}`);
  const sign = l.peek();
  if (sign === 0x2b || sign === 0x2d) {
    if (!l.scanNumber() || l.input[l.pos - 1] !== 'i') return l.errorf(`bad number syntax: ${goQuote(l.input.slice(l.start, l.pos))}`);
    return l.emit(Item.Complex);
  }
  return l.emit(Item.Number);
}

function lexQuote(l: Lexer): StateFn {
  for (;;) {
    let r = l.next();
    if (r === 0x5c) {
      r = l.next();
      if (r !== EOF_RUNE && r !== 0x0a) continue;
      return l.errorf('unterminated quoted string');
    }
    if (r === EOF_RUNE || r === 0x0a) return l.errorf('unterminated quoted string');
    if (r === 0x22) break;
  }
  return l.emit(Item.String);
}

function lexRawQuote(l: Lexer): StateFn {
  for (;;) {
    const r = l.next();
    if (r === EOF_RUNE) return l.errorf('unterminated raw quoted string');
    if (r === 0x60) break;
  }
  return l.emit(Item.RawString);
}

// ---------------------------------------------------------------------------------------
// text/template/parse: nodes (String() as Go writes them, for error contexts)

type Node =
  | ListNode
  | TextNode
  | CommentNode
  | PipeNode
  | ActionNode
  | CommandNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | EndNode
  | ElseNode
  | BranchNode
  | BreakNode
  | ContinueNode
  | TemplateNode;

class ListNode {
  readonly kind = 'list';
  readonly nodes: Node[] = [];
  constructor(readonly pos: number) {}
  toString(): string {
    return this.nodes.map(String).join('');
  }
}

class TextNode {
  readonly kind = 'text';
  constructor(
    readonly pos: number,
    readonly text: string,
  ) {}
  toString(): string {
    return this.text;
  }
}

class CommentNode {
  readonly kind = 'comment';
  constructor(
    readonly pos: number,
    readonly text: string,
  ) {}
  toString(): string {
    return `{{${this.text}}}`;
  }
}

class PipeNode {
  readonly kind = 'pipe';
  isAssign = false;
  readonly decl: VariableNode[] = [];
  readonly cmds: CommandNode[] = [];
  constructor(readonly pos: number) {}
  toString(): string {
    let s = '';
    if (this.decl.length > 0) s = `${this.decl.map(String).join(', ')}${this.isAssign ? ' = ' : ' := '}`;
    return s + this.cmds.map(String).join(' | ');
  }
}

class ActionNode {
  readonly kind = 'action';
  constructor(
    readonly pos: number,
    readonly pipe: PipeNode,
  ) {}
  toString(): string {
    return `{{${this.pipe.toString()}}}`;
  }
}

class CommandNode {
  readonly kind = 'command';
  readonly args: Node[] = [];
  constructor(readonly pos: number) {}
  toString(): string {
    return this.args.map((arg) => (arg.kind === 'pipe' ? `(${arg.toString()})` : arg.toString())).join(' ');
  }
}

class IdentifierNode {
  readonly kind = 'identifier';
  constructor(
    readonly pos: number,
    readonly ident: string,
  ) {}
  toString(): string {
    return this.ident;
  }
}

class VariableNode {
  readonly kind = 'variable';
  readonly ident: string[];
  constructor(
    readonly pos: number,
    ident: string,
  ) {
    this.ident = ident.split('.');
  }
  toString(): string {
    return this.ident.join('.');
  }
}

class DotNode {
  readonly kind = 'dot';
  constructor(readonly pos: number) {}
  toString(): string {
    return '.';
  }
}

class NilNode {
  readonly kind = 'nil';
  constructor(readonly pos: number) {}
  toString(): string {
    return 'nil';
  }
}

class FieldNode {
  readonly kind = 'field';
  readonly ident: string[];
  constructor(
    readonly pos: number,
    ident: string,
  ) {
    this.ident = ident.slice(1).split('.');
  }
  toString(): string {
    return this.ident.map((id) => `.${id}`).join('');
  }
}

class ChainNode {
  readonly kind = 'chain';
  readonly field: string[] = [];
  constructor(
    readonly pos: number,
    readonly node: Node,
  ) {}
  add(field: string): void {
    this.field.push(field.slice(1));
  }
  toString(): string {
    const head = this.node.kind === 'pipe' ? `(${this.node.toString()})` : this.node.toString();
    return head + this.field.map((f) => `.${f}`).join('');
  }
}

class BoolNode {
  readonly kind = 'bool';
  constructor(
    readonly pos: number,
    readonly value: boolean,
  ) {}
  toString(): string {
    return this.value ? 'true' : 'false';
  }
}

class NumberNode {
  readonly kind = 'number';
  isInt = false;
  isUint = false;
  isFloat = false;
  /** An integral float beyond int64, whose int64 conversion differs between CPUs. */
  intDependsOnCpu = false;
  int64 = 0n;
  uint64 = 0n;
  float64 = 0;
  constructor(
    readonly pos: number,
    readonly text: string,
  ) {}
  toString(): string {
    return this.text;
  }
}

class StringNode {
  readonly kind = 'string';
  constructor(
    readonly pos: number,
    readonly quoted: string,
    readonly text: string,
  ) {}
  toString(): string {
    return this.quoted;
  }
}

class EndNode {
  readonly kind = 'end';
  constructor(readonly pos: number) {}
  toString(): string {
    return '{{end}}';
  }
}

class ElseNode {
  readonly kind = 'else';
  constructor(readonly pos: number) {}
  toString(): string {
    return '{{else}}';
  }
}

class BranchNode {
  readonly kind = 'branch';
  constructor(
    readonly branch: 'if' | 'range' | 'with',
    readonly pos: number,
    readonly pipe: PipeNode,
    readonly list: ListNode,
    readonly elseList: ListNode | null,
  ) {}
  toString(): string {
    let s = `{{${this.branch} ${this.pipe.toString()}}}${this.list.toString()}`;
    if (this.elseList) s += `{{else}}${this.elseList.toString()}`;
    return `${s}{{end}}`;
  }
}

class BreakNode {
  readonly kind = 'break';
  constructor(readonly pos: number) {}
  toString(): string {
    return '{{break}}';
  }
}

class ContinueNode {
  readonly kind = 'continue';
  constructor(readonly pos: number) {}
  toString(): string {
    return '{{continue}}';
  }
}

class TemplateNode {
  readonly kind = 'template';
  constructor(
    readonly pos: number,
    readonly name: string,
    readonly pipe: PipeNode | null,
  ) {}
  toString(): string {
    return `{{template ${goQuote(this.name)}${this.pipe ? ` ${this.pipe.toString()}` : ''}}}`;
  }
}

/** parse.IsEmptyTree. */
function isEmptyTree(n: Node | null): boolean {
  if (n === null) return true;
  switch (n.kind) {
    case 'comment':
      return true;
    case 'list':
      return n.nodes.every(isEmptyTree);
    case 'text':
      return trimSpace(n.text) === '';
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------
// text/template/parse: the parser

/** strconv.Unquote for the lexer's quoted strings, raw strings and character constants. */
function unquote(s: string): string | undefined {
  if (s.length < 2) return undefined;
  const quote = s[0];
  if (quote !== s[s.length - 1]) return undefined;
  const body = s.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) return undefined;
    return body.replace(/\r/g, '');
  }
  if (quote !== '"' && quote !== "'") return undefined;
  let out = '';
  let rest = body;
  while (rest.length > 0) {
    if (rest[0] === '\n') return undefined;
    const step = unquoteChar(rest, quote);
    if (!step) return undefined;
    out += step.value;
    rest = step.tail;
    if (quote === "'") break;
  }
  if (quote === "'" && (rest.length !== 0 || out.length === 0)) return undefined;
  return out;
}

/** strconv.UnquoteChar: one (possibly escaped) character, as bytes, and the rest. */
function unquoteChar(s: string, quote: string): { value: string; rune: number; tail: string } | undefined {
  if (s.length === 0) return undefined;
  const c = s.charCodeAt(0);
  if (s[0] === quote && (quote === "'" || quote === '"')) return undefined;
  if (c >= 0x80) {
    const [r, w] = decodeRune(s, 0);
    return { value: encodeRune(r), rune: r, tail: s.slice(w) };
  }
  if (s[0] !== '\\') return { value: s[0] as string, rune: c, tail: s.slice(1) };
  if (s.length <= 1) return undefined;
  const e = s[1] as string;
  let tail = s.slice(2);
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 0x5c };
  if (e in simple) return { value: String.fromCharCode(simple[e] as number), rune: simple[e] as number, tail };
  if (e === 'x' || e === 'u' || e === 'U') {
    const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
    if (tail.length < n) return undefined;
    const hex = tail.slice(0, n);
    if (!/^[0-9a-fA-F]+$/.test(hex)) return undefined;
    tail = tail.slice(n);
    const v = parseInt(hex, 16);
    if (e === 'x') return { value: String.fromCharCode(v), rune: v, tail };
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
    return { value: encodeRune(v), rune: v, tail };
  }
  if (e >= '0' && e <= '7') {
    const oct = s.slice(1, 4);
    if (!/^[0-7]{3}$/.test(oct)) return undefined;
    const v = parseInt(oct, 8);
    if (v > 255) return undefined;
    return { value: String.fromCharCode(v), rune: v, tail: s.slice(4) };
  }
  if (e === "'" || e === '"') {
    if (e !== quote) return undefined;
    return { value: e, rune: e.charCodeAt(0), tail };
  }
  return undefined;
}

const TWO_63 = 2 ** 63;

/** parse.newNumber: the number under every type that can hold it. */
function newNumber(pos: number, text: string, typ: Item): NumberNode {
  const n = new NumberNode(pos, text);
  if (typ === Item.CharConstant) {
    const step = unquoteChar(text.slice(1), text[0] as string);
    if (!step) throw new SyntaxNumberError('invalid syntax');
    if (step.tail !== "'") throw new SyntaxNumberError(`malformed character constant: ${text}`);
    n.int64 = BigInt(step.rune);
    n.isInt = true;
    n.uint64 = BigInt(step.rune);
    n.isUint = true;
    n.float64 = step.rune;
    n.isFloat = true;
    return n;
  }
  if (typ === Item.Complex) unsupported('complex numbers in templates are not supported by vaultgate');
  if (text.endsWith('i') && parseFloat64(text.slice(0, -1)).ok) unsupported('complex numbers in templates are not supported by vaultgate');
  const u = parseUint(text, 0);
  if (u.ok) {
    n.isUint = true;
    n.uint64 = u.value;
  }
  const i = parseInt64(text, 0);
  if (i.ok) {
    n.isInt = true;
    n.int64 = i.value;
    if (i.value === 0n) {
      n.isUint = true;
      n.uint64 = u.value;
    }
  }
  if (n.isInt) {
    n.isFloat = true;
    n.float64 = Number(n.int64);
  } else if (n.isUint) {
    n.isFloat = true;
    n.float64 = Number(n.uint64);
  } else {
    const f = parseFloat64(text);
    if (f.ok) {
      if (!/[.eEpP]/.test(text)) throw new SyntaxNumberError(`integer overflow: ${goQuote(text)}`);
      n.isFloat = true;
      n.float64 = f.value;
      if (Number.isInteger(f.value)) {
        // Go's int64(f) out of range depends on the CPU: such a constant cannot be used as an int.
        if (Math.abs(f.value) >= TWO_63 && f.value !== -TWO_63) n.intDependsOnCpu = true;
        else {
          n.isInt = true;
          n.int64 = BigInt(f.value);
        }
        if (f.value >= 0 && f.value < 2 ** 64) {
          n.isUint = true;
          n.uint64 = BigInt(f.value);
        }
      }
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) throw new SyntaxNumberError(`illegal number syntax: ${goQuote(text)}`);
  return n;
}

/** An error newNumber returns (the parser reports it at the current line). */
class SyntaxNumberError extends Error {}

/** One parse.Tree: the main template, or a {{define}}/{{block}} body. */
class Tree {
  root: ListNode | null = null;
  private readonly token: Token[] = [];
  private peekCount = 0;
  private vars: string[] = ['$'];
  private actionLine = 0;
  private rangeDepth = 0;
  private stackDepth = 0;
  private controlDepth = 0;

  constructor(
    public name: string,
    private readonly parseName: string,
    private readonly lex: Lexer,
    private readonly treeSet: Map<string, Tree>,
  ) {}

  // Token handling -----------------------------------------------------------------------

  private next(): Token {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lex.nextItem();
    return this.token[this.peekCount] as Token;
  }

  private backup(): void {
    this.peekCount++;
  }

  private backup2(t1: Token): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }

  private backup3(t2: Token, t1: Token): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }

  private peek(): Token {
    if (this.peekCount > 0) return this.token[this.peekCount - 1] as Token;
    this.peekCount = 1;
    this.token[0] = this.lex.nextItem();
    return this.token[0];
  }

  private nextNonSpace(): Token {
    let token: Token;
    do token = this.next();
    while (token.typ === Item.Space);
    return token;
  }

  private peekNonSpace(): Token {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  // Errors -------------------------------------------------------------------------------

  errorf(message: string): never {
    this.root = null;
    throw new GoParseError(`template: ${this.parseName}:${this.token[0]?.line ?? 0}: ${message}`);
  }

  private expect(expected: Item, context: string): Token {
    const token = this.nextNonSpace();
    if (token.typ !== expected) this.unexpected(token, context);
    return token;
  }

  private expectOneOf(expected1: Item, expected2: Item, context: string): Token {
    const token = this.nextNonSpace();
    if (token.typ !== expected1 && token.typ !== expected2) this.unexpected(token, context);
    return token;
  }

  private unexpected(token: Token, context: string): never {
    if (token.typ === Item.Error) {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.parseName}:${this.actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(`${tokenString(token)}${extra}`);
    }
    this.errorf(`unexpected ${tokenString(token)} in ${context}`);
  }

  private deeper<T>(parse: () => T): T {
    if (++this.controlDepth > MAX_DEPTH) unsupported(`the template nests deeper than vaultgate's limit of ${MAX_DEPTH}`);
    try {
      return parse();
    } finally {
      this.controlDepth--;
    }
  }

  // Grammar ------------------------------------------------------------------------------

  /** Tree.parse: the top level, where {{define}} may appear. */
  parse(): void {
    this.root = new ListNode(this.peek().pos);
    while (this.peek().typ !== Item.EOF) {
      if (this.peek().typ === Item.LeftDelim) {
        const delim = this.next();
        if (this.nextNonSpace().typ === Item.Define) {
          const definition = new Tree('definition', this.parseName, this.lex, this.treeSet);
          definition.parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') this.errorf(`unexpected ${n.toString()}`);
      this.root.nodes.push(n);
    }
  }

  /** Tree.add: a later non-empty definition of the same name is an error. */
  add(): void {
    const tree = this.treeSet.get(this.name);
    if (!tree || isEmptyTree(tree.root)) {
      this.treeSet.set(this.name, this);
      return;
    }
    if (!isEmptyTree(this.root)) this.errorf(`template: multiple definition of template ${goQuote(this.name)}`);
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const name = this.expectOneOf(Item.String, Item.RawString, context);
    const unquoted = unquote(name.val);
    if (unquoted === undefined) this.errorf('invalid syntax');
    this.name = unquoted;
    this.expect(Item.RightDelim, context);
    const [list, end] = this.itemList();
    this.root = list;
    if (end.kind !== 'end') this.errorf(`unexpected ${end.toString()} in ${context}`);
    this.add();
  }

  private itemList(): [ListNode, Node] {
    return this.deeper(() => {
      const list = new ListNode(this.peekNonSpace().pos);
      while (this.peekNonSpace().typ !== Item.EOF) {
        const n = this.textOrAction();
        if (n.kind === 'end' || n.kind === 'else') return [list, n] as [ListNode, Node];
        list.nodes.push(n);
      }
      return this.errorf('unexpected EOF');
    });
  }

  private textOrAction(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case Item.Text:
        return new TextNode(token.pos, token.val);
      case Item.LeftDelim:
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      case Item.Comment:
        return new CommentNode(token.pos, token.val);
      default:
        return this.unexpected(token, 'input');
    }
  }

  private action(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case Item.Block:
        return this.blockControl();
      case Item.Break:
        return this.breakControl(token.pos);
      case Item.Continue:
        return this.continueControl(token.pos);
      case Item.Else:
        return this.elseControl();
      case Item.End:
        return this.endControl();
      case Item.If:
        return this.branchControl('if');
      case Item.Range:
        return this.branchControl('range');
      case Item.Template:
        return this.templateControl();
      case Item.With:
        return this.branchControl('with');
    }
    this.backup();
    const start = this.peek();
    return new ActionNode(start.pos, this.pipeline('command', Item.RightDelim));
  }

  private breakControl(pos: number): Node {
    const token = this.nextNonSpace();
    if (token.typ !== Item.RightDelim) this.unexpected(token, '{{break}}');
    if (this.rangeDepth === 0) this.errorf('{{break}} outside {{range}}');
    return new BreakNode(pos);
  }

  private continueControl(pos: number): Node {
    const token = this.nextNonSpace();
    if (token.typ !== Item.RightDelim) this.unexpected(token, '{{continue}}');
    if (this.rangeDepth === 0) this.errorf('{{continue}} outside {{range}}');
    return new ContinueNode(pos);
  }

  private pipeline(context: string, end: Item): PipeNode {
    const token = this.peekNonSpace();
    const pipe = new PipeNode(token.pos);
    // Declarations: "$x :=", "$x =", "$k, $v :=" (range only).
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== Item.Variable) break;
      this.next();
      const tokenAfterVariable = this.peek();
      const next = this.peekNonSpace();
      if (next.typ === Item.Assign || next.typ === Item.Declare) {
        pipe.isAssign = next.typ === Item.Assign;
        this.nextNonSpace();
        pipe.decl.push(new VariableNode(v.pos, v.val));
        this.vars.push(v.val);
      } else if (next.typ === Item.Char && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(new VariableNode(v.pos, v.val));
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const after = this.peekNonSpace().typ;
          if (after === Item.Variable || after === Item.RightDelim || after === Item.RightParen) continue decls;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      } else if (tokenAfterVariable.typ === Item.Space) {
        this.backup3(v, tokenAfterVariable);
      } else {
        this.backup2(v);
      }
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      switch (t.typ) {
        case end:
          this.checkPipeline(pipe, context);
          return pipe;
        case Item.Bool:
        case Item.CharConstant:
        case Item.Complex:
        case Item.Dot:
        case Item.Field:
        case Item.Identifier:
        case Item.Number:
        case Item.Nil:
        case Item.RawString:
        case Item.String:
        case Item.Variable:
        case Item.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const kind = c.args[0]?.kind;
      if (kind === 'bool' || kind === 'dot' || kind === 'nil' || kind === 'number' || kind === 'string') this.errorf(`non executable command in pipeline stage ${i + 2}`);
    });
  }

  private branchControl(context: 'if' | 'range' | 'with'): BranchNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, Item.RightDelim);
      if (context === 'range') this.rangeDepth++;
      let [list, next] = this.itemList();
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.kind === 'else') {
        // {{else if ...}} and {{else with ...}}: an if/with inside the else, sharing its {{end}}.
        if (context === 'if' && this.peek().typ === Item.If) {
          this.next();
          elseList = new ListNode(next.pos);
          elseList.nodes.push(this.deeper(() => this.branchControl('if')));
        } else if (context === 'with' && this.peek().typ === Item.With) {
          this.next();
          elseList = new ListNode(next.pos);
          elseList.nodes.push(this.deeper(() => this.branchControl('with')));
        } else {
          [elseList, next] = this.itemList();
          if (next.kind !== 'end') this.errorf(`expected end; found ${next.toString()}`);
        }
      }
      return new BranchNode(context, pipe.pos, pipe, list, elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private endControl(): Node {
    return new EndNode(this.expect(Item.RightDelim, 'end').pos);
  }

  private elseControl(): Node {
    const peek = this.peekNonSpace();
    if (peek.typ === Item.If || peek.typ === Item.With) return new ElseNode(peek.pos);
    return new ElseNode(this.expect(Item.RightDelim, 'else').pos);
  }

  private blockControl(): Node {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    const pipe = this.pipeline(context, Item.RightDelim);
    const block = new Tree(name, this.parseName, this.lex, this.treeSet);
    const [list, end] = block.itemList();
    block.root = list;
    if (end.kind !== 'end') this.errorf(`unexpected ${end.toString()} in ${context}`);
    block.add();
    return new TemplateNode(token.pos, name, pipe);
  }

  private templateControl(): Node {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== Item.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, Item.RightDelim);
    }
    return new TemplateNode(token.pos, name, pipe);
  }

  private parseTemplateName(token: Token, context: string): string {
    if (token.typ === Item.String || token.typ === Item.RawString) {
      const s = unquote(token.val);
      if (s === undefined) this.errorf('invalid syntax');
      return s;
    }
    return this.unexpected(token, context);
  }

  private command(): CommandNode {
    const cmd = new CommandNode(this.peekNonSpace().pos);
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.typ === Item.Space) continue;
      if (token.typ === Item.RightDelim || token.typ === Item.RightParen) this.backup();
      else if (token.typ !== Item.Pipe) this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): Node | null {
    let node = this.term();
    if (!node) return null;
    if (this.peek().typ === Item.Field) {
      const chain = new ChainNode(this.peek().pos, node);
      while (this.peek().typ === Item.Field) chain.add(this.next().val);
      switch (node.kind) {
        case 'field':
          node = new FieldNode(chain.pos, chain.toString());
          break;
        case 'variable':
          node = new VariableNode(chain.pos, chain.toString());
          break;
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.errorf(`unexpected . after term ${goQuote(node.toString())}`);
        // falls through (errorf never returns)
        default:
          node = chain;
      }
    }
    return node;
  }

  private term(): Node | null {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case Item.Identifier:
        if (!ESO_FUNCTION_NAMES.has(token.val)) this.errorf(`function ${goQuote(token.val)} not defined`);
        return new IdentifierNode(token.pos, token.val);
      case Item.Dot:
        return new DotNode(token.pos);
      case Item.Nil:
        return new NilNode(token.pos);
      case Item.Variable:
        return this.useVar(token.pos, token.val);
      case Item.Field:
        return new FieldNode(token.pos, token.val);
      case Item.Bool:
        return new BoolNode(token.pos, token.val === 'true');
      case Item.CharConstant:
      case Item.Complex:
      case Item.Number:
        try {
          return newNumber(token.pos, token.val, token.typ);
        } catch (error) {
          if (error instanceof SyntaxNumberError) this.errorf(error.message);
          throw error;
        }
      case Item.LeftParen: {
        if (this.stackDepth >= MAX_DEPTH) unsupported(`the template nests parentheses deeper than vaultgate's limit of ${MAX_DEPTH}`);
        this.stackDepth++;
        try {
          return this.pipeline('parenthesized pipeline', Item.RightParen);
        } finally {
          this.stackDepth--;
        }
      }
      case Item.String:
      case Item.RawString: {
        const s = unquote(token.val);
        if (s === undefined) this.errorf('invalid syntax');
        return new StringNode(token.pos, token.val, s);
      }
    }
    this.backup();
    return null;
  }

  private useVar(pos: number, name: string): Node {
    const v = new VariableNode(pos, name);
    if (this.vars.includes(v.ident[0] as string)) return v;
    return this.errorf(`undefined variable ${goQuote(v.ident[0] as string)}`);
  }
}

/** parse.Parse followed by Template.AddParseTree for each tree: name → root. */
function parseTemplateText(name: string, text: string): Map<string, ListNode> {
  const treeSet = new Map<string, Tree>();
  const lexer = new Lexer(text);
  const top = new Tree(name, name, lexer, treeSet);
  top.parse();
  top.add();
  const roots = new Map<string, ListNode>();
  for (const [treeName, tree] of treeSet) if (tree.root) roots.set(treeName, tree.root);
  return roots;
}

// ---------------------------------------------------------------------------------------
// text/template: the executor

/** Parameter and result types of template functions, as reflect names them. */
type GoParamType = 'string' | 'bool' | 'int' | 'int64' | 'float64' | 'interface {}' | 'reflect.Value' | MapType | SliceType;

interface GoFunc {
  /** Fixed parameters. */
  params: GoParamType[];
  /** Element type of a final ...T parameter. */
  variadic?: GoParamType;
  /** Go's and/or: evaluated lazily by the executor itself. */
  shortCircuit?: 'and' | 'or';
  /** The function, on arguments already converted to the parameter types. Throws FuncError for Go's error result (or panic). */
  impl: (args: Value[], ctx: CallContext) => Value;
}

interface CallContext {
  budget: Budget;
  /** For the "call" builtin: how the callee was written (Go names it in its error). */
  callee?: string;
}

interface Variable {
  name: string;
  value: Value;
}

/** reflect.Value.String(): a string's content, "<T Value>" for anything else. */
function reflectValueString(v: Value): string {
  if (v.t === 'invalid') return '<invalid Value>';
  if (v.t === 'string') return v.v;
  return `<${typeOf(v)} Value>`;
}

/** Control flow of {{break}} and {{continue}} (Go panics with sentinels). */
const WALK_BREAK = Symbol('break');
const WALK_CONTINUE = Symbol('continue');

const canBeNil = (typ: GoParamType) => typ === 'interface {}' || typ === 'reflect.Value' || typ.startsWith('map[') || typ.startsWith('[]');

/** reflect.Zero(typ) for the nillable types. */
function zeroOf(typ: GoParamType): Value {
  if (typ === 'reflect.Value') return INVALID;
  if (typ === 'interface {}') return iface(null);
  if (typ.startsWith('map[')) return { t: 'map', type: typ as MapType, v: new Map(), nil: true };
  return { t: 'slice', type: typ as SliceType, v: [], nil: true };
}

const assignable = (v: Concrete | Iface, typ: GoParamType) => typ === 'interface {}' || typeOf(v) === typ;

/** An interface{} argument: what the function sees of a value. */
function dynOf(v: Value): Dyn {
  if (v.t === 'invalid') return null;
  if (v.t === 'iface') return v.inner;
  return v;
}

/** The execution state: Go's state struct (one per template invocation). */
class State {
  private node: Node | null = null;

  constructor(
    private readonly tmpl: Parsed,
    private readonly name: string,
    private readonly out: Output,
    private readonly budget: Budget,
    private readonly vars: Variable[],
    private readonly depth: number,
  ) {}

  private at(node: Node): void {
    this.node = node;
  }

  errorf(message: string): never {
    // Go formats the location into a format string: a '%' in the name would be reinterpreted.
    if (this.tmpl.name.includes('%')) unsupported('a template name containing % garbles Go\'s error text');
    if (!this.node) throw new GoExecError(`template: ${this.name}: ${message}`);
    const text = this.tmpl.text.slice(0, this.node.pos);
    const lastNewline = text.lastIndexOf('\n');
    const byteNum = lastNewline === -1 ? this.node.pos : this.node.pos - (lastNewline + 1);
    const lineNum = 1 + countNewlines(text, 0, text.length);
    const location = `${this.tmpl.name}:${lineNum}:${byteNum}`;
    throw new GoExecError(`template: ${location}: executing ${goQuote(this.name)} at <${this.node.toString()}>: ${message}`);
  }

  // Variables ----------------------------------------------------------------------------

  private push(name: string, value: Value): void {
    this.vars.push({ name, value });
  }

  private setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: Value): void {
    (this.vars[this.vars.length - n] as Variable).value = value;
  }

  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) return v.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  // Walking ------------------------------------------------------------------------------

  walk(dot: Value, node: Node): void {
    this.at(node);
    this.budget.spend(1);
    switch (node.kind) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break':
        throw WALK_BREAK;
      case 'continue':
        throw WALK_CONTINUE;
      case 'comment':
        return;
      case 'branch':
        if (node.branch === 'range') return this.walkRange(dot, node);
        return this.walkIfOrWith(node.branch, dot, node.pipe, node.list, node.elseList);
      case 'list':
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case 'template':
        return this.walkTemplate(dot, node);
      case 'text':
        this.out.write(node.text);
        return;
      default:
        this.errorf(`unknown node: ${node.toString()}`);
    }
  }

  private walkIfOrWith(typ: 'if' | 'with', dot: Value, pipe: PipeNode, list: ListNode, elseList: ListNode | null): void {
    const mark = this.vars.length;
    try {
      const val = this.evalPipeline(dot, pipe);
      if (isTrue(indirectInterface(val))) this.walk(typ === 'with' ? val : dot, list);
      else if (elseList) this.walk(dot, elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private walkRange(dot: Value, r: BranchNode): void {
    this.at(r);
    const outerMark = this.vars.length;
    try {
      const val = indirectInterface(this.evalPipeline(dot, r.pipe));
      const mark = this.vars.length;
      const decl = r.pipe.decl;
      const oneIteration = (index: Value, elem: Value): void => {
        this.budget.spend(1);
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar((decl[0] as VariableNode).ident[0] as string, decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar((decl[1] as VariableNode).ident[0] as string, elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (signal) {
          if (signal !== WALK_CONTINUE) throw signal;
        } finally {
          this.vars.length = mark;
        }
      };
      let ran = false;
      switch (val.t) {
        case 'int':
        case 'int64':
        case 'uint8':
          if (decl.length > 1) this.errorf(`can't use ${sprintV(this.budget, val)} to iterate over more than one variable`);
          for (let i = 0n; i < val.v; i++) {
            ran = true;
            oneIteration(INVALID, { t: val.t, v: i });
          }
          break;
        case 'slice':
          ordered(val).forEach((element, i) => {
            ran = true;
            oneIteration(int(BigInt(i)), elementValue(val.type, element));
          });
          break;
        case 'map':
          for (const key of sortedKeys(val.v)) {
            ran = true;
            oneIteration(str(key), elementValue(val.type, val.v.get(key) ?? null));
          }
          break;
        case 'invalid':
          break;
        default:
          this.errorf(`range can't iterate over ${sprintV(this.budget, val)}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } catch (signal) {
      if (signal !== WALK_BREAK) throw signal;
    } finally {
      this.vars.length = outerMark;
    }
  }

  private walkTemplate(dot: Value, t: TemplateNode): void {
    this.at(t);
    const root = this.tmpl.trees.get(t.name);
    if (!root) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= MAX_DEPTH) unsupported(`the template calls templates deeper than vaultgate's limit of ${MAX_DEPTH}`);
    const newDot = this.evalPipeline(dot, t.pipe);
    const state = new State(this.tmpl, t.name, this.out, this.budget, [{ name: '$', value: newDot }], this.depth + 1);
    state.node = this.node;
    state.walk(newDot, root);
  }

  // Evaluation ---------------------------------------------------------------------------

  private evalPipeline(dot: Value, pipe: PipeNode | null): Value {
    if (!pipe) return INVALID;
    this.at(pipe);
    let value: Value | Missing = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // An interface{} result: dig down to what it holds.
      if (value.t === 'iface') value = value.inner ?? INVALID;
    }
    const result = value as Value;
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0] as string, result);
      else this.push(variable.ident[0] as string, result);
    }
    return result;
  }

  private notAFunction(args: Node[] | null, final: Value | Missing): void {
    if ((args !== null && args.length > 1) || !isMissing(final)) this.errorf(`can't give argument to non-function ${(args as Node[])[0]?.toString()}`);
  }

  private evalCommand(dot: Value, cmd: CommandNode, final: Value | Missing): Value {
    this.budget.spend(1);
    const firstWord = cmd.args[0] as Node;
    switch (firstWord.kind) {
      case 'field':
        return this.evalFieldNode(dot, firstWord, cmd.args, final);
      case 'chain':
        return this.evalChainNode(dot, firstWord, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, firstWord, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, firstWord);
      case 'variable':
        return this.evalVariableNode(dot, firstWord, cmd.args, final);
    }
    this.at(firstWord);
    this.notAFunction(cmd.args, final);
    switch (firstWord.kind) {
      case 'bool':
        return bool(firstWord.value);
      case 'dot':
        return dot;
      case 'nil':
        return this.errorf('nil is not a command');
      case 'number':
        return this.idealConstant(firstWord);
      case 'string':
        return str(firstWord.text);
    }
    return this.errorf(`can't evaluate command ${goQuote(firstWord.toString())}`);
  }

  private idealConstant(constant: NumberNode): Value {
    this.at(constant);
    const text = constant.text;
    const isHexInt = text.length > 2 && text[0] === '0' && (text[1] === 'x' || text[1] === 'X') && !/[pP]/.test(text);
    const isRuneInt = text[0] === "'";
    if (constant.isFloat && !isHexInt && !isRuneInt && /[.eEpP]/.test(text)) return float64(constant.float64);
    if (constant.isInt) return int(constant.int64);
    if (constant.isUint) this.errorf(`${text} overflows int`);
    return INVALID;
  }

  private evalFieldNode(dot: Value, field: FieldNode, args: Node[] | null, final: Value | Missing): Value {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: Value, chain: ChainNode, args: Node[] | null, final: Value | Missing): Value {
    this.at(chain);
    if (chain.field.length === 0) this.errorf('internal error: no fields in evalChainNode');
    if (chain.node.kind === 'nil') this.errorf(`indirection through explicit nil in ${chain.toString()}`);
    const pipe = this.evalArg(dot, null, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: Value, variable: VariableNode, args: Node[] | null, final: Value | Missing): Value {
    this.at(variable);
    const value = this.varValue(variable.ident[0] as string);
    if (variable.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: Value, receiver: Value, node: Node, ident: string[], args: Node[] | null, final: Value | Missing): Value {
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, ident[i] as string, node, null, MISSING, receiver);
    return this.evalField(dot, ident[n - 1] as string, node, args, final, receiver);
  }

  private evalField(_dot: Value, fieldName: string, _node: Node, args: Node[] | null, final: Value | Missing, receiver: Value): Value {
    if (receiver.t === 'invalid') {
      if (this.tmpl.missingKey === 'error') this.errorf(`nil data; no entry for key ${goQuote(fieldName)}`);
      return receiver;
    }
    const typ = typeOf(receiver);
    const inner = receiver.t === 'iface' ? receiver.inner : receiver;
    if (inner === null) return this.errorf(`nil pointer evaluating ${typ}.${fieldName}`);
    const hasArgs = (args !== null && args.length > 1) || !isMissing(final);
    if (inner.t === 'map') {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      if (!inner.v.has(fieldName)) {
        if (this.tmpl.missingKey === 'error') this.errorf(`map has no entry for key ${goQuote(fieldName)}`);
        return INVALID;
      }
      return elementValue(inner.type, inner.v.get(fieldName) ?? null);
    }
    return this.errorf(`can't evaluate field ${fieldName} in type ${typ}`);
  }

  private evalFunction(dot: Value, node: IdentifierNode, cmd: Node, args: Node[] | null, final: Value | Missing): Value {
    this.at(node);
    const name = node.ident;
    if (!ESO_FUNCTION_NAMES.has(name)) this.errorf(`${goQuote(name)} is not a defined function`);
    const fn = IMPLEMENTED.get(name);
    if (!fn) return unsupported(`template function ${name} is not supported by vaultgate`);
    return this.evalCall(dot, fn, cmd, name, args, final);
  }

  private evalCall(dot: Value, fn: GoFunc, node: Node, name: string, allArgs: Node[] | null, final: Value | Missing): Value {
    this.budget.spend(1);
    const args = allArgs ? allArgs.slice(1) : [];
    const numIn = args.length + (!isMissing(final) ? 1 : 0);
    let numFixed = args.length;
    if (fn.variadic) {
      numFixed = fn.params.length;
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${fn.params.length} got ${args.length}`);
    } else if (numIn !== fn.params.length) this.errorf(`wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);

    if (fn.shortCircuit) {
      let v: Value = INVALID;
      for (const arg of args) {
        v = this.evalArg(dot, 'reflect.Value', arg);
        if (isTrue(indirectInterface(v)) === (fn.shortCircuit === 'or')) return v;
      }
      if (!isMissing(final)) v = this.validateType(final, 'reflect.Value');
      return v;
    }

    const argv: Value[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv[i] = this.evalArg(dot, fn.params[i] as GoParamType, args[i] as Node);
    if (fn.variadic) for (; i < args.length; i++) argv[i] = this.evalArg(dot, fn.variadic, args[i] as Node);
    if (!isMissing(final)) {
      let t: GoParamType;
      if (fn.variadic) t = numIn - 1 < numFixed ? (fn.params[numIn - 1] as GoParamType) : fn.variadic;
      else t = fn.params[fn.params.length - 1] as GoParamType;
      argv[i] = this.validateType(final, t);
    }
    const paramType = (k: number): GoParamType => (k < fn.params.length ? (fn.params[k] as GoParamType) : (fn.variadic as GoParamType));
    // What the Go function receives: interface{} parameters see the boxed value.
    const received = argv.map((a, k) => (paramType(k) === 'interface {}' ? (dynOf(a) ?? INVALID) : a));
    const ctx: CallContext = { budget: this.budget };
    if (name === 'call') ctx.callee = args.length > 0 ? (args[0] as Node).toString() : reflectValueString(final as Value);
    try {
      return fn.impl(received, ctx);
    } catch (error) {
      if (error instanceof FuncError) {
        this.at(node);
        this.errorf(`error calling ${name}: ${error.message}`);
      }
      throw error;
    }
  }

  private validateType(value: Value, typ: GoParamType | null): Value {
    if (value.t === 'invalid') {
      if (typ === null) return INVALID;
      if (canBeNil(typ)) return zeroOf(typ);
      return this.errorf(`invalid value; expected ${typ}`);
    }
    if (typ === null || typ === 'reflect.Value' || assignable(value, typ)) return value;
    if (value.t === 'iface' && value.inner !== null) {
      if (assignable(value.inner, typ)) return value.inner;
      return this.errorf(`wrong type for value; expected ${typ}; got ${typeOf(value.inner)}`);
    }
    return this.errorf(`wrong type for value; expected ${typ}; got ${typeOf(value)}`);
  }

  private evalArg(dot: Value, typ: GoParamType | null, n: Node): Value {
    this.at(n);
    switch (n.kind) {
      case 'dot':
        return this.validateType(dot, typ);
      case 'nil':
        if (typ !== null && canBeNil(typ)) return zeroOf(typ);
        return this.errorf(`cannot assign nil to ${typ}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), typ);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), typ);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), typ);
    }
    switch (typ) {
      case 'bool':
        if (n.kind === 'bool') return bool(n.value);
        return this.errorf(`expected bool; found ${n.toString()}`);
      case 'float64':
        if (n.kind === 'number' && n.isFloat) return float64(n.float64);
        return this.errorf(`expected float; found ${n.toString()}`);
      case 'int':
      case 'int64':
        if (n.kind === 'number' && n.intDependsOnCpu) unsupported(`the number ${fromByteString(n.text)} converts to an integer differently on different CPUs`);
        if (n.kind === 'number' && n.isInt) return typ === 'int' ? int(n.int64) : int64(n.int64);
        return this.errorf(`expected integer; found ${n.toString()}`);
      case 'interface {}':
      case 'reflect.Value':
        return this.evalEmptyInterface(dot, n);
      case 'string':
        if (n.kind === 'string') return str(n.text);
        return this.errorf(`expected string; found ${n.toString()}`);
    }
    return this.errorf(`can't handle ${n.toString()} for arg of type ${typ}`);
  }

  private evalEmptyInterface(dot: Value, n: Node): Value {
    this.at(n);
    switch (n.kind) {
      case 'bool':
        return bool(n.value);
      case 'dot':
        return dot;
      case 'field':
        return this.evalFieldNode(dot, n, null, MISSING);
      case 'identifier':
        return this.evalFunction(dot, n, n, null, MISSING);
      case 'nil':
        return this.errorf("evalEmptyInterface: nil (can't happen)");
      case 'number':
        return this.idealConstant(n);
      case 'string':
        return str(n.text);
      case 'variable':
        return this.evalVariableNode(dot, n, null, MISSING);
      case 'pipe':
        return this.evalPipeline(dot, n);
    }
    return this.errorf(`can't handle assignment of ${n.toString()} to empty interface argument`);
  }

  private printValue(n: Node, v: Value): void {
    this.at(n);
    if (v.t === 'invalid') return this.out.write('<no value>');
    this.out.write(sprint(this.budget, [dynOf(v)]));
  }
}

// ---------------------------------------------------------------------------------------
// Functions: Go's builtins, sprig (ESO's fork, v3.3.0), ESO's own

/** Every name in ESO's FuncMap: what parses. Those not in IMPLEMENTED decline when called. */
const ESO_FUNCTION_NAMES: ReadonlySet<string> = new Set([
  // text/template builtins
  ...'and call html index slice js len not or print printf println urlquery eq ge gt le lt ne'.split(' '),
  // sprig.TxtFuncMap() without env and expandenv
  ...('abbrev abbrevboth add add1 add1f addf adler32sum ago all any append atoi b32dec b32enc b64dec b64enc base bcrypt biggest ' +
    'buildCustomCert camelcase cat ceil chunk clean coalesce compact concat contains date dateInZone dateModify date_in_zone ' +
    'date_modify decryptAES deepCopy deepEqual default derivePassword dict dig dir div divf duration durationRound empty ' +
    'encryptAES ext fail first float64 floor fromJson genCA genCAWithKey genPrivateKey genSelfSignedCert genSelfSignedCertWithKey ' +
    'genSignedCert genSignedCertWithKey get getHostByName has hasKey hasPrefix hasSuffix hello htmlDate htmlDateInZone htpasswd ' +
    'indent initial initials int int64 isAbs join kebabcase keys kindIs kindOf last list lower max maxf merge mergeOverwrite min ' +
    'minf mod mul mulf mustAppend mustChunk mustCompact mustDateModify mustDeepCopy mustFirst mustFromJson mustHas mustInitial ' +
    'mustLast mustMerge mustMergeOverwrite mustPrepend mustPush mustRegexFind mustRegexFindAll mustRegexMatch mustRegexReplaceAll ' +
    'mustRegexReplaceAllLiteral mustRegexSplit mustRest mustReverse mustSlice mustToDate mustToJson mustToPrettyJson mustToRawJson ' +
    'mustUniq mustWithout must_date_modify nindent nospace now omit osBase osClean osDir osExt osIsAbs pick pluck plural prepend ' +
    'push quote randAlpha randAlphaNum randAscii randBytes randInt randNumeric regexFind regexFindAll regexMatch regexQuoteMeta ' +
    'regexReplaceAll regexReplaceAllLiteral regexSplit repeat replace rest reverse round semver semverCompare seq set sha1sum ' +
    'sha256sum shuffle slice snakecase sortAlpha split splitList splitn squote sub subf substr swapcase ternary title toDate ' +
    'toDecimal toJson toPrettyJson toRawJson toString toStrings trim trimAll trimPrefix trimSuffix trimall trunc tuple typeIs ' +
    'typeIsLike typeOf uniq unixEpoch unset until untilStep untitle upper urlJoin urlParse uuidv4 values without wrap wrapWith').split(' '),
  // ESO's own (pkg/template/v2)
  ...('pkcs12key pkcs12keyPass pkcs12cert pkcs12certPass pemToPkcs12 pemToPkcs12Pass fullPemToPkcs12 fullPemToPkcs12Pass ' +
    'pemTruststoreToPKCS12 pemTruststoreToPKCS12Pass filterPEM filterCertChain jwkPublicKeyPem jwkPrivateKeyPem toYaml fromYaml ' +
    'getSecretKey rsaDecrypt').split(' '),
]);

/** Go's runtime error for a nil interface{} reaching reflect.TypeOf(x).Kind() (sprig's list functions). */
const NIL_DEREFERENCE = 'runtime error: invalid memory address or nil pointer dereference';

// Argument readers: the executor has already converted each argument to its parameter type.
const asString = (v: Value | undefined): string => (v as Extract<Concrete, { t: 'string' }>).v;
const asInt = (v: Value | undefined): bigint => (v as { v: bigint }).v;
const asBool = (v: Value | undefined): boolean => (v as Extract<Concrete, { t: 'bool' }>).v;
const asDyn = (v: Value | undefined): Dyn => (v === undefined || v.t === 'invalid' ? null : (v as Concrete));
const asMap = (v: Value | undefined) => v as Extract<Concrete, { t: 'map' }>;

/** A string result, charged to the budget by size. */
function strResult(ctx: CallContext, s: string): Concrete {
  ctx.budget.bytes(s.length);
  return str(s);
}

/** An int-typed argument used as a count or size: Go would allocate it; vaultgate caps it. */
function smallInt(v: bigint, what: string): number {
  if (v > BigInt(MAX_OUTPUT_BYTES) || v < -BigInt(MAX_OUTPUT_BYTES)) unsupported(`${what} ${v} is beyond vaultgate's limits`);
  return Number(v);
}

/** strings.Repeat(" ", n), with Go's panic for a negative count. */
function spaces(n: bigint): string {
  if (n < 0n) throw new FuncError('strings: negative Repeat count');
  return ' '.repeat(smallInt(n, 'an indent of'));
}

/** Decline strings that are not UTF-8 where Go's rune handling would need reproducing byte by byte. */
function requireUtf8(...values: string[]): void {
  if (!values.every(validUtf8)) unsupported('the template applies a text function to bytes that are not UTF-8');
}

// spf13/cast v1.10.0 ---------------------------------------------------------------------

/** cast's trimDecimal: "12.5" → "12" before ParseInt. */
function castTrimDecimal(s: string): string {
  if (!s.includes('.')) return s;
  const m = /^([-+]?[0-9]*)(\.[0-9]*)?$/.exec(s);
  if (!m) return s;
  const head = m[1] as string;
  if (head === '-' || head === '+') return `${head}0`;
  return head === '' ? '0' : head;
}

/** float64 → int64 as Go converts on amd64 and arm64 alike (in range only; otherwise the CPUs differ). */
function truncateFloat(f: number): bigint {
  if (!Number.isFinite(f) || f >= TWO_63 || f < -TWO_63) unsupported(`converting ${f} to an integer gives different results on different CPUs`);
  return BigInt(Math.trunc(f));
}

/** cast.ToInt64 / cast.ToInt (64-bit): errors become 0. */
function castToInt64(d: Dyn): bigint {
  if (d === null) return 0n;
  switch (d.t) {
    case 'int':
    case 'int64':
    case 'uint8':
      return d.v;
    case 'float64':
      return truncateFloat(d.v);
    case 'bool':
      return d.v ? 1n : 0n;
    case 'string': {
      if (d.v === '') return 0n;
      const parsed = parseInt64(castTrimDecimal(d.v), 0);
      return parsed.ok ? parsed.value : 0n;
    }
    default:
      return 0n;
  }
}

/** cast.ToFloat64: errors become 0. */
function castToFloat64(d: Dyn): number {
  if (d === null) return 0;
  switch (d.t) {
    case 'int':
    case 'int64':
    case 'uint8':
      return Number(d.v);
    case 'float64':
      return d.v;
    case 'bool':
      return d.v ? 1 : 0;
    case 'string': {
      if (d.v === '') return 0;
      const parsed = parseFloat64(d.v);
      return parsed.ok ? parsed.value : 0;
    }
    default:
      return 0;
  }
}

// sprig helpers ------------------------------------------------------------------------

/** sprig's strval: strings as they are, anything else through %v. */
function strval(ctx: CallContext, d: Dyn): string {
  if (d !== null && d.t === 'string') return d.v;
  return sprintV(ctx.budget, d);
}

/** sprig's strslice: a list's non-nil elements through strval; a scalar as a one-element list. */
function strslice(ctx: CallContext, d: Dyn): string[] {
  if (d === null) return [];
  if (d.t === 'slice') {
    if (d.type === '[]string') return ordered(d).map((e) => (e as Extract<Concrete, { t: 'string' }>).v);
    return ordered(d)
      .filter((e) => e !== null)
      .map((e) => strval(ctx, e));
  }
  return [strval(ctx, d)];
}

/** reflect.TypeOf(x).Kind() as sprig's list functions check it; nil is Go's nil dereference. */
function listKind(d: Dyn): string {
  if (d === null) throw new FuncError(NIL_DEREFERENCE);
  return kindName(d);
}

/** reflect.Kind.String(). */
function kindName(d: Dyn): string {
  if (d === null) return 'invalid';
  return d.t === 'map' ? 'map' : d.t === 'slice' ? 'slice' : d.t;
}

/** The elements of a slice argument as interface{} values, or sprig's error. */
function listItems(d: Dyn, fail: (kind: string) => string): Dyn[] {
  const kind = listKind(d);
  if (d === null || d.t !== 'slice') throw new FuncError(fail(kind));
  return ordered(d).slice();
}

const anyList = (items: Dyn[]): Concrete => sliceValue('[]interface {}', items);
const stringList = (items: string[]): Concrete => sliceValue('[]string', items.map(str));

/** reflect.DeepEqual on template values. */
function deepEqual(a: Dyn, b: Dyn, depth = 0): boolean {
  if (depth > MAX_DATA_DEPTH) unsupported(`the data nests deeper than vaultgate's limit of ${MAX_DATA_DEPTH}`);
  if (a === null || b === null) return a === b;
  if (a === b) return true;
  if (a.t !== b.t) return false;
  switch (a.t) {
    case 'map': {
      const bm = b as typeof a;
      if (a.type !== bm.type || Boolean(a.nil) !== Boolean(bm.nil) || a.v.size !== bm.v.size) return false;
      if (a.v === bm.v) return true;
      for (const [k, v] of a.v) {
        if (!bm.v.has(k) || !deepEqual(v, bm.v.get(k) ?? null, depth + 1)) return false;
      }
      return true;
    }
    case 'slice': {
      const bs = b as typeof a;
      if (a.type !== bs.type || Boolean(a.nil) !== Boolean(bs.nil) || a.v.length !== bs.v.length) return false;
      if (a.v === bs.v) return true;
      return ordered(a).every((v, i) => deepEqual(v, ordered(bs)[i] ?? null, depth + 1));
    }
    default:
      return a.v === (b as typeof a).v;
  }
}

/** s[lo:hi] in Go: the slice, or the runtime panic's text when out of range. */
function goSlice(s: string, lo: bigint | undefined, hi: bigint | undefined): string {
  const length = BigInt(s.length);
  if (hi !== undefined && hi < 0n) throw new FuncError(`runtime error: slice bounds out of range [:${hi}]`);
  if (hi !== undefined && hi > length) throw new FuncError(`runtime error: slice bounds out of range [:${hi}] with length ${length}`);
  const end = hi ?? length;
  if (lo !== undefined && lo < 0n) throw new FuncError(`runtime error: slice bounds out of range [${lo}:]`);
  if (lo !== undefined && lo > end) throw new FuncError(`runtime error: slice bounds out of range [${lo}:${end}]`);
  return s.slice(Number(lo ?? 0n), Number(end));
}

/** strings.Map with a per-rune mapping (invalid bytes become U+FFFD, as in Go). */
function mapRunes(s: string, mapping: (r: number) => number): string {
  let out = '';
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    out += encodeRune(mapping(r));
    i += w;
  }
  return out;
}

/** unicode.ToUpper / ToLower of one rune, where JavaScript's simple mapping is unambiguous. */
function caseRune(r: number, upper: boolean): number {
  if (r < 0x80) {
    if (upper && r >= 0x61 && r <= 0x7a) return r - 32;
    if (!upper && r >= 0x41 && r <= 0x5a) return r + 32;
    return r;
  }
  if (r === RUNE_ERROR) return r;
  const mapped = upper ? runeText(r).toUpperCase() : runeText(r).toLowerCase();
  const points = [...mapped];
  if (points.length !== 1) {
    // JavaScript applied a full (multi-character) mapping; Go applies the simple one.
    unsupported('the template changes the case of a character whose Go case mapping vaultgate does not reproduce');
  }
  return points[0]?.codePointAt(0) ?? r;
}

/** strings.ToUpper / ToLower. */
function changeCase(s: string, upper: boolean): string {
  if (/^[\x00-\x7f]*$/.test(s)) return upper ? s.toUpperCase() : s.toLowerCase();
  return mapRunes(s, (r) => caseRune(r, upper));
}

/** strings.Title: the first letter of each word to title case (deprecated in Go, still sprig's). */
function titleCase(s: string): string {
  const isSeparator = (r: number) => {
    if (r <= 0x7f) {
      if ((r >= 0x30 && r <= 0x39) || (r >= 0x61 && r <= 0x7a) || (r >= 0x41 && r <= 0x5a) || r === 0x5f) return false;
      return true;
    }
    if (isLetter(r) || isDigitRune(r)) return false;
    return isUnicodeSpace(r);
  };
  let prev = 0x20;
  return mapRunes(s, (r) => {
    const wasSeparator = isSeparator(prev);
    prev = r;
    if (!wasSeparator) return r;
    // Title case differs from upper case only for a few digraphs, which vaultgate declines.
    if ((r >= 0x1c4 && r <= 0x1cc) || (r >= 0x1f1 && r <= 0x1f3) || (r >= 0x10d0 && r <= 0x10ff)) unsupported('the template title-cases a character whose title case vaultgate does not reproduce');
    return caseRune(r, true);
  });
}

/** strings.Replace(s, old, new, -1). */
function replaceAll(s: string, old: string, repl: string): string {
  if (old === repl) return s;
  if (old !== '') return s.split(old).join(repl);
  // An empty old string matches at the start and after each rune.
  let out = repl;
  for (let i = 0; i < s.length; ) {
    const w = decodeRune(s, i)[1];
    out += s.slice(i, i + w) + repl;
    i += w;
  }
  return out;
}

/** strings.Split / SplitN (n < 0: all). */
function splitString(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const parts: string[] = [];
    for (let i = 0; i < s.length; ) {
      if (n > 0 && parts.length === n - 1) {
        parts.push(s.slice(i));
        break;
      }
      const w = decodeRune(s, i)[1];
      parts.push(s.slice(i, i + w));
      i += w;
    }
    return parts;
  }
  const all = s.split(sep);
  if (n < 0 || all.length <= n) return all;
  return [...all.slice(0, n - 1), all.slice(n - 1).join(sep)];
}

/** strings.Trim(s, cutset) (and TrimLeft/TrimRight). */
function trimCutset(s: string, cutset: string, left = true, right = true): string {
  requireUtf8(s, cutset);
  const set = new Set(runesOf(cutset));
  let start = 0;
  let end = s.length;
  if (left) {
    while (start < end) {
      const [r, w] = decodeRune(s, start);
      if (!set.has(r)) break;
      start += w;
    }
  }
  if (right) {
    while (end > start) {
      const [r, w] = decodeLastRune(s, end);
      if (!set.has(r)) break;
      end -= w;
    }
  }
  return s.slice(start, end);
}

/** goutils.DeleteWhiteSpace: byte by byte, each byte re-encoded as a rune (sic) once anything is dropped. */
function deleteWhiteSpace(s: string): string {
  if (s === '') return s;
  const isSpaceByte = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0x85 || b === 0xa0;
  let out = '';
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    if (!isSpaceByte(b)) {
      out += encodeRune(b);
      count++;
    }
  }
  return count === s.length ? s : out;
}

/** goutils.AbbreviateFull (errors, which sprig drops, give ""). */
function abbreviateFull(s: string, offset0: bigint, maxWidth: bigint): string {
  if (s === '') return '';
  if (maxWidth < 4n) return '';
  const len = BigInt(s.length);
  if (len <= maxWidth) return s;
  let offset = offset0 > len ? len : offset0;
  if (len - offset < maxWidth - 3n) offset = len - (maxWidth - 3n);
  if (offset <= 4n) return `${s.slice(0, Number(maxWidth - 3n))}...`;
  if (maxWidth < 7n) return '';
  if (offset + maxWidth - 3n < len) return `...${abbreviateFull(s.slice(Number(offset)), 0n, maxWidth - 3n)}`;
  return `...${s.slice(Number(len - (maxWidth - 3n)))}`;
}

/** goutils.Uncapitalize: the first letter of each space-separated word to lower case. */
function uncapitalize(s: string): string {
  if (s === '') return s;
  let next = true;
  return mapRunes(s, (r) => {
    if (isUnicodeSpace(r)) {
      next = true;
      return r;
    }
    if (!next) return r;
    next = false;
    return caseRune(r, false);
  });
}

const UPPER_LETTER = /^\p{Lu}$/u;
const LOWER_LETTER = /^\p{Ll}$/u;
const TITLE_LETTER = /^\p{Lt}$/u;

/** goutils.SwapCase: upper and title case to lower, lower to upper. */
function swapCase(s: string): string {
  if (s === '') return s;
  return mapRunes(s, (r) => {
    if (r === RUNE_ERROR) return r;
    const ch = runeText(r);
    if (UPPER_LETTER.test(ch) || TITLE_LETTER.test(ch)) return caseRune(r, false);
    if (LOWER_LETTER.test(ch)) return caseRune(r, true);
    return r;
  });
}

/** goutils.Initials: byte by byte (sic), the first byte of each word, written as a rune. */
function initials(s: string): string {
  if (s === '') return s;
  let out = '';
  let lastWasGap = true;
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    const space = b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0x85 || b === 0xa0;
    if (space) lastWasGap = true;
    else if (lastWasGap) {
      out += encodeRune(b);
      lastWasGap = false;
    }
  }
  return out;
}

/** sprig's seq: a range of ints printed space-separated. */
function seq(ctx: CallContext, params: bigint[]): string {
  const list = (start: bigint, end: bigint, step: bigint) => untilStep(ctx, start, end, step).join(' ');
  switch (params.length) {
    case 0:
      return '';
    case 1: {
      const end = params[0] as bigint;
      const increment = end < 1n ? -1n : 1n;
      return list(1n, end + increment, increment);
    }
    case 2: {
      const [start, end] = params as [bigint, bigint];
      const step = end < start ? -1n : 1n;
      return list(start, end + step, step);
    }
    case 3: {
      const [start, step, end] = params as [bigint, bigint, bigint];
      let increment = 1n;
      if (end < start) {
        increment = -1n;
        if (step > 0n) return '';
      }
      return list(start, end + increment, step);
    }
    default:
      return '';
  }
}

/** html/template's HTMLEscapeString (the text/template "html" builtin). */
function htmlEscape(s: string): string {
  return s.replace(/[\x00"'&<>]/g, (c) => ({ '\x00': '\xef\xbf\xbd', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string);
}

/** text/template's JSEscapeString. */
function jsEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const special = c === 0x5c || c === 0x27 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x3d || c < 0x20 || c >= 0x80;
    if (!special) {
      out += s[i];
      continue;
    }
    if (c < 0x80) {
      const named: Record<number, string> = { 0x5c: '\\\\', 0x27: "\\'", 0x22: '\\"', 0x3c: '\\u003C', 0x3e: '\\u003E', 0x26: '\\u0026', 0x3d: '\\u003D' };
      out += named[c] ?? `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`;
      continue;
    }
    const [r, w] = decodeRune(s, i);
    out += isPrint(r) ? s.slice(i, i + w) : `\\u${r.toString(16).toUpperCase().padStart(4, '0')}`;
    i += w - 1;
  }
  return out;
}

/** net/url's QueryEscape. */
function queryEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** text/template's evalArgs (html, js, urlquery): one string as it is, else Sprint with <no value> for nil. */
function evalArgs(ctx: CallContext, args: Value[]): string {
  if (args.length === 1 && args[0]?.t === 'string') return args[0].v;
  return sprint(
    ctx.budget,
    args.map((a) => (a.t === 'invalid' ? str('<no value>') : dynOf(a))),
  );
}

/** index's indexArg. */
function indexArg(index: Concrete | Invalid, cap: number): number {
  let x: bigint;
  if (index.t === 'int' || index.t === 'int64' || index.t === 'uint8') x = index.v;
  else if (index.t === 'invalid') throw new FuncError('cannot index slice/array with nil');
  else throw new FuncError(`cannot index slice/array with type ${typeOf(index)}`);
  if (x < 0n || x > BigInt(cap)) throw new FuncError(`index out of range: ${x}`);
  return Number(x);
}

/** The "index" builtin. */
function indexBuiltin(args: Value[]): Value {
  let item: Value = indirectInterface(args[0] as Value);
  if (item.t === 'invalid') throw new FuncError('index of untyped nil');
  for (const raw of args.slice(1)) {
    const index = indirectInterface(raw);
    if (item.t === 'iface') {
      if (item.inner === null) throw new FuncError('index of nil pointer');
      item = item.inner;
    }
    const current: Concrete = item as Concrete;
    switch (current.t) {
      case 'slice': {
        const x = indexArg(index, current.v.length);
        if (x === current.v.length) throw new FuncError('reflect: slice index out of range');
        item = elementValue(current.type, ordered(current)[x] ?? null);
        break;
      }
      case 'string': {
        const x = indexArg(index, current.v.length);
        if (x === current.v.length) throw new FuncError('reflect: string index out of range');
        item = { t: 'uint8', v: BigInt(current.v.charCodeAt(x)) };
        break;
      }
      case 'map': {
        if (index.t === 'invalid') throw new FuncError('value is nil; should be of type string');
        if (index.t !== 'string') throw new FuncError(`value has type ${typeOf(index)}; should be string`);
        const element = current.v.get(index.v);
        if (current.v.has(index.v)) item = elementValue(current.type, element ?? null);
        else item = current.type === 'map[string]string' ? str('') : iface(null);
        break;
      }
      default:
        throw new FuncError(`can't index item of type ${typeOf(current)}`);
    }
  }
  return item;
}

/** The "len" builtin. */
function lenBuiltin(args: Value[]): Value {
  let item = args[0] as Value;
  if (item.t === 'iface') {
    if (item.inner === null) throw new FuncError('len of nil pointer');
    item = item.inner;
  }
  switch (item.t) {
    case 'string':
      return int(BigInt(item.v.length));
    case 'map':
      return int(BigInt(item.v.size));
    case 'slice':
      return int(BigInt(item.v.length));
    case 'invalid':
      throw new FuncError('reflect: call of reflect.Value.Type on zero Value');
    default:
      throw new FuncError(`len of type ${typeOf(item)}`);
  }
}

const isNilValue = (v: Concrete | Invalid) => v.t === 'invalid' || ((v.t === 'map' || v.t === 'slice') && Boolean(v.nil));

/** The "eq" builtin: arg1 == any of the others. */
function eqBuiltin(ctx: CallContext, args: Value[]): boolean {
  const arg1 = indirectInterface(args[0] as Value);
  if (args.length < 2) throw new FuncError('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const raw of args.slice(1)) {
    const arg = indirectInterface(raw);
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (k1 === 'int' && k2 === 'uint') truth = (arg1 as { v: bigint }).v >= 0n && (arg1 as { v: bigint }).v === (arg as { v: bigint }).v;
      else if (k1 === 'uint' && k2 === 'int') truth = (arg as { v: bigint }).v >= 0n && (arg1 as { v: bigint }).v === (arg as { v: bigint }).v;
      else if (arg1.t !== 'invalid' && arg.t !== 'invalid') throw new FuncError(`incompatible types for comparison: ${typeOf(arg1 as Concrete)} and ${typeOf(arg as Concrete)}`);
    } else if (k1 === 'invalid') {
      const sameKind = arg1.t === arg.t;
      if (!sameKind && arg1.t !== 'invalid' && arg.t !== 'invalid') {
        throw new FuncError(`non-comparable types ${sprintf(ctx.budget, '%s', [dynOf(arg1)])}: ${typeOf(arg1 as Concrete)}, ${typeOf(arg as Concrete)}: ${sprintV(ctx.budget, dynOf(arg))}`);
      }
      if (isNilValue(arg1) || isNilValue(arg)) truth = isNilValue(arg) === isNilValue(arg1);
      else throw new FuncError(`non-comparable type ${sprintf(ctx.budget, '%s', [dynOf(arg)])}: ${typeOf(arg as Concrete)}`);
    } else {
      truth = (arg1 as { v: unknown }).v === (arg as { v: unknown }).v;
    }
    if (truth) return true;
  }
  return false;
}

/** The "lt" builtin. */
function ltBuiltin(a: Value, b: Value): boolean {
  const arg1 = indirectInterface(a);
  const k1 = basicKind(arg1);
  if (k1 === 'invalid') throw new FuncError('invalid type for comparison');
  const arg2 = indirectInterface(b);
  const k2 = basicKind(arg2);
  if (k2 === 'invalid') throw new FuncError('invalid type for comparison');
  const v1 = (arg1 as { v: bigint | number | string | boolean }).v;
  const v2 = (arg2 as { v: bigint | number | string | boolean }).v;
  if (k1 !== k2) {
    if (k1 === 'int' && k2 === 'uint') return (v1 as bigint) < 0n || (v1 as bigint) < (v2 as bigint);
    if (k1 === 'uint' && k2 === 'int') return (v2 as bigint) >= 0n && (v1 as bigint) < (v2 as bigint);
    throw new FuncError(`incompatible types for comparison: ${typeOf(arg1 as Concrete)} and ${typeOf(arg2 as Concrete)}`);
  }
  if (k1 === 'bool') throw new FuncError('invalid type for comparison');
  return v1 < v2;
}


/** A builtin or sprig function with the given signature. */
function fn(params: GoParamType[], impl: GoFunc['impl'], variadic?: GoParamType): GoFunc {
  return variadic ? { params, variadic, impl } : { params, impl };
}

const S: GoParamType = 'string';
const I: GoParamType = 'int';
const A: GoParamType = 'interface {}';
const R: GoParamType = 'reflect.Value';
const D: GoParamType = 'map[string]interface {}';

/** sprig's split/splitn result: map[string]string with keys _0, _1, ... */
const splitMap = (parts: string[]): Concrete =>
  mapValue(
    'map[string]string',
    new Map(parts.map((p, i) => [`_${i}`, str(p)])),
  );

/** sprig's untilStep. */
function untilStep(ctx: CallContext, start: bigint, stop: bigint, step: bigint): bigint[] {
  const out: bigint[] = [];
  if (stop < start) {
    if (step >= 0n) return out;
    for (let i = start; i > stop; i += step) {
      ctx.budget.spend(1);
      if (out.length >= MAX_OUTPUT_BYTES) unsupported("the list is longer than vaultgate's limit");
      out.push(i);
    }
    return out;
  }
  if (step <= 0n) return out;
  for (let i = start; i < stop; i += step) {
    ctx.budget.spend(1);
    if (out.length >= MAX_OUTPUT_BYTES) unsupported("the list is longer than vaultgate's limit");
    out.push(i);
  }
  return out;
}

const intList = (values: bigint[]): Concrete => sliceValue('[]int', values.map(int));

/** Go's integer division and remainder on int64, with Go's divide-by-zero panic. */
function divide(a: bigint, b: bigint, remainder: boolean): bigint {
  if (b === 0n) throw new FuncError('runtime error: integer divide by zero');
  if (a === INT64_MIN && b === -1n) return remainder ? 0n : INT64_MIN;
  return remainder ? a % b : a / b;
}

/** math.Max / math.Min with Go's special cases. */
function goMax(x: number, y: number): number {
  if (x === Infinity || y === Infinity) return Infinity;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === 0 && x === y) return Object.is(x, -0) ? y : x;
  return x > y ? x : y;
}

function goMin(x: number, y: number): number {
  if (x === -Infinity || y === -Infinity) return -Infinity;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === 0 && x === y) return Object.is(x, -0) ? x : y;
  return x < y ? x : y;
}

/** path.Base. */
function pathBase(p: string): string {
  if (p === '') return '.';
  while (p.length > 0 && p.endsWith('/')) p = p.slice(0, -1);
  const i = p.lastIndexOf('/');
  if (i >= 0) p = p.slice(i + 1);
  return p === '' ? '/' : p;
}

/** path.Dir. */
function pathDir(p: string): string {
  const i = p.lastIndexOf('/');
  return cleanPath(p.slice(0, i + 1));
}

/** path.Ext. */
function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

/** sprig's regexMatch through vaultgate's Go regexp; undefined when Go's answer is the compile error. */
function regexpMatch(pattern: string, input: string): { match: boolean } | { error: string } {
  requireUtf8(pattern, input);
  const compiled = compileGoRegexp(fromByteString(pattern));
  if (!compiled.ok) {
    if (compiled.unsupported) unsupported(compiled.error);
    return { error: toByteString(compiled.error) };
  }
  const matched = matchGoRegexp(compiled.matcher, fromByteString(input));
  if (!matched.ok) return unsupported(matched.error);
  return { match: matched.match };
}

/** hash/adler32. */
function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    a = (a + s.charCodeAt(i)) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function hexDigest(algorithm: 'sha1' | 'sha256', s: string): string {
  return createHash(algorithm).update(byteStringToBytes(s)).digest('hex');
}

const IMPLEMENTED: ReadonlyMap<string, GoFunc> = new Map<string, GoFunc>([
  // text/template builtins ---------------------------------------------------------------
  ['and', { params: [R], variadic: R, shortCircuit: 'and', impl: () => INVALID }],
  ['or', { params: [R], variadic: R, shortCircuit: 'or', impl: () => INVALID }],
  ['not', fn([R], ([a]) => bool(!isTrue(indirectInterface(a as Value))))],
  ['len', fn([R], lenBuiltin)],
  ['index', fn([R], indexBuiltin, R)],
  ['print', fn([], (args, ctx) => str(sprint(ctx.budget, args.map(dynOf))), A)],
  ['printf', fn([S], ([format, ...args], ctx) => str(sprintf(ctx.budget, asString(format), args.map(dynOf))), A)],
  ['println', fn([], (args, ctx) => str(sprintln(ctx.budget, args.map(dynOf))), A)],
  ['html', fn([], (args, ctx) => strResult(ctx, htmlEscape(evalArgs(ctx, args))), A)],
  ['js', fn([], (args, ctx) => strResult(ctx, jsEscape(evalArgs(ctx, args))), A)],
  ['urlquery', fn([], (args, ctx) => strResult(ctx, queryEscape(evalArgs(ctx, args))), A)],
  ['call', fn([R], ([f], ctx) => {
    // A template holds no function values: calling anything fails as Go's call does.
    const callee = indirectInterface(f as Value);
    if (callee.t === 'invalid') throw new FuncError('call of nil');
    throw new FuncError(`non-function ${ctx.callee ?? ''} of type ${typeOf(callee)}`);
  }, R)],
  ['eq', fn([R], (args, ctx) => bool(eqBuiltin(ctx, args)), R)],
  ['ne', fn([R, R], (args, ctx) => bool(!eqBuiltin(ctx, args)))],
  ['lt', fn([R, R], ([a, b]) => bool(ltBuiltin(a as Value, b as Value)))],
  ['le', fn([R, R], ([a, b], ctx) => bool(ltBuiltin(a as Value, b as Value) || eqBuiltin(ctx, [a as Value, b as Value])))],
  ['gt', fn([R, R], ([a, b], ctx) => bool(!(ltBuiltin(a as Value, b as Value) || eqBuiltin(ctx, [a as Value, b as Value]))))],
  ['ge', fn([R, R], ([a, b]) => bool(!ltBuiltin(a as Value, b as Value)))],

  // sprig: strings -----------------------------------------------------------------------
  ['hello', fn([], () => str('Hello!'))],
  ['trunc', fn([I, S], ([c, s]) => {
    const n = asInt(c);
    const text = asString(s);
    const len = BigInt(text.length);
    if (n < 0n && len + n > 0n) return str(text.slice(Number(len + n)));
    if (n >= 0n && len > n) return str(text.slice(0, Number(n)));
    return str(text);
  })],
  ['trim', fn([S], ([s]) => str(trimSpace(asString(s))))],
  ['abbrev', fn([I, S], ([width, s]) => {
    const w = asInt(width);
    return str(w < 4n ? asString(s) : abbreviateFull(asString(s), 0n, w));
  })],
  ['abbrevboth', fn([I, I, S], ([left, right, s]) => {
    const l = asInt(left);
    const r = asInt(right);
    return str(r < 4n || (l > 0n && r < 7n) ? asString(s) : abbreviateFull(asString(s), l, r));
  })],
  ['untitle', fn([S], ([s], ctx) => strResult(ctx, uncapitalize(asString(s))))],
  ['swapcase', fn([S], ([s], ctx) => strResult(ctx, swapCase(asString(s))))],
  ['initials', fn([S], ([s], ctx) => strResult(ctx, initials(asString(s))))],
  ['upper', fn([S], ([s], ctx) => strResult(ctx, changeCase(asString(s), true)))],
  ['lower', fn([S], ([s], ctx) => strResult(ctx, changeCase(asString(s), false)))],
  ['title', fn([S], ([s], ctx) => strResult(ctx, titleCase(asString(s))))],
  ['substr', fn([I, I, S], ([start, end, s]) => {
    const a = asInt(start);
    const b = asInt(end);
    const text = asString(s);
    if (a < 0n) return str(goSlice(text, undefined, b));
    if (b < 0n || b > BigInt(text.length)) return str(goSlice(text, a, undefined));
    return str(goSlice(text, a, b));
  })],
  ['repeat', fn([I, S], ([count, s], ctx) => {
    const n = asInt(count);
    if (n < 0n) throw new FuncError('strings: negative Repeat count');
    const text = asString(s);
    if (text.length > 0) ctx.budget.bytes(Number(BigInt(text.length) * n > BigInt(MAX_OUTPUT_BYTES) * 2n ? BigInt(MAX_OUTPUT_BYTES) * 2n : BigInt(text.length) * n));
    return str(text.repeat(text.length === 0 ? 0 : Number(n)));
  })],
  ['trimall', fn([S, S], ([a, b]) => str(trimCutset(asString(b), asString(a))))],
  ['trimAll', fn([S, S], ([a, b]) => str(trimCutset(asString(b), asString(a))))],
  ['trimSuffix', fn([S, S], ([a, b]) => str(asString(b).endsWith(asString(a)) ? asString(b).slice(0, asString(b).length - asString(a).length) : asString(b)))],
  ['trimPrefix', fn([S, S], ([a, b]) => str(asString(b).startsWith(asString(a)) ? asString(b).slice(asString(a).length) : asString(b)))],
  ['nospace', fn([S], ([s], ctx) => strResult(ctx, deleteWhiteSpace(asString(s))))],
  ['contains', fn([S, S], ([sub, s]) => bool(asString(s).includes(asString(sub))))],
  ['hasPrefix', fn([S, S], ([sub, s]) => bool(asString(s).startsWith(asString(sub))))],
  ['hasSuffix', fn([S, S], ([sub, s]) => bool(asString(s).endsWith(asString(sub))))],
  ['quote', fn([], (args, ctx) => strResult(ctx, args.map(asDyn).filter((d) => d !== null).map((d) => goQuote(strval(ctx, d))).join(' ')), A)],
  ['squote', fn([], (args, ctx) => strResult(ctx, args.map(asDyn).filter((d) => d !== null).map((d) => `'${sprintV(ctx.budget, d)}'`).join(' ')), A)],
  ['cat', fn([], (args, ctx) => {
    const present = args.map(asDyn).filter((d) => d !== null);
    return strResult(ctx, sprintf(ctx.budget, '%v '.repeat(present.length).trim(), present));
  }, A)],
  ['indent', fn([I, S], ([n, s], ctx) => {
    const pad = spaces(asInt(n));
    return strResult(ctx, pad + replaceAll(asString(s), '\n', `\n${pad}`));
  })],
  ['nindent', fn([I, S], ([n, s], ctx) => {
    const pad = spaces(asInt(n));
    return strResult(ctx, `\n${pad}${replaceAll(asString(s), '\n', `\n${pad}`)}`);
  })],
  ['replace', fn([S, S, S], ([old, repl, src], ctx) => strResult(ctx, replaceAll(asString(src), asString(old), asString(repl))))],
  ['plural', fn([S, S, I], ([one, many, count]) => str(asInt(count) === 1n ? asString(one) : asString(many)))],
  ['sha1sum', fn([S], ([s]) => str(hexDigest('sha1', asString(s))))],
  ['sha256sum', fn([S], ([s]) => str(hexDigest('sha256', asString(s))))],
  ['adler32sum', fn([S], ([s]) => str(String(adler32(asString(s)))))],
  ['toString', fn([A], ([v], ctx) => str(strval(ctx, asDyn(v))))],
  ['atoi', fn([S], ([s]) => int(atoi(asString(s)).value))],
  ['int64', fn([A], ([v]) => int64(castToInt64(asDyn(v))))],
  ['int', fn([A], ([v]) => int(castToInt64(asDyn(v))))],
  ['float64', fn([A], ([v]) => float64(castToFloat64(asDyn(v))))],
  ['toDecimal', fn([A], ([v], ctx) => {
    const parsed = parseInt64(sprint(ctx.budget, [asDyn(v)]), 8);
    return int64(parsed.ok ? parsed.value : 0n);
  })],
  ['split', fn([S, S], ([sep, orig]) => splitMap(splitString(asString(orig), asString(sep), -1)))],
  ['splitList', fn([S, S], ([sep, orig]) => stringList(splitString(asString(orig), asString(sep), -1)))],
  ['splitn', fn([S, I, S], ([sep, n, orig]) => splitMap(splitString(asString(orig), asString(sep), asInt(n) > 1_000_000n ? -1 : Number(asInt(n)))))],
  ['toStrings', fn([A], ([v], ctx) => stringList(strslice(ctx, asDyn(v))))],
  ['join', fn([S, A], ([sep, v], ctx) => strResult(ctx, strslice(ctx, asDyn(v)).join(asString(sep))))],
  ['sortAlpha', fn([A], ([v], ctx) => {
    const d = asDyn(v);
    if (d !== null && d.t === 'slice') return stringList(strslice(ctx, { ...d, unordered: false }).sort(compareBytes));
    return stringList([strval(ctx, d)]);
  })],
  ['b64enc', fn([S], ([s], ctx) => strResult(ctx, base64EncodeToString('std', byteStringToBytes(asString(s)))))],
  ['b64dec', fn([S], ([s], ctx) => {
    const decoded = base64DecodeString('std', byteStringToBytes(asString(s)));
    return strResult(ctx, decoded.ok ? bytesToByteString(decoded.value) : decoded.error);
  })],
  ['b32enc', fn([S], ([s], ctx) => strResult(ctx, base32EncodeToString(byteStringToBytes(asString(s)))))],
  ['b32dec', fn([S], ([s], ctx) => {
    const decoded = base32DecodeString(byteStringToBytes(asString(s)));
    return strResult(ctx, decoded.ok ? bytesToByteString(decoded.value) : decoded.error);
  })],
  ['fail', fn([S], ([msg]) => {
    throw new FuncError(asString(msg));
  })],
  ['regexMatch', fn([S, S], ([re, s]) => {
    const result = regexpMatch(asString(re), asString(s));
    return bool('match' in result && result.match);
  })],
  ['mustRegexMatch', fn([S, S], ([re, s]) => {
    const result = regexpMatch(asString(re), asString(s));
    if ('error' in result) throw new FuncError(result.error);
    return bool(result.match);
  })],

  // sprig: arithmetic ----------------------------------------------------------------------
  ['add1', fn([A], ([a]) => int64(castToInt64(asDyn(a)) + 1n))],
  ['add', fn([], (args) => int64(args.reduce((sum, a) => BigInt.asIntN(64, sum + castToInt64(asDyn(a))), 0n)), A)],
  ['sub', fn([A, A], ([a, b]) => int64(castToInt64(asDyn(a)) - castToInt64(asDyn(b))))],
  ['div', fn([A, A], ([a, b]) => int64(divide(castToInt64(asDyn(a)), castToInt64(asDyn(b)), false)))],
  ['mod', fn([A, A], ([a, b]) => int64(divide(castToInt64(asDyn(a)), castToInt64(asDyn(b)), true)))],
  ['mul', fn([A], ([a, ...rest]) => int64(rest.reduce((product, b) => BigInt.asIntN(64, product * castToInt64(asDyn(b))), castToInt64(asDyn(a)))), A)],
  ['max', fn([A], ([a, ...rest]) => int64(rest.reduce((m, b) => { const v = castToInt64(asDyn(b)); return v > m ? v : m; }, castToInt64(asDyn(a)))), A)],
  ['biggest', fn([A], ([a, ...rest]) => int64(rest.reduce((m, b) => { const v = castToInt64(asDyn(b)); return v > m ? v : m; }, castToInt64(asDyn(a)))), A)],
  ['min', fn([A], ([a, ...rest]) => int64(rest.reduce((m, b) => { const v = castToInt64(asDyn(b)); return v < m ? v : m; }, castToInt64(asDyn(a)))), A)],
  ['maxf', fn([A], ([a, ...rest]) => float64(rest.reduce((m, b) => goMax(m, castToFloat64(asDyn(b))), castToFloat64(asDyn(a)))), A)],
  ['minf', fn([A], ([a, ...rest]) => float64(rest.reduce((m, b) => goMin(m, castToFloat64(asDyn(b))), castToFloat64(asDyn(a)))), A)],
  ['floor', fn([A], ([a]) => float64(Math.floor(castToFloat64(asDyn(a)))))],
  ['ceil', fn([A], ([a]) => float64(Math.ceil(castToFloat64(asDyn(a)))))],
  ['round', fn([A, I], ([a, p, ...rOpt]) => {
    const places = asInt(p);
    // math.Pow(10, p) is exact for these in Go and JavaScript alike.
    if (places < 0n || places > 15n) unsupported(`round to ${places} places is not supported by vaultgate`);
    const roundOn = rOpt.length > 0 ? (rOpt[0] as { v: number }).v : 0.5;
    const pow = 10 ** Number(places);
    const digit = pow * castToFloat64(asDyn(a));
    const fraction = Number.isFinite(digit) ? digit - Math.trunc(digit) : Number.isNaN(digit) ? NaN : 0;
    return float64((fraction >= roundOn ? Math.ceil(digit) : Math.floor(digit)) / pow);
  }, 'float64')],
  ['seq', fn([], (params, ctx) => str(seq(ctx, params.map(asInt))), I)],
  ['until', fn([I], ([count], ctx) => {
    const n = asInt(count);
    return intList(untilStep(ctx, 0n, n, n < 0n ? -1n : 1n));
  })],
  ['untilStep', fn([I, I, I], ([start, stop, step], ctx) => intList(untilStep(ctx, asInt(start), asInt(stop), asInt(step))))],

  // sprig: defaults, JSON, flow --------------------------------------------------------------
  ['default', fn([A], ([d, ...given]) => {
    const first = given.length > 0 ? asDyn(given[0]) : null;
    return iface(given.length === 0 || isEmpty(first) ? asDyn(d) : first);
  }, A)],
  ['empty', fn([A], ([g]) => bool(isEmpty(asDyn(g))))],
  ['coalesce', fn([], (args) => iface(args.map(asDyn).find((d) => !isEmpty(d)) ?? null), A)],
  ['all', fn([], (args) => bool(args.every((a) => !isEmpty(asDyn(a)))), A)],
  ['any', fn([], (args) => bool(args.some((a) => !isEmpty(asDyn(a)))), A)],
  ['ternary', fn([A, A, 'bool'], ([vt, vf, v]) => iface(asBool(v) ? asDyn(vt) : asDyn(vf)))],
  ['fromJson', fn([S], ([s], ctx) => iface(jsonUnmarshal(ctx, asString(s)).value))],
  ['mustFromJson', fn([S], ([s], ctx) => {
    const result = jsonUnmarshal(ctx, asString(s));
    if (result.error !== undefined) throw new FuncError(result.error);
    return iface(result.value);
  })],
  ['toJson', fn([A], ([v], ctx) => {
    const result = jsonMarshal(ctx, asDyn(v), { escapeHTML: true, indent: false });
    return strResult(ctx, typeof result === 'string' ? result : '');
  })],
  ['mustToJson', fn([A], ([v], ctx) => {
    const result = jsonMarshal(ctx, asDyn(v), { escapeHTML: true, indent: false });
    if (typeof result !== 'string') throw new FuncError(result.error);
    return strResult(ctx, result);
  })],
  ['toPrettyJson', fn([A], ([v], ctx) => {
    const result = jsonMarshal(ctx, asDyn(v), { escapeHTML: true, indent: true });
    return strResult(ctx, typeof result === 'string' ? result : '');
  })],
  ['mustToPrettyJson', fn([A], ([v], ctx) => {
    const result = jsonMarshal(ctx, asDyn(v), { escapeHTML: true, indent: true });
    if (typeof result !== 'string') throw new FuncError(result.error);
    return strResult(ctx, result);
  })],
  ['toRawJson', fn([A], ([v], ctx) => {
    const result = jsonMarshal(ctx, asDyn(v), { escapeHTML: false, indent: false });
    if (typeof result !== 'string') throw new FuncError(result.error);
    return strResult(ctx, result);
  })],
  ['mustToRawJson', fn([A], ([v], ctx) => {
    const result = jsonMarshal(ctx, asDyn(v), { escapeHTML: false, indent: false });
    if (typeof result !== 'string') throw new FuncError(result.error);
    return strResult(ctx, result);
  })],

  // sprig: reflection -------------------------------------------------------------------------
  ['typeOf', fn([A], ([v]) => str(dynTypeName(asDyn(v))))],
  ['typeIs', fn([S, A], ([target, v]) => bool(asString(target) === dynTypeName(asDyn(v))))],
  ['typeIsLike', fn([S, A], ([target, v]) => {
    const t = dynTypeName(asDyn(v));
    return bool(asString(target) === t || `*${asString(target)}` === t);
  })],
  ['kindOf', fn([A], ([v]) => str(kindName(asDyn(v))))],
  ['kindIs', fn([S, A], ([target, v]) => bool(asString(target) === kindName(asDyn(v))))],
  ['deepEqual', fn([A, A], ([a, b]) => bool(deepEqual(asDyn(a), asDyn(b))))],

  // sprig: paths (filepath is path on Linux, where ESO runs) ----------------------------------
  ...(['base', 'osBase'] as const).map((name): [string, GoFunc] => [name, fn([S], ([p]) => str(pathBase(asString(p))))]),
  ...(['dir', 'osDir'] as const).map((name): [string, GoFunc] => [name, fn([S], ([p]) => str(pathDir(asString(p))))]),
  ...(['clean', 'osClean'] as const).map((name): [string, GoFunc] => [name, fn([S], ([p]) => str(cleanPath(asString(p))))]),
  ...(['ext', 'osExt'] as const).map((name): [string, GoFunc] => [name, fn([S], ([p]) => str(pathExt(asString(p))))]),
  ...(['isAbs', 'osIsAbs'] as const).map((name): [string, GoFunc] => [name, fn([S], ([p]) => bool(asString(p).startsWith('/')))]),

  // sprig: lists ----------------------------------------------------------------------------------
  ['list', fn([], (args) => anyList(args.map(asDyn)), A)],
  ['tuple', fn([], (args) => anyList(args.map(asDyn)), A)],
  ...(['append', 'push', 'mustAppend', 'mustPush'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A, A], ([l, v]) => anyList([...listItems(asDyn(l), (k) => `Cannot push on type ${k}`), asDyn(v)])),
  ]),
  ...(['prepend', 'mustPrepend'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A, A], ([l, v]) => anyList([asDyn(v), ...listItems(asDyn(l), (k) => `Cannot prepend on type ${k}`)])),
  ]),
  ...(['first', 'mustFirst'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A], ([l]) => iface(listItems(asDyn(l), (k) => `Cannot find first on type ${k}`)[0] ?? null)),
  ]),
  ...(['last', 'mustLast'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A], ([l]) => iface(listItems(asDyn(l), (k) => `Cannot find last on type ${k}`).at(-1) ?? null)),
  ]),
  ...(['rest', 'mustRest'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A], ([l]) => {
      const items = listItems(asDyn(l), (k) => `Cannot find rest on type ${k}`);
      return items.length === 0 ? { t: 'slice', type: '[]interface {}', v: [], nil: true } : anyList(items.slice(1));
    }),
  ]),
  ...(['initial', 'mustInitial'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A], ([l]) => {
      const items = listItems(asDyn(l), (k) => `Cannot find initial on type ${k}`);
      return items.length === 0 ? { t: 'slice', type: '[]interface {}', v: [], nil: true } : anyList(items.slice(0, -1));
    }),
  ]),
  ...(['reverse', 'mustReverse'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A], ([l]) => anyList(listItems(asDyn(l), (k) => `Cannot find reverse on type ${k}`).reverse())),
  ]),
  ...(['compact', 'mustCompact'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A], ([l]) => anyList(listItems(asDyn(l), (k) => `Cannot compact on type ${k}`).filter((d) => !isEmpty(d)))),
  ]),
  ...(['uniq', 'mustUniq'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A], ([l]) => {
      const out: Dyn[] = [];
      for (const item of listItems(asDyn(l), (k) => `Cannot find uniq on type ${k}`)) if (!out.some((o) => deepEqual(item, o))) out.push(item);
      return anyList(out);
    }),
  ]),
  ...(['without', 'mustWithout'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A], ([l, ...omit]) => {
      const omitted = omit.map(asDyn);
      return anyList(listItems(asDyn(l), (k) => `Cannot find without on type ${k}`).filter((item) => !omitted.some((o) => deepEqual(item, o))));
    }, A),
  ]),
  ...(['has', 'mustHas'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A, A], ([needle, haystack]) => {
      const h = asDyn(haystack);
      if (h === null) return bool(false);
      // Membership does not depend on order: keys and values may answer it.
      const items = h.t === 'slice' ? h.v : listItems(h, (k) => `Cannot find has on type ${k}`);
      return bool(items.some((item) => deepEqual(asDyn(needle), item)));
    }),
  ]),
  ...(['slice', 'mustSlice'] as const).map((name): [string, GoFunc] => [
    name,
    fn([A], ([l, ...indices]) => {
      const d = asDyn(l);
      const items = listItems(d, (k) => `list should be type of slice or array but ${k}`);
      if (items.length === 0) return iface(null);
      const start = indices.length > 0 ? castToInt64(asDyn(indices[0])) : 0n;
      const end = indices.length < 2 ? BigInt(items.length) : castToInt64(asDyn(indices[1]));
      // reflect's Value.Slice checks against the capacity, which only Go's allocator knows.
      if (end > BigInt(items.length)) unsupported('sprig slice past the end of a list depends on its capacity in Go');
      if (start < 0n || end < start) throw new FuncError('reflect.Value.Slice: slice index out of bounds');
      const list = d as Extract<Concrete, { t: 'slice' }>;
      return iface(sliceValue(list.type, items.slice(Number(start), Number(end))));
    }, A),
  ]),
  ['concat', fn([], (lists) => {
    const out: Dyn[] = [];
    for (const l of lists) {
      const d = asDyn(l);
      if (d === null) throw new FuncError(NIL_DEREFERENCE);
      if (d.t !== 'slice') throw new FuncError(`Cannot concat type ${kindName(d)} as list`);
      out.push(...ordered(d));
    }
    // sprig appends to a nil []interface{}: no elements is a nil slice, not a nil interface.
    return iface(out.length === 0 ? { t: 'slice', type: '[]interface {}', v: [], nil: true } : anyList(out));
  }, A)],

  // sprig: dicts ----------------------------------------------------------------------------------
  ['dict', fn([], (args, ctx) => {
    const m = new Map<string, Dyn>();
    for (let i = 0; i < args.length; i += 2) {
      const key = strval(ctx, asDyn(args[i]));
      m.set(key, i + 1 >= args.length ? str('') : asDyn(args[i + 1]));
    }
    return mapValue('map[string]interface {}', m);
  }, A)],
  ['get', fn([D, S], ([d, key]) => {
    const m = asMap(d);
    return iface(m.v.has(asString(key)) ? (m.v.get(asString(key)) ?? null) : str(''));
  })],
  ['set', fn([D, S, A], ([d, key, value]) => {
    const m = asMap(d);
    if (m.nil) throw new FuncError('assignment to entry in nil map');
    m.v.set(asString(key), asDyn(value));
    return m;
  })],
  ['unset', fn([D, S], ([d, key]) => {
    const m = asMap(d);
    m.v.delete(asString(key));
    return m;
  })],
  ['hasKey', fn([D, S], ([d, key]) => bool(asMap(d).v.has(asString(key))))],
  ['pluck', fn([S], ([key, ...dicts]) => anyList(dicts.map(asMap).filter((m) => m.v.has(asString(key))).map((m) => m.v.get(asString(key)) ?? null)), D)],
  ['keys', fn([], (dicts) => ({ ...stringList(dicts.flatMap((d) => [...asMap(d).v.keys()])), unordered: true }), D)],
  ['values', fn([D], ([d]) => ({ ...anyList([...asMap(d).v.values()]), unordered: true }))],
  ['pick', fn([D], ([d, ...keys]) => {
    const m = asMap(d);
    const out = new Map<string, Dyn>();
    for (const k of keys.map(asString)) if (m.v.has(k)) out.set(k, m.v.get(k) ?? null);
    return mapValue('map[string]interface {}', out);
  }, S)],
  ['omit', fn([D], ([d, ...keys]) => {
    const omitted = new Set(keys.map(asString));
    return mapValue('map[string]interface {}', new Map([...asMap(d).v].filter(([k]) => !omitted.has(k))));
  }, S)],
  ['dig', fn([], (ps) => {
    if (ps.length < 3) throw new FuncError('dig needs at least three arguments');
    const dict = asDyn(ps[ps.length - 1]);
    const def = asDyn(ps[ps.length - 2]);
    const keys = ps.slice(0, -2).map(asDyn);
    if (dict === null || dict.t !== 'map' || dict.type !== 'map[string]interface {}' || keys.some((k) => k === null || k.t !== 'string')) {
      unsupported('dig on arguments of the wrong type panics with a message vaultgate does not reproduce');
    }
    let step: Dyn = dict;
    for (const [i, key] of keys.entries()) {
      const m = step as Extract<Concrete, { t: 'map' }>;
      const k = (key as Extract<Concrete, { t: 'string' }>).v;
      if (!m.v.has(k)) return iface(def);
      step = m.v.get(k) ?? null;
      if (i < keys.length - 1 && (step === null || step.t !== 'map' || step.type !== 'map[string]interface {}')) unsupported('dig through a value that is not a map panics with a message vaultgate does not reproduce');
    }
    return iface(step);
  }, A)],

  // ESO's own ---------------------------------------------------------------------------------
  ['toYaml', fn([A], ([v], ctx) => strResult(ctx, toYaml(ctx, asDyn(v))))],
  ['fromYaml', fn([S], ([s], ctx) => fromYaml(ctx, asString(s)))],
]);

// ---------------------------------------------------------------------------------------
// encoding/json: Marshal, MarshalIndent and Unmarshal into interface{}

class JsonMarshalError extends Error {}

/** json.Marshal (escapeHTML) / Encoder with SetEscapeHTML(false); indent: MarshalIndent(v, "", "  "). */
function jsonMarshal(ctx: CallContext, d: Dyn, opts: { escapeHTML: boolean; indent: boolean }): string | { error: string } {
  const parts: string[] = [];
  try {
    marshalInto(ctx, parts, d, opts.escapeHTML, 0);
  } catch (error) {
    if (error instanceof JsonMarshalError) return { error: error.message };
    throw error;
  }
  const compact = parts.join('');
  ctx.budget.bytes(compact.length);
  return opts.indent ? indentJson(ctx, compact) : compact;
}

function marshalInto(ctx: CallContext, out: string[], d: Dyn, escapeHTML: boolean, depth: number): void {
  if (depth > MAX_DATA_DEPTH) unsupported(`the data nests deeper than vaultgate's limit of ${MAX_DATA_DEPTH}`);
  ctx.budget.spend(1);
  if (d === null) return void out.push('null');
  switch (d.t) {
    case 'string':
      out.push(goJsonString(d.v, escapeHTML));
      return;
    case 'bool':
      out.push(d.v ? 'true' : 'false');
      return;
    case 'int':
    case 'int64':
    case 'uint8':
      out.push(d.v.toString());
      return;
    case 'float64':
      if (!Number.isFinite(d.v)) throw new JsonMarshalError(`json: unsupported value: ${formatFloat(d.v, 'g', -1)}`);
      out.push(jsonFloat(d.v));
      return;
    case 'map': {
      if (d.nil) return void out.push('null');
      out.push('{');
      sortedKeys(d.v).forEach((key, i) => {
        if (i > 0) out.push(',');
        out.push(goJsonString(key, escapeHTML), ':');
        marshalInto(ctx, out, d.v.get(key) ?? null, escapeHTML, depth + 1);
      });
      out.push('}');
      return;
    }
    case 'slice': {
      if (d.nil) return void out.push('null');
      out.push('[');
      ordered(d).forEach((element, i) => {
        if (i > 0) out.push(',');
        marshalInto(ctx, out, element, escapeHTML, depth + 1);
      });
      out.push(']');
      return;
    }
  }
}


/** json.Indent(dst, src, "", "  ") on compact JSON. */
function indentJson(ctx: CallContext, src: string): string {
  let out = '';
  let depth = 0;
  let needIndent = false;
  let inString = false;
  const newline = () => {
    out += `\n${'  '.repeat(depth)}`;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += src[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (needIndent && c !== ']' && c !== '}') {
      needIndent = false;
      depth++;
      newline();
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case '{':
      case '[':
        needIndent = true;
        out += c;
        break;
      case ',':
        out += c;
        newline();
        break;
      case ':':
        out += ': ';
        break;
      case '}':
      case ']':
        if (needIndent) needIndent = false;
        else {
          depth--;
          newline();
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  ctx.budget.bytes(out.length);
  return out;
}

/** encoding/json's quoteChar, for syntax errors. */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return '\'"\'';
  const q = goQuote(encodeRune(c));
  return `'${q.slice(1, -1)}'`;
}

type ScanStep = (c: number) => void;

/** encoding/json's checkValid: the scanner's first syntax error, exactly as Go words it. */
function jsonSyntaxError(data: string): string | undefined {
  let error: string | undefined;
  const parseState: Array<'key' | 'value' | 'array'> = [];
  let endTop = false;
  const fail = (c: number, context: string) => {
    if (error === undefined) error = `invalid character ${quoteChar(c)} ${context}`;
    step = () => undefined;
  };
  const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
  // Go's scanner allows 10000 levels; vaultgate stops earlier (and so declines, never errs).
  const push = (state: 'key' | 'array') => {
    parseState.push(state);
    if (parseState.length > MAX_DATA_DEPTH) unsupported(`the JSON nests deeper than vaultgate's limit of ${MAX_DATA_DEPTH}`);
  };
  const pop = () => {
    parseState.pop();
    if (parseState.length === 0) {
      step = endTopState;
      endTop = true;
    } else step = endValue;
  };
  const endTopState: ScanStep = (c) => {
    if (!isSpace(c)) fail(c, 'after top-level value');
  };
  const endValue: ScanStep = (c) => {
    const n = parseState.length;
    if (n === 0) {
      step = endTopState;
      endTop = true;
      return endTopState(c);
    }
    if (isSpace(c)) {
      step = endValue;
      return;
    }
    const ps = parseState[n - 1];
    if (ps === 'key') {
      if (c === 0x3a) {
        parseState[n - 1] = 'value';
        step = beginValue;
        return;
      }
      return fail(c, 'after object key');
    }
    if (ps === 'value') {
      if (c === 0x2c) {
        parseState[n - 1] = 'key';
        step = beginString;
        return;
      }
      if (c === 0x7d) return pop();
      return fail(c, 'after object key:value pair');
    }
    if (c === 0x2c) {
      step = beginValue;
      return;
    }
    if (c === 0x5d) return pop();
    return fail(c, 'after array element');
  };
  const literal = (rest: string, name: string): ScanStep => {
    let k = 0;
    const next: ScanStep = (c) => {
      if (c === rest.charCodeAt(k)) {
        k++;
        step = k === rest.length ? endValue : next;
        return;
      }
      fail(c, `in literal ${name} (expecting ${quoteChar(rest.charCodeAt(k))})`);
    };
    return next;
  };
  const inString: ScanStep = (c) => {
    if (c === 0x22) step = endValue;
    else if (c === 0x5c) step = inStringEsc;
    else if (c < 0x20) fail(c, 'in string literal');
  };
  const inStringEsc: ScanStep = (c) => {
    if ('bfnrt\\/"'.includes(String.fromCharCode(c))) step = inString;
    else if (c === 0x75) step = hexDigits(4);
    else fail(c, 'in string escape code');
  };
  const hexDigits = (left: number): ScanStep => (c) => {
    if (!isHex(c)) return fail(c, 'in \\u hexadecimal character escape');
    step = left === 1 ? inString : hexDigits(left - 1);
  };
  const neg: ScanStep = (c) => {
    if (c === 0x30) step = zero;
    else if (c >= 0x31 && c <= 0x39) step = one;
    else fail(c, 'in numeric literal');
  };
  const one: ScanStep = (c) => {
    if (isDigit(c)) step = one;
    else zero(c);
  };
  const zero: ScanStep = (c) => {
    if (c === 0x2e) step = dot;
    else if (c === 0x65 || c === 0x45) step = exponent;
    else endValue(c);
  };
  const dot: ScanStep = (c) => {
    if (isDigit(c)) step = dot0;
    else fail(c, 'after decimal point in numeric literal');
  };
  const dot0: ScanStep = (c) => {
    if (isDigit(c)) return;
    if (c === 0x65 || c === 0x45) step = exponent;
    else endValue(c);
  };
  const exponent: ScanStep = (c) => {
    if (c === 0x2b || c === 0x2d) step = exponentSign;
    else exponentSign(c);
  };
  const exponentSign: ScanStep = (c) => {
    if (isDigit(c)) step = exponent0;
    else fail(c, 'in exponent of numeric literal');
  };
  const exponent0: ScanStep = (c) => {
    if (!isDigit(c)) endValue(c);
  };
  const beginValueOrEmpty: ScanStep = (c) => {
    if (isSpace(c)) return;
    if (c === 0x5d) return endValue(c);
    beginValue(c);
  };
  const beginStringOrEmpty: ScanStep = (c) => {
    if (isSpace(c)) return;
    if (c === 0x7d) {
      parseState[parseState.length - 1] = 'value';
      return endValue(c);
    }
    beginString(c);
  };
  const beginString: ScanStep = (c) => {
    if (isSpace(c)) return;
    if (c === 0x22) step = inString;
    else fail(c, 'looking for beginning of object key string');
  };
  const beginValue: ScanStep = (c) => {
    if (isSpace(c)) return;
    switch (c) {
      case 0x7b:
        step = beginStringOrEmpty;
        return push('key');
      case 0x5b:
        step = beginValueOrEmpty;
        return push('array');
      case 0x22:
        step = inString;
        return;
      case 0x2d:
        step = neg;
        return;
      case 0x30:
        step = zero;
        return;
      case 0x74:
        step = literal('rue', 'true');
        return;
      case 0x66:
        step = literal('alse', 'false');
        return;
      case 0x6e:
        step = literal('ull', 'null');
        return;
    }
    if (c >= 0x31 && c <= 0x39) step = one;
    else fail(c, 'looking for beginning of value');
  };
  let step: ScanStep = beginValue;
  for (let i = 0; i < data.length && error === undefined; i++) step(data.charCodeAt(i));
  if (error !== undefined) return error;
  if (endTop) return undefined;
  step(0x20);
  if (error !== undefined) return error;
  return endTop ? undefined : 'unexpected end of JSON input';
}

const JSON_NUMBER_AT = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** json.Unmarshal(data, &v) with v interface{}: the value (even with an error, as Go leaves it) and the first error. */
function jsonUnmarshal(ctx: CallContext, data: string): { value: Dyn; error?: string } {
  ctx.budget.bytes(data.length);
  const syntax = jsonSyntaxError(data);
  if (syntax !== undefined) return { value: null, error: syntax };
  let i = 0;
  let firstError: string | undefined;
  const skipSpace = () => {
    while (i < data.length && ' \t\r\n'.includes(data[i] as string)) i++;
  };
  const parseString = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      const c = data.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c === 0x5c) {
        const e = data[i + 1] as string;
        if (e === 'u') {
          let r = parseInt(data.slice(i + 2, i + 6), 16);
          i += 6;
          if (r >= 0xd800 && r < 0xe000) {
            // A valid surrogate pair combines; anything else is U+FFFD.
            if (r < 0xdc00 && data[i] === '\\' && data[i + 1] === 'u') {
              const r2 = parseInt(data.slice(i + 2, i + 6), 16);
              if (r2 >= 0xdc00 && r2 < 0xe000) {
                out += encodeRune(0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00));
                i += 6;
                continue;
              }
            }
            r = RUNE_ERROR;
          }
          out += encodeRune(r);
          continue;
        }
        out += ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '\\': '\\', '/': '/', '"': '"' } as Record<string, string>)[e] ?? '';
        i += 2;
        continue;
      }
      if (c < 0x80) {
        // A run of plain ASCII at once.
        let j = i + 1;
        while (j < data.length) {
          const b = data.charCodeAt(j);
          if (b === 0x22 || b === 0x5c || b >= 0x80) break;
          j++;
        }
        out += data.slice(i, j);
        i = j;
        continue;
      }
      const [r, w] = decodeRune(data, i);
      out += w === 1 && r === RUNE_ERROR ? encodeRune(RUNE_ERROR) : data.slice(i, i + w);
      i += w;
    }
  };
  const parseValue = (): Dyn => {
    ctx.budget.spend(1);
    skipSpace();
    const c = data[i];
    if (c === '{') {
      i++;
      const m = new Map<string, Dyn>();
      skipSpace();
      if (data[i] === '}') {
        i++;
        return mapValue('map[string]interface {}', m);
      }
      for (;;) {
        skipSpace();
        const key = parseString();
        skipSpace();
        i++; // ':'
        m.set(key, parseValue());
        skipSpace();
        if (data[i++] === '}') return mapValue('map[string]interface {}', m);
      }
    }
    if (c === '[') {
      i++;
      const items: Dyn[] = [];
      skipSpace();
      if (data[i] === ']') {
        i++;
        return anyList(items);
      }
      for (;;) {
        items.push(parseValue());
        skipSpace();
        if (data[i++] === ']') return anyList(items);
      }
    }
    if (c === '"') return str(parseString());
    if (data.startsWith('true', i)) {
      i += 4;
      return bool(true);
    }
    if (data.startsWith('false', i)) {
      i += 5;
      return bool(false);
    }
    if (data.startsWith('null', i)) {
      i += 4;
      return null;
    }
    JSON_NUMBER_AT.lastIndex = i;
    const text = JSON_NUMBER_AT.exec(data)?.[0] ?? '';
    i += text.length;
    const f = Number(text);
    if (!Number.isFinite(f)) {
      // strconv.ParseFloat's range error: the value is nil, the error is kept and returned.
      firstError ??= `json: cannot unmarshal number ${text} into Go value of type float64`;
      return null;
    }
    return float64(f);
  };
  const value = parseValue();
  return firstError === undefined ? { value } : { value, error: firstError };
}

// ---------------------------------------------------------------------------------------
// encoding/json outside templates: what ESO's rewrite merge (esutils.RewriteMerge) does with
// each secret value, on the same Go-faithful decoder and encoder the templates use.

declare const GO_JSON: unique symbol;
/** A value json.Unmarshal stored in an interface{}; opaque outside this module. */
export type GoJsonValue = { readonly [GO_JSON]: true };
const goJson = (d: Dyn) => d as unknown as GoJsonValue;
const dynOfGoJson = (v: GoJsonValue) => v as unknown as Dyn;

export type GoJsonResult<T> = { ok: true; value: T } | { ok: false; error: string; unsupported?: true };

/** Runs one step under a fresh evaluation budget; running out of it declines. */
function withJsonBudget<T>(step: (ctx: CallContext) => GoJsonResult<T>, shared?: EvaluationBudget): GoJsonResult<T> {
  try {
    return step({ budget: shared ? budgetOf(shared) : new Budget() });
  } catch (error) {
    if (error instanceof Unsupported) return { ok: false, unsupported: true, error: fromByteString(error.reason) };
    if (error instanceof RangeError) return { ok: false, unsupported: true, error: `the data is too deeply nested for vaultgate (${error.message})` };
    throw error;
  }
}

/** What "cannot unmarshal X" names for a document's top-level value, judged by its first byte. */
function topLevelJsonKind(data: string): 'object' | 'null' | 'array' | 'string' | 'bool' | 'number' {
  const first = data.trimStart()[0];
  if (first === '{') return 'object';
  if (first === 'n') return 'null';
  if (first === '[') return 'array';
  if (first === '"') return 'string';
  if (first === 't' || first === 'f') return 'bool';
  return 'number';
}

/**
 * json.Unmarshal(data, &m) with m map[string]interface{}: the entries (keys as text), none for
 * `null`, or Go's error. A top-level value of another kind fails before anything inside it is
 * decoded, as Go skips it.
 */
export function unmarshalJsonObject(data: Uint8Array, shared?: EvaluationBudget): GoJsonResult<Array<[string, GoJsonValue]>> {
  return withJsonBudget((ctx) => {
    const text = bytesToByteString(data);
    const syntax = jsonSyntaxError(text);
    if (syntax !== undefined) return { ok: false, error: fromByteString(syntax) };
    const kind = topLevelJsonKind(text);
    if (kind === 'null') return { ok: true, value: [] };
    if (kind !== 'object') return { ok: false, error: `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}` };
    const decoded = jsonUnmarshal(ctx, text);
    if (decoded.error !== undefined) return { ok: false, error: fromByteString(decoded.error) };
    const object = decoded.value as Extract<Concrete, { t: 'map' }>;
    return { ok: true, value: [...object.v].map(([key, value]) => [fromByteString(key), goJson(value)]) };
  }, shared);
}

/** ESO's GetByteValue of a decoded value: strings as they are, numbers as 'f' -1, objects and lists as json.Marshal. */
export function goJsonByteValue(value: GoJsonValue, shared?: EvaluationBudget): GoJsonResult<Uint8Array> {
  return withJsonBudget((ctx) => {
    const d = dynOfGoJson(value);
    if (d === null) return { ok: true, value: new Uint8Array(0) };
    if (d.t === 'string') return { ok: true, value: byteStringToBytes(d.v) };
    if (d.t === 'float64') return { ok: true, value: byteStringToBytes(formatFloat(d.v, 'f', -1)) };
    if (d.t === 'bool') return { ok: true, value: byteStringToBytes(d.v ? 'true' : 'false') };
    const marshalled = jsonMarshal(ctx, d, { escapeHTML: true, indent: false });
    if (typeof marshalled !== 'string') return { ok: false, error: fromByteString(marshalled.error) };
    return { ok: true, value: byteStringToBytes(marshalled) };
  }, shared);
}

/** ESO's JSONMarshal of a map[string]interface{}: an Encoder without HTML escaping, its newline trimmed. */
export function marshalJsonObject(entries: ReadonlyMap<string, GoJsonValue>, shared?: EvaluationBudget): GoJsonResult<Uint8Array> {
  return withJsonBudget((ctx) => {
    const object = mapValue('map[string]interface {}', new Map([...entries].map(([key, value]) => [toByteString(key), dynOfGoJson(value)])));
    const marshalled = jsonMarshal(ctx, object, { escapeHTML: false, indent: false });
    if (typeof marshalled !== 'string') return { ok: false, error: fromByteString(marshalled.error) };
    return { ok: true, value: byteStringToBytes(marshalled) };
  }, shared);
}

/** strconv.Quote (Go's %q) of a text. */
export function goQuoted(text: string): string {
  return fromByteString(goQuote(toByteString(text)));
}

// ---------------------------------------------------------------------------------------
// sigs.k8s.io/yaml v1.6.0 Marshal (ESO's toYaml): json.Marshal, then go.yaml.in/yaml/v2
// v2.4.3 reads that JSON as YAML and writes it back with its emitter (best width 80).

/** A YAML node as yaml.v2 decodes the JSON: maps, sequences and resolved scalars. */
type YamlNode =
  | { k: 'map'; entries: Array<[string, YamlNode]> }
  | { k: 'seq'; items: YamlNode[] }
  | { k: 'str'; v: string }
  | { k: 'plain'; v: string }; // an int, float, bool or null, written as is

/** ESO's toYAML: yaml.Marshal(v) with the trailing newline trimmed; "" on error. */
function toYaml(ctx: CallContext, d: Dyn): string {
  // json.Marshal fails (and toYaml gives "") on NaN and infinities, wherever they are.
  const node = yamlNodeOf(ctx, d, 0);
  if (node === undefined) return '';
  const emitter = new YamlEmitter(ctx);
  emitter.document(node);
  const out = emitter.out;
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

/**
 * What yaml.v2 decodes from json.Marshal(d): strings as JSON carries them (invalid UTF-8 as
 * U+FFFD), numbers from their JSON text (ints stay ints), nil maps and slices as null.
 * Undefined when json.Marshal fails.
 */
function yamlNodeOf(ctx: CallContext, d: Dyn, depth: number): YamlNode | undefined {
  if (depth > MAX_DATA_DEPTH) unsupported(`the data nests deeper than vaultgate's limit of ${MAX_DATA_DEPTH}`);
  ctx.budget.spend(1);
  if (d === null) return { k: 'plain', v: 'null' };
  switch (d.t) {
    case 'string':
      return { k: 'str', v: jsonRoundTripString(d.v) };
    case 'bool':
      return { k: 'plain', v: d.v ? 'true' : 'false' };
    case 'int':
    case 'int64':
    case 'uint8':
      return { k: 'plain', v: yamlNumber(d.v.toString()) };
    case 'float64':
      return Number.isFinite(d.v) ? { k: 'plain', v: yamlNumber(jsonFloat(d.v)) } : undefined;
    case 'map': {
      if (d.nil) return { k: 'plain', v: 'null' };
      const entries: Array<[string, YamlNode]> = [];
      for (const [key, value] of d.v) {
        const node = yamlNodeOf(ctx, value, depth + 1);
        if (node === undefined) return undefined;
        entries.push([jsonRoundTripString(key), node]);
      }
      return { k: 'map', entries };
    }
    case 'slice': {
      if (d.nil) return { k: 'plain', v: 'null' };
      const items: YamlNode[] = [];
      for (const element of ordered(d)) {
        const node = yamlNodeOf(ctx, element, depth + 1);
        if (node === undefined) return undefined;
        items.push(node);
      }
      return { k: 'seq', items };
    }
  }
}

/** A string after json.Marshal and a decoder: each invalid UTF-8 byte becomes U+FFFD. */
function jsonRoundTripString(s: string): string {
  if (validUtf8(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    out += w === 1 && r === RUNE_ERROR ? encodeRune(RUNE_ERROR) : s.slice(i, i + w);
    i += w;
  }
  return out;
}

/** A JSON number literal as yaml.v2 resolves it (int, uint64 or float64) and writes it back. */
function yamlNumber(literal: string): string {
  const asInt = parseInt64(literal, 0);
  if (asInt.ok) return asInt.value.toString();
  const asUint = parseUint(literal, 0);
  if (asUint.ok) return asUint.value.toString();
  const f = parseFloat64(literal);
  if (!f.ok) unsupported(`yaml.v2 would not resolve the number ${literal}`);
  return formatFloat(f.value, 'g', -1);
}

/** yaml.v2's keyList.Less for string keys (as rune arrays): letters before other runes, digit runs compared as numbers. */
function yamlKeyLess(ar: number[], br: number[]): boolean {
  const isDigit = (r: number) => isDigitRune(r);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i] as number);
    const bl = isLetter(br[i] as number);
    if (al && bl) return (ar[i] as number) < (br[i] as number);
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === 0x30 || br[i] === 0x30) {
      for (let j = i - 1; j >= 0 && isDigit(ar[j] as number); j--) {
        if (ar[j] !== 0x30) {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai] as number); ai++) an = BigInt.asIntN(64, an * 10n + BigInt((ar[ai] as number) - 0x30));
    let bi = i;
    for (; bi < br.length && isDigit(br[bi] as number); bi++) bn = BigInt.asIntN(64, bn * 10n + BigInt((br[bi] as number) - 0x30));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return (ar[i] as number) < (br[i] as number);
  }
  return ar.length < br.length;
}

/** Go's sort.Sort (pdqsort, not stable) gives the same order as any sort when Less is a strict weak order. */
function yamlSortKeys(entries: Array<[string, YamlNode]>): Array<[string, YamlNode]> {
  const keyed = entries.map((entry) => ({ entry, runes: runesOf(entry[0]) }));
  keyed.sort((a, b) => (yamlKeyLess(a.runes, b.runes) ? -1 : yamlKeyLess(b.runes, a.runes) ? 1 : 0));
  for (let i = 1; i < keyed.length; i++) {
    const a = (keyed[i - 1] as { runes: number[] }).runes;
    const b = (keyed[i] as { runes: number[] }).runes;
    // Keys neither less nor greater than each other (e.g. "a01" and "a1"): Go's order then depends on its sort algorithm.
    if (!yamlKeyLess(a, b) && !yamlKeyLess(b, a)) unsupported('yaml.v2 orders these map keys by its sort algorithm, which vaultgate does not reproduce');
  }
  return keyed.map((k) => k.entry);
}

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const YAML_RESOLVE_MAP = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON',
  'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF',
  '', '~', 'null', 'Null', 'NULL',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF', '<<',
]);

/** yaml.v2's resolve("", s) says a plain s would read back as a string. */
function yamlResolvesToString(s: string): boolean {
  const first = s[0] ?? '';
  let hint: string;
  if (s === '') hint = 'N';
  else if (first === '+' || first === '-') hint = 'S';
  else if (first >= '0' && first <= '9') hint = 'D';
  else if ('yYnNtTfFoO~'.includes(first)) hint = 'M';
  else if (first === '.') hint = '.';
  else return true;
  if (YAML_RESOLVE_MAP.has(s)) return false;
  if (hint === 'M') return true;
  if (hint === '.') return !parseFloat64(s).ok;
  if (isYamlTimestamp(s)) return false;
  const plain = s.replace(/_/g, '');
  if (parseInt64(plain, 0).ok || parseUint(plain, 0).ok) return false;
  if (YAML_FLOAT.test(plain) && parseFloat64(plain).ok) return false;
  if (plain.startsWith('0b')) return !(parseInt64(plain.slice(2), 2).ok || parseUint(plain.slice(2), 2).ok);
  if (plain.startsWith('-0b')) return !parseInt64(`-${plain.slice(3)}`, 2).ok;
  return true;
}

/** yaml.v2's parseTimestamp: the four layouts it tries with time.Parse. */
function isYamlTimestamp(s: string): boolean {
  if (!/^[0-9]{4}-/.test(s)) return false;
  const m = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:([Tt ])([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/.exec(s);
  if (!m) {
    // Other near-timestamps fail time.Parse in ways vaultgate checks no further.
    if (/^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[Tt ]/.test(s)) unsupported('the string looks like a timestamp to yaml.v2; vaultgate does not reproduce time.Parse fully');
    return false;
  }
  const [, year, month, day, sep, hour, minute, second, zone] = m;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  if (mo < 1 || mo > 12) return false;
  const daysIn = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] as number;
  if (d < 1 || d > daysIn) return false;
  if (sep === undefined) return true;
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return false;
  if (sep === ' ') return zone === undefined;
  if (zone === undefined) return false;
  if (zone !== 'Z' && (Number(zone.slice(1, 3)) > 24 || Number(zone.slice(4, 6)) > 60)) return false;
  return true;
}

type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

interface ScalarAnalysis {
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** yaml_emitter_analyze_scalar. */
function analyzeScalar(value: string): ScalarAnalysis {
  if (value.length === 0) return { multiline: false, flowPlainAllowed: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  for (let i = 0, w = 0; i < value.length; i += w) {
    w = yamlWidth(value.charCodeAt(i));
    const followedByWhitespace = i + w >= value.length || isYamlBlank(value, i + w);
    const c = value[i] as string;
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (c === '?' || c === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (c === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (',?[]{}'.includes(c)) flowIndicators = true;
    else if (c === ':') {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (c === '#' && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (!isYamlPrintable(value, i)) specialCharacters = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i + w === value.length) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isYamlBreak(value, i)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i + w === value.length) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isYamlBlankz(value, i);
  }
  const a: ScalarAnalysis = { multiline: lineBreaks, flowPlainAllowed: true, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
  }
  if (trailingSpace) a.blockAllowed = false;
  if (breakSpace) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
    a.blockAllowed = false;
  }
  if (lineBreaks) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
  }
  if (flowIndicators) a.flowPlainAllowed = false;
  if (blockIndicators) a.blockPlainAllowed = false;
  return a;
}

function yamlWidth(b: number): number {
  if ((b & 0x80) === 0) return 1;
  if ((b & 0xe0) === 0xc0) return 2;
  if ((b & 0xf0) === 0xe0) return 3;
  if ((b & 0xf8) === 0xf0) return 4;
  return 0;
}

const byteAt = (s: string, i: number) => (i < s.length ? s.charCodeAt(i) : 0);

function isYamlPrintable(s: string, i: number): boolean {
  const b = byteAt(s, i);
  const b1 = byteAt(s, i + 1);
  const b2 = byteAt(s, i + 2);
  return (
    b === 0x0a ||
    (b >= 0x20 && b <= 0x7e) ||
    (b === 0xc2 && b1 >= 0xa0) ||
    (b > 0xc2 && b < 0xed) ||
    (b === 0xed && b1 < 0xa0) ||
    b === 0xee ||
    (b === 0xef && !(b1 === 0xbb && b2 === 0xbf) && !(b1 === 0xbf && (b2 === 0xbe || b2 === 0xbf)))
  );
}

function isYamlBreak(s: string, i: number): boolean {
  const b = byteAt(s, i);
  return b === 0x0d || b === 0x0a || (b === 0xc2 && byteAt(s, i + 1) === 0x85) || (b === 0xe2 && byteAt(s, i + 1) === 0x80 && (byteAt(s, i + 2) === 0xa8 || byteAt(s, i + 2) === 0xa9));
}

const isYamlBlank = (s: string, i: number) => byteAt(s, i) === 0x20 || byteAt(s, i) === 0x09;
const isYamlBlankz = (s: string, i: number) => isYamlBlank(s, i) || isYamlBreak(s, i) || byteAt(s, i) === 0;
/** yaml.v2's is_bom ignores its index: it looks at the start of the value. */
const isYamlBomAtStart = (s: string) => byteAt(s, 0) === 0xef && byteAt(s, 1) === 0xbb && byteAt(s, 2) === 0xbf;

const BEST_INDENT = 2;
const BEST_WIDTH = 80;

/** The parts of yaml_emitter_t that block-style output of maps, sequences and scalars uses. */
class YamlEmitter {
  out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;
  private readonly indents: number[] = [];
  private mappingContext = false;
  private simpleKeyContext = false;

  constructor(private readonly ctx: CallContext) {}

  document(node: YamlNode): void {
    this.node(node, false, false);
    this.writeIndent();
  }

  private put(s: string): void {
    this.out += s;
    this.column += s.length;
    if (this.out.length > MAX_OUTPUT_BYTES) this.ctx.budget.bytes(this.out.length);
  }

  /** write(): one character (a whole UTF-8 sequence counts as one column). */
  private writeChar(value: string, i: number): number {
    const w = yamlWidth(value.charCodeAt(i)) || 1;
    this.out += value.slice(i, i + w);
    this.column++;
    return i + w;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  private writeBreak(value: string, i: number): number {
    if (value[i] === '\n') {
      this.putBreak();
      return i + 1;
    }
    const next = this.writeChar(value, i);
    this.column = 0;
    return next;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private popIndent(): void {
    this.indent = this.indents.pop() as number;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** yaml_emitter_emit_node: the context flags the scalar and collection writers consult. */
  private node(node: YamlNode, mapping: boolean, simpleKey: boolean): void {
    this.ctx.budget.spend(1);
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    switch (node.k) {
      // yaml.v2 asks for block style; its emitter writes an empty collection in flow style.
      case 'map':
        return node.entries.length === 0 ? this.emptyFlow('{', '}') : this.blockMapping(node.entries);
      case 'seq':
        return node.items.length === 0 ? this.emptyFlow('[', ']') : this.blockSequence(node.items);
      case 'str':
        return this.scalar(node.v, this.stringStyle(node.v));
      case 'plain':
        return this.scalar(node.v, 'plain');
    }
  }

  /** yaml.v2's encoder.stringv: the style it asks for. */
  private stringStyle(s: string): ScalarStyle {
    if (s.includes('\n')) return 'literal';
    const first = s[0] ?? '';
    const base60 = s !== '' && (first === '+' || first === '-' || (first >= '0' && first <= '9')) && s.includes(':') && BASE60_FLOAT.test(s);
    return yamlResolvesToString(s) && !base60 ? 'plain' : 'double';
  }

  /** The flow sequence or mapping states, for no items: "[]" or "{}". */
  private emptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.increaseIndent(true, false);
    this.popIndent();
    this.writeIndicator(close, false, false, false);
  }

  private blockSequence(items: YamlNode[]): void {
    this.increaseIndent(false, this.mappingContext && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, false, false);
    }
    this.popIndent();
  }

  private blockMapping(entries: Array<[string, YamlNode]>): void {
    this.increaseIndent(false, false);
    for (const [key, value] of yamlSortKeys(entries)) {
      this.writeIndent();
      const analysis = analyzeScalar(key);
      if (!analysis.multiline && key.length <= 128) {
        this.node({ k: 'str', v: key }, true, true);
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.node({ k: 'str', v: key }, true, false);
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(value, true, false);
    }
    this.popIndent();
  }

  /** yaml_emitter_emit_scalar: select the style, then write with the scalar's indentation. */
  private scalar(value: string, requested: ScalarStyle): void {
    const a = analyzeScalar(value);
    let style = requested;
    if (this.simpleKeyContext && a.multiline) style = 'double';
    // Block context only (flow level 0): flowPlainAllowed never matters here.
    if (style === 'plain') {
      if (!a.blockPlainAllowed) style = 'single';
      if (value.length === 0 && this.simpleKeyContext) style = 'single';
    }
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!a.blockAllowed || this.simpleKeyContext)) style = 'double';
    this.increaseIndent(true, false);
    const allowBreaks = !this.simpleKeyContext;
    if (style === 'plain') this.writePlain(value, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(value, allowBreaks);
    else if (style === 'double') this.writeDoubleQuoted(value, allowBreaks);
    else this.writeLiteral(value);
    this.popIndent();
  }

  private writePlain(value: string, allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < value.length; ) {
      if (value[i] === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && value[i + 1] !== ' ') {
          this.writeIndent();
          i += 1;
        } else i = this.writeChar(value, i);
        spaces = true;
      } else if (isYamlBreak(value, i)) {
        if (!breaks && value[i] === '\n') this.putBreak();
        i = this.writeBreak(value, i);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        i = this.writeChar(value, i);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(value: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < value.length; ) {
      if (value[i] === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < value.length - 1 && value[i + 1] !== ' ') {
          this.writeIndent();
          i += 1;
        } else i = this.writeChar(value, i);
        spaces = true;
      } else if (isYamlBreak(value, i)) {
        if (!breaks && value[i] === '\n') this.putBreak();
        i = this.writeBreak(value, i);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (value[i] === "'") this.put("'");
        i = this.writeChar(value, i);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(value: string, allowBreaks: boolean): void {
    let spaces = false;
    this.writeIndicator('"', true, false, false);
    const bom = isYamlBomAtStart(value);
    for (let i = 0; i < value.length; ) {
      const b = value.charCodeAt(i);
      if (!isYamlPrintable(value, i) || bom || isYamlBreak(value, i) || b === 0x22 || b === 0x5c) {
        const [r, w] = decodeRune(value, i);
        i += w;
        const named: Record<number, string> = {
          0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e', 0x22: '"', 0x5c: '\\',
          0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
        };
        let escape = named[r];
        if (escape === undefined) {
          const digits = r <= 0xff ? 2 : r <= 0xffff ? 4 : 8;
          escape = (r <= 0xff ? 'x' : r <= 0xffff ? 'u' : 'U') + r.toString(16).toUpperCase().padStart(digits, '0');
        }
        this.put(`\\${escape}`);
        spaces = false;
      } else if (b === 0x20) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < value.length - 1) {
          this.writeIndent();
          if (value[i + 1] === ' ') this.put('\\');
          i += 1;
        } else i = this.writeChar(value, i);
        spaces = true;
      } else {
        i = this.writeChar(value, i);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(value: string): void {
    this.writeIndicator('|', true, false, false);
    // Block scalar hints: an indentation indicator for leading space or break, then chomping.
    if (value[0] === ' ' || isYamlBreak(value, 0)) this.writeIndicator(String(BEST_INDENT), false, false, false);
    let chomp = '';
    if (value.length === 0) chomp = '-';
    else {
      let i = value.length - 1;
      while ((value.charCodeAt(i) & 0xc0) === 0x80) i--;
      if (!isYamlBreak(value, i)) chomp = '-';
      else if (i === 0) chomp = '+';
      else {
        i--;
        while ((value.charCodeAt(i) & 0xc0) === 0x80) i--;
        if (isYamlBreak(value, i)) chomp = '+';
      }
    }
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (let i = 0; i < value.length; ) {
      if (isYamlBreak(value, i)) {
        i = this.writeBreak(value, i);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        i = this.writeChar(value, i);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// sigs.k8s.io/yaml Unmarshal into map[string]any (ESO's fromYaml), for a plain subset of YAML:
// block mappings and sequences, plain and quoted one-line scalars, literal block scalars
// (| and |-), comments. Anything else — flow collections, anchors, tags, folded or
// multi-line plain scalars, documents markers, tabs, keys that are not strings, ints or
// bools, values JSON cannot hold — declines: yaml.v2's full grammar and error texts are not
// reproduced.

/** A YAML node of the subset, scalars already resolved as yaml.v2 resolves them. */
type YamlValue = { k: 'map'; entries: Array<[string, YamlValue]> } | { k: 'seq'; items: YamlValue[] } | { k: 'scalar'; value: Dyn };

interface YamlLine {
  indent: number;
  text: string; // without indentation
  raw: string;
}

const yamlUnsupported = (what: string): never => unsupported(`fromYaml of ${what} is not supported by vaultgate`);

/** ESO's fromYAML: map[string]any of the document, or {"Error": text} when it is not a mapping. */
/** The document of a YAML text (a byte string) within the subset, or null for an empty one. */
function parseYamlSubset(ctx: CallContext, source: string): YamlValue | null {
  ctx.budget.bytes(source.length);
  if (!validUtf8(source)) yamlUnsupported('text that is not UTF-8');
  if (/[\t\r]/.test(source) || source.startsWith('\ufeff') || source.startsWith('\xef\xbb\xbf')) yamlUnsupported('tabs, carriage returns or a byte order mark');
  const lines: YamlLine[] = [];
  for (const raw of source.split('\n')) {
    const indent = raw.length - raw.replace(/^ +/, '').length;
    lines.push({ indent, text: raw.slice(indent), raw });
  }
  return new YamlSubsetParser(ctx, lines).document();
}

function fromYaml(ctx: CallContext, source: string): Value {
  const doc = parseYamlSubset(ctx, source);
  const m = new Map<string, Dyn>();
  // An empty document, or null: JSON null leaves the map as it was.
  if (doc === null || (doc.k === 'scalar' && doc.value === null)) return mapValue('map[string]interface {}', m);
  if (doc.k !== 'map') {
    const kind = doc.k === 'seq' ? 'array' : jsonKindOf(doc.value);
    m.set('Error', str(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`));
    return mapValue('map[string]interface {}', m);
  }
  for (const [key, value] of doc.entries) m.set(key, jsonRoundTrip(value, 0));
  return mapValue('map[string]interface {}', m);
}

/**
 * sigs.k8s.io/yaml Unmarshal into map[string]string (ESO's templateFrom KeysAndValues and
 * literal): the entries in document order (a later duplicate wins), scalars turned into text
 * as that library does for a string target (numbers, bools; null is empty), or its error.
 * The same YAML subset as fromYaml; what lies outside it declines.
 */
export function unmarshalYamlStringMap(source: string, shared?: EvaluationBudget): GoJsonResult<Array<[string, string]>> {
  const result = withJsonBudget((ctx): GoJsonResult<Array<[string, string]>> => {
    const doc = parseYamlSubset(ctx, toByteString(source));
    const prefix = 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal';
    if (doc === null || (doc.k === 'scalar' && doc.value === null)) return { ok: true, value: [] };
    if (doc.k !== 'map') return { ok: false, error: `${prefix} ${doc.k === 'seq' ? 'array' : jsonKindOf(doc.value)} into Go value of type map[string]string` };
    // The JSON in between has its keys sorted: the first bad value in that order is reported.
    const nested = [...doc.entries].sort(([a], [b]) => compareBytes(a, b)).find(([, value]) => value.k !== 'scalar')?.[1];
    if (nested) return { ok: false, error: `${prefix} ${nested.k === 'map' ? 'object' : 'array'} into Go value of type string` };
    return { ok: true, value: doc.entries.map(([key, value]) => [fromByteString(key), fromByteString(yamlScalarAsString((value as { value: Dyn }).value))]) };
  }, shared);
  // The subset parser words its refusals for fromYaml.
  return result.ok || !result.unsupported ? result : { ...result, error: result.error.replace(/^fromYaml of /, 'a KeysAndValues template rendering YAML with ') };
}

/** sigs.k8s.io/yaml's coercion of a scalar whose target is a Go string. */
function yamlScalarAsString(d: Dyn): string {
  if (d === null) return '';
  switch (d.t) {
    case 'string':
      return d.v;
    case 'bool':
      return d.v ? 'true' : 'false';
    case 'int':
    case 'int64':
    case 'uint8':
      return d.v.toString();
    case 'float64':
      if (!Number.isFinite(d.v)) return yamlUnsupported('infinite or NaN numbers');
      return formatFloat(d.v, 'g', -1, 32);
  }
  return unsupported(`a YAML scalar of type ${d.t}`);
}


/** The JSON kind json.Unmarshal names in "cannot unmarshal X into". */
function jsonKindOf(d: Dyn): string {
  if (d === null) return 'null';
  if (d.t === 'string') return 'string';
  if (d.t === 'bool') return 'bool';
  return 'number';
}

/** What json.Marshal then json.Unmarshal make of a decoded YAML value: numbers become float64. */
function jsonRoundTrip(v: YamlValue, depth: number): Dyn {
  if (depth > MAX_DATA_DEPTH) unsupported(`the data nests deeper than vaultgate's limit of ${MAX_DATA_DEPTH}`);
  if (v.k === 'map') return mapValue('map[string]interface {}', new Map(v.entries.map(([k, e]) => [k, jsonRoundTrip(e, depth + 1)])));
  if (v.k === 'seq') return anyList(v.items.map((e) => jsonRoundTrip(e, depth + 1)));
  const d = v.value;
  if (d === null || d.t === 'string' || d.t === 'bool') return d;
  if (d.t === 'float64') {
    if (!Number.isFinite(d.v)) yamlUnsupported('infinite or NaN numbers');
    return d;
  }
  // An int marshals as its decimal text, which json.Unmarshal reads as the nearest float64.
  return float64(Number((d as { v: bigint }).v));
}

/** yaml.v2's resolve for a plain scalar, as decoded into interface{} (timestamps stay strings). */
function resolveYamlPlain(s: string): Dyn {
  switch (s) {
    case '': case '~': case 'null': case 'Null': case 'NULL':
      return null;
    case 'y': case 'Y': case 'yes': case 'Yes': case 'YES': case 'true': case 'True': case 'TRUE': case 'on': case 'On': case 'ON':
      return bool(true);
    case 'n': case 'N': case 'no': case 'No': case 'NO': case 'false': case 'False': case 'FALSE': case 'off': case 'Off': case 'OFF':
      return bool(false);
    case '<<':
      return yamlUnsupported('merge keys');
  }
  if (YAML_RESOLVE_MAP.has(s)) return yamlUnsupported('infinite or NaN numbers');
  const first = s[0] as string;
  if (first === '.') {
    const f = parseFloat64(s);
    return f.ok ? float64(f.value) : str(s);
  }
  if (first !== '+' && first !== '-' && !(first >= '0' && first <= '9')) return str(s);
  const plain = s.replace(/_/g, '');
  const asInt = parseInt64(plain, 0);
  if (asInt.ok) return int(asInt.value);
  const asUint = parseUint(plain, 0);
  if (asUint.ok) return { t: 'int64', v: asUint.value }; // a uint64: its JSON text is the same decimal
  if (YAML_FLOAT.test(plain)) {
    const f = parseFloat64(plain);
    if (f.ok) return float64(f.value);
  }
  if (plain.startsWith('0b') || plain.startsWith('-0b')) return yamlUnsupported('0b binary numbers');
  return str(s);
}

/** A mapping key as sigs.k8s.io/yaml turns it into a JSON key. */
function yamlKeyString(key: Dyn, quoted: boolean, text: string): string {
  if (quoted) return text;
  if (key === null) return yamlUnsupported('null keys');
  if (key.t === 'string') return key.v;
  if (key.t === 'bool') return key.v ? 'true' : 'false';
  if (key.t === 'int' && key.v >= INT64_MIN && key.v <= INT64_MAX) return key.v.toString();
  return yamlUnsupported('keys that are floats or large numbers');
}

/** A recursive-descent reader for the block subset, line by line. */
class YamlSubsetParser {
  private i = 0;

  constructor(
    private readonly ctx: CallContext,
    private readonly lines: YamlLine[],
  ) {}

  document(): YamlValue | null {
    this.skipBlank();
    if (this.i >= this.lines.length) return null;
    const first = this.lines[this.i] as YamlLine;
    if (first.indent !== 0) yamlUnsupported('an indented document');
    const node = this.block(0, 0);
    this.skipBlank();
    if (this.i < this.lines.length) yamlUnsupported('text after the document');
    return node;
  }

  /** Blank lines and comment-only lines. */
  private skipBlank(): void {
    while (this.i < this.lines.length) {
      const line = this.lines[this.i] as YamlLine;
      if (line.text !== '' && !line.text.startsWith('#')) return;
      this.i++;
    }
  }

  /**
   * The block whose first line is at `indent` (a mapping, a sequence, or a lone scalar);
   * `parentIndent` is the enclosing collection's, which a scalar's continuation lines pass.
   */
  private block(indent: number, depth: number, parentIndent = indent - 1): YamlValue {
    if (depth > MAX_DATA_DEPTH) unsupported(`the YAML nests deeper than vaultgate's limit of ${MAX_DATA_DEPTH}`);
    this.ctx.budget.spend(1);
    const line = this.lines[this.i] as YamlLine;
    if (line.text === '-' || line.text.startsWith('- ')) return this.sequence(indent, depth);
    if (splitYamlKey(line.text)) return this.mapping(indent, depth);
    const value = this.inlineValue(line.text, parentIndent);
    this.i++;
    return value;
  }

  private sequence(indent: number, depth: number): YamlValue {
    const items: YamlValue[] = [];
    for (;;) {
      this.skipBlank();
      const line = this.lines[this.i];
      if (!line || line.indent !== indent || !(line.text === '-' || line.text.startsWith('- '))) break;
      const rest = line.text === '-' ? '' : line.text.slice(2);
      const restTrimmed = rest.replace(/^ +/, '');
      if (restTrimmed === '' || restTrimmed.startsWith('#')) {
        this.i++;
        items.push(this.nested(indent, depth, false));
        continue;
      }
      // "- x": the item starts at the column after the dash and its spaces.
      const column = indent + 2 + (rest.length - restTrimmed.length);
      this.lines[this.i] = { indent: column, text: restTrimmed, raw: line.raw };
      items.push(this.block(column, depth + 1, indent));
    }
    return { k: 'seq', items };
  }

  private mapping(indent: number, depth: number): YamlValue {
    const entries: Array<[string, YamlValue]> = [];
    /** JSON name → the YAML key it came from (type and value) */
    const seen = new Map<string, string>();
    for (;;) {
      this.skipBlank();
      const line = this.lines[this.i];
      if (!line || line.indent !== indent) break;
      const split = splitYamlKey(line.text);
      if (!split) {
        if (line.text === '-' || line.text.startsWith('- ')) break;
        yamlUnsupported('a line that is not a key');
      }
      const { key, quoted, rest } = split as NonNullable<ReturnType<typeof splitYamlKey>>;
      const keyText = quoted ? unquoteYamlScalar(key) : key;
      const resolved = quoted ? str(keyText) : resolveYamlPlain(key);
      const name = yamlKeyString(resolved, quoted, keyText);
      const identity = resolved === null ? 'null' : `${resolved.t}:${String((resolved as { v: unknown }).v)}`;
      // The same key again replaces the value (yaml.v2); two keys that only share a JSON name
      // (1 and "1") would both reach the JSON, in Go's random map order.
      const earlier = seen.get(name);
      if (earlier !== undefined && earlier !== identity) yamlUnsupported('keys of different types with the same text');
      if (earlier !== undefined) entries.splice(entries.findIndex(([n]) => n === name), 1);
      seen.set(name, identity);
      const restTrimmed = rest.replace(/^ +/, '');
      let value: YamlValue;
      if (restTrimmed === '' || restTrimmed.startsWith('#')) {
        this.i++;
        value = this.nested(indent, depth, true);
      } else if (/^\|-?( +#.*)?$/.test(restTrimmed)) {
        this.i++;
        value = this.literal(indent, restTrimmed.startsWith('|-'));
      } else {
        value = this.inlineValue(restTrimmed, indent);
        this.i++;
      }
      entries.push([name, value]);
    }
    return { k: 'map', entries };
  }

  /** The value under "key:" or "-" on its own line: a deeper block, a same-level sequence (maps only), or null. */
  private nested(indent: number, depth: number, inMapping: boolean): YamlValue {
    this.skipBlank();
    const next = this.lines[this.i];
    if (next && next.indent > indent) return this.block(next.indent, depth + 1);
    if (next && inMapping && next.indent === indent && (next.text === '-' || next.text.startsWith('- '))) return this.sequence(indent, depth + 1);
    return { k: 'scalar', value: null };
  }

  /**
   * A quoted scalar folded over several lines, as yaml.v2's emitter folds long ones at a
   * space: each line break (with the next line's indentation) reads back as one space.
   */
  private foldedQuoted(first: string, indent: number): string {
    let text = first;
    while (quotedScalarEnd(text) < 0) {
      const next = this.lines[this.i + 1];
      if (!next || next.text === '' || next.indent <= indent) yamlUnsupported('multi-line quoted scalars');
      if (/ $/.test(text)) yamlUnsupported('multi-line quoted scalars with trailing spaces');
      this.i++;
      text += ` ${(next as YamlLine).text}`;
    }
    return text;
  }

  /** A literal block scalar (| or |-): lines more indented than the key, joined. */
  private literal(parentIndent: number, strip: boolean): YamlValue {
    const content: string[] = [];
    let contentIndent = -1;
    while (this.i < this.lines.length) {
      const line = this.lines[this.i] as YamlLine;
      if (line.text === '') {
        if (contentIndent >= 0 && line.indent > contentIndent) yamlUnsupported('literal scalars with indented blank lines');
        content.push('');
        this.i++;
        continue;
      }
      if (contentIndent < 0) {
        if (line.indent <= parentIndent) break;
        contentIndent = line.indent;
      }
      if (line.indent < contentIndent) {
        if (line.indent > parentIndent) yamlUnsupported('literal scalars with uneven indentation');
        break;
      }
      content.push(line.raw.slice(contentIndent));
      this.i++;
    }
    if (contentIndent < 0) yamlUnsupported('empty literal scalars');
    // Trailing blank lines belong to no one here: give them back, then chomp.
    while (content.length > 0 && content[content.length - 1] === '') {
      content.pop();
      this.i--;
    }
    if (content.some((l) => l.startsWith(' '))) yamlUnsupported('literal scalars with more-indented lines');
    const text = content.join('\n');
    // Clipping keeps the last line break only where the text has one: not at its very end.
    const broken = this.i < this.lines.length;
    return { k: 'scalar', value: str(strip || !broken ? text : `${text}\n`) };
  }

  /** A scalar on the rest of a line (a quoted one may fold over the next lines); the next lines must not continue it. */
  private inlineValue(text: string, indent: number): YamlValue {
    if ((text.startsWith('"') || text.startsWith("'")) && quotedScalarEnd(text) < 0) text = this.foldedQuoted(text, indent);
    const value = yamlInlineScalar(text);
    // A scalar continued on more-indented lines is folded by YAML: not reproduced.
    for (let j = this.i + 1; j < this.lines.length; j++) {
      const next = this.lines[j] as YamlLine;
      if (next.text === '') continue;
      if (next.indent > indent) yamlUnsupported('scalars continued on the next line');
      break;
    }
    return value;
  }
}

/** "key: rest" (or "key:") with a plain or quoted key; undefined when the line is not a mapping entry. */
function splitYamlKey(text: string): { key: string; quoted: boolean; rest: string } | undefined {
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = quotedScalarEnd(text);
    if (end < 0) return undefined;
    const after = text.slice(end);
    if (!/^ *:( |$)/.test(after)) return undefined;
    return { key: text.slice(0, end), quoted: true, rest: after.replace(/^ *:/, '') };
  }
  const m = /^(.*?)(?<! ):( |$)/.exec(text);
  if (!m) return undefined;
  const key = m[1] as string;
  if (key.startsWith('- ') || key === '-') return undefined;
  // A plain key may start with -, ? or : only when a non-space follows (yaml.v2's scanner).
  if (key === '' || /^[,[\]{}#&*!|>'"%@`]/.test(key) || /^[-?:]( |$)/.test(key) || key.includes(' #')) return yamlUnsupported('keys starting with indicator characters');
  return { key, quoted: false, rest: text.slice(m[0].length - (m[2] === ' ' ? 1 : 0)) };
}

/** The index just after the closing quote of a quoted scalar at the start of text, or -1. */
function quotedScalarEnd(text: string): number {
  const quote = text[0];
  for (let i = 1; i < text.length; i++) {
    if (quote === "'" && text[i] === "'") {
      if (text[i + 1] === "'") {
        i++;
        continue;
      }
      return i + 1;
    }
    if (quote === '"') {
      if (text[i] === '\\') {
        i++;
        continue;
      }
      if (text[i] === '"') return i + 1;
    }
  }
  return -1;
}

/** A one-line scalar: quoted (with nothing but a comment after it) or plain. */
function yamlInlineScalar(text: string): YamlValue {
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = quotedScalarEnd(text);
    if (end < 0) yamlUnsupported('multi-line quoted scalars');
    const after = text.slice(end);
    if (!/^( +#.*)?$/.test(after.replace(/ +$/, ''))) yamlUnsupported('text after a quoted scalar');
    return { k: 'scalar', value: str(unquoteYamlScalar(text.slice(0, end))) };
  }
  const comment = text.search(/ #/);
  const bare = (comment >= 0 ? text.slice(0, comment) : text).replace(/ +$/, '');
  // Empty flow collections, as toYaml writes them.
  if (bare === '[]') return { k: 'seq', items: [] };
  if (bare === '{}') return { k: 'map', entries: [] };
  if (/^[[\]{},&*!|>%@`]/.test(text) || /^[?:-]( |$)/.test(text)) yamlUnsupported('flow collections, anchors, tags, block scalars or indicators');
  const plain = (comment >= 0 ? text.slice(0, comment) : text).replace(/ +$/, '');
  if (/: |:$/.test(plain)) yamlUnsupported('plain scalars containing ": "');
  if (plain.startsWith('#')) return { k: 'scalar', value: null };
  return { k: 'scalar', value: resolveYamlPlain(plain) };
}

/** The content of a single- or double-quoted YAML scalar (one line). */
function unquoteYamlScalar(quoted: string): string {
  const body = quoted.slice(1, -1);
  if (quoted[0] === "'") return body.replace(/''/g, "'");
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i] as string;
    const simple: Record<string, string> = { '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\xc2\x85', _: '\xc2\xa0', L: '\xe2\x80\xa8', P: '\xe2\x80\xa9' };
    if (e in simple) {
      out += simple[e];
      continue;
    }
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    const hex = body.slice(i + 1, i + 1 + width);
    if (width === 0 || hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) yamlUnsupported('unknown escapes in double-quoted scalars');
    const r = parseInt(hex, 16);
    if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) yamlUnsupported('invalid escaped characters');
    out += encodeRune(r);
    i += width;
  }
  return out;
}
