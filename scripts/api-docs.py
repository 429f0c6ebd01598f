#!/usr/bin/env python3
"""Renders docs/api.md from openapi.yaml, the API's source of truth.

    python3 scripts/api-docs.py            write docs/api.md
    python3 scripts/api-docs.py --check    exit 1 if docs/api.md is not what openapi.yaml gives

A test runs --check, so the page cannot drift from the spec. Needs python3-yaml
(scripts/deps.sh installs it).
"""
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "openapi.yaml")
PAGE = os.path.join(ROOT, "docs", "api.md")
METHODS = ["get", "post", "put", "patch", "delete"]


def ref_name(ref):
    return ref.rsplit("/", 1)[-1]


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        node = spec
        for part in parts:
            node = node[part]
    return node


def one_line(text):
    return " ".join(str(text or "").split())


def cell(text):
    return one_line(text).replace("|", "\\|")


def type_of(spec, schema):
    """A short human type: `string` (1–32), [Receiver], RedpackStatus, one of …"""
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        name = ref_name(schema["$ref"])
        return f"[{name}](#{name.lower()})"
    for key in ("oneOf", "anyOf"):
        if key in schema:
            kinds = [type_of(spec, s) for s in schema[key]]
            return " or ".join(k for k in kinds if k)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        nullable = "null" in kind
        kind = " or ".join(k for k in kind if k != "null") + (" or null" if nullable else "")
    if schema.get("type") == "array" or kind == "array":
        return f"array of {type_of(spec, schema.get('items', {}))}"
    limits = []
    if "enum" in schema:
        limits.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"] if v is not None))
    if "format" in schema:
        limits.append(schema["format"])
    if "minLength" in schema or "maxLength" in schema:
        limits.append(f"length {schema.get('minLength', 0)}–{schema.get('maxLength', '∞')}")
    if "minimum" in schema or "maximum" in schema:
        limits.append(f"{schema.get('minimum', '−∞')}–{schema.get('maximum', '∞')}")
    if "pattern" in schema:
        limits.append(f"pattern `{schema['pattern']}`")
    return f"`{kind}`" + (f" ({'; '.join(limits)})" if limits else "")


def fields_table(spec, schema, out):
    schema = resolve(spec, schema)
    props = schema.get("properties", {})
    if not props:
        return
    required = set(schema.get("required", []))
    out.append("| field | type | required | description |")
    out.append("|---|---|---|---|")
    for name, prop in props.items():
        desc = prop.get("description") or resolve(spec, prop).get("description", "")
        out.append(f"| `{name}` | {type_of(spec, prop)} | {'yes' if name in required else 'no'} | {cell(desc)} |")
    if schema.get("additionalProperties") is False:
        out.append("")
        out.append("Unknown fields are refused (400 `unknown_field`).")


def render(spec):
    info = spec["info"]
    out = [
        "<!-- Generated from openapi.yaml by scripts/api-docs.py; edit the spec, then run the script. -->",
        f"# {info['title']} {info['version']}",
        "",
        one_line(info.get("summary", "")),
        "",
        info.get("description", "").strip(),
        "",
        "## Operations",
        "",
        "| method | path | operation |",
        "|---|---|---|",
    ]
    operations = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                operations.append((method, path, op, item.get("parameters", [])))
                anchor = op["operationId"].lower()
                out.append(f"| {method.upper()} | `{path}` | [{cell(op.get('summary', op['operationId']))}](#{anchor}) |")
    out.append("")
    for method, path, op, shared in operations:
        out.append(f"### {op['operationId']}")
        out.append("")
        out.append(f"`{method.upper()} {path}` — {one_line(op.get('summary', ''))}")
        out.append("")
        if op.get("description"):
            out.append(op["description"].strip())
            out.append("")
        params = [resolve(spec, p) for p in shared + op.get("parameters", [])]
        if params:
            out.append("| parameter | in | type | required | description |")
            out.append("|---|---|---|---|---|")
            for p in params:
                out.append(f"| `{p['name']}` | {p['in']} | {type_of(spec, p.get('schema', {}))} | "
                           f"{'yes' if p.get('required') else 'no'} | {cell(p.get('description', ''))} |")
            out.append("")
        body = op.get("requestBody")
        if body:
            body = resolve(spec, body)
            schema = body.get("content", {}).get("application/json", {}).get("schema", {})
            out.append(f"Request body: {type_of(spec, schema)}")
            out.append("")
        out.append("| status | meaning |")
        out.append("|---|---|")
        for status, response in op.get("responses", {}).items():
            response = resolve(spec, response)
            content = response.get("content", {})
            schema = next(iter(content.values()), {}).get("schema") if content else None
            shape = f" ({type_of(spec, schema)})" if schema else ""
            out.append(f"| {status} | {cell(response.get('description', ''))}{shape} |")
        out.append("")
    out.append("## Schemas")
    out.append("")
    for name, schema in spec["components"]["schemas"].items():
        out.append(f"### {name}")
        out.append("")
        if schema.get("description"):
            out.append(one_line(schema["description"]))
            out.append("")
        if "enum" in schema:
            out.append("One of: " + ", ".join(f"`{v}`" for v in schema["enum"] if v is not None) + ".")
            out.append("")
        fields_table(spec, schema, out)
        if schema.get("properties"):
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def main():
    with open(SPEC, encoding="utf-8") as f:
        page = render(yaml.safe_load(f))
    if "--check" in sys.argv[1:]:
        try:
            with open(PAGE, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current != page:
            print("docs/api.md is out of date: run python3 scripts/api-docs.py", file=sys.stderr)
            return 1
        return 0
    with open(PAGE, "w", encoding="utf-8") as f:
        f.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
