"""Test images made on the spot: PNG with the standard library (zlib), JPEG
and WebP with Debian's encoders (cjpeg from libjpeg-turbo-progs, cwebp from
webp). Every image is different for a different seed, so its SHA-256 is new."""

import hashlib
import os
import random
import struct
import subprocess
import tempfile
import zlib


def pixels(width, height, seed, noise=16):
    """RGB bytes: a gradient plus seeded noise (more noise, bigger JPEGs)."""
    rng = random.Random(seed)
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            n = rng.randrange(noise) if noise else 0
            row += bytes(((x * 255 // max(width - 1, 1) + n) & 255,
                          (y * 255 // max(height - 1, 1) + n) & 255,
                          (seed * 37 + n) & 255))
        rows.append(bytes(row))
    return rows


def png(width=64, height=48, seed=1):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    raw = b"".join(b"\x00" + row for row in pixels(width, height, seed))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def ppm(width, height, seed, noise=16):
    return (f"P6\n{width} {height}\n255\n".encode()
            + b"".join(pixels(width, height, seed, noise)))


def jpeg(width=64, height=48, seed=1, quality=85, noise=16):
    return subprocess.run(["cjpeg", "-quality", str(quality)], input=ppm(width, height, seed, noise),
                          stdout=subprocess.PIPE, check=True).stdout


def noisy_jpeg(width, height, seed, quality=85):
    """A JPEG of pure noise: the largest file for its size, made fast."""
    rng = random.Random(seed)
    data = f"P6\n{width} {height}\n255\n".encode() + rng.randbytes(width * height * 3)
    return subprocess.run(["cjpeg", "-quality", str(quality)], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def webp(width=64, height=48, seed=1):
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "in.png"), os.path.join(d, "out.webp")
        with open(src, "wb") as f:
            f.write(png(width, height, seed))
        subprocess.run(["cwebp", "-quiet", src, "-o", out], check=True)
        with open(out, "rb") as f:
            return f.read()


def sha256(data):
    return hashlib.sha256(data).hexdigest()
