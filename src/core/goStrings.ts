// Go strings in JavaScript: a Go string is bytes, so the Go ports here (gjson, text/template,
// strconv) hold one as a "byte string", one JS char (0-255) per byte. Lengths, indexes and
// error columns then count bytes as Go does, and invalid UTF-8 survives untouched.

/** A JS string's UTF-8 bytes as a byte string (lone surrogates become U+FFFD, as in Go). */
export function toByteString(text: string): string {
  // ASCII needs no conversion, and is by far the common case.
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Go's string order (sort.Strings, map keys in fmt and json): by UTF-8 bytes, which UTF-16 order is not past U+FFFF. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function bytesToByteString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function byteStringToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

// ignoreBOM: a leading U+FEFF is text to keep, not a marker to drop.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Byte string → JS string; invalid UTF-8 becomes one U+FFFD per bad byte, as Go's
 * encoders (json, %q) and range loops see it, not one per maximal subpart as WHATWG does.
 */
export function fromByteString(bytes: string): string {
  if (/^[\x00-\x7f]*$/.test(bytes)) return bytes;
  try {
    return strictUtf8.decode(Buffer.from(bytes, 'latin1'));
  } catch {
    let out = '';
    for (let i = 0; i < bytes.length; ) {
      const [rune, size] = decodeRune(bytes, i);
      out += String.fromCodePoint(rune);
      i += size;
    }
    return out;
  }
}

export const RUNE_ERROR = 0xfffd;

/** utf8.DecodeRuneInString(s[i:]): (U+FFFD, 1) on invalid or short input, (U+FFFD, 0) at the end. */
export function decodeRune(s: string, i: number): [number, number] {
  const b0 = s.charCodeAt(i);
  if (Number.isNaN(b0)) return [RUNE_ERROR, 0];
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number) => {
    const b = s.charCodeAt(i + k);
    return b >= 0x80 && b <= 0xbf ? b & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? [RUNE_ERROR, 1] : [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const b1 = s.charCodeAt(i + 1);
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    if (!(b1 >= lo && b1 <= hi)) return [RUNE_ERROR, 1];
    const c2 = cont(2);
    return c2 < 0 ? [RUNE_ERROR, 1] : [((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | c2, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const b1 = s.charCodeAt(i + 1);
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    if (!(b1 >= lo && b1 <= hi)) return [RUNE_ERROR, 1];
    const c2 = cont(2);
    const c3 = cont(3);
    return c2 < 0 || c3 < 0 ? [RUNE_ERROR, 1] : [((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | (c2 << 6) | c3, 4];
  }
  return [RUNE_ERROR, 1];
}

/** utf8.DecodeLastRuneInString(s[:end]). */
export function decodeLastRune(s: string, end = s.length): [number, number] {
  if (end <= 0) return [RUNE_ERROR, 0];
  const last = s.charCodeAt(end - 1);
  if (last < 0x80) return [last, 1];
  const lim = Math.max(end - 4, 0);
  let start = end - 1;
  for (start--; start >= lim; start--) {
    if ((s.charCodeAt(start) & 0xc0) !== 0x80) break;
  }
  if (start < 0) start = 0;
  // A rune running past `end` is as invalid as one cut short by it.
  const [r, w] = decodeRune(s, start);
  return start + w !== end ? [RUNE_ERROR, 1] : [r, w];
}

/** utf8.EncodeRune as a byte string (surrogates and out-of-range runes become U+FFFD). */
export function encodeRune(r: number): string {
  if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = RUNE_ERROR;
  if (r < 0x80) return String.fromCharCode(r);
  if (r < 0x800) return String.fromCharCode(0xc0 | (r >> 6), 0x80 | (r & 0x3f));
  if (r < 0x10000) return String.fromCharCode(0xe0 | (r >> 12), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
  return String.fromCharCode(0xf0 | (r >> 18), 0x80 | ((r >> 12) & 0x3f), 0x80 | ((r >> 6) & 0x3f), 0x80 | (r & 0x3f));
}

const JSON_HEX = '0123456789abcdef';

/**
 * encoding/json's appendString on a byte string: Go's escapes, invalid UTF-8 as \ufffd,
 * U+2028/2029 escaped, and <, > and & escaped when escapeHTML (json.Marshal does).
 */
export function goJsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; ) {
    const b = s.charCodeAt(i);
    if (b < 0x80) {
      const html = b === 0x3c || b === 0x3e || b === 0x26;
      if (b >= 0x20 && b !== 0x22 && b !== 0x5c && !(escapeHTML && html)) {
        i++;
        continue;
      }
      out += s.slice(start, i);
      switch (b) {
        case 0x5c:
        case 0x22:
          out += `\\${String.fromCharCode(b)}`;
          break;
        case 0x08:
          out += '\\b';
          break;
        case 0x0c:
          out += '\\f';
          break;
        case 0x0a:
          out += '\\n';
          break;
        case 0x0d:
          out += '\\r';
          break;
        case 0x09:
          out += '\\t';
          break;
        default:
          out += `\\u00${JSON_HEX[b >> 4]}${JSON_HEX[b & 15]}`;
      }
      i++;
      start = i;
      continue;
    }
    const [r, w] = decodeRune(s, i);
    if (r === RUNE_ERROR && w === 1) {
      out += `${s.slice(start, i)}\\ufffd`;
      i += w;
      start = i;
      continue;
    }
    if (r === 0x2028 || r === 0x2029) {
      out += `${s.slice(start, i)}\\u202${JSON_HEX[r & 15]}`;
      i += w;
      start = i;
      continue;
    }
    i += w;
  }
  return `${out}${s.slice(start)}"`;
}
