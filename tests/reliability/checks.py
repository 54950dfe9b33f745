"""What must hold after any fault (tests/reliability/reliability.py): every visible image is whole and
carries its parameters, the history database is intact and each of its rows points to such an image,
and a half-written file is never visible. Python's standard library only."""

import hashlib
import os
import sqlite3
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel (8-bit images)


def png_problem(path):
    """None when `path` is a complete PNG whose pixels inflate to its size and which carries A1111's
    "parameters" text with a Steps entry; else what is wrong with it."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return "unreadable: %s" % e
    if not data.startswith(PNG_SIGNATURE):
        return "not a PNG (%d bytes)" % len(data)
    pos, width, height, colour, idat, texts, ended = 8, 0, 0, -1, [], {}, False
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            return "chunk %r cut short at byte %d" % (kind, pos)
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            return "chunk %r has a bad CRC" % kind
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8:
                return "bit depth %d" % depth
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            texts[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            _, _, rest = rest.partition(b"\0")  # language
            _, _, text = rest.partition(b"\0")  # translated keyword
            texts[key.decode("latin-1")] = (zlib.decompress(text) if compressed else text).decode("utf-8")
        elif kind == b"IEND":
            ended = True
            break
        pos += 12 + length
    if not ended:
        return "no IEND chunk (cut short)"
    if colour not in CHANNELS:
        return "colour type %d" % colour
    try:
        pixels = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        return "pixel data does not inflate: %s" % e
    if len(pixels) != height * (1 + width * CHANNELS[colour]):
        return "pixel data is %d bytes, %dx%d needs %d" % (
            len(pixels), width, height, height * (1 + width * CHANNELS[colour]))
    params = texts.get("parameters", "")
    if "Steps: " not in params:
        return "no generation parameters (texts: %s)" % sorted(texts)
    return None


def visible_files(folder):
    """Every file under `folder` whose name does not start with a dot."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        out += [os.path.join(root, f) for f in files if not f.startswith(".")]
    return sorted(out)


def hidden_partials(folder):
    out = []
    for root, _, files in os.walk(folder):
        out += [os.path.join(root, f) for f in files if f.startswith(".") and ".part-" in f]
    return out


def image_problems(folder):
    """(images checked, [problems]) for the visible files of an output folder: every one must be a
    complete image with its parameters (CompVis grids carry them too)."""
    problems, count = [], 0
    for path in visible_files(folder):
        if not path.endswith(".png"):
            problems.append("%s: an unexpected visible file" % path)
            continue
        count += 1
        why = png_problem(path)
        if why:
            problems.append("%s: %s" % (path, why))
    return count, problems


def history_problems(database):
    """(rows, [problems]): PRAGMA integrity_check passes and every row's file is a complete image."""
    if not os.path.exists(database):
        return 0, []
    problems = []
    con = sqlite3.connect("file:%s?mode=ro" % database, uri=True, timeout=30)
    try:
        result = [r[0] for r in con.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            problems.append("%s: integrity_check says %s" % (database, result[:5]))
        rows = con.execute("SELECT id, path FROM images").fetchall()
    finally:
        con.close()
    for rid, path in rows:
        why = png_problem(path) if os.path.exists(path) else "missing"
        if why:
            problems.append("history row %d -> %s: %s" % (rid, path, why))
    return len(rows), problems


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
