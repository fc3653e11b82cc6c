#!/usr/bin/env python3
"""Writes .resx files from a small table (key -> {culture: text}); keeps the English and Dutch strings side by side."""
import sys, json
from xml.sax.saxutils import escape

HEADER = '''<?xml version="1.0" encoding="utf-8"?>
<root>
  <resheader name="resmimetype"><value>text/microsoft-resx</value></resheader>
  <resheader name="version"><value>2.0</value></resheader>
  <resheader name="reader"><value>System.Resources.ResXResourceReader, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>
  <resheader name="writer"><value>System.Resources.ResXResourceWriter, System.Windows.Forms, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089</value></resheader>
'''

def write(path, entries):
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        for key, value in entries:
            f.write(f'  <data name="{escape(key)}" xml:space="preserve"><value>{escape(value)}</value></data>\n')
        f.write("</root>\n")

if __name__ == "__main__":
    table = json.load(open(sys.argv[1], encoding="utf-8"))
    base = sys.argv[2]
    for culture in ("en", "nl"):
        entries = [(k, v[culture]) for k, v in table.items()]
        write(base + (".resx" if culture == "en" else f".{culture}.resx"), entries)
