// Composition root: wires the Kubernetes adapter, the Vault adapter, the decision service,
// TLS and the HTTP layer into one running webhook server, and takes it down gracefully.
import { setTimeout as sleep } from 'node:timers/promises';
import type * as k8s from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { DEFAULT_LIMITS, type DecisionLimits, type FailureMode } from './core/facts.js';
import { DecisionService } from './decision/service.js';
import type { DryRunLimits } from './dryrun/routes.js';
import { KubeAccessReviewer } from './kube/access.js';
import { ClusterFacts } from './kube/cluster.js';
import { KubeExternalSecretLister } from './kube/externalSecrets.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics/registry.js';
import { buildApp, drainConnections, reloadTls } from './http/app.js';
import { startMetricsListener } from './http/metricsServer.js';
import { startServingTls, type ServingTls, type TlsSource } from './tls/serving.js';
import { VaultGateway } from './vault/gateway.js';
import { VaultHealthMonitor } from './vault/health.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_LEASE_TIMING, LeaderElector } from './kube/lease.js';
import { reuseConnections } from './kube/connections.js';
import { DEFAULT_RECONCILER_OPTIONS, Reconciler, type ReconcilerOptions } from './reconcile/controller.js';
import { AdmissionSecretCreator } from './reconcile/admissionSecrets.js';
import { SecretWriter } from './kube/writes.js';

export type { TlsSource } from './tls/serving.js';

export interface ServerConfig {
  kubeConfig: k8s.KubeConfig;
  host: string;
  port: number;
  ownNamespace: string;
  tls: TlsSource;
  /** webhook configurations to patch the generated CA into (secret mode) */
  webhookConfigName?: string;
  /** a plain-HTTP listener serving only /metrics (for a ServiceMonitor); none when absent */
  metricsPort?: number;
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
  /** bounds on the dry-run endpoints (defaults: DEFAULT_DRY_RUN_LIMITS) */
  dryRun?: Partial<DryRunLimits>;
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
  tls: ServingTls;
  metricsPort: number | undefined;
  /**
   * Graceful stop: unready at once, certificate leadership released, keep-alive connections
   * told to close, `delayMs` more of serving (so endpoints stop sending here), then no new
   * connections while in-flight admissions finish, all within `timeoutMs`.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** shutdown() without the delay */
  close(): Promise<void>;
}

export interface ShutdownOptions {
  delayMs?: number;
  timeoutMs?: number;
}

export const DEFAULTS = {
  port: 8443,
  host: '0.0.0.0',
  failureMode: 'closed' as FailureMode,
  // The webhooks' timeoutSeconds is 5: a decision ends within 4 s, and each Vault call
  // within 1 s, so a login, a capability check and two reads fit one after the other.
  vaultTimeoutMs: 1000,
  vaultCacheTtlMs: 10_000,
  decisionDeadlineMs: 4000,
  vaultHealthIntervalMs: 15_000,
  shutdownDelayMs: 0,
  /** inside the Deployment's terminationGracePeriodSeconds (30) */
  shutdownTimeoutMs: 20_000,
};

/** Closes the app, waiting for in-flight requests until the deadline, then cutting what is left. */
async function closeBefore(app: FastifyInstance, deadline: number): Promise<void> {
  const force = setTimeout(() => (app.server as { closeAllConnections?: () => void }).closeAllConnections?.(), Math.max(deadline - Date.now(), 0));
  try {
    await app.close();
  } finally {
    clearTimeout(force);
  }
}

export async function startServer(options: ServerConfig, metrics = new Metrics()): Promise<RunningServer> {
  const config = { ...options, kubeConfig: reuseConnections(options.kubeConfig) };
  const logger = pino({ level: config.logLevel, redact: ['req.headers.authorization'] });
  const log = logger as unknown as Logger;
  const tls = await startServingTls(config.tls, { kubeConfig: config.kubeConfig, webhookConfigName: config.webhookConfigName, metrics, log });
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
  let shuttingDown = false;
  // Only vaultgate's own state: never a tenant's store or its Vault.
  const readiness = async (): Promise<string[]> => {
    const problems: string[] = [];
    if (shuttingDown) problems.push('shutting down');
    if (!serving) problems.push('TLS listener not serving yet');
    problems.push(...tls.problems());
    problems.push(...cluster.problems);
    return problems;
  };

  // Secrets written at admission need the leader's sweeper, so they come with the reconciler.
  const creator =
    config.reconciler && config.reconciler.createAtAdmission !== false
      ? new AdmissionSecretCreator(service, gateway, new SecretWriter(config.kubeConfig), metrics, Math.min(3000, config.decisionDeadlineMs), log)
      : undefined;
  const dryRun = {
    decider: service,
    reviewer: new KubeAccessReviewer(config.kubeConfig, { timeoutMs: config.vaultTimeoutMs, cacheTtlMs: 10_000 }),
    policies: cluster,
    externalSecrets: new KubeExternalSecretLister(config.kubeConfig, config.decisionDeadlineMs),
    ...(config.dryRun ? { limits: config.dryRun } : {}),
  };
  const running = buildApp({ evaluator: service, metrics, failureMode: config.failureMode, tls: tls.initial, readiness, logger, dryRun, ...(creator ? { creator } : {}) });
  await cluster.start();
  await running.listen({ host: config.host, port: config.port });
  serving = true;
  tls.follow((pair) => reloadTls(running, pair));
  health.start();
  const address = running.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const metricsListener = config.metricsPort === undefined ? undefined : await startMetricsListener(metrics.registry, config.host, config.metricsPort);

  const { reconciler, elector } = startReconciler(config, cluster, service, gateway, health, metrics, log);

  let stopping: Promise<void> | undefined;
  const shutdown = (options: ShutdownOptions = {}): Promise<void> => {
    stopping ??= (async () => {
      const deadline = Date.now() + (options.timeoutMs ?? DEFAULTS.shutdownTimeoutMs);
      shuttingDown = true;
      drainConnections(running);
      log.info({ delayMs: options.delayMs ?? 0 }, 'shutting down: unready, draining connections');
      // The Leases go first, so another replica takes over certificate duties and reconciling at once.
      const tlsStopped = tls.stop().catch((error: unknown) => log.warn({ err: error }, 'stopping TLS upkeep failed'));
      const reconcilerStopped = (async () => {
        await elector?.stop();
        await reconciler?.stop();
      })().catch((error: unknown) => log.warn({ err: error }, 'stopping the reconciler failed'));
      await sleep(Math.min(options.delayMs ?? 0, Math.max(deadline - Date.now(), 0)));
      await closeBefore(running, deadline);
      await metricsListener?.close();
      await health.stop();
      await cluster.stop();
      await tlsStopped;
      await reconcilerStopped;
      log.info({}, 'stopped');
    })();
    return stopping;
  };

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
    tls,
    metricsPort: metricsListener?.port,
    shutdown,
    close: () => shutdown({ delayMs: 0 }),
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
