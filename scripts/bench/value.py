#!/usr/bin/env python3
"""Prints the value of one figure already in the run's figures file (empty if missing)."""
import json
import sys

path, name = sys.argv[1], sys.argv[2]
value = None
with open(path) as figures:
    for line in figures:
        figure = json.loads(line)
        if figure.get("name") == name:
            value = figure.get("value")
print("" if value is None else value)
