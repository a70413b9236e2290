import Foundation

/// OpenBLAS's idle worker threads spin for about 2^28 cycles after each GEMM, taking the second
/// core from asrc's own parallel kernels (softmax and GELU ran twice as slowly). The spin length
/// is read from OPENBLAS_THREAD_TIMEOUT when the library loads, before `main`, so asrc sets it
/// and re-executes itself once. Users who set the variable themselves keep their value.
enum OpenBLASSpin {
  static func shorten() {
    guard ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] == nil else { return }
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
    var arguments = CommandLine.arguments.map { strdup($0) }
    arguments.append(nil)
    execv("/proc/self/exe", &arguments)
    // execv returns only on failure: run on with the default spin.
  }
}
