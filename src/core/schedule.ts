// When an ExternalSecret is synced, as ESO decides it (pkg/controllers/externalsecret:
// shouldRefresh, isSecretValid, getRequeueResult), plus the spread vaultgate adds so that
// thousands of ExternalSecrets with one interval do not all fire in the same second. Pure:
// the time is an argument.
import type { ExternalSecret } from '../eso/types.js';
import { parseGoDuration } from './duration.js';
import { dataHash, syncedResourceVersion } from './esoHash.js';

export const MANAGED_LABEL = 'reconcile.external-secrets.io/managed';
export const DATA_HASH_ANNOTATION = 'reconcile.external-secrets.io/data-hash';
export const CREATED_BY_LABEL = 'reconcile.external-secrets.io/created-by';
/** The conventional annotation (any change of labels or annotations forces a sync). */
export const FORCE_SYNC_ANNOTATION = 'force-sync';

const HOUR_MS = 3_600_000;

/** refreshInterval in milliseconds (ESO's CRD defaults it to 1h). */
export function refreshIntervalMs(es: ExternalSecret): number {
  return parseGoDuration(es.spec?.refreshInterval ?? '1h') ?? HOUR_MS;
}

const timeOf = (value: string | null | undefined): number | undefined => {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
};

/** ESO's shouldRefresh: CreatedOnce, OnChange and Periodic (the default). */
export function shouldRefresh(es: ExternalSecret, now: number): boolean {
  const status = es.status ?? {};
  const synced = status.syncedResourceVersion ?? '';
  const refreshed = timeOf(status.refreshTime);
  const current = syncedResourceVersion(es.metadata ?? {});
  switch (es.spec?.refreshPolicy) {
    case 'CreatedOnce':
      return synced === '' || refreshed === undefined;
    case 'OnChange':
      return synced === '' || refreshed === undefined || synced !== current;
    default: {
      const interval = refreshIntervalMs(es);
      // ESO checks this before the spec: with no interval, only the first sync happens.
      if (interval <= 0 && synced !== '') return false;
      if (synced !== current) return true;
      if (refreshed === undefined || refreshed > now) return true;
      return refreshed + interval < now;
    }
  }
}

export interface ExistingSecret {
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  data?: Record<string, Uint8Array>;
}

/** ESO's isSecretValid: the Secret is there, marked managed, and its data matches its hash. */
export function isSecretValid(existing: ExistingSecret | undefined, es: ExternalSecret): boolean {
  if (es.spec?.target?.creationPolicy === 'Orphan') return true;
  if (!existing?.uid) return false;
  if (existing.labels?.[MANAGED_LABEL] !== 'true') return false;
  return existing.annotations?.[DATA_HASH_ANNOTATION] === dataHash(existing.data ?? {});
}

/**
 * When to look again, as ESO's getRequeueResult: undefined means never (interval 0), 0 means
 * now (rate limited). `spreadMs` is added to a full interval so objects created together
 * drift apart; it is fixed per key (the caller derives it from the key).
 */
export function requeueAfterMs(es: ExternalSecret, now: number, spreadMs = 0): number | undefined {
  const interval = refreshIntervalMs(es);
  if (interval <= 0) return undefined;
  const refreshed = timeOf(es.status?.refreshTime);
  if (refreshed === undefined) return interval + spreadMs;
  const since = now - refreshed;
  if (since < 0) return 0;
  if (since < interval) return interval - since + spreadMs;
  return 0;
}

/** A stable spread for a key in [0, min(10% of the interval, 5 minutes)): no two replicas disagree. */
export function spreadFor(key: string, intervalMs: number): number {
  const window = Math.min(intervalMs * 0.1, 300_000);
  if (window <= 0) return 0;
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619) >>> 0;
  return hash % Math.max(1, Math.floor(window));
}
