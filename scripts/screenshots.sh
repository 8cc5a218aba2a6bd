#!/usr/bin/env bash
# Takes the screenshots of the docs and READMEs (docs/images/*.png: every page in the light
# and the dark theme, listed in docs/pages.md) from the demo portal
# (fresh SQLite, demo users, numbers and generated demo calls) with Debian's Chromium.
# Needs espeak-ng and sox (demo calls) and the built frontend (built when missing).
source "$(dirname "$0")/env.sh"
cd "$MVR_ROOT"
if [ ! -f packages/app/dist/index.html ]; then
  yarn workspace app build
fi
exec yarn playwright test --config docs/screenshots/playwright.config.ts "$@"
