#!/usr/bin/env python3
"""The demo's digits recipe in transformers' Trainer: CER on the unseen voices against wall-clock.

Trains Wav2Vec2ForCTC from an asrc model folder (`asrc init-model` writes one that transformers
loads, so both start from the same weights) on a TIMIT-layout corpus (`tools/make-demo-corpus`),
with the options tools/demo gives `asrc train`: AdamW (weight decay 0.005), linear warm-up and
decay, clipping at 1.0, group-by-length batches, the CTC loss of the model's config. Every
--eval-steps steps it evaluates greedy CER and WER (jiwer's definitions: edit distance over the
corpus) on TEST and prints one line:

    step 250  wall 98.1 s  train 91.0 s  CER 0.331  WER 0.702  loss 0.912

`wall` counts from the start of training and includes the evaluations, as asrc's
trainer_state.json `elapsed_seconds` does; `train` leaves the evaluations out. Also prints
utterances per second of training and writes the lines as JSON to --json.

--freeze-param NAME (repeatable) sets requires_grad=False on that parameter or on every parameter
of that module, matched as asrc's --freeze-param (and ESPnet's --freeze_param) match. When that
freezes any of the feature encoder, its _requires_grad flag is cleared too, as
freeze_feature_encoder() clears it: otherwise the encoder marks the audio as requiring a gradient
and autograd works back through every convolution to it, frozen ones included.

Usage: bench_e2e_torch.py --model demo-output/initial --corpus demo-corpus/digits [--steps N]
       [--batch 8] [--learning-rate 1e-3] [--warmup-steps 100] [--eval-steps 250] [--threads 2]
       [--freeze-param NAME ...]
"""
import argparse
import glob
import json
import os
import time

import numpy as np
import soundfile
import torch
import transformers


def read_split(folder):
    """(audio, text) pairs of a TIMIT-layout folder: NAME.WAV beside NAME.TXT ("0 N text")."""
    pairs = []
    for wav in sorted(glob.glob(os.path.join(folder, "**", "*.WAV"), recursive=True)):
        with open(wav[:-4] + ".TXT") as handle:
            text = handle.read().split(maxsplit=2)[2].strip().lower()
        audio, rate = soundfile.read(wav, dtype="float32")
        assert rate == 16000, f"{wav}: {rate} Hz"
        pairs.append((audio, text))
    if not pairs:
        raise SystemExit(f"{folder}: no .WAV files")
    return pairs


def edit_distance(a, b):
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def error_rate(hypotheses, references, split):
    errors = sum(edit_distance(split(h), split(r)) for h, r in zip(hypotheses, references))
    return errors / max(1, sum(len(split(r)) for r in references))


class Dataset(torch.utils.data.Dataset):
    def __init__(self, pairs, processor):
        self.items = []
        for audio, text in pairs:
            values = processor.feature_extractor(audio, sampling_rate=16000).input_values[0]
            self.items.append({"input_values": values, "labels": processor.tokenizer(text).input_ids, "length": len(values)})

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]


class Collator:
    """The guide's DataCollatorCTCWithPadding."""

    def __init__(self, processor):
        self.processor = processor

    def __call__(self, features):
        batch = self.processor.feature_extractor.pad([{"input_values": f["input_values"]} for f in features], padding=True, return_tensors="pt")
        labels = self.processor.tokenizer.pad({"input_ids": [f["labels"] for f in features]}, padding=True, return_tensors="pt")
        batch["labels"] = labels["input_ids"].masked_fill(labels.attention_mask.ne(1), -100)
        return batch


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--warmup-steps", type=int, default=100)
    parser.add_argument("--eval-steps", type=int, default=250)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json")
    parser.add_argument("--freeze-param", action="append", default=[])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()

    processor = transformers.Wav2Vec2Processor.from_pretrained(args.model)
    model = transformers.Wav2Vec2ForCTC.from_pretrained(args.model)
    freeze(model, args.freeze_param)
    train = Dataset(read_split(os.path.join(args.corpus, "TRAIN")), processor)
    test_pairs = read_split(os.path.join(args.corpus, "TEST"))
    test = Dataset(test_pairs, processor)
    pad = processor.tokenizer.pad_token_id

    def label_texts(label_ids):
        """The transcripts of padded label rows (no CTC grouping: "three" keeps its two e's)."""
        return processor.batch_decode(np.where(label_ids == -100, pad, label_ids), group_tokens=False)

    # References come from the evaluation's own label_ids, not from test_pairs: with
    # train_sampling_strategy="group_by_length" the Trainer (transformers 5) also length-groups the
    # evaluation batches, so predictions do not come back in dataset order. Check that the labels
    # spell the transcripts back (no [UNK]), so that CER against them is CER against the corpus.
    longest = max(len(item["labels"]) for item in test.items)
    spelled = label_texts(np.array([item["labels"] + [-100] * (longest - len(item["labels"])) for item in test.items]))
    assert spelled == [text for _, text in test_pairs], "test labels do not spell the transcripts back"

    lines = []
    clock = {"start": None, "eval": 0.0}

    def compute_metrics(prediction):
        logits = prediction.predictions
        ids = np.argmax(logits, axis=-1)
        # The Trainer pads logits across evaluation batches with -100 in every class: no output there
        # (argmax would read class 0, a letter).
        ids[np.all(logits == -100, axis=-1)] = pad
        hypotheses = processor.batch_decode(ids)
        references = label_texts(prediction.label_ids)
        return {
            "cer": error_rate(hypotheses, references, list),
            "wer": error_rate(hypotheses, references, str.split),
        }

    class Timing(transformers.TrainerCallback):
        def on_train_begin(self, arguments, state, control, **kwargs):
            clock["start"] = time.perf_counter()

        def on_evaluate(self, arguments, state, control, metrics=None, **kwargs):
            clock["eval"] += metrics["eval_runtime"]
            wall = time.perf_counter() - clock["start"]
            losses = [entry["loss"] for entry in state.log_history if "loss" in entry]
            line = {
                "step": state.global_step, "wall_seconds": wall, "train_seconds": wall - clock["eval"],
                "cer": metrics["eval_cer"], "wer": metrics["eval_wer"], "loss": losses[-1] if losses else None,
            }
            lines.append(line)
            print(f"step {line['step']:>5}  wall {wall:7.1f} s  train {line['train_seconds']:7.1f} s  CER {line['cer']:.3f}  WER {line['wer']:.3f}", flush=True)

    training_arguments = transformers.TrainingArguments(
        output_dir=os.path.join("/tmp", f"bench-e2e-torch-{os.getpid()}"), per_device_train_batch_size=args.batch, per_device_eval_batch_size=16,
        learning_rate=args.learning_rate, weight_decay=0.005, warmup_steps=args.warmup_steps, max_steps=args.steps, max_grad_norm=1.0,
        train_sampling_strategy="group_by_length", eval_strategy="steps", eval_steps=args.eval_steps, save_strategy="no", logging_steps=50, report_to=[],
        dataloader_num_workers=0, use_cpu=True, seed=args.seed, disable_tqdm=True)
    trainer = transformers.Trainer(
        model=model, args=training_arguments, train_dataset=train, eval_dataset=test, data_collator=Collator(processor),
        compute_metrics=compute_metrics, processing_class=processor.feature_extractor, callbacks=[Timing()])
    # Our lines instead of the Trainer's dictionaries.
    trainer.remove_callback(transformers.PrinterCallback)
    start = time.perf_counter()
    trainer.train()
    total = time.perf_counter() - start
    print(f"PyTorch {torch.__version__}, transformers {transformers.__version__}: {args.steps} steps in {total:.1f} s; "
          f"{args.steps * args.batch / (total - clock['eval']):.1f} utterances per second of training", flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"lines": lines, "seconds": total, "eval_seconds": clock["eval"]}, handle, indent=1)


def freeze(model, names):
    """requires_grad=False on each named parameter and on the parameters of each named module."""
    def named(parameter, name):
        return parameter == name or parameter.startswith(name if name.endswith(".") else name + ".")
    parameters = dict(model.named_parameters())
    for name in names:
        matched = [key for key in parameters if named(key, name)]
        if not matched:
            raise SystemExit(f"--freeze-param {name}: no parameter of the model is, or is inside, that name")
        for key in matched:
            parameters[key].requires_grad = False
    if any(not parameter.requires_grad for key, parameter in parameters.items() if key.startswith("wav2vec2.feature_extractor.")):
        model.wav2vec2.feature_extractor._requires_grad = False


if __name__ == "__main__":
    main()
