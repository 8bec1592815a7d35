// What a PEM certificate, bundle or key pair says, read with node:crypto's X509Certificate:
// validity, names, fingerprints, who signed whom, whether a key belongs to a certificate.
// Pure: no I/O, no clock (callers pass `now`). Never returns or logs key material; a
// fingerprint (SHA-256 of the DER certificate) is what identifies a certificate everywhere.
import { createPrivateKey, X509Certificate } from 'node:crypto';

export interface CertificateFacts {
  /** SHA-256 of the DER encoding, colon-separated hex as node prints it */
  fingerprint: string;
  notBefore: number;
  notAfter: number;
  isAuthority: boolean;
  dnsNames: string[];
  ipAddresses: string[];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, in order, each as its own PEM block. */
export function splitPemCertificates(bundle: string): string[] {
  return bundle.match(PEM_CERTIFICATE) ?? [];
}

export function joinPemCertificates(certificates: readonly string[]): string {
  return certificates.map((pem) => `${pem.trim()}\n`).join('');
}

function parse(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function subjectAltNames(x509: X509Certificate): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  // Node prints "DNS:a, DNS:b, IP Address:127.0.0.1"; names in our certificates hold no commas.
  for (const entry of (x509.subjectAltName ?? '').split(', ')) {
    if (entry.startsWith('DNS:')) dnsNames.push(entry.slice(4));
    else if (entry.startsWith('IP Address:')) ipAddresses.push(entry.slice(11));
  }
  return { dnsNames, ipAddresses };
}

/** Facts of the first certificate of a PEM text, or undefined if it does not parse. */
export function certificateFacts(pem: string): CertificateFacts | undefined {
  const x509 = parse(pem);
  if (!x509) return undefined;
  return {
    fingerprint: x509.fingerprint256,
    notBefore: Date.parse(x509.validFrom),
    notAfter: Date.parse(x509.validTo),
    isAuthority: x509.ca,
    ...subjectAltNames(x509),
  };
}

/** Whether the private key (PEM) is the one of the certificate (PEM). */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  const x509 = parse(certPem);
  if (!x509) return false;
  try {
    return x509.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** Index in `authorities` (PEM each) of the CA that issued and signed `certPem`, or -1. */
export function issuerIndex(certPem: string, authorities: readonly string[]): number {
  const x509 = parse(certPem);
  if (!x509) return -1;
  return authorities.findIndex((pem) => {
    const ca = parse(pem);
    return ca !== undefined && ca.ca && x509.checkIssued(ca) && x509.verify(ca.publicKey);
  });
}

/**
 * Whether a client trusting exactly `bundlePem` accepts `certPem` at `now`: some CA of the
 * bundle, itself valid, signed it, and it is valid. (One level: vaultgate's own CAs issue
 * serving certificates directly; a mounted chain is left to whoever manages its caBundle.)
 */
export function trustedBy(certPem: string, bundlePem: string, now: number): boolean {
  const leaf = certificateFacts(certPem);
  if (!leaf || leaf.notBefore > now || leaf.notAfter <= now) return false;
  const authorities = splitPemCertificates(bundlePem);
  const index = issuerIndex(certPem, authorities);
  if (index < 0) return false;
  const ca = certificateFacts(authorities[index] ?? '');
  return ca !== undefined && ca.notBefore <= now && ca.notAfter > now;
}
