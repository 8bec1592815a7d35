// Self-managed TLS: the CA and serving certificate live in a Secret in vaultgate's
// namespace, shared by every replica.
// - Every replica watches the Secret and swaps a new serving certificate into the running
//   server as soon as it appears (no restart, no polling), and publishes what it serves in
//   its replica Lease.
// - The leader (Lease named after the Secret) follows the certificate plan (plan.ts):
//   creates, renews and rotates the material, puts back a deleted or overwritten Secret
//   from the last good copy it saw, and keeps caBundle of both webhook configurations equal
//   to the Secret's bundle (a caBundle rewritten by anyone else is put back as soon as the
//   watch reports it).
// - Ready only while the registered caBundle trusts the certificate this replica serves.
// Invariant: nothing here logs or exports key material; certificates are named by fingerprint.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type * as k8s from '@kubernetes/client-node';
import { DEFAULT_LEASE_TIMING, LeaderElector } from '../kube/lease.js';
import { describeKubeError } from '../kube/informers.js';
import { DEFAULT_REPLICA_TIMING, ReplicaLeases } from '../kube/replicaLeases.js';
import { TlsSecret } from '../kube/tlsSecret.js';
import { WebhookRegistrations } from '../kube/webhookRegistrations.js';
import type { Logger } from '../log.js';
import { certificateFacts, trustedBy } from './inspect.js';
import { carryOut } from './issue.js';
import type { ServingPair, StoredMaterial } from './material.js';
import { analyseMaterial, planNextStep, servable, type CertificateSettings, type Step } from './plan.js';

export interface TlsMetrics {
  servingCertificateLoaded(notAfterMs: number, reload: boolean): void;
  tlsSecretUpdated(step: string): void;
  caBundleRegistered(entries: number): void;
}

export interface SelfManagedTlsOptions {
  kubeConfig: k8s.KubeConfig;
  namespace: string;
  secretName: string;
  /** the webhook configurations (both kinds) whose caBundle vaultgate keeps */
  webhookConfigName: string | undefined;
  settings: CertificateSettings;
  /** this replica's identity (leader and replica Leases) */
  identity?: string;
  leaseTiming?: typeof DEFAULT_LEASE_TIMING;
  replicaTiming?: typeof DEFAULT_REPLICA_TIMING;
  metrics?: TlsMetrics;
}

/** Pod name (or host name) plus a random suffix: two processes on one host stay distinct. */
export function replicaIdentity(): string {
  return `${process.env.POD_NAME ?? hostname()}-${randomBytes(3).toString('hex')}`;
}

/** The longest the leader sleeps between looks at its certificates, whatever their lifetimes. */
const MAX_SLEEP_MS = 3_600_000;
const RETRY_MS = { first: 500, max: 30_000 };
const FALLBACK_MS = 5_000;

function usable(material: StoredMaterial | undefined, now: number): boolean {
  if (!material) return false;
  const analysis = analyseMaterial(material);
  return analysis.signer !== undefined && analysis.signer.facts.notAfter > now && analysis.serving?.issuer !== undefined && servable(material, now);
}

export class SelfManagedTls {
  private readonly secret: TlsSecret;
  private readonly registrations: WebhookRegistrations | undefined;
  private readonly replicas: ReplicaLeases;
  private readonly elector: LeaderElector;
  private readonly identity: string;
  private remembered: StoredMaterial | undefined;
  private served: ServingPair | undefined;
  private listener: ((pair: ServingPair) => void) | undefined;
  private firstServable: { promise: Promise<ServingPair>; resolve: (pair: ServingPair) => void };
  private registered: { bundle: string; since: number } | undefined;
  private leading = false;
  private stopped = false;
  private reconciling: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MS.first;

  constructor(
    private readonly options: SelfManagedTlsOptions,
    private readonly log: Logger,
  ) {
    const { kubeConfig, namespace, secretName } = options;
    this.identity = options.identity ?? replicaIdentity();
    this.secret = new TlsSecret(kubeConfig, namespace, secretName, log);
    this.registrations = options.webhookConfigName ? new WebhookRegistrations(kubeConfig, options.webhookConfigName, log) : undefined;
    this.replicas = new ReplicaLeases(kubeConfig, { namespace, group: secretName, identity: this.identity, ...(options.replicaTiming ?? DEFAULT_REPLICA_TIMING) }, log);
    this.elector = new LeaderElector(
      kubeConfig,
      { namespace, name: secretName, identity: this.identity, ...(options.leaseTiming ?? DEFAULT_LEASE_TIMING) },
      {
        onStartedLeading: () => {
          this.leading = true;
          this.trigger();
        },
        onStoppedLeading: () => {
          this.leading = false;
          clearTimeout(this.timer);
        },
      },
      log,
    );
    let resolve: (pair: ServingPair) => void = () => undefined;
    const promise = new Promise<ServingPair>((r) => (resolve = r));
    this.firstServable = { promise, resolve };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Watches everything, joins the leader election, and resolves with the first certificate to serve. */
  async start(): Promise<ServingPair> {
    this.secret.onChange(() => this.onSecretChange());
    this.registrations?.onChange(() => this.trigger());
    this.replicas.onChange(() => this.trigger());
    await Promise.all([this.secret.start(), this.registrations?.start(), this.replicas.start()]);
    this.elector.start();
    this.onSecretChange();
    if (!this.served) this.log.info({ secret: `${this.options.namespace}/${this.options.secretName}` }, 'waiting for the TLS Secret to hold a serving certificate');
    const pair = await this.firstServable.promise;
    return pair;
  }

  /** Called with each new serving certificate after the first. */
  onServingChange(listener: (pair: ServingPair) => void): void {
    this.listener = listener;
  }

  /** Reasons this replica must not take admissions yet (empty when the registered caBundle trusts what it serves). */
  get problems(): string[] {
    if (!this.served) return ['no serving certificate yet'];
    if (!this.registrations) return [];
    const problems = this.registrations.problems;
    if (problems.length > 0) return problems;
    const now = Date.now();
    const served = this.served.cert;
    return this.registrations
      .webhooks()
      .filter((webhook) => !trustedBy(served, webhook.caBundle, now))
      .map((webhook) => `${webhook.kind} ${this.registrations?.name}: caBundle of ${webhook.webhook} does not trust the served certificate`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // Releasing the Lease first lets another replica take over certificate duties at once.
    await this.elector.stop();
    await this.reconciling;
    await Promise.all([this.replicas.stop(), this.secret.stop(), this.registrations?.stop()]);
  }

  private onSecretChange(): void {
    const material = this.secret.material;
    const now = Date.now();
    if (usable(material, now)) this.remembered = material;
    if (material && servable(material, now) && material.cert !== this.served?.cert) this.serve({ cert: material.cert, key: material.key });
    this.trigger();
  }

  private serve(pair: ServingPair): void {
    const first = this.served === undefined;
    this.served = pair;
    const facts = certificateFacts(pair.cert);
    if (facts) {
      this.replicas.report(facts.fingerprint);
      this.options.metrics?.servingCertificateLoaded(facts.notAfter, !first);
    }
    if (first) {
      this.firstServable.resolve(pair);
      return;
    }
    this.listener?.(pair);
    this.log.info({ fingerprint: facts?.fingerprint, notAfter: facts && new Date(facts.notAfter).toISOString() }, 'serving a new certificate');
  }

  /** Runs the leader's reconcile, one at a time; a trigger during a run makes it run once more. */
  private trigger(): void {
    if (!this.leading || this.stopped) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = (async () => {
      do {
        this.again = false;
        try {
          await this.reconcile();
          this.retryMs = RETRY_MS.first;
        } catch (error) {
          this.log.error({ error: describeKubeError(error) }, 'certificate reconcile failed; retrying');
          this.sleepUntil(Date.now() + this.retryMs);
          this.retryMs = Math.min(this.retryMs * 2, RETRY_MS.max);
        }
      } while (this.again && this.leading && !this.stopped);
    })().finally(() => {
      this.reconciling = undefined;
    });
  }

  private sleepUntil(until: number | undefined): void {
    clearTimeout(this.timer);
    const delay = Math.min(Math.max((until ?? Infinity) - Date.now(), 0), MAX_SLEEP_MS);
    this.timer = setTimeout(() => this.trigger(), delay);
    this.timer.unref();
  }

  /** Since when every webhook entry has carried this bundle, as seen by this leader. */
  private bundleRegisteredSince(bundle: string | undefined, now: number): number | undefined {
    const carried = bundle !== undefined && (this.registrations ? this.registrations.carries(bundle) : true);
    if (!carried) this.registered = undefined;
    else if (this.registered?.bundle !== bundle) this.registered = { bundle, since: now };
    return this.registered?.since;
  }

  private async reconcile(): Promise<void> {
    if (!this.secret.synced || (this.registrations && !this.registrations.synced)) {
      this.sleepUntil(Date.now() + RETRY_MS.max / 30);
      return;
    }
    const now = Date.now();
    const stored = this.secret.material;
    const step: Step = planNextStep({
      stored,
      remembered: this.remembered,
      now,
      settings: this.options.settings,
      bundleRegisteredSince: this.bundleRegisteredSince(stored?.caBundle, now),
      replicas: this.replicas.reports(now),
    });
    if (step.kind !== 'wait') {
      const next = carryOut(step, stored, this.remembered, this.options.settings, now);
      const outcome = await this.secret.write(next);
      this.log.info({ secret: `${this.options.namespace}/${this.options.secretName}`, step: step.kind, reason: step.reason, outcome }, 'TLS Secret updated');
      if (outcome === 'written') this.options.metrics?.tlsSecretUpdated(step.kind);
      // The watch brings what was written (or what won instead) and triggers the next
      // round; the timer is only a fallback should that event be lost.
      this.sleepUntil(Date.now() + FALLBACK_MS);
      return;
    }
    if (stored && this.registrations && !this.registrations.carries(stored.caBundle)) {
      const patched = await this.registrations.register(stored.caBundle);
      if (patched > 0) {
        this.log.info({ configuration: this.registrations.name, entries: patched }, 'caBundle registered in the webhook configurations');
        this.options.metrics?.caBundleRegistered(patched);
      }
    }
    this.sleepUntil(step.until);
  }
}
