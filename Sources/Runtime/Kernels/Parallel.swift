import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// Splits `count` independent iterations over the machine's cores in contiguous chunks of at
/// least `grain` iterations. Iterations must write disjoint memory: that is what makes the
/// unchecked sendability below sound.
func parallelFor(_ count: Int, grain: Int, _ body: (Int) -> Void) {
  let workers = Swift.min(availableCores, Swift.max(1, count / Swift.max(grain, 1)))
  if workers <= 1 {
    for index in 0..<count { body(index) }
    return
  }
  withoutActuallyEscaping(body) { escapable in
    let task = UncheckedSendable(value: escapable)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      let start = count * worker / workers
      let end = count * (worker + 1) / workers
      for index in start..<end { task.value(index) }
    }
  }
}

private struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
}

/// Cores available to this process, read once.
let availableCores: Int = Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
