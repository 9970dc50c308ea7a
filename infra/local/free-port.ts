/**
 * Ports for the local services. A port of 0 means "any free port"; a fixed port is probed first
 * so that a conflict becomes one clear StartupError naming the port and the service, instead of
 * an EADDRINUSE stack trace from deep inside an emulator (or a Java child that just exits).
 */
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { StartupError } from './startup-error.ts';

function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** Turns a listen failure into the StartupError the developer sees. */
export function portError(error: unknown, port: number, service: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new StartupError(
      `Port ${port} is already in use (${service}): stop the process holding it or choose another port.`,
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new StartupError(
      `Port ${port} needs privileges this user lacks (${service}): choose a port above 1023.`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** A port that is free on `host` right now (the operating system picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return listenOnce(0, host);
}

/** `port` if it can be bound on `host` right now, else a free one: for ports remembered from a last run. */
export async function preferPort(port: number | undefined, host = '127.0.0.1'): Promise<number> {
  if (port === undefined || port === 0) return freePort(host);
  return listenOnce(port, host).catch(() => freePort(host));
}

/**
 * Resolves to `port` if it can be bound on `host`, to a free port if `port` is 0 or missing,
 * and rejects with a StartupError naming the service if the port is taken.
 */
export async function choosePort(port: number | undefined, host: string, service: string): Promise<number> {
  if (port === undefined || port === 0) return freePort(host);
  try {
    return await listenOnce(port, host);
  } catch (error) {
    throw portError(error, port, service);
  }
}

/** An HTTP server of the local stack, listening: its base URL and a close that drops open connections. */
export interface ListeningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on `port` (0: a free one); a taken port fails with portError's sentence naming `service`. */
export function listen(
  server: Server,
  port: number,
  host: string,
  service: string,
): Promise<ListeningServer> {
  return new Promise((resolve, reject) => {
    server.once('error', (error) => reject(portError(error, port, service)));
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.closeAllConnections();
            server.close((error) => (error ? fail(error) : done()));
          }),
      });
    });
  });
}
