#!/usr/bin/env bash
# Packs every package under plugins/ into a tarball as it would be published to a
# registry (built dist/, rolled-up types, knex migrations, compiled config schema, the
# package.json rewritten by `backstage-cli package prepack`), then checks what each
# tarball holds.
#
#   bash scripts/pack-plugins.sh <output directory>
#
# Writes <output directory>/<scope>-<name>-<version>.tgz, e.g.
# mvr-plugin-voice-recording-backend-0.1.0.tgz, and prints one line per tarball.
# The packages' package.json files are restored afterwards (postpack), also on failure.
source "$(dirname "$0")/env.sh"
cd "$MVR_ROOT"

OUT="${1:?usage: bash scripts/pack-plugins.sh <output directory>}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

restore() {
  # `yarn pack` runs the packages' prepack/postpack scripts; should it stop between the
  # two, put the original package.json back (backstage-cli keeps it as package.json-prepack).
  local d
  for d in "$MVR_ROOT"/plugins/*/; do
    if [ -f "$d/package.json-prepack" ]; then
      (cd "$d" && yarn backstage-cli package postpack) || true
    fi
  done
}
trap restore EXIT

# Declarations for every package (dist-types/); `package build` rolls them into dist/*.d.ts.
echo "[mvr] type declarations (yarn tsc)" >&2
yarn tsc

for dir in plugins/*/; do
  dir="${dir%/}"
  [ -f "$dir/package.json" ] || continue
  name="$(node -p "require('./$dir/package.json').name")"
  version="$(node -p "require('./$dir/package.json').version")"
  file="$OUT/$(echo "${name#@}" | tr / -)-$version.tgz"
  echo "[mvr] $name: build and pack" >&2
  (
    cd "$dir"
    yarn backstage-cli package clean
    yarn backstage-cli package build
    # runs the package's prepack (backstage-cli package prepack) and postpack scripts
    yarn pack --out "$file" >/dev/null
  )
  if [ -f "$dir/package.json-prepack" ]; then
    echo "[mvr] $name: package.json was not restored after packing" >&2
    exit 1
  fi
  # What a published package must hold.
  node - "$file" "$dir" <<'EOF'
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const [file, dir] = process.argv.slice(2);
const entries = new Set(execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).split('\n').filter(Boolean));
const pkg = JSON.parse(execFileSync('tar', ['xzf', file, '-O', 'package/package.json'], { encoding: 'utf8' }));
const src = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const problems = [];
const need = p => { p = p.replace(/^\.\//, ""); if (!entries.has(`package/${p}`)) problems.push(`missing ${p}`); };
need(pkg.main ?? 'missing main');
if (!/^(\.\/)?dist\//.test(pkg.main ?? '')) problems.push(`main is ${pkg.main}, not in dist/`);
// a command-line package (role cli, e.g. the mvr command) has no types: only its bin
if (pkg.backstage?.role === 'cli') {
  for (const [, target] of Object.entries(typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : pkg.bin ?? {})) need(target);
  if (!pkg.bin) problems.push('a cli package without bin');
} else {
  need(pkg.types ?? 'missing types');
  if (!/^(\.\/)?dist\/.*\.d\.ts$/.test(pkg.types ?? '')) problems.push(`types is ${pkg.types}, not dist/*.d.ts`);
}
for (const [mount, target] of Object.entries(pkg.exports ?? {})) {
  const targets = typeof target === 'string' ? [target] : Object.values(target).filter(t => typeof t === 'string' && t.startsWith('./'));
  for (const t of targets) need(t.replace(/^\.\//, ''));
  if (mount !== './package.json' && typeof target === 'string' && /src\//.test(target)) problems.push(`export ${mount} points at sources`);
}
if (src.configSchema) {
  if (pkg.configSchema !== 'config.schema.json') problems.push(`configSchema is ${pkg.configSchema}`);
  need('config.schema.json');
}
for (const f of src.files ?? []) {
  if (f === 'config.d.ts' && src.configSchema === 'config.d.ts') continue; // replaced by config.schema.json
  if (![...entries].some(e => e === `package/${f}` || e.startsWith(`package/${f}/`))) problems.push(`missing ${f}/`);
}
if (fs.existsSync(path.join(dir, 'migrations'))) {
  for (const m of fs.readdirSync(path.join(dir, 'migrations'))) need(`migrations/${m}`);
}
for (const [k, deps] of Object.entries({ dependencies: pkg.dependencies, peerDependencies: pkg.peerDependencies })) {
  for (const [d, v] of Object.entries(deps ?? {})) if (/^workspace:/.test(v)) problems.push(`${k}.${d} is ${v}`);
}
if ([...entries].some(e => /\/src\/|\.test\.|__testUtils__|__fixtures__/.test(e))) problems.push('sources or tests in the tarball');
if (problems.length) {
  console.error(`${file}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`${path.basename(file)}: ${entries.size} files, main ${pkg.main}, types ${pkg.types}${pkg.configSchema ? `, ${pkg.configSchema}` : ''}`);
EOF
done
