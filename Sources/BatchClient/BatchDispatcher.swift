/// Sends a checked file's lines with at most `concurrency` in flight, recording each as it
/// completes. Memory is the window, one slice of read-ahead and the results buffer,
/// whatever the file's length. Stops starting lines when `control` says so; lines already
/// in flight finish and are recorded.
struct BatchDispatcher {
    let feed: BatchFeed
    let sender: BatchSender
    let concurrency: Int
    let control: BatchControl
    let tally: BatchTally
    let results: BatchResultsWriter
    let progress: BatchProgress

    /// Whether every line of the file was read (a stop or an interrupt leaves some unread).
    func run() async -> Bool {
        var readAhead: [BatchEntry] = []
        var exhausted = false
        func nextEntry() async -> BatchEntry? {
            if readAhead.isEmpty, !exhausted {
                do {
                    for parsed in try await feed.next(256) {
                        switch parsed {
                        case .entry(let entry): readAhead.append(entry)
                        case .invalid(let problem):
                            // The first pass found every line valid: the file changed under us.
                            control.stop(BatchStop(message: "\(problem.lines.first ?? "a line") — the file changed after it was checked; stopped.", exitCode: 1))
                            return nil
                        case .skipped: continue
                        }
                    }
                } catch {
                    control.stop(BatchStop(message: "\(error)", exitCode: 1))
                    return nil
                }
                readAhead.reverse() // popLast below takes them in file order
                if readAhead.isEmpty { exhausted = true }
            }
            return readAhead.popLast()
        }

        let sender = self.sender
        await withTaskGroup(of: (BatchOutcome, BatchStop?).self) { group in
            var running = 0
            while true {
                while running < concurrency, !control.shouldStop, let entry = await nextEntry() {
                    tally.started()
                    group.addTask { await sender.send(entry) }
                    running += 1
                }
                guard running > 0, let finished = await group.next() else { break }
                let (outcome, stop) = finished
                running -= 1
                if let stop, control.stop(stop) { progress.note("stopping: \(stop.message)") }
                tally.record(outcome)
                results.write(outcome)
                if let failed = results.failed, control.stop(BatchStop(message: failed, exitCode: 1)) { progress.note("stopping: \(failed)") }
            }
        }
        return exhausted && readAhead.isEmpty
    }
}
