// node-vault clients for a tenant's store. node-vault falls back to vaultgate's own
// environment (VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_PREFIX, VAULT_SKIP_VERIFY)
// for anything not configured; a tenant's store must never inherit vaultgate's token,
// namespace or disabled TLS verification, so every one of those is set explicitly here,
// after construction, where node-vault reads them on each request.
import vault from 'node-vault';

export type VaultClient = ReturnType<typeof vault>;

export interface TenantEndpoint {
  /** the store's server URL, without a trailing slash */
  server: string;
  /** X-Vault-Namespace to send, or none */
  vaultNamespace?: string;
  /** PEM CA bundle that must have signed the server's certificate; the system roots otherwise */
  caBundle?: string;
  /** client certificate and key (cert auth) */
  clientCert?: { cert: string; key: string };
}

export function tenantVaultClient(endpoint: TenantEndpoint, token: string | undefined, timeoutMs: number): VaultClient {
  // rpDefaults is untyped in node-vault's declarations; it is where VAULT_SKIP_VERIFY is read.
  const options: Parameters<typeof vault>[0] & { rpDefaults: { strictSSL: boolean } } = {
    endpoint: endpoint.server,
    rpDefaults: { strictSSL: true },
    requestOptions: {
      timeout: timeoutMs,
      strictSSL: true,
      ...(endpoint.caBundle ? { ca: endpoint.caBundle } : {}),
      ...(endpoint.clientCert ? { cert: endpoint.clientCert.cert, key: endpoint.clientCert.key } : {}),
    },
  };
  const client = vault(options);
  const settable = client as unknown as { token?: string; namespace?: string; pathPrefix: string; endpoint: string };
  settable.endpoint = endpoint.server;
  settable.token = token && token.length > 0 ? token : undefined;
  settable.namespace = endpoint.vaultNamespace && endpoint.vaultNamespace.length > 0 ? endpoint.vaultNamespace : undefined;
  settable.pathPrefix = '';
  return client;
}

/**
 * A Vault API path as a URL path: every segment percent-encoded, so a character such as
 * ? or # in a key names a key (as Go's URL escaping makes it for ESO) instead of starting
 * a query string. Vault decodes it back to the same key.
 */
export function encodeApiPath(apiPath: string): string {
  return apiPath.split('/').map(encodeURIComponent).join('/');
}
