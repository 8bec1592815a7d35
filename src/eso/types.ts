// The parts of External Secrets Operator's external-secrets.io/v1 API, and of vaultgate's
// own vaultgate.dev/v1alpha1 API, that vaultgate reads. All objects arrive from outside
// (admission requests, the API server, YAML files), so every field is optional here and
// checked where it is used.

export interface ObjectMeta {
  name?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type StoreKind = 'SecretStore' | 'ClusterSecretStore';

export interface SecretStoreRef {
  kind?: StoreKind | string;
  name?: string;
}

export interface RemoteRef {
  key?: string;
  property?: string;
  version?: string;
  conversionStrategy?: string;
  decodingStrategy?: string;
  metadataPolicy?: string;
}

export interface ExternalSecretData {
  secretKey?: string;
  remoteRef?: RemoteRef;
  sourceRef?: unknown;
}

export interface FindName {
  regexp?: string;
}

export interface ExternalSecretFind {
  path?: string;
  name?: FindName;
  tags?: Record<string, string>;
}

export interface ExternalSecretRewriteMerge {
  /** the target key of strategy JSON */
  into?: string;
  /** keys merged last, in this order, so their values win */
  priority?: string[];
  priorityPolicy?: 'IgnoreNotFound' | 'Strict';
  conflictPolicy?: 'Ignore' | 'Error';
  strategy?: 'Extract' | 'JSON';
}

export interface ExternalSecretRewrite {
  regexp?: { source?: string; target?: string };
  transform?: { template?: string };
  merge?: ExternalSecretRewriteMerge;
}

export interface ExternalSecretDataFrom {
  extract?: RemoteRef;
  find?: ExternalSecretFind & { conversionStrategy?: string; decodingStrategy?: string };
  rewrite?: ExternalSecretRewrite[];
  sourceRef?: unknown;
}

export type CreationPolicy = 'Owner' | 'Orphan' | 'Merge' | 'None';
export type DeletionPolicy = 'Delete' | 'Merge' | 'Retain';

export interface TemplateFrom {
  configMap?: { name?: string; items?: { key?: string; templateAs?: string }[] };
  secret?: { name?: string; items?: { key?: string; templateAs?: string }[] };
  literal?: string;
  target?: string;
}

export interface ExternalSecretTemplate {
  type?: string;
  engineVersion?: string;
  mergePolicy?: 'Replace' | 'Merge' | string;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  data?: Record<string, string>;
  templateFrom?: TemplateFrom[];
}

export interface ExternalSecretTarget {
  name?: string;
  creationPolicy?: CreationPolicy | string;
  deletionPolicy?: DeletionPolicy | string;
  immutable?: boolean;
  template?: ExternalSecretTemplate;
}

export interface ExternalSecretSpec {
  secretStoreRef?: SecretStoreRef;
  refreshInterval?: string;
  refreshPolicy?: string;
  target?: ExternalSecretTarget;
  data?: ExternalSecretData[];
  dataFrom?: ExternalSecretDataFrom[];
}

export interface ExternalSecretCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ExternalSecretStatus {
  refreshTime?: string | null;
  syncedResourceVersion?: string;
  binding?: { name?: string };
  conditions?: ExternalSecretCondition[];
}

export interface ExternalSecret {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: ExternalSecretSpec;
  status?: ExternalSecretStatus;
}

export interface SecretKeySelector {
  name?: string;
  key?: string;
  namespace?: string;
}

export interface ServiceAccountSelector {
  name?: string;
  namespace?: string;
  audiences?: string[];
}

export interface VaultKubernetesAuth {
  mountPath?: string;
  role?: string;
  serviceAccountRef?: ServiceAccountSelector;
  secretRef?: SecretKeySelector;
}

export interface VaultAppRoleAuth {
  path?: string;
  roleId?: string;
  roleRef?: SecretKeySelector;
  secretRef?: SecretKeySelector;
}

export interface VaultJwtAuth {
  path?: string;
  role?: string;
  secretRef?: SecretKeySelector;
  kubernetesServiceAccountToken?: {
    serviceAccountRef?: ServiceAccountSelector;
    audiences?: string[];
    expirationSeconds?: number;
  };
}

export interface VaultUsernameAuth {
  path?: string;
  username?: string;
  secretRef?: SecretKeySelector;
}

export interface VaultCertAuth {
  path?: string;
  clientCert?: SecretKeySelector;
  secretRef?: SecretKeySelector;
}

/** ESO's auth methods, in the order ESO tries them: the first one configured wins. */
export interface VaultAuth {
  namespace?: string;
  tokenSecretRef?: SecretKeySelector;
  appRole?: VaultAppRoleAuth;
  kubernetes?: VaultKubernetesAuth;
  ldap?: VaultUsernameAuth;
  userPass?: VaultUsernameAuth;
  jwt?: VaultJwtAuth;
  cert?: VaultCertAuth;
  iam?: Record<string, unknown>;
}

export interface CAProvider {
  type?: 'Secret' | 'ConfigMap' | string;
  name?: string;
  key?: string;
  namespace?: string;
}

export interface VaultProvider {
  server?: string;
  path?: string;
  version?: 'v1' | 'v2' | string;
  namespace?: string;
  /** base64 of the PEM bytes (a Go []byte); ESO also accepts base64 of base64 */
  caBundle?: string;
  caProvider?: CAProvider;
  tls?: { certSecretRef?: SecretKeySelector; keySecretRef?: SecretKeySelector };
  headers?: Record<string, string>;
  auth?: VaultAuth;
}

export interface ClusterSecretStoreCondition {
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  namespaceRegexes?: string[];
}

export interface SecretStoreSpec {
  controller?: string;
  provider?: { vault?: VaultProvider; [other: string]: unknown };
  conditions?: ClusterSecretStoreCondition[];
}

export interface SecretStore {
  apiVersion?: string;
  kind?: StoreKind | string;
  metadata?: ObjectMeta;
  spec?: SecretStoreSpec;
}

export interface VaultPathPolicySpec {
  namespaceSelector?: LabelSelector;
  stores?: { kind: StoreKind; name: string }[];
  allow?: string[];
  deny?: string[];
}

export interface VaultPathPolicy {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: VaultPathPolicySpec;
}

export const ESO_GROUP = 'external-secrets.io';
export const ESO_VERSION = 'v1';
export const VAULTGATE_GROUP = 'vaultgate.dev';
export const VAULTGATE_VERSION = 'v1alpha1';
