"""PyTorch's training-step time for a model folder written by `asrc bench train --save-model`.

One step is forward with labels (CTC loss with the folder's ctc_loss_reduction, as asrc's
graph uses it), backward, gradient clipping at 1.0 and AdamW (lr 1e-5, weight decay 0.005, as
`asrc bench train`), in training mode (the configuration's dropout and SpecAugment) on random
audio and labels of a quarter of the frames, as transformers' Trainer runs it on the CPU. The
optimizer is torch's fused AdamW: the Trainer's default optim with torch >= 2.8 is
"adamw_torch_fused", and on this CPU the per-tensor loop took several times as long.
LayerDrop is set to 0: `asrc bench train` keeps every layer (its layer_keep input is all true),
so both run the same work.

--mode eager (float32), compile (torch.compile(model), float32; its warm-up steps include the
compilation and are not timed) or bf16 (eager under torch.autocast("cpu", torch.bfloat16), float32
weights and optimizer state, as the Trainer's --bf16 runs on the CPU).
--freeze-feature-encoder calls the model's freeze_feature_encoder() (the guide's recipe) and
optimises only the parameters that still require gradients.

Prints seconds per audio-second and per step (the median of --repeat steps after warm-up) and
this process's peak RSS, so that tools/bench-peers can show it beside asrc's figure.
"""
import argparse
import contextlib
import resource
import statistics
import time

import torch
import transformers

LABELS = {"eager": "PyTorch eager fp32", "compile": "torch.compile fp32", "bf16": "PyTorch bf16 autocast"}


def peak_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mode", choices=sorted(LABELS), default="eager")
    parser.add_argument("--freeze-feature-encoder", action="store_true")
    parser.add_argument("--gradient-checkpointing", action="store_true", help="model.gradient_checkpointing_enable(), as the guide's Trainer does")
    args = parser.parse_args()

    torch.manual_seed(0)
    model = transformers.Wav2Vec2ForCTC.from_pretrained(args.model, layerdrop=0.0).train()
    if args.freeze_feature_encoder:
        model.freeze_feature_encoder()
    if args.gradient_checkpointing:
        model.gradient_checkpointing_enable()
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
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=1e-5, weight_decay=0.005, fused=True)
    runner = torch.compile(model) if args.mode == "compile" else model

    def step():
        autocast = torch.autocast("cpu", dtype=torch.bfloat16) if args.mode == "bf16" else contextlib.nullcontext()
        with autocast:
            loss = runner(inputs, labels=labels, **extra).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    start = time.perf_counter()
    for _ in range(2 if args.mode == "compile" else 1):
        step()
    warm_up = time.perf_counter() - start
    timings = []
    for _ in range(max(1, args.repeat)):
        start = time.perf_counter()
        step()
        timings.append(time.perf_counter() - start)
    median = statistics.median(timings)
    frozen = (", feature encoder frozen" if args.freeze_feature_encoder else "") + (", gradient checkpointing" if args.gradient_checkpointing else "")
    detail = f"; warm-up with compilation {warm_up:.0f} s" if args.mode == "compile" else ""
    print(
        f"{LABELS[args.mode]}: {median / (args.seconds * args.batch):.3f} s per audio-second "
        f"(torch {torch.__version__}, transformers {transformers.__version__}, {torch.get_num_threads()} threads, "
        f"batch {args.batch} x {args.seconds:.1f} s{frozen}, CTC {config.ctc_loss_reduction}, fused AdamW, "
        f"median of {len(timings)}: {median:.2f} s per step{detail}; peak RSS {peak_rss_gib():.2f} GiB)"
    )


if __name__ == "__main__":
    main()
