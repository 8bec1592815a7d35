// The dry-run API's request and response schemas (TypeBox). Closed sets of strings are
// enums, not unions of literals, so serializing a thousand results never runs a validator
// per value. They are the contract in every direction: fastify validates the query and headers with them, the parse worker checks
// every document against KubernetesDocument, fastify serializes replies through them (a
// field not declared here can never reach a caller, so nothing beyond a verdict's names,
// fields and paths leaves the server), and @fastify/swagger generates the OpenAPI document
// from them. Invariant: no schema here has a place for a secret value or a token.
import { Type, type Static } from 'typebox';
import type { CheckName } from '../core/facts.js';

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

export const DryRunQuery = Type.Object({
  namespace: Type.Optional(
    Type.String({
      pattern: DNS_LABEL,
      maxLength: 63,
      description: 'namespace for objects that do not name one (as kubectl -n); default "default"',
    }),
  ),
});
export type DryRunQuery = Static<typeof DryRunQuery>;

export const BearerHeaders = Type.Object({
  authorization: Type.Optional(Type.String({ description: 'Bearer <Kubernetes token>; checked with a TokenReview' })),
});

/**
 * What every document (and every item of a List) must be before it is looked at further.
 * Anything else about it is the decision core's business, field by field.
 */
export const KubernetesDocument = Type.Object(
  {
    apiVersion: Type.String({ minLength: 1 }),
    kind: Type.String({ minLength: 1 }),
    metadata: Type.Optional(
      Type.Object({
        name: Type.Optional(Type.String()),
        generateName: Type.Optional(Type.String()),
        namespace: Type.Optional(Type.String()),
      }),
    ),
    items: Type.Optional(Type.Array(Type.Unknown(), { description: 'a List (kind List or any *List): each item is judged as its own object' })),
  },
  {
    description:
      'One Kubernetes object: an external-secrets.io/v1 ExternalSecret is judged, a List is judged item by item, any other kind is reported as skipped. ' +
      'As YAML, the body may hold several documents separated by --- (as kustomize build prints).',
  },
);

export const YamlBody = Type.String({
  description: 'YAML: one object, a List, or several documents separated by --- (as kustomize build prints)',
});

// The core's CheckName, spelled out; the line below fails to compile if they drift apart.
const Check = Type.Enum(['structure', 'limit', 'store', 'policy', 'capability', 'existence', 'unavailable', 'unchecked'], { description: 'which check found it' });
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Same<Static<typeof Check>, CheckName>;

export const Finding = Type.Object({
  field: Type.String({ description: 'field path in the object, e.g. spec.data[1].remoteRef.property' }),
  message: Type.String(),
  check: Check,
  policy: Type.Optional(Type.String({ description: 'the VaultPathPolicy behind a policy finding' })),
});

export const JsonPatchOperation = Type.Object({
  op: Type.Enum(['add', 'replace', 'remove']),
  path: Type.String(),
  value: Type.Optional(Type.Unknown()),
});

const StoreRef = Type.Object({
  kind: Type.Enum(['SecretStore', 'ClusterSecretStore']),
  name: Type.String(),
});

export const ResolvedPath = Type.Object({
  field: Type.String(),
  store: StoreRef,
  kvPath: Type.String({ description: '<mount>/<key> as `vault kv get` names it' }),
  apiPath: Type.String({ description: 'the HTTP API path the store identity reads' }),
  policy: Type.Enum(['allowed', 'denied'], { description: "the namespace's VaultPathPolicy verdict on this path" }),
});

export const Source = Type.Object(
  {
    document: Type.Integer({ minimum: 1, description: 'document number in the body, counting from 1' }),
    line: Type.Optional(Type.Integer({ minimum: 1, description: 'line in the body where the object starts (YAML bodies)' })),
    item: Type.Optional(Type.Integer({ minimum: 0, description: 'index in the List items, counting from 0' })),
  },
  { description: 'where the object is in the request body' },
);
export type Source = Static<typeof Source>;

export const Outcome = Type.Enum(['allowed', 'denied', 'forbidden', 'skipped', 'error'], {
    description:
      'allowed/denied: the verdict admission would give; forbidden: the caller may not create ExternalSecrets in the namespace (no verdict); ' +
      'skipped: not an ExternalSecret; error: the document could not be read',
});
export type Outcome = Static<typeof Outcome>;

export const ObjectResult = Type.Object({
  source: Source,
  outcome: Outcome,
  apiVersion: Type.Optional(Type.String()),
  kind: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  allowed: Type.Optional(Type.Boolean({ description: 'present for allowed and denied' })),
  code: Type.Optional(Type.Integer({ description: '403 for a forbidden object' })),
  message: Type.Optional(
    Type.String({ description: 'denied: the message admission gives, word for word; forbidden, skipped, error: why' }),
  ),
  violations: Type.Optional(Type.Array(Finding)),
  warnings: Type.Optional(Type.Array(Finding)),
  mutation: Type.Optional(Type.Array(JsonPatchOperation, { description: "the JSON Patch vaultgate's mutating webhook applies (defaults made explicit)" })),
  paths: Type.Optional(Type.Array(ResolvedPath, { description: 'the Vault paths the object resolves (never their values)' })),
});
export type ObjectResult = Static<typeof ObjectResult>;

export const DryRunSummary = Type.Object({
  objects: Type.Integer({ description: 'objects read from the body (documents and List items)' }),
  externalSecrets: Type.Integer(),
  allowed: Type.Integer(),
  denied: Type.Integer(),
  forbidden: Type.Integer(),
  skipped: Type.Integer(),
  errors: Type.Integer(),
});
export type DryRunSummary = Static<typeof DryRunSummary>;

export const DryRunResult = Type.Object({
  results: Type.Array(ObjectResult, { description: 'one entry per object, in the order of the body' }),
  summary: DryRunSummary,
});
export type DryRunResult = Static<typeof DryRunResult>;

const ObjectRef = {
  namespace: Type.String(),
  name: Type.String(),
  store: StoreRef,
};

export const PolicyImpactResult = Type.Object({
  policies: Type.Array(
    Type.Object({
      name: Type.String({ description: 'name of a candidate VaultPathPolicy' }),
      change: Type.Enum(['created', 'changed'], { description: 'whether a policy of that name exists' }),
    }),
    { description: 'the candidates, in the order of the body' },
  ),
  newlyDenied: Type.Array(
    Type.Object({
      ...ObjectRef,
      violations: Type.Array(Finding, { description: 'the findings the candidate adds' }),
      message: Type.String({ description: 'the whole message admission would give with the candidate applied' }),
    }),
  ),
  newlyAllowed: Type.Array(
    Type.Object({
      ...ObjectRef,
      resolved: Type.Array(Finding, { description: 'the findings the candidate removes' }),
    }),
  ),
  summary: Type.Object({
    externalSecrets: Type.Integer({ description: 'ExternalSecrets in the cluster' }),
    reconsidered: Type.Integer({ description: 'those a candidate or the policy it replaces selects (the others cannot change)' }),
    newlyDenied: Type.Integer(),
    newlyAllowed: Type.Integer(),
  }),
});
export type PolicyImpactResult = Static<typeof PolicyImpactResult>;

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'HTTP reason phrase' }),
  code: Type.Optional(Type.String()),
  message: Type.String(),
});
export type ErrorBody = Static<typeof ErrorBody>;
