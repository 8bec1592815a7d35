// What `vaultgate check` prints and the exit code it ends with. Text reads like kubectl's
// rejection: a header naming the file and object, one indented line per problem in the
// words admission uses (the server's `message`), warnings as "Warning:" lines, then one
// summary line. JSON is the server's per-object results with the file each came from.
// Exit codes: 0 everything allowed; 1 a denial (or a document that cannot be read, which
// kubectl apply would refuse too); 2 the check itself could not be done (usage, connection,
// credentials, a forbidden namespace, a limit) — 2 wins, because the answer is incomplete.
import { warningLines } from '../core/message.js';
import type { DryRunResult, ObjectResult, PolicyImpactResult, Source } from '../dryrun/schemas.js';

export type FileOutcome = { file: string; result: DryRunResult } | { file: string; failure: { status?: number; message: string } };

export interface CheckReport {
  results: (ObjectResult & { file: string })[];
  failures: { file: string; status?: number; message: string }[];
  summary: { files: number; objects: number; externalSecrets: number; allowed: number; denied: number; forbidden: number; skipped: number; errors: number; failedFiles: number };
}

export const EXIT = { allowed: 0, denied: 1, incomplete: 2 } as const;

export function checkReport(outcomes: readonly FileOutcome[]): CheckReport {
  const results = outcomes.flatMap((o) => ('result' in o ? o.result.results.map((r) => ({ file: o.file, ...r })) : []));
  const failures = outcomes.flatMap((o) => ('failure' in o ? [{ file: o.file, ...o.failure }] : []));
  const count = (outcome: ObjectResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  const summary = {
    files: outcomes.length,
    objects: results.length,
    externalSecrets: count('allowed') + count('denied') + count('forbidden'),
    allowed: count('allowed'),
    denied: count('denied'),
    forbidden: count('forbidden'),
    skipped: count('skipped'),
    errors: count('error'),
    failedFiles: failures.length,
  };
  return { results, failures, summary };
}

export function checkExitCode(report: CheckReport): number {
  if (report.summary.failedFiles > 0 || report.summary.forbidden > 0) return EXIT.incomplete;
  if (report.summary.denied > 0 || report.summary.errors > 0) return EXIT.denied;
  return EXIT.allowed;
}

const where = (file: string, source: Source) => `"${file}" document ${source.document}${source.item !== undefined ? ` item ${source.item}` : ''}${source.line ? ` (line ${source.line})` : ''}`;
const indent = (text: string, by = '  ') => text.split('\n').map((line) => `${by}${line}`).join('\n');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function checkText(report: CheckReport): string {
  const out: string[] = [];
  for (const failure of report.failures) {
    out.push(`error: "${failure.file}": ${failure.status ? `${failure.status} ` : ''}${failure.message}`);
  }
  for (const result of report.results) {
    const at = where(result.file, result.source);
    switch (result.outcome) {
      case 'denied':
        out.push(`Error from vaultgate (Denied): ${at}: ${result.message ?? ''}`);
        break;
      case 'forbidden':
        out.push(`Error from vaultgate (Forbidden): ${at}: ${result.message ?? ''}`);
        break;
      case 'error':
        out.push(`error: ${at}: ${result.message ?? ''}`);
        break;
      default:
        break;
    }
    const warnings = warningLines(result.warnings ?? []);
    if (warnings.length > 0) {
      if (result.outcome === 'allowed') out.push(`${at}: ExternalSecret ${result.namespace ?? ''}/${result.name ?? ''}:`);
      out.push(...warnings.map((line) => `  Warning: ${line}`));
    }
  }
  const s = report.summary;
  const parts = [`${s.allowed} allowed`, `${s.denied} denied`];
  if (s.forbidden > 0) parts.push(`${s.forbidden} forbidden`);
  const rest = [
    s.skipped > 0 ? `${plural(s.skipped, 'other object')} skipped` : '',
    s.errors > 0 ? plural(s.errors, 'unreadable document') : '',
    s.failedFiles > 0 ? `${plural(s.failedFiles, 'file')} not checked` : '',
  ].filter(Boolean);
  out.push(`${plural(s.externalSecrets, 'ExternalSecret')} in ${plural(s.files, 'file')}: ${parts.join(', ')}${rest.length > 0 ? `; ${rest.join(', ')}` : ''}`);
  return `${out.join('\n')}\n`;
}

export function policyExitCode(result: PolicyImpactResult): number {
  return result.newlyDenied.length > 0 ? EXIT.denied : EXIT.allowed;
}

export function policyText(file: string, result: PolicyImpactResult): string {
  const out: string[] = [];
  const names = result.policies.map((p) => `${p.name} (${p.change === 'created' ? 'new' : 'changed'})`).join(', ');
  const policy = `${result.policies.length === 1 ? 'VaultPathPolicy' : 'VaultPathPolicies'} ${names} from "${file}"`;
  if (result.newlyDenied.length > 0) {
    out.push(`Error from vaultgate (Denied): ${policy} would newly deny ${plural(result.newlyDenied.length, 'ExternalSecret')}:`);
    for (const denied of result.newlyDenied) out.push(indent(denied.message));
  }
  if (result.newlyAllowed.length > 0) {
    out.push(`${policy} would newly allow ${plural(result.newlyAllowed.length, 'ExternalSecret')}:`);
    for (const allowed of result.newlyAllowed) {
      out.push(`  ExternalSecret ${allowed.namespace}/${allowed.name}:`);
      out.push(...allowed.resolved.map((finding) => `    no longer: ${finding.field}: ${finding.message}`));
    }
  }
  const s = result.summary;
  out.push(`${plural(s.externalSecrets, 'ExternalSecret')} in the cluster, ${s.reconsidered} selected by a candidate or the policy it replaces: ${s.newlyDenied} newly denied, ${s.newlyAllowed} newly allowed`);
  return `${out.join('\n')}\n`;
}
