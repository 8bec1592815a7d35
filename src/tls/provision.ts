// Where the serving certificate comes from, and keeping it current:
// - generated: a CA and serving certificate kept in a Secret in vaultgate's namespace
//   (shared by all replicas), reissued before expiry, caBundle patched into the webhook
//   configurations;
// - files: mounted certificates (cert-manager), reloaded when the files change.
import { readFile } from 'node:fs/promises';
import { watchFile, unwatchFile } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { expiresInMs, generateCertificateAuthority, issueCertificate, type KeyPair } from './certificates.js';

export interface ServingMaterial {
  key: string;
  cert: string;
  /** PEM CA that clients (the apiserver) must trust */
  ca: string;
}

const DAY_MS = 86_400_000;
export const RENEW_BEFORE_MS = 30 * DAY_MS;

export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

export function issueServingMaterial(ca: KeyPair | undefined, dnsNames: string[], ipAddresses: string[] = []): ServingMaterial & { caKey: string } {
  const authority = ca && expiresInMs(ca.cert) > RENEW_BEFORE_MS * 2 ? ca : generateCertificateAuthority('vaultgate-webhook-ca');
  const leaf = issueCertificate(authority, { commonName: dnsNames[0] ?? 'vaultgate', dnsNames, ipAddresses, usage: 'server', validityDays: 365 });
  return { key: leaf.key, cert: leaf.cert, ca: authority.cert, caKey: authority.key };
}

export function needsRenewal(certPem: string, now = Date.now()): boolean {
  return expiresInMs(certPem, now) < RENEW_BEFORE_MS;
}

/** Reads the Secret, or creates/refreshes it; concurrent replicas converge on one Secret. */
export async function ensureServingSecret(
  kubeConfig: k8s.KubeConfig,
  namespace: string,
  secretName: string,
  dnsNames: string[],
  log: Logger,
): Promise<ServingMaterial> {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const decode = (secret: k8s.V1Secret, key: string) => (secret.data?.[key] ? Buffer.from(secret.data[key], 'base64').toString('utf8') : '');
  for (let attempt = 0; attempt < 5; attempt++) {
    let existing: k8s.V1Secret | undefined;
    try {
      existing = await core.readNamespacedSecret({ name: secretName, namespace });
    } catch (error) {
      if (!(error instanceof k8s.ApiException) || error.code !== 404) throw error;
    }
    const current = existing && { key: decode(existing, 'tls.key'), cert: decode(existing, 'tls.crt'), ca: decode(existing, 'ca.crt') };
    if (current?.key && current.cert && current.ca && !needsRenewal(current.cert)) return current;
    const caKey = existing ? decode(existing, 'ca.key') : '';
    const material = issueServingMaterial(current?.ca && caKey ? { cert: current.ca, key: caKey } : undefined, dnsNames);
    const body: k8s.V1Secret = {
      metadata: { name: secretName, namespace, labels: { 'app.kubernetes.io/name': 'vaultgate' }, ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}) },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.key': material.key, 'tls.crt': material.cert, 'ca.crt': material.ca, 'ca.key': material.caKey },
    };
    try {
      if (existing) await core.replaceNamespacedSecret({ name: secretName, namespace, body });
      else await core.createNamespacedSecret({ namespace, body });
      log.info({ secret: `${namespace}/${secretName}` }, 'issued serving certificate');
      return { key: material.key, cert: material.cert, ca: material.ca };
    } catch (error) {
      // Another replica won the race: read what it wrote.
      if (error instanceof k8s.ApiException && (error.code === 409 || error.code === 422)) continue;
      throw error;
    }
  }
  throw new Error(`could not settle Secret ${namespace}/${secretName} after 5 attempts`);
}

/** Sets caBundle on every webhook of the named configurations (both kinds). */
export async function patchCaBundle(kubeConfig: k8s.KubeConfig, configurationName: string, caPem: string, log: Logger): Promise<void> {
  const api = kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
  const caBundle = Buffer.from(caPem).toString('base64');
  const patchFor = (count: number) => Array.from({ length: count }, (_, i) => ({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle }));
  const options = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
  try {
    const validating = await api.readValidatingWebhookConfiguration({ name: configurationName });
    await api.patchValidatingWebhookConfiguration({ name: configurationName, body: patchFor(validating.webhooks?.length ?? 0) }, options);
    const mutating = await api.readMutatingWebhookConfiguration({ name: configurationName });
    await api.patchMutatingWebhookConfiguration({ name: configurationName, body: patchFor(mutating.webhooks?.length ?? 0) }, options);
    log.info({ configuration: configurationName }, 'caBundle registered');
  } catch (error) {
    if (error instanceof k8s.ApiException && error.code === 404) {
      log.warn({ configuration: configurationName }, 'webhook configuration not found; caBundle not registered');
      return;
    }
    throw error;
  }
}

/** Reloads mounted key and certificate when either file changes (polling survives symlink swaps). */
export function watchCertificateFiles(certFile: string, keyFile: string, onChange: (tls: { key: string; cert: string }) => void, log: Logger): () => void {
  const reload = async () => {
    try {
      const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
      onChange({ key, cert });
      log.info({ certFile }, 'serving certificate reloaded');
    } catch (error) {
      log.warn({ err: error, certFile }, 'could not reload serving certificate; keeping the current one');
    }
  };
  const listener = () => void reload();
  watchFile(certFile, { interval: 5000 }, listener);
  watchFile(keyFile, { interval: 5000 }, listener);
  return () => {
    unwatchFile(certFile, listener);
    unwatchFile(keyFile, listener);
  };
}
