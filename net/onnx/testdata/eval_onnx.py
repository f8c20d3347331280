#!/usr/bin/python3
"""Checks and evaluates deepq's ONNX exports independently of deepq.

Usage: eval_onnx.py DIR

DIR/cases.json lists the cases the Go test wrote:
    [{"name", "model", "obs", "obs_shape", "q", "q_shape"}, ...]
with "obs" and "q" raw little-endian float32 files: observations and deepq's
Q-values for them (Sequential.Forward in evaluation mode).

For each case this script
  - loads the model with Debian's python3-onnx and runs onnx.checker
    (full_check: strict shape inference over the whole graph), and checks the
    opset, the IR version and the declared input and output;
  - evaluates the graph node by node with the numpy interpreter below, in
    float64 from the file's float32 weights, on the observations;
  - reports the largest |q_deepq - q_numpy| and the largest |q_numpy|.
It also reports the field numbers and types onnx's own protobuf messages
have, for the Go test to compare with deepq's onnx.proto.

The interpreter knows exactly the operators and attributes deepq emits, with
ONNX opset 13's semantics; anything else is an error. It prints one JSON
object on stdout and exits non-zero on any failure.
"""

import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

OPSET = 13
IR_VERSION = 7


def attrs_of(node, allowed):
    """Returns the node's attributes as a dict, refusing unknown ones."""
    out = {}
    for a in node.attribute:
        if a.name not in allowed:
            raise ValueError(f"node {node.name}: {node.op_type} attribute {a.name} is not one this evaluator knows")
        out[a.name] = onnx.helper.get_attribute_value(a)
    return out


def conv(x, w, b, kernel_shape, strides, pads):
    """ONNX Conv (cross-correlation), group 1, dilation 1: x (N, C, S...),
    w (M, C, k...), pads = begins then ends."""
    nd = x.ndim - 2
    assert list(w.shape[2:]) == list(kernel_shape), (w.shape, kernel_shape)
    padding = [(0, 0), (0, 0)] + [(pads[i], pads[i + nd]) for i in range(nd)]
    xp = np.pad(x, padding)
    out_sp = [(xp.shape[2 + i] - kernel_shape[i]) // strides[i] + 1 for i in range(nd)]
    y = np.zeros((x.shape[0], w.shape[0], *out_sp))
    for tap in np.ndindex(*kernel_shape):
        sl = tuple(slice(tap[i], tap[i] + strides[i] * (out_sp[i] - 1) + 1, strides[i]) for i in range(nd))
        patch = xp[(slice(None), slice(None)) + sl]  # (N, C, out...)
        wt = w[(slice(None), slice(None)) + tap]  # (M, C)
        y += np.einsum("mc,nc...->nm...", wt, patch)
    return y + b.reshape((1, -1) + (1,) * nd)


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run_node(node, v):
    """Evaluates one node on the values v (name -> float64 array)."""
    ins = [v[n] for n in node.input]
    op = node.op_type
    if node.domain not in ("", "ai.onnx"):
        raise ValueError(f"node {node.name}: domain {node.domain!r}")
    if op == "Gemm":
        a = attrs_of(node, {"alpha", "beta", "transA", "transB"})
        A, B = ins[0], ins[1]
        if a.get("transA", 0):
            A = A.T
        if a.get("transB", 0):
            B = B.T
        y = a.get("alpha", 1.0) * (A @ B)
        if len(ins) > 2:
            y = y + a.get("beta", 1.0) * ins[2]
        return y
    if op == "Conv":
        a = attrs_of(node, {"kernel_shape", "strides", "pads", "dilations", "group"})
        nd = ins[0].ndim - 2
        if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1] * nd)):
            raise ValueError(f"node {node.name}: grouped or dilated Conv")
        b = ins[2] if len(ins) > 2 else np.zeros(ins[1].shape[0])
        return conv(ins[0], ins[1], b, a.get("kernel_shape", list(ins[1].shape[2:])),
                    a.get("strides", [1] * nd), a.get("pads", [0] * 2 * nd))
    if op == "Flatten":
        axis = attrs_of(node, {"axis"}).get("axis", 1)
        x = ins[0]
        axis = axis + x.ndim if axis < 0 else axis
        return x.reshape(int(np.prod(x.shape[:axis])), -1)
    if op == "Relu":
        attrs_of(node, set())
        return np.maximum(ins[0], 0)
    if op == "LeakyRelu":
        alpha = attrs_of(node, {"alpha"}).get("alpha", 0.01)
        return np.where(ins[0] > 0, ins[0], alpha * ins[0])
    if op == "Sigmoid":
        attrs_of(node, set())
        return 1 / (1 + np.exp(-ins[0]))
    if op == "Tanh":
        attrs_of(node, set())
        return np.tanh(ins[0])
    if op in ("Softmax", "LogSoftmax"):
        axis = attrs_of(node, {"axis"}).get("axis", -1)
        s = softmax(ins[0], axis)
        return s if op == "Softmax" else np.log(s)
    if op == "ReduceMean":
        a = attrs_of(node, {"axes", "keepdims"})
        axes = a.get("axes")
        return ins[0].mean(axis=None if axes is None else tuple(axes), keepdims=bool(a.get("keepdims", 1)))
    if op in ("Add", "Sub", "Mul", "Div"):
        attrs_of(node, set())
        f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
        return f(ins[0], ins[1])
    if op == "Sqrt":
        attrs_of(node, set())
        return np.sqrt(ins[0])
    if op == "Identity":
        attrs_of(node, set())
        return ins[0]
    if op == "BatchNormalization":
        a = attrs_of(node, {"epsilon", "momentum"})
        x, scale, bias, mean, var = ins
        sh = (1, -1) + (1,) * (x.ndim - 2)
        eps = a.get("epsilon", 1e-5)
        return scale.reshape(sh) * (x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) + bias.reshape(sh)
    raise ValueError(f"node {node.name}: operator {op} is not one this evaluator knows")


def evaluate(model, obs):
    g = model.graph
    v = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    v[g.input[0].name] = obs.astype(np.float64)
    ops = []
    for node in g.node:
        if len(node.output) != 1:
            raise ValueError(f"node {node.name}: {len(node.output)} outputs")
        if node.output[0] in v:
            raise ValueError(f"node {node.name}: value {node.output[0]} assigned twice")
        v[node.output[0]] = run_node(node, v)
        ops.append(node.op_type)
    return v[g.output[0].name], ops


def declared_shape(vi):
    t = vi.type.tensor_type
    if t.elem_type != onnx.TensorProto.FLOAT:
        raise ValueError(f"{vi.name}: element type {t.elem_type}, want FLOAT")
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in t.shape.dim]


def check_case(d, c):
    path = os.path.join(d, c["model"])
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    # full_check runs strict shape inference; keep its output shape too.
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    if model.ir_version != IR_VERSION:
        raise ValueError(f"ir_version {model.ir_version}")
    opsets = {o.domain: o.version for o in model.opset_import}
    if opsets != {"": OPSET}:
        raise ValueError(f"opset_import {opsets}")
    g = model.graph
    if [i.name for i in g.input] != ["obs"] or [o.name for o in g.output] != ["q"]:
        raise ValueError(f"inputs {[i.name for i in g.input]}, outputs {[o.name for o in g.output]}")
    obs = np.fromfile(os.path.join(d, c["obs"]), dtype="<f4").reshape(c["obs_shape"])
    q = np.fromfile(os.path.join(d, c["q"]), dtype="<f4").reshape(c["q_shape"])
    if declared_shape(g.input[0]) != ["batch"] + list(obs.shape[1:]):
        raise ValueError(f"input shape {declared_shape(g.input[0])}, observations {obs.shape}")
    if declared_shape(g.output[0]) != ["batch"] + list(q.shape[1:]):
        raise ValueError(f"output shape {declared_shape(g.output[0])}, Q-values {q.shape}")
    ref, ops = evaluate(model, obs)
    if ref.shape != q.shape:
        raise ValueError(f"the graph gives {ref.shape}, deepq {q.shape}")
    return {
        "name": c["name"],
        "ops": ops,
        "initializers": len(g.initializer),
        "inferred_output": declared_shape(inferred.graph.output[0]),
        "max_abs_err": float(np.abs(q.astype(np.float64) - ref).max()),
        "max_abs_q": float(np.abs(ref).max()),
        "q_spread": float((ref.max(axis=1) - ref.min(axis=1)).min()),
    }


def field_numbers():
    """The fields (name -> [number, type]) of onnx's messages."""
    msgs = {
        "ModelProto": onnx.ModelProto,
        "GraphProto": onnx.GraphProto,
        "NodeProto": onnx.NodeProto,
        "TensorProto": onnx.TensorProto,
        "ValueInfoProto": onnx.ValueInfoProto,
        "AttributeProto": onnx.AttributeProto,
        "TypeProto": onnx.TypeProto,
        "TypeProto.Tensor": onnx.TypeProto.Tensor,
        "TensorShapeProto": onnx.TensorShapeProto,
        "TensorShapeProto.Dimension": onnx.TensorShapeProto.Dimension,
        "OperatorSetIdProto": onnx.OperatorSetIdProto,
        "StringStringEntryProto": onnx.StringStringEntryProto,
    }
    return {k: {f.name: [f.number, f.type] for f in m.DESCRIPTOR.fields} for k, m in msgs.items()}


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "cases.json")) as f:
        cases = json.load(f)
    out = {"onnx_version": onnx.__version__, "cases": [check_case(d, c) for c in cases], "fields": field_numbers()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
