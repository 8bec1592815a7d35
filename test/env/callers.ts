// Identities that call vaultgate's dry-run endpoints on a local stack, and the environment
// `vaultgate check` needs there. Each caller is a ServiceAccount with exactly the RBAC
// rules given and a token from the TokenRequest API, so TokenReview and
// SubjectAccessReview run for real. `make dev` writes checkEnvironment() into .dev/env and
// the dry-run integration tests run the CLI with the same variables, so what the README
// promises after `source .dev/env` is what is tested.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { repoRoot, type Stack } from './stack.js';

export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

export interface Grant {
  rules: Rule[];
  /** namespaces (which must exist) to grant the rules in; cluster-wide when absent */
  namespaces?: string[];
}

export const CALLER_NAMESPACE = 'dry-run-callers';

/** A ServiceAccount with the given grants; returns its token and the username TokenReview reports. */
export async function callerToken(stack: Stack, name: string, grant: Grant): Promise<{ token: string; username: string }> {
  const rules = JSON.stringify(grant.rules);
  const subject = `[{kind: ServiceAccount, name: ${name}, namespace: ${CALLER_NAMESPACE}}]`;
  const bindings = grant.namespaces
    ? grant.namespaces.map(
        (namespace) => `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: dry-run-${name}, namespace: ${namespace}}
rules: ${rules}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dry-run-${name}, namespace: ${namespace}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: dry-run-${name}}
subjects: ${subject}`,
      )
    : [
        `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: dry-run-${name}}
rules: ${rules}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: dry-run-${name}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: dry-run-${name}}
subjects: ${subject}`,
      ];
  // Only the callers' own namespace is created: replacing an existing one would drop its labels.
  const namespace = `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${CALLER_NAMESPACE}}`;
  await stack.apply([namespace, `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}, namespace: ${CALLER_NAMESPACE}}`, ...(grant.rules.length > 0 ? bindings : [])].join('\n---\n'));
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({ name, namespace: CALLER_NAMESPACE, body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } } });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${CALLER_NAMESPACE}/${name} returned no token`);
  return { token, username: `system:serviceaccount:${CALLER_NAMESPACE}:${name}` };
}

/** What a developer on the dev stack may check: ExternalSecrets anywhere, and VaultPathPolicy changes. */
export const DEVELOPER: Grant = {
  rules: [
    { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: ['create'] },
    { apiGroups: ['vaultgate.dev'], resources: ['vaultpathpolicies'], verbs: ['create'] },
  ],
};

/**
 * The variables a bare `vaultgate check` reads (VAULTGATE_SERVER, VAULTGATE_CA, VAULTGATE_TOKEN)
 * for vaultgate at `server`, and a `vaultgate` command in `<dir>/bin` for PATH. Writes the CA
 * to `<dir>/vaultgate-ca.crt`.
 */
export async function checkEnvironment(stack: Stack, server: { url: string; ca: string }, dir: string): Promise<{ env: Record<string, string>; binDir: string }> {
  const binDir = join(dir, 'bin');
  await mkdir(binDir, { recursive: true });
  const caFile = join(dir, 'vaultgate-ca.crt');
  await writeFile(caFile, server.ca);
  const command = join(binDir, 'vaultgate');
  await writeFile(command, `#!/bin/sh\nexec node '${join(repoRoot, 'dist/src/cli/main.js')}' "$@"\n`);
  await chmod(command, 0o755);
  const { token } = await callerToken(stack, 'developer', DEVELOPER);
  return { env: { VAULTGATE_SERVER: server.url, VAULTGATE_CA: caFile, VAULTGATE_TOKEN: token }, binDir };
}
