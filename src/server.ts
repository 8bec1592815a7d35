// Composition root: wires the Kubernetes adapter, the Vault adapter, the decision service,
// TLS and the HTTP layer into one running webhook server.
import { readFile } from 'node:fs/promises';
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
import { buildApp, reloadTls } from './http/app.js';
import { ensureServingSecret, patchCaBundle, serviceDnsNames, watchCertificateFiles, type ServingMaterial } from './tls/provision.js';
import { VaultGateway } from './vault/gateway.js';
import { VaultHealthMonitor } from './vault/health.js';

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

export async function startServer(config: ServerConfig, metrics = new Metrics()): Promise<RunningServer> {
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

  const dryRun = {
    decider: service,
    reviewer: new KubeAccessReviewer(config.kubeConfig, { timeoutMs: config.vaultTimeoutMs, cacheTtlMs: 10_000 }),
    policies: cluster,
    externalSecrets: new KubeExternalSecretLister(config.kubeConfig, config.decisionDeadlineMs),
    ...(config.dryRun ? { limits: config.dryRun } : {}),
  };
  const running = buildApp({ evaluator: service, metrics, failureMode: config.failureMode, tls: { key: tls.key, cert: tls.cert }, readiness, logger, dryRun });
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

  return {
    app: running,
    port,
    url: `https://127.0.0.1:${port}`,
    metrics,
    gateway,
    cluster,
    service,
    health,
    close: async () => {
      for (const stop of stoppers) stop();
      await health.stop();
      await running.close();
      await cluster.stop();
    },
  };
}
