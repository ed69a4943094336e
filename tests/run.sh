#!/usr/bin/env bash
# The whole test suite, installing what it needs: `sudo bash tests/run.sh [pytest args]`.
#
# 1. Debian packages the suite uses (Apache + mod_wsgi build deps, Python venv, Chromium),
#    installed only when missing (root needed then).
# 2. A venv of Debian's /usr/bin/python3 in .venv with the pinned test requirements and the
#    project installed editable (the same Python that Debian's mod_wsgi embeds).
# 3. MNIST fetched into data/ (no network when valid files are already there).
# 4. pytest over tests/; exit status 5 (no tests collected) counts as a failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${DIGIT_CLASSIFIER_TEST_VENV:-$ROOT/.venv}"
APT_PACKAGES=(python3-venv python3-dev python3-pip build-essential apache2 apache2-bin apache2-dev
              libapache2-mod-wsgi-py3 chromium fonts-dejavu-core curl ca-certificates)

install_debian_packages() {
    local missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "tests/run.sh: missing Debian packages: ${missing[*]}; run as root (sudo) to install them" >&2
        exit 1
    fi
    echo "== installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}"
    # Apache must not keep serving on :80 after installation; tests start their own servers.
    service apache2 stop >/dev/null 2>&1 || true
}

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

install_debian_packages
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
