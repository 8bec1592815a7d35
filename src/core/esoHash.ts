// ESO's hashes, byte for byte (pkg/esutils ObjectHash): sha3-224 over Go's fmt "%+v" text of
// the value. They mark what ESO considers its own: the data-hash annotation of a managed
// Secret, its created-by label, and an ExternalSecret's syncedResourceVersion. vaultgate
// writes the same, so ESO and vaultgate recognise each other's Secrets as unchanged.
import { createHash } from 'node:crypto';
import { compareUtf8 } from './goStrings.js';

/** Go sorts map keys by their bytes (UTF-8), not by UTF-16 code units. */
function goSortedKeys(map: Record<string, unknown>): string[] {
  return Object.keys(map).sort(compareUtf8);
}

/** fmt "%+v" of a map[string]string: map[k1:v1 k2:v2]. */
export function goStringMap(map: Record<string, string> | undefined): string {
  const entries = goSortedKeys(map ?? {}).map((key) => `${key}:${(map ?? {})[key]}`);
  return `map[${entries.join(' ')}]`;
}

/** fmt "%+v" of a map[string][]byte: map[k:[98 97 114]]. */
export function goBytesMap(map: Record<string, Uint8Array>): string {
  const entries = goSortedKeys(map).map((key) => `${key}:[${Array.from(map[key] ?? []).join(' ')}]`);
  return `map[${entries.join(' ')}]`;
}

export function objectHash(goText: string): string {
  return createHash('sha3-224').update(goText, 'utf8').digest('hex');
}

/** The reconcile.external-secrets.io/data-hash annotation of a Secret with this data. */
export function dataHash(data: Record<string, Uint8Array>): string {
  return objectHash(goBytesMap(data));
}

/** The reconcile.external-secrets.io/created-by label an Owner ExternalSecret puts on its Secret. */
export function createdByHash(namespace: string, name: string): string {
  return objectHash(`${namespace}/${name}`);
}

/** status.syncedResourceVersion: the generation plus a hash of labels and annotations. */
export function syncedResourceVersion(meta: { generation?: number; labels?: Record<string, string>; annotations?: Record<string, string> }): string {
  const text = `{annotations:${goStringMap(meta.annotations)} labels:${goStringMap(meta.labels)}}`;
  return `${meta.generation ?? 0}-${objectHash(text)}`;
}

/** ESO's field manager for an ExternalSecret's Secret (names over 63 characters are hashed). */
export function fieldManagerFor(esName: string): string {
  const fqdn = `externalsecrets.external-secrets.io/${esName}`;
  return fqdn.length > 63 ? `externalsecrets.external-secrets.io/sha3/${objectHash(esName)}` : fqdn;
}
