#!/usr/bin/env python3
"""Writes a deterministic synthetic speech corpus in TIMIT layout, spoken by espeak-ng (and, for
the digits-other and digits-accented parts, by Festival and Flite).

    OUT/<part>/<TRAIN|TEST>/DR<n>/<SPEAKER>/<NAME>.WAV   16 kHz mono 16-bit NIST SPHERE
    OUT/<part>/<TRAIN|TEST>/DR<n>/<SPEAKER>/<NAME>.TXT   "0 <samples> <transcript>"
    OUT/corpus.json                                      parameters, counts, voices

Parts: "digits" (TIDIGITS-like strings of 2 to 7 digit words), "sentences" (made from a
small grammar over a few hundred common words; no TEST sentence occurs in TRAIN), and
"digits-other": the digits grammar spoken by other synthesizers than espeak-ng, TEST only, so
that a model trained on espeak-ng's digits can be measured on speech from a synthesizer it
never heard. Its voices are Festival's kal_diphone and ked_diphone (diphone concatenation,
pitch and rate varied per utterance) and cmu_us_slt_arctic_hts (HMM synthesis, rate varied),
and Flite's kal16, awb, rms and slt (rate varied): regions DR1 (Festival) and DR2 (Flite).
"digits-accented" is TRAIN only: the digits grammar spoken by Festival's voices for Italian,
Czech, Finnish, Catalan and Russian, each English digit word respelled in the voice's spelling
("uan tu tri" for an Italian voice): accented English from voices made of human recordings,
a quarter as many clips as --train. None of its voices, speakers or languages is in digits-other.

Every clip is checked after rendering: at least 0.3 s long and an RMS level above -45 dBFS
(a synthesizer that failed quietly writes silence); corpus.json records each part's RMS range.

A voice is an espeak-ng accent plus a voice variant (`-v en-us+m3`). TRAIN and TEST voices are
disjoint: two accents and six variants never occur in TRAIN. The dialect region DR<n> is the
accent; the speaker folder is the variant's sex (F/M), two letters for the accent and two for
the variant, e.g. MUSM3 = en-us+m3. Speaking rate, pitch and word gap vary per utterance.

Everything is driven by --seed (espeak-ng and `sox -R -D` are deterministic), so running twice
gives identical files (Festival and Flite are deterministic too). Uses the Python 3 standard
library only; needs espeak-ng and sox on PATH, for digits-other festival (with the
festvox-kallpc16k, festvox-kdlpc16k and festvox-us-slt-hts voices) and flite, and for
digits-accented festival with the voices of ACCENTED_VOICES (tools/make-demo-corpus installs
what the parts asked for need). Usage: see --help.
"""

import argparse
import array
import concurrent.futures
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time

# 2: the digits-other part, and every clip's length and level checked (RMS ranges in corpus.json).
GENERATOR_VERSION = 2
SAMPLE_RATE = 16000

# espeak-ng accent -> (dialect region number, two-letter speaker code). Regions follow the order.
ACCENTS = [
    ("en-us", "US"),
    ("en-gb", "GB"),
    ("en-gb-x-rp", "RP"),
    ("en-gb-scotland", "SC"),
    ("en-gb-x-gbclan", "LA"),
    ("en-029", "CA"),
    ("en-us-nyc", "NY"),
    ("en-gb-x-gbcwmd", "WM"),
]
TEST_ACCENTS = {"en-us-nyc", "en-gb-x-gbcwmd"}

# espeak-ng variant file (voices/!v/<name>) -> (sex, two-character speaker code).
VARIANTS = [
    ("m1", "M", "M1"), ("m2", "M", "M2"), ("m3", "M", "M3"), ("m4", "M", "M4"),
    ("m5", "M", "M5"), ("m6", "M", "M6"), ("m7", "M", "M7"), ("m8", "M", "M8"),
    ("Andy", "M", "AY"), ("Mike", "M", "MK"), ("rob", "M", "RB"), ("robert", "M", "RT"),
    ("klatt", "M", "K1"), ("klatt3", "M", "K3"), ("Michael", "M", "MI"), ("Lee", "M", "LE"),
    ("f1", "F", "F1"), ("f2", "F", "F2"), ("f3", "F", "F3"), ("f4", "F", "F4"),
    ("f5", "F", "F5"), ("Andrea", "F", "AN"), ("Annie", "F", "AI"), ("aunty", "F", "AU"),
    ("linda", "F", "LI"), ("steph", "F", "S1"), ("steph2", "F", "S2"), ("anika", "F", "AK"),
    ("Alicia", "F", "AL"), ("belinda", "F", "BE"),
]
TEST_VARIANTS = {"m6", "Michael", "Lee", "f4", "Alicia", "belinda"}

RATE_WPM = (130, 210)
PITCH = (25, 75)
WORD_GAP = (0, 4)  # espeak-ng -g, units of 10 ms at the default speed
DIGIT_COUNT = (2, 7)
DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh"]
PARTS = ["digits", "sentences", "digits-other", "digits-accented"]
SPLITS = ["TRAIN", "TEST"]
NAME_PREFIX = {"digits": "DG", "sentences": "SX", "digits-other": "DO", "digits-accented": "DA"}
# The parts that only have a TEST split (speech the training never uses), and those that only
# have a TRAIN split (speech added to the training).
TEST_ONLY_PARTS = {"digits-other"}
TRAIN_ONLY_PARTS = {"digits-accented"}

# Other synthesizers for digits-other: (engine, voice, sex, speaker code, region, f0 range).
# The speaker folder is sex + engine code (FV Festival, FL Flite) + the voice's two letters.
# Pitch is varied where the engine takes a target mean (Festival's diphone voices, through
# int_lr_params); Festival's HTS voice and Flite vary the rate only.
OTHER_VOICES = [
    ("festival", "kal_diphone", "M", "FVKA", "DR1", (85, 135)),
    ("festival", "ked_diphone", "M", "FVKD", "DR1", (85, 135)),
    ("festival", "cmu_us_slt_arctic_hts", "F", "FVSL", "DR1", None),
    ("flite", "kal16", "M", "FLKA", "DR2", None),
    ("flite", "awb", "M", "FLAW", "DR2", None),
    ("flite", "rms", "M", "FLRM", "DR2", None),
    ("flite", "slt", "F", "FLSL", "DR2", None),
]
OTHER_REGIONS = {"DR1": "festival", "DR2": "flite"}
# Duration stretch (above 1: slower), about the spread of espeak-ng's 130 to 210 words a minute.
OTHER_STRETCH = (0.8, 1.25)

# digits-accented: the digits grammar spoken by Festival's voices for other languages, each
# English digit word respelled in the voice's own spelling so that its letter-to-sound rules say
# something near the English word: English with an Italian, Czech, Finnish, Catalan or Russian
# accent, from voices made of human recordings (diphones, HTS, unit selection) where espeak-ng's
# are formant rules. TRAIN only: it is what carries a model trained on espeak-ng over to
# digits-other's voices (docs/architecture.md, "Other synthesizers: accented voices in
# training"), and no voice, speaker or language of digits-other is in it.
# (Festival voice, sex, speaker code, spelling, region.)
ACCENTED_VOICES = [
    ("pc_diphone", "M", "ITPC", "it", "DR1"),
    ("lp_diphone", "F", "ITLP", "it", "DR1"),
    ("czech_dita", "F", "CZDI", "cs", "DR2"),
    ("czech_krb", "M", "CZKR", "cs", "DR2"),
    ("czech_machac", "M", "CZMA", "cs", "DR2"),
    ("czech_ph", "M", "CZPH", "cs", "DR2"),
    ("suo_fi_lj_diphone", "F", "FILJ", "fi", "DR3"),
    ("hy_fi_mv_diphone", "M", "FIMV", "fi", "DR3"),
    ("upc_ca_ona_hts", "F", "CAON", "ca", "DR4"),
    ("msu_ru_nsh_clunits", "M", "RUNS", "ru", "DR5"),
]
ACCENTED_REGIONS = {"DR1": "Italian", "DR2": "Czech", "DR3": "Finnish", "DR4": "Catalan", "DR5": "Russian"}
# Each English digit word in each language's spelling, for the sound of the English word.
RESPELLINGS = {
    "it": dict(zero="ziro", one="uan", two="tu", three="tri", four="for", five="faiv", six="sics",
               seven="seven", eight="eit", nine="nain", oh="ou"),
    "cs": dict(zero="zirou", one="van", two="tu", three="tri", four="for", five="fajv", six="siks",
               seven="sevn", eight="ejt", nine="najn", oh="ou"),
    "fi": dict(zero="siirou", one="van", two="tuu", three="trii", four="foor", five="faiv", six="siks",
               seven="seven", eight="eit", nine="nain", oh="ou"),
    "ca": dict(zero="zirou", one="uan", two="tu", three="tri", four="for", five="faiv", six="sics",
               seven="seven", eight="eit", nine="nain", oh="ou"),
    "ru": dict(zero="зироу", one="уан", two="ту", three="три", four="фор", five="файв", six="сикс",
               seven="сэвэн", eight="эйт", nine="найн", oh="оу"),
}
# digits-accented's TRAIN size as a share of --train (250 clips beside digits' 1,000 by default).
ACCENTED_SHARE = 0.25
# The audio checks every clip passes.
MIN_CLIP_SECONDS = 0.3
MIN_RMS_DBFS = -45.0

# ---- the sentence grammar's vocabulary (lower case a-z and apostrophe only) -----------------

NOUNS = """
dog cat bird horse cow fish mouse rabbit duck goat sheep fox bear lion tiger snake frog
teacher doctor farmer driver baker child girl boy woman man friend neighbor student artist
pilot nurse singer writer king queen captain soldier sailor uncle aunt sister brother
house car boat train plane bridge road river lake garden park school church market store
table chair window door floor wall roof kitchen room bed lamp clock picture mirror box
bag book letter paper pen key cup plate bottle basket coat hat shoe shirt dress ring
apple bread cake cheese egg milk orange soup tea coffee flower tree grass stone hill field
forest beach island village city town farm ship truck bicycle ladder blanket pillow candle
""".split()

ADJECTIVES = """
old new big small little large tiny tall short long young happy sad angry quiet loud
red blue green yellow black white brown gray pink purple dark bright clean dirty warm
cold hot cool soft hard heavy light fast slow busy empty full strong weak rich poor
kind brave calm clever funny gentle proud shy tired lucky strange simple pretty ugly
wet dry fresh sweet round narrow wide deep
""".split()

# transitive verbs as (base, past)
TRANSITIVE = [
    ("find", "found"), ("see", "saw"), ("carry", "carried"), ("open", "opened"),
    ("close", "closed"), ("paint", "painted"), ("clean", "cleaned"), ("build", "built"),
    ("buy", "bought"), ("sell", "sold"), ("bring", "brought"), ("take", "took"),
    ("move", "moved"), ("push", "pushed"), ("pull", "pulled"), ("wash", "washed"),
    ("fix", "fixed"), ("drop", "dropped"), ("hold", "held"), ("hide", "hid"),
    ("watch", "watched"), ("follow", "followed"), ("visit", "visited"), ("help", "helped"),
    ("lift", "lifted"), ("fill", "filled"), ("touch", "touched"), ("throw", "threw"),
    ("catch", "caught"), ("keep", "kept"), ("leave", "left"), ("give", "gave"),
    ("need", "needed"), ("want", "wanted"), ("like", "liked"), ("love", "loved"),
    ("draw", "drew"), ("cook", "cooked"), ("check", "checked"), ("pick", "picked"),
]

# intransitive verbs (past) that take a prepositional phrase
INTRANSITIVE = """
walked ran sat slept waited stood jumped danced sang played rested stayed worked
swam climbed hid landed stopped looked smiled laughed fell lay moved hurried
""".split()

PREPOSITIONS = """
in on near under behind beside over into from to across through around past along
""".split()

DETERMINERS = "the a this that my your our his her their one every".split()
PRONOUNS = "i we you they he she".split()
NEGATIONS = ["didn't", "can't", "won't", "couldn't", "wouldn't"]
ADVERBS = """
today yesterday again quickly slowly carefully quietly early late twice
""".split() + [
    "last night", "this morning", "every day", "at noon", "after lunch", "before dinner",
    "on sunday", "in the evening", "last week", "right away",
]
NAMES = """
john mary peter susan david anna james linda paul emma tom kate mark lucy sam grace
""".split()

TEMPLATES = [
    "D A N VI P D N",           # the old dog slept under the green table
    "D N VT D A N X",           # a farmer found the small key today
    "R VT D N P D A N",         # we saw the boat near the old bridge
    "M VT D A N",               # mary carried a heavy box
    "R G VB D A N X",           # they didn't open the blue door last night
    "D A N was A and A",        # the new house was big and quiet
    "there was D A N P D N",    # there was a tiny bird on the roof
    "M and M VI P D A N",       # john and mary walked to the big park
    "D N P D N VT D A N",       # the man in the car watched a small bird
]


def make_sentence(rng):
    words = []
    for slot in rng.choice(TEMPLATES).split():
        if slot == "D":
            words.append(rng.choice(DETERMINERS))
        elif slot == "A":
            words.append(rng.choice(ADJECTIVES))
        elif slot == "N":
            words.append(rng.choice(NOUNS))
        elif slot == "VT":
            words.append(rng.choice(TRANSITIVE)[1])
        elif slot == "VB":
            words.append(rng.choice(TRANSITIVE)[0])
        elif slot == "VI":
            words.append(rng.choice(INTRANSITIVE))
        elif slot == "P":
            words.append(rng.choice(PREPOSITIONS))
        elif slot == "R":
            words.append(rng.choice(PRONOUNS))
        elif slot == "G":
            words.append(rng.choice(NEGATIONS))
        elif slot == "X":
            words.append(rng.choice(ADVERBS))
        elif slot == "M":
            words.append(rng.choice(NAMES))
        else:
            words.append(slot)
    # "a" -> "an" before a vowel letter (the vocabulary avoids "an hour" / "a union" cases)
    for i in range(len(words) - 1):
        if words[i] == "a" and words[i + 1][0] in "aeiou":
            words[i] = "an"
    return " ".join(" ".join(words).split())


def make_digits(rng):
    return " ".join(rng.choice(DIGIT_WORDS) for _ in range(rng.randint(*DIGIT_COUNT)))


# ---- voices --------------------------------------------------------------------------------


def run_text(args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def available_voices():
    """The accents and variants from the tables above that this espeak-ng offers."""
    accent_lines = run_text(["espeak-ng", "--voices=en"]).splitlines()[1:]
    have_accents = set()
    for line in accent_lines:
        fields = line.split()
        # mbrola voices (mb/...) need the separate mbrola program and data; only use gmw/ ones
        if len(fields) >= 5 and fields[4].startswith("gmw/"):
            have_accents.add(fields[1])
    variant_lines = run_text(["espeak-ng", "--voices=variant"]).splitlines()[1:]
    have_variants = set()
    for line in variant_lines:
        for field in line.split():
            if field.startswith("!v/"):
                have_variants.add(field[3:])
    accents = [a for a in ACCENTS if a[0] in have_accents]
    variants = [v for v in VARIANTS if v[0] in have_variants]
    missing = [a[0] for a in ACCENTS if a[0] not in have_accents]
    missing += ["+" + v[0] for v in VARIANTS if v[0] not in have_variants]
    return accents, variants, missing


def voice_sets(accents, variants):
    """(train, test) lists of voices; a voice is a dict with espeak name, speaker and region."""
    train, test = [], []
    for region, (accent, accent_code) in enumerate(ACCENTS, start=1):
        if (accent, accent_code) not in accents:
            continue
        for variant, sex, variant_code in variants:
            voice = {
                "espeak": f"{accent}+{variant}",
                "speaker": f"{sex}{accent_code}{variant_code}",
                "region": f"DR{region}",
            }
            if accent in TEST_ACCENTS or variant in TEST_VARIANTS:
                test.append(voice)
            else:
                train.append(voice)
    return train, test


# ---- the plan: every utterance, decided up front in a fixed order --------------------------


def plan(parts, counts, seed, train_voices, test_voices):
    utterances = []
    for part in parts:
        if part == "digits-other":
            utterances += plan_other(counts["TEST"], seed)
            continue
        if part == "digits-accented":
            utterances += plan_accented(accented_count(counts["TRAIN"]), seed)
            continue
        seen = set()
        for split in SPLITS:
            rng = random.Random(f"asrc-demo-corpus/{seed}/{part}/{split}")
            voices = list(train_voices if split == "TRAIN" else test_voices)
            rng.shuffle(voices)
            count = counts[split]
            width = max(4, len(str(count)))
            texts = set()
            for index in range(count):
                for _attempt in range(1000):
                    if part == "digits":
                        text = make_digits(rng)
                        break
                    text = make_sentence(rng)
                    if text not in seen and text not in texts:
                        break
                else:
                    sys.exit(f"make-demo-corpus: could not find {count} distinct sentences")
                texts.add(text)
                voice = voices[index % len(voices)]
                utterances.append({
                    "part": part,
                    "split": split,
                    "path": os.path.join(part, split, voice["region"], voice["speaker"],
                                         f"{NAME_PREFIX[part]}{index + 1:0{width}d}"),
                    "voice": voice["espeak"],
                    "speaker": voice["speaker"],
                    "text": text,
                    "rate": rng.randint(*RATE_WPM),
                    "pitch": rng.randint(*PITCH),
                    "gap": rng.randint(*WORD_GAP),
                })
            seen |= texts
    return utterances


def festival_version():
    return run_text(["festival", "--version"]).splitlines()[0].strip()


def festival_voices():
    festival = subprocess.run(["festival", "--pipe"], input="(print (voice.list))\n",
                              capture_output=True, text=True).stdout
    return set(festival.strip("()\n ").split())


def missing_other_voices():
    """The voices of OTHER_VOICES that this Festival or Flite does not offer."""
    have = {"festival": festival_voices(),
            "flite": set(run_text(["flite", "-lv"]).split(":", 1)[-1].split())}
    return [f"{engine}:{voice}" for engine, voice, *_ in OTHER_VOICES if voice not in have[engine]]


def other_voices():
    """OTHER_VOICES as dicts, in the table's order."""
    return [{"engine": engine, "voice": voice, "speaker": f"{sex}{code}", "region": region, "f0": f0}
            for engine, voice, sex, code, region, f0 in OTHER_VOICES]


def rotate_voices(part, split, voices, count, seed):
    """(generator, voice, path) for each of `count` utterances of a part spoken by `voices` in
    turn, shuffled once by the part's own seeded generator, which then draws each utterance's
    choices."""
    rng = random.Random(f"asrc-demo-corpus/{seed}/{part}/{split}")
    voices = list(voices)
    rng.shuffle(voices)
    width = max(4, len(str(count)))
    for index in range(count):
        voice = voices[index % len(voices)]
        yield rng, voice, os.path.join(part, split, voice["region"], voice["speaker"],
                                       f"{NAME_PREFIX[part]}{index + 1:0{width}d}")


def plan_other(count, seed):
    """digits-other/TEST: the digits grammar, each utterance a voice of OTHER_VOICES in turn
    (shuffled once), with its own rate and, where the voice takes one, pitch."""
    utterances = []
    for rng, voice, path in rotate_voices("digits-other", "TEST", other_voices(), count, seed):
        text = make_digits(rng)
        stretch = round(rng.uniform(*OTHER_STRETCH), 3)
        f0 = rng.randint(*voice["f0"]) if voice["f0"] else None
        utterances.append({"part": "digits-other", "split": "TEST", "path": path,
                           "engine": voice["engine"], "voice": voice["voice"],
                           "speaker": voice["speaker"], "text": text, "stretch": stretch, "f0": f0})
    return utterances


def accented_count(train):
    return max(len(ACCENTED_VOICES), round(train * ACCENTED_SHARE))


def accented_voices():
    """ACCENTED_VOICES as dicts, in the table's order."""
    return [{"engine": "festival", "voice": voice, "speaker": f"{sex}{code}", "region": region,
             "spelling": spelling}
            for voice, sex, code, spelling, region in ACCENTED_VOICES]


def plan_accented(count, seed):
    """digits-accented/TRAIN: the digits grammar, each utterance a voice of ACCENTED_VOICES in turn
    (shuffled once), respelled for it, with its own rate."""
    utterances = []
    for rng, voice, path in rotate_voices("digits-accented", "TRAIN", accented_voices(), count, seed):
        text = make_digits(rng)
        utterances.append({"part": "digits-accented", "split": "TRAIN", "path": path,
                           "voice": voice["voice"], "speaker": voice["speaker"], "text": text,
                           "spoken": " ".join(RESPELLINGS[voice["spelling"]][word] for word in text.split()),
                           "stretch": round(rng.uniform(*OTHER_STRETCH), 3)})
    return utterances


# ---- rendering -----------------------------------------------------------------------------


def sphere_sample_count(path):
    with open(path, "rb") as f:
        header = f.read(1024).decode("ascii", "replace")
    if not header.startswith("NIST_1A"):
        raise RuntimeError(f"{path}: not a NIST SPHERE file")
    for line in header.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] == "sample_count":
            return int(fields[2])
    raise RuntimeError(f"{path}: no sample_count in the SPHERE header")


def sphere_levels(path):
    """(RMS in dBFS, peak in dBFS) of a 16-bit SPHERE file as sox writes it (1024-byte header)."""
    with open(path, "rb") as f:
        header = f.read(1024).decode("ascii", "replace")
        data = f.read()
    order = "01"
    for line in header.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] == "sample_byte_format":
            order = fields[2]
    samples = array.array("h")
    samples.frombytes(data[:len(data) // 2 * 2])
    if (order == "10") != (sys.byteorder == "big"):
        samples.byteswap()
    if not samples:
        return float("-inf"), float("-inf")
    mean_square = sum(x * x for x in samples) / len(samples) / 32768.0 ** 2
    peak = max(abs(x) for x in samples) / 32768.0
    to_db = lambda value, scale: scale * math.log10(value) if value > 0 else float("-inf")
    return to_db(mean_square, 10), to_db(peak, 20)


def check_audio(utterance, wav):
    """The sample count and levels of a rendered clip; a clip too short or too quiet to be speech
    (a synthesizer that failed without an error) stops the run, naming the clip."""
    samples = sphere_sample_count(wav)
    if samples <= 0:
        raise RuntimeError(f"{utterance['path']}: empty audio")
    if samples < MIN_CLIP_SECONDS * SAMPLE_RATE:
        raise RuntimeError(f"{utterance['path']}: {samples / SAMPLE_RATE:.3f} s, shorter than "
                           f"{MIN_CLIP_SECONDS} s for \"{utterance['text']}\"")
    rms, peak = sphere_levels(wav)
    if rms < MIN_RMS_DBFS:
        raise RuntimeError(f"{utterance['path']}: RMS {rms:.1f} dBFS, below {MIN_RMS_DBFS} dBFS "
                           "(silence?)")
    return samples, rms, peak


def render_tasks(utterances):
    """The rendering work as (function, utterance indices) pairs, one utterance each but for
    digits-accented, whose utterances go to one Festival process per voice (starting Festival
    and loading a voice costs about 0.5 s, more than speaking a few digits)."""
    tasks, by_voice = [], {}
    for index, utterance in enumerate(utterances):
        if utterance["part"] == "digits-accented":
            by_voice.setdefault(utterance["voice"], []).append(index)
        else:
            tasks.append((render_single, [index]))
    # The voices first: each is a long task, and the single clips fill the cores around them.
    return [(render_voice_batch, indices) for indices in by_voice.values()] + tasks


def festival_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_voice_batch(root, batch):
    """Renders utterances of one Festival voice in one Festival process; returns their
    (samples, RMS dBFS, peak dBFS) in order."""
    voice = batch[0]["voice"]
    hts = voice.endswith("_hts")
    lines = [f"(voice_{voice})"]
    if hts:
        lines.append("(set! asrc_hts_engine_params hts_engine_params)")
    raws = []
    for utterance in batch:
        raw = os.path.join(root, utterance["path"]) + ".synth.wav"
        raws.append(raw)
        if hts:
            # HTS voices take their rate from the engine's -r (above 1: faster), not Duration_Stretch.
            lines.append(f'(set! hts_engine_params (append asrc_hts_engine_params (list (list "-r" {1 / utterance["stretch"]:.4f}))))')
        else:
            lines.append(f"(Parameter.set 'Duration_Stretch {utterance['stretch']})")
        lines.append(f"(utt.save.wave (utt.synth (Utterance Text {festival_string(utterance['spoken'])})) "
                     f"{festival_string(raw)} 'riff)")
    script = os.path.join(root, batch[0]["path"]) + ".voice.scm"
    with open(script, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    synth = subprocess.run(["festival", "-b", script], capture_output=True)
    os.remove(script)
    missing = [utterance["path"] for utterance, raw in zip(batch, raws) if not os.path.isfile(raw)]
    if synth.returncode != 0 or missing:
        raise RuntimeError(f"{missing[0] if missing else batch[0]['path']}: festival ({voice}) exit "
                           f"{synth.returncode}, {len(missing)} of its {len(batch)} clips missing "
                           f"({synth.stderr.decode(errors='replace').strip()[-500:]})")
    return [finish_synthesized(root, utterance, raw, guard=True) for utterance, raw in zip(batch, raws)]


def render_single(root, batch):
    return [render(root, batch[0])]


def render(root, utterance):
    """Renders one utterance; returns (samples, RMS dBFS, peak dBFS)."""
    if utterance["part"] == "digits-other":
        return render_other(root, utterance)
    base = os.path.join(root, utterance["path"])
    wav = base + ".WAV"
    espeak = subprocess.Popen(
        ["espeak-ng", "-v", utterance["voice"], "-s", str(utterance["rate"]),
         "-p", str(utterance["pitch"]), "-g", str(utterance["gap"]), "--stdout", utterance["text"]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # -R: repeatable, -D: no dither (no random noise), then 22.05 kHz -> 16 kHz SPHERE
    sox = subprocess.run(
        ["sox", "-R", "-D", "-t", "wav", "-", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
         "-t", "sph", wav],
        stdin=espeak.stdout, capture_output=True)
    espeak.stdout.close()
    espeak_err = espeak.stderr.read()
    espeak.wait()
    if espeak.returncode != 0 or sox.returncode != 0:
        raise RuntimeError(f"{utterance['path']}: espeak-ng exit {espeak.returncode} "
                           f"({espeak_err.decode(errors='replace').strip()}), sox exit "
                           f"{sox.returncode} ({sox.stderr.decode(errors='replace').strip()})")
    levels = check_audio(utterance, wav)
    with open(base + ".TXT", "w", encoding="ascii") as f:
        f.write(f"0 {levels[0]} {utterance['text']}\n")
    return levels


def synthesizer_command(utterance, wav):
    """The Festival or Flite command that speaks the utterance into `wav` (the text on stdin
    for Festival's text2wave)."""
    voice, stretch, f0 = utterance["voice"], utterance["stretch"], utterance["f0"]
    if utterance["engine"] == "flite":
        return ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}",
                "-t", utterance["text"], "-o", wav]
    settings = [f"(voice_{voice})"]
    if voice.endswith("_hts"):
        # HTS voices take their rate from the engine's -r (above 1: faster), not Duration_Stretch.
        settings.append(f'(set! hts_engine_params (append hts_engine_params (list (list "-r" {1 / stretch:.4f}))))')
    else:
        settings.append(f"(Parameter.set 'Duration_Stretch {stretch})")
    if f0 is not None:
        settings.append(f"(set! int_lr_params (cons (list 'target_f0_mean {f0}) int_lr_params))")
    return ["text2wave"] + [arg for setting in settings for arg in ("-eval", setting)] + ["-o", wav]


def render_other(root, utterance):
    raw = os.path.join(root, utterance["path"]) + ".synth.wav"
    command = synthesizer_command(utterance, raw)
    synth = subprocess.run(command, input=utterance["text"].encode() if utterance["engine"] == "festival" else None,
                           capture_output=True)
    if synth.returncode != 0 or not os.path.isfile(raw):
        raise RuntimeError(f"{utterance['path']}: {command[0]} exit {synth.returncode} "
                           f"({synth.stderr.decode(errors='replace').strip()})")
    return finish_synthesized(root, utterance, raw, guard=False)


def finish_synthesized(root, utterance, raw, guard):
    """Converts a synthesizer's WAV file to the corpus's 16 kHz SPHERE clip and writes the
    transcript. `guard` lowers the level where resampling would clip (sox -G): the Czech voices
    speak near full scale at 32 and 44.1 kHz."""
    base = os.path.join(root, utterance["path"])
    wav = base + ".WAV"
    # The HTS voices speak at 32 kHz; -R -D as for espeak-ng: repeatable, no dither.
    sox = subprocess.run(["sox", "-R", "-D"] + (["-G"] if guard else []) + [raw, "-r", str(SAMPLE_RATE),
                          "-c", "1", "-b", "16", "-t", "sph", wav], capture_output=True)
    os.remove(raw)
    if sox.returncode != 0:
        raise RuntimeError(f"{utterance['path']}: sox exit {sox.returncode} "
                           f"({sox.stderr.decode(errors='replace').strip()})")
    levels = check_audio(utterance, wav)
    with open(base + ".TXT", "w", encoding="ascii") as f:
        f.write(f"0 {levels[0]} {utterance['text']}\n")
    return levels


# ---- main ----------------------------------------------------------------------------------


def part_splits(part):
    if part in TEST_ONLY_PARTS:
        return ["TEST"]
    return ["TRAIN"] if part in TRAIN_ONLY_PARTS else SPLITS


def summary_lines(info, elapsed, skipped):
    lines = []
    for part in info["parameters"]["parts"]:
        for split in part_splits(part):
            c = info["counts"][part][split]
            levels = (f", RMS {c['min_rms_dbfs']:.1f} to {c['max_rms_dbfs']:.1f} dBFS"
                      if "min_rms_dbfs" in c else "")
            lines.append(f"  {part:12s} {split:5s} {c['utterances']:6d} utterances "
                         f"{c['seconds'] / 60:7.1f} min  ({c['seconds'] / max(c['utterances'], 1):.2f} s avg, "
                         f"{c['min_seconds']:.2f}-{c['max_seconds']:.2f} s{levels})")
    lines.append(f"  total audio {info['total_seconds'] / 60:.1f} min")
    def split_voices(split):
        accents, variants = [], []
        for v in info["voices"][split]:
            accent, variant = v["espeak"].split("+")
            accents += [accent] if accent not in accents else []
            variants += [variant] if variant not in variants else []
        return accents, variants

    train_accents, train_variants = split_voices("TRAIN")
    test_accents, test_variants = split_voices("TEST")
    lines.append(f"  train voices ({len(info['voices']['TRAIN'])}): accents {' '.join(train_accents)}"
                 f" x variants {' '.join(train_variants)}")
    lines.append(f"  test voices ({len(info['voices']['TEST'])}, none in train): held-out accents "
                 + " ".join(a for a in test_accents if a not in train_accents)
                 + " x all variants, and train accents x held-out variants "
                 + " ".join(v for v in test_variants if v not in train_variants))
    if info.get("missing_voices"):
        lines.append("  not offered by this espeak-ng (left out): " + " ".join(info["missing_voices"]))
    if "OTHER" in info["voices"]:
        lines.append("  digits-other voices (never in train): "
                     + " ".join(f"{v['engine']}:{v['voice']}" for v in info["voices"]["OTHER"]))
    if "ACCENTED" in info["voices"]:
        lines.append("  digits-accented voices (train only, English digits respelled): "
                     + " ".join(f"{v['engine']}:{v['voice']}" for v in info["voices"]["ACCENTED"]))
    lines.append(f"  {'checked' if skipped else 'made'} in {elapsed:.1f} s")
    return lines


def check_tools(parts):
    """Exits with a message when a program or voice the parts need is missing."""
    tools = ["espeak-ng", "sox"] + (["text2wave", "festival", "flite"] if "digits-other" in parts else [])
    tools += ["festival"] if "digits-accented" in parts and "festival" not in tools else []
    for tool in tools:
        if shutil.which(tool) is None:
            sys.exit(f"make-demo-corpus: {tool} not found (run tools/make-demo-corpus, which installs it)")
    if "digits-other" in parts:
        missing_other = missing_other_voices()
        if missing_other:
            sys.exit("make-demo-corpus: digits-other needs these voices, not installed: "
                     + " ".join(missing_other) + " (run tools/make-demo-corpus, which installs them)")
    if "digits-accented" in parts:
        have = festival_voices()
        missing_accented = [voice for voice, *_ in ACCENTED_VOICES if voice not in have]
        if missing_accented:
            sys.exit("make-demo-corpus: digits-accented needs these Festival voices, not installed: "
                     + " ".join(missing_accented) + " (run tools/make-demo-corpus, which installs them)")


def other_parameters():
    """The versions and voices digits-other is made with, for corpus.json."""
    return {
        "festival": festival_version(),
        # flite --version prints its version and exits with status 1
        "flite": subprocess.run(["flite", "--version"], capture_output=True,
                                text=True).stdout.strip().splitlines()[0].strip(),
        "other_voices": [f"{v['engine']}:{v['voice']}" for v in other_voices()],
    }


# The parameters that only some parts depend on.
PART_PARAMETERS = {"digits-other": {"festival", "flite", "other_voices"},
                   "digits-accented": {"festival", "accented_voices", "accented_share",
                                       "accented_respellings", "accented_stretch"}}


def accented_parameters():
    """The versions and voices digits-accented is made with, for corpus.json."""
    return {
        "festival": festival_version(),
        "accented_voices": [f"festival:{v['voice']}" for v in accented_voices()],
        "accented_share": ACCENTED_SHARE,
        "accented_respellings": RESPELLINGS,
        "accented_stretch": list(OTHER_STRETCH),
    }


def part_parameters(parts):
    parameters = {}
    if "digits-other" in parts:
        parameters.update(other_parameters())
    if "digits-accented" in parts:
        parameters.update(accented_parameters())
    return parameters


def holds(existing, wanted):
    """Whether a corpus made with the parameters `existing` has everything `wanted` asks for:
    the same parameters, and the wanted parts among its own (each part is planned from its own
    seeded stream, so a part is the same whatever else was made with it)."""
    if not isinstance(existing, dict) or not set(wanted["parts"]) <= set(existing.get("parts", [])):
        return False
    relevant = set().union(*(PART_PARAMETERS.get(part, set()) for part in wanted["parts"]))
    ignored = {"parts"} | (set().union(*PART_PARAMETERS.values()) - relevant)
    same = lambda parameters: {k: v for k, v in parameters.items() if k not in ignored}
    return same(existing) == same(wanted)


def main():
    parser = argparse.ArgumentParser(
        prog="make-demo-corpus",
        description="Write a deterministic synthetic speech corpus (espeak-ng; Festival and Flite "
                    "for digits-other, Festival for digits-accented) in TIMIT layout.",
        allow_abbrev=False)
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--out", default=os.path.relpath(os.path.join(repo_root, "demo-corpus")),
                        help="output folder (default: demo-corpus in the repository root)")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="comma-separated parts: digits, sentences, digits-other, digits-accented "
                             "(default all)")
    parser.add_argument("--train", type=int, default=1000,
                        help="TRAIN utterances per part (1000); digits-accented has a quarter as many, "
                             "and at least one a voice")
    parser.add_argument("--test", type=int, default=200,
                        help="TEST utterances per part, digits-other's included (200)")
    parser.add_argument("--seed", type=int, default=0, help="seed for every choice (0)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="parallel synthesizer | sox jobs: a clip each, or one Festival voice's clips "
                             "for digits-accented (number of cores)")
    args = parser.parse_args()

    start = time.monotonic()
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    for part in parts:
        if part not in PARTS:
            parser.error(f"unknown part {part!r} (known: {', '.join(PARTS)})")
    parts = [p for p in PARTS if p in parts]  # canonical order, no duplicates
    if not parts or args.train < 1 or args.test < 1 or args.jobs < 1:
        parser.error("need at least one part and positive --train, --test and --jobs")
    check_tools(parts)

    accents, variants, missing = available_voices()
    train_voices, test_voices = voice_sets(accents, variants)
    if not train_voices or not test_voices:
        sys.exit("make-demo-corpus: this espeak-ng offers too few English voices")
    parameters = {
        "generator_version": GENERATOR_VERSION,
        "parts": parts,
        "train": args.train,
        "test": args.test,
        "seed": args.seed,
        "espeak_ng": run_text(["espeak-ng", "--version"]).split("Data at")[0].strip(),
        "sox": run_text(["sox", "--version"]).strip(),
        "train_voices": [v["espeak"] for v in train_voices],
        "test_voices": [v["espeak"] for v in test_voices],
    }
    parameters.update(part_parameters(parts))

    out = os.path.abspath(args.out)
    manifest = os.path.join(out, "corpus.json")
    if os.path.isdir(out):
        if os.path.isfile(manifest):
            try:
                with open(manifest, encoding="utf-8") as f:
                    existing = json.load(f)
            except (OSError, ValueError):
                existing = {}
            if not isinstance(existing, dict):
                existing = {}
            if holds(existing.get("parameters"), parameters):
                print(f"make-demo-corpus: {args.out} already holds this corpus "
                      f"(seed {args.seed}, {args.train} train / {args.test} test per part"
                      f"{'' if existing['parameters']['parts'] == parts else ', and more parts'}); not regenerating")
                for line in summary_lines(existing, time.monotonic() - start, skipped=True):
                    print(line)
                return
            extra = [p for p in (existing.get("parameters") or {}).get("parts", []) if p in PARTS and p not in parts]
            if holds(existing.get("parameters"), {**parameters, "parts": []}):
                # Only parts are missing: make them with the ones it had, so nothing is lost.
                parts = [p for p in PARTS if p in parts or p in extra]
                check_tools(parts)
                parameters["parts"] = parts
                parameters.update(part_parameters(parts))
                print(f"make-demo-corpus: {args.out} lacks a part asked for; making it again"
                      + (f" with its other parts ({', '.join(extra)}) too" if extra else ""))
            else:
                print(f"make-demo-corpus: {args.out} holds a corpus made with other parameters; replacing it")
        elif os.listdir(out):
            sys.exit(f"make-demo-corpus: {args.out} exists, is not empty and has no corpus.json; "
                     "refusing to replace it (remove it or choose another --out)")
    elif os.path.exists(out):
        sys.exit(f"make-demo-corpus: {args.out} exists and is not a folder")

    utterances = plan(parts, {"TRAIN": args.train, "TEST": args.test}, args.seed,
                      train_voices, test_voices)
    partial = out + ".partial"  # a leftover of an interrupted run is thrown away
    shutil.rmtree(partial, ignore_errors=True)
    for folder in sorted({os.path.dirname(u["path"]) for u in utterances}):
        os.makedirs(os.path.join(partial, folder), exist_ok=True)

    print(f"make-demo-corpus: {len(utterances)} utterances ({', '.join(parts)}; "
          f"{args.train} train + {args.test} test each, digits-other test only, digits-accented "
          f"{accented_count(args.train)} train only; {len(train_voices)} train voices, "
          f"{len(test_voices)} test voices) with {args.jobs} jobs into {args.out}", flush=True)
    rendered = [(0, 0.0, 0.0)] * len(utterances)  # (samples, RMS dBFS, peak dBFS) per utterance
    every = 250
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(function, partial, [utterances[i] for i in indices]): indices
                       for function, indices in render_tasks(utterances)}
            try:
                done = 0
                for future in concurrent.futures.as_completed(futures):
                    indices = futures[future]
                    for index, levels in zip(indices, future.result()):
                        rendered[index] = levels
                    reported, done = done, done + len(indices)
                    if done // every > reported // every or done == len(utterances):
                        print(f"  {done}/{len(utterances)} utterances, "
                              f"{time.monotonic() - start:.1f} s", flush=True)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)  # never leave half a corpus behind
        raise

    samples = [r[0] for r in rendered]
    counts = {}
    for part in parts:
        counts[part] = {}
        for split in part_splits(part):
            chosen = [(r, u) for r, u in zip(rendered, utterances) if u["part"] == part and u["split"] == split]
            seconds = [r[0] / SAMPLE_RATE for r, _ in chosen]
            counts[part][split] = {
                "utterances": len(seconds),
                "seconds": round(sum(seconds), 3),
                "min_seconds": round(min(seconds), 3),
                "max_seconds": round(max(seconds), 3),
                "min_rms_dbfs": round(min(r[1] for r, _ in chosen), 2),
                "max_rms_dbfs": round(max(r[1] for r, _ in chosen), 2),
                "max_peak_dbfs": round(max(r[2] for r, _ in chosen), 2),
                "speakers": len({u["speaker"] for _, u in chosen}),
            }
    info = {
        "parameters": parameters,
        "layout": "<part>/<TRAIN|TEST>/DR<n>/<SPEAKER>/<NAME>.WAV (16 kHz mono 16-bit NIST SPHERE) "
                  "and <NAME>.TXT ('0 <samples> <transcript>')",
        "regions": {f"DR{i}": a for i, (a, _) in enumerate(ACCENTS, start=1)},
        **({"digits_other_regions": OTHER_REGIONS} if "digits-other" in parts else {}),
        **({"digits_accented_regions": ACCENTED_REGIONS} if "digits-accented" in parts else {}),
        "counts": counts,
        "total_seconds": round(sum(samples) / SAMPLE_RATE, 3),
        "voices": {"TRAIN": train_voices, "TEST": test_voices,
                   **({"OTHER": other_voices()} if "digits-other" in parts else {}),
                   **({"ACCENTED": accented_voices()} if "digits-accented" in parts else {})},
        "missing_voices": missing,
    }
    with open(os.path.join(partial, "corpus.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2, sort_keys=True)
        f.write("\n")

    # swap the finished corpus into place; an old corpus is removed only after that
    old = None
    if os.path.exists(out):
        old = out + ".old"
        shutil.rmtree(old, ignore_errors=True)
        os.rename(out, old)
    os.rename(partial, out)
    if old:
        shutil.rmtree(old, ignore_errors=True)

    print(f"make-demo-corpus: wrote {args.out}")
    for line in summary_lines(info, time.monotonic() - start, skipped=False):
        print(line)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("make-demo-corpus: interrupted; no corpus written")
