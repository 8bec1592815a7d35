// A small round-robin TCP proxy on loopback, standing in for a Service in front of several
// vaultgate replicas: each new connection goes to the next backend; a backend that refuses
// the connection is skipped for that connection (as a Service does once the endpoint of a
// dead pod is removed; this proxy does not model the seconds that removal takes). Bytes are
// relayed untouched, so TLS is end to end between the client and the replica.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface RoundRobinProxy {
  port: number;
  url: string;
  /** connections relayed to each backend, in the order the backends were given */
  relayed: number[];
  close(): Promise<void>;
}

function relay(client: Socket, upstream: Socket): void {
  client.pipe(upstream);
  upstream.pipe(client);
  // Either side going away ends the pair: a reset upstream becomes a reset to the client.
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}

export async function startRoundRobinProxy(backendPorts: number[]): Promise<RoundRobinProxy> {
  let next = 0;
  const relayed = backendPorts.map(() => 0);
  const open = new Set<Socket>();
  const dial = (client: Socket, attemptsLeft: number) => {
    if (attemptsLeft === 0 || client.destroyed) {
      client.destroy();
      return;
    }
    const index = next;
    next = (next + 1) % backendPorts.length;
    const upstream = connect({ host: '127.0.0.1', port: backendPorts[index] ?? 0 });
    open.add(upstream);
    upstream.once('close', () => open.delete(upstream));
    const refused = () => dial(client, attemptsLeft - 1);
    upstream.once('error', refused);
    upstream.once('connect', () => {
      upstream.off('error', refused);
      relayed[index] = (relayed[index] ?? 0) + 1;
      relay(client, upstream);
    });
  };
  const server: Server = createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    // Until the upstream is connected, what the client sends waits in its socket.
    client.on('error', () => client.destroy());
    dial(client, backendPorts.length);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    relayed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
