// A service worker bundling berth's browser entry (served as /sw.js in service-worker.test.ts):
// it answers `/sw-check` by running scenarios against the engine from inside the worker, where
// there is no DOM, only fetch, streams and WebSocket.
import { Docker } from "../../adapters/browser.ts";

interface FetchEventLike {
  request: Request;
  respondWith(response: Promise<Response>): void;
  waitUntil(promise: Promise<unknown>): void;
}
const worker = self as unknown as {
  addEventListener(type: "install" | "activate" | "fetch", listener: (event: FetchEventLike) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
};

worker.addEventListener("install", (event) => event.waitUntil(worker.skipWaiting()));
worker.addEventListener("activate", (event) => event.waitUntil(worker.clients.claim()));
worker.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.pathname !== "/sw-check") return;
  event.respondWith(check(url.searchParams));
});

async function check(params: URLSearchParams): Promise<Response> {
  const docker = new Docker({ url: params.get("engine")! });
  const labels = JSON.parse(params.get("labels")!) as Record<string, string>;
  const results: Record<string, unknown> = { inWorker: typeof document === "undefined" };
  try {
    results.ping = await docker.ping();
    results.apiVersion = await docker.apiVersion();
    const c = await docker.containers.create({ Image: params.get("image")!, Cmd: ["sh", "-c", 'echo ready; while read line; do echo "sw got: $line"; done'], OpenStdin: true, Labels: labels });
    const session = await c.attach({ stdin: true });
    await c.start();
    results.exec = await c.exec(["sh", "-c", "echo from a service worker"]);
    await session.write("hi\n");
    let text = "";
    for await (const { data } of session) {
      text += new TextDecoder().decode(data);
      if (text.includes("sw got: hi\n")) break;
    }
    session.close();
    results.attach = text;
    results.logs = await (await c.logs()).text();
    await c.remove({ force: true });
  } catch (err) {
    results.error = `${(err as Error).name}: ${(err as Error).message}`;
  }
  return Response.json(results);
}
