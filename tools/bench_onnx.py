"""ONNX Runtime's and OpenVINO's inference time on a model folder written by
`asrc bench inference --save-model`, for tools/bench-peers.

  export MODEL_DIR OUT.onnx    torch.onnx.export of Wav2Vec2ForCTC (TorchScript exporter, opset 17,
                               dynamic axes for batch and samples; needs torch, transformers, onnx)
  ort OUT.onnx                 ONNX Runtime, CPU execution provider, intra-op threads = CPU count
  openvino OUT.onnx --precision f32|bf16
                               OpenVINO's CPU plugin on the same ONNX file, inference_precision_hint
                               f32 or bf16 (set either way: on CPUs with bf16 units OpenVINO may
                               pick bf16 by itself), latency hint

The timed commands load only the runtime and the .onnx file (no torch), so the peak RSS they
print is the runtime's own. Input: random audio (seed 1, scale 0.1), as tools/bench_torch_inference.py.
Prints seconds per audio-second, the median of --repeat passes after one warm-up pass.
"""
import argparse
import json
import os
import resource
import statistics
import time

import numpy as np


def peak_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)


def takes_mask(onnx_path):
    return os.path.exists(onnx_path + ".json") and json.load(open(onnx_path + ".json"))["attention_mask"]


def audio(args):
    samples = int(args.seconds * 16000)
    values = (np.random.default_rng(1).standard_normal((args.batch, samples)) * 0.1).astype(np.float32)
    return values, np.ones((args.batch, samples), dtype=np.int64)


def timed(run, repeat):
    run()
    timings = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), len(timings)


def export(args):
    import torch
    import transformers

    model = transformers.Wav2Vec2ForCTC.from_pretrained(args.model).eval()
    mask = model.config.feat_extract_norm == "layer"
    example = torch.randn(1, 16000) * 0.1
    inputs = (example, torch.ones(1, 16000, dtype=torch.long)) if mask else (example,)
    names = ["input_values", "attention_mask"] if mask else ["input_values"]
    axes = {name: {0: "batch", 1: "samples"} for name in names}
    axes["logits"] = {0: "batch", 1: "frames"}
    start = time.perf_counter()
    with torch.no_grad():
        torch.onnx.export(model, inputs, args.output, dynamo=False, opset_version=17,
                          input_names=names, output_names=["logits"], dynamic_axes=axes)
    json.dump({"attention_mask": mask}, open(args.output + ".json", "w"))
    print(f"exported {args.output} (torch {torch.__version__}, opset 17, dynamic batch and samples) "
          f"in {time.perf_counter() - start:.0f} s")


def run_ort(args):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = os.cpu_count()
    session = onnxruntime.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
    values, mask = audio(args)
    feeds = {"input_values": values}
    if takes_mask(args.onnx):
        feeds["attention_mask"] = mask
    median, count = timed(lambda: session.run(["logits"], feeds), args.repeat)
    print(f"ONNX Runtime: {median / (args.seconds * args.batch):.3f} s per audio-second "
          f"(onnxruntime {onnxruntime.__version__}, CPU EP, {options.intra_op_num_threads} intra-op threads, "
          f"{args.batch} x {args.seconds:.1f} s, median of {count}: {median:.2f} s; peak RSS {peak_rss_gib():.2f} GiB)")


def run_openvino(args):
    import openvino

    core = openvino.Core()
    model = core.read_model(args.onnx)
    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": args.precision, "PERFORMANCE_HINT": "LATENCY"})
    precision = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
    threads = compiled.get_property("INFERENCE_NUM_THREADS")
    request = compiled.create_infer_request()
    values, mask = audio(args)
    feeds = {"input_values": values}
    if takes_mask(args.onnx):
        feeds["attention_mask"] = mask
    median, count = timed(lambda: request.infer(feeds), args.repeat)
    print(f"OpenVINO {args.precision}: {median / (args.seconds * args.batch):.3f} s per audio-second "
          f"(openvino {openvino.__version__.split('-')[0]}, CPU plugin, inference precision {precision}, {threads} threads, "
          f"{args.batch} x {args.seconds:.1f} s, median of {count}: {median:.2f} s; peak RSS {peak_rss_gib():.2f} GiB)")


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("export")
    command.add_argument("model")
    command.add_argument("output")
    command.set_defaults(run=export)
    for name, run in (("ort", run_ort), ("openvino", run_openvino)):
        command = commands.add_parser(name)
        command.add_argument("onnx")
        command.add_argument("--seconds", type=float, default=10.0)
        command.add_argument("--batch", type=int, default=1)
        command.add_argument("--repeat", type=int, default=3)
        if name == "openvino":
            command.add_argument("--precision", choices=["f32", "bf16"], default="f32")
        command.set_defaults(run=run)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
