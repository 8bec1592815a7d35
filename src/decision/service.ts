// Gathers the facts one ExternalSecret needs (cluster state from informers, Vault answers
// through the gateway) and hands them to the pure decision core. Every door (admission,
// dry-run, reconciler) decides through this. The core runs here, or in a worker thread
// that holds a large object (an Analyzer): the facts and Vault answers are the same.
import type { Analyzer } from '../admission/handlers.js';
import { analyze, storeRefOf } from '../core/decide.js';
import { unavailable, type DecisionFacts, type DecisionOptions, type Lookup, type VaultAnswer, type VaultRequest, type Verdict } from '../core/facts.js';
import type { SecretStore, StoreKind, VaultPathPolicy } from '../eso/types.js';
import { withDeadline } from '../util/deadline.js';

export interface ClusterFactSource {
  namespaceLabels(namespace: string): Lookup<Record<string, string>>;
  store(kind: StoreKind, name: string, namespace: string): Lookup<SecretStore>;
  pathPolicies(): Lookup<VaultPathPolicy[]>;
}

export interface VaultFactSource {
  answer(request: VaultRequest): Promise<Map<string, VaultAnswer>>;
}

export interface DecisionServiceOptions extends DecisionOptions {
  /** all Vault questions of one decision must be answered within this */
  vaultDeadlineMs: number;
}

type StoreRef = { kind: StoreKind; name: string };

/** The core on this thread, for an object held here. */
export function localAnalyzer(externalSecret: unknown): Analyzer {
  let decide: ((answers: Map<string, VaultAnswer>) => Verdict) | undefined;
  return {
    analyze: async (facts) => {
      const analysis = analyze({ ...facts, externalSecret });
      decide = (answers) => analysis.decide(answers);
      return analysis.vault ? { vault: analysis.vault } : {};
    },
    decide: async (answers) => {
      if (!decide) throw new Error('decide() before analyze()');
      return decide(answers);
    },
  };
}

export class DecisionService {
  constructor(
    private readonly cluster: ClusterFactSource,
    private readonly vault: VaultFactSource,
    private readonly options: DecisionServiceOptions,
  ) {}

  /** The facts the core needs from the cluster, for one object in one namespace. */
  facts(storeRef: StoreRef, namespace: string, policies?: VaultPathPolicy[]): DecisionFacts {
    return {
      namespace,
      namespaceLabels: this.cluster.namespaceLabels(namespace),
      store: storeRef.name ? this.cluster.store(storeRef.kind, storeRef.name, namespace) : unavailable('no store named'),
      policies: policies ? { state: 'ok', value: policies } : this.cluster.pathPolicies(),
      options: this.options,
    };
  }

  evaluate(externalSecret: unknown, namespace: string): Promise<Verdict> {
    return this.evaluateWith(storeRefOf(externalSecret), namespace, localAnalyzer(externalSecret));
  }

  async evaluateWith(storeRef: StoreRef, namespace: string, analyzer: Analyzer, policies?: VaultPathPolicy[]): Promise<Verdict> {
    const { vault } = await analyzer.analyze(this.facts(storeRef, namespace, policies));
    return analyzer.decide(vault ? await this.answer(vault) : new Map());
  }

  /** Every question of one request, within the decision deadline; what misses it is "unavailable". */
  async answer(request: VaultRequest): Promise<Map<string, VaultAnswer>> {
    try {
      return await withDeadline(this.vault.answer(request), this.options.vaultDeadlineMs, 'Vault checks');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return new Map(request.questions.map((q) => [q.id, unavailable(reason)]));
    }
  }
}
