// Where in Vault a remoteRef.key points, following ESO's Vault provider: with the store's
// `path` set, the key is relative to that mount (a repeated mount prefix, and for KV v2 a
// `data/` after it, are dropped); without it, the key's first segment is the mount.
import type { VaultProvider } from '../eso/types.js';

export interface KvLocation {
  mount: string;
  key: string;
  kvVersion: 1 | 2;
  /** <mount>/<key> as `vault kv get` names it; what path policies match */
  kvPath: string;
  /** HTTP API path: <mount>/data/<key> on KV v2 */
  apiPath: string;
}

const trimSlashes = (text: string) => text.replace(/^\/+|\/+$/g, '');

export function kvVersionOf(provider: VaultProvider): 1 | 2 {
  return provider.version === 'v1' ? 1 : 2;
}

export function resolveKvLocation(provider: VaultProvider, remoteKey: string): KvLocation | undefined {
  const kvVersion = kvVersionOf(provider);
  let key = trimSlashes(remoteKey);
  let mount: string;
  const storePath = provider.path ? trimSlashes(provider.path) : '';
  if (storePath) {
    mount = storePath;
    if (key.startsWith(`${mount}/`)) key = key.slice(mount.length + 1);
  } else {
    const slash = key.indexOf('/');
    if (slash <= 0) return undefined;
    mount = key.slice(0, slash);
    key = key.slice(slash + 1);
  }
  if (kvVersion === 2 && key.startsWith('data/')) key = key.slice('data/'.length);
  if (!key) return undefined;
  return location(mount, key, kvVersion);
}

export function location(mount: string, key: string, kvVersion: 1 | 2): KvLocation {
  return {
    mount,
    key,
    kvVersion,
    kvPath: `${mount}/${key}`,
    apiPath: kvVersion === 2 ? `${mount}/data/${key}` : `${mount}/${key}`,
  };
}
