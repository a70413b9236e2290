import ArgumentParser

@main
struct Asrc: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "asrc",
    abstract: "A Wav2Vec2 speech-recognition model compiler.",
    discussion: "IR files use the text format described in docs/ir.md.",
    subcommands: [Verify.self, Print.self, Dot.self, Ops.self, Version.self])
}
