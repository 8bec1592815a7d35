// Go's regexp (RE2 syntax) for the regular expressions ESO compiles from an ExternalSecret
// (dataFrom find.name.regexp, rewrite regexp sources), through re2js, so that vaultgate
// rejects exactly the patterns Go's regexp.Compile rejects, with Go's error text, and
// matches exactly as regexp.MatchString does.
//
// re2js follows Go's parser closely; the differences that remain are bridged here:
// - Matching runs on the UTF-8 bytes of the input, as Go matches byte strings.
// - Unicode class names (\p{...}): Go 1.26 canonicalises them ("greek", "Letter", "lu" all
//   work; "Old_Italic" does not) and knows Unicode 15.0 only; re2js wants exact names and
//   knows newer scripts and binary properties. Each \p name is resolved as Go resolves it
//   and handed to re2js under the name re2js uses, or under a name re2js rejects when Go
//   rejects it (the error then names the original text, as Go's does).
// - re2js's Unicode tables are newer (16.0+) than Go 1.26's (15.0): for a pattern that uses
//   \p classes or case folding, an input holding one of the code points whose properties or
//   case folding differ between the two (GO_RE2JS_UNICODE_DIFFERENCES) is not judged.
// - Go accepts a capture group name used twice, re2js does not: repeats are renamed for re2js
//   (names never change what matches).
// - Go always quotes an expression in its error ("trailing backslash at end of expression: ``").
// - re2js caps a program at 1,398,101 instructions, Go at 3,355,443: re2js's "expression too
//   large" is reported as unsupported, since Go may accept the pattern.
//
// Invariant: every answer is Go's, or says plainly that vaultgate did not judge. Patterns
// longer than MAX_PATTERN_LENGTH and inputs longer than MAX_INPUT_LENGTH are not judged:
// tenant input must never stall the event loop, and although RE2 matching is linear in the
// input, both run synchronously and compiling costs the pattern's expanded size (a group of
// 1,500 characters repeated {1000} is 1.5 million instructions). Go-only syntax that JS
// regexps lack and JS-only syntax Go rejects (lookarounds, backreferences, possessive
// quantifiers, \Z) behave as in Go because the parser is RE2's, never the JS engine's;
// test/unit/go-semantics.test.ts checks all of this against Go's own regexp package.
import { RE2JS } from 're2js';

/** Longest pattern compiled, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 4096;
/** Longest input matched, in UTF-16 code units. */
export const MAX_INPUT_LENGTH = 65_536;

const matcherBrand: unique symbol = Symbol('GoRegexp');

/** A compiled Go regexp. */
export interface GoRegexp {
  readonly source: string;
  readonly [matcherBrand]: { re: RE2JS; unicodeSensitive: boolean };
}

/**
 * `unsupported` is false when `error` is Go's own compile error (Go rejects the pattern), and
 * true when vaultgate declined to judge it (a limit) — then Go may well accept it.
 */
export type GoRegexpCompiled = { ok: true; matcher: GoRegexp } | { ok: false; error: string; unsupported: boolean };

export type GoRegexpMatch = { ok: true; match: boolean } | { ok: false; error: string };

/** regexp.Compile(source) */
export function compileGoRegexp(source: string): GoRegexpCompiled {
  if (source.length > MAX_PATTERN_LENGTH) {
    return { ok: false, unsupported: true, error: `regexp longer than ${MAX_PATTERN_LENGTH} characters; vaultgate does not evaluate it` };
  }
  // Go sees the pattern as UTF-8 that the API server decoded: lone surrogates are U+FFFD.
  const pattern = wellFormed(source);
  const rewrite = rewritePattern(pattern);
  let re: RE2JS;
  try {
    re = RE2JS.compile(rewrite.text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/^error parsing regexp: expression too large/.test(message)) {
      return { ok: false, unsupported: true, error: 'regexp too large for vaultgate to evaluate (it may still compile in Go)' };
    }
    if (!message.startsWith('error parsing regexp: ')) throw error;
    return { ok: false, unsupported: false, error: goMessage(message, pattern, rewrite) };
  }
  const unicodeSensitive = /\\[pP]|\(\?[a-zA-Z-]*i/.test(pattern);
  return { ok: true, matcher: { source, [matcherBrand]: { re, unicodeSensitive } } };
}

/** regexp.MatchString: does the pattern match anywhere in input? */
export function matchGoRegexp(matcher: GoRegexp, input: string): GoRegexpMatch {
  if (input.length > MAX_INPUT_LENGTH) {
    return { ok: false, error: `input longer than ${MAX_INPUT_LENGTH} characters; vaultgate does not match it` };
  }
  const { re, unicodeSensitive } = matcher[matcherBrand];
  if (unicodeSensitive && hasUnicodeDifference(input)) {
    return { ok: false, error: "input holds characters whose Unicode properties differ between Go's tables and vaultgate's" };
  }
  return { ok: true, match: re.test(Buffer.from(wellFormed(input), 'utf8')) };
}

/** Go's regexp.MatchString; throws RangeError when vaultgate does not judge (see matchGoRegexp). */
export function matches(matcher: GoRegexp, input: string): boolean {
  const result = matchGoRegexp(matcher, input);
  if (!result.ok) throw new RangeError(result.error);
  return result.match;
}

function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

// ---------------------------------------------------------------------------------------
// \p{...} names, resolved the way Go 1.26's regexp/syntax resolves them

/** Go 1.26 unicode.Categories keys (Unicode 15.0). */
const GO_CATEGORIES =
  'C Cc Cf Cn Co Cs L LC Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' ');

/** Go 1.26 unicode.Scripts keys that Go's lookup can reach (those already canonical). */
const GO_SCRIPTS = (
  'Adlam Ahom Arabic Armenian Avestan Balinese Bamum Batak Bengali Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid ' +
  'Carian Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform Cypriot Cyrillic Deseret Devanagari Dogra Duployan ' +
  'Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gurmukhi Han Hangul Hanunoo Hatran Hebrew ' +
  'Hiragana Inherited Javanese Kaithi Kannada Katakana Kawi Kharoshthi Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Lisu ' +
  'Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Medefaidrin Miao Modi Mongolian Mro Multani Myanmar ' +
  'Nabataean Nandinagari Newa Nko Nushu Ogham Oriya Osage Osmanya Palmyrene Phoenician Rejang Runic Samaritan Saurashtra ' +
  'Sharada Shavian Siddham Sinhala Sogdian Soyombo Sundanese Syriac Tagalog Tagbanwa Takri Tamil Tangsa Tangut Telugu ' +
  'Thaana Thai Tibetan Tifinagh Tirhuta Toto Ugaritic Vai Vithkuqi Wancho Yezidi Yi'
).split(' ');

/** Go 1.26 unicode.CategoryAliases. */
const GO_CATEGORY_ALIASES: Record<string, string> = {
  Cased_Letter: 'LC', Close_Punctuation: 'Pe', Combining_Mark: 'M', Connector_Punctuation: 'Pc', Control: 'Cc',
  Currency_Symbol: 'Sc', Dash_Punctuation: 'Pd', Decimal_Number: 'Nd', Enclosing_Mark: 'Me', Final_Punctuation: 'Pf',
  Format: 'Cf', Initial_Punctuation: 'Pi', Letter: 'L', Letter_Number: 'Nl', Line_Separator: 'Zl', Lowercase_Letter: 'Ll',
  Mark: 'M', Math_Symbol: 'Sm', Modifier_Letter: 'Lm', Modifier_Symbol: 'Sk', Nonspacing_Mark: 'Mn', Number: 'N',
  Open_Punctuation: 'Ps', Other: 'C', Other_Letter: 'Lo', Other_Number: 'No', Other_Punctuation: 'Po', Other_Symbol: 'So',
  Paragraph_Separator: 'Zp', Private_Use: 'Co', Punctuation: 'P', Separator: 'Z', Space_Separator: 'Zs', Spacing_Mark: 'Mc',
  Surrogate: 'Cs', Symbol: 'S', Titlecase_Letter: 'Lt', Unassigned: 'Cn', Uppercase_Letter: 'Lu', cntrl: 'Cc', digit: 'Nd',
  punct: 'P',
};

/** regexp/syntax canonicalName: leading capital, the rest lower case, no '_', '-' or ' '. */
function canonicalName(name: string): string {
  let out = '';
  let first = true;
  for (const ch of name) {
    if (ch === '_' || ch === '-' || ch === ' ') continue;
    if (first) {
      out += ch >= 'a' && ch <= 'z' ? ch.toUpperCase() : ch;
      first = false;
    } else {
      out += ch >= 'A' && ch <= 'Z' ? ch.toLowerCase() : ch;
    }
  }
  return out;
}

/** Canonical Go name → the name re2js knows the same table by. */
const RE2JS_NAME_FOR_GO = (() => {
  const names = new Map<string, string>([
    ['Any', 'Any'],
    ['Assigned', 'Assigned'],
    ['Ascii', 'Ascii'],
    ['Lc', 'Lc'],
  ]);
  const add = (canonical: string, re2jsName: string) => {
    if (!names.has(canonical)) names.set(canonical, re2jsName);
  };
  for (const category of GO_CATEGORIES) if (canonicalName(category) === category) add(category, category);
  for (const script of GO_SCRIPTS) add(script, script);
  for (const [alias, category] of Object.entries(GO_CATEGORY_ALIASES)) add(canonicalName(alias), category);
  return names;
})();

/** A \p name re2js rejects, standing in for one Go rejects (re2js may know it). */
const REJECTED_NAME = 'Not_A_Go_Unicode_Class';

interface Rewrite {
  text: string;
  /** Rewritten spans: [start in original, end in original, start in text, end in text]. */
  spans: Array<[number, number, number, number]>;
}

/**
 * The pattern as re2js must see it to judge it as Go does: each \p class (outside \Q...\E)
 * renamed to the table Go would pick (or to a rejected name when Go has none), and each
 * repeated capture group name made unique (Go accepts duplicates, re2js does not; names
 * never change what matches).
 */
function rewritePattern(pattern: string): Rewrite {
  const spans: Rewrite['spans'] = [];
  let text = '';
  let copied = 0;
  const replace = (start: number, end: number, replacement: string) => {
    text += pattern.slice(copied, start);
    spans.push([start, end, text.length, text.length + replacement.length]);
    text += replacement;
    copied = end;
  };
  const groupNames = new Set(Array.from(pattern.matchAll(/\(\?P?<([A-Za-z0-9_]+)>/g), (m) => m[1] as string));
  const seenNames = new Set<string>();
  let fresh = 0;
  let inClass = false;
  let classStart = -1;
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) break;
      if (next === 'Q' && !inClass) {
        // \Q...\E: literal text up to \E (or the end).
        const end = pattern.indexOf('\\E', i + 2);
        if (end < 0) break;
        i = end + 2;
        continue;
      }
      if (next === 'p' || next === 'P') {
        const token = unicodeClassToken(pattern, i);
        if (token) {
          if (token.replacement !== undefined) replace(token.start, token.end, token.replacement);
          i = token.end;
          continue;
        }
      }
      // Any other escape: the backslash and one code point (longer escapes hold no
      // backslash, bracket or parenthesis, so scanning on from here is safe).
      i += 1 + String.fromCodePoint(pattern.codePointAt(i + 1) as number).length;
      continue;
    }
    if (inClass) {
      if (ch === '[' && pattern[i + 1] === ':') {
        // [:alpha:] inside a class runs to ':]'
        const end = pattern.indexOf(':]', i + 2);
        if (end >= 0) {
          i = end + 2;
          continue;
        }
      }
      if (ch === ']' && i > classStart) inClass = false;
      i++;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      i++;
      if (pattern[i] === '^') i++;
      classStart = i; // a ']' right here is a literal
      continue;
    }
    if (ch === '(') {
      const group = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(pattern.slice(i));
      if (group) {
        const name = group[1] as string;
        if (seenNames.has(name)) {
          let unique: string;
          do unique = `${name}_${++fresh}`;
          while (groupNames.has(unique));
          groupNames.add(unique);
          const nameStart = i + group[0].length - 1 - name.length;
          replace(nameStart, nameStart + name.length, unique);
        }
        seenNames.add(name);
        i += group[0].length;
        continue;
      }
    }
    i++;
  }
  text += pattern.slice(copied);
  return { text, spans };
}

/** One \p token at `start`: its extent and, when re2js needs other text, that text. */
function unicodeClassToken(pattern: string, start: number): { start: number; end: number; replacement?: string } | undefined {
  const kind = pattern.slice(start, start + 2); // "\p" or "\P"
  const rest = pattern.slice(start + 2);
  if (rest === '') return undefined;
  let name: string;
  let end: number;
  let braced: boolean;
  if (rest[0] !== '{') {
    name = String.fromCodePoint(rest.codePointAt(0) as number);
    end = start + 2 + name.length;
    braced = false;
  } else {
    const close = pattern.indexOf('}', start);
    if (close < 0) return undefined;
    name = pattern.slice(start + 3, close);
    end = close + 1;
    braced = true;
  }
  let negated = '';
  let bare = name;
  if (bare.startsWith('^')) {
    negated = '^';
    bare = bare.slice(1);
  }
  const re2jsName = RE2JS_NAME_FOR_GO.get(canonicalName(bare));
  if (re2jsName === bare) return { start, end };
  if (re2jsName === undefined && !braced) return { start, end }; // re2js rejects it as well
  return { start, end, replacement: `${kind}{${negated}${re2jsName ?? REJECTED_NAME}}` };
}

/**
 * re2js's message as Go writes it: Go always quotes an expression (empty for a trailing
 * backslash, the whole pattern when it nests too deeply), and any text rewritten for re2js
 * is put back as written.
 */
function goMessage(message: string, pattern: string, rewrite: Rewrite): string {
  const quoted = /^(error parsing regexp: [^:`]+: `)([\s\S]*)`$/.exec(message);
  if (!quoted) {
    if (message === 'error parsing regexp: expression nests too deeply') return `${message}: \`${pattern}\``;
    return `${message}: \`\``;
  }
  if (rewrite.spans.length === 0) return message;
  const expr = quoted[2] as string;
  const at = rewrite.text.indexOf(expr);
  if (at < 0) return message;
  // Positions in the rewritten text back to the original; inside a rewritten span, its edge.
  const toOriginal = (position: number, isEnd: boolean): number => {
    let shift = 0;
    for (const [origStart, origEnd, newStart, newEnd] of rewrite.spans) {
      if (isEnd ? position <= newStart : position < newStart) break;
      if (isEnd ? position <= newEnd : position < newEnd) return isEnd ? origEnd : origStart;
      shift = origEnd - newEnd;
    }
    return position + shift;
  };
  return `${quoted[1]}${pattern.slice(toOriginal(at, false), toOriginal(at + expr.length, true))}\``;
}

// ---------------------------------------------------------------------------------------
// Where Go 1.26's Unicode 15.0 tables and re2js's differ

/**
 * Code points whose membership in some \p class Go and re2js both accept, or whose simple
 * case folding, differs between Go 1.26 and re2js 2.10 (hex ranges), found by comparing
 * every code point against every table of both; test/unit/go-semantics.test.ts checks Go
 * and vaultgate agree just outside each range. Regenerate when Go or re2js moves to other
 * Unicode tables.
 */
const GO_RE2JS_UNICODE_DIFFERENCES =
  '19b 264 295 390 3b0 88f 897 c5c cdc 1acf-1add 1ae0-1aeb 1b4e-1b4f 1b7f 1c89-1c8a 1fd3 1fe3 20c1 2427-2429 2b96 ' +
  '2ffc-2fff 31e4-31e5 31ef a7cb-a7cf a7d2-a7d5 a7da-a7dc a7f1 fb05-fb06 fbc3-fbd2 fd90-fd91 fdc8-fdce 105c0-105f3 ' +
  '10940-10959 10d40-10d65 10d69-10d85 10d8e-10d8f 10ec2-10ec7 10ed0-10ed8 10efa-10efc 11380-11389 1138b 1138e ' +
  '11390-113b5 113b7-113c0 113c2 113c5 113c7-113ca 113cc-113d5 113d7-113d8 113e1-113e2 116d0-116e3 1171e 11b60-11b67 ' +
  '11bc0-11be1 11bf0-11bf9 11db0-11ddb 11de0-11de9 11f5a 13460-143fa 16100-16139 16d40-16d79 16ea0-16eb8 16ebb-16ed3 ' +
  '16ff2-16ff6 187f8-187ff 18cff 18d09-18d1e 18d80-18df2 1cc00-1ccfc 1cd00-1ceb3 1ceba-1ced0 1cee0-1cef0 1e5d0-1e5fa ' +
  '1e5ff 1e6c0-1e6de 1e6e0-1e6f5 1e6fe-1e6ff 1f6d8 1f777-1f77a 1f8b2-1f8bb 1f8c0-1f8c1 1f8d0-1f8d8 1fa54-1fa57 ' +
  '1fa89-1fa8a 1fa8e-1fa8f 1fabe 1fac6 1fac8 1facd 1fadc 1fadf 1fae9-1faea 1faef 1fbcb-1fbef 1fbfa 2b73a-2b73f ' +
  '2cea2-2cead 2ebf0-2ee5d 323b0-33479';

const DIFFERENCE_RANGES: ReadonlyArray<readonly [number, number]> = GO_RE2JS_UNICODE_DIFFERENCES.split(' ').map((range) => {
  const [lo = '0', hi = lo] = range.split('-');
  return [parseInt(lo, 16), parseInt(hi, 16)] as const;
});

/** The difference ranges, for tests. */
export const unicodeDifferenceRanges = (): ReadonlyArray<readonly [number, number]> => DIFFERENCE_RANGES;

function hasUnicodeDifference(input: string): boolean {
  for (const ch of input) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x19b) continue;
    let lo = 0;
    let hi = DIFFERENCE_RANGES.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const [from, to] = DIFFERENCE_RANGES[mid] as readonly [number, number];
      if (c < from) hi = mid;
      else if (c > to) lo = mid + 1;
      else return true;
    }
  }
  return false;
}

/**
 * regexp.ReplaceAllStringFunc with the match's groups (ESO's rewrite regexp): non-overlapping
 * matches left to right on the UTF-8 bytes, an empty match right after a match is not
 * replaced, and the search always advances at least one character, as Go does. Undefined
 * when vaultgate declines to judge the input (see matchGoRegexp).
 */
export function replaceAllGo(matcher: GoRegexp, input: string, replacement: (groups: (string | null)[], names: Record<string, number>) => string): string | undefined {
  if (input.length > MAX_INPUT_LENGTH) return undefined;
  const { re, unicodeSensitive } = matcher[matcherBrand];
  if (unicodeSensitive && hasUnicodeDifference(input)) return undefined;
  const bytes = Buffer.from(wellFormed(input), 'utf8');
  const names = { ...re.namedGroups() };
  const m = re.matcher(bytes);
  const out: Buffer[] = [];
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= bytes.length && m.find(searchPos)) {
    const start = m.start();
    const end = m.end();
    out.push(bytes.subarray(lastMatchEnd, start));
    if (end > lastMatchEnd || start === 0) {
      const groups = Array.from({ length: m.groupCount() + 1 }, (_, i) => m.group(i));
      out.push(Buffer.from(replacement(groups, names), 'utf8'));
    }
    lastMatchEnd = end;
    const width = utf8Width(bytes, searchPos);
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  out.push(bytes.subarray(lastMatchEnd));
  return Buffer.concat(out).toString('utf8');
}

function utf8Width(bytes: Buffer, at: number): number {
  const b = bytes[at] ?? 0;
  if (b < 0x80) return 1;
  if (b >= 0xf0) return 4;
  if (b >= 0xe0) return 3;
  if (b >= 0xc0) return 2;
  return 1;
}
