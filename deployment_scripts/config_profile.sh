# shellcheck shell=bash disable=SC2034  # every variable here is used by the scripts that source it
# Every deployment setting of digit_classifier, in one place.
#
# Sourced by build_all_local.sh and cleanup.sh. Each setting can be overridden
# from the environment, e.g.  DC_PORT=8080 DC_PROCESSES=4 ./build_all_local.sh
# Use the same overrides for cleanup.sh so it finds what the build made.

# --- names -------------------------------------------------------------------
: "${DC_APP_NAME:=digit_classifier}"              # Apache site name, daemon process group, log prefix

# --- where things go (never under a home directory: www-data must read them) -
: "${DC_INSTALL_DIR:=/opt/${DC_APP_NAME}}"        # everything the build copies or builds
: "${DC_APP_DIR:=${DC_INSTALL_DIR}/app}"          # copy of the package, setup.py, wsgi.py, ...
: "${DC_VENV_DIR:=${DC_INSTALL_DIR}/venv}"        # virtualenv of DC_PYTHON (mod_wsgi embeds that Python)
: "${DC_DATA_DIR:=${DC_INSTALL_DIR}/data}"        # MNIST .gz files
: "${DC_MODEL_PATH:=${DC_INSTALL_DIR}/model/model.pkl}"  # the model the site serves
: "${DC_MODEL_STORE:=${DC_INSTALL_DIR}/models}"    # the store the site serves (DIGIT_CLASSIFIER_MODEL_STORE)
: "${DC_MODEL_NAME:=digits}"                      # the model name requests get by default
: "${DC_KEEP_VERSIONS:=5}"                        # versions kept in the store (and retired ones kept)
: "${DC_REPORT_DIR:=${DC_INSTALL_DIR}/report}"     # evaluation report of that model, served by Apache at /report/
: "${DC_WSGI_SCRIPT:=${DC_INSTALL_DIR}/${DC_APP_NAME}.wsgi}"  # generated entry point; touch it to reload
: "${DC_CONF_DIR:=/etc/${DC_APP_NAME}}"           # secret key (and nothing else secret)
: "${DC_SECRET_KEY_FILE:=${DC_CONF_DIR}/secret_key}"  # 0640 root:DC_APACHE_GROUP, kept across re-runs
: "${DC_STATE_DIR:=/var/lib/${DC_APP_NAME}}"      # the manifest of what the build made, so cleanup undoes only that
: "${DC_ERROR_DOCS_DIR:=${DC_INSTALL_DIR}/errors}"  # Apache's error pages / JSON bodies, served at /_errors/

# --- Python ------------------------------------------------------------------
# Debian's libapache2-mod-wsgi-py3 embeds /usr/bin/python3; a venv of another
# Python would not import under it.
: "${DC_PYTHON:=/usr/bin/python3}"

# --- Apache ------------------------------------------------------------------
: "${DC_PORT:=5000}"                              # the site's own port (ports.conf keeps 80)
: "${DC_LISTEN_ADDRESS:=127.0.0.1}"               # set to "" to listen on every interface
: "${DC_SERVER_NAME:=localhost}"
: "${DC_PROCESSES:=2}"                            # mod_wsgi daemon processes
: "${DC_THREADS:=4}"                              # threads per daemon process
: "${DC_APACHE_USER:=www-data}"
: "${DC_APACHE_GROUP:=www-data}"
: "${DC_APACHE_CONF_DIR:=/etc/apache2}"
: "${DC_APACHE_LOG_DIR:=/var/log/apache2}"
: "${DC_ERROR_LOG:=${DC_APP_NAME}_error.log}"     # inside DC_APACHE_LOG_DIR
: "${DC_ACCESS_LOG:=${DC_APP_NAME}_access.log}"   # inside DC_APACHE_LOG_DIR

# --- the app -----------------------------------------------------------------
# DC_MODEL_PATH, DC_DATA_DIR, DC_SECRET_KEY_FILE, DC_MAX_UPLOAD_BYTES and DC_CONF_DIR reach
# the app as DIGIT_CLASSIFIER_* variables: the mapping is the table in docs/settings.md.
: "${DC_MAX_UPLOAD_BYTES:=10485760}"              # one request to the app (10 MiB: a phone photo fits)
# Apache's LimitRequestBody is a backstop above the app's own request limit, so
# the app answers oversize uploads itself (JSON 413 on the API, the upload page
# with a message on the pages); only absurd bodies meet Apache's 413, which the
# site's error documents also answer in JSON / a friendly page. 0 means "derive":
# 2 x the upload limit.
: "${DC_APACHE_BODY_LIMIT:=0}"
: "${DC_TRAIN_PROFILE:=default}"                  # quick | default | best
: "${DC_HEALTH_TIMEOUT:=60}"                      # seconds build_all_local.sh waits for /healthz
# Server-wide ServerTokens (the Server: header of every site on this Apache).
# Empty: leave it to the server (Debian: "OS" in conf-enabled/security.conf).
# "Prod" etc.: the site file sets it, which changes every site; cleanup removes it with the site.
: "${DC_SERVER_TOKENS:=}"

# --- mod_wsgi daemon limits (WSGIDaemonProcess; why these values: docs/deployment.md) -
: "${DC_MAXIMUM_REQUESTS:=50000}"      # requests per daemon process, then a graceful restart (bounds slow leaks)
: "${DC_RESTART_INTERVAL:=86400}"      # seconds; a graceful restart at least daily, even on a quiet site
: "${DC_GRACEFUL_TIMEOUT:=15}"         # seconds a restarting process waits for requests in flight
: "${DC_SHUTDOWN_TIMEOUT:=5}"          # seconds for atexit/shutdown before a process is killed
: "${DC_DEADLOCK_TIMEOUT:=60}"         # seconds the GIL may stay held (a deadlock) before a restart
: "${DC_REQUEST_TIMEOUT:=60}"          # seconds one request may run before its process is restarted
: "${DC_QUEUE_TIMEOUT:=45}"            # seconds a request may wait for a free daemon thread, then 503
: "${DC_SOCKET_TIMEOUT:=60}"           # seconds of silence on the Apache <-> daemon socket, then 504
: "${DC_STARTUP_TIMEOUT:=30}"          # seconds to load wsgi.py (and the model) before a retry
: "${DC_INACTIVITY_TIMEOUT:=0}"        # 0: idle processes are never restarted (the model stays loaded)

# --- the local cluster (build_cluster_local.sh; docs/deployment.md) -----------
: "${DC_CLUSTER_NAME:=dccl}"                      # prefix of namespaces, links (<= 6 characters) and folders
: "${DC_CLUSTER_BACKENDS:=3}"                     # backends, each in its own network namespace
: "${DC_CLUSTER_PORT:=8080}"                      # HAProxy's port on 127.0.0.1
: "${DC_CLUSTER_NET:=198.18.0}"                   # the bridge's /24 (benchmarking range 198.18.0.0/15 only)
: "${DC_CLUSTER_BACKEND_PORT:=5000}"              # each backend Apache's port on its own address
: "${DC_CLUSTER_CONF_DIR:=/etc/${DC_APP_NAME}-${DC_CLUSTER_NAME}}"   # haproxy.cfg and one folder per backend
: "${DC_CLUSTER_RUN_DIR:=/run/${DC_APP_NAME}-${DC_CLUSTER_NAME}}"    # PID files, mod_wsgi and runtime API sockets
: "${DC_CLUSTER_LOG_DIR:=/var/log/${DC_APP_NAME}-${DC_CLUSTER_NAME}}"  # each backend's Apache logs
: "${DC_CLUSTER_STATE_DIR:=/var/lib/${DC_APP_NAME}-${DC_CLUSTER_NAME}}"  # the cluster's own manifest
: "${DC_CLUSTER_CHECK_INTER:=1000}"               # ms between HAProxy's health checks of a backend
: "${DC_CLUSTER_CHECK_FALL:=2}"                   # failed checks before a backend is marked down

if [[ "${DC_APACHE_BODY_LIMIT}" == 0 ]]; then
    DC_APACHE_BODY_LIMIT=$(( DC_MAX_UPLOAD_BYTES * 2 ))
fi

DC_SITE_FILE="${DC_APACHE_CONF_DIR}/sites-available/${DC_APP_NAME}.conf"
DC_REPORT_PAGE="/report/report.html"              # URL path of the report (Alias /report/ in the site)
DC_URL="http://${DC_LISTEN_ADDRESS:-127.0.0.1}:${DC_PORT}"
