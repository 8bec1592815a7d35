// An ExternalSecret's status as ESO writes it: one Ready condition (SecretSynced,
// SecretSyncedError, SecretDeleted, SecretMissing) whose lastTransitionTime only moves
// when its status flips, refreshTime and syncedResourceVersion on success only, and the
// binding to the target Secret. Pure; the writer sends it only when it changed.
import type { ExternalSecret, ExternalSecretCondition, ExternalSecretStatus } from '../eso/types.js';
import { syncedResourceVersion } from './esoHash.js';

export const REASON = {
  synced: 'SecretSynced',
  error: 'SecretSyncedError',
  deleted: 'SecretDeleted',
  missing: 'SecretMissing',
} as const;

/** Seconds precision, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function withCondition(status: ExternalSecretStatus, condition: Omit<ExternalSecretCondition, 'lastTransitionTime'>, now: number): ExternalSecretStatus {
  const conditions = status.conditions ?? [];
  const existing = conditions.find((c) => c.type === condition.type);
  if (existing && existing.status === condition.status && existing.reason === condition.reason && existing.message === condition.message) return status;
  const lastTransitionTime = existing && existing.status === condition.status && existing.lastTransitionTime ? existing.lastTransitionTime : rfc3339(now);
  return { ...status, conditions: [...conditions.filter((c) => c.type !== condition.type), { ...condition, lastTransitionTime }] };
}

/** Ready=True: refreshTime is the reconcile's start, syncedResourceVersion what it saw. */
export function markDone(es: ExternalSecret, reason: string, message: string, startedAt: number, binding?: string): ExternalSecretStatus {
  const status = withCondition(es.status ?? {}, { type: 'Ready', status: 'True', reason, message }, startedAt);
  return {
    ...status,
    refreshTime: rfc3339(startedAt),
    syncedResourceVersion: syncedResourceVersion(es.metadata ?? {}),
    ...(binding !== undefined ? { binding: { name: binding } } : {}),
  };
}

/** Ready=False, SecretSyncedError; refreshTime and syncedResourceVersion stay as they were. */
export function markFailed(es: ExternalSecret, message: string, now: number): ExternalSecretStatus {
  return withCondition(es.status ?? {}, { type: 'Ready', status: 'False', reason: REASON.error, message }, now);
}

export function readyCondition(es: ExternalSecret): ExternalSecretCondition | undefined {
  return es.status?.conditions?.find((c) => c.type === 'Ready');
}

export function statusChanged(before: ExternalSecretStatus | undefined, after: ExternalSecretStatus): boolean {
  return JSON.stringify(normalise(before ?? {})) !== JSON.stringify(normalise(after));
}

function normalise(status: ExternalSecretStatus) {
  return {
    refreshTime: status.refreshTime ?? null,
    syncedResourceVersion: status.syncedResourceVersion ?? '',
    binding: status.binding?.name ?? '',
    conditions: (status.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '', c.lastTransitionTime ?? '']),
  };
}
