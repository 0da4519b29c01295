"""Checks what headless Chromium made of the HTML timeline.

Usage: check.py SCREENSHOT.png DOM.html CHROMIUM.log EVENTS_DIR

Exits non-zero, saying why, unless the page loaded without errors, the DOM
holds one band per stream and one segment per status interval of the
shipped record, with the table of events, and the screenshot shows the
colour of every status the record holds. Standard library only.
"""

import json
import re
import struct
import sys
import zlib
from pathlib import Path

# must match src/chart.rs
FILLS = {
    "proposed": "BBBBBB",
    "signed": "56B4E9",
    "in_force": "009E73",
    "termination_notified": "E69F00",
    "conditionally_suspended": "F0E442",
    "normalized": "0072B2",
    "suspended": "CC79A7",
    "terminated": "D55E00",
    "expired": "555555",
    "withdrawn": "332288",
}


def fail(message):
    print(f"browser test: FAILED: {message}")
    sys.exit(1)


def read_png(path):
    """Decodes an 8-bit, non-interlaced RGB or RGBA PNG into rows of pixels."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace:
        fail(f"unexpected PNG format: depth {depth}, color type {color}")
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + pred) & 255
        rows.append(line)
        previous = line
    return width, height, channels, rows


def record(events_dir):
    """The statuses and intervals of the shipped record, from its streams."""
    streams, statuses = 0, set()
    for path in sorted(Path(events_dir).glob("*.jsonl")):
        streams += 1
        retracted = set()
        lines = [json.loads(l) for l in path.read_text().splitlines()]
        for event in lines:
            if event["kind"] == "retraction":
                retracted.add(event["target"])
        for event in lines:
            if event["kind"] == "status" and event["id"] not in retracted:
                statuses.add(event["status"])
    return streams, statuses


def main():
    png, dom_path, log_path, events_dir = sys.argv[1:5]
    log = Path(log_path).read_text(errors="replace")
    for bad in ("Failed to load resource", "Uncaught", "ERR_"):
        if bad in log:
            fail(f"the page did not load cleanly: {bad!r} in Chromium's log")
    dom = Path(dom_path).read_text()
    streams, statuses = record(events_dir)
    bands = len(re.findall(r'<g class="band"', dom))
    if bands != streams:
        fail(f"{bands} bands in the DOM, {streams} streams in {events_dir}")
    drawn = set(re.findall(r'<g class="segment" data-status="([a-z_]+)"', dom))
    if drawn != statuses:
        fail(f"segments for {sorted(drawn)}, but the record holds {sorted(statuses)}")
    if '<table id="events">' not in dom or dom.count("<tr>") < streams + 1:
        fail("the table of events is missing")
    width, height, channels, rows = read_png(png)
    counts = {}
    for row in rows:
        for x in range(0, width * channels, channels):
            key = "%02X%02X%02X" % (row[x], row[x + 1], row[x + 2])
            counts[key] = counts.get(key, 0) + 1
    for status in sorted(statuses):
        seen = counts.get(FILLS[status], 0)
        if seen < 100:
            fail(f"{status} ({FILLS[status]}) covers {seen} pixels of the screenshot")
    shown = ", ".join(f"{s} {counts.get(FILLS[s], 0)}px" for s in sorted(statuses))
    print(f"browser test: ok: {bands} bands, {len(drawn)} statuses drawn ({shown})")


main()
