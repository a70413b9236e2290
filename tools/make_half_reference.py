#!/usr/bin/env python3
"""Make the f16/bf16 interpreter-kernel reference under Tests/Fixtures/half/.

PyTorch CPU results of ops on float16 and bfloat16 tensors, for asrc's interpreter (which
widens half operands to float32, computes, and rounds the result back) to be compared with.

What it makes:

  cases.safetensors   for each case NAME and dtype D in {f16, bf16}: INPUTS.D.in0, INPUTS.D.in1, …
                      (the inputs, already in D; INPUTS is the case's "inputs_from" in
                      expected.json: cases that share inputs store them once) and NAME.D.out (PyTorch's result, in D; bool for
                      comparisons). The cast cases keep their float32/float64 input under
                      NAME.D.in0 in that wider dtype. For every case but the casts also
                      NAME.D.out_f64: the same torch call on the inputs widened to float64,
                      rounded to D (the correctly rounded result, within one ulp; PyTorch's own
                      half kernels are sometimes further from it, e.g. log_softmax). For gelu the float64
                      reference is x·erfc(-x/√2)/2 (torch.special.erfc), since PyTorch's float64
                      gelu cancels to 0 below x = -8.3.
  expected.json       versions, and per case: the torch call, the attributes asrc's op needs,
                      input and output shapes.

Inputs are random normal values (torch.manual_seed(0)) plus, for the elementwise cases, the
special values of each format: ±0, ±inf, NaN, the largest finite value, the smallest normal and
subnormal values, and values whose results overflow or underflow. The cast cases from float32
hold exact ties (round to nearest even), values one float32 ulp either side of ties, values that
overflow to inf, NaN with payloads and float32 subnormals; from float64 they hold values that
round differently when rounded once than when rounded through float32.

How to run (by hand, not in CI), from the repository root:

    python3 tools/make_half_reference.py

Deterministic (seed 0, CPU, 1 thread). Versions recorded in expected.json ("versions").
"""

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "half")
DTYPES = {"f16": torch.float16, "bf16": torch.bfloat16}


def specials(dtype):
    info = torch.finfo(dtype)
    tiny = info.tiny
    sub = info.smallest_normal * info.eps  # smallest subnormal
    values = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), info.max, -info.max, tiny, -tiny, sub, -sub,
              sub * 3, tiny / 2, 1.0, -1.0, 0.5, 2.0, info.max / 2, 100.0, -100.0, 1e-3, 12.0, -12.0, 88.0]
    return torch.tensor(values, dtype=torch.float32).to(dtype)


def elementwise_inputs(dtype, n=232):
    a = torch.cat([torch.randn(n) * 3, torch.zeros(0)]).to(dtype)
    b = torch.cat([torch.randn(n) * 3, torch.zeros(0)]).to(dtype)
    s = specials(dtype)
    # every special paired with every special, then the random values
    sa = s.repeat_interleave(len(s))
    sb = s.repeat(len(s))
    return torch.cat([sa, a]), torch.cat([sb, b])


def f32_cast_inputs(dtype):
    """float32 values around the rounding boundaries of dtype."""
    mantissa = 10 if dtype == torch.float16 else 7
    values = []
    rng = np.random.default_rng(0)
    for base in [1.0, 1.5, -3.25, 1000.0, 2.0 ** -10, 2.0 ** -14, 2.0 ** -20, 2.0 ** -126, 60000.0, 3.0e38]:
        ulp = base * 2.0 ** -mantissa
        for k in range(4):
            tie = np.float32(base + (k + 0.5) * ulp)
            values += [tie, np.nextafter(tie, np.float32(np.inf)), np.nextafter(tie, np.float32(-np.inf))]
    info = torch.finfo(dtype)
    values += [info.max, np.float32(info.max) * np.float32(1.0009765625), 65519.0, 65520.0, 65536.0, 1e30, -1e30,
               np.float32(2.0 ** -149), np.float32(2.0 ** -130), np.float32(2.0 ** -25), np.float32(2.0 ** -24),
               np.float32(3 * 2.0 ** -26), 0.0, -0.0, float("inf"), float("-inf")]
    values += list(rng.standard_normal(64).astype(np.float32) * 10)
    x = torch.tensor(np.array(values, dtype=np.float32))
    nans = torch.tensor([0x7FC00000, 0x7F800001, 0xFFC12345, 0x7FBFFFFF], dtype=torch.int64)
    nans = torch.from_numpy(np.array([struct.unpack("<f", struct.pack("<I", int(v)))[0] for v in nans], dtype=np.float32))
    return torch.cat([x, nans])


def f64_cast_inputs(dtype):
    """float64 values just above a tie of dtype that float32 rounds down onto the tie."""
    mantissa = 10 if dtype == torch.float16 else 7
    values = []
    for base in [1.0, 1.25, -7.0, 300.0, 2.0 ** -12]:
        ulp = base * 2.0 ** -mantissa
        for k in range(3):
            tie = base + (2 * k + 0.5) * ulp  # tie whose lower neighbour is even
            values += [tie + abs(ulp) * 2.0 ** -40, tie - abs(ulp) * 2.0 ** -40, tie]
    values += list(np.random.default_rng(1).standard_normal(32) * 5)
    return torch.tensor(values, dtype=torch.float64)


def main():
    torch.manual_seed(0)
    tensors, cases = {}, {}

    def record(name, dtype_name, inputs, out, call, attributes=None, fn=None, shared=None):
        for i, t in enumerate(inputs):
            key = f"{shared or name}.{dtype_name}.in{i}"
            assert shared is None or key not in tensors or torch.equal(tensors[key].view(torch.int16) if t.is_floating_point() else tensors[key], t.view(torch.int16) if t.is_floating_point() else t)
            tensors[key] = t.clone().contiguous()
        tensors[f"{name}.{dtype_name}.out"] = out.contiguous()
        if fn is not None:
            # The same op in float64 on the widened inputs, rounded to the output dtype: the
            # (almost) correctly rounded result.
            wide = fn(*[t.double() if t.dtype in (torch.float16, torch.bfloat16) else t for t in inputs])
            if name == "gelu":
                # PyTorch's float64 gelu computes 1 + erf(x/√2), which is 0 in float64 for
                # x < -8.3 while the true value (-2.1e-32 at -12) is within bfloat16's range:
                # the reference is the same function written with erfc, x·erfc(-x/√2)/2.
                x = inputs[0].double()
                wide = x * torch.special.erfc(-x / math.sqrt(2)) / 2
            tensors[f"{name}.{dtype_name}.out_f64"] = (wide.to(out.dtype) if wide.is_floating_point() else wide).contiguous()
        cases.setdefault(name, dict(call=call, attributes=attributes or {}, inputs_from=shared or name, dtypes={}))["dtypes"][dtype_name] = dict(
            inputs=[list(t.shape) for t in inputs], input_dtypes=[str(t.dtype) for t in inputs], output=list(out.shape),
            output_dtype=str(out.dtype))

    for dn, dt in DTYPES.items():
        a, b = elementwise_inputs(dt)
        for name, fn in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div),
                         ("maximum", torch.maximum), ("minimum", torch.minimum)]:
            record(name, dn, [a, b], fn(a, b), f"torch.{fn.__name__}(a, b)", fn=fn, shared="elementwise")
        for name, fn in [("lt", torch.lt), ("eq", torch.eq)]:
            record(name, dn, [a, b], fn(a, b), f"torch.{fn.__name__}(a, b)", fn=fn, shared="elementwise")
        for name, fn, call in [
            ("neg", torch.neg, "torch.neg(a)"), ("abs", torch.abs, "torch.abs(a)"), ("exp", torch.exp, "torch.exp(a)"),
            ("log", torch.log, "torch.log(a)"), ("sqrt", torch.sqrt, "torch.sqrt(a)"), ("rsqrt", torch.rsqrt, "torch.rsqrt(a)"),
            ("tanh", torch.tanh, "torch.tanh(a)"), ("erf", torch.erf, "torch.erf(a)"),
            ("sigmoid", torch.sigmoid, "torch.sigmoid(a)"), ("relu", torch.relu, "torch.relu(a)"),
            ("gelu", F.gelu, "F.gelu(a) (erf form)"), ("reciprocal", torch.reciprocal, "torch.reciprocal(a)"),
        ]:
            record(name, dn, [a], fn(a), call, fn=fn, shared="elementwise")
        record("cast_to_f32", dn, [a], a.float(), "a.float()", shared="elementwise")
        # casts into the half type
        x32 = f32_cast_inputs(dt)
        record("cast_from_f32", dn, [x32], x32.to(dt), "x.to(dtype) from float32")
        x64 = f64_cast_inputs(dt)
        record("cast_from_f64", dn, [x64], x64.to(dt), "x.to(dtype) from float64")
        other = torch.bfloat16 if dt == torch.float16 else torch.float16
        record("cast_to_other_half", dn, [a], a.to(other), f"a.to({other})", shared="elementwise")
        # linear algebra and norms on random inputs
        m1, m2 = torch.randn(4, 16).to(dt), torch.randn(16, 8).to(dt)
        record("matmul", dn, [m1, m2], torch.matmul(m1, m2), "torch.matmul(a, b)", fn=torch.matmul)
        x, w, bias = torch.randn(2, 5, 16).to(dt), (torch.randn(8, 16) * 0.3).to(dt), torch.randn(8).to(dt)
        record("linear", dn, [x, w, bias], F.linear(x, w, bias), "F.linear(x, w, b)", fn=F.linear)
        cx, cw, cb = torch.randn(1, 4, 20).to(dt), (torch.randn(6, 2, 3) * 0.5).to(dt), torch.randn(6).to(dt)
        conv = F.conv1d(cx, cw, cb, stride=2, padding=1, groups=2)
        record("conv1d", dn, [cx, cw, cb], conv, "F.conv1d(x, w, b, stride=2, padding=1, groups=2)",
               dict(stride=2, padding=1, dilation=1, groups=2), fn=lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2))
        lx, lw, lb = (torch.randn(3, 16) * 2 + 1).to(dt), (torch.randn(16) * 0.5 + 1).to(dt), torch.randn(16).to(dt)
        record("layer_norm", dn, [lx, lw, lb], F.layer_norm(lx, (16,), lw, lb, eps=1e-5), "F.layer_norm(x, (16,), w, b, eps=1e-5)",
               dict(eps=1e-5), fn=lambda x, w, b: F.layer_norm(x, (16,), w, b, eps=1e-5))
        gx, gw, gb = (torch.randn(2, 6, 10) * 2 - 1).to(dt), (torch.randn(6) * 0.5 + 1).to(dt), torch.randn(6).to(dt)
        record("group_norm", dn, [gx, gw, gb], F.group_norm(gx, 3, gw, gb, eps=1e-5), "F.group_norm(x, 3, w, b, eps=1e-5)",
               dict(groups=3, eps=1e-5), fn=lambda x, w, b: F.group_norm(x, 3, w, b, eps=1e-5))
        sx = (torch.randn(4, 12) * 3).to(dt)
        record("softmax", dn, [sx], torch.softmax(sx, dim=-1), "torch.softmax(x, dim=-1)", dict(axis=-1), fn=lambda x: torch.softmax(x, dim=-1), shared="softmax")
        record("log_softmax", dn, [sx], torch.log_softmax(sx, dim=-1), "torch.log_softmax(x, dim=-1)", dict(axis=-1), fn=lambda x: torch.log_softmax(x, dim=-1), shared="softmax")
        rx = torch.randn(6, 50).to(dt)
        record("reduce_sum", dn, [rx], rx.sum(dim=-1), "x.sum(dim=-1)", dict(axes=[1]), fn=lambda x: x.sum(dim=-1), shared="reduce")
        record("reduce_mean", dn, [rx], rx.mean(dim=-1), "x.mean(dim=-1)", dict(axes=[1]), fn=lambda x: x.mean(dim=-1), shared="reduce")

    os.makedirs(OUT, exist_ok=True)
    save_file(tensors, os.path.join(OUT, "cases.safetensors"), metadata={"format": "pt"})
    out = dict(
        versions=dict(torch=torch.__version__, numpy=np.__version__, python=sys.version.split()[0]),
        how_made=__doc__.split("How to run")[0].strip(),
        cases=cases,
    )
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(len(tensors), "tensors", os.path.getsize(os.path.join(OUT, "cases.safetensors")), "bytes")


if __name__ == "__main__":
    main()
