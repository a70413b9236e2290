import Foundation

/// transformers' schedules (`get_scheduler`), as the learning rate of the update at `step`
/// (0-based). Every kind but `constant` warms up linearly from 0 over `warmupSteps`, so the first
/// update of a run with warm-up runs at learning rate 0, as in transformers.
///
/// - `linear`: then down to 0 at `totalSteps`;
/// - `cosine`: half a cosine wave down to 0 (num_cycles 0.5);
/// - `cosine_with_restarts`: cosine down to 0 with hard restarts (num_cycles 1: one wave);
/// - `polynomial`: down to 1e-7 (lr_end) with power 1;
/// - `constant`: the base rate from the first step, with no warm-up (transformers ignores it);
/// - `constant_with_warmup`: the base rate after the warm-up.
public struct LearningRateSchedule: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    case linear, cosine
    case cosineWithRestarts = "cosine_with_restarts"
    case polynomial, constant
    case constantWithWarmup = "constant_with_warmup"
  }

  /// transformers' polynomial schedule ends at this learning rate (its lr_end default).
  public static let polynomialEnd = 1e-7

  public var kind: Kind
  public var baseRate: Double
  public var warmupSteps: Int
  public var totalSteps: Int

  public init(kind: Kind, baseRate: Double, warmupSteps: Int, totalSteps: Int) {
    self.kind = kind
    self.baseRate = baseRate
    self.warmupSteps = warmupSteps
    self.totalSteps = totalSteps
  }

  public func rate(at step: Int) -> Double { baseRate * multiplier(at: step) }

  private func multiplier(at step: Int) -> Double {
    if kind == .constant { return 1 }
    if step < warmupSteps { return Double(step) / Double(Swift.max(1, warmupSteps)) }
    let progress = Double(step - warmupSteps) / Double(Swift.max(1, totalSteps - warmupSteps))
    switch kind {
    case .constant, .constantWithWarmup: return 1
    case .linear: return Swift.max(0, Double(totalSteps - step) / Double(Swift.max(1, totalSteps - warmupSteps)))
    case .cosine: return Swift.max(0, 0.5 * (1 + cos(Double.pi * 0.5 * 2 * progress)))
    case .cosineWithRestarts:
      if progress >= 1 { return 0 }
      return Swift.max(0, 0.5 * (1 + cos(Double.pi * (progress.truncatingRemainder(dividingBy: 1)))))
    case .polynomial:
      let end = Self.polynomialEnd
      if step > totalSteps || totalSteps == warmupSteps { return end / baseRate }
      let remaining = 1 - Double(step - warmupSteps) / Double(totalSteps - warmupSteps)
      return ((baseRate - end) * remaining + end) / baseRate
    }
  }
}
