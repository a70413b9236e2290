import Passes
import SystemInfo
import Testing

@testable import asrc

/// The note's text for the CPUs of `CPUFeaturesTests`.
@Suite struct LowPrecisionNoteTests {
  @Test func saysWhenTheLowPrecisionCannotBeFaster() {
    let intel = CPUFeatures(cpuinfo: CPUFeaturesTests.sapphireRapids)
    let amd = CPUFeatures(cpuinfo: CPUFeaturesTests.zen3)
    let skylake = CPUFeatures(cpuinfo: CPUFeaturesTests.skylake)
    #expect(LowPrecisionNote.text(for: .bf16, on: intel) == nil)
    #expect(LowPrecisionNote.text(for: .bf16, on: amd)?.contains("widened to f32") == true)
    #expect(LowPrecisionNote.text(for: .bf16, on: skylake)?.contains("emulated on AVX-512") == true)
    for cpu in [intel, amd, skylake] {
      #expect(LowPrecisionNote.text(for: .fp16, on: cpu)?.contains("fp16 products run widened to f32") == true)
    }
    #expect(LowPrecisionNote.text(for: .bf16, on: CPUFeatures(flags: [])) == nil, "no flags: nothing known to say")
  }
}
