#!/usr/bin/env python3
"""Make the dropout and LayerDrop reference under Tests/Fixtures/dropout/.

What it records (expected.json):

  dropout        for several p: torch.nn.functional.dropout(torch.ones(N), p, training=True)
                 on CPU in float32, seeded with torch.manual_seed(0): the fraction of elements
                 kept, the distinct values of the kept elements (the 1/(1-p) scale as float32
                 produces it) and that of the dropped ones.
  layerdrop      a Wav2Vec2ForCTC (tiny config below, layerdrop 0.3, every other dropout 0) run
                 DRAWS times in train() mode and DRAWS times in eval() mode, torch.manual_seed(s)
                 before draw s, with a forward pre-hook on every encoder layer counting its calls:
                 the fraction of draws in which each layer ran, and the distribution of the
                 number of layers that ran per draw.

How to run (by hand, not in CI), from the repository root:

    python3 tools/make_dropout_reference.py

Deterministic (seeds fixed). Versions recorded in expected.json ("versions").
"""

import json
import math
import os
import sys

import torch
import transformers
from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "dropout")
N = 1_000_000
DRAWS = 4000
LAYERDROP = 0.3
LAYERS = 4


def dropout_facts():
    out = {}
    for p in (0.05, 0.1, 0.3, 0.5, 0.9):
        torch.manual_seed(0)
        y = torch.nn.functional.dropout(torch.ones(N, dtype=torch.float32), p, training=True)
        kept = y != 0
        values = sorted(set(y[kept].tolist()))
        out[str(p)] = dict(p=p, n=N, kept_fraction=float(kept.double().mean()), kept_values=values,
                           dropped_values=sorted(set(y[~kept].tolist())),
                           standard_error=math.sqrt(p * (1 - p) / N))
    return out


def layerdrop_facts():
    config = Wav2Vec2Config(
        hidden_size=8, num_hidden_layers=LAYERS, num_attention_heads=2, intermediate_size=16,
        conv_dim=(8, 8), conv_kernel=(10, 3), conv_stride=(5, 2), num_conv_pos_embeddings=4,
        num_conv_pos_embedding_groups=2, vocab_size=6, layerdrop=LAYERDROP, hidden_dropout=0.0,
        attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0, final_dropout=0.0,
        mask_time_prob=0.0, do_stable_layer_norm=False, feat_extract_norm="group",
    )
    torch.manual_seed(0)
    model = Wav2Vec2ForCTC(config)
    calls = [0] * LAYERS
    for i, layer in enumerate(model.wav2vec2.encoder.layers):
        layer.register_forward_pre_hook(lambda module, args, i=i: calls.__setitem__(i, calls[i] + 1))
    x = torch.randn(1, 400)
    result = {}
    for mode in ("train", "eval"):
        getattr(model, mode)()
        ran_per_layer = [0] * LAYERS
        histogram = [0] * (LAYERS + 1)
        with torch.no_grad():
            for s in range(DRAWS):
                torch.manual_seed(s)
                for i in range(LAYERS):
                    calls[i] = 0
                model(x)
                for i in range(LAYERS):
                    ran_per_layer[i] += calls[i]
                histogram[sum(calls)] += 1
        result[mode] = dict(
            layer_ran_fraction=[c / DRAWS for c in ran_per_layer],
            layers_ran_histogram=[h / DRAWS for h in histogram],
        )
    return dict(layerdrop=LAYERDROP, layers=LAYERS, draws=DRAWS, **result)


def main():
    out = dict(
        versions=dict(transformers=transformers.__version__, torch=torch.__version__, python=sys.version.split()[0]),
        how_made=__doc__.split("How to run")[0].strip(),
        dropout=dropout_facts(),
        layerdrop=layerdrop_facts(),
    )
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps(out["dropout"], indent=None)[:600])
    print(out["layerdrop"])


if __name__ == "__main__":
    main()
