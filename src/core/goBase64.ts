// Go's encoding/base64 (StdEncoding and URLEncoding) and encoding/base32 (StdEncoding),
// ported decoder step by step, and ESO's decodingStrategy on top of them (pkg/esutils
// Decode in external-secrets v0.20.4). vaultgate needs Go's exact strictness: Node's
// Buffer.from(s, 'base64') accepts missing padding, stray characters and URL letters in
// standard text, so a value ESO rejects (and reports) would otherwise be decoded quietly.
//
// What Go does, and this file therefore does:
// - base64: padding is required; '\r' and '\n' are skipped anywhere; any other character
//   outside the alphabet, or padding in the wrong place, is an error naming the byte
//   offset (`illegal base64 data at input byte N`); the encodings are not Strict, so
//   non-zero trailing bits in the last quantum are accepted.
// - base32 (sprig's b32dec): newlines are stripped first, so offsets count the stripped
//   text, exactly as Go's DecodeString reports them.
//
// Invariant: every function is total and pure — an answer is Go's bytes or Go's error
// text, never an exception; the work is linear in the input.
// test/unit/go-template.test.ts checks the decoders against Go's own packages.
import { compareUtf8 } from './goStrings.js';

export type DecodeResult = { ok: true; value: Uint8Array } | { ok: false; error: string };

export type Base64Variant = 'std' | 'url';

const STD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const PAD = 0x3d; // '='
const CR = 0x0d;
const LF = 0x0a;
const INVALID = 0xff;

/** Go's decodeMap: byte → 6-bit (or 5-bit) value, 0xff for bytes outside the alphabet. */
function decodeMapOf(alphabet: string): Uint8Array {
  const map = new Uint8Array(256).fill(INVALID);
  for (let i = 0; i < alphabet.length; i++) map[alphabet.charCodeAt(i)] = i;
  return map;
}

const DECODE_MAPS: Record<Base64Variant, Uint8Array> = { std: decodeMapOf(STD_ALPHABET), url: decodeMapOf(URL_ALPHABET) };
const ALPHABETS: Record<Base64Variant, string> = { std: STD_ALPHABET, url: URL_ALPHABET };
const BASE32_DECODE_MAP = decodeMapOf(BASE32_ALPHABET);

const utf8 = new TextEncoder();

/** Go's []byte(s) for a JS string: its UTF-8 bytes (lone surrogates become U+FFFD). */
export function bytesOf(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? utf8.encode(input) : input;
}

const corrupt = (offset: number): { ok: false; error: string } => ({ ok: false, error: `illegal base64 data at input byte ${offset}` });

/**
 * base64.Encoding.DecodeString for StdEncoding ('std') or URLEncoding ('url'). The whole
 * input is decoded quantum by quantum, which is what Go's unrolled fast paths amount to:
 * they fall back to decodeQuantum at the first quantum they cannot take whole.
 */
export function base64DecodeString(variant: Base64Variant, input: Uint8Array | string): DecodeResult {
  const src = bytesOf(input);
  const decodeMap = DECODE_MAPS[variant];
  const out: number[] = [];
  let si = 0;
  while (si < src.length) {
    const step = decodeQuantum(decodeMap, src, si, out);
    if (!step.ok) return step;
    si = step.si;
    if (step.trailingGarbageAt !== undefined) return corrupt(step.trailingGarbageAt);
  }
  return { ok: true, value: Uint8Array.from(out) };
}

type QuantumStep = { ok: true; si: number; trailingGarbageAt?: number } | { ok: false; error: string };

/** Go's decodeQuantum (padded encodings): up to four characters, newlines skipped. */
function decodeQuantum(decodeMap: Uint8Array, src: Uint8Array, start: number, out: number[]): QuantumStep {
  const dbuf = [0, 0, 0, 0];
  let dlen = 4;
  let si = start;
  let trailingGarbageAt: number | undefined;
  for (let j = 0; j < 4; j++) {
    if (src.length === si) {
      // End of input inside a quantum: padding was required.
      if (j === 0) return { ok: true, si };
      return corrupt(si - j);
    }
    const ch = src[si] as number;
    si++;
    const value = decodeMap[ch] as number;
    if (value !== INVALID) {
      dbuf[j] = value;
      continue;
    }
    if (ch === LF || ch === CR) {
      j--;
      continue;
    }
    if (ch !== PAD) return corrupt(si - 1);
    // Padding: only in the third or fourth place, "==" for the third.
    if (j === 0 || j === 1) return corrupt(si - 1);
    if (j === 2) {
      while (si < src.length && (src[si] === LF || src[si] === CR)) si++;
      if (si === src.length) return corrupt(src.length);
      if (src[si] !== PAD) return corrupt(si - 1);
      si++;
    }
    while (si < src.length && (src[si] === LF || src[si] === CR)) si++;
    // Anything after the padding is an error, reported after this quantum's bytes.
    if (si < src.length) trailingGarbageAt = si;
    dlen = j;
    break;
  }
  const val = ((dbuf[0] as number) << 18) | ((dbuf[1] as number) << 12) | ((dbuf[2] as number) << 6) | (dbuf[3] as number);
  const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
  for (let k = 0; k < dlen - 1; k++) out.push(bytes[k] as number);
  return trailingGarbageAt === undefined ? { ok: true, si } : { ok: true, si, trailingGarbageAt };
}

/** base64.Encoding.EncodeToString (padded). */
export function base64EncodeToString(variant: Base64Variant, input: Uint8Array | string): string {
  const src = bytesOf(input);
  const alphabet = ALPHABETS[variant];
  let out = '';
  let si = 0;
  const whole = Math.floor(src.length / 3) * 3;
  for (; si < whole; si += 3) {
    const val = ((src[si] as number) << 16) | ((src[si + 1] as number) << 8) | (src[si + 2] as number);
    out += alphabet[(val >> 18) & 0x3f]! + alphabet[(val >> 12) & 0x3f]! + alphabet[(val >> 6) & 0x3f]! + alphabet[val & 0x3f]!;
  }
  const remain = src.length - si;
  if (remain === 0) return out;
  let val = (src[si] as number) << 16;
  if (remain === 2) val |= (src[si + 1] as number) << 8;
  out += alphabet[(val >> 18) & 0x3f]! + alphabet[(val >> 12) & 0x3f]!;
  out += remain === 2 ? `${alphabet[(val >> 6) & 0x3f]!}=` : '==';
  return out;
}

/** base32.StdEncoding.EncodeToString (padded). */
export function base32EncodeToString(input: Uint8Array | string): string {
  const src = bytesOf(input);
  let out = '';
  for (let si = 0; si < src.length; si += 5) {
    const chunk = src.subarray(si, si + 5);
    // 40 bits (missing bytes of a short last chunk count as zero, as in Go).
    let bits = 0n;
    for (let k = 0; k < 5; k++) bits = (bits << 8n) | BigInt(chunk[k] ?? 0);
    const chars = chunk.length === 5 ? 8 : Math.floor((chunk.length * 8) / 5) + 1;
    for (let k = 0; k < 8; k++) out += k < chars ? BASE32_ALPHABET[Number((bits >> BigInt(35 - 5 * k)) & 31n)]! : '=';
  }
  return out;
}

/**
 * base32.StdEncoding.DecodeString: newlines stripped first, then Go's decode loop with its
 * padding rules; offsets in errors count the stripped input, as Go's do.
 */
export function base32DecodeString(input: Uint8Array | string): DecodeResult {
  const src = bytesOf(input).filter((b) => b !== CR && b !== LF);
  const olen = src.length;
  const fail = (offset: number): DecodeResult => ({ ok: false, error: `illegal base32 data at input byte ${offset}` });
  const out: number[] = [];
  let pos = 0;
  let end = false;
  while (src.length - pos > 0 && !end) {
    const dbuf = [0, 0, 0, 0, 0, 0, 0, 0];
    let dlen = 8;
    for (let j = 0; j < 8; ) {
      const left = src.length - pos;
      if (left === 0) return fail(olen - left - j);
      const ch = src[pos] as number;
      pos++;
      const rest = src.length - pos;
      if (ch === PAD && j >= 2 && rest < 8) {
        // Padding must run to the end of the quantum, and only after 2, 4, 5 or 7 characters.
        if (rest + j < 8 - 1) return fail(olen);
        for (let k = 0; k < 8 - 1 - j; k++) {
          if (rest > k && src[pos + k] !== PAD) return fail(olen - rest + k - 1);
        }
        dlen = j;
        end = true;
        if (dlen === 1 || dlen === 3 || dlen === 6) return fail(olen - rest - 1);
        break;
      }
      const value = BASE32_DECODE_MAP[ch] as number;
      if (value === INVALID) return fail(olen - rest - 1);
      dbuf[j] = value;
      j++;
    }
    const d = dbuf as [number, number, number, number, number, number, number, number];
    const bytes = [
      ((d[0] << 3) | (d[1] >> 2)) & 0xff,
      ((d[1] << 6) | (d[2] << 1) | (d[3] >> 4)) & 0xff,
      ((d[3] << 4) | (d[4] >> 1)) & 0xff,
      ((d[4] << 7) | (d[5] << 2) | (d[6] >> 3)) & 0xff,
      ((d[6] << 5) | d[7]) & 0xff,
    ];
    const produced = { 8: 5, 7: 4, 5: 3, 4: 2, 2: 1 }[dlen as 8 | 7 | 5 | 4 | 2] ?? 0;
    for (let k = 0; k < produced; k++) out.push(bytes[k] as number);
  }
  return { ok: true, value: Uint8Array.from(out) };
}

/**
 * ESO's decodingStrategy (esutils.Decode): None and "" keep the bytes; Base64 and
 * Base64URL decode strictly, failing with Go's error; Auto tries Base64, then Base64URL,
 * then keeps the raw bytes (so plain text that happens to be valid base64 IS decoded).
 * The error is the bare decode error: ESO's callers add their own wrapping
 * (`error applying decoding strategy %s to data: %w` for spec.data, `failure decoding key
 * %v: %w` for dataFrom).
 */
export function decodeStrategy(strategy: string, value: Uint8Array): DecodeResult {
  switch (strategy) {
    case 'Base64':
      return base64DecodeString('std', value);
    case 'Base64URL':
      return base64DecodeString('url', value);
    case 'None':
    case '':
      return { ok: true, value };
    case 'Auto': {
      const std = base64DecodeString('std', value);
      if (std.ok) return std;
      const url = base64DecodeString('url', value);
      return url.ok ? url : { ok: true, value };
    }
    default:
      return { ok: false, error: `decoding strategy ${strategy} is not supported` };
  }
}

export type DecodeMapResult =
  | { ok: true; value: Record<string, Uint8Array> }
  | { ok: false; error: string; failingKeys: string[] };

/**
 * ESO's DecodeMap (dataFrom extract and find): decodeStrategy on every value; the first
 * failure reads `failure decoding key K: <error>`. Go ranges over the map in random order,
 * so when several keys fail, ESO names one of them at random: `error` names the first in
 * byte order and `failingKeys` lists them all (sorted), for callers that must not pretend
 * to know which one ESO will report. An empty map decodes under any strategy, even an
 * unsupported one (the loop never runs).
 */
export function decodeStrategyMap(strategy: string, values: Readonly<Record<string, Uint8Array>>): DecodeMapResult {
  const out: Record<string, Uint8Array> = {};
  const failures: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(values)) {
    const decoded = decodeStrategy(strategy, value);
    if (decoded.ok) out[key] = decoded.value;
    else failures.push([key, decoded.error]);
  }
  if (failures.length === 0) return { ok: true, value: out };
  failures.sort(([a], [b]) => compareUtf8(a, b));
  const [key, error] = failures[0] as [string, string];
  return { ok: false, error: `failure decoding key ${key}: ${error}`, failingKeys: failures.map(([k]) => k) };
}
