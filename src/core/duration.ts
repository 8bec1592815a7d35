// Go's time.ParseDuration (Go 1.26, src/time/format.go: ParseDuration, leadingInt,
// leadingFraction, unitMap), ported line for line in BigInt nanoseconds, because ESO reads
// refreshInterval with it and one ExternalSecret whose refreshInterval Go rejects stops
// ESO's informer for the whole cluster: vaultgate must accept exactly what Go accepts.
// Invariant: for every text of at most MAX_DURATION_LENGTH UTF-16 code units,
// parseGoDurationNanos(text) is Go's Duration (int64 nanoseconds) or undefined exactly where
// Go returns an error — same overflow checks, same float64 rounding of fractions. The only
// significant characters ('0'-'9', '.', '+', '-') are ASCII, so scanning UTF-16 code units
// splits the text where Go splits its UTF-8 bytes, and units compare equal exactly when
// their code points do. Work is linear in the text's length.

/**
 * vaultgate's own limit, not Go's: Go accepts durations of any length ("0…01s" with any
 * number of leading zeros, "1ns" repeated, a fraction with any number of digits). Longer
 * texts are refused (undefined) so a tenant cannot make vaultgate scan without bound; no
 * sensible refreshInterval comes anywhere near it.
 */
export const MAX_DURATION_LENGTH = 1000;

const NANOSECOND = 1n;
const MICROSECOND = 1000n * NANOSECOND;
const MILLISECOND = 1000n * MICROSECOND;
const SECOND = 1000n * MILLISECOND;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;

/** 1<<63, the bound Go's uint64 arithmetic checks against. */
const TWO_63 = 1n << 63n;
const MAX_INT64 = TWO_63 - 1n;

/** unitMap; a Map, so that "constructor" or "__proto__" is no unit. */
const UNIT_MAP: ReadonlyMap<string, bigint> = new Map([
  ['ns', NANOSECOND],
  ['us', MICROSECOND],
  ['\u00b5s', MICROSECOND], // U+00B5 = micro symbol
  ['\u03bcs', MICROSECOND], // U+03BC = Greek letter mu
  ['ms', MILLISECOND],
  ['s', SECOND],
  ['m', MINUTE],
  ['h', HOUR],
]);

const ZERO = 0x30;
const NINE = 0x39;
const PERIOD = 0x2e;

const isDigit = (c: number) => c >= ZERO && c <= NINE;

/** leadingInt: the leading [0-9]* from `at`; undefined on overflow past 1<<63. */
function leadingInt(s: string, at: number): { x: bigint; end: number } | undefined {
  let x = 0n;
  let i = at;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) break;
    if (x > TWO_63 / 10n) return undefined; // overflow
    x = x * 10n + BigInt(c - ZERO);
    if (x > TWO_63) return undefined; // overflow
  }
  return { x, end: i };
}

/**
 * leadingFraction: the leading [0-9]* from `at`, value x / scale; past what a uint64
 * holds it stops accumulating precision, but still consumes the digits. scale is a
 * float64 as in Go (10^k, k ≤ 19, so exact).
 */
function leadingFraction(s: string, at: number): { x: bigint; scale: number; end: number } {
  let x = 0n;
  let scale = 1;
  let overflow = false;
  let i = at;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) break;
    if (overflow) continue;
    if (x > MAX_INT64 / 10n) {
      // It's possible for overflow to give a positive number, so take care.
      overflow = true;
      continue;
    }
    const y = x * 10n + BigInt(c - ZERO);
    if (y > TWO_63) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  return { x, scale, end: i };
}

/**
 * time.ParseDuration: the duration in whole nanoseconds, or undefined where Go returns an
 * error (and for texts longer than MAX_DURATION_LENGTH, see there).
 * Syntax: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0" with an optional sign.
 */
export function parseGoDurationNanos(text: string): bigint | undefined {
  if (text.length > MAX_DURATION_LENGTH) return undefined;
  const s = text;
  let i = 0;
  let d = 0n;
  let neg = false;

  // Consume [-+]?
  if (s.length > 0 && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    i = 1;
  }
  // Special case: if all that is left is "0", this is zero.
  if (s.length - i === 1 && s[i] === '0') return 0n;
  if (i === s.length) return undefined; // invalid duration
  while (i < s.length) {
    // The next character must be [0-9.]
    const first = s.charCodeAt(i);
    if (!(first === PERIOD || isDigit(first))) return undefined; // invalid duration

    // Consume [0-9]*
    const int = leadingInt(s, i);
    if (int === undefined) return undefined; // invalid duration
    const pre = int.end !== i; // whether we consumed anything before a period
    let v = int.x;
    i = int.end;

    // Consume (\.[0-9]*)?
    let f = 0n;
    let scale = 1;
    let post = false;
    if (i < s.length && s.charCodeAt(i) === PERIOD) {
      i++;
      const fraction = leadingFraction(s, i);
      post = fraction.end !== i;
      ({ x: f, scale } = fraction);
      i = fraction.end;
    }
    if (!pre && !post) return undefined; // no digits (e.g. ".s" or "-.s")

    // Consume unit.
    let u = i;
    for (; u < s.length; u++) {
      const c = s.charCodeAt(u);
      if (c === PERIOD || isDigit(c)) break;
    }
    if (u === i) return undefined; // missing unit in duration
    const unit = UNIT_MAP.get(s.slice(i, u));
    i = u;
    if (unit === undefined) return undefined; // unknown unit in duration
    if (v > TWO_63 / unit) return undefined; // overflow
    v *= unit;
    if (f > 0n) {
      // float64 is needed to be nanosecond accurate for fractions of hours: Go computes
      // uint64(float64(f) * (float64(unit) / scale)). Number(bigint) rounds to nearest, ties
      // to even, as Go's uint64→float64 conversion does; the product is below 2^53 (at most
      // an hour's nanoseconds), so truncating it is exact.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) return undefined; // overflow
    }
    d += v;
    if (d > TWO_63) return undefined; // overflow
  }
  if (neg) return -d;
  if (d > MAX_INT64) return undefined; // overflow
  return d;
}

/**
 * time.ParseDuration in milliseconds: Go's Duration as float64, divided by 1e6 (as
 * float64(d) / float64(time.Millisecond)), or undefined where Go returns an error.
 */
export function parseGoDuration(text: string): number | undefined {
  const ns = parseGoDurationNanos(text);
  return ns === undefined ? undefined : Number(ns) / 1e6;
}
