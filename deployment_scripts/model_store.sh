# shellcheck shell=bash
# The deployment's versioned model store, STORE/NAME/VERSION/model.pkl (sourced, not run).
#
# build_all_local.sh adds every newly installed model as the next version, keeps the
# last DC_KEEP_VERSIONS, and --rollback retires the highest version so the previous one
# answers again. The daemons load the store when they start (the build's graceful
# Apache reload restarts them). A version number is never reused: retired versions
# stay under STORE/.rolled-back/NAME/ (not scanned by the app) until pruned.

# Its settings (DC_MODEL_STORE, DC_MODEL_NAME, DC_KEEP_VERSIONS) are in config_profile.sh.

store_model_dir() {
    echo "${DC_MODEL_STORE}/${DC_MODEL_NAME}"
}

store_retired_dir() {
    echo "${DC_MODEL_STORE}/.rolled-back/${DC_MODEL_NAME}"
}

store_list() {  # store_list DIR: the integer version folders of DIR holding a model.pkl, ascending
    local entry
    [[ -d "$1" ]] || return 0
    for entry in "$1"/*/; do
        entry=$(basename "${entry}")
        [[ "${entry}" =~ ^[0-9]+$ && -f "$1/${entry}/model.pkl" ]] && echo "$((10#${entry}))"
    done | sort -n
}

store_versions() {  # the served versions, ascending
    store_list "$(store_model_dir)"
}

store_next_version() {  # one more than any version ever used (served or retired)
    local highest
    highest=$( { store_versions; store_list "$(store_retired_dir)"; } | sort -n | tail -n 1)
    echo $(( ${highest:-0} + 1 ))
}

store_add() {  # store_add FILE: install FILE as the next version (atomic: a folder rename)
    local dir version incoming
    dir=$(store_model_dir)
    install -d -m 0755 "${DC_MODEL_STORE}" "${dir}"
    version=$(store_next_version)
    incoming=$(mktemp -d "${dir}/.incoming.XXXXXX")
    cp "$1" "${incoming}/model.pkl"
    chmod 0644 "${incoming}/model.pkl"
    chmod 0755 "${incoming}"
    mv "${incoming}" "${dir}/${version}"
    echo "model store: installed ${1} as ${DC_MODEL_NAME} version ${version}"
}

store_sync() {  # store_sync FILE: add FILE as the next version unless it is already the highest
    local latest
    latest=$(store_versions | tail -n 1)
    if [[ -n "${latest}" ]] && cmp -s "$1" "$(store_model_dir)/${latest}/model.pkl"; then
        echo "model store: ${DC_MODEL_NAME} version ${latest} is already this model"
        return 0
    fi
    store_add "$1"
}

store_prune() {  # keep the newest DC_KEEP_VERSIONS served versions and as many retired ones
    local version dir
    (( DC_KEEP_VERSIONS >= 1 )) || die "DC_KEEP_VERSIONS=${DC_KEEP_VERSIONS}: must be >= 1"
    for dir in "$(store_model_dir)" "$(store_retired_dir)"; do
        for version in $(store_list "${dir}" | head -n "-${DC_KEEP_VERSIONS}"); do
            rm -rf "${dir:?}/${version}"
            echo "model store: removed old version ${version} from ${dir}"
        done
    done
}

store_rollback() {  # retire the highest version; copy the previous one to DC_MODEL_PATH
    local versions latest previous tmp
    mapfile -t versions < <(store_versions)
    (( ${#versions[@]} >= 2 )) || die "--rollback: the store $(store_model_dir) has ${#versions[@]} version(s); nothing to roll back to"
    latest=${versions[-1]}
    previous=${versions[-2]}
    install -d -m 0755 "$(store_retired_dir)"
    mv "$(store_model_dir)/${latest}" "$(store_retired_dir)/${latest}"
    tmp="$(dirname "${DC_MODEL_PATH}")/.rollback.pkl"
    cp "$(store_model_dir)/${previous}/model.pkl" "${tmp}"
    chmod 0644 "${tmp}"
    mv -f "${tmp}" "${DC_MODEL_PATH}"
    echo "model store: retired version ${latest}; version ${previous} answers by default again"
}

site_state() {  # what decides whether Apache must reload: the site file and what is enabled
    cat "${DC_SITE_FILE}" 2>/dev/null || true
    [[ -e "${DC_APACHE_CONF_DIR}/sites-enabled/${DC_APP_NAME}.conf" ]] && echo "site enabled"
    [[ -e "${DC_APACHE_CONF_DIR}/mods-enabled/wsgi.load" ]] && echo "mod_wsgi enabled"
    return 0
}

restart_daemons() {  # restart_daemons STATE_BEFORE: apply new code and model without failing a request
    # A graceful reload can fail a request that arrives during it (mod_wsgi's daemon
    # sockets change with Apache's generation; tests/deploy/test_versioned_deploy.py saw
    # 503s). Touching the WSGI script restarts the daemon processes in place instead, so
    # it is used whenever Apache's own configuration did not change.
    if [[ "$(site_state)" == "$1" ]]; then
        touch "${DC_WSGI_SCRIPT}"
        echo "Apache config unchanged: WSGI script touched, the daemon processes restart with the new code and model"
    else
        apache_service reload
        echo "Apache reloaded (graceful: the daemon processes restart with the new code and model)"
    fi
}
