"""Packaging for digit_classifier: ``pip install -e .`` gives the ``digit-classifier`` command."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def read_version() -> str:
    """Return ``__version__`` from the package without importing it."""
    for line in (HERE / "digit_classifier" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip('"')
    raise RuntimeError("no __version__ in digit_classifier/__init__.py")


setup(
    name="digit-classifier",
    version=read_version(),
    description="Handwritten-digit recognition: a NumPy MLP trained on MNIST, served by Flask.",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",  # tomllib, logging.getLevelNamesMapping
    packages=find_packages(include=["digit_classifier", "digit_classifier.*"]),
    include_package_data=True,
    package_data={"digit_classifier.web": ["templates/*.html", "templates/**/*.html", "static/**/*"]},
    install_requires=[
        "numpy>=1.26",
        "pillow>=11.3",
        "flask>=3.0",
        "flask-wtf>=1.2",
        "wtforms>=3.1",
        "jinja2>=3.1",
        "tqdm>=4.66",
        "pillow-heif>=1.0",
    ],
    extras_require={
        "report": ["matplotlib>=3.8"],
        "test": [
            "pytest>=8.0",
            "hypothesis>=6.100",
            "requests>=2.31",
            "playwright>=1.45",
            "mod_wsgi>=5.0",
            "matplotlib>=3.8",
        ],
    },
    entry_points={"console_scripts": ["digit-classifier=digit_classifier.cli:main"]},
)
