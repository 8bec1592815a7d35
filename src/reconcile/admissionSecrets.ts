// The target Secret, written by the mutating webhook before the ExternalSecret is stored, so
// a workload applied in the same `kubectl apply` finds it. It is exactly the Secret the first
// sync would write (same decision, same values, same labels, annotations and data), except
// that it cannot yet name its owner: the object has no uid at admission. It is written by
// its own field manager, so whichever reconciler syncs first (vaultgate's or ESO) adopts it
// by adding the owner reference and changes nothing else; and the leader deletes it after a
// grace period if its ExternalSecret was never stored (refused later in the admission chain).
// Never on a dry run, never over an existing Secret, never past the admission deadline.
import type * as k8s from '@kubernetes/client-node';
import { analyze, storeRefOf } from '../core/decide.js';
import { createdByHash } from '../core/esoHash.js';
import { CREATED_BY_LABEL } from '../core/schedule.js';
import { targetName } from '../core/secretPlan.js';
import type { DecisionService } from '../decision/service.js';
import type { ExternalSecret } from '../eso/types.js';
import type { SecretWriter } from '../kube/writes.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import type { VaultGateway } from '../vault/gateway.js';
import { DeadlineExceeded, withDeadline } from '../util/deadline.js';
import { decideSync } from './sync.js';

/** The field manager of Secrets written at admission: how the leader recognises them later. */
export const ADMISSION_FIELD_MANAGER = 'vaultgate-admission';

export type CreationOutcome = 'created' | 'exists' | 'denied' | 'not-ready' | 'timed-out' | 'not-applicable' | 'failed';

export class AdmissionSecretCreator {
  constructor(
    private readonly service: DecisionService,
    private readonly gateway: VaultGateway,
    private readonly secrets: SecretWriter,
    private readonly metrics: Metrics,
    private readonly deadlineMs: number,
    private readonly log: Logger,
  ) {}

  /** Writes the target Secret for a defaulted ExternalSecret being created, or says why not. */
  async create(es: ExternalSecret, namespace: string): Promise<CreationOutcome> {
    let outcome: CreationOutcome;
    try {
      outcome = await withDeadline(this.attempt({ ...es, metadata: { ...es.metadata, namespace } }, namespace), this.deadlineMs, 'creating the target Secret');
    } catch (error) {
      outcome = error instanceof DeadlineExceeded ? 'timed-out' : 'failed';
      if (outcome === 'failed') this.log.warn({ namespace, name: es.metadata?.name, err: error instanceof Error ? error.message : String(error) }, 'could not create the target Secret at admission; the first sync will');
    }
    this.metrics.secretsCreatedAtAdmission.inc({ outcome });
    return outcome;
  }

  private async attempt(es: ExternalSecret, namespace: string): Promise<CreationOutcome> {
    const creation = es.spec?.target?.creationPolicy ?? 'Owner';
    if (creation !== 'Owner' && creation !== 'Orphan') return 'not-applicable';
    if (await this.secrets.read(namespace, targetName(es))) return 'exists';
    const analysis = analyze({ ...this.service.facts(storeRefOf(es), namespace), externalSecret: es });
    const values = analysis.vault ? await this.gateway.values(analysis.vault) : new Map();
    const decision = decideSync({ es, analysis, values, current: undefined, sources: { configMap: () => undefined, secret: () => undefined } });
    if (decision.kind === 'denied') return 'denied';
    if (decision.kind !== 'create') return 'not-ready';
    // No uid yet: the owner reference is added by whichever reconciler syncs first.
    const secret = { ...decision.secret, ownerReferences: decision.secret.ownerReferences.filter((ref) => ref.uid !== '') };
    await this.secrets.create(secret, es.metadata?.name ?? '', ADMISSION_FIELD_MANAGER);
    return 'created';
  }
}

/** Written at admission, not adopted, and no ExternalSecret will: the grace period decides. */
export function isAbandonedAdmissionSecret(
  secret: k8s.V1Secret,
  externalSecrets: readonly ExternalSecret[],
  now: number,
  graceMs: number,
): boolean {
  const meta = secret.metadata ?? {};
  if ((meta.ownerReferences ?? []).length > 0) return false;
  if (!(meta.managedFields ?? []).some((entry) => entry.manager === ADMISSION_FIELD_MANAGER && entry.operation === 'Update')) return false;
  const createdBy = meta.labels?.[CREATED_BY_LABEL];
  if (!createdBy) return false; // Orphan policy: the Secret outlives its ExternalSecret on purpose
  const age = now - new Date(meta.creationTimestamp ?? now).getTime();
  // Only young Secrets: an old one without an owner was orphaned on purpose (--cascade=orphan).
  if (age < graceMs || age > graceMs * 20) return false;
  const namespace = meta.namespace ?? '';
  return !externalSecrets.some((es) => targetName(es) === meta.name && createdByHash(namespace, es.metadata?.name ?? '') === createdBy);
}
