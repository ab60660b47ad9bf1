/**
 * @module modules/executions/history-ring
 * The hand-over between the request thread and the history writer thread: a byte ring in shared
 * memory with one writer and one reader. Each frame is a slice of queued records as UTF-8 JSON,
 * after a 4-byte length. The writer publishes a frame by moving `WRITE_POS`; the reader moves
 * `READ_POS` only once the frames before it are committed, so until then they are still in the
 * ring, and the request thread can write them itself if the writer thread dies.
 *
 * It replaced a message per slice plus a copy kept until confirmed: what it bought is bounded
 * memory and no loss when the thread dies, not speed. In-process, the echo call's main thread cost
 * the same either way (~10.5 µs with history on, 7 without); most of that gap comes with the
 * writer thread running beside it at all, not with handing slices over (docs/performance.md).
 *
 * Positions are byte counts that run freely and wrap as int32: the capacity is a power of two
 * below 2^31, so `pos & mask` is the offset and `(write - read) | 0` the bytes in use.
 */

/** Slots of the ring's control Int32Array. */
export const WRITE_POS = 0;
export const READ_POS = 1;
/** 1 while the reader waits for a wake-up message (it found the ring empty). */
export const SLEEPING = 2;
export const RING_SLOTS = 3;

const HEADER_BYTES = 4;

/** The ring's shared memory: posted once to the reader thread, which builds its reader on it. */
export interface RingMemory {
  bytes: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

export function createRingMemory(capacity: number): RingMemory {
  if (capacity < 64 || capacity >= 2 ** 31 || (capacity & (capacity - 1)) !== 0) throw new Error(`ring capacity must be a power of two from 64 to 2^30, not ${capacity}`);
  const memory = { bytes: new SharedArrayBuffer(capacity), control: new SharedArrayBuffer(RING_SLOTS * Int32Array.BYTES_PER_ELEMENT) };
  // The reader starts asleep: the first frame written wakes it.
  Atomics.store(new Int32Array(memory.control), SLEEPING, 1);
  return memory;
}

/** What `write` did with a frame. */
export type WriteResult = "written" | "full" | "too_big";

export interface RingWriter {
  /**
   * Appends `text` as one frame. "full": not now, the reader is behind; "too_big": never, a frame
   * may take at most half the ring (so one large frame cannot hold the reader's place for long).
   */
  write(text: string): WriteResult;
  /** The write position: the reader has taken everything once `READ_POS` reaches it. */
  position(): number;
  /** True when the reader had gone to sleep, and clears it: the caller must then wake it. */
  takeSleeping(): boolean;
  control: Int32Array;
}

const encoder = new TextEncoder();

export function ringWriter(memory: RingMemory): RingWriter {
  const bytes = new Uint8Array(memory.bytes);
  const control = new Int32Array(memory.control);
  const capacity = bytes.length;
  const mask = capacity - 1;
  const maxFrame = capacity / 2;
  // Encoded here first, then copied in (in two parts when it wraps): encodeInto stops before a
  // character that does not fit, which would leave a gap at the ring's end.
  let scratch = new Uint8Array(64 * 1024);

  return {
    control,
    write(text) {
      if (text.length * 3 > scratch.length) {
        if (HEADER_BYTES + Buffer.byteLength(text) > maxFrame) return "too_big";
        scratch = new Uint8Array(Math.min(text.length * 3, maxFrame));
      }
      const { written: length } = encoder.encodeInto(text, scratch);
      if (HEADER_BYTES + length > maxFrame) return "too_big";
      const write = Atomics.load(control, WRITE_POS);
      const used = (write - Atomics.load(control, READ_POS)) | 0;
      if (used + HEADER_BYTES + length > capacity) return "full";
      for (let i = 0; i < HEADER_BYTES; i++) bytes[(write + i) & mask] = (length >>> (8 * i)) & 0xff;
      const start = (write + HEADER_BYTES) & mask;
      const first = Math.min(length, capacity - start);
      bytes.set(scratch.subarray(0, first), start);
      if (first < length) bytes.set(scratch.subarray(first, length), 0);
      // The store publishes the bytes above to a reader that loads the new position.
      Atomics.store(control, WRITE_POS, (write + HEADER_BYTES + length) | 0);
      return "written";
    },
    position: () => Atomics.load(control, WRITE_POS),
    takeSleeping: () => Atomics.compareExchange(control, SLEEPING, 1, 0) === 1,
  };
}

export interface RingReader {
  /** The frames written since the last `take`, as text. */
  take(): string[];
  /** Gives back the space of every frame taken so far (call once they are stored). */
  release(): void;
  /** True when nothing is left to take. */
  empty(): boolean;
  control: Int32Array;
}

const decoder = new TextDecoder();

/** A reader from the last released position: what was taken but not released is taken again. */
export function ringReader(memory: RingMemory): RingReader {
  const bytes = new Uint8Array(memory.bytes);
  const control = new Int32Array(memory.control);
  const capacity = bytes.length;
  const mask = capacity - 1;
  let cursor = Atomics.load(control, READ_POS);

  return {
    control,
    take() {
      const end = Atomics.load(control, WRITE_POS);
      const frames: string[] = [];
      while (cursor !== end) {
        let length = 0;
        for (let i = 0; i < HEADER_BYTES; i++) length |= bytes[(cursor + i) & mask]! << (8 * i);
        const start = (cursor + HEADER_BYTES) & mask;
        const first = Math.min(length, capacity - start);
        if (first === length) {
          frames.push(decoder.decode(bytes.subarray(start, start + length)));
        } else {
          const frame = new Uint8Array(length);
          frame.set(bytes.subarray(start, capacity));
          frame.set(bytes.subarray(0, length - first), first);
          frames.push(decoder.decode(frame));
        }
        cursor = (cursor + HEADER_BYTES + length) | 0;
      }
      return frames;
    },
    release() {
      Atomics.store(control, READ_POS, cursor);
      Atomics.notify(control, READ_POS);
    },
    empty: () => cursor === Atomics.load(control, WRITE_POS),
  };
}
