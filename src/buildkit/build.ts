// The build call behind images.build() and images.buildStream(), for both builders: the options
// checked before anything is sent, the context (a tar, tar entries, or a directory packed or served
// through a BuildKit session), the builder chosen, then POST /build read as a BuildStream.
// ImageCollection loads this module with the first build, so pages that never build do not carry it
// or BuildKit's progress model.
import { bodyOf, onSettled } from "../streams/bytes.ts";
import type { CallOptions, Client, CredentialSource } from "../request/engine.ts";
import { encodeRegistryConfig, registryAuthKey, registryOfImage, type RegistryAuth } from "../config/registry-auth.ts";
import { DockerConfigError, DockerUnsupportedError } from "../errors/errors.ts";
import { ProgressStream } from "../streams/progress.ts";
import { archiveBody } from "../streams/archive-body.ts";
import { checkArchiveInput } from "../resources/archive.ts";
import { parseSize } from "../resources/sizes.ts";
import { withProxyArgs } from "../config/proxies.ts";
import type { BuildContext, BuildOptions } from "../resources/images.ts";
import { BuildStream, type Builder, type ContextSent } from "./build-stream.ts";
import { chooseBuilder } from "./builder.ts";
import { checkContextTransfer, checkSecrets, checkSsh } from "./session/options.ts";
import type { BuildSession, SessionWants } from "./session/session.ts";
import type { SyncedContext } from "../server/build/context.ts";

/** Builds an image from `context` (images.buildStream()): refuses a wrong option before any request. */
export async function buildStream(client: Client, context: BuildContext, options: BuildOptions): Promise<BuildStream> {
  const { tag, dockerfile, buildArgs, labels, target, cacheFrom, extraHosts, networkMode, platform, pull, noCache, rm, forceRm, quiet, registryConfig, query, onProgress, builder: choice, onEvent, outputs, gzip, secrets: secretsOption, ssh: sshOption, session: sessionOption, contextTransfer, ...rest } = options;
  const { shmSize, memory, memswap, cpuShares, cpuSetCpus, cpuSetMems, cpuPeriod, cpuQuota, isolation, useConfigProxy = true, ...call } = rest;
  // Checked before the context is read: a wrong size is refused before anything is sent.
  const limits = {
    shmsize: shmSize === undefined ? undefined : parseSize(shmSize, "build(): shmSize"),
    memory: memory === undefined ? undefined : parseSize(memory, "build(): memory"),
    memswap: memswap === undefined ? undefined : parseSize(memswap, "build(): memswap", { unlimited: true }),
    cpushares: cpuShares,
    cpusetcpus: cpuSetCpus,
    cpusetmems: cpuSetMems,
    cpuperiod: cpuPeriod,
    cpuquota: cpuQuota,
    isolation,
  };
  const wants: SessionWants = { secrets: checkSecrets(secretsOption), ssh: checkSsh(sshOption), credentials: registryConfig ? credentialsFrom(registryConfig) : undefined };
  checkContextTransfer(contextTransfer, { session: sessionOption, builder: choice ?? client.builder, directory: directoryOf(context) !== undefined });
  const needsSession = wants.secrets !== undefined || wants.ssh !== undefined;
  if (sessionOption !== undefined && typeof sessionOption !== "boolean") throw new DockerConfigError(`Invalid session ${JSON.stringify(sessionOption)}: expected true or false`);
  if (needsSession && sessionOption === false) throw new DockerConfigError("secrets and ssh reach the build through its session, and this build says session: false: leave it out");
  if (needsSession && (choice ?? client.builder) === "classic") {
    throw new DockerConfigError('secrets and ssh need the BuildKit builder, and this build asks for builder: "classic": use "buildkit" or "auto"');
  }
  // The session and the directory walker come from the server entries (ClientOptions.buildSupport),
  // loaded on demand; browsers never carry them, and builds that say session: false never load them.
  const directory = directoryOf(context);
  if (needsSession && !client.buildSupport) {
    throw new DockerUnsupportedError(
      "A build with secrets or ssh needs a BuildKit session (the engine calls back over an upgraded HTTP/2 connection), which a browser or edge runtime cannot open: " +
        "run this build from Node, Bun or Deno (new Docker() of berth-docker there), or leave secrets and ssh out",
    );
  }
  const wantsSession = needsSession || (sessionOption !== false && client.sessionHost !== undefined);
  const support = wantsSession || (directory !== undefined && client.fileSystem) ? await client.buildSupport?.() : undefined;
  const sessions = wantsSession ? support : undefined;
  // Refused here, before anything is sent, when secrets or ssh are asked for and the runtime cannot serve them.
  let services = needsSession ? sessions!.sessionServices(client, wants) : undefined;
  let body: ReadableStream<Uint8Array> | Uint8Array | Blob | undefined;
  let dockerfileParam = dockerfile;
  // A directory is served through the session when the builder turns out to be BuildKit; packed
  // as a tar otherwise (the classic builder, an opt-out, a runtime that cannot serve a session).
  let synced: SyncedContext | undefined;
  let pack: (() => Promise<void>) | undefined;
  if (directory !== undefined) {
    const fs = client.fileSystem;
    if (!fs) throw new DockerUnsupportedError(`Building from a directory ("${directory}") needs file access, which this runtime's adapter does not provide: pass a tar (ReadableStream, Uint8Array, Blob) or tar entries`);
    if (!support) throw new DockerUnsupportedError(`Building from a directory ("${directory}") needs the directory walker of the Node, Bun and Deno entries, which this entry leaves out: pass a tar (ReadableStream, Uint8Array, Blob) or tar entries`);
    const { packContext, syncContext } = support;
    pack = async () => {
      const packed = await packContext(fs, directory, { dockerfile });
      body = (await archiveBody(packed.entries)) as ReadableStream<Uint8Array>;
      dockerfileParam = packed.dockerfile;
      if (gzip) body = gzipped(body);
    };
    if (sessions && contextTransfer !== "tar" && (choice ?? client.builder) !== "classic" && sessions.canServeSession(client)) {
      synced = await syncContext(fs, directory, { dockerfile });
    } else if (contextTransfer === "session") {
      throw new DockerUnsupportedError(`contextTransfer: "session" needs a BuildKit build session, which this runtime's adapter for ${client.transport.address} cannot serve: use Node, Bun or Deno, or leave contextTransfer out`);
    } else {
      await pack();
    }
  } else {
    body = (await archiveBody(context as Exclude<BuildContext, string | { directory: string }>)) as ReadableStream<Uint8Array> | Uint8Array | Blob;
    if (gzip) body = gzipped(body);
  }
  // After the context is checked: a wrong argument is refused before anything is sent. A call that
  // fails here (aborted during the ping) cancels the context, as a failed send does.
  let builder: Builder;
  let session: BuildSession | undefined;
  let contextSent: ContextSent | undefined;
  try {
    builder = await chooseBuilder(client, choice, call.signal);
    if (synced && builder !== "buildkit") {
      if (contextTransfer === "session") {
        throw new DockerUnsupportedError(`contextTransfer: "session" needs a BuildKit build session, and ${await whyNoSession(client, call)}: pass builder: "buildkit" (Docker Engine 18.09+), or leave contextTransfer out`);
      }
      synced = undefined;
      await pack!();
    }
    if (synced) {
      contextSent = { files: 0, bytes: 0 };
      wants.dirs = { fs: client.fileSystem!, named: synced.dirs, count: contextSent };
      dockerfileParam = synced.dockerfile;
      services = sessions!.sessionServices(client, wants);
    }
    if (sessions && !services && builder === "buildkit" && sessions.canServeSession(client)) services = sessions.sessionServices(client, wants);
    if (sessions && services) {
      if (builder !== "buildkit") {
        throw new DockerUnsupportedError(`secrets and ssh need a BuildKit build session, and ${await whyNoSession(client, call)}: pass builder: "buildkit" (Docker Engine 18.09+)`);
      }
      session = await sessions.openSession(client, services, call.signal, synced?.sharedKey);
    }
  } catch (err) {
    const given = body as ReadableStream<Uint8Array> | Uint8Array | Blob | undefined;
    if (given instanceof ReadableStream) await given.cancel(err).catch(() => {});
    throw err;
  }
  const headers: Record<string, string> = { ...call.headers };
  // Private base images: the given credentials, else every registry the credential source knows.
  const auths = registryConfig ?? (await client.credentials?.all?.());
  if (auths && Object.keys(auths).length > 0) headers["X-Registry-Config"] = encodeRegistryConfig(auths);
  let response;
  try {
    response = await client.send({
    // A build may take long before the engine answers at all (it reads the whole context first).
    timeout: 0,
    ...call,
    headers,
    method: "POST",
    path: "/build",
    query: {
      t: tag,
      dockerfile: dockerfileParam,
      buildargs: useConfigProxy ? withProxyArgs(buildArgs, client.proxyVariables()) : buildArgs,
      labels,
      target,
      cachefrom: cacheFrom ? JSON.stringify(cacheFrom) : undefined,
      extrahosts: extraHosts && extraHosts.length > 0 ? (await client.dialect(call)).extraHosts(extraHosts) : undefined,
      networkmode: networkMode,
      platform,
      pull,
      nocache: noCache,
      rm,
      forcerm: forceRm ?? true,
      q: quiet,
      outputs: outputs ? JSON.stringify(outputs) : undefined,
      version: builder === "buildkit" ? "2" : undefined,
      ...limits,
      session: session?.id,
      // The engine then reads the context through the session and no body comes.
      remote: synced ? "client-session" : undefined,
      ...query,
    },
    body,
    contentType: body === undefined ? undefined : "application/x-tar",
  });
  } catch (err) {
    session?.close();
    throw err;
  }
  const output = session ? onSettled(bodyOf(response), session.close) : bodyOf(response);
  return new BuildStream(new ProgressStream(output, onProgress), builder, onEvent, contextSent);
}

/** The credentials a build was given, looked up as the credential source is. */
function credentialsFrom(auths: Record<string, RegistryAuth>): CredentialSource {
  const byKey = new Map(Object.entries(auths).map(([key, auth]) => [registryAuthKey(key), auth]));
  return { forImage: async (ref) => byKey.get(registryAuthKey(registryOfImage(ref))) };
}

/**
 * The context compressed on the way. The engine detects the compression of a build context by its
 * first bytes (gzip, bzip2, xz), whichever builder reads it, and the content type stays x-tar.
 */
function gzipped(body: ReadableStream<Uint8Array> | Uint8Array | Blob): ReadableStream<Uint8Array> {
  if (typeof CompressionStream === "undefined") {
    throw new DockerUnsupportedError("build({ gzip: true }) needs CompressionStream, which this runtime lacks: build without gzip");
  }
  const stream = body instanceof ReadableStream ? body : body instanceof Uint8Array ? new Blob([body as Uint8Array<ArrayBuffer>]).stream() : body.stream();
  return stream.pipeThrough(new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
}

/**
 * The directory a build context names, or undefined for a tar or entries. Anything else (`{ path }`,
 * a number, null, an empty string, a Node stream) is a DockerConfigError naming the accepted
 * forms, before any request: sent as it was, it reached the engine as a broken body.
 */
function directoryOf(context: BuildContext): string | undefined {
  if (typeof context === "string" && context !== "") return context;
  const directory = (context as { directory?: unknown } | null)?.directory;
  if (typeof directory === "string" && directory !== "") return directory;
  checkArchiveInput(context, "images.build()", true, 'a directory path ("./app" or { directory: "./app" })');
  return undefined;
}

/** Why a build gets no BuildKit session from this engine: the dialect's word, else its default builder. */
async function whyNoSession(client: Client, call: CallOptions): Promise<string> {
  return (await client.dialect(call)).noBuildSession ?? `the engine at ${client.transport.address} builds with the classic builder by default`;
}
