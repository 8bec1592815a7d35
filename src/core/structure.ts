// Checks that need nothing but the ExternalSecret itself: what ESO's own webhook rejects,
// plus stricter checks of durations, key names and the target name.
import type { ExternalSecret } from '../eso/types.js';
import { parseGoDuration } from './duration.js';
import type { Finding } from './facts.js';

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MINUTE_MS = 60_000;

export function isValidSecretName(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

export function structureFindings(es: ExternalSecret, minRefreshIntervalMs = MINUTE_MS): { violations: Finding[]; warnings: Finding[] } {
  const violations: Finding[] = [];
  const warnings: Finding[] = [];
  const violation = (field: string, message: string) => violations.push({ field, message, check: 'structure' });
  const warning = (field: string, message: string) => warnings.push({ field, message, check: 'structure' });
  const spec = es.spec;
  if (!spec) {
    violation('spec', 'is required');
    return { violations, warnings };
  }

  if (!spec.secretStoreRef?.name) violation('spec.secretStoreRef.name', 'is required');
  const kind = spec.secretStoreRef?.kind;
  if (kind !== undefined && kind !== 'SecretStore' && kind !== 'ClusterSecretStore') {
    violation('spec.secretStoreRef.kind', `"${kind}" must be SecretStore or ClusterSecretStore`);
  }

  if (spec.refreshInterval !== undefined) {
    const ms = parseGoDuration(spec.refreshInterval);
    if (ms === undefined) {
      violation('spec.refreshInterval', `"${spec.refreshInterval}" is not a Go duration (e.g. 30m, 1h, 1h30m)`);
    } else if (ms < 0) {
      violation('spec.refreshInterval', `"${spec.refreshInterval}" must not be negative`);
    } else if (ms > 0 && ms < minRefreshIntervalMs) {
      warning('spec.refreshInterval', `"${spec.refreshInterval}" reads Vault more than once a minute per ExternalSecret`);
    }
  }

  const target = spec.target ?? {};
  if (target.name !== undefined && !isValidSecretName(target.name)) {
    violation('spec.target.name', `"${target.name}" is not a valid Secret name (lowercase RFC 1123 subdomain)`);
  }
  if (target.deletionPolicy === 'Delete' && target.creationPolicy === 'Merge') {
    violation('spec.target.deletionPolicy', 'Delete needs a Secret the ExternalSecret owns: set creationPolicy Owner, or deletionPolicy Retain or Merge');
  }
  if (target.deletionPolicy === 'Merge' && target.creationPolicy === 'None') {
    violation('spec.target.deletionPolicy', 'Merge with creationPolicy None has no Secret to merge into: use deletionPolicy Retain');
  }

  const data = spec.data ?? [];
  const dataFrom = spec.dataFrom ?? [];
  if (data.length === 0 && dataFrom.length === 0) violation('spec', 'either data or dataFrom must be set');

  const seen = new Map<string, number>();
  data.forEach((entry, i) => {
    const field = `spec.data[${i}]`;
    const secretKey = entry.secretKey;
    if (!secretKey) {
      violation(`${field}.secretKey`, 'is required');
    } else if (!SECRET_KEY.test(secretKey)) {
      violation(`${field}.secretKey`, `"${secretKey}" must consist of alphanumerics, "-", "_" or "."`);
    } else if (seen.has(secretKey)) {
      violation(`${field}.secretKey`, `"${secretKey}" duplicates spec.data[${seen.get(secretKey)}].secretKey`);
    } else {
      seen.set(secretKey, i);
    }
    if (!entry.remoteRef?.key && !entry.sourceRef) violation(`${field}.remoteRef.key`, 'is required');
  });

  dataFrom.forEach((entry, i) => {
    const field = `spec.dataFrom[${i}]`;
    const sources = [entry.extract, entry.find].filter((s) => s !== undefined).length;
    if (sources === 0 && !entry.sourceRef) violation(field, 'must set one of extract or find');
    if (sources === 2) violation(field, 'must set only one of extract or find');
    if (entry.extract && !entry.extract.key) violation(`${field}.extract.key`, 'is required');
    const find = entry.find;
    if (find) {
      if (!find.name?.regexp && !find.tags && find.path === undefined) violation(`${field}.find`, 'must set name.regexp, tags or path');
      if (find.name?.regexp !== undefined) {
        try {
          new RegExp(find.name.regexp);
        } catch {
          violation(`${field}.find.name.regexp`, `"${find.name.regexp}" is not a valid regular expression`);
        }
      }
    }
  });

  return { violations, warnings };
}
