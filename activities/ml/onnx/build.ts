// Builds an ONNX model from a trained model plus its fitted preprocessing, so the exported graph
// takes the raw input vector (see preprocess.ts) and does imputation, one-hot and scaling itself:
//
//   input [N, F] ─ IsNaN/Where (impute) ─ Gather numeric + (Gather, Equal, Cast) per categorical ─ Concat
//                ─ Sub offset ─ Div divisor ─ Gemm (─ Relu ─ Gemm …) ─ Softmax ─ probabilities [N, C]
//                                                                              └ ArgMax ─ label [N] (int64)
// Regression ends in a Gemm → prediction [N, 1] (target scale folded into the last Gemm);
// k-means computes squared distances [N, k] (ReduceSumSquare + Gemm) and ArgMin → label.
import type { Model } from '../models';
import type { PreprocessorParams } from '../preprocess';
import { AttrType, DataType, ModelProto } from './proto';

export interface OnnxTensorInfo {
  name: string;
  dtype: 'float32' | 'int64';
  /** "N" is the dynamic batch dimension. */
  shape: (number | 'N')[];
  description: string;
}

export interface BuiltOnnx {
  bytes: Uint8Array;
  opset: number;
  irVersion: number;
  input: OnnxTensorInfo;
  outputs: OnnxTensorInfo[];
  /** The output compared for parity: probabilities, prediction or distances. */
  primaryOutput: string;
  ops: string[];
}

type Attr = { name: string; type: number; i?: number; f?: number; ints?: number[]; floats?: number[] };

class GraphBuilder {
  nodes: object[] = [];
  inits: object[] = [];
  private n = 0;

  constant(name: string, dims: number[], values: ArrayLike<number>, type: 'float' | 'int64' = 'float'): string {
    let raw: Uint8Array;
    if (type === 'float') {
      const f = Float32Array.from(values);
      raw = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
    } else {
      const b = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
      raw = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }
    this.inits.push({ name, dims, data_type: type === 'float' ? DataType.FLOAT : DataType.INT64, raw_data: raw });
    return name;
  }

  op(opType: string, inputs: string[], attrs: Attr[] = [], output?: string): string {
    const out = output ?? `${opType.toLowerCase()}_${this.n}`;
    this.nodes.push({
      op_type: opType,
      name: `${opType}_${this.n++}`,
      input: inputs,
      output: [out],
      attribute: attrs,
      domain: '',
    });
    return out;
  }
}

const int = (name: string, i: number): Attr => ({ name, type: AttrType.INT, i });
const flt = (name: string, f: number): Attr => ({ name, type: AttrType.FLOAT, f });

function valueInfo(t: OnnxTensorInfo): object {
  return {
    name: t.name,
    type: {
      tensor_type: {
        elem_type: t.dtype === 'float32' ? DataType.FLOAT : DataType.INT64,
        shape: { dim: t.shape.map((d) => (d === 'N' ? { dim_param: 'N' } : { dim_value: d })) },
      },
    },
    doc_string: t.description,
  };
}

export function buildOnnx(
  model: Model,
  pre: PreprocessorParams,
  opts: { opset?: number; name?: string; docString?: string } = {},
): BuiltOnnx {
  const opset = opts.opset ?? 13;
  if (opset < 13 || opset > 17) throw new Error(`opset ${opset} not supported (13–17)`);
  const g = new GraphBuilder();
  const F = pre.inputColumns.length;
  const input: OnnxTensorInfo = {
    name: 'input',
    dtype: 'float32',
    shape: ['N', F],
    description:
      'Raw features in this column order: ' +
      pre.inputColumns
        .map((c) => (c.kind === 'numeric' ? c.name : `${c.name} (category index into [${c.categories!.join(', ')}])`))
        .join('; ') +
      '. NaN = missing or unknown category.',
  };
  let x = input.name;

  // Impute.
  if (pre.impute !== 'none' && pre.fill.some((v) => v !== null)) {
    const fill = g.constant(
      'impute_fill',
      [1, F],
      pre.fill.map((v) => (v === null ? NaN : v)),
    );
    const isnan = g.op('IsNaN', [x]);
    x = g.op('Where', [isnan, fill, x], [], 'imputed');
  }

  // Encode: numeric columns first, then one one-hot block per categorical column.
  const numericIdx = pre.inputColumns.flatMap((c, j) => (c.kind === 'numeric' ? [j] : []));
  const cats = pre.inputColumns.flatMap((c, j) =>
    c.kind === 'categorical' ? [{ j, k: c.categories!.length, name: c.name }] : [],
  );
  if (cats.length > 0) {
    const pieces: string[] = [];
    if (numericIdx.length > 0)
      pieces.push(
        g.op('Gather', [x, g.constant('numeric_idx', [numericIdx.length], numericIdx, 'int64')], [int('axis', 1)]),
      );
    cats.forEach(({ j, k }, ci) => {
      const col = g.op('Gather', [x, g.constant(`cat${ci}_idx`, [1], [j], 'int64')], [int('axis', 1)]);
      const eq = g.op('Equal', [
        col,
        g.constant(
          `cat${ci}_codes`,
          [1, k],
          Array.from({ length: k }, (_, t) => t),
        ),
      ]);
      pieces.push(g.op('Cast', [eq], [int('to', DataType.FLOAT)]));
    });
    x = pieces.length === 1 ? pieces[0]! : g.op('Concat', pieces, [int('axis', 1)], 'encoded');
  }
  const M = pre.encodedNames.length;

  // Scale.
  if (pre.scale !== 'none') {
    x = g.op('Sub', [x, g.constant('scale_offset', [1, M], pre.offset)]);
    x = g.op('Div', [x, g.constant('scale_divisor', [1, M], pre.divisor)], [], 'features');
  }

  const outputs: OnnxTensorInfo[] = [];
  let primaryOutput: string;
  if (model.kind === 'kmeans') {
    const k = model.centroids.length;
    const d = model.centroids[0]!.length;
    if (d !== M) throw new Error(`model expects ${d} features, preprocessing gives ${M}`);
    const ct = new Float64Array(d * k);
    model.centroids.forEach((c, ci) => c.forEach((v, j) => (ct[j * k + ci] = v)));
    const cnorm = model.centroids.map((c) => c.reduce((s, v) => s + v * v, 0));
    const xx = g.op('ReduceSumSquare', [x], [{ name: 'axes', type: AttrType.INTS, ints: [1] }, int('keepdims', 1)]);
    const xc = g.op(
      'Gemm',
      [x, g.constant('centroids_t', [d, k], ct), g.constant('centroid_sq_norms', [k], cnorm)],
      [flt('alpha', -2), flt('beta', 1)],
    );
    g.op('Add', [xx, xc], [], 'distances');
    g.op('ArgMin', ['distances'], [int('axis', 1), int('keepdims', 0)], 'label');
    outputs.push({
      name: 'distances',
      dtype: 'float32',
      shape: ['N', k],
      description: 'squared Euclidean distance to each centroid',
    });
    outputs.push({ name: 'label', dtype: 'int64', shape: ['N'], description: 'nearest centroid' });
    primaryOutput = 'distances';
  } else {
    if (model.layers[0]!.in !== M)
      throw new Error(`model expects ${model.layers[0]!.in} features, preprocessing gives ${M}`);
    model.layers.forEach((L, l) => {
      const last = l === model.layers.length - 1;
      let W = L.W;
      let b = L.b;
      if (last && model.task === 'regression') {
        const s = model.yStd ?? 1;
        const mu = model.yMean ?? 0;
        W = W.map((w) => w * s);
        b = b.map((v) => v * s + mu);
      }
      const out = last && model.task === 'regression' ? 'prediction' : last ? 'logits' : undefined;
      x = g.op(
        'Gemm',
        [x, g.constant(`W${l}`, [L.in, L.out], W), g.constant(`b${l}`, [L.out], b)],
        [int('transB', 0)],
        out,
      );
      if (!last) x = g.op('Relu', [x]);
    });
    if (model.task === 'classification') {
      const C = model.classes!.length;
      g.op('Softmax', [x], [int('axis', 1)], 'probabilities');
      g.op('ArgMax', ['probabilities'], [int('axis', 1), int('keepdims', 0)], 'label');
      outputs.push({
        name: 'probabilities',
        dtype: 'float32',
        shape: ['N', C],
        description: `class probabilities in order [${model.classes!.join(', ')}]`,
      });
      outputs.push({ name: 'label', dtype: 'int64', shape: ['N'], description: 'index of the most probable class' });
      primaryOutput = 'probabilities';
    } else {
      outputs.push({ name: 'prediction', dtype: 'float32', shape: ['N', 1], description: 'predicted target value' });
      primaryOutput = 'prediction';
    }
  }

  const irVersion = opset >= 15 ? 8 : 7;
  const msg = {
    ir_version: irVersion,
    producer_name: 'trainyard',
    producer_version: '0.1.0',
    model_version: 1,
    doc_string: opts.docString ?? `${model.kind} trained by Trainyard`,
    opset_import: [{ domain: '', version: opset }],
    graph: {
      name: opts.name ?? model.kind,
      node: g.nodes,
      initializer: g.inits,
      input: [valueInfo(input)],
      output: outputs.map(valueInfo),
    },
    metadata_props: [
      { key: 'model_kind', value: model.kind },
      { key: 'input_columns', value: JSON.stringify(pre.inputColumns) },
      ...(model.kind !== 'kmeans' && model.classes ? [{ key: 'classes', value: JSON.stringify(model.classes) }] : []),
    ],
  };
  const err = ModelProto.verify(msg);
  if (err) throw new Error(`invalid ONNX message: ${err}`);
  const bytes = ModelProto.encode(ModelProto.fromObject(msg)).finish();
  const ops = [...new Set((g.nodes as { op_type: string }[]).map((n) => n.op_type))];
  return { bytes, opset, irVersion, input, outputs, primaryOutput, ops };
}
