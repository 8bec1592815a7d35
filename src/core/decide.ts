// The decision core: ExternalSecret + facts -> verdict. Admission, the dry-run endpoint and
// the reconciler all call this, so they can never disagree. No I/O happens here:
// analyze(input) says openly what Vault must answer (`vault`), the caller gathers those
// answers through the Vault adapter, then `decide(answers)` gives the verdict.
//
// Order of checks, each only on what passed the one before: shape and size, structure
// (ESO's own rules), store and its conditions, the namespace's VaultPathPolicy (on the path
// Vault will serve), then with the store's own identity: capability, existence, property.
// Existence is only ever asked for paths the namespace may read, so no verdict reveals
// what exists where the namespace may not look.
import type { SecretStore, StoreKind, VaultProvider, VaultPathPolicy } from '../eso/types.js';
import { evaluatePathPolicy, evaluateSubtreePolicy, type PathPolicyDecision } from '../policy/pathPolicy.js';
import { selectorMatches } from '../policy/labels.js';
import { storeAccess, type StoreAccess } from './auth.js';
import {
  DEFAULT_LIMITS,
  WHOLE_SECRET,
  type Analysis,
  type DecisionInput,
  type EntryQuestions,
  type FindFacts,
  type Finding,
  type Lookup,
  type PropertyFact,
  type ReadFacts,
  type ResolvedPath,
  type VaultAnswer,
  type VaultQuestion,
  type Verdict,
} from './facts.js';
import { compileGoRegexp, matchGoRegexp } from './goRegexp.js';
import { convertKey } from './keys.js';
import { closestName } from './properties.js';
import { readExternalSecret, type ExternalSecretView, type RemoteRefView } from './shape.js';
import { deletionPolicyOf, structureFindings } from './structure.js';
import { dataTarget, findListing, kvVersionOf, metadataTarget, printable, type Resolved, type VaultTarget } from './vaultPath.js';

const DAY_MS = 86_400_000;
/** The most findings one verdict lists; the rest are counted in one line. */
const MAX_FINDINGS = 100;

type StoreRef = { kind: StoreKind; name: string };

/** One entry that reads a secret (data[i], or dataFrom[i].extract) or its metadata (Fetch). */
interface ReadReference {
  kind: 'read';
  questionId: string;
  keyField: string;
  propertyField: string;
  versionField: string;
  target: VaultTarget;
  /** WHOLE_SECRET when the entry names no property */
  property: string;
  version?: string;
  fetchMetadata: boolean;
  /** dataFrom.extract: the value must be a JSON object ESO can unmarshal into a map */
  needsObject: boolean;
}

interface FindReference {
  kind: 'find';
  questionId: string;
  field: string;
  rootKvPath: string;
  conversion: string;
  converts: boolean;
}

type Reference = ReadReference | FindReference;

export function storeRefOf(es: unknown): StoreRef {
  const ref = (es as { spec?: { secretStoreRef?: { kind?: unknown; name?: unknown } } } | null)?.spec?.secretStoreRef;
  return { kind: ref?.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore', name: typeof ref?.name === 'string' ? ref.name : '' };
}

export function vaultProviderOf(store: SecretStore | undefined): VaultProvider | undefined {
  return store?.spec?.provider?.vault;
}

/** Builds the verdict's finding lists; "unavailable" findings follow the failure mode. */
class Findings {
  readonly violations: Finding[] = [];
  readonly warnings: Finding[] = [];
  readonly paths: ResolvedPath[] = [];
  private readonly said = new Set<string>();

  constructor(private readonly failureMode: 'closed' | 'open') {}

  violation(field: string, message: string, check: Finding['check'], policy?: string): void {
    this.violations.push({ field, message, check, ...(policy ? { policy } : {}) });
  }

  warning(field: string, message: string, check: Finding['check']): void {
    this.warnings.push({ field, message, check });
  }

  /** The same problem (a store that cannot log in, one path read by several entries) is said once. */
  once(key: string): boolean {
    if (this.said.has(key)) return false;
    this.said.add(key);
    return true;
  }

  unavailable(field: string, message: string): void {
    if (this.failureMode === 'open') this.warning(field, `allowed by failure mode open: ${message}`, 'unavailable');
    else this.violation(field, message, 'unavailable');
  }

  verdict(): Verdict {
    return { allowed: this.violations.length === 0, violations: capped(this.violations), warnings: capped(this.warnings), paths: this.paths };
  }
}

function capped(findings: Finding[]): Finding[] {
  if (findings.length <= MAX_FINDINGS) return findings;
  const kept = findings.slice(0, MAX_FINDINGS - 1);
  const rest = findings.length - kept.length;
  return [...kept, { field: 'spec', message: `... and ${rest} more like these`, check: findings[MAX_FINDINGS - 1]?.check ?? 'structure' }];
}

const finished = (findings: Findings): Analysis => ({ early: findings.verdict(), decide: () => findings.verdict() });

export function analyze(input: DecisionInput): Analysis {
  const options = input.options;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const findings = new Findings(options.failureMode);
  const { view, findings: shapeFindings, tooLarge } = readExternalSecret(input.externalSecret, limits.maxEntries);
  findings.violations.push(...shapeFindings, ...tooLarge);
  if (tooLarge.length > 0) return finished(findings);
  const structure = structureFindings(view, options.minRefreshIntervalMs);
  findings.violations.push(...structure.violations);
  findings.warnings.push(...structure.warnings);

  const storeRef: StoreRef = { kind: view.storeRef.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore', name: view.storeRef.name ?? '' };
  if (!storeRef.name) return finished(findings);
  const storeField = 'spec.secretStoreRef.name';
  const storeName = `${storeRef.kind} "${storeRef.name}"`;
  const store = input.store;
  if (store.state === 'missing') {
    const where = storeRef.kind === 'SecretStore' ? ` in namespace "${input.namespace}"` : '';
    findings.violation(storeField, `${storeName} not found${where}`, 'store');
    return finished(findings);
  }
  if (store.state !== 'ok') {
    if (store.state === 'failed') findings.violation(storeField, `${storeName}: ${store.reason}`, 'store');
    else findings.unavailable(storeField, `could not look up ${storeName}: ${store.reason}`);
    return finished(findings);
  }

  const labels = input.namespaceLabels;
  if (labels.state !== 'ok') {
    const reason = labels.state === 'missing' ? 'namespace not found' : labels.reason;
    findings.unavailable('metadata.namespace', `could not read namespace "${input.namespace}": ${reason}`);
    return finished(findings);
  }
  if (storeRef.kind === 'ClusterSecretStore' && !storeAdmitsNamespace(store.value, input.namespace, labels.value, findings, storeField)) {
    return finished(findings);
  }

  const provider = vaultProviderOf(store.value);
  if (!provider) return finished(findings); // another provider's store: vaultgate has nothing to check

  const policies = input.policies;
  if (policies.state !== 'ok') {
    const reason = policies.state === 'missing' ? 'VaultPathPolicy API not installed' : policies.reason;
    findings.unavailable(storeField, `could not read VaultPathPolicies: ${reason}`);
    return finished(findings);
  }

  const plan = storeAccess(store.value, storeRef.kind, input.namespace);
  let access: StoreAccess | undefined;
  if (!plan.ok) {
    findings.violation(storeField, `${storeName} cannot log in to Vault: ${plan.reason}`, 'capability');
  } else if (plan.access.auth.method === 'unchecked') {
    findings.warning(storeField, `capability and existence checks skipped: ${plan.access.auth.reason}`, 'unchecked');
  } else {
    access = plan.access;
  }

  const judge = new PolicyJudge(input, storeRef, labels.value, policies.value, findings);
  const references = collectReferences(view, provider, judge, findings);
  const questions = questionsFor(references, provider, limits.maxFindNames);
  if (questions.length > limits.maxPaths) {
    findings.violation('spec', `reads ${questions.length} distinct Vault paths; the limit is ${limits.maxPaths} per ExternalSecret (--max-paths)`, 'limit');
    return finished(findings);
  }
  if (!access || questions.length === 0) return finished(findings);

  const context: DecideContext = { input, view, provider, storeRef, storeName, judge, findings };
  return {
    vault: { store: store.value, storeKind: storeRef.kind, access, questions },
    entries: entryQuestions(references),
    early: { allowed: findings.violations.length === 0, violations: [...findings.violations], warnings: [...findings.warnings], paths: [...findings.paths] },
    decide: (answers = new Map()) => {
      for (const reference of references) {
        const answer = answers.get(reference.questionId) ?? { state: 'unavailable', reason: 'Vault was not asked' };
        judgeAnswer(context, reference, answer);
      }
      return findings.verdict();
    },
  };
}

/** analyze() then decide() with no answers: for callers that already hold none (tests, dry runs of structure). */
export function decideWithoutVault(input: DecisionInput): Verdict {
  return analyze(input).decide();
}

// --- store ------------------------------------------------------------------------------

/** ESO's ClusterSecretStore conditions: a selector, a namespace list, or an unanchored Go regexp. */
function storeAdmitsNamespace(store: SecretStore, namespace: string, labels: Record<string, string>, findings: Findings, field: string): boolean {
  const conditions = Array.isArray(store.spec?.conditions) ? store.spec.conditions : [];
  if (conditions.length === 0) return true;
  for (const condition of conditions) {
    if (condition.namespaceSelector && selectorMatches(condition.namespaceSelector, labels)) return true;
    if ((condition.namespaces ?? []).includes(namespace)) return true;
    for (const pattern of condition.namespaceRegexes ?? []) {
      const compiled = compileGoRegexp(pattern);
      const matched = compiled.ok ? matchGoRegexp(compiled.matcher, namespace) : undefined;
      if (!compiled.ok && !compiled.unsupported) {
        findings.violation(field, `failed to compile regex ${pattern}: ${compiled.error}`, 'store');
        return false;
      }
      if (!compiled.ok || !matched?.ok) {
        // vaultgate declined to evaluate it (a size limit): it cannot say the store admits the namespace.
        findings.unavailable(field, `could not evaluate the store's namespaceRegexes "${printable(pattern)}": ${!compiled.ok ? compiled.error : matched && !matched.ok ? matched.error : ''}`);
        return false;
      }
      if (matched.match) return true;
    }
  }
  findings.violation(field, `ClusterSecretStore "${store.metadata?.name ?? ''}" does not admit namespace "${namespace}" (its spec.conditions)`, 'store');
  return false;
}

// --- policy -----------------------------------------------------------------------------

class PolicyJudge {
  constructor(
    private readonly input: DecisionInput,
    private readonly storeRef: StoreRef,
    private readonly labels: Record<string, string>,
    private readonly policies: VaultPathPolicy[],
    private readonly findings: Findings,
  ) {}

  private query(kvPath: string) {
    return { namespace: this.input.namespace, namespaceLabels: this.labels, store: this.storeRef, kvPath };
  }

  /** Decisions by kv path: entries reading one path are judged once. */
  private readonly decided = new Map<string, PathPolicyDecision>();

  /** Records the path and says whether the namespace may read it; a denial becomes a violation. */
  allows(field: string, target: VaultTarget): boolean {
    let decision = this.decided.get(target.kvPath);
    if (!decision) {
      decision = evaluatePathPolicy(this.query(target.kvPath), this.policies, this.input.options.requirePathPolicy);
      this.decided.set(target.kvPath, decision);
    }
    return this.record(field, target.kvPath, target.apiPath, decision);
  }

  allowsSubtree(field: string, rootKvPath: string, listApiPath: string): boolean {
    const decision = evaluateSubtreePolicy(this.query(rootKvPath), this.policies, this.input.options.requirePathPolicy);
    return this.record(field, `${rootKvPath}/*`, listApiPath, decision);
  }

  /** A path Vault returned (a find match): checked again, never revealing more than the subtree check did. */
  quietlyAllows(kvPath: string): boolean {
    return evaluatePathPolicy(this.query(kvPath), this.policies, this.input.options.requirePathPolicy).allowed;
  }

  private record(field: string, kvPath: string, apiPath: string, decision: PathPolicyDecision): boolean {
    this.findings.paths.push({ field, store: this.storeRef, kvPath, apiPath, policy: decision.allowed ? 'allowed' : 'denied' });
    if (decision.allowed) return true;
    const namespace = this.input.namespace;
    let why: string;
    if (decision.because === 'no-policy') why = `no VaultPathPolicy selects namespace "${namespace}" and the server requires one`;
    else if (decision.detail) why = `policy ${decision.policy}: ${decision.detail}`;
    else why = `policy ${decision.policy}`;
    this.findings.violation(field, `namespace "${namespace}" may not read ${kvPath} (${why})`, 'policy', decision.policy);
    return false;
  }
}

// --- references -------------------------------------------------------------------------

function collectReferences(view: ExternalSecretView, provider: VaultProvider, judge: PolicyJudge, findings: Findings): Reference[] {
  const references: Reference[] = [];
  // Many entries name the same key (one per property): resolve each key once.
  const targets = new Map<string, Resolved<VaultTarget>>();
  const targetOf = (key: string, fetchMetadata: boolean) => {
    const cacheKey = `${fetchMetadata ? 'm' : 'd'}:${key}`;
    let resolved = targets.get(cacheKey);
    if (!resolved) {
      resolved = fetchMetadata ? metadataTarget(provider, key) : dataTarget(provider, key);
      targets.set(cacheKey, resolved);
    }
    return resolved;
  };
  const addRead = (ref: RemoteRefView | undefined, base: string, needsObject: boolean) => {
    if (ref?.key === undefined) return;
    const keyField = `${base}.key`;
    const fetchMetadata = ref.metadataPolicy === 'Fetch';
    const resolved = targetOf(ref.key, fetchMetadata);
    if (!resolved.ok) {
      findings.violation(keyField, resolved.message, resolved.message.includes('stricter than ESO') || resolved.message.includes("outside Vault's API") ? 'policy' : 'structure');
      return;
    }
    if (!judge.allows(keyField, resolved.value)) return;
    // Fetch reads custom_metadata, which has no versions: ESO ignores remoteRef.version then.
    const version = !fetchMetadata && ref.version !== undefined && ref.version !== '' ? ref.version : undefined;
    references.push({
      kind: 'read',
      questionId: readQuestionId(resolved.value.apiPath, fetchMetadata, version),
      keyField,
      propertyField: `${base}.property`,
      versionField: `${base}.version`,
      target: resolved.value,
      property: ref.property ?? WHOLE_SECRET,
      ...(version !== undefined ? { version } : {}),
      fetchMetadata,
      needsObject,
    });
  };

  view.data.forEach((entry, i) => {
    if (entry && !entry.hasSourceRef) addRead(entry.remoteRef, `spec.data[${i}].remoteRef`, false);
  });
  view.dataFrom.forEach((entry, i) => {
    if (!entry || entry.hasSourceRef) return;
    if (entry.extract && !entry.find) addRead(entry.extract, `spec.dataFrom[${i}].extract`, true);
    if (entry.find && !entry.extract) {
      const field = `spec.dataFrom[${i}].find`;
      const find = entry.find;
      if (kvVersionOf(provider) === 1 && find.tags !== undefined && !find.hasName) {
        findings.violation(`${field}.tags`, 'cannot perform find by tag operations with kv version v1', 'structure');
        return;
      }
      if (find.nameRegexp !== undefined && !compileGoRegexp(find.nameRegexp).ok) return; // reported by structure
      const listing = findListing(provider, find.path);
      if (!listing.ok) {
        findings.violation(find.path !== undefined ? `${field}.path` : field, listing.message, listing.message.includes('stricter than ESO') ? 'policy' : 'structure');
        return;
      }
      if (!judge.allowsSubtree(`${field}.path`, listing.value.rootKvPath, listing.value.listApiPath)) return;
      references.push({
        kind: 'find',
        questionId: findQuestionId(listing.value.listApiPath, listing.value.namePrefix, find.nameRegexp, find.hasName, find.tags),
        field,
        rootKvPath: listing.value.rootKvPath,
        conversion: find.conversionStrategy ?? 'Default',
        converts: !entry.hasRewrite,
      });
    }
  });
  return references;
}

function entryQuestions(references: Reference[]): EntryQuestions {
  const entries: EntryQuestions = { data: {}, dataFrom: {} };
  for (const reference of references) {
    const match = /^spec\.(data|dataFrom)\[(\d+)\]/.exec(reference.kind === 'read' ? reference.keyField : reference.field);
    if (match) entries[match[1] as 'data' | 'dataFrom'][Number(match[2])] = reference.questionId;
  }
  return entries;
}

const readQuestionId = (apiPath: string, metadata: boolean, version: string | undefined) =>
  `${metadata ? 'metadata' : 'read'}:${apiPath}${version !== undefined ? `?version=${version}` : ''}`;

const findQuestionId = (listApiPath: string, prefix: string, regexp: string | undefined, hasName: boolean, tags: Record<string, string> | undefined) =>
  `find:${JSON.stringify([listApiPath, prefix, hasName ? (regexp ?? '') : null, hasName ? null : (tags ?? null)])}`;

/** One question per distinct path (and version); every property asked of it travels together. */
function questionsFor(references: Reference[], provider: VaultProvider, maxFindNames: number): VaultQuestion[] {
  const questions = new Map<string, VaultQuestion>();
  const propertiesAsked: Record<string, Set<string>> = {};
  const kvVersion = kvVersionOf(provider);
  for (const reference of references) {
    const existing = questions.get(reference.questionId);
    if (reference.kind === 'read') {
      if (existing && existing.kind !== 'find') {
        const asked = (propertiesAsked[reference.questionId] ??= new Set(existing.properties));
        if (!asked.has(reference.property)) {
          asked.add(reference.property);
          existing.properties.push(reference.property);
        }
        continue;
      }
      questions.set(
        reference.questionId,
        reference.fetchMetadata
          ? { id: reference.questionId, kind: 'metadata', apiPath: reference.target.apiPath, kvPath: reference.target.kvPath, properties: [reference.property] }
          : {
              id: reference.questionId,
              kind: 'read',
              apiPath: reference.target.apiPath,
              kvPath: reference.target.kvPath,
              kvVersion,
              ...(reference.version !== undefined ? { version: reference.version } : {}),
              properties: [reference.property],
            },
      );
    } else if (!existing) {
      const [listApiPath, namePrefix, regexp, tags] = JSON.parse(reference.questionId.slice('find:'.length)) as [string, string, string | null, Record<string, string> | null];
      questions.set(reference.questionId, {
        id: reference.questionId,
        kind: 'find',
        listApiPath,
        namePrefix,
        kvVersion,
        ...(regexp !== null ? { nameRegexp: regexp } : {}),
        ...(tags !== null ? { tags } : {}),
        maxNames: maxFindNames,
      });
    }
  }
  return [...questions.values()];
}

// --- answers ----------------------------------------------------------------------------

interface DecideContext {
  input: DecisionInput;
  view: ExternalSecretView;
  provider: VaultProvider;
  storeRef: StoreRef;
  storeName: string;
  judge: PolicyJudge;
  findings: Findings;
}

function judgeAnswer(context: DecideContext, reference: Reference, answer: VaultAnswer): void {
  const { findings } = context;
  const field = reference.kind === 'read' ? reference.keyField : reference.field;
  const where = reference.kind === 'read' ? reference.target.kvPath : reference.rootKvPath;
  if (answer.state === 'failed' || answer.state === 'unavailable' || answer.state === 'missing') {
    const reason = answer.state === 'missing' ? 'no answer' : answer.reason;
    if (!findings.once(`problem:${reason}`)) return;
    if (answer.state === 'unavailable') findings.unavailable(field, `could not check ${where} in Vault: ${reason}`);
    else findings.violation(field, `cannot check ${where} in Vault: ${reason}`, 'capability');
    return;
  }
  if (reference.kind === 'read') judgeRead(context, reference, answer.value as ReadFacts);
  else judgeFind(context, reference, answer.value as FindFacts);
}

const canRead = (capabilities: readonly string[]) => capabilities.includes('read') || capabilities.includes('root');

function judgeRead(context: DecideContext, reference: ReadReference, facts: ReadFacts): void {
  const { findings, storeName } = context;
  const path = reference.target.kvPath;
  const what = reference.fetchMetadata ? `the metadata of ${path}` : path;
  if (!canRead(facts.capabilities) || !facts.outcome) {
    if (findings.once(`capability:${reference.questionId}`)) {
      const capabilities = facts.capabilities.join(', ') || 'none';
      findings.violation(reference.keyField, `the Vault identity of ${storeName} may not read ${reference.target.apiPath} (capabilities: ${capabilities})`, 'capability');
    }
    return;
  }
  const outcome = facts.outcome;
  if (outcome.state === 'error') {
    if (findings.once(`error:${reference.questionId}`)) findings.violation(reference.keyField, `cannot read ${what}: ${outcome.message}`, 'existence');
    return;
  }
  if (outcome.state === 'no-secret') {
    if (!findings.once(`missing:${reference.questionId}`)) return;
    const versionField = reference.version !== undefined ? reference.versionField : reference.keyField;
    const message =
      outcome.detail === 'missing'
        ? `${what}${reference.version !== undefined ? ` version ${reference.version}` : ''} not found in Vault`
        : `${path} version ${outcome.version ?? '?'} is ${outcome.detail} (${outcome.detail === 'deleted' ? 'undelete it or pin an older remoteRef.version' : 'pin another remoteRef.version'})`;
    // ESO skips a missing secret (a Normal event) unless deletionPolicy is Retain.
    if (deletionPolicyOf(context.view) === 'Retain') findings.violation(versionField, message, 'existence');
    else findings.warning(versionField, `${message}; ESO skips it under deletionPolicy ${deletionPolicyOf(context.view)}`, 'existence');
    return;
  }
  if (outcome.deletionTime && findings.once(`deletion:${reference.questionId}`)) {
    const at = Date.parse(outcome.deletionTime);
    const now = context.input.options.now ?? Date.now();
    if (Number.isFinite(at) && at > now && at - now < (context.input.options.deletionWarningMs ?? 7 * DAY_MS)) {
      findings.warning(reference.keyField, `${path} version ${outcome.version ?? '?'} will be deleted at ${outcome.deletionTime}`, 'existence');
    }
  }
  const property = outcome.properties[reference.property];
  judgeProperty(context, reference, outcome.propertyNames, property, what);
}

function judgeProperty(context: DecideContext, reference: ReadReference, names: string[], fact: PropertyFact | undefined, what: string): void {
  const { findings } = context;
  const field = reference.property === WHOLE_SECRET ? reference.keyField : reference.propertyField;
  if (fact === undefined) {
    findings.unavailable(field, `Vault did not answer for property "${reference.property}" of ${what}`);
    return;
  }
  if ('unsupported' in fact) {
    findings.warning(field, `could not verify property "${printable(reference.property)}" at ${what}: ${fact.unsupported}`, 'unchecked');
    return;
  }
  if (!fact.found) {
    const suggestion = closestName(reference.property, names);
    const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
    findings.violation(field, `"${printable(reference.property)}" not found at ${what}${hint}`, 'existence');
    return;
  }
  if (reference.needsObject && !fact.objectJson) {
    const kind = fact.kind === 'string' ? 'a string that is not a JSON object' : fact.kind === 'null' ? 'null' : `a JSON ${fact.kind}`;
    const subject = reference.property === WHOLE_SECRET ? what : `"${printable(reference.property)}" at ${what}`;
    findings.violation(field, `${subject} is ${kind}; dataFrom.extract needs a JSON object of keys`, 'existence');
  }
}

function judgeFind(context: DecideContext, reference: FindReference, facts: FindFacts): void {
  const { findings, provider, judge, storeName } = context;
  const root = reference.rootKvPath;
  if (facts.failure) {
    if (facts.failure.noSecret && deletionPolicyOf(context.view) !== 'Retain') {
      findings.warning(reference.field, `nothing to list under ${root}: ${facts.failure.message}; ESO skips it under deletionPolicy ${deletionPolicyOf(context.view)}`, 'existence');
    } else {
      findings.violation(`${reference.field}.path`, `cannot list ${root}: ${facts.failure.message}`, 'existence');
    }
    return;
  }
  if (facts.truncated) {
    findings.violation(reference.field, `lists more than ${facts.listed} secrets under ${root}; the limit is ${context.input.options.limits?.maxFindNames ?? DEFAULT_LIMITS.maxFindNames} (--max-find-names): narrow find.path`, 'limit');
    return;
  }
  if (facts.matched.length === 0) {
    findings.warning(reference.field, `matches no secret under ${root}`, 'existence');
    return;
  }
  const outside = facts.matched.filter((name) => {
    const target = dataTarget(provider, name);
    return !target.ok || !judge.quietlyAllows(target.value.kvPath);
  });
  if (outside.length > 0) {
    findings.violation(reference.field, `matches ${outside.length} secret(s) namespace "${context.input.namespace}" may not read; narrow find.path or find.name`, 'policy');
    return;
  }
  if (facts.unreadable.length > 0) {
    const sample = facts.unreadable.slice(0, 3).map((name) => `"${printable(name)}"`).join(', ');
    findings.violation(reference.field, `the Vault identity of ${storeName} may not read ${facts.unreadable.length} matched secret(s) under ${root} (${sample}${facts.unreadable.length > 3 ? ', ...' : ''})`, 'capability');
    return;
  }
  if (reference.converts) {
    const byKey = new Map<string, string>();
    for (const name of facts.matched) {
      const key = convertKey(name, reference.conversion);
      const other = byKey.get(key);
      if (other !== undefined) {
        findings.violation(reference.field, `secret name collision during conversion: ${key} ("${printable(other)}" and "${printable(name)}")`, 'existence');
        return;
      }
      byKey.set(key, name);
    }
  }
}

export type { Lookup };
