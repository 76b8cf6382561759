#!/bin/sh
# Sets up Temporal for Trainyard; idempotent (run it on every start). Used by `npm run prod:local`
# and by docker-compose's temporal-setup service (the temporalio/admin-tools image), so both set up
# the same databases, namespace and search attributes.
#
#   setup.sh schema      create both PostgreSQL databases and apply the v12 schemas (before the server)
#   setup.sh namespace   create the namespace and the search attributes (once the server answers)
#
# Environment: TEMPORAL_SQL_TOOL [temporal-sql-tool], TEMPORAL_CLI [temporal];
#   TEMPORAL_DB_HOST [127.0.0.1] TEMPORAL_DB_PORT [5432] TEMPORAL_DB_USER [temporal] TEMPORAL_DB_PASSWORD
#   TEMPORAL_DB_NAME [temporal] TEMPORAL_VISIBILITY_DB_NAME [temporal_visibility];
#   TEMPORAL_ADDRESS [127.0.0.1:7233] TEMPORAL_NAMESPACE [default] TEMPORAL_NAMESPACE_RETENTION [7d];
#   TEMPORAL_TLS_CA / TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY / TEMPORAL_TLS_SERVER_NAME: the client
#   certificate the CLI presents (the same variables the Trainyard processes read).
set -eu

SQL_TOOL="${TEMPORAL_SQL_TOOL:-temporal-sql-tool}"
CLI="${TEMPORAL_CLI:-temporal}"

schema() {
  # The role creates (and so owns) its databases: PostgreSQL 15 gives CREATE on schema public only
  # to a database's owner.
  for db in "${TEMPORAL_DB_NAME:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DB_NAME:-temporal_visibility}:visibility"; do
    name="${db%%:*}"
    kind="${db##*:}"
    set -- --plugin postgres12 --endpoint "${TEMPORAL_DB_HOST:-127.0.0.1}" --port "${TEMPORAL_DB_PORT:-5432}" \
      --user "${TEMPORAL_DB_USER:-temporal}" --password "${TEMPORAL_DB_PASSWORD:-}" --database "$name"
    "$SQL_TOOL" "$@" create
    "$SQL_TOOL" "$@" setup-schema -v 0.0
    "$SQL_TOOL" "$@" update-schema --schema-name "postgresql/v12/$kind"
    echo "setup: database $name at the latest postgresql/v12/$kind schema"
  done
}

cli() {
  if [ -n "${TEMPORAL_TLS_CERT:-}" ]; then
    "$CLI" "$@" --address "${TEMPORAL_ADDRESS:-127.0.0.1:7233}" --tls-ca-path "${TEMPORAL_TLS_CA:?}" \
      --tls-cert-path "$TEMPORAL_TLS_CERT" --tls-key-path "${TEMPORAL_TLS_KEY:?}" \
      --tls-server-name "${TEMPORAL_TLS_SERVER_NAME:-trainyard-temporal}"
  else
    "$CLI" "$@" --address "${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
  fi
}

namespace() {
  ns="${TEMPORAL_NAMESPACE:-default}"
  retention="${TEMPORAL_NAMESPACE_RETENTION:-7d}"
  tries=0
  until cli operator cluster health >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
      echo "setup: Temporal at ${TEMPORAL_ADDRESS:-127.0.0.1:7233} did not become healthy in 60 s" >&2
      cli operator cluster health >&2 || true
      exit 1
    fi
    sleep 1
  done
  if cli operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
    cli operator namespace update --namespace "$ns" --retention "$retention" >/dev/null
  else
    cli operator namespace create --namespace "$ns" --retention "$retention" \
      --description "Trainyard jobs (closed histories kept $retention)" >/dev/null
  fi
  echo "setup: namespace $ns (retention $retention)"
  # SQL visibility allows 3 custom attributes of each type per namespace (10 Keyword): these use
  # 3 of 10 Keyword, 2 of 3 KeywordList, 1 of 3 Int, 1 of 3 Bool. Keep in step with src/domain/search-attributes.ts
  # (test/unit/search-attributes.test.ts compares the two).
  # A new namespace reaches the frontend's namespace cache within seconds: wait for it.
  tries=0
  until existing="$(cli operator search-attribute list --namespace "$ns" -o json 2>&1)"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
      echo "setup: namespace $ns not visible after 60 s: $existing" >&2
      exit 1
    fi
    sleep 1
  done
  for sa in JobStatus=Keyword JobTypes=KeywordList JobOwner=Keyword JobTags=KeywordList JobPriority=Int JobRecoverable=Bool JobScheduledBy=Keyword JobTagKeys=KeywordList; do
    name="${sa%%=*}"
    case "$existing" in
      *"\"$name\""*) ;;
      *) cli operator search-attribute create --namespace "$ns" --name "$name" --type "${sa##*=}" >/dev/null ;;
    esac
  done
  echo "setup: search attributes registered"
}

case "${1:-}" in
  schema) schema ;;
  namespace) namespace ;;
  *)
    echo "usage: $0 schema|namespace" >&2
    exit 2
    ;;
esac
