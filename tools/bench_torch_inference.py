"""PyTorch's inference time for a model folder written by `asrc bench --save-model`.

Prints seconds per audio-second, median of --repeat passes after a warm-up, so that
tools/bench-inference can show it beside asrc's figure from the same run.
"""
import argparse
import statistics
import time

import torch
import transformers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    model = transformers.Wav2Vec2ForCTC.from_pretrained(args.model).eval()
    generator = torch.Generator().manual_seed(1)
    samples = int(args.seconds * 16000)
    inputs = torch.randn(args.batch, samples, generator=generator) * 0.1
    extra = {}
    if model.config.feat_extract_norm == "layer":
        extra["attention_mask"] = torch.ones(args.batch, samples, dtype=torch.long)
    with torch.inference_mode():
        model(inputs, **extra)
        timings = []
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            model(inputs, **extra)
            timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    print(
        f"PyTorch eager:    {median / (args.seconds * args.batch):.3f} s per audio-second "
        f"(torch {torch.__version__}, transformers {transformers.__version__}, {torch.get_num_threads()} threads, "
        f"median of {len(timings)}: {median:.2f} s)"
    )


if __name__ == "__main__":
    main()
