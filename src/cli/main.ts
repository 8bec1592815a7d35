#!/usr/bin/env node
// vaultgate's command line: `vaultgate serve` runs the webhook server; `vaultgate check`
// asks a running one for its verdict on manifests (src/cli/check.ts).
import * as k8s from '@kubernetes/client-node';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_LIMITS } from '../core/facts.js';
import { DEFAULT_DRY_RUN_LIMITS } from '../dryrun/routes.js';
import { DEFAULTS, startServer, type TlsSource } from '../server.js';
import { checkCommand } from './check.js';

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
};

export function program(): Command {
  const cli = new Command('vaultgate').description('Admission webhook for External Secrets Operator ExternalSecrets backed by Vault KV v2');
  cli
    .command('serve')
    .description('run the admission webhook server')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, then $KUBECONFIG)')
    .option('--host <address>', 'address to listen on', DEFAULTS.host)
    .option('--port <port>', 'HTTPS port', positiveInt, DEFAULTS.port)
    .option('--namespace <name>', "vaultgate's own namespace (never matched by its webhooks)", process.env.POD_NAMESPACE ?? 'vaultgate-system')
    .option('--tls-cert-file <path>', 'serving certificate (PEM), reloaded when it changes; with --tls-key-file')
    .option('--tls-key-file <path>', 'serving key (PEM)')
    .option('--tls-secret <name>', 'Secret (in --namespace) holding the generated CA and serving certificate', 'vaultgate-tls')
    .option('--service-name <name>', 'Service in front of vaultgate (names in the generated certificate)', 'vaultgate')
    .option('--webhook-config-name <name>', 'webhook configurations to register the generated CA in', 'vaultgate')
    .addOption(new Option('--failure-mode <mode>', 'when Vault or the API server cannot answer in time').choices(['closed', 'open']).default(DEFAULTS.failureMode))
    .option('--require-path-policy', 'deny namespaces no VaultPathPolicy selects', false)
    .option('--vault-timeout <ms>', 'deadline of each Vault call', positiveInt, DEFAULTS.vaultTimeoutMs)
    .option('--vault-cache-ttl <ms>', 'how long Vault answers are reused', positiveInt, DEFAULTS.vaultCacheTtlMs)
    .option('--decision-deadline <ms>', 'all Vault calls of one decision (keep under the webhook timeoutSeconds)', positiveInt, DEFAULTS.decisionDeadlineMs)
    .option('--max-entries <n>', 'data plus dataFrom entries one ExternalSecret may have', positiveInt, DEFAULT_LIMITS.maxEntries)
    .option('--max-paths <n>', 'distinct Vault paths one ExternalSecret may read', positiveInt, DEFAULT_LIMITS.maxPaths)
    .option('--max-find-names <n>', 'secrets one dataFrom.find may list', positiveInt, DEFAULT_LIMITS.maxFindNames)
    .option('--vault-health-interval <ms>', "how often each store's Vault is probed (metrics and logs only, never readiness)", positiveInt, DEFAULTS.vaultHealthIntervalMs)
    .option('--dry-run-max-bytes <n>', 'largest body POST /v1/dry-run accepts (413 beyond)', positiveInt, DEFAULT_DRY_RUN_LIMITS.maxBodyBytes)
    .option('--dry-run-max-documents <n>', 'objects (documents and List items) one dry run may hold (400 beyond)', positiveInt, DEFAULT_DRY_RUN_LIMITS.maxObjects)
    .option('--dry-run-timeout <ms>', 'time one dry run may take (503 beyond)', positiveInt, DEFAULT_DRY_RUN_LIMITS.timeoutMs)
    .option('--dry-run-max-cluster-objects <n>', 'ExternalSecrets one policy impact check may judge (503 beyond)', positiveInt, DEFAULT_DRY_RUN_LIMITS.maxClusterObjects)
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (options: {
      kubeconfig?: string;
      host: string;
      port: number;
      namespace: string;
      tlsCertFile?: string;
      tlsKeyFile?: string;
      tlsSecret: string;
      serviceName: string;
      webhookConfigName: string;
      failureMode: 'closed' | 'open';
      requirePathPolicy: boolean;
      vaultTimeout: number;
      vaultCacheTtl: number;
      decisionDeadline: number;
      maxEntries: number;
      maxPaths: number;
      maxFindNames: number;
      vaultHealthInterval: number;
      dryRunMaxBytes: number;
      dryRunMaxDocuments: number;
      dryRunTimeout: number;
      dryRunMaxClusterObjects: number;
      logLevel: string;
    }) => {
      if (Boolean(options.tlsCertFile) !== Boolean(options.tlsKeyFile)) {
        throw new InvalidArgumentError('--tls-cert-file and --tls-key-file go together');
      }
      const kubeConfig = new k8s.KubeConfig();
      if (options.kubeconfig) kubeConfig.loadFromFile(options.kubeconfig);
      else kubeConfig.loadFromDefault();
      const tls: TlsSource =
        options.tlsCertFile && options.tlsKeyFile
          ? { mode: 'files', certFile: options.tlsCertFile, keyFile: options.tlsKeyFile }
          : { mode: 'secret', namespace: options.namespace, secretName: options.tlsSecret, serviceName: options.serviceName };
      const server = await startServer({
        kubeConfig,
        host: options.host,
        port: options.port,
        ownNamespace: options.namespace,
        tls,
        webhookConfigName: options.webhookConfigName,
        failureMode: options.failureMode,
        requirePathPolicy: options.requirePathPolicy,
        vaultTimeoutMs: options.vaultTimeout,
        vaultCacheTtlMs: options.vaultCacheTtl,
        decisionDeadlineMs: options.decisionDeadline,
        limits: { maxEntries: options.maxEntries, maxPaths: options.maxPaths, maxFindNames: options.maxFindNames },
        vaultHealthIntervalMs: options.vaultHealthInterval,
        dryRun: {
          maxBodyBytes: options.dryRunMaxBytes,
          maxObjects: options.dryRunMaxDocuments,
          timeoutMs: options.dryRunTimeout,
          maxClusterObjects: options.dryRunMaxClusterObjects,
        },
        logLevel: options.logLevel,
      });
      const shutdown = () => void server.close().then(() => process.exit(0));
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
  cli.addCommand(checkCommand());
  return cli;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/vaultgate')) {
  program().parseAsync(process.argv).catch((error: unknown) => {
    // `check` reports usage errors itself (commander has printed them): exit 2, or 0 after --help.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    console.error(`vaultgate: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
