// hongbao-fuzz — `hongbao-fuzz <target> [arguments…]` for the targets in FuzzTargets.
//
// Built normally it replays: every file named (or every file in a folder named) goes
// through the target once, so a crash found by libFuzzer can be re-run under a debugger.
// Built by `make fuzz` (scripts/fuzz.sh: `--sanitize=fuzzer --sanitize=address`,
// -DFUZZING) it is a libFuzzer binary: the arguments after the target are libFuzzer's
// (corpus folders, -max_total_time=, -artifact_prefix=, …). Our own `main` hands them to
// `LLVMFuzzerRunDriver`, so one binary serves every target.
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
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
enum HongbaoFuzz {
    static func main() {
        _ = selectedTarget // an unknown target is refused before libFuzzer starts
        // libFuzzer sees the program name and everything after the target's name; the
        // strings live as long as the process, as argv does.
        let arguments = [CommandLine.arguments[0]] + CommandLine.arguments.dropFirst(2)
        var pointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var argc = CInt(arguments.count)
        let status = pointers.withUnsafeMutableBufferPointer { buffer -> CInt in
            var argv = buffer.baseAddress
            return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                selectedTarget.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
                return 0
            }
        }
        exit(status)
    }
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
