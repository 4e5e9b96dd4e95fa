// Writes what torch.save writes for plain data holding float32 tensors: a ZIP archive with
// archive/data.pkl (pickle protocol 2 of the object, each tensor a call to
// torch._utils._rebuild_tensor_v2 on a persistent storage id), archive/data/<key> (each storage's
// little-endian bytes), archive/byteorder and archive/version. torch.load reads it, also with
// weights_only=True (torch >= 2: only protocol 2's opcodes, and only dicts, lists, str, numbers,
// OrderedDict and tensors inside; torch 1.13's weights_only loader takes no float at all).
// The pickle is written by io/pickle's pickler and read back by ./torch.ts.
import type { PyOut } from '../../io/pickle/pickler.ts';
import { int, pickle } from '../../io/pickle/pickler.ts';
import { writeStoredZip } from './zip.ts';

/** Makes a tensor value for the object being saved (C-contiguous float32 of `shape`). */
export type TensorOut = (data: Float32Array, shape: number[]) => PyOut;

/** torch.save(obj) where `build` makes obj, its tensors through the function it is given. */
export function torchSave(build: (tensor: TensorOut) => PyOut): Uint8Array {
  const storages: Uint8Array[] = [];
  const tensor: TensorOut = (data, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`torch.save: a tensor of shape [${shape.join(', ')}] given ${data.length} values`);
    const key = String(storages.length);
    // Little-endian whatever the platform (typed arrays follow the machine's order).
    const bytes = new Uint8Array(n * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) view.setFloat32(i * 4, data[i], true);
    storages.push(bytes);
    const stride: number[] = [];
    let s = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      stride[d] = s;
      s *= shape[d];
    }
    const pid: PyOut = { t: 'tuple', items: ['storage', { t: 'global', module: 'torch', name: 'FloatStorage' }, key, 'cpu', int(n)] };
    return {
      t: 'call',
      module: 'torch._utils',
      name: '_rebuild_tensor_v2',
      args: [{ t: 'persid', pid }, int(0), { t: 'tuple', items: shape.map((x) => int(x)) }, { t: 'tuple', items: stride.map((x) => int(x)) }, false, { t: 'call', module: 'collections', name: 'OrderedDict', args: [] }],
    };
  };
  const data = pickle(build(tensor), 2);
  const enc = new TextEncoder();
  return writeStoredZip([
    { name: 'archive/data.pkl', bytes: data },
    { name: 'archive/byteorder', bytes: enc.encode('little') },
    ...storages.map((bytes, i) => ({ name: `archive/data/${i}`, bytes })),
    { name: 'archive/version', bytes: enc.encode('3\n') },
  ]);
}
