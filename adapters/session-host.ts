// The build session host of the server adapters (Node, Bun, Deno). Its networking lives in
// node-session.ts, imported on the first session: an entry that never opens one never loads
// node:http2 or node:net (the Bun entry keeps them out of its start-up on purpose).

import type { SessionHost } from "../src/buildkit/session/host.ts";

/** A session host that loads node-session.ts on first use; `env` is the adapter's own. */
export function lazySessionHost(env: (name: string) => string | undefined): SessionHost {
  const load = () => import("./node-session.ts");
  return {
    serveHttp2: async (connection, onStream) => (await load()).serveHttp2(connection, onStream),
    connectUnix: async (path) => (await load()).connectUnix(path),
    readFile: async (path) => (await load()).readLocalFile(path),
    env,
  };
}
