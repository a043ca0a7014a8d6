// adapters/dashboard.ts: the gateway serving a built dashboard. Only the dashboard's own files
// are answered, behind the token and with headers that keep other sites from framing the page;
// hostile paths get nothing else, and never reach the engine (there is none here: a refused
// socket would answer 502).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveDashboard } from "../../adapters/dashboard.ts";
import type { Gateway } from "../../adapters/gateway.ts";
import { DockerConfigError } from "../../src/errors/errors.ts";

let dir: string;
let g: Gateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "berth-dashboard-"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>dash</title>");
  writeFileSync(join(dir, "main.js"), "console.log(1)");
  writeFileSync(join(dir, "style.css"), "body{}");
  writeFileSync(join(dir, "secret.txt"), "not for the page");
  g = await serveDashboard({ assets: dir, engine: `unix://${join(dir, "no-engine.sock")}` });
});

afterAll(async () => {
  await g?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends a request head as it is; the whole answer. */
function raw(head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(g.port, "127.0.0.1");
    let answer = "";
    socket.on("data", (d) => (answer += d)).on("end", () => resolve(answer)).on("error", reject);
    socket.write(head);
  });
}
const get = (target: string, method = "GET", extra = "") =>
  raw(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1:${g.port}\r\nAuthorization: Bearer ${g.token}\r\n${extra}Connection: close\r\n\r\n`);
const status = (answer: string) => Number(answer.slice(9, 12));

describe("the dashboard's files", () => {
  it("are served behind the token, with a policy that forbids framing and foreign scripts", async () => {
    const page = await get("/?filter=x");
    expect(status(page)).toBe(200);
    expect(page).toContain("<title>dash</title>");
    expect(page).toMatch(/content-security-policy: default-src 'none'; script-src 'self';.*frame-ancestors 'none'/i);
    expect(page).toMatch(/x-frame-options: DENY/i);
    expect(page).toMatch(/content-type: text\/html/i);
    expect(await get("/main.js")).toMatch(/content-type: text\/javascript[\s\S]*console\.log\(1\)$/i);
    expect(await get("/style.css")).toMatch(/body\{\}$/);
    expect(status(await raw(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${g.port}\r\nConnection: close\r\n\r\n`))).toBe(401);
    expect(status(await get("/", "GET", "Origin: https://attacker.example\r\n"))).toBe(403);
    expect(status(await get("/", "GET", "Sec-Fetch-Site: cross-site\r\n"))).toBe(403);
    // A DNS-rebound name: the page is not served under any Host but the gateway's own.
    expect(status(await raw(`GET / HTTP/1.1\r\nHost: rebound.example:${g.port}\r\nAuthorization: Bearer ${g.token}\r\nConnection: close\r\n\r\n`))).toBe(403);
  });

  it("are the only ones: other files, traversal and encodings get 400 or 404", async () => {
    for (const target of ["/secret.txt", "/index.html", "/../secret.txt", "/%2e%2e/secret.txt", "/main.js/..", "/main.js%00", "/main.js/", "//main.js", "/MAIN.JS", "/style.css;x", "/.%2fsecret.txt", "/" + "a".repeat(5000)]) {
      const answer = await get(target);
      expect([400, 404], target.slice(0, 40)).toContain(status(answer));
      expect(answer).not.toContain("not for the page");
    }
    expect(status(await get("/", "POST", "Content-Length: 0\r\n"))).toBe(405);
  });

  it("may be brotli-compressed (as the package ships it), and are then served decompressed", async () => {
    const packed = mkdtempSync(join(tmpdir(), "berth-dashboard-br-"));
    try {
      writeFileSync(join(packed, "index.html"), "<!doctype html>");
      writeFileSync(join(packed, "main.js.br"), brotliCompressSync("console.log('compressed')"));
      writeFileSync(join(packed, "style.css.br"), brotliCompressSync("p{}"));
      const other = await serveDashboard({ assets: packed });
      try {
        const answer = await fetch(`${other.origin}/main.js`, { headers: { authorization: `Bearer ${other.token}` } });
        expect(await answer.text()).toBe("console.log('compressed')");
      } finally {
        await other.close();
      }
    } finally {
      rmSync(packed, { recursive: true, force: true });
    }
  });

  it("must be there: a folder without a built dashboard is refused before listening", async () => {
    await expect(serveDashboard({ assets: join(dir, "nowhere") })).rejects.toThrow(DockerConfigError);
    await expect(serveDashboard({ assets: "" })).rejects.toThrow(/built dashboard/);
  });
});
