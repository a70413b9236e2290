import Foundation
import SystemInfo

/// OpenBLAS and libgomp read their threading settings from the environment when they load,
/// before `main`, so asrc sets them and re-executes itself once (users who set a variable
/// themselves keep their value):
///
/// - `OPENBLAS_THREAD_TIMEOUT=4`: its idle worker threads otherwise spin for about 2^28 cycles
///   after each GEMM, taking the second core from asrc's own parallel kernels (softmax and GELU
///   ran twice as slowly).
/// - `OPENBLAS_CORETYPE=SkylakeX` on a CPU whose flags list AVX-512 (F, BW, DQ, VL): a virtual
///   machine that names its CPU only "Intel Xeon Processor" makes Debian's OpenBLAS pick its
///   SSE3 "Prescott" kernels, which ran the base model's GEMMs at 15–40 GFLOP/s where the
///   AVX-512 ones reach 150–270 (tools/bench-gemm.c).
///
/// libgomp (the OpenMP runtime of the generated C and of oneDNN) reads its settings the same
/// way, so the re-execution sets one of its too:
/// - `GOMP_SPINCOUNT=10000` unless `GOMP_SPINCOUNT` or `OMP_WAIT_POLICY` is set: an idle
///   OpenMP thread otherwise spins for 300,000 rounds before it sleeps, and between the
///   library's calls (decoding, the loader's audio work) it took the core from asrc's own
///   threads. `asrc eval` of the demo model on its 200 test files took 10.6 s with the default,
///   6.4 s at 30,000, 5.5 s at 3,000 and 5.8 s with `OMP_WAIT_POLICY=passive`; the small
///   model's training step stayed at 0.29–0.30 s (passive made it 0.36 s).
enum ThreadingEnvironment {
  static func configure() {
    let environment = ProcessInfo.processInfo.environment
    var changed = false
    if environment["OPENBLAS_THREAD_TIMEOUT"] == nil {
      setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
      changed = true
    }
    if environment["OPENBLAS_CORETYPE"] == nil && CPUFeatures.current.hasAVX512 {
      setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
      changed = true
    }
    if environment["GOMP_SPINCOUNT"] == nil && environment["OMP_WAIT_POLICY"] == nil {
      setenv("GOMP_SPINCOUNT", "10000", 1)
      changed = true
    }
    guard changed else { return }
    var arguments = CommandLine.arguments.map { strdup($0) }
    arguments.append(nil)
    execv("/proc/self/exe", &arguments)
    // execv returns only on failure: run on with OpenBLAS's defaults.
  }
}
