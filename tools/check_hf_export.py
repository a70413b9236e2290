"""Checks that an asrc model folder loads in transformers and gives asrc's logits.

    asrc import HF_DIR -o MODEL_DIR
    asrc logits --model MODEL_DIR clip.wav -o clip.npy
    python3 tools/check_hf_export.py MODEL_DIR clip.wav clip.npy

Loads MODEL_DIR with Wav2Vec2ForCTC.from_pretrained and Wav2Vec2Processor.from_pretrained
(failing on any missing or unexpected weight), runs the clip, and prints the largest logit
difference relative to the largest logit. Needs torch, transformers and numpy.
"""
import sys
import wave

import numpy as np
import torch
import transformers


def main():
    folder, audio_path, logits_path = sys.argv[1:4]
    model, info = transformers.Wav2Vec2ForCTC.from_pretrained(folder, output_loading_info=True)
    problems = {key: value for key, value in info.items() if value}
    if problems:
        sys.exit(f"{folder}: transformers reported loading problems: {problems}")
    processor = transformers.Wav2Vec2Processor.from_pretrained(folder)
    with wave.open(audio_path) as file:
        samples = np.frombuffer(file.readframes(file.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    inputs = processor(samples, sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        reference = model.eval()(**inputs).logits[0].numpy()
    ours = np.load(logits_path)
    error = np.abs(ours - reference).max() / np.abs(reference).max()
    print(f"{folder}: loads in transformers {transformers.__version__}; max |Δlogit| / max |logit| = {error:.2e}")
    sys.exit(0 if error <= 1e-4 else 1)


if __name__ == "__main__":
    main()
