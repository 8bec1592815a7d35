// Ports of Go's strconv that more than one Go port here needs: ParseFloat (with its
// underscores, hex floats and exponent quirks) and FormatFloat(f, 'f', -1, 64).
import { toByteString } from './goStrings.js';

const ZERO = 0x30;
const isDigit = (c: number) => c >= ZERO && c <= ZERO + 9;

/** strconv.ParseFloat(s, 64)'s value (gjson ignores the error): 0 on syntax errors, ±Inf on overflow. */
export function goParseFloat(text: string): number {
  const s = toByteString(text);
  return parseFloatBytes(s);
}

/** strconv.ParseFloat's value for a byte string (gjson's parse of a raw JSON number). */
export function parseFloatBytes(s: string): number {
  const special = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (special) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  // A special prefix followed by more ("infx", "nan1") is a syntax error: 0.
  if (/^[+-]?inf|^nan/i.test(s)) return 0;
  const read = readFloat(s);
  if (!read || read.end !== s.length) return 0;
  const { negative, hex, digits, exponent } = read;
  if (digits === '') return negative ? -0 : 0;
  if (!hex) return Number(`${negative ? '-' : ''}${digits}e${exponent}`);
  const value = bigTimesPow2(BigInt(`0x${digits}`), exponent);
  return negative ? -value : value;
}

/**
 * strconv's readFloat: the value is digits × base^exponent (for hex, × 2^exponent), with
 * Go's quirks kept: underscores, leading zeros, and the exponent stopping growing past 10000.
 */
function readFloat(s: string): { negative: boolean; hex: boolean; digits: string; exponent: number; end: number } | undefined {
  let i = 0;
  let underscores = false;
  let negative = false;
  if (i >= s.length) return undefined;
  if (s[i] === '+') i++;
  else if (s[i] === '-') {
    i++;
    negative = true;
  }
  let hex = false;
  if (i + 2 < s.length && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    hex = true;
    i += 2;
  }
  let sawDot = false;
  let sawDigits = false;
  let nd = 0;
  let dp = 0;
  let digits = '';
  for (; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '_') {
      underscores = true;
      continue;
    }
    if (c === '.') {
      if (sawDot) break;
      sawDot = true;
      dp = nd;
      continue;
    }
    if (c >= '0' && c <= '9') {
      sawDigits = true;
      if (c === '0' && nd === 0) {
        dp--;
        continue;
      }
      nd++;
      digits += c;
      continue;
    }
    if (hex && /[a-fA-F]/.test(c)) {
      sawDigits = true;
      nd++;
      digits += c;
      continue;
    }
    break;
  }
  if (!sawDigits) return undefined;
  if (!sawDot) dp = nd;
  if (hex) dp *= 4;
  if (i < s.length && (s[i] as string).toLowerCase() === (hex ? 'p' : 'e')) {
    i++;
    if (i >= s.length) return undefined;
    let sign = 1;
    if (s[i] === '+') i++;
    else if (s[i] === '-') {
      i++;
      sign = -1;
    }
    if (i >= s.length || !isDigit(s.charCodeAt(i))) return undefined;
    let e = 0;
    for (; i < s.length && (isDigit(s.charCodeAt(i)) || s[i] === '_'); i++) {
      if (s[i] === '_') {
        underscores = true;
        continue;
      }
      if (e < 10000) e = e * 10 + s.charCodeAt(i) - ZERO;
    }
    dp += e * sign;
  } else if (hex) {
    return undefined; // a hex mantissa needs a 'p' exponent
  }
  if (underscores && !underscoreOK(s.slice(0, i))) return undefined;
  return { negative, hex, digits, exponent: dp - (hex ? 4 : 1) * nd, end: i };
}

/** strconv's underscoreOK: '_' only between digits (or after a base prefix). */
export function underscoreOK(text: string): boolean {
  let s = text;
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && /[bBoOxX]/.test(s[1] as string)) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i] as string;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** m × 2^e correctly rounded (to nearest, ties to even) to a double, as atofHex rounds. */
function bigTimesPow2(m: bigint, e: number): number {
  if (m === 0n) return 0;
  const top = m.toString(2).length - 1 + e; // the value is in [2^top, 2^(top+1))
  if (top > 1023) return Infinity;
  if (top < -1075) return 0;
  const lsb = Math.max(top - 52, -1074); // weight of the last mantissa bit kept
  const shift = lsb - e;
  if (shift <= 0) return Number(m << BigInt(-shift)) * 2 ** lsb;
  let q = m >> BigInt(shift);
  const rest = m - (q << BigInt(shift));
  const half = 1n << BigInt(shift - 1);
  if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  return Number(q) * 2 ** lsb;
}

/** strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatF(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const sign = f < 0 || Object.is(f, -0) ? '-' : '';
  const [mantissa = '0', exponentText = '0'] = Math.abs(f).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const point = Number(exponentText) + 1; // digits before the decimal point
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
