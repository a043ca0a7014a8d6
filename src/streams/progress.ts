// Pull, push, build and load progress: the engine's JSON-lines events, and a running total that
// a progress bar can render (bytes done and total, per layer and overall).

import { JsonStream } from "./json-stream.ts";

/** One event of a pull/push/build/load stream, as the engine sends it. */
export interface ProgressEvent {
  /** Layer id (pull/push) or image reference. */
  id?: string;
  /** "Pulling fs layer", "Downloading", "Extracting", "Pull complete", "Pushed", ... */
  status?: string;
  /** The engine's own rendered bar. */
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  /** Build output text. */
  stream?: string;
  /** Extra data: the built image id (`{ ID }`), the pushed digest (`{ Tag, Digest, Size }`). */
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

export interface LayerProgress {
  id: string;
  status: string;
  /** Bytes done in the current phase (download, extract or upload). */
  current: number;
  /** Bytes of the layer, when the engine said. */
  total: number;
  done: boolean;
}

/** The running totals. `current`/`total` sum the layers' figures. */
export interface Progress {
  layers: LayerProgress[];
  current: number;
  total: number;
  /** Layers finished / layers seen. */
  layersDone: number;
}

const DONE = /^(Pull complete|Already exists|Download complete|Pushed|Layer already exists|Mounted from|Verifying Checksum)/;
const FINAL = /^(Pull complete|Already exists|Pushed|Layer already exists|Mounted from)/;

/** Folds events into per-layer and overall progress. */
export class ProgressTracker {
  readonly #layers = new Map<string, LayerProgress>();

  /** Updates the totals with one event. Non-layer events (status lines, build output) are ignored. */
  update(event: ProgressEvent): void {
    const id = event.id;
    if (!id || !event.status || !/^[0-9a-f]{12,64}$/.test(id)) return;
    let layer = this.#layers.get(id);
    if (!layer) {
      layer = { id, status: event.status, current: 0, total: 0, done: false };
      this.#layers.set(id, layer);
    }
    layer.status = event.status;
    const detail = event.progressDetail;
    if (detail && typeof detail.total === "number" && detail.total > 0) layer.total = detail.total;
    if (detail && typeof detail.current === "number") layer.current = detail.current;
    if (DONE.test(event.status) && layer.total > 0) layer.current = layer.total;
    if (FINAL.test(event.status)) layer.done = true;
  }

  get progress(): Progress {
    const layers = [...this.#layers.values()].map((l) => ({ ...l }));
    let current = 0;
    let total = 0;
    let layersDone = 0;
    for (const l of layers) {
      current += Math.min(l.current, l.total || l.current);
      total += l.total;
      if (l.done) layersDone++;
    }
    return { layers, current, total, layersDone };
  }
}

/**
 * An async iterable of progress events whose `progress` property always reflects what has been
 * read so far. An in-band error (a failed pull, push or build step) rejects the iteration with a
 * DockerStreamError carrying the engine's message: a failure never looks like success.
 */
export class ProgressStream implements AsyncIterable<ProgressEvent> {
  readonly #events: JsonStream<ProgressEvent>;
  readonly #tracker = new ProgressTracker();
  readonly #onProgress: ((progress: Progress, event: ProgressEvent) => void) | undefined;

  constructor(body: ReadableStream<Uint8Array>, onProgress?: (progress: Progress, event: ProgressEvent) => void) {
    this.#events = new JsonStream<ProgressEvent>(body);
    this.#onProgress = onProgress;
  }

  get progress(): Progress {
    return this.#tracker.progress;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ProgressEvent, void, undefined> {
    for await (const event of this.#events) {
      this.#tracker.update(event);
      this.#onProgress?.(this.#tracker.progress, event);
      yield event;
    }
  }

  /**
   * Stops reading and releases the connection (the engine may go on with the operation). A
   * `for await` reading it ends, and `done()` resolves with the events read so far.
   */
  cancel(reason?: unknown): Promise<void> {
    return this.#events.cancel(reason);
  }

  /** Reads to the end; resolves with every event, rejects on an in-band error. */
  async done(): Promise<ProgressEvent[]> {
    const all: ProgressEvent[] = [];
    for await (const event of this) all.push(event);
    return all;
  }
}
