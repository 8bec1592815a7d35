// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
// one holder at a time; the holder renews every retry period and gives up leadership if it
// cannot renew within the renew deadline; others take over once the lease has gone
// unrenewed for its duration, measured on their own clock from when they last saw it change
// (so clock skew between replicas does not matter); a holder that shuts down cleanly
// releases the lease so another replica takes over at once.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../log.js';

export interface LeaseOptions {
  namespace: string;
  name: string;
  /** this replica's identity (pod name plus a random suffix) */
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const DEFAULT_LEASE_TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

type LeaseSpec = k8s.V1LeaseSpec;

/**
 * Lease times are MicroTime: the apiserver refuses the millisecond ISO strings a plain Date
 * serialises to, so every time written goes through client-node's V1MicroTime.
 */
const microTime = (value: Date | string | number = Date.now()): k8s.V1MicroTime => new k8s.V1MicroTime(new Date(value).getTime());

export class LeaderElector {
  private readonly api: k8s.CoordinationV1Api;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;
  /** the lease as last seen, and when (our clock) it last changed */
  private observed: { key: string; at: number } | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly options: LeaseOptions,
    private readonly callbacks: LeaderCallbacks,
    private readonly log: Logger,
  ) {
    this.api = kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops trying; a leader releases the lease so another replica need not wait out its duration. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.loop;
    if (this.leading) {
      this.setLeading(false);
      await this.release().catch((error: unknown) => this.log.warn({ err: error }, 'could not release the leader lease'));
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.loop = this.tick().finally(() => {
        if (!this.stopped) this.schedule(this.options.retryPeriodMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.log.info({ lease: `${this.options.namespace}/${this.options.name}`, identity: this.options.identity }, leading ? 'became leader' : 'stopped leading');
    if (leading) this.callbacks.onStartedLeading();
    else this.callbacks.onStoppedLeading();
  }

  private async tick(): Promise<void> {
    try {
      const acquired = await this.tryAcquireOrRenew();
      if (acquired) {
        this.lastRenew = Date.now();
        this.setLeading(true);
        return;
      }
    } catch (error) {
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'leader lease request failed');
    }
    // Not renewed this round: a leader keeps leading until the renew deadline has passed.
    if (this.leading && Date.now() - this.lastRenew > this.options.renewDeadlineMs) this.setLeading(false);
  }

  private spec(now: Date, previous?: LeaseSpec): LeaseSpec {
    const takingOver = previous?.holderIdentity !== this.options.identity;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
      acquireTime: microTime(takingOver || !previous?.acquireTime ? now : previous.acquireTime),
      renewTime: microTime(now),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (takingOver && previous?.holderIdentity ? 1 : 0),
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name } = this.options;
    const now = new Date();
    let lease: k8s.V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!(error instanceof k8s.ApiException) || error.code !== 404) throw error;
      await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: this.spec(now) } });
      return true;
    }
    const spec = lease.spec ?? {};
    const key = `${spec.holderIdentity ?? ''}|${String(spec.renewTime ?? '')}`;
    if (this.observed?.key !== key) this.observed = { key, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    const expired = Date.now() > this.observed.at + durationMs;
    if (holder && holder !== this.options.identity && !expired) return false;
    // Ours, released, or expired: write it with its resourceVersion, so two contenders cannot both win.
    await this.api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec: this.spec(now, spec) } });
    return true;
  }

  private async release(): Promise<void> {
    const { namespace, name } = this.options;
    const lease = await this.api.readNamespacedLease({ name, namespace });
    if (lease.spec?.holderIdentity !== this.options.identity) return;
    await this.api.replaceNamespacedLease({
      name,
      namespace,
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(),
          ...(lease.spec?.acquireTime ? { acquireTime: microTime(lease.spec.acquireTime) } : {}),
        },
      },
    });
  }
}
