// The facts the decision core needs from the outside world, the questions it asks Vault,
// and the verdict it returns. Adapters (src/kube, src/vault) gather facts; the core never
// does I/O. Facts about Vault carry names, shapes and version state, never values.
import type { ExternalSecret, SecretStore, StoreKind, VaultPathPolicy } from '../eso/types.js';
import type { StoreAccess } from './auth.js';
import type { KvVersion } from './vaultPath.js';

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

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'bool' | 'null';

/** What ESO would get for one remoteRef.property of a secret (or of its custom_metadata). */
export type PropertyFact =
  | { found: false }
  /** found; `objectJson` says whether ESO could json.Unmarshal the value into a map (dataFrom.extract) */
  | { found: true; kind: JsonKind; objectJson: boolean }
  /** vaultgate cannot tell (a gjson feature or size it does not evaluate) */
  | { unsupported: string };

/** The property-less read: the whole secret, always a JSON object. */
export const WHOLE_SECRET = '';

/** One secret version as read with the store's own identity. */
export type ReadOutcome =
  | {
      state: 'found';
      /** KV v2 version number (absent on KV v1) */
      version?: number;
      /** RFC 3339 time a live version is scheduled for deletion (delete_version_after) */
      deletionTime?: string;
      /** top-level keys and gjson paths to nested keys, for "did you mean" */
      propertyNames: string[];
      /** the answers for the properties asked, keyed by property (WHOLE_SECRET for none) */
      properties: Record<string, PropertyFact>;
    }
  /** ESO's NoSecretError ("Secret does not exist"): 404, a missing mount, or a deleted or destroyed version */
  | { state: 'no-secret'; detail: 'missing' | 'deleted' | 'destroyed'; version?: number }
  /** any other answer ESO fails on, with ESO's words where they matter */
  | { state: 'error'; message: string };

export interface ReadFacts {
  /** capabilities of the store's identity on the API path, as sys/capabilities-self says */
  capabilities: string[];
  /** absent when the identity may not read, so nothing was read */
  outcome?: ReadOutcome;
}

export interface FindFacts {
  /** the names ESO would build (find.path prefix included) that the regexp or tags matched */
  matched: string[];
  /** matched names whose data path the store's identity may not read */
  unreadable: string[];
  /** the listing stopped at the limit: some names were never seen */
  truncated: boolean;
  /** how many names the listing saw */
  listed: number;
  /** ESO fails the whole find with this (e.g. a 404 while listing is "Secret does not exist") */
  failure?: { noSecret: boolean; message: string };
}

/** One Vault question the core needs answered for a verdict. */
export type VaultQuestion =
  | {
      id: string;
      kind: 'read';
      /** cleaned API path under /v1/ */
      apiPath: string;
      kvPath: string;
      kvVersion: KvVersion;
      /** remoteRef.version exactly as written; sent as ?version= as ESO sends it */
      version?: string;
      /** properties to evaluate (WHOLE_SECRET for the whole secret) */
      properties: string[];
    }
  | {
      id: string;
      kind: 'metadata';
      apiPath: string;
      kvPath: string;
      properties: string[];
    }
  | {
      id: string;
      kind: 'find';
      listApiPath: string;
      namePrefix: string;
      kvVersion: KvVersion;
      /** find.name.regexp; when set, tags are ignored (as ESO does) */
      nameRegexp?: string;
      tags?: Record<string, string>;
      /** list at most this many names */
      maxNames: number;
    };

export type VaultAnswer = Lookup<ReadFacts | FindFacts>;

export type FailureMode = 'closed' | 'open';

/** Bounds on the work one ExternalSecret may cause; a denial names the limit and its flag. */
export interface DecisionLimits {
  /** data plus dataFrom entries (--max-entries) */
  maxEntries: number;
  /** distinct Vault paths read (--max-paths) */
  maxPaths: number;
  /** names a dataFrom.find may list (--max-find-names) */
  maxFindNames: number;
}

export const DEFAULT_LIMITS: DecisionLimits = { maxEntries: 1000, maxPaths: 100, maxFindNames: 1000 };

export interface DecisionOptions {
  requirePathPolicy: boolean;
  failureMode: FailureMode;
  limits?: DecisionLimits;
  /** refreshInterval below this draws a warning (default one minute) */
  minRefreshIntervalMs?: number;
  /** warn when a version is scheduled for deletion within this window (default 7 days) */
  deletionWarningMs?: number;
  now?: number;
}

export interface DecisionInput {
  /** the object as received: anything at all, checked field by field */
  externalSecret: unknown;
  /** the namespace of the request (metadata.namespace may be empty on CREATE) */
  namespace: string;
  namespaceLabels: Lookup<Record<string, string>>;
  store: Lookup<SecretStore>;
  policies: Lookup<VaultPathPolicy[]>;
  options: DecisionOptions;
}

/** Everything the core needs besides the object itself (what the cluster says). */
export type DecisionFacts = Omit<DecisionInput, 'externalSecret'>;

export type CheckName = 'structure' | 'limit' | 'store' | 'policy' | 'capability' | 'existence' | 'unavailable' | 'unchecked';

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

/** What analyze() hands the adapters: the store's access plan and the questions to answer. */
export interface VaultRequest {
  store: SecretStore;
  storeKind: StoreKind;
  access: StoreAccess;
  questions: VaultQuestion[];
}

/** Which question each spec.data / spec.dataFrom entry is answered by (by index). */
export interface EntryQuestions {
  data: Record<number, string>;
  dataFrom: Record<number, string>;
}

export interface Analysis {
  /** present when Vault must be asked before a full verdict can be given */
  vault?: VaultRequest;
  /** for the reconciler: the question behind each entry, to find its values */
  entries?: EntryQuestions;
  /** what the checks before Vault found (structure, store, policy): a denial here needs no Vault at all */
  early: Verdict;
  decide(answers?: ReadonlyMap<string, VaultAnswer>): Verdict;
}

export type { ExternalSecret };
