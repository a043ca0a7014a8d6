// What the server entries export but load on first call: the tar reader and writer with the
// directory packer (node-archive.ts), the gateway and the dashboard (node:http servers, node:crypto,
// node:zlib). A program that only talks to the engine never loads them, which is most of what
// `import "berth-docker"` would otherwise parse at start-up. Each is async already, so loading
// first changes nothing for the caller; the types and documentation are the modules' own.

import type { extractTar as ExtractTar, packDirectory as PackDirectory } from "./node-archive.ts";
import type { serveGateway as ServeGateway } from "./gateway.ts";
import type { serveDashboard as ServeDashboard } from "./dashboard.ts";

export type { ExtractOptions } from "./node-archive.ts";
export type { Gateway, GatewayOptions } from "./gateway.ts";
export type { DashboardOptions } from "./dashboard.ts";

/** A directory as a tar stream (for `putArchive`), honouring its `.dockerignore` (see node-archive.ts). */
export const packDirectory: typeof PackDirectory = async (dir) => (await import("./node-archive.ts")).packDirectory(dir);

/** Extracts a tar stream (gzip detected) into `dir`, refusing entries that escape it (see node-archive.ts). */
export const extractTar: typeof ExtractTar = async (stream, dir, options) => (await import("./node-archive.ts")).extractTar(stream, dir, options);

/** Serves berth's gateway: the engine behind a token, for browsers (see gateway.ts). */
export const serveGateway: typeof ServeGateway = async (options) => (await import("./gateway.ts")).serveGateway(options);

/** The gateway with the dashboard as its page (see dashboard.ts). */
export const serveDashboard: typeof ServeDashboard = async (options) => (await import("./dashboard.ts")).serveDashboard(options);
