import Foundation

/// OpenBLAS reads two settings from the environment when it loads, before `main`, so asrc sets
/// them and re-executes itself once (users who set a variable themselves keep their value):
///
/// - `OPENBLAS_THREAD_TIMEOUT=4`: its idle worker threads otherwise spin for about 2^28 cycles
///   after each GEMM, taking the second core from asrc's own parallel kernels (softmax and GELU
///   ran twice as slowly).
/// - `OPENBLAS_CORETYPE=SkylakeX` on a CPU whose flags list AVX-512 (F, BW, DQ, VL): a virtual
///   machine that names its CPU only "Intel Xeon Processor" makes Debian's OpenBLAS pick its
///   SSE3 "Prescott" kernels, which ran the base model's GEMMs at 15–40 GFLOP/s where the
///   AVX-512 ones reach 150–270 (tools/bench-gemm.c).
enum OpenBLASEnvironment {
  static func configure() {
    let environment = ProcessInfo.processInfo.environment
    var changed = false
    if environment["OPENBLAS_THREAD_TIMEOUT"] == nil {
      setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
      changed = true
    }
    if environment["OPENBLAS_CORETYPE"] == nil && hasAVX512() {
      setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
      changed = true
    }
    guard changed else { return }
    var arguments = CommandLine.arguments.map { strdup($0) }
    arguments.append(nil)
    execv("/proc/self/exe", &arguments)
    // execv returns only on failure: run on with OpenBLAS's defaults.
  }

  /// Whether /proc/cpuinfo's flags include the AVX-512 subsets OpenBLAS's SkylakeX kernels use.
  static func hasAVX512() -> Bool {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return false }
    let flags = Set(line.split(separator: " ").map(String.init))
    return ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
  }
}
