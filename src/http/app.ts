// The HTTP layer: one fastify instance with the admission plugin, the dry-run plugin,
// health, readiness and metrics. TLS material is swapped in place (setSecureContext) so certificates rotate
// without a restart or a failed request: new connections get the new certificate, and a
// keep-alive connection made with an older one is closed after its next response (the
// response says `Connection: close`, so the client never races a silent close). Draining
// (graceful shutdown) does the same for every connection.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { admissionRoutes } from '../admission/routes.js';
import type { Evaluator, SecretCreator } from '../admission/handlers.js';
import { dryRunRoutes, type DryRunRoutesOptions } from '../dryrun/routes.js';
import type { Metrics } from '../metrics/registry.js';

export interface AppOptions {
  evaluator: Evaluator;
  metrics: Metrics;
  failureMode: 'closed' | 'open';
  /** serve HTTPS with this key pair; plain HTTP when absent (fastify.inject tests) */
  tls?: { key: string; cert: string };
  /** reasons the service is not ready; empty when it is */
  readiness: () => Promise<string[]>;
  /** a pino logger shared with the rest of the service; fastify makes its own when absent */
  logger?: FastifyBaseLogger;
  logLevel?: string;
  /** AdmissionReviews carry the object twice (object, oldObject); objects are ≤ 3 MiB */
  bodyLimitBytes?: number;
  /** writes target Secrets at admission */
  creator?: SecretCreator;
  /** serve POST /v1/dry-run and /v1/dry-run/policy (and their OpenAPI document) */
  dryRun?: Omit<DryRunRoutesOptions, 'metrics'>;
}

export function buildApp(options: AppOptions): FastifyInstance {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: { level: options.logLevel ?? 'info', redact: ['req.headers.authorization'] } }),
    // Per-request access logs would dominate admission cost; denials are logged by the plugin.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes ?? 7 * 1024 * 1024,
    ...(options.tls ? { https: { key: options.tls.key, cert: options.tls.cert } } : {}),
    // While closing, a request on a still-open keep-alive connection is answered, not
    // refused: a 503 would fail the admission (the apiserver does not retry it).
    return503OnClosing: false,
  }) as unknown as FastifyInstance;

  const connections: ConnectionState = { generation: 0, draining: false, ofSocket: new WeakMap() };
  connectionStates.set(app.server, connections);
  app.server.on('secureConnection', (socket: Socket) => connections.ofSocket.set(socket, connections.generation));
  // A callback hook, not an async one: this runs on every admission request.
  app.addHook('onRequest', (request, reply, done) => {
    const generation = connections.ofSocket.get(request.raw.socket) ?? connections.generation;
    if (connections.draining || generation < connections.generation) void reply.header('connection', 'close');
    done();
  });

  // AdmissionReviews are JSON only; anything else is a 415, not a parse attempt.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error: { statusCode?: number; message: string; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.code(status).send({ error: STATUS_CODES[status] ?? 'Error', code: error.code, message: status >= 500 ? 'internal error' : error.message });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const problems = await options.readiness();
    if (problems.length > 0) return reply.code(503).send({ status: 'not ready', problems });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
  void app.register(admissionRoutes, { evaluator: options.evaluator, metrics: options.metrics, failureMode: options.failureMode, ...(options.creator ? { creator: options.creator } : {}) });
  if (options.dryRun) void app.register(dryRunRoutes, { ...options.dryRun, metrics: options.metrics });
  return app;
}

/** Which certificate each TLS connection was made with, and whether the app is draining. */
interface ConnectionState {
  generation: number;
  draining: boolean;
  ofSocket: WeakMap<Socket, number>;
}

const connectionStates = new WeakMap<object, ConnectionState>();

/** Replaces the serving certificate of a running HTTPS app; new connections use it. */
export function reloadTls(app: FastifyInstance, tls: { key: string; cert: string }): void {
  (app.server as HttpsServer).setSecureContext({ key: tls.key, cert: tls.cert });
  const connections = connectionStates.get(app.server);
  if (connections) connections.generation++;
}

/** From now on every response closes its keep-alive connection (graceful shutdown). */
export function drainConnections(app: FastifyInstance): void {
  const connections = connectionStates.get(app.server);
  if (connections) connections.draining = true;
}
