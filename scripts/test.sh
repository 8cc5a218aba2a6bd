#!/usr/bin/env bash
# Runs every test: type check, lint, unit and integration tests on SQLite and
# PostgreSQL, and the browser tests in Chromium. Exits non-zero on any failure.
source "$(dirname "$0")/env.sh"
cd "$MVR_ROOT"
mvr_apt "${MVR_BUILD_PACKAGES[@]}" chromium postgresql-client espeak-ng sox sip-tester kamailio
mvr_install

# PostgreSQL at 127.0.0.1:5432 (trust auth): start it when it is down.
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "[mvr] starting PostgreSQL" >&2
  if [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "[mvr] PostgreSQL is not reachable at 127.0.0.1:5432" >&2; exit 1; }
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="${BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING:-postgresql://postgres@127.0.0.1:5432}"
export MVR_TEST_POSTGRES_CONNECTION="$BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING"

step() { echo; echo "=== $* ==="; }

step "type check"
yarn tsc --noEmit

step "lint"
yarn backstage-cli repo lint

step "package metadata (published plugins: backstage-cli repo fix --publish --check)"
yarn backstage-cli repo fix --publish --check

step "unit and integration tests (SQLite and PostgreSQL; S3 on a Ceph RADOS Gateway)"
# The S3 tests (MVR_TEST_S3_*) need a Ceph RGW: started for this step only (~1-2 s, plus
# ~15 s to install ceph-mon ceph-osd radosgw the first time) and stopped after it.
RGW_ENV="$(bash scripts/rgw.sh start)"
eval "$RGW_ENV"
trap 'bash scripts/rgw.sh stop' EXIT
CI=true yarn backstage-cli repo test --ci --watchAll=false
bash scripts/rgw.sh stop
trap - EXIT

step "cluster test: Kamailio in front of 3 recorder processes, 2 portals, PostgreSQL, Ceph RGW (docs/deployment.md)"
# scripts/cluster-test.js starts and stops all of it (its own RGW instance on port 17500,
# a fresh database set per run); 3-5 min. Exit code 1 and the kept logs on any failed check.
node scripts/cluster-test.js

step "tarball install: the packed plugins in a portal outside the repository (docs/installation.md)"
bash scripts/tarball-install-test.sh

step "browser tests (Chromium)"
yarn workspace app build
yarn playwright test

step "host build (production)"
# The container image's steps (packages/backend/Dockerfile) without Docker, started with
# app-config.production.yaml against PostgreSQL (scripts/host-build-test.sh).
bash scripts/host-build-test.sh

echo
echo "[mvr] all tests passed"
