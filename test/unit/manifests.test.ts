// The manifests and the code must say the same thing: manifests/webhooks.yaml is what the
// pure builders produce for the in-cluster Service, and vaultgate's deadlines fit inside
// the webhooks' timeoutSeconds. (That the manifests are accepted by a real apiserver, under
// the restricted Pod Security Standard, is test/integration/manifests.test.ts.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '../../src/admission/webhookConfigurations.js';
import { program } from '../../src/cli/main.js';
import { DEFAULTS } from '../../src/server.js';
import { repoRoot } from '../env/stack.js';

const manifest = (file: string) =>
  parseAllDocuments(readFileSync(join(repoRoot, 'manifests', file), 'utf8')).map((document) => document.toJS() as { kind: string; metadata: { name: string }; webhooks?: unknown[]; spec?: unknown });

t.test('webhooks.yaml is what the builders produce for the Service (no caBundle: vaultgate registers its own)', async (t) => {
  const options = { name: 'vaultgate', target: { service: { namespace: 'vaultgate-system', name: 'vaultgate', port: 443 } }, ownNamespace: 'vaultgate-system' };
  const built = [validatingWebhookConfiguration(options), mutatingWebhookConfiguration(options)];
  const applied = manifest('webhooks.yaml');
  t.equal(applied.length, 2);
  for (const configuration of built) {
    const inYaml = applied.find((object) => object.kind === configuration.kind);
    t.ok(inYaml, `${configuration.kind} is in webhooks.yaml`);
    t.same(inYaml?.webhooks, configuration.webhooks, `${configuration.kind} webhooks are identical`);
    t.equal(inYaml?.metadata.name, configuration.metadata?.name);
  }
});

t.test('the decision deadline and the Vault timeout fit inside timeoutSeconds', async (t) => {
  const built = validatingWebhookConfiguration({ name: 'vaultgate', target: { url: 'https://127.0.0.1:1' }, ownNamespace: 'vaultgate-system' });
  const timeoutMs = (built.webhooks?.[0]?.timeoutSeconds ?? 0) * 1000;
  t.equal(timeoutMs, 5000, 'failurePolicy Fail with 5 s: a dead webhook blocks a write for at most 5 s');
  t.ok(DEFAULTS.decisionDeadlineMs < timeoutMs, `decision deadline ${DEFAULTS.decisionDeadlineMs} ms < ${timeoutMs} ms`);
  t.ok(DEFAULTS.vaultTimeoutMs * 4 <= DEFAULTS.decisionDeadlineMs, 'four sequential Vault calls (login, capabilities, two reads) fit the decision deadline');
  t.same(built.webhooks?.[0]?.clientConfig, { url: 'https://127.0.0.1:1/validate' }, 'no caBundle unless one is given');
});

interface Container {
  args: string[];
  ports: { name: string; containerPort: number }[];
}

t.test('the Deployment runs `vaultgate serve` with flags the CLI knows, on the ports the Service names, inside its grace period', async (t) => {
  const deployment = manifest('deployment.yaml').find((object) => object.kind === 'Deployment') as unknown as {
    spec: { replicas: number; template: { spec: { terminationGracePeriodSeconds: number; containers: Container[] } } };
  };
  const service = manifest('deployment.yaml').find((object) => object.kind === 'Service') as unknown as { spec: { ports: { name: string; targetPort: string }[] } };
  t.equal(deployment.spec.replicas, 2);
  const container = deployment.spec.template.spec.containers[0]!;
  t.equal(container.args[0], 'serve');
  const serve = program().commands.find((command) => command.name() === 'serve')!;
  serve.exitOverride();
  const parsed = serve.parseOptions(container.args.slice(1));
  t.same(parsed.unknown, [], 'every flag exists');
  const options = serve.opts<{ port: number; metricsPort: number; shutdownDelay: number; shutdownTimeout: number; webhookConfigName: string; tlsSecret: string }>();
  const portOf = (name: string) => container.ports.find((port) => port.name === name)?.containerPort;
  t.equal(portOf('https'), options.port);
  t.equal(portOf('metrics'), options.metricsPort);
  t.same(service.spec.ports.map((port) => port.targetPort).sort(), ['https', 'metrics']);
  // The timeout bounds the whole shutdown, the delay included.
  t.ok(options.shutdownDelay < options.shutdownTimeout, 'the delay leaves time to drain');
  t.ok(options.shutdownTimeout < deployment.spec.template.spec.terminationGracePeriodSeconds * 1000, 'shutdown ends before the kubelet kills');
  t.equal(options.webhookConfigName, 'vaultgate', 'the name RBAC (resourceNames) and webhooks.yaml use');
  t.equal(options.tlsSecret, 'vaultgate-tls', 'the name RBAC (resourceNames) uses');
});
