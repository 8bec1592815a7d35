// Composition root: wires the Kubernetes adapter, the Vault adapter, the decision service,
// TLS and the HTTP layer into one running webhook server.
import { readFile } from 'node:fs/promises';
import type * as k8s from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { DEFAULT_LIMITS, type DecisionLimits, type FailureMode } from './core/facts.js';
import { DecisionService } from './decision/service.js';
import { ClusterFacts } from './kube/cluster.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics/registry.js';
import { buildApp, reloadTls } from './http/app.js';
import { ensureServingSecret, patchCaBundle, serviceDnsNames, watchCertificateFiles, type ServingMaterial } from './tls/provision.js';
import { VaultGateway } from './vault/gateway.js';
import { VaultHealthMonitor } from './vault/health.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_LEASE_TIMING, LeaderElector } from './kube/lease.js';
import { reuseConnections } from './kube/connections.js';
import { DEFAULT_RECONCILER_OPTIONS, Reconciler, type ReconcilerOptions } from './reconcile/controller.js';
import { AdmissionSecretCreator } from './reconcile/admissionSecrets.js';
import { SecretWriter } from './kube/writes.js';

export type TlsSource =
  | { mode: 'files'; certFile: string; keyFile: string }
  | { mode: 'secret'; namespace: string; secretName: string; serviceName: string }
  | { mode: 'provided'; key: string; cert: string };

export interface ServerConfig {
  kubeConfig: k8s.KubeConfig;
  host: string;
  port: number;
  ownNamespace: string;
  tls: TlsSource;
  /** webhook configurations to patch the generated CA into (secret mode) */
  webhookConfigName?: string;
  failureMode: FailureMode;
  requirePathPolicy: boolean;
  vaultTimeoutMs: number;
  vaultCacheTtlMs: number;
  /** all Vault calls of one admission decision; must stay inside the webhook's timeoutSeconds */
  decisionDeadlineMs: number;
  /** bounds on the work one ExternalSecret may cause */
  limits?: DecisionLimits;
  /** how often each store's Vault is probed for the vaultgate_vault_up metric */
  vaultHealthIntervalMs?: number;
  /** run the reconciler (in the replica holding the leader Lease) for stores of this class */
  reconciler?: Partial<ReconcilerOptions> & {
    leaseName?: string;
    leaseTiming?: Partial<typeof DEFAULT_LEASE_TIMING>;
    /** write the target Secret at admission (default true) */
    createAtAdmission?: boolean;
  };
  logLevel: string;
}

export interface RunningServer {
  app: FastifyInstance;
  port: number;
  url: string;
  metrics: Metrics;
  gateway: VaultGateway;
  cluster: ClusterFacts;
  service: DecisionService;
  health: VaultHealthMonitor;
  reconciler?: Reconciler;
  elector?: LeaderElector;
  close(): Promise<void>;
}

export const DEFAULTS = {
  port: 8443,
  host: '0.0.0.0',
  failureMode: 'closed' as FailureMode,
  vaultTimeoutMs: 2000,
  vaultCacheTtlMs: 10_000,
  decisionDeadlineMs: 7000,
  vaultHealthIntervalMs: 15_000,
};

async function initialTls(config: ServerConfig, log: Logger): Promise<ServingMaterial | { key: string; cert: string }> {
  switch (config.tls.mode) {
    case 'provided':
      return { key: config.tls.key, cert: config.tls.cert };
    case 'files': {
      const [cert, key] = await Promise.all([readFile(config.tls.certFile, 'utf8'), readFile(config.tls.keyFile, 'utf8')]);
      return { key, cert };
    }
    case 'secret':
      return ensureServingSecret(config.kubeConfig, config.tls.namespace, config.tls.secretName, serviceDnsNames(config.tls.serviceName, config.tls.namespace), log);
  }
}

export async function startServer(options: ServerConfig, metrics = new Metrics()): Promise<RunningServer> {
  const config = { ...options, kubeConfig: reuseConnections(options.kubeConfig) };
  const logger = pino({ level: config.logLevel, redact: ['req.headers.authorization'] });
  const log = logger as unknown as Logger;
  const tls = await initialTls(config, log);
  const cluster = new ClusterFacts(config.kubeConfig, { secretCacheTtlMs: config.vaultCacheTtlMs, timeoutMs: config.vaultTimeoutMs }, log);
  const gateway = new VaultGateway(cluster, { timeoutMs: config.vaultTimeoutMs, cacheTtlMs: config.vaultCacheTtlMs, metrics }, log);
  const service = new DecisionService(cluster, gateway, {
    failureMode: config.failureMode,
    requirePathPolicy: config.requirePathPolicy,
    vaultDeadlineMs: config.decisionDeadlineMs,
    limits: config.limits ?? DEFAULT_LIMITS,
  });
  const health = new VaultHealthMonitor(cluster, gateway, metrics, { intervalMs: config.vaultHealthIntervalMs ?? DEFAULTS.vaultHealthIntervalMs, maxServers: 200 }, log);

  let serving = false;
  // Only vaultgate's own state: never a tenant's store or its Vault.
  const readiness = async (): Promise<string[]> => {
    const problems: string[] = [];
    if (!serving) problems.push('TLS listener not serving yet');
    problems.push(...cluster.problems);
    return problems;
  };

  // Secrets written at admission need the leader's sweeper, so they come with the reconciler.
  const creator =
    config.reconciler && config.reconciler.createAtAdmission !== false
      ? new AdmissionSecretCreator(service, gateway, new SecretWriter(config.kubeConfig), metrics, Math.min(3000, config.decisionDeadlineMs), log)
      : undefined;
  const running = buildApp({ evaluator: service, metrics, failureMode: config.failureMode, tls: { key: tls.key, cert: tls.cert }, readiness, logger, ...(creator ? { creator } : {}) });
  await cluster.start();
  await running.listen({ host: config.host, port: config.port });
  serving = true;
  health.start();
  const address = running.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  const stoppers: (() => void)[] = [];
  if (config.tls.mode === 'files') {
    stoppers.push(watchCertificateFiles(config.tls.certFile, config.tls.keyFile, (material) => reloadTls(running, material), log));
  }
  if (config.tls.mode === 'secret') {
    const source = config.tls;
    if (config.webhookConfigName && 'ca' in tls) await patchCaBundle(config.kubeConfig, config.webhookConfigName, tls.ca, log);
    // Re-read the Secret hourly: another replica may have rotated it, or it is due.
    const timer = setInterval(() => {
      void (async () => {
        const current = await ensureServingSecret(config.kubeConfig, source.namespace, source.secretName, serviceDnsNames(source.serviceName, source.namespace), log);
        if (current.cert !== tls.cert) {
          reloadTls(running, current);
          if (config.webhookConfigName) await patchCaBundle(config.kubeConfig, config.webhookConfigName, current.ca, log);
          Object.assign(tls, current);
        }
      })().catch((error: unknown) => log.error({ err: error }, 'certificate rotation check failed'));
    }, 3_600_000);
    timer.unref();
    stoppers.push(() => clearInterval(timer));
  }

  const { reconciler, elector } = startReconciler(config, cluster, service, gateway, health, metrics, log);

  return {
    app: running,
    port,
    url: `https://127.0.0.1:${port}`,
    metrics,
    gateway,
    cluster,
    service,
    health,
    ...(reconciler ? { reconciler } : {}),
    ...(elector ? { elector } : {}),
    close: async () => {
      for (const stop of stoppers) stop();
      await elector?.stop();
      await reconciler?.stop();
      await health.stop();
      await running.close();
      await cluster.stop();
    },
  };
}

/** The reconciler runs only in the replica that holds the leader Lease; every replica serves admission. */
function startReconciler(config: ServerConfig, cluster: ClusterFacts, service: DecisionService, gateway: VaultGateway, health: VaultHealthMonitor, metrics: Metrics, log: Logger) {
  if (!config.reconciler) return {};
  const { leaseName, leaseTiming, createAtAdmission: _ignored, ...options } = config.reconciler;
  const reconciler = new Reconciler(config.kubeConfig, cluster, service, gateway, health, metrics, { ...DEFAULT_RECONCILER_OPTIONS, vaultDeadlineMs: config.decisionDeadlineMs, ...options }, log);
  const elector = new LeaderElector(
    config.kubeConfig,
    {
      namespace: config.ownNamespace,
      name: leaseName ?? 'vaultgate-reconciler',
      identity: `${process.env.POD_NAME ?? hostname()}-${randomBytes(4).toString('hex')}`,
      ...DEFAULT_LEASE_TIMING,
      ...leaseTiming,
    },
    {
      onStartedLeading: () => void reconciler.start().catch((error: unknown) => log.error({ err: error }, 'reconciler failed to start')),
      onStoppedLeading: () => void reconciler.stop().catch((error: unknown) => log.error({ err: error }, 'reconciler failed to stop')),
    },
    log,
  );
  elector.start();
  return { reconciler, elector };
}
