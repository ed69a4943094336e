#!/usr/bin/env bash
# Undo build_all_local.sh: stop serving the site and remove what the build made.
#
# Usage: sudo deployment_scripts/cleanup.sh [--cluster] [--purge]
#   --cluster undo build_cluster_local.sh instead: its HAProxy, backends, namespaces,
#             links and files (its own manifest), then the install if it made that too
#   --purge   also remove the Debian packages the build installed (only those)
# Removes exactly what $DC_STATE_DIR/manifest lists (every path and package the
# build created, see lib.sh) and refuses anything else: system folders, home
# folders, paths with '..', and whatever is not in the manifest, e.g. a user's
# folder named in DC_REPORT_DIR. Without a manifest it removes nothing. Safe to
# run twice and after a failed build. Use the same DC_* overrides as the build.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=config_profile.sh
source "${SCRIPT_DIR}/config_profile.sh"
# shellcheck source=lib.sh
source "${SCRIPT_DIR}/lib.sh"

PURGE=no
CLUSTER=no
STEPS=3
for arg in "$@"; do
    case "${arg}" in
        --purge) PURGE=yes ;;
        --cluster) CLUSTER=yes ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option: ${arg} (try --help)" ;;
    esac
done
[[ ${EUID} -eq 0 ]] || die "must run as root (it changes /etc/apache2 and removes ${DC_INSTALL_DIR}); try: sudo $0"

MADE_INSTALL=""
if [[ "${CLUSTER}" == yes ]]; then   # the cluster's manifest, and whether the cluster build made the install
    DC_STATE_DIR="${DC_CLUSTER_STATE_DIR}"
    MANIFEST="${DC_STATE_DIR}/manifest"
    MADE_INSTALL=$(cat "${DC_STATE_DIR}/made-install" 2>/dev/null || true)
fi
if [[ ! -f "${MANIFEST}" ]]; then
    echo "no manifest ${MANIFEST}: nothing here is provably the build's, so nothing is removed."
    if [[ -e "${DC_SITE_FILE}" || -e "${DC_INSTALL_DIR}" ]]; then
        echo "(${DC_SITE_FILE} or ${DC_INSTALL_DIR} exists: made by a build before manifests, by"
        echo " another tool, or with other DC_* settings; remove it by hand if it is yours)"
    fi
    exit 0
fi
mapfile -t ENTRIES < "${MANIFEST}"
REFUSED=()   # manifest lines the path guard refused: they stay in the manifest

remove_entry() {  # remove_entry KIND PATH: remove one manifest entry (after the path guard)
    local kind=$1 path=$2 why f
    why=""
    [[ "${kind}" == netns || "${kind}" == link ]] || why=$(path_refusal "${path}")
    if [[ -n "${why}" ]]; then
        warn "refusing to remove '${path}' (${why}); left in place"
        REFUSED+=("${kind} ${path}")
        return 0
    fi
    case "${kind}" in
        tree) if [[ -e "${path}" || -L "${path}" ]]; then rm -rf -- "${path}"; echo "removed ${path}"; fi ;;
        file) if [[ -e "${path}" || -L "${path}" ]]; then rm -f -- "${path}"; echo "removed ${path}"; fi ;;
        log)
            for f in "${path}" "${path}".[0-9]*; do
                if [[ -f "${f}" ]]; then rm -f -- "${f}"; echo "removed ${f}"; fi
            done ;;
        dir)
            if [[ -d "${path}" ]]; then
                if rmdir -- "${path}" 2>/dev/null; then echo "removed ${path}"
                else warn "${path} holds files the build did not make (settings.toml?); left in place"; fi
            fi ;;
        netns) remove_netns "${path}" ;;
        link) remove_link "${path}" ;;
        daemon) stop_daemon "${path}" ;;
        *) warn "unknown manifest entry '${kind} ${path}'; ignored" ;;
    esac
}

step 1 "Stop serving the site"
APACHE_CHANGED=no
[[ "${CLUSTER}" == no ]] || echo "(the cluster does not use the system Apache: its own daemons stop in step 2)"
ENABLED_LINK="${DC_APACHE_CONF_DIR}/sites-enabled/${DC_APP_NAME}.conf"
if [[ "${CLUSTER}" == no ]] && [[ -e "${ENABLED_LINK}" || -L "${ENABLED_LINK}" ]]; then
    if owned "${DC_SITE_FILE}"; then
        a2dissite -q "${DC_APP_NAME}"
        APACHE_CHANGED=yes
        echo "site ${DC_APP_NAME} disabled"
    else
        warn "site ${DC_APP_NAME} is enabled but the manifest does not say the build wrote it; left enabled"
    fi
fi
if [[ "${CLUSTER}" == no && -e "${DC_STATE_DIR}/wsgi-module-enabled" ]] && command -v a2dismod >/dev/null; then
    a2dismod -q wsgi || true
    APACHE_CHANGED=yes
    echo "module wsgi disabled (the build had enabled it)"
fi
if [[ "${APACHE_CHANGED}" == yes ]] && apache_running; then
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

step 2 "Remove what the build made (${MANIFEST})"
if owned "${DC_SITE_FILE}"; then
    for partial in "${DC_SITE_FILE}".??????; do   # a render interrupted half-way
        if [[ -f "${partial}" ]]; then rm -f -- "${partial}"; echo "removed ${partial}"; fi
    done
fi
for (( i = ${#ENTRIES[@]} - 1; i >= 0; i-- )); do   # newest first: contents before their folders
    read -r kind path <<< "${ENTRIES[i]}"
    [[ "${kind}" != package ]] || continue                # step 3
    [[ "${path}" != "${DC_STATE_DIR}" ]] || continue      # last, once the manifest is done with
    remove_entry "${kind}" "${path}"
done

step 3 "Packages"
mapfile -t ours < <(printf '%s\n' "${ENTRIES[@]}" | awk '$1 == "package" { print $2 }')
KEEP=()
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
    echo "purged: ${present[*]:-nothing left to purge}"
elif [[ ${#ours[@]} -gt 0 ]]; then
    KEEP=("${ours[@]}")
    echo "kept ${#ours[@]} package(s) the build installed; remove them with: $0 $([[ ${CLUSTER} == yes ]] && echo "--cluster ")--purge"
else
    echo "no packages recorded as installed by the build"
fi

rm -f "${DC_STATE_DIR}/apache-was-running" "${DC_STATE_DIR}/wsgi-module-enabled" "${DC_STATE_DIR}/made-install"
if [[ ${#KEEP[@]} -gt 0 || ${#REFUSED[@]} -gt 0 ]]; then
    # The package list stays, so that a later --purge still knows what to remove,
    # and so do refused entries, for a person to look at.
    {
        if grep -qxF "dir ${DC_STATE_DIR}" <<< "$(printf '%s\n' "${ENTRIES[@]}")"; then printf 'dir %s\n' "${DC_STATE_DIR}"; fi
        if [[ ${#REFUSED[@]} -gt 0 ]]; then printf '%s\n' "${REFUSED[@]}"; fi
        if [[ ${#KEEP[@]} -gt 0 ]]; then printf 'package %s\n' "${KEEP[@]}"; fi
    } > "${MANIFEST}"
else
    rm -f "${MANIFEST}"
    if grep -qxF "dir ${DC_STATE_DIR}" <<< "$(printf '%s\n' "${ENTRIES[@]}")"; then
        remove_entry dir "${DC_STATE_DIR}"
    fi
fi
echo
if [[ ${#REFUSED[@]} -gt 0 ]]; then
    die "refused ${#REFUSED[@]} path(s) of the manifest (see the warnings above); they are still listed in ${MANIFEST}"
fi
echo "cleanup done"
if [[ -n "${MADE_INSTALL}" ]]; then
    echo "the cluster build made the install (${MADE_INSTALL}): removing it too"
    if [[ "${PURGE}" == yes ]]; then DC_STATE_DIR="${MADE_INSTALL}" exec bash "$0" --purge; fi
    DC_STATE_DIR="${MADE_INSTALL}" exec bash "$0"
fi
