import Passes
import SystemInfo

/// What a low precision costs on this CPU, said once before the C backend's work starts. Users
/// ask for bf16 or fp16 to go faster than fp32, and on some CPUs neither can:
///
/// - bf16 without AVX512_BF16 or AMX-BF16: oneDNN emulates the bf16 dot products on AVX-512,
///   and without AVX-512 it has no bf16 matmul and `asrc_gemm_half` widens the operands to the
///   f32 GEMM; the casts come on top of f32's work either way. Measured on an AMD Zen 3 (AVX2
///   only): `asrc bench inference --config base --precision bf16` 0.163–0.201 s per
///   audio-second against 0.127–0.130 in fp32. The AVX-512-without-BF16 case is oneDNN's
///   emulation, not measured here.
/// - fp16 everywhere: Debian's oneDNN has no f16 GEMM, so the f16 products are widened to the
///   f32 GEMM on every CPU (on an Intel CPU with AMX, base inference 0.142 s per audio-second in
///   fp16 against 0.086 in fp32).
///
/// The numerics are the same as on any other CPU (the interpreter's widened GEMM is the
/// reference), so this is a note, not a warning. A CPU whose flags cannot be read (no
/// `/proc/cpuinfo`, or not x86) gets no bf16 note: nothing is known to say.
enum LowPrecisionNote {
  static func text(for precision: LowPrecision, on cpu: CPUFeatures) -> String? {
    switch precision {
    case .bf16:
      guard !cpu.flags.isEmpty, !cpu.hasBF16DotProducts else { return nil }
      let how = cpu.hasAVX512 ? "emulated on AVX-512" : "widened to f32 (no AVX-512 either)"
      return "note: this CPU has no bf16 dot-product instructions (AVX512_BF16 or AMX-BF16 in /proc/cpuinfo): the bf16 products run \(how), with bf16's numerics but likely slower than fp32"
    case .fp16:
      return "note: the fp16 products run widened to f32 on every CPU (Debian's oneDNN has no f16 GEMM): fp16's numerics, but slower than fp32; bf16 is the fast low precision on CPUs with AMX-BF16"
    }
  }

  /// Writes the note for `precision` on this machine's CPU to standard error, if it has one.
  static func emit(for precision: LowPrecision?) {
    guard let precision, let text = text(for: precision, on: .current) else { return }
    note(text)
  }
}
