import Foundation
import ArgumentParser

@main
struct Asrc: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "asrc",
    abstract: "A Wav2Vec2 speech-recognition model compiler.",
    discussion: "IR files use the text format described in docs/ir.md.",
    version: Version.asrcVersion,
    subcommands: [Model.self, Import.self, InitModel.self, Vocab.self, DataSummary.self, Train.self, Evaluate.self, Verify.self, Print.self, Dot.self, Logits.self, Transcribe.self, Grad.self, Bench.self, Compile.self, Ops.self, Version.self])

  static func main() {
    ThreadingEnvironment.configure()
    main(nil)
  }
}
