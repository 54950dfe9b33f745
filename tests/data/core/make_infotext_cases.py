#!/usr/bin/env python3
"""Infotext cases computed the way AUTOMATIC1111 computes them, in Python itself (json.dumps for the
quoting, str.strip / str.split, the `re` module with REFERENCE.md §1's pair pattern), for
tst_infotext to compare the C++ writer and parser against. Only the standard library is needed:

    python3 tests/data/core/make_infotext_cases.py > tests/data/core/infotext_cases.json

Random prompts mix commas, colons, quotes, backslashes, newlines, control characters, Python-only
whitespace (U+001C..U+001F), CJK and emoji; the parameter line follows A1111's key order.
"""
import json
import random
import re

PAIR = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


def infotext_value(value):
    """A value with ',', ':' or a newline is written as a JSON string (non-ASCII kept)."""
    s = str(value)
    return json.dumps(s, ensure_ascii=False) if any(c in s for c in ',:\n') else s


def decoded(value):
    if not value.startswith('"') or not value.endswith('"'):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def write(prompt, negative, pairs):
    line = ", ".join(f"{key}: {infotext_value(value)}" for key, value in pairs if value is not None)
    negative_line = "\nNegative prompt: " + negative if negative else ""
    return (prompt + negative_line + "\n" + line).strip()


def read(text):
    *head, last = text.strip().split("\n")
    if len(PAIR.findall(last)) < 3:
        head, last = head + [last], ""
    prompt, negative, in_negative = [], [], False
    for raw in head:
        line = raw.strip()
        if line.startswith("Negative prompt:"):
            in_negative, line = True, line[len("Negative prompt:"):].strip()
        (negative if in_negative else prompt).append(line)
    # blank leading lines vanish: the text is joined onto "" without a separator
    def join(lines):
        out = ""
        for line in lines:
            out = line if out == "" else out + "\n" + line
        return out
    values = {}
    for key, value in PAIR.findall(last):
        if value:  # an empty value is dropped
            values[key] = decoded(value) if value[0] == '"' and value[-1] == '"' else value
    return {"prompt": join(prompt), "negative": join(negative), "values": values}


def main():
    rng = random.Random(20240501)
    chars = list("abc xyz,:;\"'\\()[]{}<>|/-_=+!?.#%&*~`\t") + \
        ["\n", "\x01", "\x1c", "\x1f", "\x7f", "\xa0", "\u3000", "\u2028", "é", "Ω", "猫", "🐱"]

    def text(n):
        return "".join(rng.choice(chars) for _ in range(rng.randint(0, n)))

    cases = []
    for _ in range(200):
        prompt, negative, model = text(40).strip(), text(20).strip(), text(12)
        extra_key = rng.choice(["Hires upscaler", "Lora hashes", "Emphasis", "TI hashes"])
        extra_value = text(15)
        cfg = rng.choice([7, 7.5, 4.25, 12, 0.1 + 0.2, 1e-05])
        width, height = rng.randint(1, 32) * 64, rng.randint(1, 32) * 64
        clip_skip = rng.choice([1, 2, 3])
        params = {
            "prompt": prompt, "negative_prompt": negative,
            "sampler_name": rng.choice(["Euler a", "DPM++ 2M", "DDIM"]),
            "scheduler": rng.choice(["Automatic", "Karras", "Align Your Steps"]),
            "steps": rng.randint(1, 150), "cfg_scale": float(cfg), "seed": rng.randint(0, 2**32),
            "width": width, "height": height, "model_hash": "6ce0161689", "model_name": model,
            "clip_skip": clip_skip, "extra": {extra_key: extra_value} if extra_value else {},
        }
        pairs = [("Steps", params["steps"]), ("Sampler", params["sampler_name"]),
                 ("Schedule type", params["scheduler"]), ("CFG scale", cfg), ("Seed", params["seed"]),
                 ("Size", f"{width}x{height}"), ("Model hash", "6ce0161689"), ("Model", model or None),
                 ("Clip skip", clip_skip if clip_skip > 1 else None), (extra_key, extra_value or None),
                 ("Version", "v1.10.1")]
        infotext = write(prompt, negative, pairs)
        cases.append({"params": params, "infotext": infotext, "parsed": read(infotext)})
    print("[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n]")


if __name__ == "__main__":
    main()
