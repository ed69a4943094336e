"""Benchmark: the worst-case cost of one request within the limits (10 MiB upload, 40 MP cap).

Builds the costliest inputs we can think of that the app still accepts or must refuse
late (big 1-bit, palette, 16-bit, RGBA PNGs, a PNG zlib bomb, baseline and progressive
JPEGs, multi-frame GIF/TIFF, WebP, HEIC, AVIF, BMP, and a batch at the pixel budget) and sends each
in a fresh subprocess through the real app (Flask's test client, model loaded, one
warm-up request first). Per input: CPU ms of the request (user + system), peak RSS
growth over the warmed process (what the kernel saw, Pillow's buffers
included: the kernel's peak, VmHWM, reset just before the request) and the tracemalloc peak (Python and NumPy allocations only).

Usage::

    python bench/request_cost.py [--model FILE] [--compare-with /path/to/other/checkout] [--only NAME]

``--compare-with`` runs the same inputs with another checkout's code (e.g. main before
this change) for a before/after table. Writes bench/results/request_cost.{json,md}.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # bench/ is a folder of scripts, not a package

import live  # noqa: E402
from digit_classifier.preprocessing import loading  # noqa: E402,F401  (registers pillow-heif: HEIC encodes)

SIDE = 6324  # 6324^2 = 39.99 MP, just under the 40 MP cap

#: Run in the child: app + model, a warm-up, then one measured request. Prints one JSON line.
CHILD = r"""
import json, resource, sys, time, tracemalloc
from digit_classifier.web import create_app
path, model, endpoint = sys.argv[1], sys.argv[2], sys.argv[3]
app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "MODEL_PATH": model, "WTF_CSRF_ENABLED": False,
                  "MAX_CONTENT_LENGTH": 11 * 2**20, "LOG_LEVEL": "ERROR"})
client = app.test_client()
body = open(path, "rb").read()
ctype = open(path + ".ctype").read()
warm = open(path + ".warm", "rb").read()
client.post("/api/v1/predict", data=warm, content_type="image/png")
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
def vm(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
open("/proc/self/clear_refs", "w").write("5")  # reset the peak (VmHWM) to the current RSS
before_rss = vm("VmRSS")
tracemalloc.start()
c0, t0 = cpu(), time.perf_counter()
response = client.post(endpoint, data=body, content_type=ctype)
c1, t1 = cpu(), time.perf_counter()
_, peak = tracemalloc.get_traced_memory()
after_rss = vm("VmHWM")
answer = response.get_json(silent=True) or {}
print(json.dumps({"status": response.status_code, "cpu_ms": round(1000 * (c1 - c0), 1),
                  "wall_ms": round(1000 * (t1 - t0), 1), "rss_growth_mb": round((after_rss - before_rss) / 1024, 1),
                  "rss_peak_mb": round(after_rss / 1024, 1), "tracemalloc_peak_mb": round(peak / 2**20, 1),
                  "code": (answer.get("error") or {}).get("code"), "digit": answer.get("digit")}))
"""


def _digit_canvas(mode: str, side: int = SIDE) -> Image.Image:
    """A ``side`` x ``side`` white page with one thick dark "7" in the middle, in ``mode``."""
    img = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(img)
    s = side // 4
    draw.line([(side // 2 - s, side // 2 - s), (side // 2 + s, side // 2 - s), (side // 2 - s // 3, side // 2 + s)],
              fill=0, width=max(8, side // 40))
    return img.convert(mode) if mode not in ("I;16", "P-colour") else img


def _encode(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def inputs() -> dict[str, tuple[bytes, str, str]]:
    """name -> (body, content type, endpoint)."""
    from tests.support import bad_images, corpus

    png = "image/png"
    page = _digit_canvas("L")
    grey16 = Image.fromarray(np.asarray(page).astype(np.uint16) * 257)
    colour = Image.merge("RGB", (page, page.point(lambda v: min(255, v + 40)), page))
    palette = colour.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    rgba = page.convert("RGBA")
    frames = [page.convert("P"), _digit_canvas("L").rotate(90).convert("P")]
    one_bit = _encode(page.convert("1"), "PNG")
    out = {
        "1-bit PNG 6324x6324": (one_bit, png, "/api/v1/predict"),
        "palette PNG 6324x6324 (16 colours)": (_encode(palette, "PNG"), png, "/api/v1/predict"),
        "16-bit grey PNG 6324x6324": (_encode(grey16, "PNG"), png, "/api/v1/predict"),
        "RGBA PNG 6324x6324": (_encode(rgba, "PNG"), png, "/api/v1/predict"),
        "PNG zlib bomb 6324x6324 (blank)": (bad_images.png_zlib_bomb(SIDE), png, "/api/v1/predict"),
        "baseline JPEG 6324x6324": (_encode(colour, "JPEG", quality=90), "image/jpeg", "/api/v1/predict"),
        "progressive JPEG 6324x6324": (_encode(colour, "JPEG", quality=90, progressive=True), "image/jpeg",
                                       "/api/v1/predict"),
        "GIF 6324x6324, 2 frames": (_encode(frames[0], "GIF", save_all=True, append_images=frames[1:]),
                                    "image/gif", "/api/v1/predict"),
        "TIFF 6324x6324, 2 pages, deflate": (_encode(page, "TIFF", compression="tiff_adobe_deflate",
                                                     save_all=True, append_images=[page]), "image/tiff",
                                             "/api/v1/predict"),
        "WebP lossless 6324x6324 (over the WebP cap)": (_encode(page, "WEBP", lossless=True), "image/webp",
                                                        "/api/v1/predict"),
        "WebP lossless 4000x4000 (the 16 MP WebP cap)": (_encode(_digit_canvas("L", 4000), "WEBP", lossless=True),
                                                         "image/webp", "/api/v1/predict"),
        "HEIC 6324x6324 (over the HEIF cap)": (_encode(page.convert("RGB"), "HEIF", quality=80), "image/heic",
                                               "/api/v1/predict"),
        "HEIC 4898x4898 (the 24 MP HEIF cap)": (_encode(_digit_canvas("L", 4898).convert("RGB"), "HEIF", quality=80),
                                                "image/heic", "/api/v1/predict"),
        "AVIF 4898x4898 (the 24 MP AVIF cap)": (_encode(_digit_canvas("L", 4898).convert("RGB"), "AVIF", speed=10),
                                                "image/avif", "/api/v1/predict"),
        "BMP 1-bit 6324x6324": (_encode(page.convert("1"), "BMP"), "image/bmp", "/api/v1/predict"),
        "40,000,001-pixel PNG header (refused)": (bad_images.png_header_only(8000, 5001), png, "/api/v1/predict"),
    }
    body = corpus.multipart([("images", f"{i}.png", png, one_bit) for i in range(2)])
    out["batch: 2 x 1-bit PNG 6324x6324 (= the 80 MP budget)"] = (
        body, f"multipart/form-data; boundary={corpus.BOUNDARY}", "/api/v1/predict/batch")
    body = corpus.multipart([("images", f"{i}.png", png, one_bit) for i in range(64)])
    out["batch: 64 x 1-bit PNG 6324x6324 (refused by the budget)"] = (
        body, f"multipart/form-data; boundary={corpus.BOUNDARY}", "/api/v1/predict/batch")
    return out


def measure(code_root: Path, model: Path, folder: Path, name: str, item: tuple[bytes, str, str]) -> dict:
    """Run one input in a fresh subprocess with ``code_root`` first on the path."""
    body, ctype, endpoint = item
    path = folder / "input.bin"
    path.write_bytes(body)
    Path(str(path) + ".ctype").write_text(ctype)
    env = {**os.environ, "PYTHONPATH": f"{code_root}:{live.REPO_ROOT}"}
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(model), endpoint], env=env, cwd=folder,
                         capture_output=True, text=True, timeout=600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": out.stderr[-400:]}
    return {"bytes": len(body), **json.loads(lines[-1])}


def markdown(results: dict) -> str:
    runs = results["runs"]
    names = list(next(iter(runs.values())))
    lines = ["# Cost of one request, worst cases within the limits", "",
             "Each input in a fresh process through the real app (Flask test client, model loaded, one warm-up "
             "request). CPU = user + system ms of the request; RSS growth = peak RSS (VmHWM, reset before the request) over the warmed "
             "process (Pillow's buffers included); tracemalloc = Python/NumPy allocations only.", ""]
    for label, table in runs.items():
        lines += [f"## {label}", "", "| input | bytes | status | CPU ms | RSS growth MB | tracemalloc MB |",
                  "|---|---:|---|---:|---:|---:|"]
        for name in names:
            r = table[name]
            if "error" in r:
                lines.append(f"| {name} | | failed: {r['error'][-80:]!r} | | | |")
                continue
            status = f"{r['status']} {r['code'] or ''}".strip()
            lines.append(f"| {name} | {r['bytes']:,} | {status} | {r['cpu_ms']:.0f} | {r['rss_growth_mb']:.0f} | "
                         f"{r['tracemalloc_peak_mb']:.0f} |")
        worst_cpu = max((r for r in table.values() if "cpu_ms" in r), key=lambda r: r["cpu_ms"])
        worst_rss = max((r for r in table.values() if "rss_growth_mb" in r), key=lambda r: r["rss_growth_mb"])
        lines += ["", f"Worst: {worst_cpu['cpu_ms']:.0f} ms CPU, {worst_rss['rss_growth_mb']:.0f} MB RSS growth.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare-with", type=Path, default=None, help="another checkout to run too")
    parser.add_argument("--only", default=None, help="run only inputs whose name contains this text")
    live.add_common_args(parser)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(live.REPO_ROOT))
    model = live.model_path(args)
    items = {k: v for k, v in inputs().items() if not args.only or args.only in k}
    roots = {"this checkout": live.REPO_ROOT}
    if args.compare_with:
        roots[f"before ({args.compare_with})"] = args.compare_with.resolve()
    runs = {}
    with tempfile.TemporaryDirectory(prefix="dc-cost-") as tmp:
        folder = Path(tmp)
        from tests.support import bad_images
        (folder / "input.bin.warm").write_bytes(bad_images.valid_files()["PNG"])
        for label, root in roots.items():
            runs[label] = {}
            for name, item in items.items():
                runs[label][name] = measure(root, model, folder, name, item)
                print(label, name, runs[label][name], file=sys.stderr)
    results = {"benchmark": "request_cost", "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "model": model.name, "cpus": os.cpu_count(), "runs": runs}
    live.write_results(args.out, "request_cost", results, markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
