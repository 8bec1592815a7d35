// Certificate authority and leaf certificates for the webhook server (and for the local
// test cluster). Keys come from node:crypto because forge's pure-JS RSA key generation
// takes seconds; node-forge builds and signs the X.509 structures.
// Invariant: every certificate starts a little in the past (clock skew) and a leaf never
// outlives the limit it is given (its CA's notAfter).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface KeyPair {
  /** PEM certificate */
  cert: string;
  /** PEM private key (PKCS#1 or PKCS#8) */
  key: string;
}

export interface LeafOptions {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  organizations?: string[];
  usage: 'server' | 'client' | 'both';
  validityDays?: number;
  /** overrides validityDays; certificates that live seconds exist in tests of rotation */
  validityMs?: number;
  /** never valid past this instant (the signing CA's notAfter) */
  notAfterLimit?: Date;
  /** the instant validity counts from (default: now) */
  issuedAt?: number;
}

export interface AuthorityOptions {
  validityMs: number;
  issuedAt?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * Back-date certificates so small clock skews between processes don't reject them: five
 * minutes, or a tenth of the validity for certificates that live less than 50 minutes
 * (otherwise the back-dating would be most of their life).
 */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export function backdateMs(validityMs: number): number {
  return Math.min(CLOCK_SKEW_MS, Math.floor(validityMs / 10));
}

function newRsaKeyPair(): forge.pki.rsa.KeyPair {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey);
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  return { privateKey: forgeKey, publicKey };
}

function serialNumber(): string {
  // Positive 128-bit serial: clear the top bit so DER doesn't read it as negative.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, validityMs: number, notAfterLimit?: Date, now = Date.now()): void {
  cert.validity.notBefore = new Date(now - backdateMs(validityMs));
  const notAfter = now + validityMs;
  cert.validity.notAfter = new Date(notAfterLimit ? Math.min(notAfter, notAfterLimit.getTime()) : notAfter);
}

export function generateCertificateAuthority(commonName: string, validityDays = 3650): KeyPair {
  return createCertificateAuthority(commonName, { validityMs: validityDays * DAY_MS });
}

export function createCertificateAuthority(commonName: string, options: AuthorityOptions): KeyPair {
  const keys = newRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, options.validityMs, undefined, options.issuedAt);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

export function issueCertificate(ca: KeyPair, options: LeafOptions): KeyPair {
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const keys = newRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  validity(cert, options.validityMs ?? (options.validityDays ?? 365) * DAY_MS, options.notAfterLimit ?? caCert.validity.notAfter, options.issuedAt);
  const subject: forge.pki.CertificateField[] = [{ name: 'commonName', value: options.commonName }];
  for (const org of options.organizations ?? []) subject.push({ name: 'organizationName', value: org });
  cert.setSubject(subject);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(options.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    {
      name: 'extKeyUsage',
      serverAuth: options.usage !== 'client',
      clientAuth: options.usage !== 'server',
    },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}
