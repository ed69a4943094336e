# shellcheck shell=bash
# Small helpers shared by build_all_local.sh and cleanup.sh (sourced, not run).

PROG=$(basename "$0")

step() {  # step N TITLE: a header that stands out in a long log
    printf '\n==> [%s/%s] %s\n' "$1" "${STEPS:-7}" "$2"
}

warn() {
    echo "${PROG}: warning: $*" >&2
}

die() {
    echo "${PROG}: error: $*" >&2
    exit 1
}

package_installed() {  # package_installed NAME: is the Debian package fully installed?
    dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^ii'
}

installed_package_list() {  # sorted names of every installed package
    dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' | sort
}

apache_pid_file() {
    echo "${APACHE_PID_FILE:-/var/run/apache2/apache2.pid}"
}

apache_running() {  # is the system Apache (the one apache2ctl controls) running?
    local pid_file
    pid_file=$(apache_pid_file)
    [[ -s "${pid_file}" ]] && kill -0 "$(cat "${pid_file}")" 2>/dev/null
}

apache_service() {  # apache_service start|stop|reload|restart, via systemd when it is PID 1
    if [[ "$(ps -p 1 -o comm= 2>/dev/null)" == systemd ]]; then
        systemctl "$1" apache2
    else
        service apache2 "$1"
    fi
}

render() {  # render TEMPLATE DEST MODE: substitute exported ${DC_*} only; rewrite DEST only on change
    local template=$1 dest=$2 mode=$3 tmp vars
    # shellcheck disable=SC2016  # the literal text ${NAME} is envsubst's list of variables
    vars=$(printf '${%s} ' "${!DC_@}")
    tmp=$(mktemp "${dest}.XXXXXX")
    envsubst "${vars}" < "${template}" > "${tmp}"
    chmod "${mode}" "${tmp}"
    if [[ -f "${dest}" ]] && cmp -s "${tmp}" "${dest}"; then
        rm -f "${tmp}"
        echo "unchanged: ${dest}"
    else
        mv -f "${tmp}" "${dest}"
        echo "written:   ${dest}"
    fi
}
