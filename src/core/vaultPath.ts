// What path Vault will serve for a key: the one function that owns it. ESO's Vault provider
// builds the path from the store and the key (buildPath for data, buildMetadataPath for
// metadataPolicy Fetch and find listings), and the Vault API client then joins it under
// /v1/ with Go's path.Join, which cleans it: "//" collapses, "." goes, ".." climbs. vaultgate
// judges the cleaned path (what Vault serves), never the raw key, and refuses keys whose
// meaning depends on that cleaning (".." or "." segments) or on escaping (percent signs,
// control characters): stricter than ESO on purpose, so no key can be normalised past a
// VaultPathPolicy.
import type { VaultProvider } from '../eso/types.js';
import { cleanPath } from './goPath.js';

export type KvVersion = 1 | 2;

export interface VaultTarget {
  /** the cleaned HTTP API path under /v1/, e.g. secret/data/app/db */
  apiPath: string;
  /** <mount>/<key> as `vault kv get` names it: what VaultPathPolicies match */
  kvPath: string;
}

export type Resolved<T> = { ok: true; value: T } | { ok: false; message: string };

const refused = <T>(message: string): Resolved<T> => ({ ok: false, message });

export function kvVersionOf(provider: VaultProvider): KvVersion {
  return provider.version === 'v1' ? 1 : 2;
}

/** The store's `path` as ESO reads it: absent and empty are different (a pointer in Go). */
function storePathOf(provider: VaultProvider): string | undefined {
  return typeof provider.path === 'string' ? provider.path : undefined;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/** Why a key (or find.path) is refused before any path is built, or undefined when it is safe. */
export function unsafeKeyProblem(key: string): string | undefined {
  if (key.split('/').some((segment) => segment === '..' || segment === '.')) {
    return `"${printable(key)}" has a "." or ".." segment: Vault would read a different path than it names (stricter than ESO on purpose)`;
  }
  if (key.includes('%')) return `"${printable(key)}" contains "%": percent-encoded keys are refused (stricter than ESO on purpose)`;
  if (CONTROL.test(key)) return `"${printable(key)}" contains control characters (stricter than ESO on purpose)`;
  return undefined;
}

/** A key as it may appear in a message: control characters escaped, long keys shortened. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return escaped.length > 200 ? `${escaped.slice(0, 197)}...` : escaped;
}

/** ESO's buildPath (pkg/provider/vault/client_get.go), before the client cleans it. */
export function esoBuildPath(provider: VaultProvider, key: string): string {
  const kv = kvVersionOf(provider);
  const mount = storePathOf(provider);
  let out = key;
  if (mount !== undefined) {
    const cut = `${mount}/`;
    if (out.startsWith(cut)) {
      out = out.slice(cut.length);
      if (out.startsWith('data/') && kv === 2) out = out.slice('data/'.length);
    }
    const prefix = mount.split('/');
    if (kv === 2) prefix.push('data');
    return [...prefix, ...out.split('/')].join('/');
  }
  if (!out.includes('/data/') && kv === 2) {
    const parts = out.split('/');
    return [parts[0] ?? '', 'data', ...parts.slice(1)].join('/');
  }
  return out;
}

/** ESO's buildMetadataPath: Fetch and find do not strip the mount from the key. */
export function esoBuildMetadataPath(provider: VaultProvider, key: string): Resolved<string> {
  const mount = storePathOf(provider);
  if (kvVersionOf(provider) === 1) {
    // ESO dereferences the store path here; without one its controller panics.
    return mount === undefined ? refused('a KV v1 store without spec.provider.vault.path cannot list or read metadata (ESO fails on it)') : { ok: true, value: `${mount}/${key}` };
  }
  if (mount === undefined) {
    if (!key.includes('data')) return refused("provided Path isn't a valid kv v2 path (without the store's path, the key must name <mount>/data/...)");
    return { ok: true, value: key.replace('/data/', '/metadata/') };
  }
  return { ok: true, value: `${mount}/metadata/${key}` };
}

/** The path under /v1/ that the Vault client requests for a built path: path.Join("/v1/", built). */
function servedApiPath(built: string): Resolved<string> {
  const cleaned = cleanPath(`/v1/${built}`);
  if (cleaned === '/v1') return { ok: true, value: '' };
  if (!cleaned.startsWith('/v1/')) return refused(`resolves outside Vault's API (${printable(cleaned)})`);
  return { ok: true, value: cleaned.slice('/v1/'.length) };
}

/** The store's mount as Vault serves it (its path cleaned, no leading slash). */
function cleanMount(mount: string): string {
  const cleaned = cleanPath(`/${mount}`);
  return cleaned === '/' ? '' : cleaned.slice(1);
}

const join = (...parts: string[]) => parts.filter((p) => p !== '').join('/');

/**
 * The <mount>/<key> a served API path names. `marker` is the KV v2 endpoint segment (data
 * or metadata) that follows the mount. Without a store path the first segment is the mount,
 * as ESO assumes. A path that does not have that shape is matched by policies as it is.
 */
function kvPathOf(provider: VaultProvider, apiPath: string, marker: 'data' | 'metadata'): string {
  if (kvVersionOf(provider) === 1) return apiPath;
  const mount = storePathOf(provider);
  if (mount !== undefined) {
    const clean = cleanMount(mount);
    const head = join(clean, marker);
    if (apiPath === head) return clean;
    if (apiPath.startsWith(`${head}/`)) return join(clean, apiPath.slice(head.length + 1));
    return apiPath;
  }
  const segments = apiPath.split('/');
  if (segments[1] === marker) return join(segments[0] ?? '', ...segments.slice(2));
  return apiPath;
}

/** Where a remoteRef.key (data, dataFrom.extract, or a find match) is read from. */
export function dataTarget(provider: VaultProvider, key: string): Resolved<VaultTarget> {
  const unsafe = unsafeKeyProblem(key);
  if (unsafe) return refused(unsafe);
  const served = servedApiPath(esoBuildPath(provider, key));
  if (!served.ok) return served;
  return { ok: true, value: { apiPath: served.value, kvPath: kvPathOf(provider, served.value, 'data') } };
}

/** Where metadataPolicy Fetch (and a find by tags) reads custom_metadata from. */
export function metadataTarget(provider: VaultProvider, key: string): Resolved<VaultTarget> {
  const unsafe = unsafeKeyProblem(key);
  if (unsafe) return refused(unsafe);
  if (kvVersionOf(provider) === 1) return refused('cannot perform metadata fetch operations with kv version v1');
  const built = esoBuildMetadataPath(provider, key);
  if (!built.ok) return built;
  const served = servedApiPath(built.value);
  if (!served.ok) return served;
  return { ok: true, value: { apiPath: served.value, kvPath: kvPathOf(provider, served.value, 'metadata') } };
}

export interface FindListing {
  /** what ESO lists first: the cleaned API path of buildMetadataPath(find.path + "/") */
  listApiPath: string;
  /** prepended to every listed name, exactly as ESO concatenates it (find.path + "/", or nothing) */
  namePrefix: string;
  /** the subtree the find can reach, as <mount>/<key> (no trailing slash) */
  rootKvPath: string;
}

/** The listing a dataFrom.find starts from (ESO: listSecrets(buildMetadataPath(find.path + "/"))). */
export function findListing(provider: VaultProvider, findPath: string | undefined): Resolved<FindListing> {
  if (findPath !== undefined) {
    const unsafe = unsafeKeyProblem(findPath);
    if (unsafe) return refused(unsafe);
  }
  const namePrefix = findPath === undefined ? '' : `${findPath}/`;
  const built = esoBuildMetadataPath(provider, namePrefix);
  if (!built.ok) return built;
  const served = servedApiPath(built.value);
  if (!served.ok) return served;
  const kvVersion = kvVersionOf(provider);
  return {
    ok: true,
    value: {
      listApiPath: served.value,
      namePrefix,
      rootKvPath: kvVersion === 1 ? served.value : kvPathOf(provider, served.value, 'metadata'),
    },
  };
}
