#!/usr/bin/env bash
# The whole test suite, installing what it needs: `sudo bash tests/run.sh [pytest args]`.
#
# 1. Debian packages the suite uses (Apache + mod_wsgi build deps, Python venv, Chromium),
#    installed only when missing (root needed then) by tests/install_packages.sh, which
#    never starts, stops or reloads a service: a site deployed here keeps answering.
# 2. A venv of Debian's /usr/bin/python3 in .venv with the pinned test requirements and the
#    project installed editable (the same Python that Debian's mod_wsgi embeds).
# 3. MNIST fetched into data/ (no network when valid files are already there).
# 4. pytest over tests/; exit status 5 (no tests collected) counts as a failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DIGIT_CLASSIFIER_TEST_VENV:-$ROOT/.venv}"

build_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "== creating $VENV with /usr/bin/python3"
        /usr/bin/python3 -m venv "$VENV"
    fi
    echo "== installing Python requirements"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/tests/requirements.txt"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e "$ROOT"
}

# The Apache tests run mod_wsgi daemons as www-data, which must reach the checkout and .venv:
# grant traversal (o+x, not read) on any parent directory that lacks it, e.g. a 0700 temp dir.
# The checkout itself must also be listable (o+r): Python's import system lists the folders
# on sys.path, and the editable install puts the checkout there (a clone made straight into
# a `mktemp -d` folder is 0700).
let_apache_user_reach_checkout() {
    [ "$(id -u)" -eq 0 ] || return 0
    if [ -z "$(find "$ROOT" -maxdepth 0 -perm -o+rx)" ]; then
        echo "== chmod o+rx $ROOT (so www-data can import the checkout)"
        chmod o+rx "$ROOT"
    fi
    local dir="$ROOT"
    while [ "$dir" != "/" ]; do
        if [ -z "$(find "$dir" -maxdepth 0 -perm -o+x)" ]; then
            echo "== chmod o+x $dir (so www-data can reach the checkout)"
            chmod o+x "$dir"
        fi
        dir="$(dirname "$dir")"
    done
}

bash "$ROOT/tests/install_packages.sh"
let_apache_user_reach_checkout
build_venv
echo "== fetching MNIST into $ROOT/data"
"$VENV/bin/digit-classifier" fetch-data --data-dir "$ROOT/data"

echo "== running pytest"
cd "$ROOT"
set +e
"$VENV/bin/python" -m pytest tests -p no:cacheprovider -ra "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "tests/run.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
