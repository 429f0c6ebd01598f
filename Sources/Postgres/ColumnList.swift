import Foundation

/// A SELECT list of plain column names (`"id, tenant_id, …"`), as a record type keeps it
/// next to its row decoder: the same list qualified by a table's alias, for a query that
/// joins others, and its length, for a query that selects more after it.
public enum ColumnList {
    public static func qualified(_ list: String, by alias: String) -> String {
        names(list).map { "\(alias).\($0)" }.joined(separator: ", ")
    }

    public static func count(_ list: String) -> Int { names(list).count }

    static func names(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}
