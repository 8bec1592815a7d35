// Runs vaultgate in this process against a local stack, the way `make dev` and the
// integration tests do: with the identity its manifests give it (ServiceAccount and RBAC
// from manifests/, token from a TokenRequest, never cluster admin), a generated CA and
// serving certificate for 127.0.0.1, and both webhooks registered with the apiserver by URL.
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '../../src/admission/webhookConfigurations.js';
import { DEFAULTS, startServer, type RunningServer, type ServerConfig } from '../../src/server.js';
import { issueServingMaterial } from '../../src/tls/provision.js';
import { waitFor } from './processes.js';
import { repoRoot, type Stack } from './stack.js';

export const VAULTGATE_NAMESPACE = 'vaultgate-system';
const SERVICE_ACCOUNT = 'vaultgate';

/**
 * A kubeconfig for vaultgate's own ServiceAccount, with exactly the permissions
 * manifests/rbac.yaml grants, so a missing or excess permission shows up in the tests.
 */
export async function vaultgateKubeConfig(stack: Stack): Promise<k8s.KubeConfig> {
  const applied = await stack.kubectl([
    'apply', '--server-side', '--field-manager=vaultgate-test',
    '-f', join(repoRoot, 'manifests/namespace.yaml'),
    '-f', join(repoRoot, 'manifests/rbac.yaml'),
  ]);
  if (applied.code !== 0) throw new Error(`applying manifests/rbac.yaml: ${applied.stderr}`);
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: SERVICE_ACCOUNT,
    namespace: VAULTGATE_NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error('TokenRequest for the vaultgate ServiceAccount returned no token');
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'vaultgate-test', server: stack.apiserverUrl, caData: Buffer.from(stack.clusterCa.cert).toString('base64') }],
    users: [{ name: SERVICE_ACCOUNT, token }],
    contexts: [{ name: 'vaultgate', cluster: 'vaultgate-test', user: SERVICE_ACCOUNT }],
    currentContext: 'vaultgate',
  });
  return kubeConfig;
}

export const WEBHOOK_CONFIGURATION = 'vaultgate';

export interface HarnessOptions {
  /** register both webhooks with the apiserver (default); without, vaultgate only decides when asked */
  registerWebhooks?: boolean;
}

export async function startVaultgate(stack: Stack, overrides: Partial<ServerConfig> = {}, harness: HarnessOptions = {}): Promise<RunningServer & { ca: string }> {
  const tls = issueServingMaterial(undefined, ['localhost'], ['127.0.0.1']);
  const server = await startServer({
    kubeConfig: await vaultgateKubeConfig(stack),
    host: '127.0.0.1',
    port: 0,
    ownNamespace: VAULTGATE_NAMESPACE,
    tls: { mode: 'provided', key: tls.key, cert: tls.cert },
    failureMode: DEFAULTS.failureMode,
    requirePathPolicy: false,
    vaultTimeoutMs: DEFAULTS.vaultTimeoutMs,
    vaultCacheTtlMs: DEFAULTS.vaultCacheTtlMs,
    decisionDeadlineMs: DEFAULTS.decisionDeadlineMs,
    logLevel: process.env.VAULTGATE_LOG_LEVEL ?? 'warn',
    ...overrides,
  });
  const options = { name: WEBHOOK_CONFIGURATION, target: { url: server.url }, caBundle: tls.ca, ownNamespace: VAULTGATE_NAMESPACE };
  const api = stack.kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
  await api.deleteValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION }).catch(() => undefined);
  await api.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION }).catch(() => undefined);
  if (harness.registerWebhooks ?? true) {
    await api.createMutatingWebhookConfiguration({ body: mutatingWebhookConfiguration(options) });
    await api.createValidatingWebhookConfiguration({ body: validatingWebhookConfiguration(options) });
  }
  await waitFor('vaultgate informers synced', async () => (server.cluster.synced ? true : undefined), { timeoutMs: 30_000 });
  // The CA clients (vaultgate check, the dry-run tests) must trust.
  return Object.assign(server, { ca: tls.ca });
}
