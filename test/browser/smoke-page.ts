// Runs inside Chromium: the core's smoke scenarios through the browser entry, against the real
// engine. The test calls `berthSmoke(...)` on the page and asserts on what each scenario returns.
import { Docker, DockerUnsupportedError, readTarEntries, tarBytes, tarStream, type ContainerCreateBody } from "../../adapters/browser.ts";

export interface SmokeOptions {
  url: string;
  image: string;
  labels: Record<string, string>;
  /** Prefix for the names of what the scenarios create. */
  prefix: string;
}

export interface SmokeResult {
  name: string;
  ok: boolean;
  value?: unknown;
  error?: string;
}

declare global {
  interface Window {
    berthSmoke(options: SmokeOptions): Promise<SmokeResult[]>;
  }
}

window.berthSmoke = async ({ url, image, labels, prefix }) => {
  const docker = new Docker({ url });
  const results: SmokeResult[] = [];
  const scenario = async (name: string, body: () => Promise<unknown>) => {
    try {
      results.push({ name, ok: true, value: await body() });
    } catch (err) {
      results.push({ name, ok: false, error: `${(err as Error)?.name}: ${(err as Error)?.message}` });
    }
  };
  const create = (config: Partial<ContainerCreateBody>, name?: string) =>
    docker.containers.create({ Image: image, ...config, Labels: { ...labels } }, { name: name ? `${prefix}-${name}` : undefined });

  await scenario("ping", () => docker.ping());

  await scenario("api-version", async () => {
    // The engine's CORS reply hides Api-Version from the page: negotiation must read /version.
    const raw = await fetch(`${url}/_ping`);
    await raw.text();
    return { header: raw.headers.get("api-version"), negotiated: await docker.apiVersion() };
  });

  await scenario("unreachable-explained", async () => {
    try {
      await new Docker({ url: "http://127.0.0.1:9" }).ping({ timeout: 10_000 });
      return { failed: false };
    } catch (err) {
      return { failed: true, name: (err as Error).name, message: (err as Error).message };
    }
  });

  await scenario("version", async () => (await docker.version()).ApiVersion);

  await scenario("create-start-logs-remove", async () => {
    const c = await create({ Cmd: ["sh", "-c", "echo hello from the browser; echo oops >&2"] }, "logs");
    await c.start();
    const { StatusCode } = await c.wait();
    const output = await (await c.logs()).collect();
    await c.remove();
    const gone = await c.inspect().then(() => false, (err) => (err as { status?: number }).status === 404);
    return { StatusCode, ...output, gone };
  });

  // A long-running container for the exec, attach-less and upload scenarios.
  const sleeper = await create({ Cmd: ["sleep", "600"] }, "sleeper");
  await sleeper.start();

  await scenario("list", async () => {
    // What it lists is this run's own (the sleeper): a fresh engine has nothing else.
    const mine = await docker.containers.list({ filters: { label: [`berth.test.run=${labels["berth.test.run"]}`] } });
    return { ids: mine.map((c) => c.id), sleeper: sleeper.id, valid: mine.every((c) => /^[0-9a-f]{64}$/.test(c.id)) };
  });

  await scenario("exec-output", () => sleeper.exec(["sh", "-c", "echo out; echo err >&2; exit 3"]));

  await scenario("exec-stream", async () => {
    const session = await sleeper.execStream("for i in 1 2 3; do echo line $i; done");
    const lines: string[] = [];
    for await (const line of session.output.lines()) lines.push(line.line);
    return { lines, exitCode: await session.wait() };
  });

  await scenario("exec-stdin-refused", async () => {
    try {
      await sleeper.exec(["cat"], { stdin: "hi" });
      return { refused: false };
    } catch (err) {
      return { refused: err instanceof DockerUnsupportedError, message: (err as Error).message };
    }
  });

  await scenario("unix-host-refused", async () => {
    try {
      new Docker({ host: "unix:///var/run/docker.sock" });
      return { refused: false };
    } catch (err) {
      return { refused: err instanceof DockerUnsupportedError, message: (err as Error).message };
    }
  });

  await scenario("put-archive-blob", async () => {
    const blob = new Blob([(await tarBytes([{ name: "from-blob.txt", data: "blob upload\n" }])) as BlobPart], { type: "application/x-tar" });
    await sleeper.putArchive("/", blob);
    return (await sleeper.exec(["cat", "/from-blob.txt"])).stdout;
  });

  await scenario("put-archive-stream", async () => {
    // A ReadableStream body: Chromium cannot stream it over HTTP/1.1; the adapter collects it.
    await sleeper.putArchive("/", tarStream([{ name: "from-stream.txt", data: "stream upload\n" }]));
    return (await sleeper.exec(["cat", "/from-stream.txt"])).stdout;
  });

  await scenario("stream-upload-unbuffered", async () => {
    // What the adapter avoids: Chromium refuses a streamed request body over HTTP/1.1.
    const direct = new Docker({ url, streamUploads: true });
    try {
      await direct.containers.ref(sleeper.id).putArchive("/", tarStream([{ name: "direct.txt", data: "x" }]));
      return { uploaded: true };
    } catch (err) {
      return { uploaded: false, error: `${(err as Error).name}: ${(err as Error).message}` };
    }
  });

  await scenario("get-archive", async () => {
    // CORS hides X-Docker-Container-Path-Stat from a page, so getArchive()'s stat cannot be
    // read there; the tar itself downloads fine.
    const response = await docker.requestRaw("GET /containers/{id}/archive", { path: { id: sleeper.id }, query: { path: "/from-blob.txt" } });
    const statHeader = response.headers.get("x-docker-container-path-stat");
    const entries = await readTarEntries(response.body!);
    return { statHeader, entries: entries.map((e) => ({ name: e.name, text: new TextDecoder().decode(e.data) })) };
  });

  await scenario("build-from-entries", async () => {
    const tag = `${prefix}-built:latest`.toLowerCase();
    const built = await docker.images.build(
      [{ name: "Dockerfile", data: `FROM ${image}\nRUN echo built in a browser > /built.txt\n` }],
      { tag, labels },
    );
    const out = await docker.containers.run(tag, ["cat", "/built.txt"], { config: { Labels: labels } });
    await docker.images.ref(tag).remove({ force: true }).catch(() => {});
    return { id: built.id.length > 0, stdout: out.stdout };
  });

  await scenario("buildkit-in-a-browser", async () => {
    // BuildKit syntax and typed steps from a page: the context is collected into a Blob (Chromium
    // cannot stream an upload over HTTP/1.1), the progress is BuildKit's protobuf trace.
    const tag = `${prefix}-bk:latest`.toLowerCase();
    const stream = await docker.images.buildStream(
      [{ name: "Dockerfile", data: `FROM ${image}\nRUN --mount=type=cache,target=/cache echo said-in-a-page; echo from a page > /cache/x && cp /cache/x /page.txt\n` }],
      { tag, labels, builder: "buildkit", noCache: true }, // a cached step prints nothing
    );
    const logs: string[] = [];
    for await (const event of stream) if (event.type === "log") logs.push(event.text);
    const out = await docker.containers.run(tag, ["cat", "/page.txt"], { config: { Labels: labels } });
    await docker.images.ref(tag).remove({ force: true }).catch(() => {});
    return { builder: stream.builder, states: [...new Set(stream.steps.map((s) => s.state))].sort(), logs: logs.join(""), stdout: out.stdout };
  });

  await scenario("events", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const c = await create({ Cmd: ["true"] }, "events");
    const events = await docker.events({ since, filters: { container: [c.id], type: ["container"] } });
    await c.start();
    const seen: string[] = [];
    for await (const e of events) {
      seen.push(e.Action ?? "");
      if (e.Action === "die") break;
    }
    await c.remove({ force: true });
    return seen;
  });

  await scenario("attach-websocket", async () => {
    const c = await create({ Cmd: ["sh", "-c", 'while read line; do echo "got: $line"; done'], OpenStdin: true, AttachStdin: true }, "attach");
    await c.start();
    const session = await c.attach({ stdin: true });
    await session.write("ping from the page\n");
    let text = "";
    for await (const frame of session) {
      text += new TextDecoder().decode(frame.data);
      if (text.includes("\n")) break;
    }
    session.close();
    await c.remove({ force: true });
    return text;
  });

  await sleeper.remove({ force: true }).catch(() => {});
  return results;
};
