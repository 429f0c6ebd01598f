// Runs ClientLifecycleScenarios in an AddressSanitizer build (scripts/asan-transport.sh).
// Any use after free aborts the process with a report; a wrong outcome exits 1.
import Foundation

var failed = false
for (name, run) in ClientLifecycleScenarios.all {
    do {
        try await run()
        print("ok   \(name)")
    } catch {
        print("FAIL \(name): \(error)")
        failed = true
    }
}
exit(failed ? 1 : 0)
