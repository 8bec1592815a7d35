// The facts the decision core needs from the outside world, and the verdict it returns.
// Adapters (src/kube, src/vault) gather facts; the core never does I/O.
import type { ExternalSecret, SecretStore, StoreKind, VaultPathPolicy } from '../eso/types.js';

/**
 * The answer to one question about the world:
 * - ok: the answer;
 * - missing: the thing definitely does not exist;
 * - failed: a definite problem to report (bad credentials, permission denied);
 * - unavailable: the question could not be answered in time (timeout, connection
 *   refused, sealed Vault); the failure mode decides whether this denies.
 */
export type Lookup<T> =
  | { state: 'ok'; value: T }
  | { state: 'missing' }
  | { state: 'failed'; reason: string }
  | { state: 'unavailable'; reason: string };

export const ok = <T>(value: T): Lookup<T> => ({ state: 'ok', value });
export const missing = <T>(): Lookup<T> => ({ state: 'missing' });
export const failed = <T>(reason: string): Lookup<T> => ({ state: 'failed', reason });
export const unavailable = <T>(reason: string): Lookup<T> => ({ state: 'unavailable', reason });

/** A KV secret as read with the store's own identity: names and version state only, never values. */
export interface KvSecretFacts {
  /** capabilities of the store's identity on the data path, as sys/capabilities-self says */
  capabilities: string[];
  /** absent when the identity may not read, so nothing was read */
  read?: Lookup<KvVersionFacts>;
}

export interface KvVersionFacts {
  version: number;
  state: 'live' | 'deleted' | 'destroyed';
  /** RFC 3339 time a live version is scheduled for deletion (delete_version_after) */
  deletionTime?: string;
  /** top-level keys and dotted paths to nested keys */
  propertyNames: string[];
}

export interface KvFindFacts {
  /** keys (relative to the mount) that the find matched */
  keys: string[];
}

/** One Vault question the core needs answered for a verdict. */
export type VaultQuestion =
  | { id: string; kind: 'secret'; mount: string; key: string; kvVersion: 1 | 2; version?: number }
  | { id: string; kind: 'find'; mount: string; path?: string; nameRegexp?: string; tags?: Record<string, string>; kvVersion: 1 | 2 };

export type VaultAnswer = Lookup<KvSecretFacts | KvFindFacts>;

export type FailureMode = 'closed' | 'open';

export interface DecisionOptions {
  requirePathPolicy: boolean;
  failureMode: FailureMode;
  /** refreshInterval below this draws a warning (default one minute) */
  minRefreshIntervalMs?: number;
  /** warn when a version is scheduled for deletion within this window (default 7 days) */
  deletionWarningMs?: number;
  now?: number;
}

export interface DecisionInput {
  externalSecret: ExternalSecret;
  /** the namespace of the request (metadata.namespace may be empty on CREATE) */
  namespace: string;
  namespaceLabels: Lookup<Record<string, string>>;
  store: Lookup<SecretStore>;
  policies: Lookup<VaultPathPolicy[]>;
  options: DecisionOptions;
}

export type CheckName = 'structure' | 'store' | 'policy' | 'capability' | 'existence' | 'unavailable';

export interface Finding {
  /** field path in the ExternalSecret, e.g. spec.data[1].remoteRef.property */
  field: string;
  message: string;
  check: CheckName;
  /** the VaultPathPolicy behind a policy finding */
  policy?: string;
}

export interface ResolvedPath {
  field: string;
  store: { kind: StoreKind; name: string };
  /** <mount>/<key> as `vault kv get` names it */
  kvPath: string;
  /** the HTTP API path the store's identity reads */
  apiPath: string;
  policy: 'allowed' | 'denied';
}

export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

export interface Verdict {
  allowed: boolean;
  violations: Finding[];
  warnings: Finding[];
  paths: ResolvedPath[];
}
