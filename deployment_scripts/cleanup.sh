#!/usr/bin/env bash
# Undo build_all_local.sh: stop serving the site and remove everything it made.
#
# Usage: sudo deployment_scripts/cleanup.sh [--purge]
#   --purge   also remove the Debian packages the build installed (only those,
#             as recorded in $DC_STATE_DIR/installed-packages)
# Without --purge the packages stay and their list is kept, so a later
# `cleanup.sh --purge` can still remove them. Safe to run twice and after a
# failed build. Use the same DC_* overrides as for the build.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=config_profile.sh
source "${SCRIPT_DIR}/config_profile.sh"
# shellcheck source=lib.sh
source "${SCRIPT_DIR}/lib.sh"

PURGE=no
STEPS=3
for arg in "$@"; do
    case "${arg}" in
        --purge) PURGE=yes ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option: ${arg} (try --help)" ;;
    esac
done
[[ ${EUID} -eq 0 ]] || die "must run as root (it changes /etc/apache2 and removes ${DC_INSTALL_DIR}); try: sudo $0"

remove_tree() {  # remove_tree DIR: rm -rf, refusing paths too short to be ours
    local dir=$1
    [[ "${dir}" == /*/* && "${dir}" != *"/../"* ]] || die "refusing to remove '${dir}' (not a path of our own)"
    if [[ -e "${dir}" ]]; then rm -rf "${dir}"; echo "removed ${dir}"; fi
}

step 1 "Stop serving the site"
if [[ -e "${DC_APACHE_CONF_DIR}/sites-enabled/${DC_APP_NAME}.conf" ]]; then
    a2dissite -q "${DC_APP_NAME}"
    echo "site ${DC_APP_NAME} disabled"
fi
if [[ -e "${DC_STATE_DIR}/wsgi-module-enabled" ]] && command -v a2dismod >/dev/null; then
    a2dismod -q wsgi || true
    echo "module wsgi disabled (the build had enabled it)"
fi
if apache_running; then
    # Apache goes back to the state we found it in: stopped if it ran only for us.
    if [[ "$(cat "${DC_STATE_DIR}/apache-was-running" 2>/dev/null || echo yes)" == no ]]; then
        apache_service stop
        echo "Apache stopped (it was not running before the build)"
    elif apache2ctl configtest 2>/dev/null; then
        apache_service reload
        echo "Apache reloaded without the site"
    else
        warn "Apache's remaining configuration does not pass configtest; not reloading it"
    fi
fi

step 2 "Remove files"
if [[ -e "${DC_SITE_FILE}" ]]; then rm -f "${DC_SITE_FILE}"; echo "removed ${DC_SITE_FILE}"; fi
rm -f "${DC_SITE_FILE}".??????   # a render interrupted half-way
remove_tree "${DC_INSTALL_DIR}"   # app, venv, data, model, report, wsgi entry point
remove_tree "${DC_REPORT_DIR}"    # only does something when DC_REPORT_DIR is outside the install dir
for partial in "${DC_REPORT_DIR}".new.*; do   # a report a failed build left half-written
    if [[ -e "${partial}" ]]; then remove_tree "${partial}"; fi
done
if [[ -e "${DC_SECRET_KEY_FILE}" ]]; then rm -f "${DC_SECRET_KEY_FILE}"; echo "removed ${DC_SECRET_KEY_FILE}"; fi
if [[ -d "${DC_CONF_DIR}" ]]; then
    if rmdir "${DC_CONF_DIR}" 2>/dev/null; then echo "removed ${DC_CONF_DIR}"
    else warn "${DC_CONF_DIR} holds files that are not ours (settings.toml?); left in place"; fi
fi
for log in "${DC_APACHE_LOG_DIR}/${DC_ERROR_LOG}" "${DC_APACHE_LOG_DIR}/${DC_ACCESS_LOG}"; do
    for f in "${log}" "${log}".*; do
        if [[ -e "${f}" ]]; then rm -f "${f}"; echo "removed ${f}"; fi
    done
done

step 3 "Packages"
PACKAGE_LIST="${DC_STATE_DIR}/installed-packages"
mapfile -t ours < <(cat "${PACKAGE_LIST}" 2>/dev/null || true)
if [[ "${PURGE}" == yes && ${#ours[@]} -gt 0 ]]; then
    present=()
    for pkg in "${ours[@]}"; do package_installed "${pkg}" && present+=("${pkg}"); done
    if [[ ${#present[@]} -gt 0 ]]; then
        # Never take away a package that something installed later depends on.
        extra=$(comm -23 <(apt-get -s purge "${present[@]}" | awk '/^Purg/ { print $2 }' | sort) \
                         <(printf '%s\n' "${ours[@]}" | sort))
        [[ -z "${extra}" ]] || die "purging would also remove packages the build did not install: ${extra//$'\n'/ }"
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=300 "${present[@]}"
    fi
    rm -f "${PACKAGE_LIST}"
    echo "purged: ${present[*]:-nothing left to purge}"
elif [[ ${#ours[@]} -gt 0 ]]; then
    echo "kept ${#ours[@]} package(s) the build installed; remove them with: $0 --purge"
else
    echo "no packages recorded as installed by the build"
fi
rm -f "${DC_STATE_DIR}/apache-was-running" "${DC_STATE_DIR}/wsgi-module-enabled"
if [[ -d "${DC_STATE_DIR}" ]] && rmdir "${DC_STATE_DIR}" 2>/dev/null; then echo "removed ${DC_STATE_DIR}"; fi
echo
echo "cleanup done"
