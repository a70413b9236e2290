"""PyTorch's inference time for a model folder written by `asrc bench inference --save-model`.

Prints seconds per audio-second, the median of --repeat passes after warm-up, and this
process's peak RSS, so that tools/bench-peers can show it beside asrc's figure from the same
run. --compile times torch.compile(model) (default inductor backend) instead of eager mode; its
warm-up passes include the compilation and are not timed.
"""
import argparse
import resource
import statistics
import time

import torch
import transformers


def peak_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compile", action="store_true", help="time torch.compile(model) instead of eager mode")
    args = parser.parse_args()

    model = transformers.Wav2Vec2ForCTC.from_pretrained(args.model).eval()
    generator = torch.Generator().manual_seed(1)
    samples = int(args.seconds * 16000)
    inputs = torch.randn(args.batch, samples, generator=generator) * 0.1
    extra = {}
    if model.config.feat_extract_norm == "layer":
        extra["attention_mask"] = torch.ones(args.batch, samples, dtype=torch.long)
    runner = torch.compile(model) if args.compile else model
    with torch.inference_mode():
        start = time.perf_counter()
        for _ in range(2 if args.compile else 1):
            runner(inputs, **extra)
        warm_up = time.perf_counter() - start
        timings = []
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            runner(inputs, **extra)
            timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    label = "torch.compile" if args.compile else "PyTorch eager"
    detail = f"; warm-up with compilation {warm_up:.0f} s" if args.compile else ""
    print(
        f"{label}: {median / (args.seconds * args.batch):.3f} s per audio-second "
        f"(torch {torch.__version__}, transformers {transformers.__version__}, {torch.get_num_threads()} threads, "
        f"{args.batch} x {args.seconds:.1f} s, median of {len(timings)}: {median:.2f} s{detail}; peak RSS {peak_rss_gib():.2f} GiB)"
    )


if __name__ == "__main__":
    main()
