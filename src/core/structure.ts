// Checks that need nothing but the ExternalSecret itself: what ESO's CRD schema and its
// admission webhook reject (in ESO's words where it has them), what ESO's controller can
// only fail on later (a refreshInterval Go cannot parse, a find regexp Go's RE2 rejects),
// and vaultgate's stricter checks (unsafe keys are judged where paths are built).
import { MAX_DURATION_LENGTH, parseGoDuration } from './duration.js';
import type { Finding } from './facts.js';
import { compileGoRegexp } from './goRegexp.js';
import { compileRewriteRegexp, MERGE_WITHOUT_INTO, parseRewriteTransform } from './esoValues.js';
import type { ExternalSecretView, RemoteRefView, RewriteView } from './shape.js';

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MINUTE_MS = 60_000;

const ENUMS = {
  'spec.secretStoreRef.kind': ['SecretStore', 'ClusterSecretStore'],
  'spec.refreshPolicy': ['CreatedOnce', 'Periodic', 'OnChange'],
  'spec.target.creationPolicy': ['Owner', 'Orphan', 'Merge', 'None'],
  'spec.target.deletionPolicy': ['Delete', 'Merge', 'Retain'],
  metadataPolicy: ['None', 'Fetch'],
  conversionStrategy: ['Default', 'Unicode'],
  decodingStrategy: ['Auto', 'Base64', 'Base64URL', 'None'],
} as const;

export function isValidSecretName(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

/** ESO's deletionPolicy as the controller sees it: the CRD defaults it to Retain. */
export function deletionPolicyOf(es: ExternalSecretView): string {
  return es.target.deletionPolicy ?? 'Retain';
}

export function structureFindings(es: ExternalSecretView, minRefreshIntervalMs = MINUTE_MS): { violations: Finding[]; warnings: Finding[] } {
  const violations: Finding[] = [];
  const warnings: Finding[] = [];
  const violation = (field: string, message: string) => violations.push({ field, message, check: 'structure' });
  const warning = (field: string, message: string) => warnings.push({ field, message, check: 'structure' });
  const oneOf = (field: string, value: string | undefined, allowed: readonly string[]) => {
    if (value !== undefined && !allowed.includes(value)) violation(field, `"${value}" must be one of ${allowed.join(', ')}`);
  };
  if (!es.hasSpec) {
    violation('spec', 'is required');
    return { violations, warnings };
  }

  const everyEntryHasItsOwnStore = [...es.data, ...es.dataFrom].every((entry) => entry?.hasSourceRef);
  if (!es.storeRef.name && !everyEntryHasItsOwnStore) violation('spec.secretStoreRef.name', 'is required');
  oneOf('spec.secretStoreRef.kind', es.storeRef.kind, ENUMS['spec.secretStoreRef.kind']);
  oneOf('spec.refreshPolicy', es.refreshPolicy, ENUMS['spec.refreshPolicy']);

  if (es.refreshInterval !== undefined) {
    const ms = parseGoDuration(es.refreshInterval);
    if (es.refreshInterval.length > MAX_DURATION_LENGTH) {
      violations.push({ field: 'spec.refreshInterval', message: `is longer than ${MAX_DURATION_LENGTH} characters; vaultgate does not parse it (write it shorter, e.g. 1h30m)`, check: 'limit' });
    } else if (ms === undefined) {
      // ESO's CRD takes any string, but one ExternalSecret Go cannot parse stops ESO's informer for all.
      violation('spec.refreshInterval', `"${es.refreshInterval}" is not a Go duration (e.g. 30m, 1h, 1h30m); ESO cannot read it, and one such object stops ESO's sync for every ExternalSecret`);
    } else if (ms < 0) {
      warning('spec.refreshInterval', `"${es.refreshInterval}" is negative: ESO syncs once and never refreshes (as with 0)`);
    } else if (ms > 0 && ms < minRefreshIntervalMs) {
      warning('spec.refreshInterval', `"${es.refreshInterval}" reads Vault more than once a minute per ExternalSecret`);
    }
  }

  const target = es.target;
  if (target.name !== undefined && !isValidSecretName(target.name)) {
    violation('spec.target.name', `"${target.name}" is not a valid Secret name (lowercase RFC 1123 subdomain)`);
  }
  oneOf('spec.target.creationPolicy', target.creationPolicy, ENUMS['spec.target.creationPolicy']);
  oneOf('spec.target.deletionPolicy', target.deletionPolicy, ENUMS['spec.target.deletionPolicy']);
  if (target.deletionPolicy === 'Delete' && (target.creationPolicy === 'Merge' || target.creationPolicy === 'None')) {
    violation('spec.target.deletionPolicy', "deletionPolicy=Delete must not be used when the controller doesn't own the secret. Please set creationPolicy=Owner");
  }
  if (target.deletionPolicy === 'Merge' && target.creationPolicy === 'None') {
    violation('spec.target.deletionPolicy', 'deletionPolicy=Merge must not be used with creationPolicy=None. There is no Secret to merge with');
  }

  if (es.data.length === 0 && es.dataFrom.length === 0) violation('spec', 'either data or dataFrom should be specified');

  const seen = new Map<string, number>();
  const retain = deletionPolicyOf(es) === 'Retain';
  es.data.forEach((entry, i) => {
    if (!entry) return;
    const field = `spec.data[${i}]`;
    const secretKey = entry.secretKey;
    if (!secretKey) {
      violation(`${field}.secretKey`, 'is required');
    } else if (!SECRET_KEY.test(secretKey) || secretKey.length > 253) {
      violation(`${field}.secretKey`, `"${secretKey}" must consist of alphanumerics, "-", "_" or "." (at most 253)`);
    } else if (seen.has(secretKey)) {
      // ESO's webhook refuses duplicates only under deletionPolicy Retain; otherwise the last one wins.
      const message = `duplicate secretKey found: ${secretKey} (also spec.data[${seen.get(secretKey)}])`;
      if (retain) violation(`${field}.secretKey`, message);
      else warning(`${field}.secretKey`, `${message}; the later entry overwrites the earlier`);
    } else {
      seen.set(secretKey, i);
    }
    if (entry.remoteRef?.key === undefined && !entry.hasSourceRef) violation(`${field}.remoteRef.key`, 'is required');
    remoteRefEnums(entry.remoteRef, `${field}.remoteRef`, oneOf);
  });

  es.dataFrom.forEach((entry, i) => {
    if (!entry) return;
    const field = `spec.dataFrom[${i}]`;
    const sources = [entry.extract, entry.find, entry.hasGeneratorRef || undefined].filter((s) => s !== undefined).length;
    if (sources > 1) violation(field, 'extract, find, or generatorRef cannot be set at the same time');
    if (sources === 0 && !entry.hasSourceRef) violation(field, 'either extract, find, or sourceRef must be set to dataFrom');
    if (entry.extract && entry.extract.key === undefined) violation(`${field}.extract.key`, 'is required');
    remoteRefEnums(entry.extract, `${field}.extract`, oneOf);
    const find = entry.find;
    if (find?.nameRegexp !== undefined) {
      const compiled = compileGoRegexp(find.nameRegexp);
      if (!compiled.ok) {
        const message = compiled.unsupported ? compiled.error : `could not compile find.name.regexp [${find.nameRegexp}]: ${compiled.error}`;
        violations.push({ field: `${field}.find.name.regexp`, message, check: compiled.unsupported ? 'limit' : 'structure' });
      }
    }
    if (find) oneOf(`${field}.find.conversionStrategy`, find.conversionStrategy, ENUMS.conversionStrategy);
    entry.rewrites.forEach((operation, j) => {
      if (operation) violations.push(...rewriteFindings(operation, `${field}.rewrite[${j}]`));
    });
  });

  return { violations, warnings };
}

/**
 * What ESO's rewrite would fail on at every sync whatever Vault holds: a regexp RE2 rejects,
 * a transform template Go cannot parse, a JSON merge with no key to write into. The same
 * steps and words as the reconciler's (esoValues), with the operation's field.
 */
function rewriteFindings(operation: RewriteView, field: string): Finding[] {
  const findings: Finding[] = [];
  const report = (at: string, failed: { message: string; unsupported?: boolean }) =>
    findings.push({ field: `${field}.${at}`, message: failed.message, check: failed.unsupported ? 'limit' : 'structure' });
  if (operation.regexpSource !== undefined) {
    const compiled = compileRewriteRegexp(operation.regexpSource);
    if (!compiled.ok) report('regexp.source', compiled);
  }
  if (operation.transformTemplate !== undefined) {
    const parsed = parseRewriteTransform(operation.transformTemplate);
    if (!parsed.ok) report('transform.template', parsed);
  }
  if (operation.mergeStrategy === 'JSON' && !operation.mergeInto) {
    report('merge.into', { message: `${MERGE_WITHOUT_INTO} (strategy JSON writes the merged object into this key)` });
  }
  return findings;
}

function remoteRefEnums(ref: RemoteRefView | undefined, field: string, oneOf: (field: string, value: string | undefined, allowed: readonly string[]) => void): void {
  if (!ref) return;
  oneOf(`${field}.metadataPolicy`, ref.metadataPolicy, ENUMS.metadataPolicy);
  oneOf(`${field}.conversionStrategy`, ref.conversionStrategy, ENUMS.conversionStrategy);
  oneOf(`${field}.decodingStrategy`, ref.decodingStrategy, ENUMS.decodingStrategy);
}
