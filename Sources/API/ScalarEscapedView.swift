import Mustache

/// Every string a dashboard view holds, HTML-escaped by Unicode scalar before the template
/// sees it. `AdminController.page` renders every view through this wrapper, so no view and
/// no template can forget it.
///
/// Why not swift-mustache's own escaping: it looks each `Character` (grapheme cluster) up
/// in a table of `<`, `>`, `&`, `"` and `'`, so `"` followed by a combining mark (U+0301),
/// or a prepended mark (U+0600) followed by `"`, is one Character that is not in the
/// table and passes unescaped — in `value="{{billno}}"` that ends the attribute and lets a
/// reflected query value add its own. Escaping scalar by scalar has no such hole.
///
/// How the escaped text reaches the page unescaped a second time: swift-mustache writes a
/// `MustacheTemplate` value as its rendering, without escaping, so each string becomes a
/// template of plain text. The escaper also turns `{` and `}` into references, so that
/// template can never contain a tag.
struct ScalarEscapedView: MustacheParent {
    let base: Any

    init(_ base: Any) { self.base = base }

    func child(named name: String) -> Any? {
        guard let value = Mirror(reflecting: base).children.first(where: { $0.label == name })?.value else { return nil }
        return Self.wrap(value)
    }

    /// Strings become escaped text; numbers and flags stay as they are (sections test
    /// them); lists and nested views are wrapped in turn.
    static func wrap(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return wrap(wrapped)
        }
        switch value {
        case let text as String: return escapedText(text)
        case is Bool, is Int, is Int64, is Double: return value
        case let list as [Any]: return list.compactMap(wrap)
        default:
            if mirror.displayStyle == .struct || mirror.displayStyle == .class { return ScalarEscapedView(value) }
            return escapedText(String(describing: value))
        }
    }

    static func escapedText(_ text: String) -> MustacheTemplate {
        // A template without `{` holds no tag, so it cannot fail to parse.
        do { return try MustacheTemplate(string: escape(text)) } catch { preconditionFailure("escaped text parsed as a template: \(error)") }
    }

    /// HTML-escapes `text` one Unicode scalar at a time: markup characters, both quotes,
    /// and the braces that would open a template tag become character references.
    static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            case "{": out.append(contentsOf: "&#123;".unicodeScalars)
            case "}": out.append(contentsOf: "&#125;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
