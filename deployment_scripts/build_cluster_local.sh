#!/usr/bin/env bash
# Serve digit_classifier from a local cluster: N backends, each its own Apache + mod_wsgi
# in its own network namespace on a bridge (198.18.0.0/15), behind HAProxy on 127.0.0.1.
#
# Usage: sudo deployment_scripts/build_cluster_local.sh [--backends N] [--model FILE] [--port P]
#        sudo deployment_scripts/build_cluster_local.sh --hosts h1:5000,h2:5000 --haproxy-only
# The backends share build_all_local.sh's install and model store (it runs with
# --install-only first). On a running cluster, --model FILE is a rolling update: each
# backend in turn is drained through HAProxy's runtime API, restarted with the new
# model, checked on /healthz and put back. Re-running is safe. Everything it creates
# is recorded in $DC_CLUSTER_STATE_DIR/manifest; cleanup.sh --cluster removes exactly that.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=config_profile.sh
source "${SCRIPT_DIR}/config_profile.sh"
# shellcheck source=lib.sh
source "${SCRIPT_DIR}/lib.sh"
# shellcheck source=model_store.sh
source "${SCRIPT_DIR}/model_store.sh"
MANIFEST="${DC_CLUSTER_STATE_DIR}/manifest"   # the cluster's own, beside the install's

usage() {
    sed -n '4,5p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF
  --backends N       backends in namespaces (default ${DC_CLUSTER_BACKENDS})
  --model FILE       install FILE as the next model version; a rolling update on a running cluster
  --port P           HAProxy's port on 127.0.0.1 (default ${DC_CLUSTER_PORT})
  --hosts LIST       real hosts instead of namespaces: host:port,... (each one ran build_all_local.sh)
  --haproxy-only     with --hosts (implied): only write and (re)start HAProxy here
Settings: the DC_CLUSTER_* rows of config_profile.sh (docs/deployment.md).
EOF
}

MODEL_SOURCE="" HOSTS="" HAPROXY_ONLY=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --backends) [[ $# -ge 2 ]] || die "--backends needs a number"; DC_CLUSTER_BACKENDS=$2; shift 2 ;;
        --model) [[ $# -ge 2 ]] || die "--model needs a file"; MODEL_SOURCE=$2; shift 2 ;;
        --port) [[ $# -ge 2 ]] || die "--port needs a number"; DC_CLUSTER_PORT=$2; shift 2 ;;
        --hosts) [[ $# -ge 2 ]] || die "--hosts needs host:port,..."; HOSTS=$2; shift 2 ;;
        --haproxy-only) HAPROXY_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
[[ ${EUID} -eq 0 ]] || die "must run as root (network namespaces, packages, /etc); try: sudo $0"
[[ "${DC_CLUSTER_BACKENDS}" =~ ^[0-9]+$ ]] && (( DC_CLUSTER_BACKENDS >= 1 && DC_CLUSTER_BACKENDS <= 50 )) \
    || die "--backends ${DC_CLUSTER_BACKENDS}: a number from 1 to 50"
[[ "${DC_CLUSTER_PORT}" =~ ^[0-9]+$ ]] && (( DC_CLUSTER_PORT >= 1 && DC_CLUSTER_PORT <= 65535 )) \
    || die "--port ${DC_CLUSTER_PORT}: not a TCP port"
[[ "${DC_CLUSTER_NAME}" =~ ^[a-z][a-z0-9]{0,5}$ ]] || die "DC_CLUSTER_NAME=${DC_CLUSTER_NAME}: 1-6 lower-case letters or digits"
[[ "${DC_CLUSTER_NET}" =~ ^198\.(18|19)\.([0-9]{1,3})$ ]] && (( BASH_REMATCH[2] <= 255 )) \
    || die "DC_CLUSTER_NET=${DC_CLUSTER_NET}: must be 198.18.X or 198.19.X (the benchmarking range 198.18.0.0/15)"
(( HAPROXY_ONLY == 0 )) || [[ -n "${HOSTS}" ]] || die "--haproxy-only needs --hosts"
[[ -z "${HOSTS}" ]] || HAPROXY_ONLY=1   # real hosts run their own build_all_local.sh
if [[ -n "${MODEL_SOURCE}" ]]; then
    [[ -z "${HOSTS}" ]] || die "--model with --hosts: run build_all_local.sh --model on each host (docs/deployment.md)"
    [[ -f "${MODEL_SOURCE}" ]] || die "--model ${MODEL_SOURCE}: no such file"
    MODEL_SOURCE=$(cd "$(dirname "${MODEL_SOURCE}")" && pwd)/$(basename "${MODEL_SOURCE}")
fi

STARTED=$(date +%s)
STEPS=5
BRIDGE="${DC_CLUSTER_NAME}br"
HAPROXY_CFG="${DC_CLUSTER_CONF_DIR}/haproxy.cfg"
HAPROXY_PID="${DC_CLUSTER_RUN_DIR}/haproxy.pid"
export DC_HAPROXY_SOCKET="${DC_CLUSTER_RUN_DIR}/haproxy.sock"
export DC_CLUSTER_NAME DC_CLUSTER_PORT DC_CLUSTER_CHECK_INTER DC_CLUSTER_CHECK_FALL
BACKEND_POOL="${DC_CLUSTER_NAME}_apps"

backend_ns() { echo "${DC_CLUSTER_NAME}-b$1"; }
backend_address() { echo "${DC_CLUSTER_NET}.$(( 10 + $1 ))"; }
backend_pid_file() { echo "${DC_CLUSTER_RUN_DIR}/b$1/apache2.pid"; }

haproxy_api() {  # haproxy_api COMMAND: one command to HAProxy's runtime API; prints the answer
    "${DC_PYTHON}" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(b"".join(iter(lambda: s.recv(65536), b"")).decode(), end="")' "${DC_HAPROXY_SOCKET}" "$1"
}

server_field() {  # server_field SERVER FIELD: a column of `show stat` (status, scur, ...) for one server
    haproxy_api "show stat" | awk -F, -v pool="${BACKEND_POOL}" -v srv="$1" -v field="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == field || $i == "# " field) col = i; next }
        $1 == pool && $2 == srv { print $col }'
}

server_is() {  # server_is SERVER FIELD VALUE: does `show stat` say so now?
    [[ "$(server_field "$1" "$2")" == "$3" ]]
}

wait_for() {  # wait_for SECONDS WHAT COMMAND...: poll COMMAND every 0.25 s until it succeeds
    local deadline=$(( $(date +%s) + $1 )) what=$2
    shift 2
    until "$@"; do
        (( $(date +%s) < deadline )) || die "${what}: not within the time allowed"
        sleep 0.25
    done
}

# ---------------------------------------------------------------------------
step 1 "Install and packages"
make_dir dir "${DC_CLUSTER_STATE_DIR}" -m 0755
if (( ! HAPROXY_ONLY )); then
    # Whether the install was there before decides whether cleanup.sh --cluster removes it too.
    if [[ ! -e "${DC_CLUSTER_STATE_DIR}/made-install" && ! -e "${DC_STATE_DIR}/manifest" ]]; then
        echo "${DC_STATE_DIR}" > "${DC_CLUSTER_STATE_DIR}/made-install"
    fi
    install_args=(--install-only)
    if [[ -n "${MODEL_SOURCE}" ]]; then install_args+=(--model "${MODEL_SOURCE}")
    elif [[ -f "${DC_MODEL_PATH}" ]]; then install_args+=(--skip-train); fi
    bash "${SCRIPT_DIR}/build_all_local.sh" "${install_args[@]}"
fi
install_packages haproxy iproute2
make_dir dir "${DC_CLUSTER_CONF_DIR}" -m 0755
make_dir tree "${DC_CLUSTER_RUN_DIR}" -m 0755

# ---------------------------------------------------------------------------
step 2 "Network: bridge ${BRIDGE} (${DC_CLUSTER_NET}.0/24) and one namespace per backend"
ensure_bridge() {
    if ! ip link show dev "${BRIDGE}" >/dev/null 2>&1; then
        manifest_add link "${BRIDGE}"
        ip link add "${BRIDGE}" type bridge
    fi
    ip addr replace "${DC_CLUSTER_NET}.1/24" dev "${BRIDGE}"
    ip link set "${BRIDGE}" up
}
ensure_namespace() {  # ensure_namespace I: namespace, veth pair to the bridge, address, loopback
    local ns host_end peer_end=eth0
    ns=$(backend_ns "$1")
    host_end="${DC_CLUSTER_NAME}v$1"
    if ! ip netns list | awk '{ print $1 }' | grep -qxF "${ns}"; then
        manifest_add netns "${ns}"
        ip netns add "${ns}"
    fi
    if ! ip link show dev "${host_end}" >/dev/null 2>&1; then
        manifest_add link "${host_end}"
        ip link add "${host_end}" type veth peer name "${DC_CLUSTER_NAME}p$1" netns "${ns}"
        ip -n "${ns}" link set "${DC_CLUSTER_NAME}p$1" name "${peer_end}"
    fi
    ip link set "${host_end}" master "${BRIDGE}" up
    ip -n "${ns}" addr replace "$(backend_address "$1")/24" dev "${peer_end}"
    ip -n "${ns}" link set lo up
    ip -n "${ns}" link set "${peer_end}" up
    echo "backend b$1: namespace ${ns}, $(backend_address "$1"):${DC_CLUSTER_BACKEND_PORT}"
}
if [[ -z "${HOSTS}" ]]; then
    ensure_bridge
    for (( i = 1; i <= DC_CLUSTER_BACKENDS; i++ )); do ensure_namespace "${i}"; done
else
    echo "real hosts: ${HOSTS} (no namespaces)"
fi

# ---------------------------------------------------------------------------
step 3 "Backends: Apache + mod_wsgi in each namespace"
DC_REPORT_URL=""
if [[ -s "${DC_REPORT_DIR}/report.html" ]]; then DC_REPORT_URL="${DC_REPORT_PAGE}"; fi
export DC_BACKEND DC_BACKEND_NS DC_BACKEND_ADDRESS DC_BACKEND_CONF_DIR DC_BACKEND_RUN_DIR
write_backend() {  # write_backend I: the backend's WSGI script, site and server config (rendered)
    DC_BACKEND="b$1" DC_BACKEND_NS=$(backend_ns "$1") DC_BACKEND_ADDRESS=$(backend_address "$1")
    DC_BACKEND_CONF_DIR="${DC_CLUSTER_CONF_DIR}/b$1" DC_BACKEND_RUN_DIR="${DC_CLUSTER_RUN_DIR}/b$1"
    DC_APACHE_LOG_DIR="${DC_CLUSTER_LOG_DIR}/b$1" DC_ERROR_LOG=error.log DC_ACCESS_LOG=access.log
    DC_PORT=${DC_CLUSTER_BACKEND_PORT} DC_LISTEN_LINE="Listen ${DC_BACKEND_ADDRESS}:${DC_CLUSTER_BACKEND_PORT}"
    # Its own WSGI script (inside the install, where the site grants it): touching it restarts this backend only.
    DC_WSGI_SCRIPT="${DC_INSTALL_DIR}/${DC_CLUSTER_NAME}-b$1.wsgi"
    prepare_site "${SCRIPT_DIR}" >/dev/null
    make_dir dir "${DC_BACKEND_CONF_DIR}" -m 0755
    make_dir dir "${DC_BACKEND_RUN_DIR}" -m 0755
    make_dir tree "${DC_APACHE_LOG_DIR}" -m 0755
    claim file "${DC_WSGI_SCRIPT}"
    render "${SCRIPT_DIR}/site.wsgi.template" "${DC_WSGI_SCRIPT}" 0644
    claim file "${DC_BACKEND_CONF_DIR}/site.conf"
    render "${SCRIPT_DIR}/apache-site.conf.template" "${DC_BACKEND_CONF_DIR}/site.conf" 0644
    claim file "${DC_BACKEND_CONF_DIR}/apache2.conf"
    render "${SCRIPT_DIR}/cluster-apache.conf.template" "${DC_BACKEND_CONF_DIR}/apache2.conf" 0644
    /usr/sbin/apache2 -t -f "${DC_BACKEND_CONF_DIR}/apache2.conf" >/dev/null 2>&1 \
        || { /usr/sbin/apache2 -t -f "${DC_BACKEND_CONF_DIR}/apache2.conf"; die "b$1: Apache config test failed"; }
}
backend_apache() {  # backend_apache I start|graceful: Apache's own control, inside the namespace
    ip netns exec "$(backend_ns "$1")" /usr/sbin/apache2 -f "${DC_CLUSTER_CONF_DIR}/b$1/apache2.conf" -k "$2"
}
backend_serves_latest() {  # backend_serves_latest I: /healthz answers 200 from the store's newest version
    local latest body
    latest=$(store_versions | tail -n 1)
    body=$(curl -fsS --max-time 5 "http://$(backend_address "$1"):${DC_CLUSTER_BACKEND_PORT}/healthz" 2>/dev/null) || return 1
    [[ "$("${DC_PYTHON}" -c 'import json, sys; print(json.loads(sys.argv[1])["model"]["store_version"])' "${body}")" \
        == "${latest}" ]]
}
roll_backend() {  # roll_backend I: drain it in HAProxy, restart its daemons, wait for the new model, enable it
    local srv="b$1"
    haproxy_api "set server ${BACKEND_POOL}/${srv} state drain" >/dev/null
    wait_for 60 "${srv}: in-flight requests to finish" server_is "${srv}" scur 0
    haproxy_api "set server ${BACKEND_POOL}/${srv} state maint" >/dev/null
    # No traffic reaches it now, so a graceful restart (all its daemons at once) costs no request.
    backend_apache "$1" graceful
    wait_for "${DC_HEALTH_TIMEOUT}" "${srv}: /healthz with model version $(store_versions | tail -n 1)" backend_serves_latest "$1"
    haproxy_api "set server ${BACKEND_POOL}/${srv} state ready" >/dev/null
    wait_for 60 "${srv}: marked UP by HAProxy again" server_is "${srv}" status UP
    echo "rolled ${srv}: drained, restarted, healthy, back in rotation"
}
HAPROXY_WAS_RUNNING=no
if [[ -n "$(pidfile_pid "${HAPROXY_PID}")" ]]; then HAPROXY_WAS_RUNNING=yes; fi
if [[ -z "${HOSTS}" ]]; then
    for (( i = 1; i <= DC_CLUSTER_BACKENDS; i++ )); do
        write_backend "${i}"
        if [[ -z "$(pidfile_pid "$(backend_pid_file "${i}")")" ]]; then
            manifest_add daemon "$(backend_pid_file "${i}")"
            backend_apache "${i}" start
            echo "b${i}: Apache started in $(backend_ns "${i}")"
        elif [[ -n "${MODEL_SOURCE}" && "${HAPROXY_WAS_RUNNING}" == yes ]]; then
            roll_backend "${i}"
        elif [[ -n "${MODEL_SOURCE}" ]]; then
            backend_apache "${i}" graceful
        else
            echo "b${i}: Apache already running"
        fi
    done
fi

# ---------------------------------------------------------------------------
step 4 "HAProxy on 127.0.0.1:${DC_CLUSTER_PORT}"
DC_HAPROXY_SERVER_LINES=""
if [[ -n "${HOSTS}" ]]; then
    IFS=, read -r -a host_list <<< "${HOSTS}"
    for host in "${host_list[@]}"; do
        [[ "${host}" =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] || die "--hosts: '${host}' is not host:port"
        DC_HAPROXY_SERVER_LINES+="    server ${host/:/_} ${host}"$'\n'   # X-Served-By: host_port
    done
else
    for (( i = 1; i <= DC_CLUSTER_BACKENDS; i++ )); do
        DC_HAPROXY_SERVER_LINES+="    server b${i} $(backend_address "${i}"):${DC_CLUSTER_BACKEND_PORT}"$'\n'
    done
fi
# HAProxy's own errors (no backend left, a timeout, a bad request) in the app's JSON shape.
make_dir dir "${DC_CLUSTER_CONF_DIR}/errors" -m 0755
set_upload_limit_text
DC_HAPROXY_ERROR_LINES=""
for doc in "${SCRIPT_DIR}"/error_documents/{400,408,413,500,502,503,504}.json; do
    code=$(basename "${doc}" .json)
    claim file "${DC_CLUSTER_CONF_DIR}/errors/${code}.json"
    render "${doc}" "${DC_CLUSTER_CONF_DIR}/errors/${code}.json" 0644 >/dev/null
    DC_HAPROXY_ERROR_LINES+="    http-error status ${code} content-type application/json file ${DC_CLUSTER_CONF_DIR}/errors/${code}.json"$'\n'
done
export DC_HAPROXY_SERVER_LINES DC_HAPROXY_ERROR_LINES
cfg_before=$(cat "${HAPROXY_CFG}" 2>/dev/null || true)
claim file "${HAPROXY_CFG}"
render "${SCRIPT_DIR}/cluster-haproxy.cfg.template" "${HAPROXY_CFG}" 0644
haproxy -c -q -f "${HAPROXY_CFG}" || { haproxy -c -f "${HAPROXY_CFG}"; die "HAProxy config test failed"; }
if [[ "${HAPROXY_WAS_RUNNING}" == yes && "$(cat "${HAPROXY_CFG}")" == "${cfg_before}" ]]; then
    echo "HAProxy already running with this configuration"
elif [[ "${HAPROXY_WAS_RUNNING}" == yes ]]; then
    # -sf: the new process takes the port; the old one finishes its connections, then exits.
    haproxy -f "${HAPROXY_CFG}" -D -p "${HAPROXY_PID}" -sf "$(pidfile_pid "${HAPROXY_PID}")"
    echo "HAProxy reloaded"
else
    manifest_add daemon "${HAPROXY_PID}"
    haproxy -f "${HAPROXY_CFG}" -D -p "${HAPROXY_PID}"
    echo "HAProxy started"
fi

# ---------------------------------------------------------------------------
step 5 "Health: every backend UP in HAProxy, a prediction through it"
URL="http://127.0.0.1:${DC_CLUSTER_PORT}"
if [[ -z "${HOSTS}" ]]; then
    for (( i = 1; i <= DC_CLUSTER_BACKENDS; i++ )); do
        wait_for "${DC_HEALTH_TIMEOUT}" "b${i} UP in HAProxy (see ${DC_CLUSTER_LOG_DIR}/b${i}/error.log)" \
            server_is "b${i}" status UP
    done
    answer=$(curl -fsS --max-time 30 -F "image=@\"${SCRIPT_DIR}/sample_digit_7.png\";type=image/png" \
             -D - "${URL}/api/v1/predict") || die "POST ${URL}/api/v1/predict failed"
    echo "sample 7 predicted as: $(grep -o '"digit": *[0-9]' <<< "${answer}" | tr -dc 0-9), served by" \
         "$(grep -i '^x-served-by:' <<< "${answer}" | cut -d' ' -f2 | tr -d '\r')"
fi
BACKEND_LINE="${DC_CLUSTER_BACKENDS} in namespaces ${DC_CLUSTER_NAME}-b1.. on ${DC_CLUSTER_NET}.0/24"
[[ -z "${HOSTS}" ]] || BACKEND_LINE="${HOSTS} (update each with build_all_local.sh, docs/deployment.md)"
cat <<EOF

digit_classifier cluster ${DC_CLUSTER_NAME} is served at ${URL}/  ($(( $(date +%s) - STARTED )) s)
  backends:     ${BACKEND_LINE}
  runtime API:  ${DC_HAPROXY_SOCKET} (e.g. echo "show stat" | socat stdio ${DC_HAPROXY_SOCKET})
  new model:    sudo $0 --model FILE   (rolling: one backend at a time, no failed request)
  tear down:    sudo ${SCRIPT_DIR}/cleanup.sh --cluster [--purge]
EOF
