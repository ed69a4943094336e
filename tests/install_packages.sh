#!/usr/bin/env bash
# Install the Debian packages the test suite needs, without touching a running Apache.
#
# Run by tests/run.sh. Installs only what is missing (root needed then). While apt
# runs, a temporary policy-rc.d answers 101 ("action forbidden"), so no package's
# maintainer scripts start, stop, restart or reload any service: a site already
# deployed on this machine keeps answering. The file is removed afterwards (a
# policy-rc.d that was there before is put back), on failure and interruption too.
# Links the packages add to an Apache that was installed before (apache2's
# *-enabled folders, e.g. mod_wsgi enabling itself) are removed again, so the
# system Apache's configuration is the same after as before.
# Never calls service, systemctl, apache2ctl or invoke-rc.d itself.
set -euo pipefail

APT_PACKAGES=(python3-venv python3-dev python3-pip build-essential apache2 apache2-bin apache2-dev
              libapache2-mod-wsgi-py3 chromium fonts-dejavu-core curl ca-certificates)
POLICY_RC_D="${DC_TESTS_POLICY_RC_D:-/usr/sbin/policy-rc.d}"          # overridable for its own test
APACHE_CONF_DIR="${DC_TESTS_APACHE_CONF_DIR:-/etc/apache2}"
SAVED_POLICY="${POLICY_RC_D}.saved-by-digit-classifier-tests"

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "tests/install_packages.sh: missing Debian packages: ${missing[*]}; run as root (sudo) to install them" >&2
    exit 1
fi

enabled_links() {  # the entries of Apache's *-enabled folders, one a line
    find "$APACHE_CONF_DIR"/mods-enabled "$APACHE_CONF_DIR"/conf-enabled "$APACHE_CONF_DIR"/sites-enabled \
         -mindepth 1 -maxdepth 1 2>/dev/null | sort
}

allow_services_again() {
    rm -f "$POLICY_RC_D"
    if [ -e "$SAVED_POLICY" ]; then mv -f "$SAVED_POLICY" "$POLICY_RC_D"; fi
}

if [ -e "$POLICY_RC_D" ]; then mv -f "$POLICY_RC_D" "$SAVED_POLICY"; fi
trap allow_services_again EXIT
trap 'exit 130' INT TERM HUP
printf '#!/bin/sh\n# written by tests/install_packages.sh while apt runs; removed afterwards.\nexit 101\n' \
    > "$POLICY_RC_D"
chmod 0755 "$POLICY_RC_D"

# On a fresh machine there is no Apache folder yet (find fails on it): nothing to restore.
apache_was_installed=no
links_before=
if [ -d "$APACHE_CONF_DIR/mods-enabled" ]; then
    apache_was_installed=yes
    links_before=$(enabled_links)
fi

echo "== installing Debian packages: ${missing[*]} (running daemons are left alone)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q -o DPkg::Lock::Timeout=300
apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}"

if [ "$apache_was_installed" = yes ]; then
    comm -13 <(echo "$links_before") <(enabled_links) | while read -r link; do
        [ -n "$link" ] || continue
        rm -f "$link"
        echo "== removed $link (added by the install; Apache's configuration stays as it was)"
    done
fi
