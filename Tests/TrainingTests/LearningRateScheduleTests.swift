import Foundation
import Testing
import Training

/// Every schedule against transformers' get_scheduler (tools/make_schedule_reference.py): the
/// learning rate of each optimizer step, with warm-up given in steps or as a ratio.
@Suite struct LearningRateScheduleTests {
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/schedules/expected.json")

  @Test func everyScheduleMatchesTransformers() throws {
    let facts = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixture)) as! [String: Any]
    let baseRate = facts["learning_rate"] as! Double
    let cases = facts["cases"] as! [[String: Any]]
    #expect(Set(cases.map { $0["kind"] as! String }) == Set(LearningRateSchedule.Kind.allCases.map(\.rawValue)))
    for facts in cases {
      let kind = try #require(LearningRateSchedule.Kind(rawValue: facts["kind"] as! String))
      let total = facts["total_steps"] as! Int
      var arguments = TrainingArguments(outputDir: "unused")
      arguments.warmupSteps = (facts["warmup"] as! NSNumber).doubleValue
      let warmup = arguments.resolvedWarmupSteps(totalSteps: total)
      #expect(warmup == facts["warmup_steps"] as! Int, "\(kind) warm-up \(arguments.warmupSteps) of \(total)")
      let schedule = LearningRateSchedule(kind: kind, baseRate: baseRate, warmupSteps: warmup, totalSteps: total)
      let expected = facts["rates"] as! [Double]
      for (step, rate) in expected.enumerated() {
        // Measured: identical but for the last bit of the cosines (|Δ| ≤ 2e-19).
        #expect(abs(schedule.rate(at: step) - rate) <= 1e-15 * baseRate, "\(kind) warm-up \(warmup) of \(total), step \(step): \(schedule.rate(at: step)) vs \(rate)")
      }
    }
  }

  /// transformers 4.x's warmup_ratio gives the same warm-up as a ratio in warmup_steps.
  @Test func warmupRatioIsTheOlderSpelling() {
    var arguments = TrainingArguments(outputDir: "unused")
    arguments.warmupRatio = 0.1
    #expect(arguments.resolvedWarmupSteps(totalSteps: 101) == 11)
    arguments.warmupRatio = nil
    arguments.warmupSteps = 0.1
    #expect(arguments.resolvedWarmupSteps(totalSteps: 101) == 11)
    arguments.warmupSteps = 7
    #expect(arguments.resolvedWarmupSteps(totalSteps: 101) == 7)
  }
}
