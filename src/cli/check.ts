// `vaultgate check`: the admission webhook's verdict before the apply, from CI or a shell.
// `-f <file|dir|->` sends manifests to POST /v1/dry-run (one request per file, a few at a
// time); `--policy <file>` asks POST /v1/dry-run/policy which existing ExternalSecrets a
// VaultPathPolicy would newly deny or allow. Output and exit codes: see checkReport.ts.
import { Command, CommanderError, Option } from 'commander';
import pLimit from 'p-limit';
import type { DryRunResult, ErrorBody, PolicyImpactResult } from '../dryrun/schemas.js';
import { gatherInputs, UsageError, type CheckInput } from './checkInput.js';
import { checkExitCode, checkReport, checkText, EXIT, policyExitCode, policyText, type FileOutcome } from './checkReport.js';
import { ConnectionError, post, readCa, resolveToken, serverUrl, type ServerTarget } from './dryRunClient.js';

export interface CheckOptions {
  filename?: string[];
  policy?: string;
  server?: string;
  token?: string;
  ca?: string;
  kubeconfig?: string;
  namespace?: string;
  output: 'text' | 'json';
  timeout: number;
}

/** Where the command writes; tests pass their own. */
export interface CheckIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<Buffer>;
}

const CONTENT_TYPES = { json: 'application/json', yaml: 'application/yaml' } as const;
const FILES_IN_FLIGHT = 4;

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CommanderError(2, 'vaultgate.invalidArgument', `${value} is not a positive whole number`);
  return n;
};

export function checkCommand(io: CheckIo = processIo()): Command {
  return new Command('check')
    .description("judge ExternalSecret manifests as vaultgate's admission webhook would, before they are applied")
    .addOption(new Option('-f, --filename <path>', 'a file, a directory (read recursively for .yaml, .yml, .json), or - for standard input; repeatable').argParser(collect))
    .option('--policy <file>', 'instead: which existing ExternalSecrets this VaultPathPolicy would newly deny or allow')
    .addOption(new Option('--server <url>', "vaultgate's HTTPS address").env('VAULTGATE_SERVER'))
    .addOption(new Option('--ca <file>', "CA certificate (PEM) that signed vaultgate's serving certificate").env('VAULTGATE_CA'))
    .addOption(new Option('--token <token>', 'Kubernetes token to call with (default: the current kubeconfig user\'s bearer token)').env('VAULTGATE_TOKEN'))
    .option('--kubeconfig <path>', 'kubeconfig to take the token from (default: $KUBECONFIG, then ~/.kube/config)')
    .option('-n, --namespace <name>', 'namespace for objects that do not name one (the server defaults to "default")')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--timeout <ms>', 'how long to wait for each answer', positiveInt, 120_000)
    .addHelpText(
      'after',
      `
Exit codes: 0 every ExternalSecret would be admitted; 1 one would be denied (or a document
cannot be read); 2 the check could not be done (usage, connection, token, a namespace you
may not create ExternalSecrets in, a server limit).

Examples:
  vaultgate check -f deploy/                      # every .yaml, .yml and .json under deploy/
  kustomize build overlays/prod | vaultgate check -f -
  vaultgate check -f es.yaml -o json
  vaultgate check --policy vaultpathpolicy.yaml   # impact of a policy change on the cluster`,
    )
    .exitOverride()
    .action(async (options: CheckOptions) => {
      process.exitCode = await runCheck(options, io);
    });
}

export async function runCheck(options: CheckOptions, io: CheckIo): Promise<number> {
  try {
    const files = options.filename ?? [];
    if (options.policy && files.length > 0) throw new UsageError('give either -f (ExternalSecrets) or --policy (a VaultPathPolicy), not both');
    if (!options.policy && files.length === 0) throw new UsageError('nothing to check: give -f <file|dir|-> or --policy <file> (see --help)');
    const url = serverUrl(options.server);
    const ca = await readCa(options.ca);
    const target: ServerTarget = { url, token: await resolveToken(options.token, options.kubeconfig), timeoutMs: options.timeout, ...(ca ? { ca } : {}) };
    return options.policy ? await checkPolicy(options.policy, target, options, io) : await checkFiles(files, options, target, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConnectionError) {
      io.stderr(`vaultgate check: ${error.message}\n`);
      return EXIT.incomplete;
    }
    throw error;
  }
}

async function checkFiles(files: string[], options: CheckOptions, target: ServerTarget, io: CheckIo): Promise<number> {
  const inputs = await gatherInputs(files, io.readStdin);
  const query = options.namespace ? `?namespace=${encodeURIComponent(options.namespace)}` : '';
  const limit = pLimit(FILES_IN_FLIGHT);
  const outcomes = await Promise.all(inputs.map((input) => limit(() => checkOne(input, target, `v1/dry-run${query}`))));
  const report = checkReport(outcomes);
  io.stdout(options.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : checkText(report));
  return checkExitCode(report);
}

async function checkOne(input: CheckInput, target: ServerTarget, path: string): Promise<FileOutcome> {
  try {
    const reply = await post(target, path, input.bytes, CONTENT_TYPES[input.format]);
    if ((reply.status === 200 || reply.status === 403) && isDryRunResult(reply.body)) return { file: input.name, result: reply.body };
    return { file: input.name, failure: { status: reply.status, message: messageOf(reply.body) } };
  } catch (error) {
    if (error instanceof ConnectionError) return { file: input.name, failure: { message: error.message } };
    throw error;
  }
}

async function checkPolicy(file: string, target: ServerTarget, options: CheckOptions, io: CheckIo): Promise<number> {
  const [input] = await gatherInputs([file], io.readStdin);
  if (!input) throw new UsageError(`${file}: nothing to read`);
  const reply = await post(target, 'v1/dry-run/policy', input.bytes, CONTENT_TYPES[input.format]);
  if (reply.status !== 200 || !isPolicyImpact(reply.body)) {
    io.stderr(`vaultgate check: "${input.name}": ${reply.status} ${messageOf(reply.body)}\n`);
    return EXIT.incomplete;
  }
  io.stdout(options.output === 'json' ? `${JSON.stringify({ file: input.name, ...reply.body }, null, 2)}\n` : policyText(input.name, reply.body));
  return policyExitCode(reply.body);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isDryRunResult = (body: unknown): body is DryRunResult => isRecord(body) && Array.isArray(body.results) && isRecord(body.summary);
const isPolicyImpact = (body: unknown): body is PolicyImpactResult => isRecord(body) && Array.isArray(body.newlyDenied) && Array.isArray(body.newlyAllowed);
const messageOf = (body: unknown): string => (isRecord(body) && typeof body.message === 'string' ? (body as ErrorBody).message : 'unexpected answer from the server');

function processIo(): CheckIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}
