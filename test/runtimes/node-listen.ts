// A raw listener for the scenarios' fake engines, on node:net (Node, Bun and Deno all implement it):
// one handler answers on a fresh unix socket and on a loopback TCP port.
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RawConnection, RawServer } from "../scenarios/context.ts";

export async function nodeListen(onConnection: (conn: RawConnection) => void): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const handler = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {}); // a client going away is the scenario's business, not a crash
    onConnection({
      onData: (fn) => void socket.on("data", (chunk: Uint8Array) => fn(new Uint8Array(chunk))),
      write: (data) => void socket.write(data),
      end: () => void socket.end(),
      destroy: () => void socket.destroy(),
    });
  };
  const socketPath = join(tmpdir(), `berth-fake-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.sock`);
  const unix = net.createServer(handler);
  const tcp = net.createServer(handler);
  await new Promise<void>((resolve, reject) => unix.once("error", reject).listen(socketPath, resolve));
  await new Promise<void>((resolve, reject) => tcp.once("error", reject).listen(0, "127.0.0.1", resolve));
  const port = (tcp.address() as net.AddressInfo).port;
  // Closing a node:net server stops accepting at once and removes the socket file (connecting then
  // fails with ENOENT); its callback waits for the open connections, so it is not awaited.
  const stopListening = async () => {
    for (const server of [unix, tcp]) if (server.listening) server.close();
  };
  return {
    socketPath,
    port,
    stopListening,
    async close() {
      for (const socket of sockets) socket.destroy();
      await stopListening();
    },
  };
}
