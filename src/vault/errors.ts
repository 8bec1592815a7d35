// Sorting Vault errors into "a definite answer to report" and "could not ask in time":
// only the second kind is subject to the failure mode.
import { failed, unavailable, type Lookup } from '../core/facts.js';
import { DeadlineExceeded } from '../util/deadline.js';

export interface VaultHttpError {
  response?: { statusCode?: number; body?: unknown };
  code?: string;
  message?: string;
}

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
