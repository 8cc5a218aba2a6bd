#!/usr/bin/env bash
# Takes the screenshots of the docs and READMEs (docs/images/*.png: every page in the light
# and the dark theme, listed in docs/pages.md; the workflow of docs/cases.md) from the demo portal
# (fresh SQLite, demo users, numbers and generated demo calls) with Debian's Chromium.
# Needs espeak-ng and sox (demo calls) and the built frontend (built when missing).
source "$(dirname "$0")/env.sh"
cd "$MVR_ROOT"
if [ ! -f packages/app/dist/index.html ]; then
  yarn workspace app build
fi
yarn playwright test --config docs/screenshots/playwright.config.ts "$@"
# The pictures of the cases, access-request and four-eyes workflow (docs/cases.md) and of
# the compliance archive (docs/pages.md) are taken by their browser tests on a fresh e2e
# portal, only when MVR_DOCS_SCREENSHOTS=1.
MVR_DOCS_SCREENSHOTS=1 CI=true exec yarn playwright test --project=chromium \
  packages/app/e2e-tests/cases-workflow.test.ts packages/app/e2e-tests/four-eyes.test.ts \
  packages/app/e2e-tests/compliance-archive.test.ts
