// Who is calling the dry-run endpoints, and what they may do: the port the HTTP layer asks
// (src/kube/access.ts answers it with TokenReview and SubjectAccessReview; unit tests
// answer it with a fake). Without these checks the endpoints would be an oracle for what
// exists in Vault. Invariant: a token is only ever passed through, never kept, logged or
// put in a message.

export interface Caller {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type Authentication = { authenticated: true; caller: Caller } | { authenticated: false; reason: string };

/** The resource a caller wants to act on, as a SubjectAccessReview names it. */
export interface ResourceAttributes {
  group: string;
  resource: string;
  verb: string;
  /** absent for cluster-scoped resources */
  namespace?: string;
}

export interface Authorization {
  allowed: boolean;
  /** the authorizer's own reason, when it gave one */
  reason?: string;
}

export interface AccessReviewer {
  authenticate(token: string): Promise<Authentication>;
  authorize(caller: Caller, attributes: ResourceAttributes): Promise<Authorization>;
}

/** The Kubernetes API could not answer a review; the request is answered 503, never allowed. */
export class AccessReviewUnavailable extends Error {}

/** A bearer token from an Authorization header, or undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header ?? '');
  return match?.[1];
}

/** kubectl's words for a refused request, so the dry run reads like the apply would. */
export function forbiddenMessage(caller: Caller, attributes: ResourceAttributes, authorization: Authorization): string {
  const resource = attributes.group ? `${attributes.resource}.${attributes.group}` : attributes.resource;
  const where = attributes.namespace ? ` in the namespace "${attributes.namespace}"` : ' at the cluster scope';
  const reason = authorization.reason ? `: ${authorization.reason}` : '';
  return `${resource} is forbidden: User "${caller.username}" cannot ${attributes.verb} resource "${attributes.resource}" in API group "${attributes.group}"${where}${reason}`;
}
