// Which public method serves each operation of the Engine API spec, and docs/coverage.md from it.
//
// Most of the table is read off the code: a method of src/resources/ or of the client (src/docker.ts)
// that calls a generated endpoint function (src/generated/endpoints/, named per operation in
// operations.ts), or a family's `routes` naming one, serves that function's operation. What the code
// does not say so plainly (the streamed operations, which no endpoint function sends; methods that
// reach an operation through another method) is the hand list HAND_WRITTEN below.
//
// test/unit/coverage.test.ts fails when an operation has no method, an entry names a method that
// does not exist, or docs/coverage.md is stale; `npx tsx --tsconfig tsconfig.json
// scripts/api-coverage.ts` rewrites docs/coverage.md.
//
// Entries are `docker.<collection>.<method>` (on the client) or `<Class>#<method>` (on a handle).

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import ts from "typescript";
import { operations } from "../src/generated/operations.ts";

/** Methods with behaviour of their own, and those the scan cannot see, by operation id. */
export const HAND_WRITTEN: Record<string, string[]> = {
  ContainerLogs: ["Container#logs"],
  ContainerExport: ["Container#export"],
  ContainerStats: ["Container#stats", "Container#statsStream"],
  ContainerResize: ["Session#resize"],
  ContainerAttach: ["Container#attach"],
  ContainerAttachWebsocket: ["Container#attach"],
  ContainerArchiveInfo: ["Container#archiveInfo"],
  ContainerArchive: ["Container#getArchive"],
  ImageBuild: ["docker.images.build", "docker.images.buildStream"],
  BuildPrune: ["docker.images.pruneBuildCache"],
  ImageCreate: ["docker.images.pull", "docker.images.pullStream", "docker.images.import"],
  ImagePush: ["Image#push", "Image#pushStream"],
  SystemPing: ["docker.ping"],
  SystemPingHead: ["docker.ping"],
  SystemEvents: ["docker.events"],
  ImageGet: ["Image#save"],
  ImageGetAll: ["docker.images.save"],
  ImageLoad: ["docker.images.load"],
  ContainerExec: ["Container#createExec", "Container#exec", "Container#execStream"],
  ExecStart: ["Exec#start"],
  PluginPull: ["docker.plugins.pull"],
  PluginUpgrade: ["Plugin#upgrade"],
  PluginPush: ["Plugin#push"],
  ServiceUpdate: ["Service#scale", "Service#rollback"],
  ServiceLogs: ["Service#logs"],
  TaskList: ["Service#tasks"],
  TaskLogs: ["Task#logs"],
  Session: ["docker.session"],
};

const root = new URL("../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

/** `docker.<name>` for each collection class, from the client's properties and getters. */
function collectionNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of read("src/docker.ts").matchAll(/^\s+(?:readonly\s+)?(?:get\s+)?(\w+)(?:\(\))?:\s*(\w+(?:Collection|Api))\b/gm)) names.set(m[2]!, `docker.${m[1]}`);
  return names;
}

/** What the methods of src/resources/ and the client send, by operation id: the endpoint functions they call. */
export function scannedCoverage(): Record<string, string[]> {
  const operationOf = new Map<string, string>(operations.flatMap((op) => (op.endpoint ? [[op.endpoint, op.id] as [string, string]] : [])));
  const collections = collectionNames();
  const result: Record<string, Set<string>> = {};
  const add = (fn: string, entry: string) => (result[operationOf.get(fn)!] ??= new Set()).add(entry);
  const handleOf = new Map<string, string>(); // collection class → handle class (its `super(client, Handle)`)
  const routes: Array<[handle: string, field: string, fn: string]> = [];

  const resources = readdirSync(new URL("src/resources/", root)).filter((f) => f.endsWith(".ts")).sort().map((f) => `src/resources/${f}`);
  for (const file of [...resources, "src/docker.ts"]) {
    const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.ES2022, true);
    const visitClass = (cls: ts.ClassDeclaration) => {
      const name = cls.name?.text;
      if (!name) return;
      // The client's own methods are `docker.<method>`; a collection's `docker.<collection>.<method>`.
      const prefix = name === "Docker" ? "docker." : collections.has(name) ? `${collections.get(name)}.` : `${name}#`;
      const calls = new Map<string, Set<string>>(); // method → endpoint functions it names
      const privateUses = new Map<string, Set<string>>(); // method → private methods it calls
      for (const member of cls.members) {
        const key = ts.isConstructorDeclaration(member) ? "constructor" : member.name && (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name)) ? member.name.text : undefined;
        if (!key) continue;
        const isStatic = ts.canHaveModifiers(member) && ts.getModifiers(member)?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
        if (isStatic && key === "routes" && ts.isPropertyDeclaration(member) && member.initializer && ts.isObjectLiteralExpression(member.initializer)) {
          for (const p of member.initializer.properties) {
            if (ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && ts.isIdentifier(p.initializer) && operationOf.has(p.initializer.text)) routes.push([name, p.name.text, p.initializer.text]);
          }
          continue;
        }
        if (isStatic) continue; // (Exec.create: reached through Container's methods, in HAND_WRITTEN)
        const fns = new Set<string>();
        const privates = new Set<string>();
        const walk = (node: ts.Node): void => {
          if (ts.isIdentifier(node) && operationOf.has(node.text)) fns.add(node.text);
          if (ts.isPrivateIdentifier(node)) privates.add(node.text);
          if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.SuperKeyword && ts.isIdentifier(node.arguments[1] ?? node)) handleOf.set(name, (node.arguments[1] as ts.Identifier).text);
          ts.forEachChild(node, walk);
        };
        walk(member);
        calls.set(key, fns);
        privateUses.set(key, privates);
      }
      for (const [method, fns] of calls) {
        if (method.startsWith("#") || method === "constructor") continue;
        const all = new Set(fns);
        for (const p of privateUses.get(method) ?? []) for (const fn of calls.get(p) ?? []) all.add(fn);
        for (const fn of all) add(fn, `${prefix}${method}`);
      }
    };
    source.forEachChild((node) => {
      if (ts.isClassDeclaration(node)) visitClass(node);
    });
  }

  // A family's routes serve its collection's list/get/create and its handles' inspect/update/remove.
  const collectionOf = new Map([...handleOf].map(([collection, handle]) => [handle, collections.get(collection)]));
  const ROUTE_METHODS: Record<string, (handle: string, collection: string) => string[]> = {
    list: (_h, c) => [`${c}.list`],
    inspect: (h, c) => [`${h}#inspect`, `${c}.get`],
    update: (h) => [`${h}#update`],
    remove: (h) => [`${h}#remove`],
    create: (_h, c) => [`${c}.create`],
  };
  for (const [handle, field, fn] of routes) {
    const collection = collectionOf.get(handle);
    if (!collection) throw new Error(`${handle}'s routes name ${fn}, but no collection makes ${handle} handles`);
    for (const entry of ROUTE_METHODS[field]?.(handle, collection) ?? []) add(fn, entry);
  }
  // (A collection overriding list() reads its own endpoint, also found above.)
  return Object.fromEntries(Object.entries(result).map(([id, entries]) => [id, [...entries]]));
}

/** The whole table: the scan and HAND_WRITTEN, each operation's methods sorted. */
export function coverageTable(): Record<string, string[]> {
  const scanned = scannedCoverage();
  const table: Record<string, string[]> = {};
  for (const op of operations) {
    const methods = [...new Set([...(scanned[op.id] ?? []), ...(HAND_WRITTEN[op.id] ?? [])])].sort();
    if (methods.length > 0) table[op.id] = methods;
  }
  return table;
}

/** The Markdown of docs/coverage.md. */
export function coverageMarkdown(table = coverageTable()): string {
  const rows = operations.map((op) => {
    const methods = table[op.id] ?? [];
    return `| ${op.id} | \`${op.method} ${op.path}\` | ${methods.map((m) => `\`${m}\``).join(", ") || "**none**"} |`;
  });
  const served = operations.filter((op) => (table[op.id] ?? []).length > 0).length;
  return [
    "# Engine API coverage",
    "",
    "<!-- generated by scripts/api-coverage.ts; test/unit/coverage.test.ts keeps it current -->",
    "",
    `${served}/${operations.length} operations of Engine API v1.55 are served by a method (and every one is`,
    "reachable by its spec key with `docker.request(\"METHOD /path\", ...)`).",
    "`docker.x.y` is a method of the client; `Class#method` a method of a handle (`Container`, `Image`, ...).",
    "",
    "| operation | endpoint | berth |",
    "|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL("docs/coverage.md", root), coverageMarkdown());
  console.log("wrote docs/coverage.md");
}
