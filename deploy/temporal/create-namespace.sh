#!/bin/sh
# One-shot (temporalio/admin-tools): waits until the Temporal frontend answers its gRPC health check,
# creates the app's namespace if missing and registers the search attributes the workflows set
# (core/contract/jobs.ts, SEARCH_ATTRIBUTE_KEYS; test/deploy.test.ts keeps the two lists equal).
# Idempotent: existing namespace and attributes are left as they are.
set -eu
: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}"
RETENTION="${RETENTION:-720h}"
SEARCH_ATTRIBUTES="JobId Owner JobStatus FileName ReviewState"

# Retries a command every 2 s for up to 2 minutes (the frontend's caches take a few seconds to see a new namespace).
retry() {
  n=0
  until "$@" >/dev/null 2>&1; do
    n=$((n + 1))
    if [ "$n" -ge 60 ]; then
      echo "gave up after 2 minutes: $*" >&2
      "$@" # once more, with its error shown
      return 1
    fi
    sleep 2
  done
}

retry temporal operator cluster health --address "$TEMPORAL_ADDRESS"

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE: present"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
  echo "namespace $NAMESPACE: created (retention $RETENTION)"
fi

retry temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE"
existing=$(temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE")
for name in $SEARCH_ATTRIBUTES; do
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name: present"
  else
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --name "$name" --type Keyword
    echo "search attribute $name: created (Keyword)"
  fi
done
