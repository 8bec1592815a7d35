// gjson.Get from github.com/tidwall/gjson v1.18.0 (with tidwall/match v1.1.1 and
// tidwall/pretty v1.2.0, the versions it requires), ported function by function, because ESO
// resolves remoteRef.property with it: vaultgate says "not found" exactly when ESO would.
//
// How ESO calls it (providers/vault, getSecretValue): the Vault API client decodes the
// response with UseNumber, so numbers stay their JSON text; the data map is json.Marshal'led
// (keys sorted bytewise, HTML characters escaped) and gjson.Get runs on that text — unless
// the property is a top-level key, which wins before any gjson syntax (`esoProperty`).
//
// Numbers: a JsonNumber (from parseJsonKeepingNumbers on Vault's response text) marshals as
// its text, exactly as ESO's json.Number does, so "1.50" stays 1.50. A plain JS number (data
// that went through JSON.parse) marshals as Go marshals a float64: strconv 'f' formatting in
// [1e-6, 1e21), 'e' outside with the exponent's leading zero dropped — the same text as
// Number#toString, except that -0 stays "-0". The two differ only where the original text
// was not canonical (1.50, 1e3, 1E+3) or held more precision than a float64; gjson's raw and
// Result.String() of such numbers then differ, while existence and types never do.
//
// Invariants:
// - The port works on "byte strings" (one UTF-16 unit per UTF-8 byte) so that every index,
//   slice and comparison is the one Go makes on its byte strings.
// - Every answer is either gjson's answer or `{ unsupported: true, reason }`, never a guess:
//   when Go would panic, when a limit below is hit, or when the value cannot be marshalled.
// - Bounded work on hostile input: the path is capped at MAX_PATH_LENGTH UTF-16 units; the
//   recursion (path nesting, JSON nesting) at MAX_NESTING; total scanning at a budget of
//   WORK_PER_BYTE units per input byte plus WORK_BASE, which keeps one evaluation well under
//   a second even on a megabyte of data. Go has no such caps (its stack grows and it scans
//   as long as it takes); hitting one makes the answer "unsupported", never a wrong one.
// - test/unit/go-semantics.test.ts checks all of this against the real Go module.
import { formatFloatF, parseFloatBytes } from './goStrconv.js';
import { decodeLastRune, decodeRune, encodeRune, fromByteString, goJsonString, toByteString } from './goStrings.js';

/** Longest remoteRef.property evaluated, in UTF-16 code units. */
export const MAX_PATH_LENGTH = 1000;
/** Deepest recursion (nested paths, queries, JSON nesting in modifiers) evaluated. */
export const MAX_NESTING = 1000;
const WORK_BASE = 1_000_000;
const WORK_PER_BYTE = 32;

export type GjsonType = 'null' | 'false' | 'true' | 'number' | 'string' | 'json';

/** gjson.Result as ESO sees it: raw is the JSON text, str is Result.String(). */
export interface GjsonResult {
  exists: boolean;
  type: GjsonType;
  raw: string;
  str: string;
}

/** vaultgate cannot tell what gjson would answer; the caller must say "could not verify". */
export interface GjsonUnsupported {
  unsupported: true;
  reason: string;
}

export type GjsonAnswer = GjsonResult | GjsonUnsupported;

export const isUnsupported = (answer: object): answer is GjsonUnsupported => (answer as Partial<GjsonUnsupported>).unsupported === true;

/**
 * A JSON number kept as its text, the way Go's json.Number (the Vault client decodes with
 * UseNumber) keeps it: ESO re-marshals "1.50" as 1.50, not 1.5.
 */
export class JsonNumber {
  constructor(readonly text: string) {}
}

// ---------------------------------------------------------------------------------------
// Public API

/**
 * gjson.Get(json.Marshal(data), path): `data` is the decoded Vault secret data. JS numbers
 * marshal as Go marshals a float64 (shortest round-trip digits, exponent form below 1e-6
 * and from 1e21, which is exactly JavaScript's Number#toString; -0 stays "-0");
 * JsonNumber values marshal as their text, as Go's json.Number does.
 */
export function gjsonGet(data: unknown, path: string): GjsonAnswer {
  const marshalled = marshalBytes(data);
  if (typeof marshalled !== 'string') return marshalled;
  return run(marshalled, path);
}

/**
 * The secret's data marshalled once, for several paths: get(path) is gjsonGet(data, path).
 * Unsupported when the data cannot be marshalled.
 */
export function gjsonPrepare(data: unknown): { get(path: string): GjsonAnswer } | GjsonUnsupported {
  const marshalled = marshalBytes(data);
  if (typeof marshalled !== 'string') return marshalled;
  return { get: (path: string) => run(marshalled, path) };
}

/** gjson.Get on JSON text exactly as given (no re-marshalling). */
export function gjsonGetJson(json: string, path: string): GjsonAnswer {
  return run(toByteString(json), path);
}

/**
 * ESO's Vault lookup of remoteRef.property: a top-level key of that exact name first, then
 * the gjson path. `found` is whether ESO would find a value (else "key ... does not exist").
 */
export function esoProperty(data: Record<string, unknown>, property: string): { found: boolean } | GjsonUnsupported {
  if (Object.hasOwn(data, property)) return { found: true };
  const answer = gjsonGet(data, property);
  return isUnsupported(answer) ? answer : { found: answer.exists };
}

/** json.Marshal(value) as Go produces it, or unsupported when Go would fail or we won't. */
export function marshalGoJson(value: unknown): string | GjsonUnsupported {
  const marshalled = marshalBytes(value);
  return typeof marshalled === 'string' ? fromByteString(marshalled) : marshalled;
}

/** gjson.Escape: a key made safe to use as one path component ("a.b" → "a\.b"). */
export function gjsonEscape(component: string): string {
  let out = '';
  for (const ch of component) {
    const c = ch.codePointAt(0) ?? 0;
    const safe = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c <= 0x20 || c > 0x7e || ch === '_' || ch === '-' || ch === ':';
    out += safe ? ch : `\\${ch}`;
  }
  return out;
}

/**
 * Names a remoteRef.property could use, for "did you mean" hints: every top-level key as it
 * is (ESO matches those before any gjson syntax) and gjson paths to keys of nested objects,
 * each component escaped as gjson requires. Only names, never values.
 */
export function gjsonPropertyNames(data: Record<string, unknown>, limit = 500): string[] {
  const names: string[] = [];
  const queue: Array<{ node: Record<string, unknown>; prefix: string }> = [];
  for (const [key, value] of Object.entries(data)) {
    if (names.length >= limit) return names;
    names.push(key);
    if (isPlainObject(value)) queue.push({ node: value, prefix: gjsonEscape(key) });
  }
  // Breadth first, so that a deep object cannot crowd out its shallower siblings.
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const [key, value] of Object.entries(next.node)) {
      if (names.length >= limit) return names;
      const name = `${next.prefix}.${gjsonEscape(key)}`;
      names.push(name);
      if (isPlainObject(value)) queue.push({ node: value, prefix: name });
    }
  }
  return names;
}

/**
 * JSON.parse, except that numbers become JsonNumber (their exact text), as Go's decoder
 * with UseNumber keeps them. Throws SyntaxError on invalid JSON and RangeError past
 * MAX_NESTING levels.
 */
export function parseJsonKeepingNumbers(text: string): unknown {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`invalid JSON at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
  const value = (depth: number): unknown => {
    if (depth > MAX_NESTING) throw new RangeError(`JSON nested deeper than ${MAX_NESTING} levels`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const object: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return object;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const key = string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        // defineProperty: a "__proto__" key is data, as JSON.parse makes it.
        Object.defineProperty(object, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return object;
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      const array: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return array;
      }
      for (;;) {
        array.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return array;
        } else fail();
      }
    }
    if (c === '"') return string();
    for (const [word, result] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return result;
      }
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (!number) return fail();
    i += number[0].length;
    return new JsonNumber(number[0]);
  };
  const string = (): string => {
    STRING.lastIndex = i;
    const match = STRING.exec(text);
    if (!match) return fail();
    i += match[0].length;
    return JSON.parse(match[0]) as string;
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail();
  return result;
}

// ---------------------------------------------------------------------------------------
// Bytes, limits, panics

/** What Go would do at this point is panic (index out of range and the like). */
class GoPanic extends Error {}
/** A vaultgate limit was hit; the answer is unsupported. */
class LimitHit extends Error {}

let work = 0;
let nesting = 0;

function spend(units: number): void {
  work -= units;
  if (work < 0) throw new LimitHit('the path needs more work than vaultgate allows for this secret');
}

function enter(): void {
  if (++nesting > MAX_NESTING) throw new LimitHit(`the path or data nests deeper than ${MAX_NESTING} levels`);
}

function run(json: string, path: string): GjsonAnswer {
  if (path.length > MAX_PATH_LENGTH) {
    return { unsupported: true, reason: `property longer than ${MAX_PATH_LENGTH} characters` };
  }
  const bytesPath = toByteString(path);
  work = WORK_BASE + WORK_PER_BYTE * (json.length + bytesPath.length);
  nesting = 0;
  try {
    const result = get(json, bytesPath);
    return {
      exists: exists(result),
      type: TYPE_NAMES[result.t] ?? 'null',
      raw: fromByteString(result.raw),
      str: fromByteString(resultString(result)),
    };
  } catch (error) {
    if (error instanceof GoPanic) return { unsupported: true, reason: `gjson panics on this property (${error.message})` };
    if (error instanceof LimitHit) return { unsupported: true, reason: error.message };
    if (error instanceof RangeError) return { unsupported: true, reason: 'the property nests too deeply to evaluate' };
    throw error;
  }
}

/** s[i] in Go: a byte, or a panic. */
function at(s: string, i: number): number {
  if (i < 0 || i >= s.length) throw new GoPanic(`index out of range [${i}] with length ${s.length}`);
  return s.charCodeAt(i);
}

/** s[lo:hi] in Go: a slice, or a panic. */
function cut(s: string, lo: number, hi: number = s.length): string {
  if (lo < 0 || hi < lo || hi > s.length) throw new GoPanic(`slice bounds out of range [${lo}:${hi}] with length ${s.length}`);
  return s.slice(lo, hi);
}

const code = (ch: string) => ch.charCodeAt(0);
const HEX = '0123456789abcdef';
const QUOTE = code('"');
const BACKSLASH = code('\\');
const SPACE = code(' ');
const OBRACE = code('{');
const CBRACE = code('}');
const OBRACKET = code('[');
const CBRACKET = code(']');
const OPAREN = code('(');
const CPAREN = code(')');
const DOT = code('.');
const PIPE = code('|');
const COMMA = code(',');
const COLON = code(':');
const HASH = code('#');
const AT = code('@');
const BANG = code('!');
const STAR = code('*');
const QMARK = code('?');
const MINUS = code('-');
const PLUS = code('+');
const ZERO = code('0');
const NINE = code('9');
const isDigit = (c: number) => c >= ZERO && c <= NINE;
/** The bytes gjson treats as starting a number. */
const isNumberStart = (c: number) => c === PLUS || c === MINUS || isDigit(c) || c === code('i') || c === code('I') || c === code('N');

// ---------------------------------------------------------------------------------------
// Result

const NULL = 0;
const FALSE = 1;
const NUMBER = 2;
const STRING = 3;
const TRUE = 4;
const JSON_T = 5;
const TYPE_NAMES: readonly GjsonType[] = ['null', 'false', 'number', 'string', 'true', 'json'];

/** gjson.Result without the index bookkeeping (Index, Indexes), which no answer here uses. */
interface Res {
  t: number;
  raw: string;
  str: string;
  num: number;
}

const empty = (): Res => ({ t: NULL, raw: '', str: '', num: 0 });
const exists = (r: Res) => r.t !== NULL || r.raw.length !== 0;
const isObject = (r: Res) => r.t === JSON_T && r.raw.length > 0 && r.raw.charCodeAt(0) === OBRACE;
const isArray = (r: Res) => r.t === JSON_T && r.raw.length > 0 && r.raw.charCodeAt(0) === OBRACKET;

/** Result.String() */
function resultString(r: Res): string {
  switch (r.t) {
    case FALSE:
      return 'false';
    case NUMBER: {
      if (r.raw.length === 0) return formatFloatF(r.num);
      let i = 0;
      if (r.raw.charCodeAt(0) === MINUS) i++;
      for (; i < r.raw.length; i++) {
        if (!isDigit(r.raw.charCodeAt(i))) return formatFloatF(r.num);
      }
      return r.raw;
    }
    case STRING:
      return r.str;
    case JSON_T:
      return r.raw;
    case TRUE:
      return 'true';
    default:
      return '';
  }
}

/** Result.Bool() */
function resultBool(r: Res): boolean {
  switch (r.t) {
    case TRUE:
      return true;
    case STRING:
      return parseBool(asciiLower(r.str)) === true;
    case NUMBER:
      return r.num !== 0;
    default:
      return false;
  }
}

/** Result.Int(), as a JS number (it only sets @pretty's width). */
function resultInt(r: Res): number {
  switch (r.t) {
    case TRUE:
      return 1;
    case STRING:
      return Number(gjsonParseInt(r.str) ?? 0n);
    case NUMBER: {
      if (r.num >= -9007199254740991 && r.num <= 9007199254740991) return Math.trunc(r.num);
      const parsed = gjsonParseInt(r.raw);
      if (parsed !== undefined) return Number(parsed);
      // int64(f) out of range: amd64 yields the "integer indefinite" value.
      return Number.isNaN(r.num) || Math.abs(r.num) >= 2 ** 63 ? -(2 ** 63) : Math.trunc(r.num);
    }
    default:
      return 0;
  }
}

/** gjson's parseInt: digits with an optional '-', wrapping like int64 arithmetic. */
function gjsonParseInt(s: string): bigint | undefined {
  let i = 0;
  let negative = false;
  if (s.length > 0 && s.charCodeAt(0) === MINUS) {
    negative = true;
    i++;
  }
  if (i === s.length) return undefined;
  let n = 0n;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return undefined;
    n = BigInt.asIntN(64, n * 10n + BigInt(c - ZERO));
  }
  return negative ? BigInt.asIntN(64, -n) : n;
}

/** strconv.ParseBool; undefined on error. */
function parseBool(s: string): boolean | undefined {
  if (s === '1' || s === 't' || s === 'T' || s === 'TRUE' || s === 'true' || s === 'True') return true;
  if (s === '0' || s === 'f' || s === 'F' || s === 'FALSE' || s === 'false' || s === 'False') return false;
  return undefined;
}

/**
 * strings.ToLower, as far as any comparison here can tell: ASCII letters, plus U+0130 (İ),
 * the one non-ASCII rune Go lowercases to an ASCII letter ('i') that a compared word uses.
 */
function asciiLower(s: string): string {
  return s.replace(/\xc4\xb0/g, 'i').replace(/[A-Z]/g, (ch) => ch.toLowerCase());
}

// ---------------------------------------------------------------------------------------
// json.Marshal

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof JsonNumber) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** json.Marshal into a byte string, or why not. */
function marshalBytes(value: unknown): string | GjsonUnsupported {
  const parts: string[] = [];
  const problem = marshalInto(parts, value, 0);
  return problem ? { unsupported: true, reason: problem } : parts.join('');
}

function marshalInto(out: string[], value: unknown, depth: number): string | undefined {
  if (depth > MAX_NESTING) return `the secret's data nests deeper than ${MAX_NESTING} levels`;
  if (value === null) out.push('null');
  else if (value === true) out.push('true');
  else if (value === false) out.push('false');
  else if (typeof value === 'string') out.push(goJsonString(toByteString(value), true));
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `the secret's data holds ${value}, which JSON cannot encode`;
    // Go's float64 encoding ('f' in [1e-6, 1e21), else 'e' with a trimmed exponent) writes
    // the same text as Number#toString, except that -0 keeps its sign.
    out.push(Object.is(value, -0) ? '-0' : String(value));
  } else if (value instanceof JsonNumber) {
    // json.Number: written as is ("" as 0), after checking it is a JSON number.
    const text = value.text === '' ? '0' : value.text;
    if (!JSON_NUMBER.test(text)) return `invalid number literal ${JSON.stringify(value.text)}`;
    out.push(text);
  } else if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const problem = marshalInto(out, value[i], depth + 1);
      if (problem) return problem;
    }
    out.push(']');
  } else if (isPlainObject(value)) {
    // map[string]interface{}: keys sorted by their UTF-8 bytes.
    const entries = Object.keys(value).map((key) => [toByteString(key), key] as const);
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    out.push('{');
    let first = true;
    for (const [bytes, key] of entries) {
      if (!first) out.push(',');
      first = false;
      out.push(goJsonString(bytes, true), ':');
      const problem = marshalInto(out, value[key], depth + 1);
      if (problem) return problem;
    }
    out.push('}');
  } else {
    return `the secret's data holds a ${typeof value}, which is not JSON`;
  }
  return undefined;
}


// ---------------------------------------------------------------------------------------
// tidwall/match

const R_NO_MATCH = 0;
const R_MATCH = 1;
const R_STOP = 2;

/** gjson's matchLimit: match.MatchLimit(str, pattern, 10000), stopped counting as no match. */
function matchLimit(str: string, pattern: string): boolean {
  if (pattern === '*') return true;
  return wildcard(str, pattern, str.length, { n: 0 }, 10000) === R_MATCH;
}

function wildcard(strIn: string, patIn: string, slen: number, counter: { n: number }, maxcomp: number): number {
  let str = strIn;
  let pat = patIn;
  if (counter.n > slen * maxcomp) return R_STOP;
  counter.n++;
  enter();
  try {
    while (pat.length > 0) {
      // Go bounds calls (10000 × len(str)), not the steps within them: count steps here.
      spend(1);
      let wild = false;
      let [pc, ps] = [pat.charCodeAt(0), 1];
      if (pc > 0x7f) [pc, ps] = decodeRune(pat, 0);
      let sc = 0;
      let ss = 0;
      if (str.length > 0) {
        [sc, ss] = [str.charCodeAt(0), 1];
        if (sc > 0x7f) [sc, ss] = decodeRune(str, 0);
      }
      if (pc === QMARK) {
        if (ss === 0) return R_NO_MATCH;
      } else if (pc === STAR) {
        while (pat.length > 1 && pat.charCodeAt(1) === STAR) pat = pat.slice(1);
        if (pat.length === 1) return R_MATCH;
        const trimmed = matchTrimSuffix(str, pat);
        if (!trimmed) return R_NO_MATCH;
        [str, pat] = trimmed;
        if (pat.length === 1) return R_MATCH;
        const r = wildcard(str, pat.slice(1), slen, counter, maxcomp);
        if (r !== R_NO_MATCH) return r;
        if (str.length === 0) return R_NO_MATCH;
        wild = true;
      } else {
        if (ss === 0) return R_NO_MATCH;
        if (pc === BACKSLASH) {
          pat = pat.slice(ps);
          [pc, ps] = decodeRune(pat, 0);
          if (ps === 0) return R_NO_MATCH;
        }
        if (sc !== pc) return R_NO_MATCH;
      }
      str = str.slice(ss);
      if (!wild) pat = pat.slice(ps);
    }
    return str.length === 0 ? R_MATCH : R_NO_MATCH;
  } finally {
    nesting--;
  }
}

function matchTrimSuffix(strIn: string, patIn: string): [string, string] | undefined {
  let str = strIn;
  let pat = patIn;
  let matched = true;
  while (str.length > 0 && pat.length > 1) {
    spend(1);
    const [pc, size] = decodeLastRune(pat);
    let ps = size;
    let escaped = false;
    for (let i = 0; ; i++) {
      if (at(pat, pat.length - ps - i - 1) !== BACKSLASH) {
        if ((i & 1) === 1) {
          escaped = true;
          ps++;
        }
        break;
      }
    }
    if (pc === STAR && !escaped) {
      matched = true;
      break;
    }
    const [sc, ss] = decodeLastRune(str);
    if (!((pc === QMARK && !escaped) || pc === sc)) {
      matched = false;
      break;
    }
    str = str.slice(0, str.length - ss);
    pat = pat.slice(0, pat.length - ps);
  }
  return matched ? [str, pat] : undefined;
}

// ---------------------------------------------------------------------------------------
// gjson: scanning helpers

/** squash: the whole value starting at json[0] ('[', '{', '(' or '"'), nesting ignored. */
function squash(json: string): string {
  let i = 0;
  let depth = 0;
  if (at(json, 0) !== QUOTE) {
    i = 1;
    depth = 1;
  }
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c < QUOTE || c > CBRACE) continue;
    if (c === QUOTE) {
      i++;
      const s2 = i;
      for (; i < json.length; i++) {
        const d = json.charCodeAt(i);
        if (d > BACKSLASH) continue;
        if (d === QUOTE) {
          if (at(json, i - 1) === BACKSLASH) {
            let n = 0;
            for (let j = i - 2; j > s2 - 1; j--) {
              if (json.charCodeAt(j) !== BACKSLASH) break;
              n++;
            }
            if (n % 2 === 0) continue;
          }
          break;
        }
      }
      if (depth === 0) {
        if (i >= json.length) return json;
        return json.slice(0, i + 1);
      }
    } else if (c === OBRACE || c === OBRACKET || c === OPAREN) {
      depth++;
    } else if (c === CBRACE || c === CBRACKET || c === CPAREN) {
      depth--;
      if (depth === 0) return json.slice(0, i + 1);
    }
  }
  return json;
}

const VCHARS = new Uint8Array(256);
VCHARS[QUOTE] = 2;
VCHARS[OBRACE] = 3;
VCHARS[OPAREN] = 3;
VCHARS[OBRACKET] = 3;
VCHARS[CBRACE] = 1;
VCHARS[CPAREN] = 1;
VCHARS[CBRACKET] = 1;

/**
 * parseSquash: the value whose opener is at json[i]. Like Go, an unterminated string ends
 * the scan at len(json)+1, which callers then treat as "past the end".
 */
function parseSquash(json: string, start: number): [number, string] {
  const s = start;
  let i = start + 1;
  let depth = 1;
  const n = json.length;
  while (i < n) {
    const c = VCHARS[json.charCodeAt(i)] ?? 0;
    if (c === 0) {
      i++;
      continue;
    }
    if (c === 2) {
      i++;
      const s2 = i;
      for (; i < n; i++) {
        if (json.charCodeAt(i) !== QUOTE) continue;
        let k = 0;
        for (let j = i - 1; j >= s2 && json.charCodeAt(j) === BACKSLASH; j--) k++;
        if (k % 2 === 0) break;
      }
    } else {
      depth += c - 2;
      if (depth === 0) {
        i++;
        return [i, json.slice(s, i)];
      }
    }
    i++;
  }
  return [i, cut(json, s)];
}

function tonum(json: string): [string, number] {
  for (let i = 1; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c <= MINUS) {
      if (c <= SPACE || c === COMMA) {
        const raw = json.slice(0, i);
        return [raw, parseFloatBytes(raw)];
      }
    } else if (c === CBRACKET || c === CBRACE) {
      const raw = json.slice(0, i);
      return [raw, parseFloatBytes(raw)];
    }
  }
  return [json, parseFloatBytes(json)];
}

function tolit(json: string): string {
  for (let i = 1; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c < code('a') || c > code('z')) return json.slice(0, i);
  }
  return json;
}

/** tostr: (raw, unescaped) for the string starting at json[0]. */
function tostr(json: string): [string, string] {
  for (let i = 1; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c > BACKSLASH) continue;
    if (c === QUOTE) return [json.slice(0, i + 1), json.slice(1, i)];
    if (c === BACKSLASH) {
      i++;
      for (; i < json.length; i++) {
        const d = json.charCodeAt(i);
        if (d > BACKSLASH) continue;
        if (d === QUOTE) {
          if (at(json, i - 1) === BACKSLASH) {
            let n = 0;
            for (let j = i - 2; j > 0; j--) {
              if (json.charCodeAt(j) !== BACKSLASH) break;
              n++;
            }
            if (n % 2 === 0) continue;
          }
          return [json.slice(0, i + 1), unescape(json.slice(1, i))];
        }
      }
      const raw = i + 1 < json.length ? json.slice(0, i + 1) : json.slice(0, i);
      return [raw, unescape(cut(json, 1, i))];
    }
  }
  return [json, cut(json, 1)];
}

/** parseString: json[i] is just past the opening quote; (next i, raw, escaped, ok). */
function parseString(json: string, start: number): [number, string, boolean, boolean] {
  const s = start;
  let i = start;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c > BACKSLASH) continue;
    if (c === QUOTE) return [i + 1, cut(json, s - 1, i + 1), false, true];
    if (c === BACKSLASH) {
      i++;
      for (; i < json.length; i++) {
        const d = json.charCodeAt(i);
        if (d > BACKSLASH) continue;
        if (d === QUOTE) {
          if (at(json, i - 1) === BACKSLASH) {
            let n = 0;
            for (let j = i - 2; j > 0; j--) {
              if (json.charCodeAt(j) !== BACKSLASH) break;
              n++;
            }
            if (n % 2 === 0) continue;
          }
          return [i + 1, cut(json, s - 1, i + 1), true, true];
        }
      }
      break;
    }
  }
  return [i, cut(json, s - 1), false, false];
}

function parseNumber(json: string, start: number): [number, string] {
  const s = start;
  let i = start + 1;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c <= SPACE || c === COMMA || c === CBRACKET || c === CBRACE) return [i, json.slice(s, i)];
  }
  return [i, json.slice(s)];
}

function parseLiteral(json: string, start: number): [number, string] {
  const s = start;
  let i = start + 1;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c < code('a') || c > code('z')) return [i, json.slice(s, i)];
  }
  return [i, json.slice(s)];
}

/** runeit: the rune of 4 hex digits (0 when they are not all hex, as ParseUint fails). */
function runeit(json: string): number {
  const digits = cut(json, 0, 4);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? parseInt(digits, 16) : 0;
}

/** unescape: JSON string escapes to bytes; stops at the first malformed escape or control byte. */
function unescape(json: string): string {
  let str = '';
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c < SPACE) return str;
    if (c !== BACKSLASH) {
      str += json[i];
      continue;
    }
    i++;
    if (i >= json.length) return str;
    switch (json[i]) {
      case '\\':
        str += '\\';
        break;
      case '/':
        str += '/';
        break;
      case 'b':
        str += '\b';
        break;
      case 'f':
        str += '\f';
        break;
      case 'n':
        str += '\n';
        break;
      case 'r':
        str += '\r';
        break;
      case 't':
        str += '\t';
        break;
      case '"':
        str += '"';
        break;
      case 'u': {
        if (i + 5 > json.length) return str;
        let r = runeit(json.slice(i + 1));
        i += 5;
        if (r >= 0xd800 && r < 0xe000) {
          if (json.length - i >= 6 && json.charCodeAt(i) === BACKSLASH && json[i + 1] === 'u') {
            r = decodeSurrogatePair(r, runeit(json.slice(i + 2)));
            i += 6;
          }
        }
        str += encodeRune(r);
        i--;
        break;
      }
      default:
        return str;
    }
  }
  return str;
}

/** utf16.DecodeRune: the pair's rune, or U+FFFD. */
function decodeSurrogatePair(r1: number, r2: number): number {
  if (r1 >= 0xd800 && r1 < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000) return ((r1 - 0xd800) << 10) + (r2 - 0xdc00) + 0x10000;
  return 0xfffd;
}

/** trim: drop bytes <= ' ' at both ends. */
function trim(s: string): string {
  let lo = 0;
  let hi = s.length;
  while (lo < hi && s.charCodeAt(lo) <= SPACE) lo++;
  while (hi > lo && s.charCodeAt(hi - 1) <= SPACE) hi--;
  return s.slice(lo, hi);
}

// ---------------------------------------------------------------------------------------
// gjson: Parse, parseAny, ForEach, Valid

/** gjson.Parse */
function parse(json: string): Res {
  const value = empty();
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === OBRACE || c === OBRACKET) {
      value.t = JSON_T;
      value.raw = json.slice(i);
      break;
    }
    if (c <= SPACE) continue;
    if (isNumberStart(c)) {
      value.t = NUMBER;
      [value.raw, value.num] = tonum(json.slice(i));
    } else if (c === code('n')) {
      if (i + 1 < json.length && json[i + 1] !== 'u') {
        value.t = NUMBER;
        [value.raw, value.num] = tonum(json.slice(i));
      } else {
        value.t = NULL;
        value.raw = tolit(json.slice(i));
      }
    } else if (c === code('t')) {
      value.t = TRUE;
      value.raw = tolit(json.slice(i));
    } else if (c === code('f')) {
      value.t = FALSE;
      value.raw = tolit(json.slice(i));
    } else if (c === QUOTE) {
      value.t = STRING;
      [value.raw, value.str] = tostr(json.slice(i));
    } else {
      return empty();
    }
    break;
  }
  return value;
}

/** parseAny: the next value from json[i]. */
function parseAny(json: string, start: number, hit: boolean): [number, Res, boolean] {
  const res = empty();
  let i = start;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === OBRACE || c === OBRACKET) {
      let val: string;
      [i, val] = parseSquash(json, i);
      if (hit) {
        res.raw = val;
        res.t = JSON_T;
      }
      return [i, res, true];
    }
    if (c <= SPACE) continue;
    let num = false;
    if (c === QUOTE) {
      i++;
      const [next, val, escaped, ok] = parseString(json, i);
      i = next;
      if (!ok) return [i, res, false];
      if (hit) {
        res.t = STRING;
        res.raw = val;
        res.str = escaped ? unescape(val.slice(1, -1)) : val.slice(1, -1);
      }
      return [i, res, true];
    }
    if (c === code('n') && i + 1 < json.length && json[i + 1] !== 'u') {
      num = true;
    } else if (c === code('n') || c === code('t') || c === code('f')) {
      let val: string;
      [i, val] = parseLiteral(json, i);
      if (hit) {
        res.raw = val;
        if (c === code('t')) res.t = TRUE;
        else if (c === code('f')) res.t = FALSE;
        return [i, res, true];
      }
    } else if (isNumberStart(c)) {
      num = true;
    }
    if (num) {
      let val: string;
      [i, val] = parseNumber(json, i);
      if (hit) {
        res.raw = val;
        res.t = NUMBER;
        res.num = parseFloatBytes(val);
      }
      return [i, res, true];
    }
  }
  return [i, res, false];
}

/** Result.ForEach: (key, value) pairs of an object or array; a scalar is its own one value. */
function forEach(t: Res, iterator: (key: Res, value: Res) => boolean): void {
  if (!exists(t)) return;
  if (t.t !== JSON_T) {
    iterator(empty(), t);
    return;
  }
  const json = t.raw;
  let obj = false;
  let i = 0;
  const key = empty();
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === OBRACE) {
      i++;
      key.t = STRING;
      obj = true;
      break;
    } else if (c === OBRACKET) {
      i++;
      key.t = NUMBER;
      key.num = -1;
      break;
    }
    if (c > SPACE) return;
  }
  for (; i < json.length; i++) {
    if (obj) {
      if (json.charCodeAt(i) !== QUOTE) continue;
      const [next, str, escaped, ok] = parseString(json, i + 1);
      i = next;
      if (!ok) return;
      key.str = escaped ? unescape(str.slice(1, -1)) : str.slice(1, -1);
      key.raw = str;
    } else {
      key.num += 1;
    }
    for (; i < json.length; i++) {
      const c = json.charCodeAt(i);
      if (c <= SPACE || c === COMMA || c === COLON) continue;
      break;
    }
    const [next, value, ok] = parseAny(json, i, true);
    i = next;
    if (!ok) return;
    if (!iterator({ ...key }, value)) return;
  }
}

/** gjson.Valid */
function valid(json: string): boolean {
  return validPayload(json, 0)[1];
}

const isJsonSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function validPayload(data: string, start: number): [number, boolean] {
  for (let i = start; i < data.length; i++) {
    if (isJsonSpace(data.charCodeAt(i))) continue;
    let ok: boolean;
    [i, ok] = validAny(data, i);
    if (!ok) return [i, false];
    for (; i < data.length; i++) {
      if (!isJsonSpace(data.charCodeAt(i))) return [i, false];
    }
    return [i, true];
  }
  return [data.length, false];
}

function validAny(data: string, start: number): [number, boolean] {
  enter();
  try {
    for (let i = start; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (isJsonSpace(c)) continue;
      if (c === OBRACE) return validObject(data, i + 1);
      if (c === OBRACKET) return validArray(data, i + 1);
      if (c === QUOTE) return validString(data, i + 1);
      if (c === MINUS || isDigit(c)) return validNumber(data, i + 1);
      if (c === code('t')) return validWord(data, i + 1, 'rue');
      if (c === code('f')) return validWord(data, i + 1, 'alse');
      if (c === code('n')) return validWord(data, i + 1, 'ull');
      return [i, false];
    }
    return [data.length, false];
  } finally {
    nesting--;
  }
}

function validObject(data: string, start: number): [number, boolean] {
  let i = start;
  for (; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (isJsonSpace(c)) continue;
    if (c === CBRACE) return [i + 1, true];
    if (c !== QUOTE) return [i, false];
    for (;;) {
      let ok: boolean;
      [i, ok] = validString(data, i + 1);
      if (!ok) return [i, false];
      [i, ok] = validColon(data, i);
      if (!ok) return [i, false];
      [i, ok] = validAny(data, i);
      if (!ok) return [i, false];
      [i, ok] = validComma(data, i, CBRACE);
      if (!ok) return [i, false];
      if (data.charCodeAt(i) === CBRACE) return [i + 1, true];
      i++;
      let key = false;
      for (; i < data.length; i++) {
        const d = data.charCodeAt(i);
        if (isJsonSpace(d)) continue;
        if (d === QUOTE) {
          key = true;
          break;
        }
        return [i, false];
      }
      if (!key) return [i, false];
    }
  }
  return [i, false];
}

function validColon(data: string, start: number): [number, boolean] {
  for (let i = start; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (isJsonSpace(c)) continue;
    if (c === COLON) return [i + 1, true];
    return [i, false];
  }
  return [data.length, false];
}

function validComma(data: string, start: number, end: number): [number, boolean] {
  for (let i = start; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (isJsonSpace(c)) continue;
    if (c === COMMA || c === end) return [i, true];
    return [i, false];
  }
  return [data.length, false];
}

function validArray(data: string, start: number): [number, boolean] {
  for (let i = start; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (isJsonSpace(c)) continue;
    if (c === CBRACKET) return [i + 1, true];
    for (; i < data.length; i++) {
      let ok: boolean;
      [i, ok] = validAny(data, i);
      if (!ok) return [i, false];
      [i, ok] = validComma(data, i, CBRACKET);
      if (!ok) return [i, false];
      if (data.charCodeAt(i) === CBRACKET) return [i + 1, true];
    }
    return [i, false];
  }
  return [data.length, false];
}

function validString(data: string, start: number): [number, boolean] {
  for (let i = start; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c < SPACE) return [i, false];
    if (c === BACKSLASH) {
      i++;
      if (i === data.length) return [i, false];
      const e = data[i] as string;
      if (e === 'u') {
        for (let j = 0; j < 4; j++) {
          i++;
          if (i >= data.length) return [i, false];
          if (!/[0-9a-fA-F]/.test(data[i] as string)) return [i, false];
        }
      } else if (!'"\\/bfnrt'.includes(e)) {
        return [i, false];
      }
    } else if (c === QUOTE) {
      return [i + 1, true];
    }
  }
  return [data.length, false];
}

function validNumber(data: string, start: number): [number, boolean] {
  let i = start - 1;
  const len = data.length;
  if (data.charCodeAt(i) === MINUS) {
    i++;
    if (i === len) return [i, false];
    if (!isDigit(data.charCodeAt(i))) return [i, false];
  }
  if (i === len) return [i, false];
  if (data.charCodeAt(i) === ZERO) i++;
  else for (; i < len && isDigit(data.charCodeAt(i)); i++);
  if (i === len) return [i, true];
  if (data.charCodeAt(i) === DOT) {
    i++;
    if (i === len) return [i, false];
    if (!isDigit(data.charCodeAt(i))) return [i, false];
    i++;
    for (; i < len && isDigit(data.charCodeAt(i)); i++);
  }
  if (i === len) return [i, true];
  if (data[i] === 'e' || data[i] === 'E') {
    i++;
    if (i === len) return [i, false];
    if (data[i] === '+' || data[i] === '-') i++;
    if (i === len) return [i, false];
    if (!isDigit(data.charCodeAt(i))) return [i, false];
    i++;
    for (; i < len && isDigit(data.charCodeAt(i)); i++);
  }
  return [i, true];
}

function validWord(data: string, start: number, rest: string): [number, boolean] {
  if (start + rest.length <= data.length && data.startsWith(rest, start)) return [start + rest.length, true];
  return [start, false];
}

/** AppendJSONString: s (bytes) as a JSON string, HTML characters escaped. */
function appendJSONString(dst: string, s: string): string {
  let out = `${dst}"`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < SPACE) {
      out += '\\';
      if (c === 0x08) out += 'b';
      else if (c === 0x0c) out += 'f';
      else if (c === 0x0a) out += 'n';
      else if (c === 0x0d) out += 'r';
      else if (c === 0x09) out += 't';
      else out += `u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (c === 0x3e || c === 0x3c || c === 0x26) {
      out += `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (c === BACKSLASH) {
      out += '\\\\';
    } else if (c === QUOTE) {
      out += '\\"';
    } else if (c > 127) {
      const [r, n] = decodeRune(s, i);
      if (n === 0) break;
      if (r === 0xfffd && n === 1) out += '\\ufffd';
      else if (r === 0x2028 || r === 0x2029) out += `\\u202${HEX[r & 0xf]}`;
      else out += s.slice(i, i + n);
      i += n - 1;
    } else {
      out += s[i];
    }
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------
// gjson: paths

interface ArrayPath {
  part: string;
  path: string;
  pipe: string;
  piped: boolean;
  more: boolean;
  alogok: boolean;
  arrch: boolean;
  alogkey: string;
  query: { on: boolean; all: boolean; path: string; op: string; value: string };
}

function parseArrayPath(path: string): ArrayPath {
  const r: ArrayPath = {
    part: '',
    path: '',
    pipe: '',
    piped: false,
    more: false,
    alogok: false,
    arrch: false,
    alogkey: '',
    query: { on: false, all: false, path: '', op: '', value: '' },
  };
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PIPE) {
      r.part = path.slice(0, i);
      r.pipe = path.slice(i + 1);
      r.piped = true;
      return r;
    }
    if (c === DOT) {
      r.part = path.slice(0, i);
      if (!r.arrch && i < path.length - 1 && isDotPiperChar(path.slice(i + 1))) {
        r.pipe = path.slice(i + 1);
        r.piped = true;
      } else {
        r.path = path.slice(i + 1);
        r.more = true;
      }
      return r;
    }
    if (c === HASH) {
      r.arrch = true;
      if (i === 0 && path.length > 1) {
        const next = path.charCodeAt(1);
        if (next === DOT) {
          r.alogok = true;
          r.alogkey = path.slice(2);
          r.path = path.slice(0, 1);
        } else if (next === OBRACKET || next === OPAREN) {
          r.query.on = true;
          const q = parseQuery(path.slice(i));
          if (!q) break;
          let value = q.value;
          if (value.length >= 2 && value.charCodeAt(0) === QUOTE && value.charCodeAt(value.length - 1) === QUOTE) {
            value = value.slice(1, -1);
            if (q.escaped) value = unescape(value);
          }
          r.query.path = q.path;
          r.query.op = q.op;
          r.query.value = value;
          i = q.end - 1;
          if (i + 1 < path.length && path.charCodeAt(i + 1) === HASH) r.query.all = true;
        }
      }
      continue;
    }
  }
  r.part = path;
  r.path = '';
  return r;
}

/** parseQuery: "#(path op value)rest" split up; undefined when the brackets do not balance. */
function parseQuery(query: string): { path: string; op: string; value: string; end: number; escaped: boolean } | undefined {
  if (query.length < 2 || query.charCodeAt(0) !== HASH || (query.charCodeAt(1) !== OPAREN && query.charCodeAt(1) !== OBRACKET)) {
    return undefined;
  }
  let i = 2;
  let j = 0;
  let depth = 1;
  let escaped = false;
  for (; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (depth === 1 && j === 0 && (c === BANG || c === code('=') || c === code('<') || c === code('>') || c === code('%'))) {
      j = i;
      continue;
    }
    if (c === BACKSLASH) {
      i++;
    } else if (c === OBRACKET || c === OPAREN) {
      depth++;
    } else if (c === CBRACKET || c === CPAREN) {
      depth--;
      if (depth === 0) break;
    } else if (c === QUOTE) {
      i++;
      for (; i < query.length; i++) {
        const d = query.charCodeAt(i);
        if (d === BACKSLASH) {
          escaped = true;
          i++;
        } else if (d === QUOTE) {
          break;
        }
      }
    }
  }
  if (depth > 0) return undefined;
  let path: string;
  let op = '';
  let value = '';
  if (j > 0) {
    path = trim(query.slice(2, j));
    value = trim(query.slice(j, i));
    let opsz = 0;
    const v0 = value[0];
    const v1 = value[1];
    if (value.length === 1) opsz = 1;
    else if (v0 === '!' && v1 === '=') opsz = 2;
    else if (v0 === '!' && v1 === '%') opsz = 2;
    else if (v0 === '<' && v1 === '=') opsz = 2;
    else if (v0 === '>' && v1 === '=') opsz = 2;
    else if (v0 === '=' && v1 === '=') {
      value = value.slice(1);
      opsz = 1;
    } else if (v0 === '<' || v0 === '>' || v0 === '=' || v0 === '%') opsz = 1;
    op = value.slice(0, opsz);
    value = trim(value.slice(opsz));
  } else {
    path = trim(query.slice(2, i));
  }
  return { path, op, value, end: i + 1, escaped };
}

const MODIFIER_NAMES = new Set(['pretty', 'ugly', 'reverse', 'this', 'flatten', 'join', 'valid', 'keys', 'values', 'tostr', 'fromstr', 'group', 'dig']);

/** isDotPiperChar: after a '.', does a modifier, '[' or '{' start (and so act as a pipe)? */
function isDotPiperChar(s: string): boolean {
  const c = at(s, 0);
  if (c === AT) {
    let i = 1;
    for (; i < s.length; i++) {
      const d = s.charCodeAt(i);
      if (d === DOT || d === PIPE || d === COLON) break;
    }
    return MODIFIER_NAMES.has(s.slice(1, i));
  }
  return c === OBRACKET || c === OBRACE;
}

interface ObjectPath {
  part: string;
  path: string;
  pipe: string;
  piped: boolean;
  wild: boolean;
  more: boolean;
}

function parseObjectPath(path: string): ObjectPath {
  const r: ObjectPath = { part: '', path: '', pipe: '', piped: false, wild: false, more: false };
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PIPE) {
      r.part = path.slice(0, i);
      r.pipe = path.slice(i + 1);
      r.piped = true;
      return r;
    }
    if (c === DOT) {
      r.part = path.slice(0, i);
      if (i < path.length - 1 && isDotPiperChar(path.slice(i + 1))) {
        r.pipe = path.slice(i + 1);
        r.piped = true;
      } else {
        r.path = path.slice(i + 1);
        r.more = true;
      }
      return r;
    }
    if (c === STAR || c === QMARK) {
      r.wild = true;
      continue;
    }
    if (c === BACKSLASH) {
      // Escape mode: the part is rebuilt without its backslashes.
      let epart = path.slice(0, i);
      i++;
      if (i < path.length) {
        epart += path[i];
        i++;
        for (; i < path.length; i++) {
          const d = path.charCodeAt(i);
          if (d === BACKSLASH) {
            i++;
            if (i < path.length) epart += path[i];
            continue;
          } else if (d === DOT) {
            r.part = epart;
            if (i < path.length - 1 && isDotPiperChar(path.slice(i + 1))) {
              r.pipe = path.slice(i + 1);
              r.piped = true;
            } else {
              r.path = path.slice(i + 1);
              r.more = true;
            }
            return r;
          } else if (d === PIPE) {
            r.part = epart;
            r.pipe = path.slice(i + 1);
            r.piped = true;
            return r;
          } else if (d === STAR || d === QMARK) {
            r.wild = true;
          }
          epart += path[i];
        }
      }
      r.part = epart;
      return r;
    }
  }
  r.part = path;
  return r;
}

/** splitPossiblePipe: split "left|right" at the first pipe that is not inside a selector. */
function splitPossiblePipe(path: string): [string, string] | undefined {
  if (!path.includes('|')) return undefined;
  if (path.length > 0 && path.charCodeAt(0) === OBRACE) {
    let squashed = squash(path.slice(1));
    if (squashed.length < path.length - 1) {
      squashed = path.slice(0, squashed.length + 1);
      const remain = path.slice(squashed.length);
      if (at(remain, 0) === PIPE) return [squashed, remain.slice(1)];
    }
    return undefined;
  }
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
    } else if (c === DOT) {
      if (i === path.length - 1) return undefined;
      if (path.charCodeAt(i + 1) === HASH) {
        i += 2;
        if (i === path.length) return undefined;
        const open = path.charCodeAt(i);
        if (open === OBRACKET || open === OPAREN) {
          const close = open === OBRACKET ? CBRACKET : CPAREN;
          i++;
          let depth = 1;
          for (; i < path.length; i++) {
            const d = path.charCodeAt(i);
            if (d === BACKSLASH) {
              i++;
            } else if (d === open) {
              depth++;
            } else if (d === close) {
              depth--;
              if (depth === 0) break;
            } else if (d === QUOTE) {
              i++;
              for (; i < path.length; i++) {
                const e = path.charCodeAt(i);
                if (e === BACKSLASH) i++;
                else if (e === QUOTE) break;
              }
            }
          }
        }
      }
    } else if (c === PIPE) {
      return [path.slice(0, i), path.slice(i + 1)];
    }
  }
  return undefined;
}

interface SubSelector {
  name: string;
  path: string;
}

/** parseSubSelectors: "[a,b]rest" or "{n:a,b}rest"; on failure Go returns an empty rest. */
function parseSubSelectors(pathIn: string): { sels: SubSelector[]; rest: string; ok: boolean } {
  const path = pathIn;
  const sels: SubSelector[] = [];
  let modifier = 0;
  let depth = 1;
  let colon = 0;
  let start = 1;
  let i = 1;
  const pushSel = () => {
    if (colon === 0) sels.push({ name: '', path: cut(path, start, i) });
    else sels.push({ name: cut(path, start, colon), path: cut(path, colon + 1, i) });
    colon = 0;
    modifier = 0;
    start = i + 1;
  };
  for (; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
    } else if (c === AT) {
      if (modifier === 0 && i > 0 && (path.charCodeAt(i - 1) === DOT || path.charCodeAt(i - 1) === PIPE)) modifier = i;
    } else if (c === COLON) {
      if (modifier === 0 && colon === 0 && depth === 1) colon = i;
    } else if (c === COMMA) {
      if (depth === 1) pushSel();
    } else if (c === QUOTE) {
      i++;
      for (; i < path.length; i++) {
        const d = path.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OBRACKET || c === OPAREN || c === OBRACE) {
      depth++;
    } else if (c === CBRACKET || c === CPAREN || c === CBRACE) {
      depth--;
      if (depth === 0) {
        pushSel();
        return { sels, rest: path.slice(i + 1), ok: true };
      }
    }
  }
  return { sels, rest: '', ok: false };
}

function nameOfLast(path: string): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const c = path.charCodeAt(i);
    if (c === PIPE || c === DOT) {
      if (i > 0 && path.charCodeAt(i - 1) === BACKSLASH) continue;
      return path.slice(i + 1);
    }
  }
  return path;
}

function isSimpleName(component: string): boolean {
  for (let i = 0; i < component.length; i++) {
    const c = component.charCodeAt(i);
    if (c < SPACE) return false;
    if ('[]{}()#|!'.includes(component[i] as string)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// gjson: Get, parseObject, parseArray

interface Ctx {
  json: string;
  value: Res;
  pipe: string;
  piped: boolean;
}

/** gjson.Get */
function get(json: string, pathIn: string): Res {
  enter();
  spend(json.length + pathIn.length);
  try {
    return getImpl(json, pathIn);
  } finally {
    nesting--;
  }
}

function getImpl(json: string, pathIn: string): Res {
  let path = pathIn;
  if (path.length > 1) {
    const p0 = path.charCodeAt(0);
    if (p0 === AT || p0 === BANG) {
      const [npath, rjson, ok] = p0 === AT ? execModifier(json, path) : execStatic(path);
      if (ok) {
        path = npath;
        if (path.length > 0 && (path.charCodeAt(0) === PIPE || path.charCodeAt(0) === DOT)) return get(rjson, path.slice(1));
        return parse(rjson);
      }
    }
    if (path.charCodeAt(0) === OBRACKET || path.charCodeAt(0) === OBRACE) {
      const kind = path.charCodeAt(0);
      const { sels, rest, ok } = parseSubSelectors(path);
      path = rest;
      if (ok && (path.length === 0 || path.charCodeAt(0) === PIPE || path.charCodeAt(0) === DOT)) {
        let b = String.fromCharCode(kind);
        let i = 0;
        for (const sub of sels) {
          const res = get(json, sub.path);
          if (!exists(res)) continue;
          if (i > 0) b += ',';
          if (kind === OBRACE) {
            if (sub.name.length > 0) {
              if (sub.name.charCodeAt(0) === QUOTE && valid(sub.name)) b += sub.name;
              else b = appendJSONString(b, sub.name);
            } else {
              const last = nameOfLast(sub.path);
              b = appendJSONString(b, isSimpleName(last) ? last : '_');
            }
            b += ':';
          }
          let raw: string;
          if (res.raw.length === 0) {
            raw = resultString(res);
            if (raw.length === 0) raw = 'null';
          } else {
            raw = res.raw;
          }
          b += raw;
          spend(raw.length);
          i++;
        }
        b += String.fromCharCode(kind + 2);
        let res: Res = { t: JSON_T, raw: b, str: '', num: 0 };
        if (path.length > 0) res = get(res.raw, path.slice(1));
        return res;
      }
    }
  }
  const c: Ctx = { json, value: empty(), pipe: '', piped: false };
  if (path.length >= 2 && path.charCodeAt(0) === DOT && path.charCodeAt(1) === DOT) {
    // JSON Lines: the document is read as the elements of one array.
    parseArray(c, 0, path.slice(2));
  } else {
    for (let i = 0; i < json.length; i++) {
      const ch = json.charCodeAt(i);
      if (ch === OBRACE) {
        parseObject(c, i + 1, path);
        break;
      }
      if (ch === OBRACKET) {
        parseArray(c, i + 1, path);
        break;
      }
    }
  }
  if (c.piped) return get(c.value.raw, c.pipe);
  return c.value;
}

function parseObject(c: Ctx, i: number, path: string): [number, boolean] {
  enter();
  try {
    return parseObjectImpl(c, i, path);
  } finally {
    nesting--;
  }
}

function parseObjectImpl(c: Ctx, start: number, path: string): [number, boolean] {
  const json = c.json;
  let i = start;
  let pmatch = false;
  let kesc = false;
  let ok = false;
  let hit = false;
  let key = '';
  const rp = parseObjectPath(path);
  if (!rp.more && rp.piped) {
    c.pipe = rp.pipe;
    c.piped = true;
  }
  while (i < json.length) {
    // The next key (a string); a '}' first ends the object.
    keyScan: for (; i < json.length; i++) {
      const ch = json.charCodeAt(i);
      if (ch === QUOTE) {
        i++;
        const s = i;
        for (; i < json.length; i++) {
          const d = json.charCodeAt(i);
          if (d > BACKSLASH) continue;
          if (d === QUOTE) {
            key = json.slice(s, i);
            i++;
            kesc = false;
            ok = true;
            break keyScan;
          }
          if (d === BACKSLASH) {
            i++;
            for (; i < json.length; i++) {
              const e = json.charCodeAt(i);
              if (e > BACKSLASH) continue;
              if (e === QUOTE) {
                if (at(json, i - 1) === BACKSLASH) {
                  let n = 0;
                  for (let j = i - 2; j > 0; j--) {
                    if (json.charCodeAt(j) !== BACKSLASH) break;
                    n++;
                  }
                  if (n % 2 === 0) continue;
                }
                key = json.slice(s, i);
                i++;
                kesc = true;
                ok = true;
                break keyScan;
              }
            }
            break;
          }
        }
        key = json.slice(s);
        kesc = false;
        ok = false;
        break keyScan;
      }
      if (ch === CBRACE) return [i + 1, false];
    }
    if (!ok) return [i, false];
    const name = kesc ? unescape(key) : key;
    pmatch = rp.wild ? matchLimit(name, rp.part) : rp.part === name;
    hit = pmatch && !rp.more;
    for (; i < json.length; i++) {
      const ch = json.charCodeAt(i);
      let num = false;
      if (ch === QUOTE) {
        i++;
        let val: string;
        let vesc: boolean;
        [i, val, vesc, ok] = parseString(json, i);
        if (!ok) return [i, false];
        if (hit) {
          c.value.str = vesc ? unescape(val.slice(1, -1)) : val.slice(1, -1);
          c.value.raw = val;
          c.value.t = STRING;
          return [i, true];
        }
      } else if (ch === OBRACE || ch === OBRACKET) {
        if (pmatch && !hit) {
          [i, hit] = ch === OBRACE ? parseObject(c, i + 1, rp.path) : parseArray(c, i + 1, rp.path);
          if (hit) return [i, true];
        } else {
          let val: string;
          [i, val] = parseSquash(json, i);
          if (hit) {
            c.value.raw = val;
            c.value.t = JSON_T;
            return [i, true];
          }
        }
      } else if (ch === code('n') && i + 1 < json.length && json[i + 1] !== 'u') {
        num = true;
      } else if (ch === code('n') || ch === code('t') || ch === code('f')) {
        let val: string;
        [i, val] = parseLiteral(json, i);
        if (hit) {
          c.value.raw = val;
          if (ch === code('t')) c.value.t = TRUE;
          else if (ch === code('f')) c.value.t = FALSE;
          return [i, true];
        }
      } else if (isNumberStart(ch)) {
        num = true;
      } else {
        continue;
      }
      if (num) {
        let val: string;
        [i, val] = parseNumber(json, i);
        if (hit) {
          c.value.raw = val;
          c.value.t = NUMBER;
          c.value.num = parseFloatBytes(val);
          return [i, true];
        }
      }
      break;
    }
  }
  return [i, false];
}

function falseish(t: Res): boolean {
  switch (t.t) {
    case NULL:
    case FALSE:
      return true;
    case STRING: {
      const b = parseBool(asciiLower(t.str));
      return b === undefined ? false : !b;
    }
    case NUMBER:
      return t.num === 0;
    default:
      return false;
  }
}

function trueish(t: Res): boolean {
  switch (t.t) {
    case TRUE:
      return true;
    case STRING:
      return parseBool(asciiLower(t.str)) === true;
    case NUMBER:
      return t.num !== 0;
    default:
      return false;
  }
}

function queryMatches(rp: ArrayPath, valueIn: Res): boolean {
  let value = valueIn;
  let rpv = rp.query.value;
  if (rpv.length > 0 && rpv.charCodeAt(0) === code('~')) {
    // ~true, ~false, ~null, ~*: compare truthiness
    rpv = rpv.slice(1);
    let ish: boolean | undefined;
    if (rpv === '*') ish = exists(value);
    else if (rpv === 'null') ish = value.t === NULL;
    else if (rpv === 'true') ish = trueish(value);
    else if (rpv === 'false') ish = falseish(value);
    if (ish !== undefined) {
      rpv = 'true';
      value = { ...empty(), t: ish ? TRUE : FALSE };
    } else {
      rpv = '';
      value = empty();
    }
  }
  if (!exists(value)) return false;
  const op = rp.query.op;
  if (op === '') return true;
  switch (value.t) {
    case STRING:
      switch (op) {
        case '=':
          return value.str === rpv;
        case '!=':
          return value.str !== rpv;
        case '<':
          return value.str < rpv;
        case '<=':
          return value.str <= rpv;
        case '>':
          return value.str > rpv;
        case '>=':
          return value.str >= rpv;
        case '%':
          return matchLimit(value.str, rpv);
        case '!%':
          return !matchLimit(value.str, rpv);
      }
      break;
    case NUMBER: {
      const rpvn = parseFloatBytes(rpv);
      switch (op) {
        case '=':
          return value.num === rpvn;
        case '!=':
          return value.num !== rpvn;
        case '<':
          return value.num < rpvn;
        case '<=':
          return value.num <= rpvn;
        case '>':
          return value.num > rpvn;
        case '>=':
          return value.num >= rpvn;
      }
      break;
    }
    case TRUE:
      switch (op) {
        case '=':
          return rpv === 'true';
        case '!=':
          return rpv !== 'true';
        case '>':
          return rpv === 'false';
        case '>=':
          return true;
      }
      break;
    case FALSE:
      switch (op) {
        case '=':
          return rpv === 'false';
        case '!=':
          return rpv !== 'false';
        case '<':
          return rpv === 'true';
        case '<=':
          return true;
      }
      break;
  }
  return false;
}

function parseArray(c: Ctx, i: number, path: string): [number, boolean] {
  enter();
  try {
    return parseArrayImpl(c, i, path);
  } finally {
    nesting--;
  }
}

function parseArrayImpl(c: Ctx, start: number, path: string): [number, boolean] {
  const json = c.json;
  let i = start;
  let pmatch = false;
  let hit = false;
  let h = 0;
  const alog: number[] = [];
  let partidx = 0;
  let multires = '';
  const rp = parseArrayPath(path);
  if (!rp.arrch) {
    partidx = /^[0-9]+$/.test(rp.part) ? parseIndex(rp.part) : -1;
  }
  if (!rp.more && rp.piped) {
    c.pipe = rp.pipe;
    c.piped = true;
  }

  const procQuery = (qval: Res): boolean => {
    if (rp.query.all && multires.length === 0) multires = '[';
    let res: Res;
    if (qval.t === JSON_T) {
      res = get(qval.raw, rp.query.path);
    } else {
      if (rp.query.path !== '') return false;
      res = qval;
    }
    if (!queryMatches(rp, res)) return false;
    if (rp.more) {
      const split = splitPossiblePipe(rp.path);
      if (split) {
        rp.path = split[0];
        c.pipe = split[1];
        c.piped = true;
      }
      res = get(qval.raw, rp.path);
    } else {
      res = qval;
    }
    if (rp.query.all) {
      let raw = res.raw;
      if (raw.length === 0) raw = resultString(res);
      if (raw !== '') {
        if (multires.length > 1) multires += ',';
        multires += raw;
        spend(raw.length);
      }
      return false;
    }
    c.value = res;
    return true;
  };

  while (i < json.length + 1) {
    if (!rp.arrch) {
      pmatch = partidx === h;
      hit = pmatch && !rp.more;
    }
    h++;
    if (rp.alogok) alog.push(i);
    for (; ; i++) {
      let ch: number;
      if (i > json.length) break;
      else if (i === json.length) ch = CBRACKET;
      else ch = json.charCodeAt(i);
      let num = false;
      if (ch === QUOTE) {
        i++;
        const [next, val, vesc, ok] = parseString(json, i);
        i = next;
        if (!ok) return [i, false];
        if (rp.query.on) {
          const qval: Res = { t: STRING, raw: val, str: vesc ? unescape(val.slice(1, -1)) : val.slice(1, -1), num: 0 };
          if (procQuery(qval)) return [i, true];
        } else if (hit) {
          if (!rp.alogok) {
            c.value.str = vesc ? unescape(val.slice(1, -1)) : val.slice(1, -1);
            c.value.raw = val;
            c.value.t = STRING;
            return [i, true];
          }
        }
      } else if (ch === OBRACE || ch === OBRACKET) {
        if (pmatch && !hit) {
          [i, hit] = ch === OBRACE ? parseObject(c, i + 1, rp.path) : parseArray(c, i + 1, rp.path);
          if (hit && !rp.alogok) return [i, true];
        } else {
          let val: string;
          [i, val] = parseSquash(json, i);
          if (rp.query.on) {
            if (procQuery({ t: JSON_T, raw: val, str: '', num: 0 })) return [i, true];
          } else if (hit && !rp.alogok) {
            c.value.raw = val;
            c.value.t = JSON_T;
            return [i, true];
          }
        }
      } else if (ch === code('n') && i + 1 < json.length && json[i + 1] !== 'u') {
        num = true;
      } else if (ch === code('n') || ch === code('t') || ch === code('f')) {
        let val: string;
        [i, val] = parseLiteral(json, i);
        const type = ch === code('t') ? TRUE : ch === code('f') ? FALSE : undefined;
        if (rp.query.on) {
          if (procQuery({ t: type ?? NULL, raw: val, str: '', num: 0 })) return [i, true];
        } else if (hit && !rp.alogok) {
          c.value.raw = val;
          if (type !== undefined) c.value.t = type;
          return [i, true];
        }
      } else if (isNumberStart(ch)) {
        num = true;
      } else if (ch === CBRACKET) {
        if (rp.arrch && rp.part === '#') {
          if (rp.alogok) {
            const split = splitPossiblePipe(rp.alogkey);
            if (split) {
              rp.alogkey = split[0];
              c.pipe = split[1];
              c.piped = true;
            }
            let jsons = '[';
            let k = 0;
            for (const from of alog) {
              let idx = from;
              while (idx < json.length) {
                const d = json.charCodeAt(idx);
                if (d === 0x20 || d === 0x09 || d === 0x0d || d === 0x0a) idx++;
                else break;
              }
              if (idx < json.length && json.charCodeAt(idx) !== CBRACKET) {
                const [, element, ok] = parseAny(json, idx, true);
                if (ok) {
                  const res = get(element.raw, rp.alogkey);
                  if (exists(res)) {
                    if (k > 0) jsons += ',';
                    const raw = res.raw.length === 0 ? resultString(res) : res.raw;
                    jsons += raw;
                    spend(raw.length);
                    k++;
                  }
                }
              }
            }
            jsons += ']';
            c.value.t = JSON_T;
            c.value.raw = jsons;
            return [i + 1, true];
          }
          c.value.t = NUMBER;
          c.value.num = h - 1;
          c.value.raw = String(h - 1);
          return [i + 1, true];
        }
        if (!exists(c.value)) {
          if (multires.length > 0) c.value = { t: JSON_T, raw: `${multires}]`, str: '', num: 0 };
          else if (rp.query.all) c.value = { t: JSON_T, raw: '[]', str: '', num: 0 };
        }
        return [i + 1, false];
      } else {
        continue;
      }
      if (num) {
        let val: string;
        [i, val] = parseNumber(json, i);
        if (rp.query.on) {
          if (procQuery({ t: NUMBER, raw: val, str: '', num: parseFloatBytes(val) })) return [i, true];
        } else if (hit && !rp.alogok) {
          c.value.raw = val;
          c.value.t = NUMBER;
          c.value.num = parseFloatBytes(val);
          return [i, true];
        }
      }
      break;
    }
  }
  return [i, false];
}

/** gjson's parseUint for an array index, converted to int (uint64 wraps, then int64). */
function parseIndex(digits: string): number {
  let n = 0n;
  for (let i = 0; i < digits.length; i++) n = BigInt.asUintN(64, n * 10n + BigInt(digits.charCodeAt(i) - ZERO));
  const asInt = BigInt.asIntN(64, n);
  // Indexes past any real array length behave alike; keep them from colliding with h.
  return asInt > BigInt(Number.MAX_SAFE_INTEGER) || asInt < 0n ? -2 : Number(asInt);
}

// ---------------------------------------------------------------------------------------
// gjson: static values and modifiers

/** execStatic: "!true", "!{...}", "!-1" and the like. */
function execStatic(path: string): [string, string, boolean] {
  let name = path.slice(1);
  let pathOut = '';
  if (name.length > 0 && /^[{["+\-0-9]/.test(name[0] as string)) {
    const [, res] = parseSquash(name, 0);
    return [name.slice(res.length), res, true];
  }
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PIPE || c === DOT) {
      pathOut = path.slice(i);
      name = path.slice(1, i);
      break;
    }
  }
  const lower = asciiLower(name);
  if (lower === 'true' || lower === 'false' || lower === 'null' || lower === 'nan' || lower === 'inf') return [pathOut, name, true];
  return [pathOut, '', false];
}

/** execModifier: "@name", "@name:args", followed by the rest of the path. */
function execModifier(json: string, path: string): [string, string, boolean] {
  let name = path.slice(1);
  let pathOut = '';
  let hasArgs = false;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === COLON) {
      pathOut = path.slice(i + 1);
      name = path.slice(1, i);
      hasArgs = pathOut.length > 0;
      break;
    }
    if (c === PIPE || c === DOT) {
      pathOut = path.slice(i);
      name = path.slice(1, i);
      break;
    }
  }
  const fn = MODIFIERS.get(name);
  if (!fn) return [pathOut, '', false];
  let args = '';
  if (hasArgs) {
    let parsedArgs = false;
    const first = pathOut.charCodeAt(0);
    if (first === OBRACE || first === OBRACKET || first === QUOTE) {
      if (exists(parse(pathOut))) {
        args = squash(pathOut);
        pathOut = pathOut.slice(args.length);
        parsedArgs = true;
      }
    }
    if (!parsedArgs) {
      let i = 0;
      for (; i < pathOut.length; i++) {
        const c = pathOut.charCodeAt(i);
        if (c === PIPE) break;
        if (c === OBRACE || c === OBRACKET || c === QUOTE || c === OPAREN) {
          const s = squash(pathOut.slice(i));
          i += s.length - 1;
        }
      }
      args = cut(pathOut, 0, i);
      pathOut = pathOut.slice(i);
    }
  }
  const out = fn(json, args);
  spend(out.length);
  return [pathOut, out, true];
}

/** unwrap: drop the outer [] or {} */
function unwrap(jsonIn: string): string {
  const json = trim(jsonIn);
  if (json.length >= 2 && (json.charCodeAt(0) === OBRACKET || json.charCodeAt(0) === OBRACE)) return json.slice(1, -1);
  return json;
}

/** cleanWS: only the whitespace of s, unless s is nothing but whitespace already. */
function cleanWS(s: string): string {
  return /[^ \t\n\r]/.test(s) ? s.replace(/[^ \t\n\r]/g, '') : s;
}

const MODIFIERS = new Map<string, (json: string, arg: string) => string>([
  ['pretty', modPretty],
  ['ugly', (json) => ugly(json)],
  ['reverse', modReverse],
  ['this', (json) => json],
  ['flatten', modFlatten],
  ['join', modJoin],
  ['valid', (json) => (valid(json) ? json : '')],
  ['keys', modKeys],
  ['values', modValues],
  ['tostr', (json) => appendJSONString('', json)],
  ['fromstr', (json) => (valid(json) ? resultString(parse(json)) : '')],
  ['group', modGroup],
  ['dig', modDig],
]);

function modPretty(json: string, arg: string): string {
  const opts = { width: 80, prefix: '', indent: '  ', sortKeys: false };
  if (arg.length > 0) {
    forEach(parse(arg), (key, value) => {
      switch (resultString(key)) {
        case 'sortKeys':
          opts.sortKeys = resultBool(value);
          break;
        case 'indent':
          opts.indent = cleanWS(resultString(value));
          break;
        case 'prefix':
          opts.prefix = cleanWS(resultString(value));
          break;
        case 'width':
          opts.width = resultInt(value);
          break;
      }
      return true;
    });
  }
  return prettyOptions(json, opts);
}

function modReverse(json: string): string {
  const res = parse(json);
  if (isArray(res)) {
    const values: Res[] = [];
    forEach(res, (_, value) => {
      values.push(value);
      return true;
    });
    return `[${values.reverse().map((value) => value.raw).join(',')}]`;
  }
  if (isObject(res)) {
    const pairs: string[] = [];
    forEach(res, (key, value) => {
      pairs.push(`${key.raw}:${value.raw}`);
      return true;
    });
    return `{${pairs.reverse().join(',')}}`;
  }
  return json;
}

function modFlatten(json: string, arg: string): string {
  enter();
  try {
    const res = parse(json);
    if (!isArray(res)) return json;
    let deep = false;
    if (arg !== '') {
      forEach(parse(arg), (key, value) => {
        if (resultString(key) === 'deep') deep = resultBool(value);
        return true;
      });
    }
    const out: string[] = [];
    forEach(res, (_, value) => {
      let raw = isArray(value) ? unwrap(deep ? modFlatten(value.raw, arg) : value.raw) : value.raw;
      raw = goTrimSpace(raw);
      if (raw.length > 0) out.push(raw);
      spend(raw.length);
      return true;
    });
    return `[${out.join(',')}]`;
  } finally {
    nesting--;
  }
}

/** unicode.IsSpace */
function isGoSpace(r: number): boolean {
  return (
    (r >= 0x09 && r <= 0x0d) || r === 0x20 || r === 0x85 || r === 0xa0 || r === 0x1680 || (r >= 0x2000 && r <= 0x200a) ||
    r === 0x2028 || r === 0x2029 || r === 0x202f || r === 0x205f || r === 0x3000
  );
}

/** strings.TrimSpace (and bytes.TrimSpace) on a byte string. */
function goTrimSpace(s: string): string {
  let lo = 0;
  while (lo < s.length) {
    const [r, size] = decodeRune(s, lo);
    if (!isGoSpace(r)) break;
    lo += size;
  }
  let hi = s.length;
  while (hi > lo) {
    const [r, size] = decodeLastRune(s.slice(lo, hi));
    if (!isGoSpace(r)) break;
    hi -= size;
  }
  return s.slice(lo, hi);
}

function modKeys(json: string): string {
  const v = parse(json);
  if (!exists(v)) return '[]';
  const obj = isObject(v);
  const out: string[] = [];
  forEach(v, (key) => {
    out.push(obj ? key.raw : 'null');
    return true;
  });
  return `[${out.join(',')}]`;
}

function modValues(json: string): string {
  const v = parse(json);
  if (!exists(v)) return '[]';
  if (isArray(v)) return json;
  const out: string[] = [];
  forEach(v, (_, value) => {
    out.push(value.raw);
    return true;
  });
  return `[${out.join(',')}]`;
}

function modJoin(json: string, arg: string): string {
  const res = parse(json);
  if (!isArray(res)) return json;
  let preserve = false;
  if (arg !== '') {
    forEach(parse(arg), (key, value) => {
      if (resultString(key) === 'preserve') preserve = resultBool(value);
      return true;
    });
  }
  const out: string[] = [];
  if (preserve) {
    forEach(res, (_, value) => {
      if (isObject(value)) out.push(unwrap(value.raw));
      return true;
    });
    return `{${out.join(',')}}`;
  }
  const keys: Res[] = [];
  const values = new Map<string, Res>();
  forEach(res, (_, value) => {
    if (!isObject(value)) return true;
    forEach(value, (key, member) => {
      const k = resultString(key);
      if (!values.has(k)) keys.push(key);
      values.set(k, member);
      return true;
    });
    return true;
  });
  for (const key of keys) out.push(`${key.raw}:${values.get(resultString(key))?.raw ?? ''}`);
  return `{${out.join(',')}}`;
}

function modGroup(json: string): string {
  const res = parse(json);
  if (!isObject(res)) return '';
  const all: string[] = [];
  forEach(res, (key, value) => {
    if (!isArray(value)) return true;
    let idx = 0;
    forEach(value, (_, member) => {
      if (idx === all.length) all.push('');
      all[idx] += `,${key.raw}:${member.raw}`;
      spend(key.raw.length + member.raw.length);
      idx++;
      return true;
    });
    return true;
  });
  return `[${all.map((item) => `{${item.slice(1)}}`).join(',')}]`;
}

function modDig(json: string, arg: string): string {
  const all: Res[] = [];
  const descend = (parent: Res) => {
    enter();
    const res = get(parent.raw, arg);
    if (exists(res)) all.push(res);
    if (isArray(parent) || isObject(parent)) {
      forEach(parent, (_, value) => {
        descend(value);
        return true;
      });
    }
    nesting--;
  };
  descend(parse(json));
  return `[${all.map((res) => res.raw).join(',')}]`;
}

// ---------------------------------------------------------------------------------------
// tidwall/pretty: Pretty (with options) and Ugly

/**
 * pretty's output buffer. Go appends to a []byte, overwrites its last byte and truncates
 * it; chunks of text give the same operations without a JS call per byte.
 */
class ByteBuf {
  private chunks: string[] = [];
  length = 0;
  push(s: string): void {
    spend(s.length);
    if (s.length === 0) return;
    this.chunks.push(s);
    this.length += s.length;
  }
  pushByte(b: number): void {
    this.push(String.fromCharCode(b));
  }
  /** buf[len(buf)-1], or a Go panic on an empty buffer. */
  lastByte(): number {
    const last = this.chunks[this.chunks.length - 1];
    if (last === undefined) throw new GoPanic('index out of range [-1]');
    return last.charCodeAt(last.length - 1);
  }
  /** buf[len(buf)-1] = b */
  setLastByte(b: number): void {
    const last = this.chunks.pop() as string;
    this.chunks.push(last.slice(0, -1) + String.fromCharCode(b));
  }
  /** buf = buf[:n] */
  truncate(n: number): void {
    while (this.length > n) {
      const last = this.chunks.pop() as string;
      this.length -= last.length;
      if (this.length < n) {
        this.chunks.push(last.slice(0, n - this.length));
        this.length = n;
      }
    }
  }
  /** string(buf[lo:hi]) */
  slice(lo: number, hi: number): string {
    if (lo < 0 || hi < lo || hi > this.length) throw new GoPanic(`slice bounds out of range [${lo}:${hi}]`);
    return this.toString().slice(lo, hi);
  }
  toString(): string {
    if (this.chunks.length > 1) this.chunks = [this.chunks.join('')];
    return this.chunks[0] ?? '';
  }
}

interface PrettyOptions {
  width: number;
  prefix: string;
  indent: string;
  sortKeys: boolean;
}

function prettyOptions(json: string, opts: PrettyOptions): string {
  const buf = new ByteBuf();
  if (opts.prefix.length !== 0) buf.push(opts.prefix);
  appendPrettyAny(buf, json, 0, true, opts.width, opts.prefix, opts.indent, opts.sortKeys, 0, 0, -1);
  if (buf.length > 0) buf.pushByte(0x0a);
  return buf.toString();
}

function ugly(src: string): string {
  const dst: string[] = [];
  for (let i = 0; i < src.length; i++) {
    if (src.charCodeAt(i) <= SPACE) continue;
    const start = i;
    if (src.charCodeAt(i) === QUOTE) {
      for (i = i + 1; i < src.length; i++) {
        if (src.charCodeAt(i) === QUOTE) {
          let j = i - 1;
          while (src.charCodeAt(j) === BACKSLASH) j--;
          if ((j - i) % 2 !== 0) break;
        }
      }
    }
    dst.push(src.slice(start, i + 1));
  }
  return dst.join('');
}

function isNaNOrInf(src: string, i: number): boolean {
  const c = src[i];
  return c === 'i' || c === 'I' || c === '+' || c === 'N' || (c === 'n' && i + 1 < src.length && src[i + 1] !== 'u');
}

/** Returns [i, nl, ok]; appends to buf. */
function appendPrettyAny(
  buf: ByteBuf,
  json: string,
  start: number,
  pretty: boolean,
  width: number,
  prefix: string,
  indent: string,
  sortkeys: boolean,
  tabs: number,
  nl: number,
  max: number,
): [number, number, boolean] {
  for (let i = start; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c <= SPACE) continue;
    if (c === QUOTE) return appendPrettyString(buf, json, i, nl);
    if (isDigit(c) || c === MINUS || isNaNOrInf(json, i)) return appendPrettyNumber(buf, json, i, nl);
    if (c === OBRACE) return appendPrettyObject(buf, json, i, OBRACE, CBRACE, pretty, width, prefix, indent, sortkeys, tabs, nl, max);
    if (c === OBRACKET) return appendPrettyObject(buf, json, i, OBRACKET, CBRACKET, pretty, width, prefix, indent, sortkeys, tabs, nl, max);
    if (c === code('t')) {
      buf.push('true');
      return [i + 4, nl, true];
    }
    if (c === code('f')) {
      buf.push('false');
      return [i + 5, nl, true];
    }
    if (c === code('n')) {
      buf.push('null');
      return [i + 4, nl, true];
    }
  }
  return [Math.max(start, json.length), nl, true];
}

interface Pair {
  kstart: number;
  kend: number;
  vstart: number;
  vend: number;
}

function appendPrettyObject(
  buf: ByteBuf,
  json: string,
  start: number,
  open: number,
  close: number,
  pretty: boolean,
  width: number,
  prefix: string,
  indent: string,
  sortkeysIn: boolean,
  tabs: number,
  nlIn: number,
  max: number,
): [number, number, boolean] {
  enter();
  try {
    let i = start;
    let nl = nlIn;
    let sortkeys = sortkeysIn;
    let ok: boolean;
    if (width > 0) {
      if (pretty && open === OBRACKET && max === -1) {
        // Try the whole array on one line first.
        const lineMax = width - (buf.length - nl);
        if (lineMax > 3) {
          const s1 = buf.length;
          const s2 = i;
          [i, , ok] = appendPrettyObject(buf, json, i, OBRACKET, CBRACKET, false, width, prefix, '', sortkeys, 0, 0, lineMax);
          if (ok && buf.length - s1 <= lineMax) return [i, nl, true];
          buf.truncate(s1);
          i = s2;
        }
      } else if (max !== -1 && open === OBRACE) {
        return [i, nl, false];
      }
    }
    buf.pushByte(open);
    i++;
    const pairs: Pair[] = [];
    let n = 0;
    for (; i < json.length; i++) {
      const c = json.charCodeAt(i);
      if (c <= SPACE) continue;
      if (c === close) {
        if (pretty) {
          if (open === OBRACE && sortkeys) sortPairs(json, buf, pairs);
          if (n > 0) {
            nl = buf.length;
            if (buf.lastByte() === SPACE) buf.setLastByte(0x0a);
            else buf.pushByte(0x0a);
          }
          if (buf.lastByte() !== open) appendTabs(buf, prefix, indent, tabs);
        }
        buf.pushByte(close);
        return [i + 1, nl, open !== OBRACE];
      }
      if (open === OBRACKET || c === QUOTE) {
        if (n > 0) {
          buf.pushByte(COMMA);
          if (width !== -1 && open === OBRACKET) buf.pushByte(SPACE);
        }
        const p: Pair = { kstart: 0, kend: 0, vstart: 0, vend: 0 };
        if (pretty) {
          nl = buf.length;
          if (buf.lastByte() === SPACE) buf.setLastByte(0x0a);
          else buf.pushByte(0x0a);
          if (open === OBRACE && sortkeys) {
            p.kstart = i;
            p.vstart = buf.length;
          }
          appendTabs(buf, prefix, indent, tabs + 1);
        }
        if (open === OBRACE) {
          [i, nl] = appendPrettyString(buf, json, i, nl);
          if (sortkeys) p.kend = i;
          buf.pushByte(COLON);
          if (pretty) buf.pushByte(SPACE);
        }
        [i, nl, ok] = appendPrettyAny(buf, json, i, pretty, width, prefix, indent, sortkeys, tabs + 1, nl, max);
        if (max !== -1 && !ok) return [i, nl, false];
        if (pretty && open === OBRACE && sortkeys) {
          p.vend = buf.length;
          if (p.kstart > p.kend || p.vstart > p.vend) sortkeys = false;
          else pairs.push(p);
        }
        i--;
        n++;
      }
    }
    return [i, nl, open !== OBRACE];
  } finally {
    nesting--;
  }
}

function appendPrettyString(buf: ByteBuf, json: string, start: number, nl: number): [number, number, boolean] {
  const s = start;
  let i = start + 1;
  for (; i < json.length; i++) {
    if (json.charCodeAt(i) === QUOTE) {
      let sc = 0;
      for (let j = i - 1; j > s; j--) {
        if (json.charCodeAt(j) === BACKSLASH) sc++;
        else break;
      }
      if (sc % 2 === 1) continue;
      i++;
      break;
    }
  }
  buf.push(cut(json, s, i));
  return [i, nl, true];
}

function appendPrettyNumber(buf: ByteBuf, json: string, start: number, nl: number): [number, number, boolean] {
  const s = start;
  let i = start + 1;
  for (; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c <= SPACE || c === COMMA || c === COLON || c === CBRACKET || c === CBRACE) break;
  }
  buf.push(cut(json, s, i));
  return [i, nl, true];
}

function appendTabs(buf: ByteBuf, prefix: string, indent: string, tabs: number): void {
  if (prefix.length !== 0) buf.push(prefix);
  for (let i = 0; i < tabs; i++) buf.push(indent);
}

function getjtype(v: string): number {
  if (v.length === 0) return NULL;
  switch (v[0]) {
    case '"':
      return STRING;
    case 'f':
      return FALSE;
    case 't':
      return TRUE;
    case 'n':
      return NULL;
    case '[':
    case '{':
      return JSON_T;
    default:
      return NUMBER;
  }
}

/** pretty's parsestr: a key's text (escapes decoded by encoding/json when present). */
function parsestr(s: string): string {
  for (let i = 1; i < s.length; i++) {
    if (s.charCodeAt(i) === BACKSLASH) {
      try {
        const decoded: unknown = JSON.parse(fromByteString(s));
        return typeof decoded === 'string' ? toByteString(decoded) : '';
      } catch {
        return '';
      }
    }
    if (s.charCodeAt(i) === QUOTE) return s.slice(1, i);
  }
  return '';
}

/** sortPairs: sort.Stable on the object's members, by key, then by value. */
function sortPairs(json: string, buf: ByteBuf, pairs: Pair[]): void {
  if (pairs.length === 0) return;
  const vstart = (pairs[0] as Pair).vstart;
  const isLess = (a: Pair, b: Pair, byValue: boolean): boolean => {
    const k1 = json.slice(a.kstart, a.kend);
    const k2 = json.slice(b.kstart, b.kend);
    let v1 = k1;
    let v2 = k2;
    if (byValue) {
      v1 = goTrimSpace(buf.slice(a.vstart, a.vend));
      v2 = goTrimSpace(buf.slice(b.vstart, b.vend));
      if (v1.length >= k1.length + 1) v1 = goTrimSpace(v1.slice(k1.length + 1));
      if (v2.length >= k2.length + 1) v2 = goTrimSpace(v2.slice(k2.length + 1));
    }
    const t1 = getjtype(v1);
    const t2 = getjtype(v2);
    if (t1 !== t2) return t1 < t2;
    if (t1 === STRING) return parsestr(v1) < parsestr(v2);
    if (t1 === NUMBER) return parseFloatBytes(v1) < parseFloatBytes(v2);
    return v1 < v2;
  };
  const less = (i: number, j: number) => {
    const a = pairs[i] as Pair;
    const b = pairs[j] as Pair;
    if (isLess(a, b, false)) return true;
    if (isLess(b, a, false)) return false;
    return isLess(a, b, true);
  };
  let sorted = false;
  const swap = (i: number, j: number) => {
    const tmp = pairs[i] as Pair;
    pairs[i] = pairs[j] as Pair;
    pairs[j] = tmp;
    sorted = true;
  };
  goStableSort(pairs.length, less, swap);
  if (!sorted) return;
  const parts: string[] = [];
  pairs.forEach((p, i) => {
    parts.push(buf.slice(p.vstart, p.vend));
    if (i < pairs.length - 1) parts.push(',\n');
  });
  buf.truncate(vstart);
  buf.push(parts.join(''));
}

/** Go's sort.Stable (insertion sort in blocks of 20, then SymMerge), comparison for comparison. */
function goStableSort(n: number, less: (i: number, j: number) => boolean, swap: (i: number, j: number) => void): void {
  const insertionSort = (a: number, b: number) => {
    for (let i = a + 1; i < b; i++) {
      for (let j = i; j > a && less(j, j - 1); j--) swap(j, j - 1);
    }
  };
  const swapRange = (a: number, b: number, count: number) => {
    for (let i = 0; i < count; i++) swap(a + i, b + i);
  };
  const rotate = (a: number, m: number, b: number) => {
    let i = m - a;
    let j = b - m;
    while (i !== j) {
      if (i > j) {
        swapRange(m - i, m, j);
        i -= j;
      } else {
        swapRange(m - i, m + j - i, i);
        j -= i;
      }
    }
    swapRange(m - i, m, i);
  };
  const symMerge = (a: number, m: number, b: number): void => {
    if (m - a === 1) {
      let i = m;
      let j = b;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (less(h, a)) i = h + 1;
        else j = h;
      }
      for (let k = a; k < i - 1; k++) swap(k, k + 1);
      return;
    }
    if (b - m === 1) {
      let i = a;
      let j = m;
      while (i < j) {
        const h = (i + j) >>> 1;
        if (!less(m, h)) i = h + 1;
        else j = h;
      }
      for (let k = m; k > i; k--) swap(k, k - 1);
      return;
    }
    const mid = (a + b) >>> 1;
    const n2 = mid + m;
    let start: number;
    let r: number;
    if (m > mid) {
      start = n2 - b;
      r = mid;
    } else {
      start = a;
      r = m;
    }
    const p = n2 - 1;
    while (start < r) {
      const c = (start + r) >>> 1;
      if (!less(p - c, c)) start = c + 1;
      else r = c;
    }
    const end = n2 - start;
    if (start < m && m < end) rotate(start, m, end);
    if (a < start && start < mid) symMerge(a, start, mid);
    if (mid < end && end < b) symMerge(mid, end, b);
  };
  let blockSize = 20;
  let a = 0;
  let b = blockSize;
  while (b <= n) {
    insertionSort(a, b);
    a = b;
    b += blockSize;
  }
  insertionSort(a, n);
  while (blockSize < n) {
    a = 0;
    b = 2 * blockSize;
    while (b <= n) {
      symMerge(a, a + blockSize, b);
      a = b;
      b += 2 * blockSize;
    }
    const m = a + blockSize;
    if (m < n) symMerge(a, m, n);
    blockSize *= 2;
  }
}
