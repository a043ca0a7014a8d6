// A Cloudflare worker (run by workerd in workerd.test.ts) bundling berth's browser entry: it runs
// a few scenarios against the engine and answers with what each returned, as JSON.
import { Docker, tarStream } from "../../adapters/browser.ts";

interface Env {
  ENGINE_URL: string;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    // The test's readiness probe (HEAD /health) must not run the scenarios: without a query they
    // created an unlabelled "null-worker" from no image, which failed to start and stayed behind.
    if (url.pathname !== "/") return new Response(null, { status: 204 });
    const params = url.searchParams;
    const image = params.get("image")!;
    const prefix = params.get("prefix")!;
    const labels = JSON.parse(params.get("labels")!) as Record<string, string>;
    const docker = new Docker({ url: env.ENGINE_URL });
    const results: Record<string, { ok: boolean; value?: unknown; error?: string }> = {};
    const scenario = async (name: string, body: () => Promise<unknown>) => {
      try {
        results[name] = { ok: true, value: await body() };
      } catch (err) {
        results[name] = { ok: false, error: `${(err as Error)?.name}: ${(err as Error)?.message}` };
      }
    };

    await scenario("runtime", async () => navigator.userAgent);
    await scenario("ping", () => docker.ping());
    await scenario("api-version", () => docker.apiVersion());

    const c = await docker.containers.create({ Image: image, Cmd: ["sleep", "300"], Labels: labels }, { name: `${prefix}-worker` });
    await c.start();
    await scenario("list", async () =>
      (await docker.containers.list({ filters: { label: [`berth.test.run=${labels["berth.test.run"]}`] } })).map((x) => ({ name: x.name, state: (x.attrs as { State?: string }).State })),
    );
    await scenario("exec-output", () => c.exec(["sh", "-c", "echo from the edge; echo err >&2; exit 2"]));
    await scenario("put-archive-stream", async () => {
      // A stream body, sent as it comes: edge runtimes stream uploads over HTTP/1.1.
      await c.putArchive("/", tarStream([{ name: "edge.txt", data: "streamed from a worker\n" }]));
      return (await c.exec(["cat", "/edge.txt"])).stdout;
    });
    await scenario("logs", async () => {
      const once = await docker.containers.create({ Image: image, Cmd: ["echo", "logged at the edge"], Labels: labels });
      await once.start();
      await once.wait();
      const text = await (await once.logs()).text();
      await once.remove();
      return text;
    });
    await scenario("attach-websocket", async () => {
      // workerd has a WebSocket client: attach with stdin works there as in a browser.
      const echo = await docker.containers.create(
        { Image: image, Cmd: ["sh", "-c", 'while read line; do echo "got: $line"; done'], OpenStdin: true, Labels: labels },
        { name: `${prefix}-attach` },
      );
      await echo.start();
      const session = await echo.attach({ stdin: true });
      await session.write("hello from the edge\n");
      let text = "";
      for await (const frame of session) {
        text += new TextDecoder().decode(frame.data);
        if (text.includes("\n")) break;
      }
      session.close();
      await echo.remove({ force: true });
      return text;
    });
    await c.remove({ force: true });
    return Response.json(results);
  },
};
