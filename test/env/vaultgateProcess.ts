// vaultgate as a user runs it: the real CLI process (`node dist/src/cli/main.js serve`)
// against a local stack, with its own ServiceAccount identity (manifests/rbac.yaml, token
// from a TokenRequest, written to a kubeconfig file) and either self-managed TLS (the
// default: it creates the Secret and patches caBundle into the webhook configurations the
// harness registered by URL without one) or mounted certificate files. Used by `make dev`
// and by the lifecycle tests; the in-process harness (vaultgate.ts) stays for tests that
// look inside the server.
import { request } from 'node:https';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '../../src/admission/webhookConfigurations.js';
import { freePort, ServerProcess, waitFor } from './processes.js';
import { repoRoot, type Stack } from './stack.js';
import { VAULTGATE_NAMESPACE, vaultgateKubeConfig, WEBHOOK_CONFIGURATION } from './vaultgate.js';

export const TLS_SECRET = 'vaultgate-tls';

const kubeconfigFiles = new WeakMap<Stack, Promise<string>>();

/** A kubeconfig file for vaultgate's ServiceAccount (one per stack; the token lives a day). */
export function vaultgateKubeconfigFile(stack: Stack): Promise<string> {
  let file = kubeconfigFiles.get(stack);
  if (!file) {
    file = (async () => {
      const path = join(stack.dir, 'vaultgate.kubeconfig');
      await writeFile(path, (await vaultgateKubeConfig(stack)).exportConfig(), { mode: 0o600 });
      return path;
    })();
    kubeconfigFiles.set(stack, file);
  }
  return file;
}

/** Registers both webhooks by URL, replacing earlier ones; without caBundle vaultgate registers its own CA. */
export async function registerWebhooks(stack: Stack, url: string, caBundle?: string): Promise<void> {
  const options = { name: WEBHOOK_CONFIGURATION, target: { url }, ownNamespace: VAULTGATE_NAMESPACE, ...(caBundle ? { caBundle } : {}) };
  const api = stack.kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
  await api.deleteValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION }).catch(() => undefined);
  await api.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION }).catch(() => undefined);
  await api.createMutatingWebhookConfiguration({ body: mutatingWebhookConfiguration(options) });
  await api.createValidatingWebhookConfiguration({ body: validatingWebhookConfiguration(options) });
}

/** The caBundle (PEM) registered on the validating webhook, '' if none. */
export async function registeredCaBundle(stack: Stack): Promise<string> {
  const api = stack.kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
  const configuration = await api.readValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION });
  const encoded = configuration.webhooks?.[0]?.clientConfig.caBundle;
  return encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
}

/** GET over HTTPS trusting exactly `ca`: the status, or an error (TLS failures included). */
export function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 2000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export interface VaultgateProcessOptions {
  /** names the log file and the replica (POD_NAME); default vaultgate-<port> */
  name?: string;
  port?: number;
  /** mounted certificate files instead of self-managed TLS */
  mounted?: { certFile: string; keyFile: string };
  /** more `serve` arguments (certificate lifetimes, shutdown delay, ...) */
  args?: string[];
  logLevel?: string;
}

export class VaultgateProcess {
  readonly url: string;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly process: ServerProcess,
  ) {
    this.url = `https://127.0.0.1:${port}`;
  }

  /** SIGTERM (graceful shutdown), SIGKILL after `graceMs`. */
  stop(graceMs = 25_000): Promise<void> {
    return this.process.stop(graceMs);
  }

  logTail(lines = 40): string {
    return this.process.logTail(lines);
  }
}

/**
 * Starts `vaultgate serve` and waits until /readyz answers 200 to a client that trusts
 * exactly the registered caBundle (self-managed) or the given CA (mounted).
 */
export async function startVaultgateProcess(stack: Stack, options: VaultgateProcessOptions & { trust?: string } = {}): Promise<VaultgateProcess> {
  const port = options.port ?? (await freePort());
  const name = options.name ?? `vaultgate-${port}`;
  const tlsArgs = options.mounted
    ? [`--tls-cert-file=${options.mounted.certFile}`, `--tls-key-file=${options.mounted.keyFile}`]
    : [`--tls-secret=${TLS_SECRET}`, '--tls-san=127.0.0.1', '--tls-san=localhost'];
  const child = new ServerProcess(
    name,
    process.execPath,
    [
      join(repoRoot, 'dist/src/cli/main.js'),
      'serve',
      `--kubeconfig=${await vaultgateKubeconfigFile(stack)}`,
      '--host=127.0.0.1',
      `--port=${port}`,
      `--namespace=${VAULTGATE_NAMESPACE}`,
      `--webhook-config-name=${WEBHOOK_CONFIGURATION}`,
      ...tlsArgs,
      `--log-level=${options.logLevel ?? process.env.VAULTGATE_LOG_LEVEL ?? 'info'}`,
      ...(options.args ?? []),
    ],
    stack.dir,
    // NODE_OPTIONS: the test runner's hooks must not load into vaultgate.
    { POD_NAME: name, NODE_OPTIONS: '' },
  );
  child.start();
  const vaultgate = new VaultgateProcess(name, port, child);
  try {
    await waitFor(
      `${name} ready and trusted through the registered caBundle`,
      async () => {
        const ca = options.trust ?? (await registeredCaBundle(stack));
        if (!ca) return undefined;
        return (await httpsStatus(`${vaultgate.url}/readyz`, ca)) === 200 ? true : undefined;
      },
      { process: child, timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (error) {
    await child.stop();
    throw error;
  }
  return vaultgate;
}
