#!/usr/bin/env python3
"""Make the audio-decoding, resampling and tokenizer fixtures under Tests/Fixtures/.

What it makes (deterministic: fixed seeds, fixed durations, sox run with -D -R, no dither):

  Tests/Fixtures/audio/
    pcm16_16k_mono.wav          16 kHz, 16-bit PCM WAV, mono
    pcm24_44k_stereo.wav        44.1 kHz, 24-bit PCM WAV, 2 channels (different content each)
    pcm32_8k_mono.wav           8 kHz, 32-bit integer PCM WAV, mono
    float32_22k_mono.wav        22.05 kHz, 32-bit IEEE float WAV, mono
    flac_16bit_48k_stereo.flac  48 kHz, 16-bit FLAC, 2 channels
    vorbis_32k_mono.ogg         32 kHz OGG/Vorbis, mono
    sphere_16k_mono.wav         16 kHz, 16-bit NIST SPHERE (sox -t sph), named .wav like TIMIT
    SPHERE_UPPER.WAV            the same bytes as sphere_16k_mono.wav, upper-case name (its
                                expected.json entry names sphere_16k_mono's .npy files)
    zero_length.wav             bad: a valid 16-bit mono WAV header with 0 frames
    truncated.wav               bad: the first 30 bytes of pcm16_16k_mono.wav
    not_audio.wav               bad: a few hundred bytes of text
    unsupported.xyz             bad: 300 seeded random bytes
    <stem>.decoded.npy          float32 mono samples as soundfile (bundled libsndfile) decodes them:
                                soundfile.read(path, dtype="float32", always_2d=True), mixed to mono
                                as data.mean(axis=1, dtype=numpy.float32) (== (c0 + c1) / 2 in float32)
    <stem>.resampled16k.npy     soxr.resample(mono, sample_rate, 16000, quality="HQ") as float32
                                (python-soxr; identity for 16 kHz inputs, checked bit-exact)
    <stem>.normalized.npy       Wav2Vec2FeatureExtractor(do_normalize=True)(resampled,
                                sampling_rate=16000).input_values[0] as float32
    expected.json               per file: format, rate, channels, frames, soxi -s, npy names,
                                resampled lengths; the exact libsoxr call python-soxr makes
                                ("soxr_call"); cross-checks against the system libsndfile and
                                libsoxr (ctypes) that the Swift side links; what happens on the bad files.

  Tests/Fixtures/tokenizer/
    vocab.json                  blog-style (TIMIT recipe) character vocabulary of the 15 "train"
                                transcripts: characters sorted by code point (" " excluded), then
                                "|", "[UNK]", "[PAD]" (last; the CTC blank)
    tokenizer_config.json ...   Wav2Vec2CTCTokenizer.save_pretrained output
    cases.json                  per transcript: raw, normalized, input_ids, decoded,
                                decoded_ungrouped; ctc_cases: CTC-like id sequences with decode()
                                and batch_decode() results; observations about spaces, unknown
                                characters and delimiter stripping.

How to run (by hand, not in CI), from anywhere:

    tools/make-audio-fixtures [/path/to/python]     # apt-installs sox if missing, then runs this

or directly (sox with libsox-fmt-all on PATH):

    pip install numpy soundfile soxr torch transformers
    python3 tools/make_audio_fixtures.py

It overwrites the two folders' files and prints a summary.  The versions it ran with are
recorded in both JSON files ("versions").
"""

import ctypes
import ctypes.util
import hashlib
import json
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

import numpy as np
import soundfile
import soxr

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
AUDIO_DIR = os.path.join(ROOT, "Tests", "Fixtures", "audio")
TOKENIZER_DIR = os.path.join(ROOT, "Tests", "Fixtures", "tokenizer")
TARGET_RATE = 16000

# name, container type for sox, sample rate, channels, sox encoding options, duration (s), seed.
# Durations are chosen so that frames * 16000 / rate is usually not an integer (exercises the
# output-length rule of the resampler).
GOOD_FILES = [
    ("pcm16_16k_mono.wav", "wav", 16000, 1, ["-e", "signed-integer", "-b", "16"], 0.2503, 11),
    ("pcm24_44k_stereo.wav", "wav", 44100, 2, ["-e", "signed-integer", "-b", "24"], 0.2011, 12),
    ("pcm32_8k_mono.wav", "wav", 8000, 1, ["-e", "signed-integer", "-b", "32"], 0.2707, 13),
    ("float32_22k_mono.wav", "wav", 22050, 1, ["-e", "floating-point", "-b", "32"], 0.2277, 14),
    ("flac_16bit_48k_stereo.flac", "flac", 48000, 2, ["-b", "16"], 0.2033, 15),
    ("vorbis_32k_mono.ogg", "vorbis", 32000, 1, ["-C", "3"], 0.2619, 16),
    ("sphere_16k_mono.wav", "sph", 16000, 1, ["-e", "signed-integer", "-b", "16"], 0.2191, 17),
]
UPPER_COPY = ("SPHERE_UPPER.WAV", "sphere_16k_mono.wav")


# ----------------------------------------------------------------------------------------------
# helpers

def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def stem(name):
    return name.rsplit(".", 1)[0]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def save_npy(name, array):
    array = np.ascontiguousarray(array, dtype=np.float32)
    np.save(os.path.join(AUDIO_DIR, name), array)
    return name


def source_signal(rate, channels, duration, seed):
    """Chirp + two tones + seeded noise, peak below ~0.5; channel 1 differs from channel 0."""
    frames = int(round(duration * rate))
    t = np.arange(frames, dtype=np.float64) / rate
    rng = np.random.default_rng(seed)
    out = np.zeros((frames, channels), dtype=np.float64)
    for ch in range(channels):
        f0, f1 = (150.0, 3500.0) if ch == 0 else (3000.0, 300.0)
        k = (f1 - f0) / duration
        chirp = 0.22 * np.sin(2 * np.pi * (f0 * t + 0.5 * k * t * t))
        tones = 0.12 * np.sin(2 * np.pi * (440.0 + 220.0 * ch) * t + 0.3) \
            + 0.08 * np.sin(2 * np.pi * (1250.0 + 500.0 * ch) * t + 1.1)
        noise = 0.01 * rng.standard_normal(frames)
        out[:, ch] = chirp + tones + noise
    # 5 ms raised-cosine fades so the clip has no clicks at either end
    fade = min(frames // 2, int(0.005 * rate))
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    out[:fade] *= ramp[:, None]
    out[frames - fade:] *= ramp[::-1][:, None]
    return out.astype(np.float32)


def wav_format_tag(path):
    """RIFF WAVE fmt chunk: (format tag, sub-format tag for WAVE_FORMAT_EXTENSIBLE or None)."""
    with open(path, "rb") as f:
        data = f.read(4096)
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            tag = struct.unpack("<H", data[pos + 8:pos + 10])[0]
            sub = struct.unpack("<H", data[pos + 32:pos + 34])[0] if tag == 0xFFFE else None
            return {"format_tag": hex(tag), "subformat_tag": hex(sub) if sub is not None else None}
        pos += 8 + size + (size & 1)
    return None


# ----------------------------------------------------------------------------------------------
# system libsndfile / libsoxr through ctypes (what the Swift code links against)

class SF_INFO(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]


def system_sndfile():
    name = ctypes.util.find_library("sndfile")
    if not name:
        return None
    lib = ctypes.CDLL(name)
    lib.sf_open.restype = ctypes.c_void_p
    lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(SF_INFO)]
    lib.sf_strerror.restype = ctypes.c_char_p
    lib.sf_strerror.argtypes = [ctypes.c_void_p]
    lib.sf_readf_float.restype = ctypes.c_int64
    lib.sf_readf_float.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    lib.sf_close.argtypes = [ctypes.c_void_p]
    lib.sf_version_string.restype = ctypes.c_char_p
    return lib


def sndfile_read(lib, path):
    """sf_open(SFM_READ) + sf_readf_float until EOF.  Returns dict (error or data)."""
    info = SF_INFO()
    handle = lib.sf_open(path.encode(), 0x10, ctypes.byref(info))
    if not handle:
        return {"error": lib.sf_strerror(None).decode()}
    chunks = []
    while True:
        buf = np.zeros((4096, info.channels), dtype=np.float32)
        n = lib.sf_readf_float(handle, buf.ctypes.data, 4096)
        if n <= 0:
            break
        chunks.append(buf[:n].copy())
    lib.sf_close(handle)
    data = np.concatenate(chunks) if chunks else np.zeros((0, info.channels), np.float32)
    return {"frames": info.frames, "samplerate": info.samplerate, "channels": info.channels,
            "format": info.format, "data": data}


class SoxrIOSpec(ctypes.Structure):
    _fields_ = [("itype", ctypes.c_int), ("otype", ctypes.c_int), ("scale", ctypes.c_double),
                ("e", ctypes.c_void_p), ("flags", ctypes.c_ulong)]


class SoxrQualitySpec(ctypes.Structure):
    _fields_ = [("precision", ctypes.c_double), ("phase_response", ctypes.c_double),
                ("passband_end", ctypes.c_double), ("stopband_begin", ctypes.c_double),
                ("e", ctypes.c_void_p), ("flags", ctypes.c_ulong)]


def system_soxr():
    name = ctypes.util.find_library("soxr")
    if not name:
        return None
    lib = ctypes.CDLL(name)
    lib.soxr_io_spec.restype = SoxrIOSpec
    lib.soxr_io_spec.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.soxr_quality_spec.restype = SoxrQualitySpec
    lib.soxr_quality_spec.argtypes = [ctypes.c_ulong, ctypes.c_ulong]
    lib.soxr_create.restype = ctypes.c_void_p
    lib.soxr_create.argtypes = [ctypes.c_double, ctypes.c_double, ctypes.c_uint,
                                ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(SoxrIOSpec),
                                ctypes.POINTER(SoxrQualitySpec), ctypes.c_void_p]
    lib.soxr_process.restype = ctypes.c_char_p
    lib.soxr_process.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                 ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p, ctypes.c_size_t,
                                 ctypes.POINTER(ctypes.c_size_t)]
    lib.soxr_delete.argtypes = [ctypes.c_void_p]
    lib.soxr_version.restype = ctypes.c_char_p
    return lib


SOXR_FLOAT32_I, SOXR_FLOAT32_S, SOXR_HQ = 0, 4, 4


def soxr_like_python(lib, mono, in_rate, out_rate):
    """The calls python-soxr 1.1.0's csoxr_split_ch<float> makes, for one channel."""
    x = np.ascontiguousarray(mono, dtype=np.float32)
    ilen = len(x)
    olen = int(ilen * out_rate / in_rate) + 1          # size_t olen = ilen * out_rate / in_rate + 1
    div_len = int(max(1000.0, 48000 * in_rate / out_rate))
    err = ctypes.c_char_p()
    io = lib.soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)  # mono: _I and _S lay out the same
    q = lib.soxr_quality_spec(SOXR_HQ, 0)
    s = lib.soxr_create(float(in_rate), float(out_rate), 1, ctypes.byref(err), ctypes.byref(io),
                        ctypes.byref(q), None)
    assert not err.value, err.value
    y = np.zeros(olen, dtype=np.float32)
    out_pos, odone = 0, ctypes.c_size_t(0)
    for idx in range(0, ilen, div_len):
        n = min(div_len, ilen - idx)
        e = lib.soxr_process(s, x.ctypes.data + 4 * idx, n, None,
                             y.ctypes.data + 4 * out_pos, olen - out_pos, ctypes.byref(odone))
        assert e is None, e
        out_pos += odone.value
    e = lib.soxr_process(s, None, 0, None, y.ctypes.data + 4 * out_pos, olen - out_pos,
                         ctypes.byref(odone))
    assert e is None, e
    out_pos += odone.value
    lib.soxr_delete(s)
    return y[:out_pos]


SOXR_CALL = {
    "source": "python-soxr 1.1.0 src/soxr/__init__.py resample() and src/soxr_ext.cpp "
              "csoxr_split_ch<float> (read from the soxr-1.1.0 sdist)",
    "dispatch": "resample(x) with a 1-D float32 x calls csoxr_split_ch_float32(in_rate, out_rate, "
                "x[:, np.newaxis], HQ) because x.strides[0] == x.itemsize (the split-channel path; "
                "2-D C-order multichannel input would take csoxr_divide_proc = interleaved _I types "
                "instead, same calls otherwise). There is no special case for in_rate == out_rate in "
                "Python; libsoxr itself returns the input unchanged at ratio 1 (checked bit-exact).",
    "c_calls": [
        "soxr_io_spec_t io_spec = soxr_io_spec(SOXR_FLOAT32_S, SOXR_FLOAT32_S);  /* split; for mono "
        "identical to SOXR_FLOAT32_I, SOXR_FLOAT32_I */",
        "soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ /* = SOXR_20_BITQ = 4 */, 0 /* flags: "
        "SOXR_LINEAR_PHASE (0x00), default rolloff SOXR_ROLLOFF_SMALL */);",
        "soxr_t s = soxr_create(in_rate, out_rate, channels, &err, &io_spec, &q, NULL /* default "
        "runtime spec */);",
        "size_t olen = ilen * out_rate / in_rate + 1;   /* double expression truncated to size_t "
        "= floor(ilen*out/in) + 1: output capacity, not the output length */",
        "size_t div_len = max(1000., 48000 * in_rate / out_rate);   /* input frames per call */",
        "for (idx = 0; idx < ilen; idx += div_len) { soxr_process(s, in + idx, min(div_len, "
        "ilen - idx), NULL, out + out_pos, olen - out_pos, &odone); out_pos += odone; }",
        "soxr_process(s, NULL, 0, NULL, out + out_pos, olen - out_pos, &odone); out_pos += odone; "
        "/* flush: end of input */",
        "soxr_delete(s);   /* result = the first out_pos samples */",
    ],
    "not_used": "soxr_oneshot (only python-soxr's private _resample_oneshot test helper uses it)",
    "output_length_observed": "out_pos == floor(ilen * out_rate / in_rate + 0.5) (round half up) "
                              "for every fixture and in a sweep of lengths; always < olen",
    "quality_spec_HQ_fields": None,  # filled in from the system libsoxr below
    "quality_spec_note": "what soxr_quality_spec(SOXR_HQ, 0) returns: precision 20 bits, "
                         "phase_response 50 (linear), passband_end 1 - .01/lsx_to_3dB(rej), "
                         "stopband_begin 1; flags 0x80000000 is libsoxr's internal RESET_ON_CLEAR",
    "libsoxr_in_python_soxr": soxr.__libsoxr_version__,
    "python_soxr_build": "libsoxr statically linked from python-soxr's bundled libsoxr submodule "
                         "(WITH_OPENMP OFF); the system libsoxr (Debian libsoxr0) may use another "
                         "DFT/SIMD path, see soxr_cross_check per file",
}


# ----------------------------------------------------------------------------------------------
# audio fixtures

def make_audio():
    from transformers import Wav2Vec2FeatureExtractor
    import transformers

    os.makedirs(AUDIO_DIR, exist_ok=True)
    for entry in os.listdir(AUDIO_DIR):
        os.remove(os.path.join(AUDIO_DIR, entry))

    sox = shutil.which("sox")
    soxi = shutil.which("soxi")
    if not sox or not soxi:
        sys.exit("sox/soxi not found: apt-get install -y sox libsox-fmt-all (or use tools/make-audio-fixtures)")

    extractor = Wav2Vec2FeatureExtractor(do_normalize=True)
    sf_sys = system_sndfile()
    soxr_sys = system_soxr()
    files = []
    tmp = tempfile.mkdtemp()
    try:
        for name, ftype, rate, channels, enc, duration, seed in GOOD_FILES:
            signal = source_signal(rate, channels, duration, seed)
            raw = os.path.join(tmp, stem(name) + ".f32")
            signal.astype("<f4").tofile(raw)
            path = os.path.join(AUDIO_DIR, name)
            run([sox, "-V1", "-D", "-R", "-t", "raw", "-r", str(rate), "-e", "floating-point",
                 "-b", "32", "-c", str(channels), "-L", raw,
                 "-t", ftype, "-r", str(rate), "-c", str(channels)] + enc + [path])
            files.append((name, ftype, rate, channels, signal))
    finally:
        shutil.rmtree(tmp)
    shutil.copyfile(os.path.join(AUDIO_DIR, UPPER_COPY[1]), os.path.join(AUDIO_DIR, UPPER_COPY[0]))
    sph = next(f for f in files if f[0] == UPPER_COPY[1])
    files.append((UPPER_COPY[0], "sph", sph[2], sph[3], sph[4]))

    records = []
    for name, ftype, rate, channels, signal in files:
        path = os.path.join(AUDIO_DIR, name)
        info = soundfile.info(path)
        data, sr = soundfile.read(path, dtype="float32", always_2d=True)
        soxi_frames = int(run([soxi, "-s", path]))
        assert sr == rate and data.shape[1] == channels, (name, sr, data.shape)
        assert data.shape[0] == soxi_frames == signal.shape[0], (name, data.shape, soxi_frames, signal.shape)
        if channels == 1:
            mono = data[:, 0].copy()
        else:
            mono = data.mean(axis=1, dtype=np.float32)
            manual = data.sum(axis=1, dtype=np.float32) / np.float32(channels)
            assert np.array_equal(mono, manual), name
        resampled = soxr.resample(mono, rate, TARGET_RATE, quality="HQ").astype(np.float32)
        identity = rate == TARGET_RATE
        if identity:
            assert np.array_equal(resampled, mono), name
        expected_len = int(np.floor(len(mono) * TARGET_RATE / rate + 0.5))
        assert len(resampled) == expected_len, (name, len(resampled), expected_len)
        normalized = np.asarray(
            extractor(resampled, sampling_rate=TARGET_RATE).input_values[0], dtype=np.float32)
        # SPHERE_UPPER.WAV is a byte copy of sphere_16k_mono.wav: it shares that file's .npy files
        s = stem(UPPER_COPY[1]) if name == UPPER_COPY[0] else stem(name)
        rec = {
            "file": name,
            "format": ftype,
            "soundfile_format": info.format, "soundfile_subtype": info.subtype,
            "soxi_encoding": run([soxi, "-e", path]),
            "sample_rate": rate,
            "channels": channels,
            "frames": int(data.shape[0]),
            "soxi_frames": soxi_frames,
            "sha256": sha256(path),
            "bytes": os.path.getsize(path),
            "decoded_npy": save_npy(s + ".decoded.npy", mono),
            "resampled16k_npy": save_npy(s + ".resampled16k.npy", resampled),
            "normalized_npy": save_npy(s + ".normalized.npy", normalized),
            "resampled16k_frames": int(len(resampled)),
            "resampling_is_identity": identity,
            "soxr_output_capacity_olen": int(len(mono) * TARGET_RATE / rate) + 1,
            "max_abs_decoded_minus_source": float(np.abs(data - signal).max()),
        }
        wt = wav_format_tag(path)
        if wt:
            rec["wav_fmt"] = wt
        if sf_sys is not None:
            r = sndfile_read(sf_sys, path)
            if "error" in r:
                rec["system_libsndfile"] = {"error": r["error"]}
            else:
                d = r["data"]
                same_shape = d.shape == data.shape
                rec["system_libsndfile"] = {
                    "frames": int(r["frames"]), "frames_read": int(d.shape[0]),
                    "sf_format": hex(r["format"]),
                    "bit_identical": bool(same_shape and np.array_equal(d, data)),
                    "max_abs_diff": float(np.abs(d - data).max()) if same_shape and d.size else None,
                }
        if soxr_sys is not None:
            y = soxr_like_python(soxr_sys, mono, rate, TARGET_RATE)
            same = y.shape == resampled.shape
            rec["soxr_cross_check"] = {
                "system_libsoxr_frames": int(len(y)),
                "bit_identical": bool(same and np.array_equal(y, resampled)),
                "max_abs_diff": float(np.abs(y - resampled).max()) if same else None,
            }
        records.append(rec)

    # bad inputs
    with wave.open(os.path.join(AUDIO_DIR, "zero_length.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"")
    with open(os.path.join(AUDIO_DIR, "pcm16_16k_mono.wav"), "rb") as f:
        head = f.read(30)
    with open(os.path.join(AUDIO_DIR, "truncated.wav"), "wb") as f:
        f.write(head)
    text = ("This is not audio. It is a plain text file named .wav so that a decoder which trusts "
            "the extension has to notice that there is no RIFF header, no fmt chunk and no data "
            "chunk here.\nasrc test fixture, made by tools/make_audio_fixtures.py.\n")
    with open(os.path.join(AUDIO_DIR, "not_audio.wav"), "w") as f:
        f.write(text * 2)
    with open(os.path.join(AUDIO_DIR, "unsupported.xyz"), "wb") as f:
        f.write(np.random.default_rng(20240601).integers(0, 256, 300, dtype=np.uint8).tobytes())

    bad = []
    for name, what in [("zero_length.wav", "valid 16 kHz 16-bit mono WAV header (44 bytes), 0 frames"),
                       ("truncated.wav", "first 30 bytes of pcm16_16k_mono.wav"),
                       ("not_audio.wav", "plain ASCII text"),
                       ("unsupported.xyz", "300 random bytes (numpy default_rng(20240601))")]:
        path = os.path.join(AUDIO_DIR, name)
        rec = {"file": name, "what": what, "bytes": os.path.getsize(path), "sha256": sha256(path)}
        try:
            d, sr = soundfile.read(path, dtype="float32", always_2d=True)
            rec["soundfile"] = {"frames": int(d.shape[0]), "sample_rate": sr, "channels": int(d.shape[1])}
        except Exception as e:  # noqa: BLE001 - recording whatever it raises
            rec["soundfile"] = {"error": f"{type(e).__name__}: {e}"}
        if sf_sys is not None:
            r = sndfile_read(sf_sys, path)
            rec["system_libsndfile"] = ({"error": r["error"]} if "error" in r else
                                        {"frames": int(r["frames"]), "sample_rate": r["samplerate"],
                                         "channels": r["channels"], "sf_format": hex(r["format"])})
        p = subprocess.run([soxi, "-s", path], capture_output=True, text=True)
        rec["soxi_s"] = p.stdout.strip() if p.returncode == 0 else f"error: {p.stderr.strip()}"
        for key in ("soundfile", "soxi_s"):   # no absolute paths in the fixtures
            rec[key] = json.loads(json.dumps(rec[key]).replace(AUDIO_DIR + "/", ""))
        bad.append(rec)

    if soxr_sys is not None:
        q = soxr_sys.soxr_quality_spec(SOXR_HQ, 0)
        SOXR_CALL["quality_spec_HQ_fields"] = {
            "precision": q.precision, "phase_response": q.phase_response,
            "passband_end": q.passband_end, "stopband_begin": q.stopband_begin, "flags": hex(q.flags)}

    expected = {
        "made_by": "tools/make_audio_fixtures.py",
        "versions": {
            "python": platform.python_version(), "numpy": np.__version__,
            "soundfile": soundfile.__version__, "libsndfile_in_soundfile": soundfile.__libsndfile_version__,
            "system_libsndfile": sf_sys.sf_version_string().decode() if sf_sys else None,
            "python_soxr": soxr.__version__, "libsoxr_in_python_soxr": soxr.__libsoxr_version__,
            "system_libsoxr": soxr_sys.soxr_version().decode() if soxr_sys else None,
            "transformers": transformers.__version__, "sox": run([shutil.which("sox"), "--version"]),
        },
        "source_signal": "per file: chirp (0.22) + two tones (0.12, 0.08) + 0.01 * seeded normal noise, "
                         "5 ms raised-cosine fades, generated at the file's rate as float32 and "
                         "converted by sox -D -R (no dither) from raw float32",
        "decoding": "soundfile.read(path, dtype='float32', always_2d=True) (sf_readf_float, libsndfile's "
                    "default normalisation: int16/32768, int24/2^23, int32/2^31)",
        "mixdown": "mono = data.mean(axis=1, dtype=numpy.float32), which equals "
                   "(sum over channels in float32, left to right) / float32(channels) bit for bit "
                   "(asserted); for 2 channels (c0 + c1) / 2",
        "resampling": {"function": "soxr.resample(mono, sample_rate, 16000, quality='HQ')",
                       "python_soxr_version": soxr.__version__, "quality": "HQ",
                       "output_length": "floor(frames * 16000 / sample_rate + 0.5)",
                       "identity_when_16k": True},
        "soxr_call": SOXR_CALL,
        "normalization": "Wav2Vec2FeatureExtractor(do_normalize=True)(resampled, sampling_rate=16000)"
                         ".input_values[0]: (x - x.mean()) / sqrt(x.var() + 1e-7)",
        "files": records,
        "bad_files": bad,
    }
    with open(os.path.join(AUDIO_DIR, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return expected


# ----------------------------------------------------------------------------------------------
# tokenizer fixtures

CHARS_TO_IGNORE_REGEX = '[\\,\\?\\.\\!\\-\\;\\:\\"]'   # the blog's '[\,\?\.\!\-\;\:\"]'

TRANSCRIPTS = [
    # 15 "train" transcripts (the vocabulary is built from these)
    "She had your dark suit in greasy wash water all year.",
    "Don't ask me to carry an oily rag like that!",
    "The SPEECH recognition system; it works - sometimes.",
    "Would you please quit making that noise?",
    "Bob's jacket was zipped, but Jenny's wasn't: \"Brrr,\" she said.",
    "A quick brown fox jumps over the lazy dog.",
    "Too many cooks spoil the broth, or so they say.",
    "Never, ever, EVER feed the goose after midnight!",
    "Has the committee agreed to the proposal yet?",
    "Vivid excuses annoy a well-behaved jury.",
    "I'll see you at the village green by noon.",
    "Cheese, bread... and coffee: that's all we need.",
    "Exquisite opals glimmered in the shallow pool.",
    "\"Yes,\" he whispered, \"the tall tree fell.\"",
    "Mississippi is a long word; Tennessee has doubles too.",
    # 5 "test" transcripts (exercise unknown characters and spacing)
    "The café opened at 9 o'clock.",
    "Zoë wrote 2 letters to her aunt.",
    "Two  spaces   between    words here.",
    "  Leading and trailing spaces!  ",
    "Grüße from the speech lab (room 101).",
]
N_TRAIN = 15


def normalize(text):
    return re.sub(CHARS_TO_IGNORE_REGEX, "", text).lower()


def make_tokenizer():
    import transformers
    from transformers import Wav2Vec2CTCTokenizer

    os.makedirs(TOKENIZER_DIR, exist_ok=True)
    for entry in os.listdir(TOKENIZER_DIR):
        os.remove(os.path.join(TOKENIZER_DIR, entry))

    normalized = [normalize(t) for t in TRANSCRIPTS]
    chars = sorted(set("".join(normalized[:N_TRAIN])) - {" "})
    vocab_list = chars + ["|", "[UNK]", "[PAD]"]
    vocab = {c: i for i, c in enumerate(vocab_list)}
    vocab_path = os.path.join(TOKENIZER_DIR, "vocab.json")
    with open(vocab_path, "w") as f:
        json.dump(vocab, f, ensure_ascii=False)

    tok = Wav2Vec2CTCTokenizer(vocab_path, unk_token="[UNK]", pad_token="[PAD]", word_delimiter_token="|")
    tok.save_pretrained(TOKENIZER_DIR)
    saved = sorted(os.listdir(TOKENIZER_DIR))

    P, D, U = vocab["[PAD]"], vocab["|"], vocab["[UNK]"]

    def ids(word):
        return [vocab[c] for c in word]

    cases = []
    for raw, norm in zip(TRANSCRIPTS, normalized):
        input_ids = tok(norm).input_ids
        cases.append({
            "raw": raw, "normalized": norm, "split": "train" if len(cases) < N_TRAIN else "test",
            "tokens": tok.convert_ids_to_tokens(input_ids),
            "input_ids": input_ids,
            "decoded": tok.decode(input_ids),
            "decoded_ungrouped": tok.decode(input_ids, group_tokens=False),
        })

    h, e, l, o, w, r, d, i = (vocab[c] for c in "helowrdi")
    ctc_inputs = [
        ("hello: repeats collapsed, blank between the two l's keeps both",
         [h, h, e, e, e, l, l, P, l, o, o]),
        ("hello without a blank between l's: collapses to one l", [h, e, l, l, l, o]),
        ("leading and trailing blanks", [P, P, h, e, l, P, l, o, P, P, P]),
        ("word delimiter between words, repeated", [h, i, D, D, D, w, o, r, l, d]),
        ("leading and trailing delimiters", [D, D, h, i, D, P, D]),
        ("delimiter, blank, delimiter between words (not grouped: two spaces?)",
         [h, i, D, P, D, w, o, r, l, d]),
        ("blank-separated delimiters twice", [o, D, P, D, P, D, o]),
        ("[UNK] id inside a word", [h, U, U, P, U, o]),
        ("out-of-vocabulary id (len(vocab) + 5)", [h, len(vocab) + 5, o]),
        ("all blanks", [P, P, P, P]),
        ("only delimiters and blanks", [D, P, D, D, P]),
        ("empty", []),
        ("apostrophe word split as don 't (clean_up_tokenization check)",
         ids("don") + [D] + ids("'t")),
        ("bos/eos-like added token ids if any (len(vocab), len(vocab)+1)",
         [h, i] + [len(vocab), len(vocab) + 1] + [o]),
        ("speech with blank between e's and ch", ids("sp") + [vocab["e"], P, vocab["e"], vocab["e"]] + ids("cch")),
        ("single character", [o]),
    ]
    ctc_cases = []
    for what, seq in ctc_inputs:
        rec = {"what": what, "ids": seq}
        for key, fn in [("decode", lambda s: tok.decode(s)),
                        ("batch_decode", lambda s: tok.batch_decode([s])[0]),
                        ("decode_ungrouped", lambda s: tok.decode(s, group_tokens=False)),
                        ("decode_skip_special", lambda s: tok.decode(s, skip_special_tokens=True))]:
            try:
                rec[key] = fn(seq)
            except Exception as ex:  # noqa: BLE001
                rec[key] = f"EXCEPTION {type(ex).__name__}: {ex}"
        ctc_cases.append(rec)

    def probe(text):
        r = tok(text).input_ids
        return {"text": text, "input_ids": r, "tokens": tok.convert_ids_to_tokens(r), "decoded": tok.decode(r)}

    observations = {
        "double_space": probe("a  b"),
        "leading_trailing_space": probe(" a b "),
        "unknown_chars": probe("é9"),
        "upper_case_not_in_vocab": probe("Ab"),
        "decode_strips_leading_trailing_delimiters": tok.decode([D, vocab["a"], D]) == "a",
        "len_tokenizer": len(tok), "vocab_size": tok.vocab_size,
        "added_tokens": {str(k): v.content for k, v in tok.added_tokens_decoder.items()},
        "special_ids": {"pad": tok.pad_token_id, "unk": tok.unk_token_id, "bos": tok.bos_token_id,
                        "eos": tok.eos_token_id, "word_delimiter": tok.word_delimiter_token_id},
        "skip_special_tokens_removes_blanks_before_grouping":
            tok.decode([h, e, l, P, l, o], skip_special_tokens=True),
        "clean_up_tokenization_spaces": tok.clean_up_tokenization_spaces,
        "do_lower_case": tok.do_lower_case,
        "notes": [
            "encoding: every space becomes one '|' (no collapsing): 'a  b' -> a | | b; leading and "
            "trailing spaces become leading/trailing '|' ids",
            "characters not in vocab.json (accents, digits, '(', upper case) -> the [UNK] id one "
            "per character; the blog regex does not remove '(' or ')'",
            "decode() groups repeats CTC-style even for plain label ids: decode(tok(text).input_ids) "
            "loses double letters ('speech' -> 'spech') and collapses runs of '|'; use "
            "group_tokens=False to round-trip labels",
            "decode(): [PAD] (blank) removed after grouping, '|' -> ' ', then str.strip(): leading "
            "and trailing delimiters vanish, but '|' [PAD] '|' inside gives two spaces (not collapsed)",
            "ids outside the vocabulary decode to '[UNK]'; the added <s>/</s> (ids vocab_size, "
            "vocab_size+1; len(tokenizer) = vocab_size + 2) decode literally as '<s>' '</s>'",
            "decode(skip_special_tokens=True) drops [PAD] and [UNK] BEFORE grouping, so blank-separated "
            "repeats merge ('hel[PAD]lo' -> 'helo'); '|' is kept",
            "clean_up_tokenization_spaces is False: \"don 't\" stays as is",
            "save_pretrained rewrites vocab.json with sorted keys (same ids)",
        ],
    }

    out = {
        "made_by": "tools/make_audio_fixtures.py",
        "versions": {"transformers": transformers.__version__, "python": platform.python_version()},
        "recipe": {
            "chars_to_ignore_regex": CHARS_TO_IGNORE_REGEX,
            "normalize": "re.sub(chars_to_ignore_regex, '', text).lower()",
            "vocab": "sorted(set(''.join(normalized train texts)) - {' '}) by code point, then '|', "
                     "'[UNK]', '[PAD]' (last); ids in that order",
            "tokenizer": "Wav2Vec2CTCTokenizer('vocab.json', unk_token='[UNK]', pad_token='[PAD]', "
                         "word_delimiter_token='|'); save_pretrained into this folder",
            "n_train": N_TRAIN,
            "saved_files": saved,
        },
        "vocab": vocab,
        "cases": cases,
        "ctc_cases": ctc_cases,
        "observations": observations,
    }
    with open(os.path.join(TOKENIZER_DIR, "cases.json"), "w") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return out


def main():
    audio = make_audio()
    tokens = make_tokenizer()
    print(f"wrote {AUDIO_DIR}")
    for rec in audio["files"]:
        sysf = rec.get("system_libsndfile", {})
        sysr = rec.get("soxr_cross_check", {})
        print(f"  {rec['file']:28s} {rec['sample_rate']:6d} Hz {rec['channels']} ch {rec['frames']:6d} frames"
              f" -> {rec['resampled16k_frames']:5d} @16k; system sndfile identical={sysf.get('bit_identical')}"
              f" (max {sysf.get('max_abs_diff')}); system soxr identical={sysr.get('bit_identical')}"
              f" (max {sysr.get('max_abs_diff')})")
    for rec in audio["bad_files"]:
        print(f"  {rec['file']:28s} soundfile: {rec['soundfile']}")
    print(f"wrote {TOKENIZER_DIR}: vocab {len(tokens['vocab'])}, {len(tokens['cases'])} cases, "
          f"{len(tokens['ctc_cases'])} ctc cases")
    print(json.dumps(tokens["observations"], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
