// The benchmark's own minimal line to the engine, for setting up and tearing down what it measures
// against. It is deliberately not one of the clients being measured, so that a broken or slow client
// cannot leave containers behind or skew another client's preparation.

import http from "node:http";

export const SOCKET = process.env.BERTH_BENCH_SOCKET ?? "/var/run/docker.sock";

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/**
 * One request to the engine. Resolves with the status and the body (parsed when it is JSON);
 * rejects on >= 400 unless `allow` lists the status.
 */
export function engine(method, path, { body, headers = {}, allow = [], timeout = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        agent,
        socketPath: SOCKET,
        method,
        path,
        headers: {
          host: "docker",
          ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
          ...headers,
        },
        timeout,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed = text;
          if ((res.headers["content-type"] ?? "").includes("json")) {
            try {
              parsed = JSON.parse(text);
            } catch {
              // progress streams are several JSON documents: keep the text
            }
          }
          if (res.statusCode >= 400 && !allow.includes(res.statusCode)) {
            reject(new Error(`${method} ${path}: HTTP ${res.statusCode}: ${text.trim().slice(0, 300)}`));
          } else {
            resolve({ status: res.statusCode, body: parsed, text });
          }
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in ${timeout} ms`)));
    req.on("error", reject);
    req.end(payload);
  });
}

export function qs(query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    params.append(k, typeof v === "object" ? JSON.stringify(v) : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

/** Creates a container with the bench label; returns its id. */
export async function createContainer(label, config) {
  const res = await engine("POST", "/containers/create", {
    body: { Image: "berth-test:busybox", ...config, Labels: { "berth.bench": label, ...config.Labels } },
  });
  return res.body.Id;
}

export async function startContainer(id) {
  await engine("POST", `/containers/${id}/start`, { allow: [304] });
}

export async function waitContainer(id) {
  const res = await engine("POST", `/containers/${id}/wait`, { timeout: 600_000 });
  return res.body.StatusCode;
}

export async function removeContainer(id) {
  await engine("DELETE", `/containers/${id}?force=1&v=1`, { allow: [404] });
}

/** Every container carrying this run's label, removed. */
export async function removeLabelled(label) {
  const list = await engine("GET", `/containers/json${qs({ all: 1, filters: { label: [`berth.bench=${label}`] } })}`);
  for (const c of list.body) await removeContainer(c.Id);
  return list.body.length;
}

export async function removeImage(ref) {
  await engine("DELETE", `/images/${encodeURIComponent(ref)}?force=1`, { allow: [404, 409] });
}

export async function imageExists(ref) {
  const res = await engine("GET", `/images/${encodeURIComponent(ref)}/json`, { allow: [404] });
  return res.status === 200;
}

export function closeEngine() {
  agent.destroy();
}
