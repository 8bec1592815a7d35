// Turning findings into what kubectl shows: one denial message with a header naming the
// object and one indented line per problem, and short warning lines.
import type { Finding } from './facts.js';

export function objectLabel(kind: string, namespace: string, name: string): string {
  return `${kind} ${namespace ? `${namespace}/` : ''}${name || '(generated name)'}`;
}

export function findingLine(finding: Finding): string {
  return `${finding.field}: ${finding.message}`;
}

export function denialMessage(object: string, violations: readonly Finding[]): string {
  return [`${object}:`, ...violations.map((v) => `  ${findingLine(v)}`)].join('\n');
}

/** kubectl prints each warning on its own "Warning:" line; the apiserver may truncate past 256 characters. */
export function warningLines(warnings: readonly Finding[]): string[] {
  return warnings.map((w) => {
    const line = findingLine(w);
    return line.length > 256 ? `${line.slice(0, 253)}...` : line;
  });
}
