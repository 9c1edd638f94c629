// A TCP server that speaks just enough of memcached's ASCII protocol for probe tests.
import * as net from "node:net";
import { freePort } from "../../sandbox/process";

/** A server that answers a request with `reply(request)` once it has seen `quit` (undefined: never answers). */
export async function fakeServer(
  reply: (request: string) => string | undefined,
): Promise<{ port: number; close(): void }> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  // allowHalfOpen: a client's FIN (nc closes its sending side at the end of its input) must not close
  // the connection for us; a hanging server keeps it open.
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    let request = "";
    s.on("data", (d) => {
      request += d.toString();
      if (request.includes("quit\r\n")) {
        const answer = reply(request);
        if (answer !== undefined) s.end(answer);
      }
    });
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    port,
    close: () => {
      sockets.forEach((s) => s.destroy());
      server.close();
    },
  };
}
