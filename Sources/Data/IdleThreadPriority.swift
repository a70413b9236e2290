#if canImport(Glibc)
import Glibc
#endif

/// Puts the calling thread in Linux's idle scheduling class (SCHED_IDLE), where it runs only on
/// a core nothing else wants.
///
/// The batch loader decodes, perturbs and collates the next batch while a step computes on
/// every core. At normal priority the kernel preempts one of the step's OpenMP threads for it,
/// in the middle of a parallel loop, and the step's other thread then waits at the loop's
/// barrier: the loader's few milliseconds cost the step about as much again. In the idle class
/// it runs in the step's serial moments and barrier sleeps instead; and if that is not enough,
/// the trainer waits for the batch, every core falls idle and the loader has them. The batch
/// is the same either way, so this changes timing only.
enum IdleThreadPriority {
  /// Best effort: a kernel or sandbox that refuses leaves the thread as it was.
  static func lowerCurrentThread() {
    #if os(Linux)
    var parameters = sched_param()
    parameters.sched_priority = 0
    _ = sched_setscheduler(0, linuxSchedIdle, &parameters)
    #endif
  }

  /// SCHED_IDLE from <linux/sched.h>; Glibc's module does not export the constant.
  private static let linuxSchedIdle: Int32 = 5
}
