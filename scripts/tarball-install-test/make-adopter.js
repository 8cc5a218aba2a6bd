/*
 * Writes the package.json files of the minimal adopter portal (a root with the
 * packages/* workspaces, packages/backend, packages/app) into <adopter dir>, with:
 * - the Backstage versions of this repository's root `resolutions` (release 1.55, the
 *   one the packages are built for), as an adopter on that release has them;
 * - a root `resolutions` entry pointing each @mvr name at its tarball
 *   (docs/installation.md step 1), so that `yarn add <name>@^<version>` and the
 *   packages' dependencies on each other resolve to the tarballs.
 * The @mvr packages themselves are added by tarball-install-test.sh with `yarn add`.
 *
 *   node make-adopter.js <repo root> <adopter dir> <tarball dir>
 */
const fs = require('node:fs');
const path = require('node:path');

const [repoRoot, adopterDir, tarballDir] = process.argv.slice(2);
if (!repoRoot || !adopterDir || !tarballDir) {
  throw new Error(
    'usage: node make-adopter.js <repo root> <adopter dir> <tarball dir>',
  );
}
const rootPkg = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'),
);

/** Version this repository pins for a dependency (root resolutions, else its own packages). */
function version(name) {
  const v = rootPkg.resolutions?.[name] ?? rootPkg.devDependencies?.[name];
  if (v) return v;
  for (const dir of ['packages/app', 'packages/backend']) {
    const p = JSON.parse(
      fs.readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8'),
    );
    const found = p.dependencies?.[name] ?? p.devDependencies?.[name];
    if (found && !found.startsWith('workspace:') && !found.startsWith('link:'))
      return found;
  }
  throw new Error(`no version of ${name} in ${repoRoot}`);
}
const deps = names => Object.fromEntries(names.map(n => [n, version(n)]));

// The tarballs: name -> file, read from each tarball's own package.json.
const { execFileSync } = require('node:child_process');
const tarballs = {};
for (const file of fs.readdirSync(tarballDir).filter(f => f.endsWith('.tgz'))) {
  const full = path.join(tarballDir, file);
  const pkg = JSON.parse(
    execFileSync('tar', ['xzf', full, '-O', 'package/package.json'], {
      encoding: 'utf8',
    }),
  );
  tarballs[pkg.name] = `file:${full}`;
}
const write = (rel, obj) => {
  fs.mkdirSync(path.dirname(path.join(adopterDir, rel)), { recursive: true });
  fs.writeFileSync(
    path.join(adopterDir, rel),
    `${JSON.stringify(obj, null, 2)}\n`,
  );
};

write('package.json', {
  name: 'adopter-portal',
  version: '1.0.0',
  private: true,
  workspaces: ['packages/*'],
  devDependencies: deps(['@backstage/cli', 'typescript']),
  resolutions: {
    ...Object.fromEntries(
      Object.entries(rootPkg.resolutions).filter(
        ([n]) => n.startsWith('@backstage/') || n.startsWith('@types/'),
      ),
    ),
    ...tarballs,
  },
  // Native builds the test skips: keytar (only for the CLI's auth commands) and
  // better-sqlite3, whose binding tarball-install-test.sh copies from this repository's
  // install when it is the same version (compiling SQLite takes minutes on 2 cores).
  dependenciesMeta: {
    'better-sqlite3': { built: false },
    keytar: { built: false },
  },
  packageManager: rootPkg.packageManager,
});

write('packages/backend/package.json', {
  name: 'backend',
  version: '0.0.0',
  private: true,
  main: 'src/index.ts',
  backstage: { role: 'backend' },
  dependencies: {
    ...deps([
      '@backstage/backend-defaults',
      '@backstage/backend-plugin-api',
      '@backstage/catalog-model',
      '@backstage/errors',
      '@backstage/plugin-app-backend',
      '@backstage/plugin-auth-backend',
      '@backstage/plugin-auth-node',
      '@backstage/plugin-catalog-backend',
      '@backstage/plugin-notifications-backend',
      '@backstage/plugin-permission-backend',
      '@backstage/plugin-signals-backend',
      'better-sqlite3',
    ]),
    // the @mvr packages: `yarn add` by tarball-install-test.sh (docs/installation.md)
    app: 'link:../app',
  },
  devDependencies: deps(['@backstage/cli']),
});

write('packages/app/package.json', {
  name: 'app',
  version: '0.0.0',
  private: true,
  bundled: true,
  backstage: { role: 'frontend' },
  dependencies: {
    ...deps([
      '@backstage/cli',
      '@backstage/core-components',
      '@backstage/core-plugin-api',
      '@backstage/frontend-defaults',
      '@backstage/frontend-plugin-api',
      '@backstage/plugin-app-react',
      '@backstage/plugin-catalog',
      'react',
      'react-dom',
      'react-router',
      'react-router-dom',
    ]),
  },
  browserslist: {
    production: ['>0.2%', 'not dead', 'not op_mini all'],
    development: ['last 1 chrome version'],
  },
});
