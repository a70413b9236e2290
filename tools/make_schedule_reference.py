#!/usr/bin/env python3
"""Make the learning-rate schedule fixture Tests/Fixtures/schedules/expected.json.

For every scheduler asrc supports (linear, cosine, cosine_with_restarts, polynomial, constant,
constant_with_warmup) and a few (warm-up, total steps) settings, the learning rate each optimizer
step uses, read from transformers' own get_scheduler on a dummy AdamW: step k (0-based) runs at
scheduler.get_last_lr() after k scheduler steps. Warm-up values below 1 are ratios of the total,
as TrainingArguments.get_warmup_steps resolves them (math.ceil(total * ratio)).

How to run (by hand, not in CI), from the repository root:

    pip install torch transformers
    python3 tools/make_schedule_reference.py
"""

import json
import math
import os

import torch
import transformers
from transformers import TrainingArguments, get_scheduler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "schedules", "expected.json")
KINDS = ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup"]
SETTINGS = [(0, 10), (3, 10), (10, 10), (0.25, 17), (5, 40), (0.1, 101)]  # warm-up (steps or ratio), total steps
LEARNING_RATE = 1e-3


def main():
    cases = []
    for kind in KINDS:
        for warmup, total in SETTINGS:
            if kind == "polynomial" and warmup == total:
                continue  # transformers divides by total - warm-up = 0 there (ZeroDivisionError)
            args = TrainingArguments(output_dir="/tmp/unused", warmup_steps=warmup, learning_rate=LEARNING_RATE)
            warmup_steps = args.get_warmup_steps(total)
            parameter = torch.nn.Parameter(torch.zeros(1))
            optimizer = torch.optim.AdamW([parameter], lr=LEARNING_RATE)
            scheduler = get_scheduler(kind, optimizer, num_warmup_steps=warmup_steps, num_training_steps=total)
            rates = []
            for _ in range(total):
                rates.append(scheduler.get_last_lr()[0])
                optimizer.step()
                scheduler.step()
            cases.append(dict(kind=kind, warmup=warmup, warmup_steps=warmup_steps, total_steps=total, rates=rates))
    with open(OUT, "w") as f:
        json.dump(dict(transformers=transformers.__version__, torch=torch.__version__, learning_rate=LEARNING_RATE, cases=cases), f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} schedules to {OUT}")


if __name__ == "__main__":
    main()
