// Baseline for the admission benchmark: a bare fastify HTTPS server that parses the same
// AdmissionReview and allows it, nothing else. Usage: bare-server.js <port> <cert> <key>
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [port = '0', certFile = '', keyFile = ''] = process.argv.slice(2);
const app = Fastify({ https: { cert: readFileSync(certFile), key: readFileSync(keyFile) }, bodyLimit: 7 * 1024 * 1024 });
app.post('/validate', async (request) => {
  const review = request.body as { request?: { uid?: string } };
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request?.uid ?? '', allowed: true } };
});
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port: Number(port) });
console.log('listening');
