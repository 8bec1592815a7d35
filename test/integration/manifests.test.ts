// What a cluster admin applies is accepted by a real apiserver: `kubectl apply
// --dry-run=server -k manifests/` (ESO's CRDs installed, as in a real cluster), and the
// Deployment's pods are admitted in a namespace enforcing the `restricted` Pod Security
// Standard. PodSecurity admission checks Pods, not Deployments (for those it only warns),
// so a Pod made from the Deployment's template is created with --dry-run=server; a pod
// that breaks the standard must be refused there, which shows the check is really on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { repoRoot, startStack, type Stack } from '../env/stack.js';

let stack: Stack;

t.before(async () => {
  stack = await startStack();
  // Namespaced objects can only be dry-run created in a namespace that exists, and a Pod
  // only with its ServiceAccount: those two go in for real, as they would first anyway.
  const applied = await stack.kubectl(['apply', '-f', join(repoRoot, 'manifests/namespace.yaml'), '-f', join(repoRoot, 'manifests/rbac.yaml')]);
  if (applied.code !== 0) throw new Error(applied.stderr);
});
t.teardown(() => stack?.stop());

interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: { securityContext?: Record<string, unknown> }[] } & Record<string, unknown>;
}

function deploymentTemplate(): PodTemplate {
  const documents = parseAllDocuments(readFileSync(join(repoRoot, 'manifests/deployment.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; spec: { template: PodTemplate } });
  const deployment = documents.find((d) => d.kind === 'Deployment');
  if (!deployment) throw new Error('no Deployment in manifests/deployment.yaml');
  return deployment.spec.template;
}

const podFrom = (template: PodTemplate, name: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'vaultgate-system', labels: template.metadata.labels }, spec: template.spec });

t.test('kubectl apply --dry-run=server -k manifests/ is accepted, with no Pod Security warning', async (t) => {
  const result = await stack.kubectl(['apply', '--dry-run=server', '-k', join(repoRoot, 'manifests')]);
  t.equal(result.code, 0, result.stderr);
  t.notMatch(result.stderr, /PodSecurity|would violate/, 'the restricted standard has nothing to warn about');
  for (const object of [
    'namespace/vaultgate-system',
    'customresourcedefinition.apiextensions.k8s.io/vaultpathpolicies.vaultgate.dev',
    'serviceaccount/vaultgate',
    'clusterrole.rbac.authorization.k8s.io/vaultgate',
    'role.rbac.authorization.k8s.io/vaultgate',
    'deployment.apps/vaultgate',
    'poddisruptionbudget.policy/vaultgate',
    'service/vaultgate',
    'validatingwebhookconfiguration.admissionregistration.k8s.io/vaultgate',
    'mutatingwebhookconfiguration.admissionregistration.k8s.io/vaultgate',
  ]) {
    t.match(result.stdout, object, `${object} passes the server-side dry run`);
  }
});

t.test('the namespace enforces restricted, and the Deployment\'s pods are admitted under it', async (t) => {
  const labels = await stack.kubectl(['get', 'namespace', 'vaultgate-system', '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}']);
  t.equal(labels.stdout, 'restricted');
  const template = deploymentTemplate();
  const admitted = await stack.kubectl(['create', '--dry-run=server', '-f', '-'], podFrom(template, 'vaultgate-pss-check'));
  t.equal(admitted.code, 0, `a pod of the Deployment is admitted: ${admitted.stderr}`);
  t.notMatch(admitted.stderr, /would violate/);

  const loosened = structuredClone(template);
  const container = loosened.spec.containers[0];
  if (container) container.securityContext = { ...container.securityContext, allowPrivilegeEscalation: true };
  const refused = await stack.kubectl(['create', '--dry-run=server', '-f', '-'], podFrom(loosened, 'vaultgate-pss-negative'));
  t.not(refused.code, 0, 'a pod allowing privilege escalation is refused, so the check is on');
  t.match(refused.stderr, /violates PodSecurity "restricted:latest"/);
});
