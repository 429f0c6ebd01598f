// hongbao-fuzz — `hongbao-fuzz <target> [arguments…]` for the targets in FuzzTargets.
//
// Built normally it replays: every file named (or every file in a folder named) goes
// through the target once, so a crash found by libFuzzer can be re-run under a debugger.
// Built by `make fuzz` (scripts/fuzz.sh: `--sanitize=fuzzer --sanitize=address`,
// -DFUZZING) it is a libFuzzer binary: the arguments after the target are libFuzzer's
// (corpus folders, -max_total_time=, -artifact_prefix=, …), so one binary serves every
// target. (Not libFuzzer's -fork or -jobs: the processes they start lose the target's name.)
import Foundation
import FuzzTargets

/// The target named by the first argument, else by HONGBAO_FUZZ_TARGET (libFuzzer's
/// -minimize_crash runs the binary again with its own arguments only); immutable once read.
let selectedTarget: FuzzTarget = {
    let arguments = CommandLine.arguments
    if arguments.count > 1, let target = FuzzTarget(rawValue: arguments[1]) { return target }
    if let name = ProcessInfo.processInfo.environment["HONGBAO_FUZZ_TARGET"], let target = FuzzTarget(rawValue: name) { return target }
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: " | ")
    FileHandle.standardError.write(Data("usage: hongbao-fuzz <\(names)> [files or folders | libFuzzer arguments]\n".utf8))
    exit(64)
}()

/// Whether the first argument names the target (and is not libFuzzer's or a file).
var targetNamedFirst: Bool { CommandLine.arguments.count > 1 && FuzzTarget(rawValue: CommandLine.arguments[1]) != nil }

#if FUZZING
// libFuzzer's runtime brings its own `main` (linked whole, so ours would clash): it calls
// LLVMFuzzerInitialize with the command line before it reads its flags, and then
// LLVMFuzzerTestOneInput for every input.

/// Drops the target's name from the command line, so libFuzzer does not take it for a
/// corpus folder; an unknown name is refused here, before any fuzzing.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    _ = selectedTarget
    guard targetNamedFirst, let arguments = argv.pointee, argc.pointee > 1 else { return 0 }
    for index in 1..<Int(argc.pointee) { arguments[index] = arguments[index + 1] } // argv ends in a null
    argc.pointee -= 1
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget.run(size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
enum HongbaoFuzz {
    static func main() throws {
        let target = selectedTarget
        var files: [URL] = []
        for path in CommandLine.arguments.dropFirst(targetNamedFirst ? 2 : 1) {
            let url = URL(fileURLWithPath: path)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                FileHandle.standardError.write(Data("no such file or folder: \(path)\n".utf8))
                exit(66)
            }
            if isFolder.boolValue {
                files += try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
                    .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
            } else {
                files.append(url)
            }
        }
        for file in files { target.run(Array(try Data(contentsOf: file))) }
        print("\(target.rawValue): \(files.count) inputs replayed, none crashed")
    }
}
#endif
