// The decision core: ExternalSecret + facts -> verdict. Admission, the dry-run endpoint and
// the reconciler all call this, so they can never disagree. No I/O happens here: callers
// first ask vaultQuestions() what Vault must answer, gather the answers through the Vault
// adapter, then call decide() with them.
import type { ExternalSecret, SecretStore, StoreKind, VaultProvider } from '../eso/types.js';
import { selectorMatches } from './labels.js';
import { evaluatePathPolicy } from '../policy/pathPolicy.js';
import type {
  DecisionInput,
  Finding,
  KvFindFacts,
  KvSecretFacts,
  Lookup,
  ResolvedPath,
  VaultAnswer,
  VaultQuestion,
  Verdict,
} from './facts.js';
import { kvVersionOf, location, resolveKvLocation, type KvLocation } from './kvPath.js';
import { closestName } from './properties.js';
import { structureFindings } from './structure.js';

const DAY_MS = 86_400_000;

interface SecretReference {
  kind: 'secret';
  keyField: string;
  propertyField: string;
  versionField: string;
  location: KvLocation;
  property?: string;
  version?: number;
  question: VaultQuestion & { kind: 'secret' };
}

interface FindReference {
  kind: 'find';
  field: string;
  root: KvLocation;
  question: VaultQuestion & { kind: 'find' };
}

type Reference = SecretReference | FindReference;

interface Analysis {
  violations: Finding[];
  warnings: Finding[];
  paths: ResolvedPath[];
  /** references that passed structure, store and policy checks: only these reach Vault */
  references: Reference[];
  storeRef: { kind: StoreKind; name: string };
  provider?: VaultProvider;
}

export function storeRefOf(es: ExternalSecret): { kind: StoreKind; name: string } {
  const kind = es.spec?.secretStoreRef?.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
  return { kind, name: es.spec?.secretStoreRef?.name ?? '' };
}

export function vaultProviderOf(store: SecretStore | undefined): VaultProvider | undefined {
  return store?.spec?.provider?.vault;
}

// vaultQuestions() and decide() on the same input share one analysis (the hot path of
// every admission); decide() consumes it, so a reused input is analysed afresh.
const pendingAnalyses = new WeakMap<DecisionInput, Analysis>();

/** What Vault must answer before decide() can give a full verdict (empty when nothing). */
export function vaultQuestions(input: DecisionInput): VaultQuestion[] {
  const analysis = analyze(input);
  pendingAnalyses.set(input, analysis);
  const unique = new Map<string, VaultQuestion>();
  for (const reference of analysis.references) unique.set(reference.question.id, reference.question);
  return [...unique.values()];
}

export function decide(input: DecisionInput, answers: ReadonlyMap<string, VaultAnswer> = new Map()): Verdict {
  const analysis = pendingAnalyses.get(input) ?? analyze(input);
  pendingAnalyses.delete(input);
  const { violations, warnings } = analysis;
  const reportedStoreProblems = new Set<string>();
  for (const reference of analysis.references) {
    const answer = answers.get(reference.question.id) ?? { state: 'unavailable', reason: 'Vault was not asked' };
    if (answer.state === 'failed' || answer.state === 'unavailable') {
      const field = reference.kind === 'secret' ? reference.keyField : reference.field;
      const path = reference.kind === 'secret' ? reference.location.kvPath : reference.root.kvPath;
      if (reportedStoreProblems.has(answer.reason)) continue;
      reportedStoreProblems.add(answer.reason);
      if (answer.state === 'failed') {
        violations.push({ field, message: `cannot check ${path} in Vault: ${answer.reason}`, check: 'capability' });
      } else {
        unavailableFinding(input, analysis, field, `could not check ${path} in Vault: ${answer.reason}`);
      }
      continue;
    }
    if (reference.kind === 'secret') checkSecret(input, analysis, reference, answer as Lookup<KvSecretFacts>, reportedStoreProblems);
    else checkFind(input, analysis, reference, answer as Lookup<KvFindFacts>);
  }
  return { allowed: violations.length === 0, violations, warnings, paths: analysis.paths };
}

function unavailableFinding(input: DecisionInput, analysis: Analysis, field: string, message: string): void {
  if (input.options.failureMode === 'open') {
    analysis.warnings.push({ field, message: `allowed by failure mode open: ${message}`, check: 'unavailable' });
  } else {
    analysis.violations.push({ field, message, check: 'unavailable' });
  }
}

function analyze(input: DecisionInput): Analysis {
  const es = input.externalSecret;
  const structure = structureFindings(es, input.options.minRefreshIntervalMs);
  const storeRef = storeRefOf(es);
  const analysis: Analysis = { ...structure, paths: [], references: [], storeRef };
  if (!storeRef.name) return analysis;

  const storeField = 'spec.secretStoreRef.name';
  const store = input.store;
  if (store.state === 'missing') {
    const where = storeRef.kind === 'SecretStore' ? ` in namespace "${input.namespace}"` : '';
    analysis.violations.push({ field: storeField, message: `${storeRef.kind} "${storeRef.name}" not found${where}`, check: 'store' });
    return analysis;
  }
  if (store.state === 'failed') {
    analysis.violations.push({ field: storeField, message: `${storeRef.kind} "${storeRef.name}": ${store.reason}`, check: 'store' });
    return analysis;
  }
  if (store.state === 'unavailable') {
    unavailableFinding(input, analysis, storeField, `could not look up ${storeRef.kind} "${storeRef.name}": ${store.reason}`);
    return analysis;
  }

  const labels = input.namespaceLabels;
  if (labels.state !== 'ok') {
    const reason = labels.state === 'missing' ? 'namespace not found' : labels.reason;
    unavailableFinding(input, analysis, 'metadata.namespace', `could not read namespace "${input.namespace}": ${reason}`);
    return analysis;
  }
  if (storeRef.kind === 'ClusterSecretStore' && !checkStoreConditions(store.value, input.namespace, labels.value, analysis, storeField)) {
    return analysis;
  }

  const provider = vaultProviderOf(store.value);
  if (!provider) return analysis; // another provider's store: vaultgate has nothing to check
  analysis.provider = provider;

  const policies = input.policies;
  if (policies.state !== 'ok') {
    const reason = policies.state === 'missing' ? 'VaultPathPolicy API not installed' : policies.reason;
    unavailableFinding(input, analysis, storeField, `could not read VaultPathPolicies: ${reason}`);
    return analysis;
  }

  const policyAllows = (field: string, kvPath: string, apiPath: string): boolean => {
    const decision = evaluatePathPolicy(
      { namespace: input.namespace, namespaceLabels: labels.value, store: storeRef, kvPath },
      policies.value,
      input.options.requirePathPolicy,
    );
    analysis.paths.push({ field, store: storeRef, kvPath, apiPath, policy: decision.allowed ? 'allowed' : 'denied' });
    if (!decision.allowed) {
      const why =
        decision.because === 'no-policy'
          ? `no VaultPathPolicy selects namespace "${input.namespace}" and the server requires one`
          : `policy ${decision.policy}`;
      analysis.violations.push({ field, message: `namespace "${input.namespace}" may not read ${kvPath} (${why})`, check: 'policy', policy: decision.policy });
    }
    return decision.allowed;
  };

  const spec = es.spec ?? {};
  (spec.data ?? []).forEach((entry, i) => {
    if (entry.sourceRef || !entry.remoteRef?.key) return;
    const base = `spec.data[${i}].remoteRef`;
    addSecretReference(analysis, provider, entry.remoteRef.key, entry.remoteRef.property, entry.remoteRef.version, base, policyAllows);
  });
  (spec.dataFrom ?? []).forEach((entry, i) => {
    if (entry.sourceRef) return;
    if (entry.extract?.key) {
      const base = `spec.dataFrom[${i}].extract`;
      addSecretReference(analysis, provider, entry.extract.key, entry.extract.property, entry.extract.version, base, policyAllows);
    } else if (entry.find && !entry.extract) {
      addFindReference(analysis, provider, entry.find, `spec.dataFrom[${i}].find`, policyAllows);
    }
  });
  return analysis;
}

function checkStoreConditions(store: SecretStore, namespace: string, labels: Record<string, string>, analysis: Analysis, field: string): boolean {
  const conditions = store.spec?.conditions ?? [];
  if (conditions.length === 0) return true;
  let admitted = false;
  for (const condition of conditions) {
    if (condition.namespaceSelector && selectorMatches(condition.namespaceSelector, labels)) admitted = true;
    if ((condition.namespaces ?? []).includes(namespace)) admitted = true;
    for (const pattern of condition.namespaceRegexes ?? []) {
      if (!pattern.startsWith('^') || !pattern.endsWith('$')) {
        analysis.warnings.push({ field, message: `store namespaceRegexes "${pattern}" is not anchored (^...$) and may admit more namespaces than intended`, check: 'store' });
      }
      try {
        if (new RegExp(pattern).test(namespace)) admitted = true;
      } catch {
        analysis.warnings.push({ field, message: `store namespaceRegexes "${pattern}" is not a valid regular expression`, check: 'store' });
      }
    }
  }
  if (!admitted) {
    analysis.violations.push({
      field,
      message: `ClusterSecretStore "${store.metadata?.name ?? ''}" does not admit namespace "${namespace}" (its spec.conditions)`,
      check: 'store',
    });
  }
  return admitted;
}

function addSecretReference(
  analysis: Analysis,
  provider: VaultProvider,
  key: string,
  property: string | undefined,
  versionText: string | undefined,
  base: string,
  policyAllows: (field: string, kvPath: string, apiPath: string) => boolean,
): void {
  const keyField = `${base}.key`;
  const loc = resolveKvLocation(provider, key);
  if (!loc) {
    analysis.violations.push({ field: keyField, message: `"${key}" names no KV mount: set the store's spec.provider.vault.path or write <mount>/<key>`, check: 'structure' });
    return;
  }
  let version: number | undefined;
  if (versionText !== undefined && versionText !== '') {
    version = /^[1-9][0-9]*$/.test(versionText) ? Number(versionText) : Number.NaN;
    if (Number.isNaN(version) || loc.kvVersion === 1) {
      const why = loc.kvVersion === 1 ? 'KV v1 has no versions' : 'must be a KV version number (1, 2, ...)';
      analysis.violations.push({ field: `${base}.version`, message: `"${versionText}": ${why}`, check: 'structure' });
      return;
    }
  }
  if (!policyAllows(keyField, loc.kvPath, loc.apiPath)) return;
  const id = `secret:${loc.apiPath}@${version ?? 'current'}`;
  analysis.references.push({
    kind: 'secret',
    keyField,
    propertyField: `${base}.property`,
    versionField: `${base}.version`,
    location: loc,
    ...(property ? { property } : {}),
    ...(version !== undefined ? { version } : {}),
    question: { id, kind: 'secret', mount: loc.mount, key: loc.key, kvVersion: loc.kvVersion, ...(version !== undefined ? { version } : {}) },
  });
}

function addFindReference(
  analysis: Analysis,
  provider: VaultProvider,
  find: NonNullable<NonNullable<ExternalSecret['spec']>['dataFrom']>[number]['find'] & object,
  field: string,
  policyAllows: (field: string, kvPath: string, apiPath: string) => boolean,
): void {
  const kvVersion = kvVersionOf(provider);
  const mount = (provider.path ?? '').replace(/^\/+|\/+$/g, '');
  const findPath = (find.path ?? '').replace(/^\/+|\/+$/g, '');
  if (!mount) {
    analysis.violations.push({ field, message: 'find needs the store\'s spec.provider.vault.path (the KV mount to search)', check: 'structure' });
    return;
  }
  // The whole subtree a find may read must be allowed: check "<root>/*" as a literal path,
  // so only a trailing-* allow covering the root passes. Found keys are checked again later.
  const root = location(mount, findPath ? `${findPath}/*` : '*', kvVersion);
  if (!policyAllows(`${field}.path`, root.kvPath, root.apiPath)) return;
  const id = `find:${mount}|${findPath}|${find.name?.regexp ?? ''}|${JSON.stringify(find.tags ?? {})}`;
  analysis.references.push({
    kind: 'find',
    field,
    root,
    question: {
      id,
      kind: 'find',
      mount,
      kvVersion,
      ...(findPath ? { path: findPath } : {}),
      ...(find.name?.regexp ? { nameRegexp: find.name.regexp } : {}),
      ...(find.tags ? { tags: find.tags } : {}),
    },
  });
}

function checkSecret(input: DecisionInput, analysis: Analysis, reference: SecretReference, answer: Lookup<KvSecretFacts>, said: Set<string>): void {
  // Several entries reading one path share its problems: say each once, at the first entry.
  const once = (list: Finding[]) => ({
    push: (finding: Finding) => {
      if (said.has(finding.message)) return;
      said.add(finding.message);
      list.push(finding);
    },
  });
  const violations = once(analysis.violations);
  const warnings = once(analysis.warnings);
  const path = reference.location.kvPath;
  if (answer.state !== 'ok') return; // failed/unavailable handled by the caller; missing cannot happen here
  const facts = answer.value;
  if (!facts.capabilities.includes('read') && !facts.capabilities.includes('root')) {
    const storeName = `${analysis.storeRef.kind} "${analysis.storeRef.name}"`;
    violations.push({
      field: reference.keyField,
      message: `the Vault identity of ${storeName} may not read ${reference.location.apiPath} (capabilities: ${facts.capabilities.join(', ') || 'none'})`,
      check: 'capability',
    });
    return;
  }
  const read = facts.read;
  if (!read || read.state === 'missing') {
    const at = reference.version !== undefined ? ` version ${reference.version}` : '';
    violations.push({ field: reference.version !== undefined ? reference.versionField : reference.keyField, message: `${path}${at} not found in Vault`, check: 'existence' });
    return;
  }
  if (read.state === 'failed') {
    violations.push({ field: reference.keyField, message: `cannot read ${path}: ${read.reason}`, check: 'existence' });
    return;
  }
  if (read.state === 'unavailable') {
    unavailableFinding(input, analysis, reference.keyField, `could not read ${path} in Vault: ${read.reason}`);
    return;
  }
  const version = read.value;
  if (version.state !== 'live') {
    const field = reference.version !== undefined ? reference.versionField : reference.keyField;
    const fix = version.state === 'deleted' ? 'undelete it or pin an older remoteRef.version' : 'pin another remoteRef.version';
    violations.push({ field, message: `${path} version ${version.version} is ${version.state} (${fix})`, check: 'existence' });
    return;
  }
  if (version.deletionTime) {
    const at = Date.parse(version.deletionTime);
    const now = input.options.now ?? Date.now();
    if (Number.isFinite(at) && at > now && at - now < (input.options.deletionWarningMs ?? 7 * DAY_MS)) {
      warnings.push({ field: reference.keyField, message: `${path} version ${version.version} will be deleted at ${version.deletionTime}`, check: 'existence' });
    }
  }
  if (reference.property !== undefined && !version.propertyNames.includes(reference.property)) {
    const suggestion = closestName(reference.property, version.propertyNames);
    const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
    analysis.violations.push({ field: reference.propertyField, message: `"${reference.property}" not found at ${path}${hint}`, check: 'existence' });
  }
}

function checkFind(input: DecisionInput, analysis: Analysis, reference: FindReference, answer: Lookup<KvFindFacts>): void {
  if (answer.state !== 'ok') return;
  const root = reference.root.kvPath.replace(/\/?\*$/, '');
  const keys = answer.value.keys;
  if (keys.length === 0) {
    analysis.warnings.push({ field: reference.field, message: `matches no secret under ${root}`, check: 'existence' });
    return;
  }
  const labels = input.namespaceLabels.state === 'ok' ? input.namespaceLabels.value : {};
  const policies = input.policies.state === 'ok' ? input.policies.value : [];
  const denials = keys
    .map((key) => evaluatePathPolicy({ namespace: input.namespace, namespaceLabels: labels, store: analysis.storeRef, kvPath: `${reference.question.mount}/${key}` }, policies, input.options.requirePathPolicy))
    .filter((decision) => !decision.allowed);
  if (denials.length > 0) {
    const names = [...new Set(denials.map((d) => d.policy))].join(', ');
    analysis.violations.push({
      field: reference.field,
      message: `matches ${denials.length} path(s) namespace "${input.namespace}" may not read (policy ${names}); narrow find.path or find.name`,
      check: 'policy',
    });
  }
}
