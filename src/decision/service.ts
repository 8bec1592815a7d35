// Gathers the facts one ExternalSecret needs (cluster state from informers, Vault answers
// through the gateway) and hands them to the pure decision core. Every door (admission,
// dry-run, reconciler) decides through this.
import { analyze, storeRefOf } from '../core/decide.js';
import { unavailable, type DecisionInput, type DecisionOptions, type Lookup, type VaultAnswer, type VaultRequest, type Verdict } from '../core/facts.js';
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

export class DecisionService {
  constructor(
    private readonly cluster: ClusterFactSource,
    private readonly vault: VaultFactSource,
    private readonly options: DecisionServiceOptions,
  ) {}

  /** The facts the core needs from the cluster, for one object in one namespace. */
  input(externalSecret: unknown, namespace: string, policies?: VaultPathPolicy[]): DecisionInput {
    const ref = storeRefOf(externalSecret);
    return {
      externalSecret,
      namespace,
      namespaceLabels: this.cluster.namespaceLabels(namespace),
      store: ref.name ? this.cluster.store(ref.kind, ref.name, namespace) : unavailable('no store named'),
      policies: policies ? { state: 'ok', value: policies } : this.cluster.pathPolicies(),
      options: this.options,
    };
  }

  async evaluate(externalSecret: unknown, namespace: string): Promise<Verdict> {
    return this.decide(this.input(externalSecret, namespace));
  }

  async decide(input: DecisionInput): Promise<Verdict> {
    const analysis = analyze(input);
    let answers = new Map<string, VaultAnswer>();
    if (analysis.vault) {
      const request = analysis.vault;
      try {
        answers = await withDeadline(this.vault.answer(request), this.options.vaultDeadlineMs, 'Vault checks');
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        answers = new Map(request.questions.map((q) => [q.id, unavailable(reason)]));
      }
    }
    return analysis.decide(answers);
  }
}
