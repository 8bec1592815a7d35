// Sorting Vault errors into "a definite answer to report" and "could not ask in time":
// only the second kind is subject to the failure mode.
import { failed, unavailable, type Lookup } from '../core/facts.js';
import { DeadlineExceeded } from '../util/deadline.js';

export interface VaultHttpError {
  response?: { statusCode?: number; body?: unknown };
  code?: string;
  message?: string;
}

const TLS_TRUST_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function statusOf(error: unknown): number | undefined {
  return (error as VaultHttpError | undefined)?.response?.statusCode;
}

export function vaultFailure<T>(error: unknown, what: string): Lookup<T> {
  if (error instanceof DeadlineExceeded) return unavailable(error.message);
  const status = statusOf(error);
  if (status === 503) return unavailable(`${what}: Vault is sealed or in standby (HTTP 503)`);
  if (status !== undefined && status >= 500) return unavailable(`${what}: Vault answered HTTP ${status}`);
  if (status === 403) return failed(`${what}: permission denied`);
  if (status === 400) return failed(`${what}: ${firstError(error) ?? 'bad request'}`);
  if (status !== undefined) return failed(`${what}: Vault answered HTTP ${status}`);
  const code = (error as VaultHttpError | undefined)?.code;
  // A certificate the store does not trust is a definite answer, not an outage.
  if (code && TLS_TRUST_ERRORS.has(code)) {
    return failed(`${what}: the Vault server's TLS certificate is not trusted (${(error as VaultHttpError).message ?? code}); set the store's caBundle or caProvider`);
  }
  if (code === 'ECONNREFUSED') return unavailable(`${what}: connection refused`);
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return unavailable(`${what}: timed out`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return unavailable(`${what}: cannot resolve Vault's host name`);
  return unavailable(`${what}: ${(error as VaultHttpError | undefined)?.message ?? String(error)}`);
}

function firstError(error: unknown): string | undefined {
  const body = (error as VaultHttpError | undefined)?.response?.body as { errors?: unknown[] } | undefined;
  const first = body?.errors?.[0];
  // Vault error strings name paths and roles, never secret values; keep them short anyway.
  return typeof first === 'string' ? first.slice(0, 200) : undefined;
}
