// Finding remoteRef.property in a Vault secret the way ESO does (a top-level key first,
// then a dotted path into nested JSON) and, on a miss, the closest existing name. Only
// names are ever returned, never values.

export function propertyExists(data: Record<string, unknown>, property: string): boolean {
  if (Object.hasOwn(data, property)) return true;
  let node: unknown = data;
  for (const segment of property.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return false;
    node = (node as Record<string, unknown>)[segment];
  }
  return true;
}

/** Every addressable property name: top-level keys and dotted paths to nested ones. */
export function propertyNames(data: Record<string, unknown>, limit = 500): string[] {
  const names: string[] = [];
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      if (names.length >= limit) return;
      const name = prefix ? `${prefix}.${key}` : key;
      names.push(name);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) walk(value as Record<string, unknown>, name);
    }
  };
  walk(data, '');
  return names;
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

/** The closest candidate worth suggesting, or undefined when none is close enough. */
export function closestName(wanted: string, candidates: readonly string[]): string | undefined {
  const lower = wanted.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase()) + 0.5;
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  if (!best) return undefined;
  const allowed = Math.max(2, Math.floor(wanted.length / 3));
  return best.distance <= allowed + 0.5 ? best.name : undefined;
}
