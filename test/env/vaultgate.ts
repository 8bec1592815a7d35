// Runs vaultgate in this process against a local stack, the way `make dev` and the
// integration tests do: a generated CA and serving certificate for 127.0.0.1, and both
// webhooks registered with the apiserver by URL.
import * as k8s from '@kubernetes/client-node';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '../../src/admission/webhookConfigurations.js';
import { DEFAULTS, startServer, type RunningServer, type ServerConfig } from '../../src/server.js';
import { issueServingMaterial } from '../../src/tls/provision.js';
import { waitFor } from './processes.js';
import type { Stack } from './stack.js';

export const WEBHOOK_CONFIGURATION = 'vaultgate';

export async function startVaultgate(stack: Stack, overrides: Partial<ServerConfig> = {}): Promise<RunningServer> {
  const tls = issueServingMaterial(undefined, ['localhost'], ['127.0.0.1']);
  const server = await startServer({
    kubeConfig: stack.kubeConfig,
    host: '127.0.0.1',
    port: 0,
    ownNamespace: 'vaultgate-system',
    tls: { mode: 'provided', key: tls.key, cert: tls.cert },
    failureMode: DEFAULTS.failureMode,
    requirePathPolicy: false,
    vaultTimeoutMs: DEFAULTS.vaultTimeoutMs,
    vaultCacheTtlMs: DEFAULTS.vaultCacheTtlMs,
    decisionDeadlineMs: DEFAULTS.decisionDeadlineMs,
    logLevel: process.env.VAULTGATE_LOG_LEVEL ?? 'warn',
    ...overrides,
  });
  const options = { name: WEBHOOK_CONFIGURATION, target: { url: server.url }, caBundle: tls.ca, ownNamespace: 'vaultgate-system' };
  const api = stack.kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
  await api.deleteValidatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION }).catch(() => undefined);
  await api.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIGURATION }).catch(() => undefined);
  await api.createMutatingWebhookConfiguration({ body: mutatingWebhookConfiguration(options) });
  await api.createValidatingWebhookConfiguration({ body: validatingWebhookConfiguration(options) });
  await waitFor('vaultgate informers synced', async () => (server.cluster.synced ? true : undefined), { timeoutMs: 30_000 });
  return server;
}
