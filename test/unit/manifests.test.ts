// The manifests and the code must say the same thing: manifests/webhooks.yaml is what the
// pure builders produce for the in-cluster Service, and vaultgate's deadlines fit inside
// the webhooks' timeoutSeconds. (That the manifests are accepted by a real apiserver, under
// the restricted Pod Security Standard, is test/integration/manifests.test.ts.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '../../src/admission/webhookConfigurations.js';
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
