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

/// The target named by the first argument; immutable once read.
let selectedTarget: FuzzTarget = {
    let arguments = CommandLine.arguments
    guard arguments.count > 1, let target = FuzzTarget(rawValue: arguments[1]) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: " | ")
        FileHandle.standardError.write(Data("usage: hongbao-fuzz <\(names)> [files or folders | libFuzzer arguments]\n".utf8))
        exit(64)
    }
    return target
}()

#if FUZZING
// libFuzzer's runtime brings its own `main` (linked whole, so ours would clash): it calls
// LLVMFuzzerInitialize with the command line before it reads its flags, and then
// LLVMFuzzerTestOneInput for every input.

/// Drops the target's name from the command line, so libFuzzer does not take it for a
/// corpus folder; an unknown name is refused here, before any fuzzing.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    _ = selectedTarget
    guard let arguments = argv.pointee, argc.pointee > 1 else { return 0 }
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
        for path in CommandLine.arguments.dropFirst(2) {
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
