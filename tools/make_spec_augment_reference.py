#!/usr/bin/env python3
"""Make the SpecAugment mask-sampling reference under Tests/Fixtures/spec_augment/.

transformers' `_compute_mask_indices` (models/wav2vec2/modeling_wav2vec2.py) is called for
several settings (sequence length, mask_prob, mask_length, min_masks, with and without an
attention mask of per-row lengths), once per numpy seed 0..N-1. For every row of every setting
it records, over the N draws:

  span_counts     {k: fraction of draws with k spans}: the `num_masked_span` the function chose
                  for that row (observed by wrapping np.random.choice, whose `size` it is)
  count_mean, count_std
  coverage_mean, coverage_std
                  coverage = masked frames inside the row's length / the row's length
  outside_mean    mean number of masked frames at or beyond the row's length (the padding; only
                  the dummy index `sequence_length - 1` of a row with no span can land there)
  first_masked, last_masked
                  the fraction of draws in which the row's first / last frame is masked (these
                  show an off-by-one in the range of span starts)

It also records which settings make `max_num_masked_span` 0 (an all-false mask). asrc's sampler
must match the means within a few standard errors (see Tests/TrainingTests/SpecAugmentTests.swift).

How to run (by hand, not in CI), from the repository root:

    python3 tools/make_spec_augment_reference.py

Deterministic (numpy seeds 0..N-1). Versions recorded in expected.json ("versions").
"""

import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers.models.wav2vec2.modeling_wav2vec2 import _compute_mask_indices

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "spec_augment")
DRAWS = 20000

# name: (sequence_length, mask_prob, mask_length, min_masks, row lengths or None for no attention mask, batch)
SETTINGS = {
    "base_defaults_no_mask": (200, 0.065, 10, 2, None, 2),
    "dense_no_mask": (400, 0.3, 10, 0, None, 2),
    "rare_no_mask": (100, 0.05, 10, 0, None, 2),
    "padded_rows": (300, 0.5, 5, 1, [300, 211, 97], 3),
    "short_rows": (60, 0.8, 10, 0, [60, 35, 12], 3),
    "row_shorter_than_span": (50, 0.9, 20, 1, [50, 25, 15], 3),
}


def main():
    original_choice = np.random.choice
    chosen = []

    def recording_choice(a, size=None, replace=True, p=None):
        chosen.append(int(size))
        return original_choice(a, size, replace=replace, p=p)

    np.random.choice = recording_choice
    result = {}
    for name, (frames, prob, length, min_masks, rows, batch) in SETTINGS.items():
        lengths = rows if rows is not None else [frames] * batch
        attention = None
        if rows is not None:
            attention = torch.zeros(batch, frames, dtype=torch.long)
            for r, n in enumerate(rows):
                attention[r, :n] = 1
        counts = np.zeros((DRAWS, batch), dtype=np.int64)
        coverage = np.zeros((DRAWS, batch))
        outside = np.zeros((DRAWS, batch))
        first = np.zeros((DRAWS, batch))
        last = np.zeros((DRAWS, batch))
        empty = 0
        for seed in range(DRAWS):
            np.random.seed(seed)
            chosen.clear()
            mask = _compute_mask_indices((batch, frames), prob, length, attention_mask=attention, min_masks=min_masks)
            if not chosen:  # max_num_masked_span == 0: the function returned before choosing
                assert not mask.any()
                empty += 1
                chosen.extend([0] * batch)
            assert len(chosen) == batch
            counts[seed] = chosen
            for r, n in enumerate(lengths):
                coverage[seed, r] = mask[r, :n].sum() / n
                outside[seed, r] = mask[r, n:].sum()
                first[seed, r] = mask[r, 0]
                last[seed, r] = mask[r, n - 1]
        rows_out = []
        for r, n in enumerate(lengths):
            values, freq = np.unique(counts[:, r], return_counts=True)
            rows_out.append(dict(
                length=n,
                span_counts={str(int(v)): float(f) / DRAWS for v, f in zip(values, freq)},
                count_mean=float(counts[:, r].mean()), count_std=float(counts[:, r].std()),
                coverage_mean=float(coverage[:, r].mean()), coverage_std=float(coverage[:, r].std()),
                outside_mean=float(outside[:, r].mean()), outside_std=float(outside[:, r].std()),
                first_masked=float(first[:, r].mean()), last_masked=float(last[:, r].mean()),
            ))
        result[name] = dict(
            frames=frames, mask_prob=prob, mask_length=length, min_masks=min_masks, attention_mask=rows is not None,
            rows=rows_out, empty_fraction=empty / DRAWS,
        )
        print(name, [(r["count_mean"], round(r["coverage_mean"], 4)) for r in rows_out], empty / DRAWS)
    np.random.choice = original_choice
    out = dict(
        versions=dict(transformers=transformers.__version__, torch=torch.__version__, numpy=np.__version__, python=sys.version.split()[0]),
        draws=DRAWS,
        how_made="transformers.models.wav2vec2.modeling_wav2vec2._compute_mask_indices((batch, frames), mask_prob, "
        "mask_length, attention_mask (rows of ones up to each length, long) or None, min_masks) after np.random.seed(s) "
        "for s in 0..draws-1; span counts are the `size` passed to np.random.choice for each row (0 when the function "
        "returned an all-false mask before choosing); std is the population standard deviation over the draws.",
        settings=result,
    )
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
