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

# --- what the build made ------------------------------------------------------
# The manifest ($DC_STATE_DIR/manifest) has one line per thing the build created,
# "KIND PATH" (or "package NAME"), in the order it made them:
#   tree PATH     a directory whose whole content is the build's (rm -rf)
#   dir PATH      a directory the build made; removed only once empty
#   file PATH     a file (or symlink) the build made
#   log PATH      a log file Apache writes for the site, with its rotations PATH.*
#   package NAME  a Debian package that apt installed during the build
# Only what did not exist before is recorded, so a user's folder named in an
# override (DC_REPORT_DIR, DC_SECRET_KEY_FILE, a log) is never recorded, and
# cleanup.sh removes the manifest's entries and nothing else.
MANIFEST="${DC_STATE_DIR}/manifest"

# Paths that are never ours, whatever a setting or the manifest says.
PROTECTED_PATHS=(/ /bin /boot /dev /etc /home /lib /lib32 /lib64 /libx32 /media /mnt /opt /proc /root
                 /run /sbin /srv /sys /tmp /usr /usr/bin /usr/lib /usr/lib64 /usr/libexec /usr/local
                 /usr/local/bin /usr/local/lib /usr/local/share /usr/sbin /usr/share /usr/src /var
                 /var/backups /var/cache /var/lib /var/local /var/log /var/mail /var/opt /var/spool
                 /var/tmp /var/www /var/www/html /etc/apache2 /etc/apache2/sites-available
                 /etc/apache2/sites-enabled /etc/apache2/conf-available /etc/apache2/conf-enabled
                 /etc/apache2/mods-available /etc/apache2/mods-enabled /var/log/apache2 /var/lib/apache2)

path_refusal() {  # path_refusal PATH: print why PATH can never be ours; print nothing when it may be
    local path=$1 clean resolved home protected
    if [[ "${path}" != /* ]]; then echo "not an absolute path"; return; fi
    if [[ "/${path}/" == *"/../"* || "/${path}/" == *"/./"* ]]; then echo "it has a '.' or '..' component"; return; fi
    for clean in "${path}" "$(realpath -m -- "${path}")"; do
        clean=$(printf '%s' "${clean}" | tr -s /)
        [[ "${clean}" == / ]] || clean=${clean%/}
        for protected in "${PROTECTED_PATHS[@]}"; do
            if [[ "${clean}" == "${protected}" ]]; then echo "${protected} is a system directory"; return; fi
        done
        if [[ "${clean}" != /*/* ]]; then echo "it is a top-level directory"; return; fi
        while IFS=: read -r _ _ _ _ _ home _; do
            [[ -n "${home}" && "${home}" != / ]] || continue
            if [[ "${clean}" == "${home%/}" ]]; then echo "it is a home directory"; return; fi
        done < /etc/passwd
        if [[ "${clean}" == /home/* || "${clean}" == /root/* ]]; then echo "it is inside a home directory"; return; fi
        resolved=${clean}
    done
    : "${resolved}"
}

check_path() {  # check_path PATH: die unless PATH may be made (or removed) by us
    local why
    why=$(path_refusal "$1")
    [[ -z "${why}" ]] || die "refusing '$1': ${why}"
}

manifest_add() {  # manifest_add KIND PATH: record that the build made PATH (once)
    grep -qxF -- "$1 $2" "${MANIFEST}" 2>/dev/null || printf '%s %s\n' "$1" "$2" >> "${MANIFEST}"
}

manifest_forget() {  # manifest_forget KIND PATH: drop a line (a temporary path that is gone again)
    [[ -f "${MANIFEST}" ]] || return 0
    grep -vxF -- "$1 $2" "${MANIFEST}" > "${MANIFEST}.tmp" || true
    mv -f "${MANIFEST}.tmp" "${MANIFEST}"
}

owned() {  # owned PATH: did the build make PATH (recorded itself, or inside a recorded tree)?
    local path=$1 kind recorded
    [[ -f "${MANIFEST}" ]] || return 1
    while read -r kind recorded; do
        case "${kind}" in
            tree) [[ "${path}" == "${recorded}" || "${path}" == "${recorded}/"* ]] && return 0 ;;
            dir|file|log) [[ "${path}" == "${recorded}" ]] && return 0 ;;
        esac
    done < "${MANIFEST}"
    return 1
}

make_dir() {  # make_dir tree|dir DIR [install options]: install -d DIR, recording each folder it creates
    # The options (mode, owner) apply to a folder the build makes or made, never to one of the user's.
    local kind=$1 dir=$2 missing=() d
    shift 2
    d=${dir}
    while [[ ! -e "${d}" && ! -L "${d}" ]]; do missing=("${d}" "${missing[@]}"); d=$(dirname "${d}"); done
    for d in "${missing[@]}"; do check_path "${d}"; done
    if [[ ${#missing[@]} -gt 0 ]] || owned "${dir}"; then install -d "$@" "${dir}"; fi
    for d in "${missing[@]}"; do
        if [[ "${d}" == "${dir}" ]]; then manifest_add "${kind}" "${d}"; else manifest_add dir "${d}"; fi
    done
}

claim() {  # claim tree|dir|file|log PATH: before creating PATH, record it when it does not exist yet
    check_path "$2"   # (and is not inside a tree of ours already)
    [[ -e "$2" || -L "$2" ]] || owned "$2" || manifest_add "$1" "$2"
}

remove_owned() {  # remove_owned PATH: rm -rf PATH, which must be ours (build-time replacements)
    check_path "$1"
    owned "$1" || die "refusing to remove $1: the manifest ${MANIFEST} does not say the build made it"
    rm -rf -- "$1"
}

install_packages() {  # install_packages NAME...: apt-get install the missing ones, recording every new package
    local pkg missing=() before new_packages
    for pkg in "$@"; do
        package_installed "${pkg}" || missing+=("${pkg}")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        echo "already installed: $*"
        return 0
    fi
    echo "installing: ${missing[*]}"
    before=$(installed_package_list)
    export DEBIAN_FRONTEND=noninteractive
    apt_install() { apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "$@"; }
    apt_install "${missing[@]}" || { apt-get update -q -o DPkg::Lock::Timeout=300 && apt_install "${missing[@]}"; }
    # Everything that appeared now (dependencies too) is ours to purge later.
    new_packages=$(comm -13 <(echo "${before}") <(installed_package_list))
    for pkg in ${new_packages}; do manifest_add package "${pkg}"; done
    echo "recorded $(grep -c '^package ' "${MANIFEST}") package(s) in ${MANIFEST}"
}

# --- the cluster's processes and network (build_cluster_local.sh, cleanup.sh --cluster) ---
# Manifest kinds of the cluster: "netns NAME" (a network namespace, with every process in
# it), "link NAME" (a bridge or veth on the host) and "daemon PIDFILE" (an HAProxy or
# Apache started by the build; the PID counts only while it is still that program).

pidfile_pid() {  # pidfile_pid PIDFILE: the PID in PIDFILE when it is a live haproxy or apache2; else nothing
    local pid exe
    [[ -s "$1" ]] || return 0
    pid=$(head -n 1 "$1" | tr -dc 0-9)
    [[ -n "${pid}" ]] || return 0
    exe=$(readlink "/proc/${pid}/exe" 2>/dev/null) || return 0
    [[ "${exe}" == */haproxy || "${exe}" == */apache2 ]] && echo "${pid}"
    return 0
}

pid_alive() {  # pid_alive PID: running, and not a zombie (a daemon's parent here may never reap it)
    local state
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ -n "${state}" && "${state}" != Z ]]
}

end_pids() {  # end_pids PID...: SIGTERM, up to 15 s to exit, then SIGKILL
    local pid alive tries
    [[ $# -gt 0 ]] || return 0
    kill -TERM "$@" 2>/dev/null || true
    for (( tries = 0; tries < 60; tries++ )); do
        alive=()
        for pid in "$@"; do pid_alive "${pid}" && alive+=("${pid}"); done
        [[ ${#alive[@]} -gt 0 ]] || return 0
        sleep 0.25
    done
    kill -KILL "${alive[@]}" 2>/dev/null || true
}

stop_daemon() {  # stop_daemon PIDFILE: end the haproxy/apache2 it names, remove the PID file
    local pid
    pid=$(pidfile_pid "$1")
    if [[ -n "${pid}" ]]; then end_pids "${pid}"; echo "stopped PID ${pid} ($1)"; fi
    rm -f -- "$1"
}

valid_net_name() {  # valid_net_name NAME: a namespace or link name the build could have made
    [[ "$1" =~ ^[A-Za-z0-9_.-]{1,15}$ ]]
}

remove_netns() {  # remove_netns NAME: end every process inside it, then delete it (its veth ends go too)
    valid_net_name "$1" || { warn "not a namespace name: '$1'"; return 0; }
    ip netns list | awk '{ print $1 }' | grep -qxF -- "$1" || return 0
    # shellcheck disable=SC2046  # one PID a word
    end_pids $(ip netns pids "$1")
    ip netns delete "$1"
    echo "removed network namespace $1"
}

remove_link() {  # remove_link NAME: delete a host link (bridge or veth) when it exists
    valid_net_name "$1" || { warn "not a link name: '$1'"; return 0; }
    ip link show dev "$1" >/dev/null 2>&1 || return 0
    ip link delete dev "$1"
    echo "removed link $1"
}

set_upload_limit_text() {  # export DC_UPLOAD_LIMIT_TEXT, the upload limit in words ("10 MiB")
    if (( DC_MAX_UPLOAD_BYTES % 1048576 == 0 )); then DC_UPLOAD_LIMIT_TEXT="$(( DC_MAX_UPLOAD_BYTES / 1048576 )) MiB"
    elif (( DC_MAX_UPLOAD_BYTES % 1024 == 0 )); then DC_UPLOAD_LIMIT_TEXT="$(( DC_MAX_UPLOAD_BYTES / 1024 )) KiB"
    else DC_UPLOAD_LIMIT_TEXT="${DC_MAX_UPLOAD_BYTES} bytes"; fi
    export DC_UPLOAD_LIMIT_TEXT
}

prepare_site() {  # prepare_site SCRIPT_DIR: the error documents and the exported DC_* the site templates use
    local script_dir=$1
    DC_STATIC_DIR="${DC_APP_DIR}/digit_classifier/web/static"
    DC_WSGI_SCRIPT_NAME=$(basename "${DC_WSGI_SCRIPT}")
    DC_SERVER_TOKENS_LINE="# ServerTokens: left to the server's own configuration (DC_SERVER_TOKENS is empty)"
    if [[ -n "${DC_SERVER_TOKENS}" ]]; then
        DC_SERVER_TOKENS_LINE="# DC_SERVER_TOKENS: server-wide, it changes the Server header of every site"$'\n'
        DC_SERVER_TOKENS_LINE+="ServerTokens ${DC_SERVER_TOKENS}"
    fi
    # The error documents: the JSON ones as they are in deployment_scripts/error_documents, the
    # HTML pages from one template and the table pages.txt (status|title|message); the limit filled in.
    set_upload_limit_text
    make_dir tree "${DC_ERROR_DOCS_DIR}" -m 0755 -o root -g root
    DC_ERROR_DOCUMENT_LINES=""
    DC_ERROR_DOCUMENT_JSON_LINES=""
    local doc name status title message
    while IFS='|' read -r status title message; do
        [[ -z "${status}" || "${status}" == \#* ]] && continue
        DC_ERROR_STATUS=${status}
        DC_ERROR_TITLE=${title}
        DC_ERROR_MESSAGE=${message//'${DC_UPLOAD_LIMIT_TEXT}'/${DC_UPLOAD_LIMIT_TEXT}}
        export DC_ERROR_STATUS DC_ERROR_TITLE DC_ERROR_MESSAGE
        claim file "${DC_ERROR_DOCS_DIR}/${status}.html"
        render "${script_dir}/error_documents/page.html.template" "${DC_ERROR_DOCS_DIR}/${status}.html" 0644 >/dev/null
        DC_ERROR_DOCUMENT_LINES+="    ErrorDocument ${status} /_errors/${status}.html"$'\n'
    done < "${script_dir}/error_documents/pages.txt"
    for doc in "${script_dir}"/error_documents/*.json; do
        name=$(basename "${doc}")
        claim file "${DC_ERROR_DOCS_DIR}/${name}"
        render "${doc}" "${DC_ERROR_DOCS_DIR}/${name}" 0644 >/dev/null
        DC_ERROR_DOCUMENT_JSON_LINES+="        ErrorDocument ${name%.*} /_errors/${name}"$'\n'
    done
    echo "error documents in ${DC_ERROR_DOCS_DIR}"
    DC_ERROR_DOCUMENT_LINES=${DC_ERROR_DOCUMENT_LINES%$'\n'}
    DC_ERROR_DOCUMENT_JSON_LINES=${DC_ERROR_DOCUMENT_JSON_LINES%$'\n'}
    export DC_APP_NAME DC_INSTALL_DIR DC_APP_DIR DC_VENV_DIR DC_DATA_DIR DC_MODEL_PATH DC_MODEL_STORE DC_MODEL_NAME \
           DC_WSGI_SCRIPT DC_WSGI_SCRIPT_NAME DC_SECRET_KEY_FILE DC_CONF_DIR DC_PORT DC_SERVER_NAME DC_PROCESSES DC_THREADS \
           DC_APACHE_USER DC_APACHE_GROUP DC_APACHE_LOG_DIR DC_ERROR_LOG DC_ACCESS_LOG \
           DC_MAX_UPLOAD_BYTES DC_APACHE_BODY_LIMIT DC_LISTEN_LINE DC_STATIC_DIR DC_REPORT_DIR DC_REPORT_URL \
           DC_SERVER_TOKENS_LINE DC_ERROR_DOCS_DIR DC_ERROR_DOCUMENT_LINES DC_ERROR_DOCUMENT_JSON_LINES \
           DC_MAXIMUM_REQUESTS DC_RESTART_INTERVAL DC_GRACEFUL_TIMEOUT DC_SHUTDOWN_TIMEOUT DC_DEADLOCK_TIMEOUT \
           DC_REQUEST_TIMEOUT DC_QUEUE_TIMEOUT DC_SOCKET_TIMEOUT DC_STARTUP_TIMEOUT DC_INACTIVITY_TIMEOUT
}
