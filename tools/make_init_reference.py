#!/usr/bin/env python3
"""Make the initialisation reference under Tests/Fixtures/init/.

For two small Wav2Vec2ForCTC configurations (group-norm / post-LN and layer-norm / stable-LN,
both with mask_time_prob > 0 so that masked_spec_embed exists), builds
`Wav2Vec2ForCTC(config)` after `torch.manual_seed(s)` for s in 0..SEEDS-1 (transformers'
`_init_weights` runs in the constructor's post_init) and records, for every state_dict tensor:
its shape and, over the seeds, the mean and the standard deviation across seeds of the
per-tensor mean and of the per-tensor (population) standard deviation, plus the per-tensor
minimum and maximum over all seeds. The weight-normed positional convolution is recorded under
its parametrization names (original0 = g, original1 = v).

What it makes, per configuration NAME in {group_postln, layer_stable}:

  NAME/config.json   the configuration (vocab_size and pad_token_id as vocab.json gives them)
  NAME/vocab.json    a 12-token character vocabulary in the guide's layout
  expected.json      versions, seeds, and per configuration per tensor the statistics above

How to run (by hand, not in CI), from the repository root:

    python3 tools/make_init_reference.py

Deterministic (torch seeds 0..SEEDS-1, CPU). Versions recorded in expected.json ("versions").
"""

import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import Wav2Vec2Config, Wav2Vec2ForCTC

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "init")
SEEDS = 16

VOCAB = {c: i for i, c in enumerate("abcdefghi")}
VOCAB.update({"|": 9, "[UNK]": 10, "[PAD]": 11})

COMMON = dict(
    hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
    conv_dim=(48, 48, 48), conv_kernel=(10, 3, 3), conv_stride=(5, 2, 2), conv_bias=True,
    num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, mask_time_prob=0.05, mask_time_length=2,
    vocab_size=len(VOCAB), pad_token_id=VOCAB["[PAD]"], ctc_loss_reduction="mean",
)
CONFIGS = {
    "group_postln": dict(feat_extract_norm="group", do_stable_layer_norm=False),
    "layer_stable": dict(feat_extract_norm="layer", do_stable_layer_norm=True),
}


def main():
    out = dict(
        versions=dict(transformers=transformers.__version__, torch=torch.__version__, python=sys.version.split()[0]),
        seeds=SEEDS,
        how_made=__doc__.split("What it makes")[0].strip(),
        configs={},
    )
    for name, extra in CONFIGS.items():
        config = Wav2Vec2Config(**COMMON, **extra)
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        config.to_json_file(os.path.join(folder, "config.json"))
        with open(os.path.join(folder, "vocab.json"), "w") as f:
            json.dump(VOCAB, f, indent=1)
            f.write("\n")
        means, stds, lo, hi, shapes = {}, {}, {}, {}, {}
        for seed in range(SEEDS):
            torch.manual_seed(seed)
            model = Wav2Vec2ForCTC(config)
            for key, value in model.state_dict().items():
                v = value.detach().double()
                shapes[key] = list(value.shape)
                means.setdefault(key, []).append(float(v.mean()))
                stds.setdefault(key, []).append(float(v.std(unbiased=False)) if v.numel() > 1 else 0.0)
                lo[key] = min(lo.get(key, np.inf), float(v.min()))
                hi[key] = max(hi.get(key, -np.inf), float(v.max()))
        tensors = {}
        for key in sorted(shapes):
            m, s = np.array(means[key]), np.array(stds[key])
            tensors[key] = dict(
                shape=shapes[key], mean=float(m.mean()), mean_spread=float(m.std()), std=float(s.mean()),
                std_spread=float(s.std()), min=lo[key], max=hi[key],
            )
        out["configs"][name] = dict(config_file=f"{name}/config.json", vocab_file=f"{name}/vocab.json", tensors=tensors)
        for key in tensors:
            if "pos_conv" in key or "masked" in key or "projection" in key or "lm_head" in key:
                print(name, key, {k: (round(v, 5) if isinstance(v, float) else v) for k, v in tensors[key].items()})
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
