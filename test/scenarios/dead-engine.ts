// An engine that dies mid-answer, played by a fake engine on a unix socket and on TCP: a sized or
// chunked body cut short is an error on every runtime, and a stream that ends at EOF (attach, exec)
// is confirmed with a /_ping on a fresh connection: it ends normally while the engine answers, and
// errors once the engine is gone.

import { DockerConnectionError, DockerError, DockerStreamError } from "../../src/errors/errors.ts";
import type { RawConnection, RawServer, Scenario, ScenarioContext } from "./context.ts";

/** What the attach of the fake engine does once it has sent its output. */
type AttachEnd = "alive" | "dead";

/** A fake engine speaking just enough HTTP/1.1 for the calls below, each answer cut as a crash would. */
function fakeEngine(attachEnd: { mode: AttachEnd }, server: { current?: RawServer }) {
  const open = new Set<RawConnection>();
  return (conn: RawConnection) => {
    open.add(conn);
    let buffer = "";
    let upgraded = false;
    /** How a stream that ends at EOF ends: the engine still answering pings, or gone first. */
    const endAtEof = () => {
      // Dead: as a killed engine, nothing listens any more and every other connection (kept-alive
      // ones a probe could reuse) is gone by the time the stream's EOF arrives.
      const stop = attachEnd.mode === "dead" ? server.current!.stopListening() : Promise.resolve();
      void stop.then(() => {
        if (attachEnd.mode === "dead") for (const other of open) if (other !== conn) other.destroy();
        setTimeout(() => conn.end(), 20);
      });
    };
    conn.onData((chunk) => {
      if (upgraded) return; // stdin of the attach: ignored
      buffer += new TextDecoder("latin1").decode(chunk);
      for (;;) {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buffer.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return; // the request body is still coming
        buffer = buffer.slice(end + 4 + length);
        const line = head.slice(0, head.indexOf("\r\n"));
        // Deno's fetch over a unix socket sends the absolute form (GET http://docker/... HTTP/1.1).
        const path = (line.split(" ")[1] ?? "").replace(/^https?:\/\/[^/]+/, "");
        if (path === "/_ping" || path.endsWith("/_ping")) {
          conn.write("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK");
        } else if (path.startsWith("/v1.41/info")) {
          // 1000 bytes announced, 12 sent, then the engine is gone (its FIN).
          conn.write('HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"ID":"fake"');
          conn.end();
        } else if (path.startsWith("/v1.41/containers/fake/logs")) {
          // A followed log: one chunk, then the connection ends without the last (zero) chunk. (Bun's
          // fetch drops a chunk that arrives with the FIN: see docs/runtimes.md.)
          conn.write("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/vnd.docker.raw-stream\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nline 1\n\r\n");
          conn.end();
        } else if (path.startsWith("/v1.41/containers/fake/attach")) {
          upgraded = true;
          conn.write("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello\n");
          return endAtEof();
        } else if (path.startsWith("/v1.41/containers/fake/exec")) {
          conn.write('HTTP/1.1 201 Created\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"Id":"fakeex"}');
        } else if (path.startsWith("/v1.41/exec/fakeex/start")) {
          // Exec without stdin is a plain response whose body runs to the connection's end, as the
          // engine sends it: neither a length nor chunks.
          upgraded = true;
          conn.write("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nhello\n");
          return endAtEof();
        } else {
          conn.write('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{"message":"not in a fake"}');
        }
      }
    });
  };
}

async function outcome(run: () => Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error };
  }
}

/** A typed error of the kind Node gives a body cut short (DockerConnectionError or DockerStreamError). */
function cutShort(ctx: ScenarioContext, what: string, result: { value?: unknown; error?: unknown }): void {
  const { assert } = ctx;
  assert.ok("error" in result, `${what} on a cut body rejects (it resolved with ${JSON.stringify(result.value)})`);
  const err = result.error as Error;
  assert.ok(err instanceof DockerConnectionError || err instanceof DockerStreamError, `${what}: a DockerConnectionError or DockerStreamError, got ${err?.name}: ${err?.message}`);
}

export const deadEngineScenarios: Scenario[] = [
  {
    name: "a dead engine: cut sized and chunked bodies error; the EOF of attach and exec is confirmed with a ping",
    async run(ctx) {
      const { assert } = ctx;
      for (const via of ["unix", "tcp"] as const) {
        const attachEnd = { mode: "alive" as AttachEnd };
        const holder: { current?: RawServer } = {};
        const server = await ctx.listen(fakeEngine(attachEnd, holder));
        holder.current = server;
        const docker = ctx.connect(via === "unix" ? { socketPath: server.socketPath, version: "1.41" } : { host: `tcp://127.0.0.1:${server.port}`, version: "1.41" });
        try {
          // A JSON answer shorter than its Content-Length.
          cutShort(ctx, `${via}: info()`, await outcome(() => docker.info()));

          // A followed log whose chunked body stops before its last chunk: the line that came is
          // read, then the loop rejects.
          const lines: string[] = [];
          const logs = await outcome(async () => {
            const stream = await docker.containers.ref("fake").logs({ follow: true, tty: true });
            for await (const line of stream.lines()) lines.push(line.line);
          });
          cutShort(ctx, `${via}: logs({ follow })`, logs);
          // Every runtime hands out the line that came before the cut (streamed answers are read over
          // a connection of berth's own on Bun and Deno, not by their fetch).
          assert.equal(lines, ["line 1"], `${via}: the log line before the cut`);

          // Streams that end at EOF: attach (the upgraded connection) and exec without stdin (a
          // response running to the connection's end). While the engine still answers, they simply
          // end; the same EOF from an engine that no longer answers is an error, not a quiet end.
          const streams = {
            attach: async () => (await docker.containers.ref("fake").attach({ tty: true })).output.text(),
            exec: async () => (await docker.containers.ref("fake").execStream(["echo", "hello"], { tty: true })).output.text(),
          };
          for (const [what, read] of Object.entries(streams)) {
            attachEnd.mode = "alive";
            assert.equal(await read(), "hello\n", `${via}: ${what} output (engine alive)`);
          }
          for (const what of Object.keys(streams)) {
            // Each dead run kills the listener: a fresh fake engine for each.
            const fresh = await ctx.listen(fakeEngine(attachEnd, holder));
            holder.current = fresh;
            const again = ctx.connect(via === "unix" ? { socketPath: fresh.socketPath, version: "1.41" } : { host: `tcp://127.0.0.1:${fresh.port}`, version: "1.41" });
            attachEnd.mode = "dead";
            try {
              const stream = what === "attach"
                ? await again.containers.ref("fake").attach({ tty: true })
                : await again.containers.ref("fake").execStream(["echo", "hello"], { tty: true });
              const gone = await outcome(() => stream.output.text());
              assert.ok("error" in gone, `${via}: ${what} ended by a dead engine rejects (it resolved with ${JSON.stringify(gone.value)})`);
              const err = gone.error as Error;
              assert.ok(err instanceof DockerConnectionError, `${via}: ${what}: a DockerConnectionError, got ${err?.name}: ${err?.message}`);
              assert.match(err.message, /no longer answers/, `${via}: ${what}: the message says why`);
              assert.ok(err instanceof DockerError);
            } finally {
              await again.close();
              await fresh.close();
            }
          }
        } finally {
          await docker.close();
          await server.close();
        }
      }
    },
  },
];
