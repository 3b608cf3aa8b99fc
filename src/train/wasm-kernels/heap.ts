import type * as tf from '@tensorflow/tfjs';

/**
 * The two BackendWasm methods a JS kernel needs to read and write tensors in place on the wasm heap (no copy).
 * Any allocation (makeOutput, or an op) may grow the heap and detach earlier views, so take views last.
 */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function asWasmHeapBackend(backend: unknown, kernel: string): WasmHeapBackend {
  const b = backend as Partial<WasmHeapBackend> | null;
  if (!b || typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function') {
    throw new Error(`${kernel}: expected the tfjs wasm backend (makeOutput/typedArrayFromHeap), got ${String((backend as object | null)?.constructor?.name)}`);
  }
  return b as WasmHeapBackend;
}

export function float32View(backend: WasmHeapBackend, t: tf.TensorInfo, kernel: string): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`${kernel}: only float32 tensors are supported, got ${t.dtype}`);
  return backend.typedArrayFromHeap(t) as Float32Array;
}
