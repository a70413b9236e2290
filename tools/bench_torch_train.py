"""PyTorch's training-step time for a model folder written by `asrc bench train --save-model`.

One step is forward with labels (CTC loss), backward, gradient clipping at 1.0 and AdamW, in
training mode (the configuration's dropout, LayerDrop and SpecAugment), as transformers'
Trainer runs it in float32 on the CPU. Prints seconds per audio-second, the median of --repeat
steps after a warm-up, so that tools/bench-train can show it beside asrc's figure.
"""
import argparse
import statistics
import time

import torch
import transformers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    torch.manual_seed(0)
    model = transformers.Wav2Vec2ForCTC.from_pretrained(args.model).train()
    config = model.config
    samples = int(args.seconds * 16000)
    inputs = torch.randn(args.batch, samples) * 0.1
    frames = int(model._get_feat_extract_output_lengths(torch.tensor(samples)))
    blank = config.pad_token_id
    choices = torch.tensor([i for i in range(config.vocab_size) if i != blank])
    labels = choices[torch.randint(len(choices), (args.batch, max(1, frames // 4)))]
    extra = {}
    if config.feat_extract_norm == "layer":
        extra["attention_mask"] = torch.ones(args.batch, samples, dtype=torch.long)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.005)

    def step():
        loss = model(inputs, labels=labels, **extra).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step()
    timings = []
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        step()
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    print(
        f"PyTorch eager:      {median / (args.seconds * args.batch):.3f} s per audio-second "
        f"(torch {torch.__version__}, transformers {transformers.__version__}, {torch.get_num_threads()} threads, "
        f"batch {args.batch} x {args.seconds:.1f} s, median of {len(timings)}: {median:.2f} s per step)"
    )


if __name__ == "__main__":
    main()
