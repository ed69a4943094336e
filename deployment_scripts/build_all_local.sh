#!/usr/bin/env bash
# Deploy digit_classifier on this machine: Apache + mod_wsgi (daemon mode), a
# trained model and its evaluation report, a secret key, then a health check and
# a real prediction.
#
# Usage: sudo deployment_scripts/build_all_local.sh [--model FILE | --rollback | --skip-train | --retrain]
#                                                   [--profile quick|default|best]
# Settings: deployment_scripts/config_profile.sh (each overridable from the environment).
# Re-running is safe and fast: unchanged steps are skipped, the model and the
# secret key are kept unless asked otherwise. Every path and package it creates
# is recorded in $DC_STATE_DIR/manifest; cleanup.sh removes exactly those.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "${SCRIPT_DIR}/.." && pwd)
# shellcheck source=config_profile.sh
source "${SCRIPT_DIR}/config_profile.sh"
# shellcheck source=lib.sh
source "${SCRIPT_DIR}/lib.sh"
# shellcheck source=model_store.sh
source "${SCRIPT_DIR}/model_store.sh"

usage() {
    cat <<EOF
Usage: $0 [options]
  --model FILE     install FILE as the model instead of training (the store's next version)
  --rollback       retire the newest model version: the previous one answers again
  --skip-train     keep the installed model (fails if there is none)
  --retrain        train even when a valid model is installed
  --install-only   stop after the install (app, venv, model, report, secret key): no Apache site;
                   build_cluster_local.sh uses it for the backends' shared install
  --profile NAME   training profile: quick, default or best (default: ${DC_TRAIN_PROFILE});
                   retrains when the installed model was trained with another profile
  -h, --help       this help
Without options a valid installed model is kept, otherwise one is trained.
Settings come from config_profile.sh; override them from the environment,
e.g. DC_PORT=8080 $0
EOF
}

MODEL_SOURCE=""
TRAIN_MODE="auto"   # auto | skip | force
PROFILE_GIVEN=""    # --profile on the command line: a model of another profile is retrained
ROLLBACK=0
INSTALL_ONLY=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --model) [[ $# -ge 2 ]] || die "--model needs a file"; MODEL_SOURCE=$2; shift 2 ;;
        --skip-train) TRAIN_MODE="skip"; shift ;;
        --rollback) ROLLBACK=1; TRAIN_MODE="skip"; shift ;;
        --retrain) TRAIN_MODE="force"; shift ;;
        --install-only) INSTALL_ONLY=1; shift ;;
        --profile) [[ $# -ge 2 ]] || die "--profile needs a name"; DC_TRAIN_PROFILE=$2; PROFILE_GIVEN=1; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done

[[ ${EUID} -eq 0 ]] || die "must run as root (it installs packages and writes /etc/apache2, ${DC_INSTALL_DIR}); try: sudo $0"
if [[ -n "${MODEL_SOURCE}" ]]; then
    [[ -f "${MODEL_SOURCE}" ]] || die "--model ${MODEL_SOURCE}: no such file"
    MODEL_SOURCE=$(cd "$(dirname "${MODEL_SOURCE}")" && pwd)/$(basename "${MODEL_SOURCE}")
fi
for required in wsgi.py setup.py requirements.txt digit_classifier; do
    [[ -e "${REPO_DIR}/${required}" ]] || die "${REPO_DIR}/${required} is missing: run this script from a checkout"
done

STARTED=$(date +%s)
STEPS=8
VENV_PY="${DC_VENV_DIR}/bin/python"
CLI="${DC_VENV_DIR}/bin/digit-classifier"

# ---------------------------------------------------------------------------
step 1 "System packages"
for setting in DC_INSTALL_DIR DC_APP_DIR DC_VENV_DIR DC_DATA_DIR DC_MODEL_PATH DC_REPORT_DIR DC_WSGI_SCRIPT \
               DC_CONF_DIR DC_SECRET_KEY_FILE DC_STATE_DIR DC_ERROR_DOCS_DIR; do
    why=$(path_refusal "${!setting}")
    [[ -z "${why}" ]] || die "${setting}=${!setting}: ${why}; choose a folder of the deployment's own"
done
make_dir dir "${DC_STATE_DIR}" -m 0755
if [[ -s "${DC_STATE_DIR}/installed-packages" ]]; then   # the list of builds before the manifest
    while read -r pkg; do manifest_add package "${pkg}"; done < "${DC_STATE_DIR}/installed-packages"
    rm -f "${DC_STATE_DIR}/installed-packages"
fi
# Whether Apache ran before our first build decides whether cleanup stops it.
if [[ ! -e "${DC_STATE_DIR}/apache-was-running" ]]; then
    if apache_running; then echo yes; else echo no; fi > "${DC_STATE_DIR}/apache-was-running"
fi
PACKAGES=(apache2 libapache2-mod-wsgi-py3 python3-venv ca-certificates curl gettext-base)
install_packages "${PACKAGES[@]}"

# ---------------------------------------------------------------------------
step 2 "Application and virtualenv in ${DC_INSTALL_DIR}"
make_dir tree "${DC_INSTALL_DIR}" -m 0755 -o root -g root
staging=$(mktemp -d "${DC_INSTALL_DIR}/.app.XXXXXX")
manifest_add tree "${staging}"
trap 'rm -rf "${staging}"' EXIT
cp -a "${REPO_DIR}/digit_classifier" "${REPO_DIR}/setup.py" "${REPO_DIR}/requirements.txt" \
      "${REPO_DIR}/wsgi.py" "${REPO_DIR}/README.md" "${staging}/"
find "${staging}" \( -name __pycache__ -o -name '*.pyc' -o -name '*.egg-info' \) -prune -exec rm -rf {} +
chown -R root:root "${staging}"
chmod -R u=rwX,go=rX "${staging}"
chmod 0755 "${staging}"
if [[ -d "${DC_APP_DIR}" ]] && diff -rq -x __pycache__ -x build -x '*.egg-info' "${staging}" "${DC_APP_DIR}" >/dev/null; then
    echo "app unchanged in ${DC_APP_DIR}"
    rm -rf "${staging}"
else
    if [[ -e "${DC_APP_DIR}" ]]; then remove_owned "${DC_APP_DIR}"; fi
    claim tree "${DC_APP_DIR}"
    mv "${staging}" "${DC_APP_DIR}"
    echo "app copied to ${DC_APP_DIR}"
fi
manifest_forget tree "${staging}"
trap - EXIT

want_version=$("${DC_PYTHON}" -c 'import sys; print(sys.version)')
if [[ -x "${VENV_PY}" ]] && [[ "$("${VENV_PY}" -c 'import sys; print(sys.version)' 2>/dev/null)" == "${want_version}" ]]; then
    echo "virtualenv ${DC_VENV_DIR} already uses ${DC_PYTHON}"
else
    if [[ -e "${DC_VENV_DIR}" ]]; then remove_owned "${DC_VENV_DIR}"; fi
    claim tree "${DC_VENV_DIR}"
    "${DC_PYTHON}" -m venv "${DC_VENV_DIR}"
    echo "virtualenv created with ${DC_PYTHON} (${want_version%% *})"
fi
stamp=$(cd "${DC_APP_DIR}" && find . -path ./build -prune -o -type f ! -name '*.pyc' -print0 \
        | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [[ "$(cat "${DC_VENV_DIR}/.dc-install-stamp" 2>/dev/null)" == "${stamp}" ]]; then
    echo "packages already installed in the virtualenv"
else
    pip=("${VENV_PY}" -m pip --disable-pip-version-check -q)
    "${pip[@]}" install -r "${DC_APP_DIR}/requirements.txt"
    # Non-editable: the venv holds its own copy of the code, the app dir is only
    # the source of it, of wsgi.py and of the static files Apache serves.
    "${pip[@]}" install --no-deps --force-reinstall --use-pep517 "${DC_APP_DIR}"
    # The `report` extra (matplotlib) only draws the evaluation report, which the site
    # can do without: a failure here is a warning, and the next run tries again.
    if "${pip[@]}" install --use-pep517 "${DC_APP_DIR}[report]"; then
        echo "${stamp}" > "${DC_VENV_DIR}/.dc-install-stamp"
        echo "requirements and digit_classifier[report] installed into ${DC_VENV_DIR}"
    else
        warn "could not install the 'report' extra (matplotlib): the model report will be skipped"
    fi
    rm -rf "${DC_APP_DIR}/build" "${DC_APP_DIR}"/*.egg-info
fi
chmod -R go+rX "${DC_VENV_DIR}"

# ---------------------------------------------------------------------------
step 3 "Model ${DC_MODEL_PATH}"
export DIGIT_CLASSIFIER_DATA_DIR="${DC_DATA_DIR}" DIGIT_CLASSIFIER_MODEL="${DC_MODEL_PATH}"
make_dir tree "$(dirname "${DC_MODEL_PATH}")" -m 0755 -o root -g root
model_valid() {  # model_valid FILE: does the installed code load FILE?
    "${VENV_PY}" -c 'import sys; from digit_classifier.model_io import load_model; load_model(sys.argv[1])' "$1" 2>/dev/null
}
fetch_data() {  # the repo's verified copy first, so fetch-data only downloads what is missing
    make_dir tree "${DC_DATA_DIR}" -m 0755
    local f
    for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz \
             t10k-labels-idx1-ubyte.gz; do
        claim file "${DC_DATA_DIR}/${f}"
        if [[ -e "${REPO_DIR}/data/${f}" && ! -e "${DC_DATA_DIR}/${f}" ]]; then cp "${REPO_DIR}/data/${f}" "${DC_DATA_DIR}/"; fi
    done
    "${CLI}" fetch-data --data-dir "${DC_DATA_DIR}"
    chmod -R go+rX "${DC_DATA_DIR}"
}
model_profile() {  # model_profile FILE: the profile FILE was trained with (its version is X+PROFILE.TIME)
    "${VENV_PY}" -c 'import sys; from digit_classifier.model_io import load_model
version = load_model(sys.argv[1])["version"]
print(version.split("+", 1)[1].rsplit(".", 1)[0] if "+" in version else "")' "$1" 2>/dev/null
}
if [[ -n "${PROFILE_GIVEN}" && "${TRAIN_MODE}" == "auto" && -z "${MODEL_SOURCE}" && -f "${DC_MODEL_PATH}" ]]; then
    installed_profile=$(model_profile "${DC_MODEL_PATH}") || installed_profile=""
    if [[ "${installed_profile}" != "${DC_TRAIN_PROFILE}" ]]; then
        echo "--profile ${DC_TRAIN_PROFILE}: the installed model is of profile '${installed_profile:-unknown}', so it is retrained"
        TRAIN_MODE="force"
    fi
fi
new_model=""
if (( ROLLBACK )); then
    [[ -z "${MODEL_SOURCE}" ]] || die "--rollback and --model exclude each other"
    store_rollback
fi
if [[ -n "${MODEL_SOURCE}" ]]; then
    model_valid "${MODEL_SOURCE}" || die "--model ${MODEL_SOURCE} is not a model this version can load"
    new_model="${MODEL_SOURCE}"
    echo "installing the given model ${MODEL_SOURCE}"
elif [[ "${TRAIN_MODE}" != "force" ]] && [[ -f "${DC_MODEL_PATH}" ]] && model_valid "${DC_MODEL_PATH}"; then
    echo "keeping the valid installed model (use --retrain to train a new one, --profile NAME for another profile)"
elif [[ "${TRAIN_MODE}" == "skip" ]]; then
    die "--skip-train: no valid model at ${DC_MODEL_PATH}"
else
    fetch_data
    new_model="$(dirname "${DC_MODEL_PATH}")/.training.pkl"
    claim file "${new_model}"
    echo "training profile '${DC_TRAIN_PROFILE}' (this is the long step)"
    "${CLI}" train --profile "${DC_TRAIN_PROFILE}" --data-dir "${DC_DATA_DIR}" --out "${new_model}"
fi
if [[ -n "${new_model}" ]]; then
    tmp_model="$(dirname "${DC_MODEL_PATH}")/.incoming.pkl"
    claim file "${tmp_model}"
    cp "${new_model}" "${tmp_model}"
    if [[ "${new_model}" != "${MODEL_SOURCE}" ]]; then rm -f "${new_model}"; manifest_forget file "${new_model}"; fi
    chown root:root "${tmp_model}"
    chmod 0644 "${tmp_model}"
    claim file "${DC_MODEL_PATH}"
    mv -f "${tmp_model}" "${DC_MODEL_PATH}"   # atomic: a running daemon never sees half a file
    manifest_forget file "${tmp_model}"
    if fetch_data >/dev/null 2>&1; then
        "${CLI}" evaluate --model "${DC_MODEL_PATH}" --data-dir "${DC_DATA_DIR}"
    else
        warn "MNIST not available: skipped evaluating the model"
    fi
fi
# The versioned store: recorded in the manifest when the build makes it (cleanup removes it).
make_dir tree "${DC_MODEL_STORE}" -m 0755
store_sync "${DC_MODEL_PATH}"
store_prune
chmod -R go+rX "${DC_MODEL_STORE}"

# ---------------------------------------------------------------------------
step 4 "Model report ${DC_REPORT_DIR}"
# Written once per model (the model's SHA-256 is kept beside the report); a failure
# only costs the report: the model card then has no link to it.
# DC_REPORT_DIR may be a folder of the user's (an override naming an existing
# folder): then only the files the build put there are swapped, never the folder.
make_dir tree "${DC_REPORT_DIR}" -m 0755 -o root -g root
REPORT_STAMP="${DC_REPORT_DIR}/.model-sha256"
model_sum=$(sha256sum "${DC_MODEL_PATH}" | cut -d' ' -f1)
clear_report() {  # remove the report the build wrote (all of DC_REPORT_DIR's content when the folder is ours)
    local kind recorded
    if owned "${DC_REPORT_DIR}"; then
        find "${DC_REPORT_DIR}" -mindepth 1 -delete
        return
    fi
    { grep -E '^(file|tree) ' "${MANIFEST}" || true; } | while read -r kind recorded; do
        if [[ "$(dirname "${recorded}")" == "${DC_REPORT_DIR}" ]]; then
            rm -rf -- "${recorded}"
            manifest_forget "${kind}" "${recorded}"
        fi
    done
}
install_report() {  # install_report NEW_DIR: NEW_DIR's files become the report in DC_REPORT_DIR
    local new_dir=$1 entry
    if owned "${DC_REPORT_DIR}"; then
        remove_owned "${DC_REPORT_DIR}"
        mv "${new_dir}" "${DC_REPORT_DIR}"
        return
    fi
    for entry in "${new_dir}"/* "${new_dir}"/.[!.]*; do   # never overwrite a file of the user's
        [[ -e "${entry}" ]] || continue
        if [[ -e "${DC_REPORT_DIR}/${entry##*/}" ]] && ! owned "${DC_REPORT_DIR}/${entry##*/}"; then
            echo "${DC_REPORT_DIR}/${entry##*/} exists and is not the build's" >&2
            return 1
        fi
    done
    clear_report
    for entry in "${new_dir}"/* "${new_dir}"/.[!.]*; do
        [[ -e "${entry}" ]] || continue
        if [[ -d "${entry}" ]]; then claim tree "${DC_REPORT_DIR}/${entry##*/}"; else claim file "${DC_REPORT_DIR}/${entry##*/}"; fi
        mv "${entry}" "${DC_REPORT_DIR}/"
    done
    rmdir "${new_dir}"
}
write_report() {  # evaluate the model into a new folder, then swap it in for the old report
    local new_dir mpl_dir log status=0
    new_dir=$(mktemp -d "${DC_REPORT_DIR}.new.XXXXXX")
    manifest_add tree "${new_dir}"
    mpl_dir=$(mktemp -d)   # matplotlib's font cache: not left in root's home
    log="${new_dir}.log"
    claim file "${log}"
    MPLCONFIGDIR="${mpl_dir}" "${CLI}" evaluate --model "${DC_MODEL_PATH}" --data-dir "${DC_DATA_DIR}" \
        --report "${new_dir}" --json > "${log}" 2>&1 || status=$?
    rm -rf "${mpl_dir}"
    if [[ ${status} -ne 0 || ! -s "${new_dir}/report.html" ]]; then
        tail -n 5 "${log}" >&2
        status=1
    else
        echo "${model_sum}" > "${new_dir}/.model-sha256"
        chmod 0755 "${new_dir}"
        chmod -R go+rX "${new_dir}"
        install_report "${new_dir}" || status=1
    fi
    rm -rf "${new_dir}" "${log}"
    manifest_forget tree "${new_dir}"
    manifest_forget file "${log}"
    return "${status}"
}
if [[ -s "${DC_REPORT_DIR}/report.html" && "$(cat "${REPORT_STAMP}" 2>/dev/null)" == "${model_sum}" ]]; then
    echo "the report of the installed model is already there"
elif report_started=$(date +%s) && fetch_data >/dev/null 2>&1 && write_report; then
    echo "report written to ${DC_REPORT_DIR}/report.html in $(( $(date +%s) - report_started )) s"
else
    # Never leave the report of another model behind.
    clear_report
    warn "could not write the model report (the site works without it; the model card shows no link)"
fi
DC_REPORT_URL=""
if [[ -s "${DC_REPORT_DIR}/report.html" ]]; then DC_REPORT_URL="${DC_REPORT_PAGE}"; fi

# ---------------------------------------------------------------------------
step 5 "Secret key ${DC_SECRET_KEY_FILE}"
make_dir dir "${DC_CONF_DIR}" -m 0755 -o root -g root
make_dir dir "$(dirname "${DC_SECRET_KEY_FILE}")" -m 0755 -o root -g root
if [[ -s "${DC_SECRET_KEY_FILE}" ]]; then
    echo "keeping the existing secret key (sessions and CSRF tokens stay valid)"
else
    claim file "${DC_SECRET_KEY_FILE}"
    (umask 077 && "${DC_PYTHON}" -c 'import secrets; print(secrets.token_hex(32))' > "${DC_SECRET_KEY_FILE}")
    echo "new secret key generated"
fi
chown "root:${DC_APACHE_GROUP}" "${DC_SECRET_KEY_FILE}"
chmod 0640 "${DC_SECRET_KEY_FILE}"

# ---------------------------------------------------------------------------
step 6 "Apache site ${DC_SITE_FILE}"
# Listen only when nothing else (ports.conf, other sites) already listens on the port.
other_listen=$(grep -rlsE "^[[:space:]]*Listen[[:space:]]+([^[:space:]]*:)?${DC_PORT}([[:space:]]|$)" \
               "${DC_APACHE_CONF_DIR}/ports.conf" "${DC_APACHE_CONF_DIR}/conf-enabled" \
               "${DC_APACHE_CONF_DIR}/sites-enabled" | grep -v "/${DC_APP_NAME}.conf$" || true)
if [[ -n "${other_listen}" ]]; then
    DC_LISTEN_LINE="# Listen for port ${DC_PORT} is already in ${other_listen//$'\n'/ }"
else
    DC_LISTEN_LINE="Listen ${DC_LISTEN_ADDRESS:+${DC_LISTEN_ADDRESS}:}${DC_PORT}"
fi
prepare_site "${SCRIPT_DIR}"   # the error documents are part of the install
if (( INSTALL_ONLY )); then
    echo "--install-only: installed in ${DC_INSTALL_DIR} ($(( $(date +%s) - STARTED )) s); no Apache site written"
    exit 0
fi

SITE_BEFORE=$(site_state)
claim file "${DC_WSGI_SCRIPT}"
render "${SCRIPT_DIR}/site.wsgi.template" "${DC_WSGI_SCRIPT}" 0644
claim file "${DC_SITE_FILE}"
render "${SCRIPT_DIR}/apache-site.conf.template" "${DC_SITE_FILE}" 0644
make_dir dir "${DC_APACHE_LOG_DIR}" -m 0755
claim log "${DC_APACHE_LOG_DIR}/${DC_ERROR_LOG}"
claim log "${DC_APACHE_LOG_DIR}/${DC_ACCESS_LOG}"

# ---------------------------------------------------------------------------
step 7 "Enable and (re)start Apache"
if [[ ! -e "${DC_APACHE_CONF_DIR}/mods-enabled/wsgi.load" ]]; then
    a2enmod -q wsgi
    [[ -e "${DC_STATE_DIR}/wsgi-module-enabled" ]] || touch "${DC_STATE_DIR}/wsgi-module-enabled"
fi
claim file "${DC_APACHE_CONF_DIR}/sites-enabled/${DC_APP_NAME}.conf"
a2ensite -q "${DC_APP_NAME}"
apache2ctl configtest
if apache_running; then
    restart_daemons "${SITE_BEFORE}"
else
    apache_service start
    echo "Apache started"
fi

# ---------------------------------------------------------------------------
step 8 "Health check and a real prediction"
ERROR_LOG="${DC_APACHE_LOG_DIR}/${DC_ERROR_LOG}"
show_log_and_die() {
    echo "---- last lines of ${ERROR_LOG} ----" >&2
    tail -n 40 "${ERROR_LOG}" >&2 2>/dev/null || echo "(no error log yet)" >&2
    die "$1"
}
deadline=$(( $(date +%s) + DC_HEALTH_TIMEOUT ))
until curl -fsS -o /dev/null "${DC_URL}/healthz" 2>/dev/null; do
    if (( $(date +%s) >= deadline )); then
        show_log_and_die "${DC_URL}/healthz did not answer 200 within ${DC_HEALTH_TIMEOUT} s"
    fi
    sleep 1
done
echo "healthy: ${DC_URL}/healthz"
SAMPLE="${SCRIPT_DIR}/sample_digit_7.png"
answer=$(curl -sS --max-time 30 -w '\n%{http_code}' -F "image=@\"${SAMPLE}\";type=image/png" \
         "${DC_URL}/api/v1/predict") || show_log_and_die "POST ${DC_URL}/api/v1/predict failed"
status=${answer##*$'\n'}
body=${answer%$'\n'*}
[[ "${status}" == 200 ]] || { echo "${body}" >&2; show_log_and_die "prediction answered HTTP ${status}"; }
digit=$("${VENV_PY}" -c 'import json, sys; print(json.loads(sys.argv[1])["digit"])' "${body}") \
    || show_log_and_die "prediction answer is not the expected JSON: ${body}"
echo "sample image (a handwritten 7 from the MNIST test set) predicted as: ${digit}"
REPORT_LINE="(none: see the warning above)"
if [[ -n "${DC_REPORT_URL}" ]]; then REPORT_LINE="${DC_URL}${DC_REPORT_URL}"; fi

cat <<EOF

digit_classifier is served at ${DC_URL}/  ($(( $(date +%s) - STARTED )) s)
  upload page:  ${DC_URL}/
  API example:  curl -F image=@digit.png ${DC_URL}/api/v1/predict
  model info:   curl ${DC_URL}/api/v1/model
  model report: ${REPORT_LINE}
  logs:         ${ERROR_LOG}, ${DC_APACHE_LOG_DIR}/${DC_ACCESS_LOG}
  new model:    sudo $0 --model FILE   (the store's next version; keeps the last ${DC_KEEP_VERSIONS})
  roll back:    sudo $0 --rollback     (the previous version answers again)
  versions:     curl ${DC_URL}/api/v1/models   (store: ${DC_MODEL_STORE})
  tear down:    sudo ${SCRIPT_DIR}/cleanup.sh [--purge]
EOF
