/**
 * The Pods a counter counted (or released) and then forgot, as a scalable Bloom filter: a set that
 * may answer "maybe" for a Pod it never held, never "no" for one it did. A record of a forgotten
 * Pod that shows it finished with the finalizer is older than what was acted on, and is checked
 * against the API server before anything is listed (logic/first-seen-finished.ts); a false
 * "maybe" costs one needless GET. About 14 bits per Pod (175 KB for 100,000), where a set of UIDs
 * would hold some 8 MB.
 */
import { fnv1a32 } from "../../shared/partition.js";

interface Layer {
  bits: Uint32Array;
  /** Bits in the layer. */
  size: number;
  hashes: number;
  capacity: number;
  count: number;
}

/** Murmur3's finaliser: spreads the bits of a 32-bit hash. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class ForgottenPods {
  private readonly layers: Layer[] = [];

  /** `initialCapacity` Pods in the first layer, each next layer twice the last; `errorRate` overall, roughly. */
  constructor(
    private readonly initialCapacity = 256,
    private readonly errorRate = 0.01,
  ) {}

  add(uid: string): void {
    let layer = this.layers.at(-1);
    if (!layer || layer.count >= layer.capacity) layer = this.grow();
    const [h1, h2] = hashes(uid);
    for (let i = 0; i < layer.hashes; i++) {
      const at = bitOf(layer, h1, h2, i);
      layer.bits[at >>> 5]! |= 1 << (at & 31);
    }
    layer.count++;
  }

  /** False: certainly never added. True: maybe. */
  mightContain(uid: string): boolean {
    if (this.layers.length === 0) return false;
    const [h1, h2] = hashes(uid);
    return this.layers.some((layer) => {
      for (let i = 0; i < layer.hashes; i++) {
        const at = bitOf(layer, h1, h2, i);
        if ((layer.bits[at >>> 5]! & (1 << (at & 31))) === 0) return false;
      }
      return true;
    });
  }

  /** Bytes held by the filter's bits. */
  get bytes(): number {
    return this.layers.reduce((n, l) => n + l.bits.byteLength, 0);
  }

  private grow(): Layer {
    const n = this.layers.length;
    const capacity = this.initialCapacity * 2 ** n;
    // Each layer takes half the error budget of the one before: the sum stays under errorRate.
    const p = this.errorRate / 2 ** (n + 1);
    const size = Math.ceil((-capacity * Math.log(p)) / Math.LN2 ** 2);
    const layer: Layer = { bits: new Uint32Array(Math.ceil(size / 32)), size, hashes: Math.max(1, Math.round((size / capacity) * Math.LN2)), capacity, count: 0 };
    this.layers.push(layer);
    return layer;
  }
}

/** The `i`-th bit of a key in `layer` (double hashing). */
function bitOf(layer: Layer, h1: number, h2: number, i: number): number {
  return ((h1 + Math.imul(i, h2)) >>> 0) % layer.size;
}

function hashes(uid: string): [number, number] {
  const h = fnv1a32(uid);
  return [mix(h), mix(h ^ 0x9e3779b9) | 1];
}
