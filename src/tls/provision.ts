// Serving material made in one go, for whoever keeps it themselves: the in-process test
// harness, the benchmark and `make certs`; and the names a Service's certificate carries.
// vaultgate's own certificates are kept by selfManaged.ts (Secret, caBundle, rotation) or
// mounted.ts (files).
import { generateCertificateAuthority, issueCertificate, type KeyPair } from './certificates.js';
import { certificateFacts } from './inspect.js';

export interface ServingMaterial {
  key: string;
  cert: string;
  /** PEM CA that clients (the apiserver) must trust */
  ca: string;
}

const DAY_MS = 86_400_000;

/** The short, namespaced and cluster-local names of a Service. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

/** A serving certificate (one year) from the given CA, or from a new one if it expires within 60 days. */
export function issueServingMaterial(ca: KeyPair | undefined, dnsNames: string[], ipAddresses: string[] = []): ServingMaterial & { caKey: string } {
  const caNotAfter = ca ? (certificateFacts(ca.cert)?.notAfter ?? 0) : 0;
  const authority = ca && caNotAfter - Date.now() > 60 * DAY_MS ? ca : generateCertificateAuthority('vaultgate-webhook-ca');
  const leaf = issueCertificate(authority, { commonName: dnsNames[0] ?? ipAddresses[0] ?? 'vaultgate', dnsNames, ipAddresses, usage: 'server', validityDays: 365 });
  return { key: leaf.key, cert: leaf.cert, ca: authority.cert, caKey: authority.key };
}
