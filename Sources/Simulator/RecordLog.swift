/// Records in the order they were created, found by key, dropped from the front when they
/// age out. Positions are absolute (they never shift), so a cursor stays valid while the
/// log grows at the back and shrinks at the front.
struct RecordLog<Record: Sendable>: Sendable {
    private(set) var records: ContiguousArray<Record> = []
    /// Records before `head` are dropped and wait for the next compaction of the array.
    private var head = 0
    /// Absolute position of `records[0]`.
    private var base = 0
    private var index: [OrderKey: Int] = [:]
    private let keyOf: @Sendable (Record) -> OrderKey

    init(key: @escaping @Sendable (Record) -> OrderKey) { self.keyOf = key }

    var startPosition: Int { base + head }
    var endPosition: Int { base + records.count }
    var count: Int { records.count - head }

    func position(of key: OrderKey) -> Int? { index[key] }

    subscript(position: Int) -> Record {
        get { records[position - base] }
        set { records[position - base] = newValue }
    }

    var first: Record? { head < records.count ? records[head] : nil }

    @discardableResult
    mutating func append(_ record: Record) -> Int {
        let position = endPosition
        records.append(record)
        index[keyOf(record)] = position
        return position
    }

    mutating func removeFirst() {
        guard head < records.count else { return }
        index[keyOf(records[head])] = nil
        head += 1
        // Shift the array only when the dropped part is large: O(1) amortised per record.
        if head >= 1024, head * 2 >= records.count {
            records.removeFirst(head)
            base += head
            head = 0
        }
    }
}
