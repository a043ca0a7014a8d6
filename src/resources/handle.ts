// What every resource family shares. A handle (`Container`, `Secret`, ...) is a client, an id and
// what the engine last said about the object (`attrs`); `inspect()` and `reload()` ask again. A
// collection (`docker.containers`, ...) lists, gets and makes handles of one class. What differs
// between families is data: the routes each handle class declares, read here, which name the
// family's generated endpoint functions (src/generated/endpoints/).

import type { CallOptions, Client } from "../request/engine.ts";
import { DockerConfigError } from "../errors/errors.ts";

/**
 * Where a family lives in the API; each handle class declares its own. (Methods, not function
 * properties: each family's endpoint takes its own options type.)
 */
export interface Routes {
  /** What one object is called in messages: `secret`. */
  name: string;
  /** The list endpoint function, e.g. `secretList`; its options are `list()`'s. */
  list(client: Client, options: CallOptions): Promise<unknown>;
  /** The inspect endpoint function, e.g. `secretInspect`; its options are `inspect()`'s. */
  inspect(client: Client, id: string, options: CallOptions): Promise<unknown>;
  /** The fields of an answer that hold the object's id; the first one present wins. */
  id: readonly string[];
}

/**
 * The answers that came from an inspect (`get()`, `reload()`, `create()`), not from a list: what
 * `info` and `summary` tell apart. Kept by object, so an `attrs` assigned by hand reads as neither.
 */
const inspected = new WeakSet<object>();

/** An object of a family. `attrs` holds what the engine last said about it (list item or inspect). */
export abstract class Handle<
  Attrs extends object,
  Info extends Attrs = Attrs,
  InspectOptions extends CallOptions = CallOptions,
  ReloadOptions extends CallOptions = CallOptions,
> {
  /** @internal */
  declare protected static readonly routes: Routes;

  // A true private field, reached only through the getter: the client and its credentials never
  // show when a handle is inspected or serialised.
  readonly #client: Client;
  /** The full id, or the name (or id prefix) the handle was made from until `reload()`. */
  id: string;
  attrs: Attrs | undefined;

  constructor(client: Client, id: string, attrs?: Attrs) {
    this.#client = client;
    this.id = id;
    this.attrs = attrs;
  }

  /** @internal */
  get client(): Client {
    return this.#client;
  }

  /**
   * `attrs` when they came from an inspect (`get()`, `reload()`, a `create()` that fills them),
   * typed as the inspect answer: `container.info?.Config?.Env`, no cast. Undefined for a list item.
   */
  get info(): Info | undefined {
    const attrs = this.attrs;
    return attrs !== undefined && inspected.has(attrs) ? (attrs as Info) : undefined;
  }

  /**
   * `attrs` when they came from a list (`list()`), typed as the list item. Undefined after an
   * inspect, and for families whose list and inspect say the same (then read `info`).
   */
  get summary(): SummaryOf<Attrs, Info> | undefined {
    const attrs = this.attrs;
    return attrs !== undefined && !inspected.has(attrs) ? (attrs as SummaryOf<Attrs, Info>) : undefined;
  }

  /** @internal This handle's class's routes. (A method: accessors would show in `util.inspect`.) */
  protected routes(): Routes {
    return routesOf(this.constructor);
  }

  /** Asks the engine about the object (`docker inspect`). */
  inspect(options: InspectOptions = {} as InspectOptions): Promise<Info> {
    return this.routes().inspect(this.#client, this.id, options) as Promise<Info>;
  }

  /** Refreshes `attrs` (and `id`) from the engine. */
  async reload(options: ReloadOptions = {} as ReloadOptions): Promise<this> {
    const info = await this.inspect(options as CallOptions as InspectOptions);
    if (typeof info === "object" && info !== null) inspected.add(info);
    this.attrs = info;
    this.id = idIn(info, this.routes().id) ?? this.id;
    return this;
  }
}

/**
 * The list item's type: the attrs that are not the inspect answer. Where the inspect answer only
 * adds optional fields to the list item (networks), the list item is the whole of `Attrs`.
 */
export type SummaryOf<Attrs, Info> = [Exclude<Attrs, Info>] extends [never] ? Attrs : Exclude<Attrs, Info>;

/** @internal Any handle class's instances, for collections' type parameters. */
export type AnyHandle = Handle<object, object, CallOptions, CallOptions>;
type HandleClass<H extends AnyHandle> = new (client: Client, id: string, attrs?: H["attrs"]) => H;

/** The objects of a family: `list()`, `get()` and `ref()` handles of one class. */
export abstract class Collection<
  H extends AnyHandle,
  ListOptions extends CallOptions = CallOptions,
  GetOptions extends CallOptions = CallOptions,
> {
  readonly #client: Client;
  readonly #Handle: HandleClass<H>;

  protected constructor(client: Client, handle: HandleClass<H>) {
    this.#client = client;
    this.#Handle = handle;
  }

  /** @internal */
  protected get client(): Client {
    return this.#client;
  }

  /** @internal The routes of the family's handle class. */
  protected routes(): Routes {
    return routesOf(this.#Handle);
  }

  /** One request for the whole list; each item is a handle holding what the list said about it. */
  async list(options: ListOptions = {} as ListOptions): Promise<H[]> {
    const { list, id } = this.routes();
    const items = (await list(this.#client, options)) as NonNullable<H["attrs"]>[] | null;
    return (items ?? []).map((item) => new this.#Handle(this.#client, idIn(item, id)!, item));
  }

  /** Inspects an object by id or name (see the family's notes); rejects with DockerNotFoundError when none. */
  async get(idOrName: string, options: GetOptions = {} as GetOptions): Promise<H> {
    // async: a bad id rejects (as every call's errors do) rather than throwing synchronously.
    return this.ref(idOrName).reload(options);
  }

  /** A handle for a known id or name, without a request. */
  ref(idOrName: string): H {
    return new this.#Handle(this.#client, checkId(idOrName, `a ${this.routes().name}`));
  }
}

/**
 * An id or name as given by a caller: a non-empty string. Anything else (undefined, an object, a
 * number) is a DockerConfigError here, before any request, rather than a TypeError or a request
 * to the wrong path.
 */
export function checkId(value: unknown, where: string, expected = "an id or name"): string {
  if (typeof value === "string" && value !== "") return value;
  const what = value === "" ? "an empty string" : value === null ? "null" : typeof value === "object" ? "an object" : typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
  throw new DockerConfigError(`Expected ${expected} (a non-empty string) for ${where}, got ${what}`);
}

function routesOf(handleClass: Function): Routes {
  return (handleClass as unknown as { routes: Routes }).routes;
}

/** The object's id in an engine answer: the first of the family's id fields present. */
function idIn(info: object, fields: readonly string[]): string | undefined {
  for (const field of fields) {
    const value = (info as Record<string, unknown>)[field];
    if (value !== undefined && value !== null) return value as string;
  }
  return undefined;
}
