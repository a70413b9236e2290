/// transformers' schedules, as multipliers of the base learning rate for the update at `step`
/// (0-based): `linear` warms up from 0 over `warmupSteps`, then decays linearly to 0 at
/// `totalSteps`; `constant` keeps the base rate after warm-up. With warm-up the first update
/// runs at learning rate 0, as in transformers.
public struct LearningRateSchedule: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    case linear, constant
  }

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

  public func rate(at step: Int) -> Double {
    if step < warmupSteps { return baseRate * Double(step) / Double(Swift.max(1, warmupSteps)) }
    switch kind {
    case .constant: return baseRate
    case .linear:
      return baseRate * Swift.max(0, Double(totalSteps - step) / Double(Swift.max(1, totalSteps - warmupSteps)))
    }
  }
}
