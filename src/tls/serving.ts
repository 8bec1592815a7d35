// Where the serving certificate comes from, behind one interface for the composition root:
// - provided: a key pair handed in (the in-process test harness), never changes;
// - files: mounted certificates, reloaded when their directory changes (mounted.ts);
// - secret: self-managed CA and certificates in a Secret, rotated by the leader (selfManaged.ts).
// Invariant: `follow` sees every certificate change after `initial`, in order, even one that
// happened before it was called.
import { isIP } from 'node:net';
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import type { DEFAULT_LEASE_TIMING } from '../kube/lease.js';
import type { DEFAULT_REPLICA_TIMING } from '../kube/replicaLeases.js';
import { certificateFacts } from './inspect.js';
import { readMountedPair, watchMountedPair } from './mounted.js';
import type { ServingPair } from './material.js';
import type { CertificateSettings } from './plan.js';
import { serviceDnsNames } from './provision.js';
import { SelfManagedTls, type TlsMetrics } from './selfManaged.js';

const DAY_MS = 86_400_000;

/** Certificate lifetimes of self-managed mode. */
export const CERTIFICATE_DEFAULTS = {
  servingValidityMs: 7 * DAY_MS,
  caValidityMs: 3650 * DAY_MS,
  /** as cert-manager's default: renew with a third of the life left */
  renewRemainingShare: 1 / 3,
  caPropagationMs: 5_000,
};

export type TlsSource =
  | { mode: 'files'; certFile: string; keyFile: string }
  | {
      mode: 'secret';
      namespace: string;
      secretName: string;
      serviceName: string;
      /** more names (DNS or IP) for the serving certificate, e.g. 127.0.0.1 outside a cluster */
      extraSans?: string[];
      certificates?: Partial<typeof CERTIFICATE_DEFAULTS>;
      identity?: string;
      leaseTiming?: typeof DEFAULT_LEASE_TIMING;
      replicaTiming?: typeof DEFAULT_REPLICA_TIMING;
    }
  | { mode: 'provided'; key: string; cert: string };

export interface ServingTls {
  initial: ServingPair;
  follow(onChange: (pair: ServingPair) => void): void;
  /** reasons not to take admissions (self-managed: the registered caBundle does not trust what is served) */
  problems(): string[];
  stop(): Promise<void>;
}

/** DNS names and IP addresses apart, as a certificate's subjectAltName holds them. */
export function splitSans(sans: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
  const isIp = (value: string) => isIP(value) !== 0;
  return { dnsNames: sans.filter((san) => !isIp(san)), ipAddresses: sans.filter(isIp) };
}

export function certificateSettings(source: Extract<TlsSource, { mode: 'secret' }>): CertificateSettings {
  const extra = splitSans(source.extraSans ?? []);
  return {
    ...CERTIFICATE_DEFAULTS,
    ...source.certificates,
    dnsNames: [...serviceDnsNames(source.serviceName, source.namespace), ...extra.dnsNames],
    ipAddresses: extra.ipAddresses,
  };
}

/** Calls the follower with changes, remembering the latest until there is one. */
function follower(initial: ServingPair): { emit(pair: ServingPair): void; follow(onChange: (pair: ServingPair) => void): void } {
  let latest = initial;
  let listener: ((pair: ServingPair) => void) | undefined;
  return {
    emit: (pair) => {
      latest = pair;
      listener?.(pair);
    },
    follow: (onChange) => {
      listener = onChange;
      if (latest !== initial) onChange(latest);
    },
  };
}

function loaded(metrics: TlsMetrics, pair: ServingPair, reload: boolean): void {
  const notAfter = certificateFacts(pair.cert)?.notAfter;
  if (notAfter !== undefined) metrics.servingCertificateLoaded(notAfter, reload);
}

export interface ServingTlsContext {
  kubeConfig: k8s.KubeConfig;
  webhookConfigName: string | undefined;
  metrics: TlsMetrics;
  log: Logger;
}

export async function startServingTls(source: TlsSource, context: ServingTlsContext): Promise<ServingTls> {
  switch (source.mode) {
    case 'provided': {
      const initial = { key: source.key, cert: source.cert };
      loaded(context.metrics, initial, false);
      return { initial, follow: () => undefined, problems: () => [], stop: async () => undefined };
    }
    case 'files': {
      const initial = await readMountedPair(source);
      loaded(context.metrics, initial, false);
      const changes = follower(initial);
      const watch = watchMountedPair(
        source,
        initial,
        (pair) => {
          loaded(context.metrics, pair, true);
          changes.emit(pair);
        },
        context.log,
      );
      return { initial, follow: changes.follow, problems: () => [], stop: async () => watch.stop() };
    }
    case 'secret': {
      const selfManaged = new SelfManagedTls(
        {
          kubeConfig: context.kubeConfig,
          namespace: source.namespace,
          secretName: source.secretName,
          webhookConfigName: context.webhookConfigName,
          settings: certificateSettings(source),
          metrics: context.metrics,
          ...(source.identity ? { identity: source.identity } : {}),
          ...(source.leaseTiming ? { leaseTiming: source.leaseTiming } : {}),
          ...(source.replicaTiming ? { replicaTiming: source.replicaTiming } : {}),
        },
        context.log,
      );
      const initial = await selfManaged.start();
      const changes = follower(initial);
      selfManaged.onServingChange(changes.emit);
      return { initial, follow: changes.follow, problems: () => selfManaged.problems, stop: () => selfManaged.stop() };
    }
  }
}
