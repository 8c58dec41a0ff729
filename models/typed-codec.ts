import { ModelError } from './errors.ts';

/** A typed array as JSON: little-endian bytes in base64. */
export interface EncodedArray {
  dtype: 'uint8' | 'int16' | 'int32' | 'float32' | 'float64';
  length: number;
  base64: string;
}

type Typed = Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;

const DTYPE: ReadonlyMap<unknown, EncodedArray['dtype']> = new Map<unknown, EncodedArray['dtype']>([
  [Uint8Array, 'uint8'],
  [Int16Array, 'int16'],
  [Int32Array, 'int32'],
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
]);

export function encodeTypedArray(a: Typed): EncodedArray {
  const dtype = DTYPE.get(a.constructor);
  if (!dtype) throw new Error('encodeTypedArray: unsupported array type');
  return {
    dtype,
    length: a.length,
    base64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64'),
  };
}

export function decodeTypedArray<T extends Typed>(
  e: EncodedArray,
  ctor: { new (n: number): T; readonly BYTES_PER_ELEMENT: number },
  expectedLength: number,
  what: string,
): T {
  if (typeof e !== 'object' || e === null || typeof e.base64 !== 'string') {
    throw new ModelError('artifact_invalid', `[artifact] ${what} is not an encoded array`);
  }
  if (e.dtype !== DTYPE.get(ctor)) {
    throw new ModelError(
      'artifact_invalid',
      `[artifact] ${what} has dtype ${String(e.dtype)}, expected ${String(DTYPE.get(ctor))}`,
    );
  }
  const bytes = Buffer.from(e.base64, 'base64');
  if (e.length !== expectedLength || bytes.byteLength !== expectedLength * ctor.BYTES_PER_ELEMENT) {
    throw new ModelError(
      'artifact_invalid',
      `[artifact] ${what} holds ${bytes.byteLength / ctor.BYTES_PER_ELEMENT} values, expected ${expectedLength}`,
    );
  }
  const out = new ctor(expectedLength);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  return out;
}
