// The seed setup most tests start from: the guide's token-auth ClusterSecretStore
// "vault-backend" and the homelab's postgres-secret in Vault, readable by the store's
// token (policy eso-read: postgres-secret, app/*, payments/*).
import type { Stack } from './stack.js';
import { kvPut } from './vaultApi.js';

export async function seedTokenStore(stack: Stack): Promise<void> {
  await kvPut(stack, 'secret', 'postgres-secret', { POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: 's3cr3t-value' });
  await kvPut(stack, 'secret', 'app/config', { url: 'https://example.test', mode: 'prod' });
  await stack.bao(
    ['policy', 'write', 'eso-read', '-'],
    'path "secret/data/postgres-secret" { capabilities = ["read"] }\npath "secret/data/app/*" { capabilities = ["read"] }\npath "secret/data/payments/*" { capabilities = ["read"] }\n',
  );
  const token = await stack.bao(['token', 'create', '-policy=eso-read', '-ttl=2h', '-field=token']);
  if (token.code !== 0) throw new Error(token.stderr);
  await stack.apply(`
apiVersion: v1
kind: Namespace
metadata: {name: db}
---
${storeTokenSecret(token.stdout.trim())}
---
${vaultClusterStore(stack, 'vault-backend', STORE_TOKEN_AUTH)}
`);
}

/** Token auth reading the token from the Secret storeTokenSecret writes. */
export const STORE_TOKEN_AUTH = '{tokenSecretRef: {name: vault-token, key: token, namespace: external-secrets}}';

/** Namespace external-secrets and the Secret vault-token in it holding a store's Vault token. */
export function storeTokenSecret(token: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: external-secrets}
---
apiVersion: v1
kind: Secret
metadata: {name: vault-token, namespace: external-secrets}
stringData: {token: "${token}"}`;
}

/**
 * A ClusterSecretStore on this stack's OpenBao (KV v2 at secret/) with the given auth block;
 * `server` for another Vault, `controller` for a store of that class.
 */
export function vaultClusterStore(stack: Stack, name: string, auth: string, options: { server?: string; controller?: string } = {}): string {
  return `apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: ${name}}
spec:
${options.controller ? `  controller: ${options.controller}\n` : ''}  provider:
    vault: {server: "${options.server ?? stack.vault.addr}", path: secret, version: v2, auth: ${auth}}`;
}
