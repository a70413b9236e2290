import Foundation

/// The instruction-set extensions of the CPU that matter to asrc's GEMMs, from the `flags` line
/// of `/proc/cpuinfo` (Linux lists what the kernel and the hypervisor let the process use, which
/// is what counts in a virtual machine whose CPU model name hides it).
public struct CPUFeatures: Sendable, Equatable {
  public var flags: Set<String>

  public init(flags: Set<String>) {
    self.flags = flags
  }

  /// The first `flags` line of a `/proc/cpuinfo` text; no flags when it has none.
  public init(cpuinfo: String) {
    let line = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") } ?? ""
    let listed = line.firstIndex(of: ":").map { line[line.index(after: $0)...] } ?? ""
    self.init(flags: Set(listed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)))
  }

  /// This machine's, read once; no flags where `/proc/cpuinfo` cannot be read.
  public static let current = CPUFeatures(cpuinfo: (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")

  /// AVX-512 F, BW, DQ and VL: what OpenBLAS's SkylakeX kernels and oneDNN's `avx512_core` need.
  public var hasAVX512: Bool {
    ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
  }

  /// bf16 dot products with f32 sums in hardware: AVX512_BF16 (`vdpbf16ps`) or AMX-BF16
  /// (`tdpbf16ps`), the instructions oneDNN's bf16 kernels are fast with.
  public var hasBF16DotProducts: Bool {
    flags.contains("avx512_bf16") || flags.contains("amx_bf16")
  }
}
