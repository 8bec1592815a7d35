// Every ExternalSecret in the cluster, read page by page when the policy impact mode asks
// (not watched: only that rare question needs them, and a fresh list is never stale).
// Bounded: more than `max` objects, or a list slower than its deadline, is an error that
// says so, never a silently partial answer.
import * as k8s from '@kubernetes/client-node';
import { ESO_GROUP, ESO_VERSION, type ExternalSecret } from '../eso/types.js';
import { withDeadline } from '../util/deadline.js';
import { describeKubeError } from './informers.js';

export interface ExternalSecretLister {
  /** every ExternalSecret, or a TooManyExternalSecrets / ListUnavailable error */
  list(max: number, signal: AbortSignal): Promise<ExternalSecret[]>;
}

export class TooManyExternalSecrets extends Error {}
export class ListUnavailable extends Error {}

const PAGE = 500;

/** Custom objects come back as plain JSON: the list's continue token is `continue`. */
interface ExternalSecretPage {
  items: ExternalSecret[];
  metadata?: { continue?: string };
}

export class KubeExternalSecretLister implements ExternalSecretLister {
  private readonly custom: k8s.CustomObjectsApi;

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly timeoutMs: number,
  ) {
    this.custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  }

  async list(max: number, signal: AbortSignal): Promise<ExternalSecret[]> {
    const all: ExternalSecret[] = [];
    let next: string | undefined;
    do {
      signal.throwIfAborted();
      let page: ExternalSecretPage;
      try {
        page = (await withDeadline(
          this.custom.listClusterCustomObject({ group: ESO_GROUP, version: ESO_VERSION, plural: 'externalsecrets', limit: PAGE, ...(next ? { _continue: next } : {}) }),
          this.timeoutMs,
          'listing ExternalSecrets',
        )) as ExternalSecretPage;
      } catch (error) {
        throw new ListUnavailable(`could not list ExternalSecrets: ${describeKubeError(error)}`);
      }
      all.push(...page.items);
      if (all.length > max) {
        throw new TooManyExternalSecrets(`the cluster holds more than ${max} ExternalSecrets, more than one policy check may judge (--dry-run-max-cluster-objects)`);
      }
      next = page.metadata?.continue || undefined;
    } while (next);
    return all;
  }
}
