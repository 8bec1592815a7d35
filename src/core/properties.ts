// remoteRef.property as ESO reads it from a Vault secret (a literal top-level key first,
// then a gjson path over the re-marshalled data), reduced to the facts a verdict needs: was
// it found, what kind of JSON value is it, could dataFrom.extract unmarshal it into a map.
// And, on a miss, the closest existing name. Only names and kinds leave here, never values.
import { WHOLE_SECRET, type JsonKind, type PropertyFact } from './facts.js';
import { gjsonGet, isUnsupported, JsonNumber } from './gjson.js';

export { gjsonPropertyNames as propertyNames } from './gjson.js';

function kindOf(value: unknown): JsonKind {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof JsonNumber || typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  return 'object';
}

/** Would Go's json.Unmarshal of this text into map[string]any succeed (an object, or null)? */
function unmarshalsIntoMap(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed === null || (typeof parsed === 'object' && !Array.isArray(parsed));
  } catch {
    return false;
  }
}

/** ESO's lookup of one property in a secret's data, as facts. */
export function propertyFact(data: Record<string, unknown>, property: string): PropertyFact {
  if (property === WHOLE_SECRET) return { found: true, kind: 'object', objectJson: true };
  if (Object.hasOwn(data, property)) {
    const value = data[property];
    const kind = kindOf(value);
    // A literal key's bytes: a string as it is, anything else marshalled; null gives no bytes.
    const objectJson = kind === 'object' || (kind === 'string' && unmarshalsIntoMap(value as string));
    return { found: true, kind, objectJson };
  }
  const answer = gjsonGet(data, property);
  if (isUnsupported(answer)) return { unsupported: answer.reason };
  if (!answer.exists) return { found: false };
  const kind: JsonKind =
    answer.type === 'json' ? (answer.raw.trimStart().startsWith('[') ? 'array' : 'object') : answer.type === 'true' || answer.type === 'false' ? 'bool' : answer.type;
  return { found: true, kind, objectJson: kind === 'object' || (kind === 'string' && unmarshalsIntoMap(answer.str)) };
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Names longer than this are not compared: edit distance is quadratic. */
const MAX_COMPARED_LENGTH = 256;

/** The closest candidate worth suggesting, or undefined when none is close enough. */
export function closestName(wanted: string, candidates: readonly string[]): string | undefined {
  if (wanted.length > MAX_COMPARED_LENGTH) return undefined;
  const lower = wanted.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate.length > MAX_COMPARED_LENGTH) continue;
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase()) + 0.5;
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  if (!best) return undefined;
  const allowed = Math.max(2, Math.floor(wanted.length / 3));
  return best.distance <= allowed + 0.5 ? best.name : undefined;
}
