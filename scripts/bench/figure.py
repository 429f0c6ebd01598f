#!/usr/bin/env python3
"""Appends one measured figure to the run's figures file (JSON lines), for report.py.

    figure.py FILE name=NAME value=V unit=U [baseline=B baseline_name=N] [target='>= 0.6'] [on=ratio|value]
              [section=S] [clients=C]

A value that is empty or not a number is recorded as missing: report.py then fails the
run, so a benchmark that could not measure something never ends quietly.
"""
import json
import sys


def number(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return int(value) if value.is_integer() and "." not in text else value


def main():
    path, pairs = sys.argv[1], dict(arg.split("=", 1) for arg in sys.argv[2:])
    figure = {"name": pairs["name"], "value": number(pairs.get("value")), "unit": pairs.get("unit", "")}
    for key in ("section", "clients"):
        if key in pairs:
            figure[key] = number(pairs[key]) if key == "clients" else pairs[key]
    if "baseline" in pairs:
        figure["baseline"] = {"name": pairs.get("baseline_name", "baseline"), "value": number(pairs["baseline"])}
        base = figure["baseline"]["value"]
        figure["ratio"] = round(figure["value"] / base, 3) if figure["value"] is not None and base else None
    if "target" in pairs:
        op, bound = pairs["target"].split()
        figure["target"] = {"op": op, "value": float(bound), "on": pairs.get("on", "ratio" if "baseline" in pairs else "value")}
    with open(path, "a") as out:
        out.write(json.dumps(figure, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
