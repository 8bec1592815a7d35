// The Kubernetes adapter for the dry-run endpoints' access checks: TokenReview (who is the
// caller) and SubjectAccessReview (may they do this), both with vaultgate's own identity
// (manifests/rbac.yaml grants create on both). Answers are reused for a few seconds so a
// CI run of many files costs one review per namespace, not one per object; a token is
// cached only as its SHA-256, never as itself.
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import { AccessReviewUnavailable, type AccessReviewer, type Authentication, type Authorization, type Caller, type ResourceAttributes } from '../dryrun/access.js';
import { withDeadline } from '../util/deadline.js';
import { describeKubeError } from './informers.js';

export interface KubeAccessReviewerOptions {
  timeoutMs: number;
  /** how long an answer is reused: a revoked token or binding takes effect after this */
  cacheTtlMs: number;
}

export class KubeAccessReviewer implements AccessReviewer {
  private readonly authentication: k8s.AuthenticationV1Api;
  private readonly authorization: k8s.AuthorizationV1Api;
  private readonly tokens: LRUCache<string, Authentication>;
  private readonly decisions: LRUCache<string, Authorization>;

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly options: KubeAccessReviewerOptions,
  ) {
    this.authentication = kubeConfig.makeApiClient(k8s.AuthenticationV1Api);
    this.authorization = kubeConfig.makeApiClient(k8s.AuthorizationV1Api);
    this.tokens = new LRUCache({ max: 1000, ttl: Math.max(1, options.cacheTtlMs) });
    this.decisions = new LRUCache({ max: 10_000, ttl: Math.max(1, options.cacheTtlMs) });
  }

  async authenticate(token: string): Promise<Authentication> {
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.tokens.get(key);
    if (cached) return cached;
    const review = await this.ask('TokenReview', this.authentication.createTokenReview({ body: { spec: { token } } }));
    const status = review.status;
    const user = status?.user;
    const answer: Authentication =
      status?.authenticated && user?.username
        ? {
            authenticated: true,
            caller: {
              username: user.username,
              groups: user.groups ?? [],
              ...(user.uid ? { uid: user.uid } : {}),
              ...(user.extra ? { extra: user.extra } : {}),
            },
          }
        : { authenticated: false, reason: 'the token was not accepted by the Kubernetes API (TokenReview)' };
    this.tokens.set(key, answer);
    return answer;
  }

  async authorize(caller: Caller, attributes: ResourceAttributes): Promise<Authorization> {
    const key = JSON.stringify([caller.username, caller.uid, caller.groups, caller.extra, attributes]);
    const cached = this.decisions.get(key);
    if (cached) return cached;
    const review = await this.ask(
      'SubjectAccessReview',
      this.authorization.createSubjectAccessReview({
        body: {
          spec: {
            user: caller.username,
            groups: caller.groups,
            ...(caller.uid ? { uid: caller.uid } : {}),
            ...(caller.extra ? { extra: caller.extra } : {}),
            resourceAttributes: { ...attributes },
          },
        },
      }),
    );
    const status = review.status;
    const answer: Authorization = { allowed: status?.allowed === true && status.denied !== true, ...(status?.reason ? { reason: status.reason } : {}) };
    this.decisions.set(key, answer);
    return answer;
  }

  private async ask<T>(what: string, call: Promise<T>): Promise<T> {
    try {
      return await withDeadline(call, this.options.timeoutMs, what);
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 403) {
        throw new AccessReviewUnavailable(`vaultgate may not create ${what.toLowerCase()}s (RBAC: see manifests/rbac.yaml)`);
      }
      throw new AccessReviewUnavailable(`could not ask the Kubernetes API (${what}): ${describeKubeError(error)}`);
    }
  }
}
