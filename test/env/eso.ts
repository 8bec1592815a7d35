// The real External Secrets Operator controller (built from the pinned ESO module by
// test/env/build.sh) running against a local stack: outside a cluster, with KUBECONFIG in
// its environment (it has no --kubeconfig flag), metrics and liveness on free loopback
// ports, no webhook and no cert controller. It is what vaultgate's verdicts and Secrets
// are held against.
import { join } from 'node:path';
import { freePort, ServerProcess, waitFor } from './processes.js';
import type { Stack } from './stack.js';

export interface EsoOptions {
  /** ESO's --controller-class (stores whose spec.controller names another class are skipped) */
  controllerClass?: string;
  /** ESO's --concurrent (reconciles at once); ESO's default is 1 */
  concurrent?: number;
  logLevel?: string;
}

export interface RunningEso {
  process: ServerProcess;
  metricsUrl: string;
  /** Prometheus text of ESO's metrics endpoint. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startEso(stack: Stack, options: EsoOptions = {}): Promise<RunningEso> {
  const [metricsPort, livePort] = [await freePort(), await freePort()];
  const name = `external-secrets-${metricsPort}`;
  const eso = new ServerProcess(
    name,
    join(stack.binDir, 'external-secrets'),
    [
      `--metrics-addr=127.0.0.1:${metricsPort}`,
      `--live-addr=127.0.0.1:${livePort}`,
      `--controller-class=${options.controllerClass ?? 'default'}`,
      `--concurrent=${options.concurrent ?? 1}`,
      `--loglevel=${options.logLevel ?? 'info'}`,
      '--enable-leader-election=false',
      // Only ExternalSecrets and stores are under test; the other reconcilers would only add load.
      '--enable-cluster-external-secret-reconciler=false',
      '--enable-push-secret-reconciler=false',
      '--enable-cluster-push-secret-reconciler=false',
    ],
    stack.dir,
    { KUBECONFIG: stack.kubeconfigPath, HOME: stack.dir },
  );
  eso.start();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  try {
    await waitFor('ESO controller live', async () => {
      const response = await fetch(`http://127.0.0.1:${livePort}/healthz`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return response.ok ? true : undefined;
    }, { process: eso, timeoutMs: 60_000 });
  } catch (error) {
    await eso.stop();
    throw error;
  }
  return {
    process: eso,
    metricsUrl,
    metrics: async () => {
      const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
      return response.text();
    },
    stop: () => eso.stop(),
  };
}
