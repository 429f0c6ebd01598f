/// A failure the CLI reports on stderr with a non-zero exit code, in plain words.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
