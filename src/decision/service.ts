// Gathers the facts one ExternalSecret needs (cluster state from informers, Vault answers
// through the gateway) and hands them to the pure decision core. Every door (admission,
// dry-run, reconciler) decides through this.
import { decide, storeRefOf, vaultQuestions } from '../core/decide.js';
import { unavailable, type DecisionInput, type DecisionOptions, type Lookup, type VaultAnswer, type Verdict } from '../core/facts.js';
import type { ExternalSecret, SecretStore, StoreKind, VaultPathPolicy } from '../eso/types.js';
import type { StoreContext } from '../vault/gateway.js';
import { withDeadline } from '../util/deadline.js';

export interface ClusterFactSource {
  namespaceLabels(namespace: string): Lookup<Record<string, string>>;
  store(kind: StoreKind, name: string, namespace: string): Lookup<SecretStore>;
  pathPolicies(): Lookup<VaultPathPolicy[]>;
}

export interface VaultFactSource {
  answer(context: StoreContext, questions: ReturnType<typeof vaultQuestions>): Promise<Map<string, VaultAnswer>>;
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

  async evaluate(externalSecret: ExternalSecret, namespace: string): Promise<Verdict> {
    const ref = storeRefOf(externalSecret);
    const input: DecisionInput = {
      externalSecret,
      namespace,
      namespaceLabels: this.cluster.namespaceLabels(namespace),
      store: ref.name ? this.cluster.store(ref.kind, ref.name, namespace) : unavailable('no store named'),
      policies: this.cluster.pathPolicies(),
      options: this.options,
    };
    const questions = vaultQuestions(input);
    let answers = new Map<string, VaultAnswer>();
    if (questions.length > 0 && input.store.state === 'ok') {
      const context: StoreContext = { store: input.store.value, kind: ref.kind, namespace };
      try {
        answers = await withDeadline(this.vault.answer(context, questions), this.options.vaultDeadlineMs, 'Vault checks');
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        answers = new Map(questions.map((q) => [q.id, unavailable(reason)]));
      }
    }
    return decide(input, answers);
  }
}
