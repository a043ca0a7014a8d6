// moby.filesync.v1.FileSync/DiffCopy: berth as fsutil's sender. The engine opens one call per
// local source it needs (`context`, `dockerfile`, each with its own include, exclude and follow
// paths in the metadata); berth sends a STAT for every kept entry in walk order, then an empty
// STAT, and the file bytes the engine REQuests by id (an entry's index among the STATs) as DATA
// packets closed by an empty one, until the engine says FIN. The engine requests only what its
// cache lacks, so a rebuild of an unchanged directory sends stats and no file bytes.
// A file that cannot be read fails the call with an ERR packet naming it, which the engine
// reports as the build's error; nothing waits on a reply that cannot come.

import { GrpcError, GrpcStatus, type GrpcCall, type GrpcHandler } from "../../grpc/server.ts";
import { MAX_MESSAGE } from "../../grpc/framing.ts";
import type { ContextFileSystem } from "../../server/build/context.ts";
import { WalkError, describe, followLinks, patternFilter, walkTree, type WalkFilter } from "../../server/build/walk.ts";
import type { ContextSent } from "../build-stream.ts";
import { PacketType, decodePacket, encodePacket, goMode, hasData, type Packet } from "./packet.ts";

/** A directory the engine may sync: its absolute root and what never leaves it. */
export interface SyncedDir {
  root: string;
  /** .dockerignore patterns, applied before the engine's own. */
  exclude?: string[];
  /** Paths kept whatever `exclude` says (the context's .dockerignore). */
  always?: string[];
  /**
   * The only paths the engine may have, whatever it asks for (the Dockerfile and its
   * `.dockerignore` in a directory that holds more: a Dockerfile outside the context).
   */
  only?: string[];
}


/** File bytes per DATA packet: well under the engine's message limit, few enough packets. */
const CHUNK = Math.min(1024 * 1024, MAX_MESSAGE / 4);

export const DIFF_COPY = "/moby.filesync.v1.FileSync/DiffCopy";

export function diffCopy(fs: ContextFileSystem, dirs: ReadonlyMap<string, SyncedDir>, count: ContextSent): GrpcHandler {
  return async (call) => {
    const md = metadata(call);
    const name = md("dir-name")[0] ?? "";
    const dir = dirs.get(name);
    if (!dir) throw new GrpcError(GrpcStatus.NOT_FOUND, `no access allowed to dir "${name}"`);
    const send = async (packet: Packet): Promise<void> => {
      const bytes = encodePacket(packet);
      count.bytes += bytes.length + 5;
      await call.send(bytes);
    };
    const failed = async (message: string): Promise<never> => {
      await send({ type: PacketType.ERR, data: new TextEncoder().encode(message) }).catch(() => {});
      throw new GrpcError(GrpcStatus.UNKNOWN, message);
    };

    const follow = md("followpaths");
    const include = [...md("include-patterns"), ...(follow.length ? await followLinks(fs, dir.root, follow) : [])];
    // What the engine asks for, within what berth offers: the engine's patterns decide what the
    // build sees, berth's own (.dockerignore, `only`) what may leave at all.
    const filter = bothFilters(
      patternFilter({ include, exclude: md("exclude-patterns") }),
      patternFilter({ include: dir.only ? await followLinks(fs, dir.root, dir.only) : undefined, exclude: dir.exclude, always: dir.always }),
    );
    const files = new Map<number, string>();
    // A failed walk or file send ends the call at once, whether or not the engine answers the ERR.
    let fail!: (err: unknown) => void;
    const failure = new Promise<never>((_, reject) => (fail = reject));
    failure.catch(() => {});
    // File sends, one after the other: they share the stream, and order within a file matters.
    let sending: Promise<void> = Promise.resolve();

    const walked = (async () => {
      let id = 0;
      try {
        for await (const entry of walkTree(fs, dir.root, filter)) {
          if (call.signal.aborted) return;
          const mode = goMode(entry.kind, entry.mode);
          if (hasData(mode)) files.set(id, entry.path);
          id++;
          await send({
            type: PacketType.STAT,
            stat: { path: entry.path, mode, size: entry.size, modTime: BigInt(Math.round(entry.mtimeMs * 1000)) * 1000n, linkname: entry.linkname },
          });
        }
      } catch (err) {
        await failed(err instanceof WalkError ? err.message : `cannot walk ${dir.root}: ${describe(err)}`);
      }
      await send({ type: PacketType.STAT });
    })();
    walked.catch(fail);

    const sendFile = async (id: number, path: string): Promise<void> => {
      const reader = fs.open(`${dir.root}/${path}`).getReader();
      // A closed session stops the read: a file that never ends holds nothing open.
      const stop = (): void => void reader.cancel().catch(() => {});
      call.signal.addEventListener("abort", stop, { once: true });
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (let at = 0; at < value.length; at += CHUNK) await send({ type: PacketType.DATA, id, data: value.subarray(at, at + CHUNK) });
        }
      } catch (err) {
        reader.cancel().catch(() => {});
        await failed(new WalkError(`${dir.root}/${path}`, err).message);
      } finally {
        call.signal.removeEventListener("abort", stop);
      }
      count.files++;
      await send({ type: PacketType.DATA, id });
    };

    const messages = call.messages[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await Promise.race([messages.next(), failure]);
        if (next.done) break;
        const packet = decodePacket(next.value);
        if (packet.type === PacketType.REQ) {
          const id = packet.id ?? 0;
          const path = files.get(id);
          if (path === undefined) await failed(`invalid file request ${id}`);
          files.delete(id);
          sending = sending.then(() => sendFile(id, path!));
          sending.catch(fail);
        } else if (packet.type === PacketType.FIN) {
          await Promise.race([Promise.all([walked, sending]), failure]);
          await send({ type: PacketType.FIN });
          return;
        } else if (packet.type === PacketType.ERR) {
          throw new GrpcError(GrpcStatus.CANCELLED, `error from receiver: ${new TextDecoder().decode(packet.data ?? new Uint8Array(0))}`);
        }
      }
      // The engine half-closed without FIN: it wants nothing more.
      await Promise.race([Promise.all([walked, sending]), failure]);
    } finally {
      void messages.return?.().catch(() => {});
    }
  };
}

function bothFilters(a: WalkFilter, b: WalkFilter): WalkFilter {
  return { keeps: (path) => a.keeps(path) && b.keeps(path), prunes: (dir) => a.prunes(dir) || b.prunes(dir) };
}

/** gRPC metadata values of one key, URL-decoded where the engine marked them `<key>-encoded`. */
function metadata(call: GrpcCall): (key: string) => string[] {
  return (key) => {
    const values = call.metadataValues(key);
    const encoded = call.metadataValues(`${key}-encoded`)[0];
    if (encoded !== "1" && encoded !== "true") return values;
    return values.map((v) => {
      try {
        return decodeURIComponent(v.replace(/\+/g, " "));
      } catch {
        return v;
      }
    });
  };
}
