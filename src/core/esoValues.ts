// The bytes ESO v0.20.4 puts into a Secret, from what Vault returned: GetSecret (a property
// as a literal key, then gjson; the whole secret as Go's json.Marshal), GetSecretMap (a JSON
// object's top-level keys, numbers through float64), find results (each match's whole
// secret), then per entry the decoding strategy, and for dataFrom the key rewrite,
// conversion and validation; dataFrom in order, then data, which wins. Errors carry ESO's
// words, so the status and events vaultgate writes read like ESO's. Pure: values arrive
// already read and leave as bytes; nothing is cached or logged here.
import type { ExternalSecret, ExternalSecretRewrite, ExternalSecretRewriteMerge } from '../eso/types.js';
import { decodeStrategy } from './goBase64.js';
import { gjsonGet, isUnsupported, JsonNumber, marshalGoJson } from './gjson.js';
import { formatFloatF } from './goStrconv.js';
import { compareUtf8 } from './goStrings.js';
import { compileGoRegexp, replaceAllGo, type GoRegexp } from './goRegexp.js';
import { executeGoTemplate, goJsonByteValue, goQuoted, marshalJsonObject, newEvaluationBudget, parseGoTemplate, unmarshalJsonObject, type EvaluationBudget, type GoJsonValue, type GoTemplate } from './goTemplate.js';
import { convertKey } from './keys.js';

export type Bytes = Uint8Array;

/** What one provider call gave: bytes or a map, or ESO's error (noSecret: ESO's NoSecretError). */
export type ProviderValue = { ok: true; value: Bytes } | ProviderError;
export type ProviderMap = { ok: true; map: Record<string, Bytes> } | ProviderError;
export type ProviderError = { ok: false; noSecret: boolean; message: string; unsupported?: boolean };

export const NO_SECRET: ProviderError = { ok: false, noSecret: true, message: 'Secret does not exist' };

const utf8 = (text: string): Bytes => Buffer.from(text, 'utf8');
const fail = (message: string, unsupported = false): ProviderError => ({ ok: false, noSecret: false, message, ...(unsupported ? { unsupported } : {}) });

/** GetByteValue: a value's bytes as ESO writes them. */
function byteValue(value: unknown): ProviderValue {
  if (typeof value === 'string') return { ok: true, value: utf8(value) };
  if (value === null || value === undefined) return { ok: true, value: new Uint8Array() };
  if (value instanceof JsonNumber) return { ok: true, value: utf8(value.text) };
  if (typeof value === 'number') return { ok: true, value: utf8(formatFloatF(value)) };
  if (typeof value === 'boolean') return { ok: true, value: utf8(String(value)) };
  const marshalled = marshalGoJson(value);
  return typeof marshalled === 'string' ? { ok: true, value: utf8(marshalled) } : fail(marshalled.reason, true);
}

/**
 * GetSecret on data ESO read (the Vault client keeps number literals: JsonNumber). `data`
 * undefined means Vault had no data (NoSecretError).
 */
export function getSecret(data: Record<string, unknown> | undefined, property: string): ProviderValue {
  if (data === undefined) return NO_SECRET;
  if (property === '') {
    const marshalled = marshalGoJson(data);
    return typeof marshalled === 'string' ? { ok: true, value: utf8(marshalled) } : fail(marshalled.reason, true);
  }
  if (Object.hasOwn(data, property)) return byteValue(data[property]);
  const result = gjsonGet(data, property);
  if (isUnsupported(result)) return fail(`vaultgate cannot evaluate property ${JSON.stringify(property)}: ${result.reason}`, true);
  if (!result.exists) return fail(`cannot find secret data for key: ${JSON.stringify(property)}`);
  return { ok: true, value: utf8(result.str) };
}

/** metadataPolicy Fetch: custom_metadata; none at all gives an empty value whatever the property. */
export function getMetadata(customMetadata: Record<string, string> | undefined, property: string): ProviderValue {
  if (customMetadata === undefined) return fail('secret not found');
  if (Object.keys(customMetadata).length === 0) return { ok: true, value: new Uint8Array() };
  return getSecret(customMetadata, property);
}

/** Go's json.Unmarshal into map[string]any (plain numbers: float64), as GetSecretMap does. */
function unmarshalMap(bytes: Bytes): { ok: true; map: Record<string, unknown> } | ProviderError {
  const text = Buffer.from(bytes).toString('utf8');
  if (text.length === 0) return fail('unexpected end of JSON input');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (parsed === null) return { ok: true, map: {} };
  if (Array.isArray(parsed)) return fail('json: cannot unmarshal array into Go value of type map[string]interface {}');
  if (typeof parsed !== 'object') return fail(`json: cannot unmarshal ${typeof parsed === 'string' ? 'string' : typeof parsed === 'boolean' ? 'bool' : 'number'} into Go value of type map[string]interface {}`);
  return { ok: true, map: parsed as Record<string, unknown> };
}

/** GetSecretMap: the (property's) JSON object, one entry per top-level key. */
export function getSecretMap(secret: ProviderValue): ProviderMap {
  if (!secret.ok) return secret;
  const object = unmarshalMap(secret.value);
  if (!object.ok) return object;
  const map: Record<string, Bytes> = {};
  for (const [key, value] of Object.entries(object.map)) {
    const bytes = byteValue(value);
    if (!bytes.ok) return bytes;
    map[key] = bytes.value;
  }
  return { ok: true, map };
}

/** GetAllSecrets: each matched name (a deleted one is skipped) to its whole secret as JSON. */
export function findMap(matches: { name: string; data: Record<string, unknown> | undefined }[]): ProviderMap {
  const map: Record<string, Bytes> = {};
  for (const match of matches) {
    const value = getSecret(match.data, '');
    if (!value.ok) {
      if (value.noSecret) continue;
      return value;
    }
    map[match.name] = value.value;
  }
  return { ok: true, map };
}

const KEY_CHARACTER = /^[\p{L}\p{N}._-]$/u;

/** ESO's ValidateKeys: empty keys dropped, at most 253 characters, letters, digits, - . _ only. */
function validateKeys(map: Record<string, Bytes>): ProviderError | undefined {
  for (const key of Object.keys(map)) {
    if (key === '') {
      delete map[key];
      continue;
    }
    if (Buffer.byteLength(key) > 253) return fail(`key has length ${Buffer.byteLength(key)} but max is 253: (following is truncated): ${key.slice(0, 15)}`);
    for (const ch of key) {
      if (!KEY_CHARACTER.test(ch)) return fail(`key has invalid character ${ch}, only alphanumeric, '-', '.' and '_' are allowed: ${key}`);
    }
  }
  return undefined;
}

/** Go's regexp ReplaceAllString template expansion ($1, ${1}, $name, ${name}, $$). */
function expand(template: string, groups: (string | null)[], names: Record<string, number>): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch !== '$' || i + 1 >= template.length) {
      out += ch;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      if (close === -1 || !/^[A-Za-z0-9_]+$/.test(template.slice(i + 2, close))) {
        out += ch;
        continue;
      }
      name = template.slice(i + 2, close);
      i = close;
    } else {
      const match = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!match) {
        out += ch;
        continue;
      }
      name = match[0];
      i += name.length;
    }
    const index = /^[0-9]+$/.test(name) ? Number(name) : names[name];
    out += index !== undefined ? (groups[index] ?? '') : '';
  }
  return out;
}

/** A Go step's failure in ESO's words (its prefix), or in vaultgate's own where vaultgate declined it. */
function esoFailure(prefix: string, failed: { error: string; unsupported?: boolean | undefined }): ProviderError {
  return failed.unsupported ? fail(failed.error, true) : fail(`${prefix}${failed.error}`);
}

/** A rewrite regexp as ESO compiles it, or the error ESO fails every sync with (admission reports it too). */
export function compileRewriteRegexp(source: string): { ok: true; matcher: GoRegexp } | ProviderError {
  const compiled = compileGoRegexp(source);
  return compiled.ok ? compiled : esoFailure('regexp failed with failed to compile: ', compiled);
}

/** A rewrite transform template as ESO parses it (no missingkey option), or ESO's error. */
export function parseRewriteTransform(text: string): { ok: true; template: GoTemplate } | ProviderError {
  const parsed = parseGoTemplate('transform', text, 'default');
  return parsed.ok ? parsed : esoFailure('transform failed with failed to parse template: ', parsed);
}

/** ESO's error for a JSON merge with no key to write into. */
export const MERGE_WITHOUT_INTO = "merge failed with missing 'into' field";

function rewriteRegexp(source: string, target: string, map: Record<string, Bytes>): ProviderMap {
  const compiled = compileRewriteRegexp(source);
  if (!compiled.ok) return compiled;
  const out: Record<string, Bytes> = {};
  for (const [key, value] of Object.entries(map)) {
    const replaced = replaceAllGo(compiled.matcher, key, (groups, names) => expand(target, groups, names));
    if (replaced === undefined) return fail('vaultgate does not evaluate this rewrite on such a key', true);
    out[replaced] = value;
  }
  return { ok: true, map: out };
}

/** RewriteTransform: each key through the template, with `.value` the key (Go's default missingkey). */
function rewriteTransform(text: string, map: Record<string, Bytes>, budget: EvaluationBudget): ProviderMap {
  const parsed = parseRewriteTransform(text);
  if (!parsed.ok) return parsed;
  const out: Record<string, Bytes> = {};
  for (const [key, value] of Object.entries(map)) {
    const executed = executeGoTemplate(parsed.template, { value: key }, budget);
    if (!executed.ok) return esoFailure(`transform failed with failed to execute template for key ${goQuoted(key)}: `, executed);
    out[executed.output] = value;
  }
  return { ok: true, map: out };
}

/**
 * RewriteMerge: every value is a JSON object; their keys are merged (input keys in byte
 * order, then the priority keys in their order, so those win), a key seen twice is a
 * conflict, and the result is either its own keys (Extract) or one JSON key added (JSON).
 */
function rewriteMerge(operation: ExternalSecretRewriteMerge, map: Record<string, Bytes>, budget: EvaluationBudget): ProviderMap {
  const priority = operation.priority ?? [];
  const order = [...Object.keys(map).filter((key) => !priority.includes(key)).sort(compareUtf8), ...priority];
  const merged = new Map<string, GoJsonValue>();
  const conflicts: string[] = [];
  for (const key of order) {
    const value = map[key];
    if (!Object.hasOwn(map, key) || value === undefined) {
      if (operation.priorityPolicy === 'IgnoreNotFound') continue;
      return fail(`merge failed with key ${goQuoted(key)} not found in input map`);
    }
    const decoded = unmarshalJsonObject(value, budget);
    if (!decoded.ok) return esoFailure('merge failed with failed to unmarshal JSON: ', decoded);
    for (const [name, element] of decoded.value) {
      if (merged.has(name)) conflicts.push(name);
      merged.set(name, element);
    }
  }
  if (operation.conflictPolicy !== 'Ignore' && conflicts.length > 0) return fail(`merge failed with conflicts: ${conflicts.join(', ')}`);
  const strategy = operation.strategy || 'Extract';
  if (strategy === 'JSON') {
    if (!operation.into) return fail(MERGE_WITHOUT_INTO);
    const marshalled = marshalJsonObject(merged, budget);
    if (!marshalled.ok) return esoFailure('merge failed with failed to marshal merged map: ', marshalled);
    return { ok: true, map: { ...map, [operation.into]: marshalled.value } };
  }
  if (strategy !== 'Extract') return { ok: true, map: {} };
  const out: Record<string, Bytes> = {};
  for (const [name, element] of merged) {
    const bytes = goJsonByteValue(element, budget);
    if (!bytes.ok) return esoFailure('merge failed with failed to convert value to []byte: ', bytes);
    out[name] = bytes.value;
  }
  return { ok: true, map: out };
}

/** RewriteMap: a dataFrom entry's rewrite operations in order, with ESO's error wording. */
export function rewriteKeys(operations: ExternalSecretRewrite[], map: Record<string, Bytes>, budget: EvaluationBudget = newEvaluationBudget()): ProviderMap {
  let current = map;
  for (const [i, operation] of operations.entries()) {
    let result: ProviderMap;
    // ESO's precedence when an entry names more than one operation: merge, regexp, transform.
    if (operation.merge) result = rewriteMerge(operation.merge, current, budget);
    else if (operation.regexp) result = rewriteRegexp(operation.regexp.source ?? '', operation.regexp.target ?? '', current);
    else if (operation.transform) result = rewriteTransform(operation.transform.template ?? '', current, budget);
    else result = { ok: true, map: current };
    if (!result.ok) return { ...result, message: `error applying rewrite to keys: failed rewrite operation[${i}]: ${result.message}` };
    current = result.map;
  }
  return { ok: true, map: current };
}

/** The rewrite / conversion / validation / decoding steps of one dataFrom entry. */
export function processDataFromMap(
  fetched: ProviderMap,
  rewrites: ExternalSecretRewrite[] | undefined,
  conversionStrategy: string | undefined,
  decodingStrategy: string | undefined,
  budget: EvaluationBudget = newEvaluationBudget(),
): ProviderMap {
  if (!fetched.ok) return fetched;
  let map: Record<string, Bytes> = { ...fetched.map };
  if (rewrites && rewrites.length > 0) {
    const rewritten = rewriteKeys(rewrites, map, budget);
    if (!rewritten.ok) return rewritten;
    map = rewritten.map;
  } else {
    const strategy = conversionStrategy || 'Default';
    const converted: Record<string, Bytes> = {};
    for (const [key, value] of Object.entries(map)) {
      const newKey = convertKey(key, strategy);
      if (Object.hasOwn(converted, newKey)) return fail(`error applying conversion strategy ${strategy} to keys: secret name collision during conversion: ${newKey}`);
      converted[newKey] = value;
    }
    map = converted;
  }
  const invalid = validateKeys(map);
  if (invalid) return { ...invalid, message: `invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): ${invalid.message}` };
  const decoded: Record<string, Bytes> = {};
  for (const [key, value] of Object.entries(map)) {
    const result = decodeStrategy(decodingStrategy ?? 'None', value);
    if (!result.ok) return fail(`error applying decoding strategy ${decodingStrategy ?? 'None'} to data: failure decoding key ${key}: ${result.error}`);
    decoded[key] = result.value;
  }
  return { ok: true, map: decoded };
}

/** A data entry's bytes after its decoding strategy. */
export function processDataValue(fetched: ProviderValue, decodingStrategy: string | undefined): ProviderValue {
  if (!fetched.ok) return fetched;
  const result = decodeStrategy(decodingStrategy ?? 'None', fetched.value);
  if (!result.ok) return fail(`error applying decoding strategy ${decodingStrategy ?? 'None'} to data: ${result.error}`);
  return { ok: true, value: result.value };
}

export interface ProviderData {
  /** per spec.data index */
  data: (ProviderValue | undefined)[];
  /** per spec.dataFrom index, already through rewrite/conversion/decoding */
  dataFrom: (ProviderMap | undefined)[];
}

export type AssembledData =
  | { ok: true; data: Record<string, Bytes>; missing: string[] }
  | { ok: false; message: string; unsupported: boolean };

/**
 * GetProviderSecretData: dataFrom in order (later wins), then data (wins over dataFrom). A
 * missing secret is skipped (a Normal event each) unless deletionPolicy is Retain.
 */
export function assembleProviderData(es: ExternalSecret, results: ProviderData): AssembledData {
  const retain = (es.spec?.target?.deletionPolicy ?? 'Retain') === 'Retain';
  const data: Record<string, Bytes> = {};
  const missing: string[] = [];
  for (const [i, entry] of (es.spec?.dataFrom ?? []).entries()) {
    const result = results.dataFrom[i];
    if (!result) continue;
    const what = entry.find ? `spec.dataFrom[${i}].find` : `spec.dataFrom[${i}].extract`;
    if (!result.ok) {
      if (result.noSecret && !retain) {
        missing.push(`secret does not exist at provider using spec.dataFrom[${i}]`);
        continue;
      }
      const inner = entry.find ? `error getting all secrets: ${result.message}` : result.message;
      return { ok: false, message: `error processing ${what}, err: ${inner}`, unsupported: Boolean(result.unsupported) };
    }
    Object.assign(data, result.map);
  }
  for (const [i, entry] of (es.spec?.data ?? []).entries()) {
    const result = results.data[i];
    if (!result) continue;
    const key = entry.remoteRef?.key ?? '';
    if (!result.ok) {
      if (result.noSecret && !retain) {
        // ESO's own wording, which says dataFrom for a data entry too.
        missing.push(`secret does not exist at provider using spec.dataFrom[${i}] (key=${key})`);
        continue;
      }
      return { ok: false, message: `error processing spec.data[${i}] (key: ${key}), err: ${result.message}`, unsupported: Boolean(result.unsupported) };
    }
    data[entry.secretKey ?? ''] = result.value;
  }
  return { ok: true, data, missing };
}
