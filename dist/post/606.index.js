export const id = 606;
export const ids = [606];
export const modules = {

/***/ 606:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  restoreKeptLoginVariables: () => (/* binding */ restoreKeptLoginVariables)
});

// UNUSED EXPORTS: keepLogin

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 14 modules
var lib_core = __webpack_require__(6421);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
;// CONCATENATED MODULE: ./src/settings/docker-hub.ts
/**
 * Docker Hub's names. An image on Docker Hub is named with one host
 * (`docker.io`), served by another (`registry-1.docker.io`), and logged in to
 * under a third (`https://index.docker.io/v1/`); an official image's
 * repository is written without the `library/` it has in the API. docker,
 * podman, skopeo and crane all read the names the same way, from these
 * sources:
 *
 * - distribution/reference `normalize.go` (`splitDockerDomain`): the domain
 *   `docker.io` (`defaultDomain`) and its legacy name `index.docker.io`
 *   (`legacyDefaultDomain`) are one registry; a one-segment repository there
 *   is an official image under `library/` (`officialRepoPrefix`):
 *   `docker.io/alpine` is `docker.io/library/alpine`. Other hosts, and
 *   `registry-1.docker.io` itself, get no `library/`. containers/image
 *   (podman, skopeo) keeps a copy of that package, with the same rule.
 * - moby `registry/config.go` and `registry/service_v2.go`
 *   (`lookupV2Endpoints`; `daemon/pkg/registry/` in moby v2): for
 *   `docker.io` and `index.docker.io` the API is
 *   `DefaultV2Registry`, `https://registry-1.docker.io` (`DefaultRegistryHost`),
 *   over HTTPS only. containers/image `docker/docker_client.go` (`dockerHostname`
 *   → `dockerRegistry`) and oras-go (`Reference.Host`) do the same.
 *
 * What the user wrote stays what logs, outputs and the summary show; only
 * the API's host and repository path are Docker Hub's.
 */
/** Where Docker Hub's registry API answers (moby's `DefaultRegistryHost`). */
const docker_hub_DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/**
 * The key docker/cli keeps a Docker Hub login under in `config.json`
 * (`IndexServer` in moby, `authConfigKey` in docker/cli
 * `cli/config/configfile/file.go`, `getAuthConfigKey`).
 */
const docker_hub_DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
/** The names images on Docker Hub are written with: `defaultDomain` and `legacyDefaultDomain`. */
const DOCKER_HUB_DOMAINS = new Set(['docker.io', 'index.docker.io']);
/**
 * Whether `host` (`host[:port]`, as written) names Docker Hub: `docker.io`,
 * `index.docker.io` or its API host `registry-1.docker.io`. Host names are
 * compared without case (DNS ignores it); a port makes it another registry,
 * as in distribution/reference.
 */
function docker_hub_isDockerHub(host) {
    const name = host.toLowerCase();
    return DOCKER_HUB_DOMAINS.has(name) || name === docker_hub_DOCKER_HUB_API_HOST;
}
/** The `host[:port]` whose `/v2/` API serves images named with `host`: Docker Hub's API host for its names. */
function registryApiHost(host) {
    return DOCKER_HUB_DOMAINS.has(host.toLowerCase()) ? docker_hub_DOCKER_HUB_API_HOST : host;
}
/**
 * The repository path the API knows `repository` on `host` by: Docker Hub's
 * official images (one segment, on `docker.io` or `index.docker.io`) live
 * under `library/`.
 */
function registryApiRepository(host, repository) {
    return DOCKER_HUB_DOMAINS.has(host.toLowerCase()) && !repository.includes('/')
        ? `library/${repository}`
        : repository;
}
/**
 * Whether the first segment of a name is a registry host, by
 * distribution/reference's rule (`splitDockerDomain`): it holds a `.` or a
 * `:`, is `localhost`, or has upper-case letters (which repositories may not
 * have). Anything else (`alpine`, `myorg` in `myorg/app`) is read by docker,
 * podman and skopeo as a repository on Docker Hub.
 */
function isRegistryHost(segment) {
    return /[.:]/.test(segment) || segment === 'localhost' || segment.toLowerCase() !== segment;
}

;// CONCATENATED MODULE: ./src/credentials/kept-login.ts
/**
 * The login a step keeps for the later steps of its job (`keep-login`):
 * one auth file per tool family, each in the docker config format, in a
 * private folder, and the variables that point each family at its file.
 *
 * Written by harbor-push itself, not by a tool's login, so it is there
 * whatever the step did: everything unchanged (no tool logged in), charts
 * only, archives only. Who reads which file, checked in their sources:
 *
 * - docker, and cosign / crane (go-containerregistry `authn.DefaultKeychain`
 *   loads docker/cli's `config.Load(os.Getenv("DOCKER_CONFIG"))`) and oras
 *   (oras-go `credentials.NewStoreFromDocker`: `$DOCKER_CONFIG/config.json`):
 *   `DOCKER_CONFIG` names the folder that holds `config.json`.
 * - podman, skopeo, buildah (containers/image `pkg/docker/config`, see
 *   containers-auth.json(5)): `REGISTRY_AUTH_FILE` names the file, whose
 *   `auths` entries hold `auth` = base64 `user:password`.
 * - helm 3.14+ and 4 (`pkg/registry/client.go`: oras-go
 *   `credentials.NewStore(registryConfig)`, falling back to docker's):
 *   `HELM_REGISTRY_CONFIG` names the file.
 *
 * Credential helpers: none of these tools hands a login it reads from such a
 * file to a helper. docker/cli (`LoadDefaultConfigFile`) and oras-go
 * (`NewStore` with `DetectDefaultNativeStore`) look for a default helper
 * (`docker-credential-pass`, `-secretservice`) only when the config holds no
 * auth at all (`ContainsAuth` / `IsAuthConfigured`); this one holds the
 * registry's entry, so the file itself is used. No `credHelpers` pin is
 * written (unlike the tools' own configs during the step,
 * tools/credential-helpers.ts): containers/image runs
 * `docker-credential-<name>` for a `credHelpers` entry even when the name is
 * empty, and fails, so a pin would break podman and skopeo.
 */




/** The variables a kept login is exported as, each naming a path inside the private folder. */
const kept_login_KEPT_LOGIN_VARIABLES = [
    'DOCKER_CONFIG',
    'REGISTRY_AUTH_FILE',
    'HELM_REGISTRY_CONFIG'
];
/**
 * The `auths` keys each family's file holds `host`'s login under: the keys
 * its readers look the registry up by. Any registry but Docker Hub is its
 * `host[:port]`, for every reader. Docker Hub has a key of its own in each
 * (see settings/docker-hub.ts for its names), checked in their sources:
 *
 * - `DOCKER_CONFIG`: docker/cli looks images named `docker.io/...`,
 *   `index.docker.io/...` or with no host up under `https://index.docker.io/v1/`
 *   (`cli/config/configfile/file.go` `getAuthConfigKey`; its file store
 *   `Get` falls back only to keys that are URLs of the host asked), and
 *   images named `registry-1.docker.io/...` under that host (the FIXME in
 *   `cli/command/registry_test.go`). go-containerregistry (crane, cosign)
 *   rewrites `docker.io` to `index.docker.io` (`pkg/name/registry.go`) and
 *   looks that up as `https://index.docker.io/v1/` (`pkg/authn/keychain.go`
 *   `DefaultAuthKey`), `registry-1.docker.io` as itself. oras-go (oras)
 *   maps `docker.io` and `registry-1.docker.io` to `https://index.docker.io/v1/`
 *   (`registry/remote/credentials/registry.go` `ServerAddressFromRegistry`,
 *   `ServerAddressFromHostname`), and finds `index.docker.io` through its
 *   fallback to URL keys (`internal/config/config.go` `ToHostname`).
 * - `REGISTRY_AUTH_FILE`: containers/image (podman, skopeo, buildah) names
 *   `docker.io/...`, `index.docker.io/...` and bare names `docker.io` and
 *   looks that key up first, `registry-1.docker.io` through its fallback
 *   that maps all three (and `https://index.docker.io/v1/`) to one name
 *   (`pkg/docker/config/config.go` `findCredentialsInFile`,
 *   `normalizeRegistry`). `docker.io` is what `podman login docker.io` writes.
 * - `HELM_REGISTRY_CONFIG`: helm 3.18+ and 4 ask oras-go v2 for the host it
 *   sends requests to, `registry-1.docker.io` for `oci://docker.io/...`, which
 *   `ServerAddressFromHostname` turns into `https://index.docker.io/v1/`, the
 *   key `helm registry login` writes (`pkg/registry/client.go` `Login`);
 *   helm 3.17 and older (oras-go v1 `pkg/auth/docker/resolver.go`
 *   `resolveHostname`) map all three names to that key too.
 */
function keptLoginKeys(host) {
    if (!isDockerHub(host)) {
        return { DOCKER_CONFIG: [host], REGISTRY_AUTH_FILE: [host], HELM_REGISTRY_CONFIG: [host] };
    }
    return {
        DOCKER_CONFIG: [DOCKER_HUB_AUTH_KEY, DOCKER_HUB_API_HOST],
        REGISTRY_AUTH_FILE: ['docker.io'],
        HELM_REGISTRY_CONFIG: [DOCKER_HUB_AUTH_KEY]
    };
}
/**
 * The docker config format that logs a registry in under each of `keys`:
 * `{"auths":{"<key>":{"auth":"<base64 user:password>"}}}`.
 */
function keptAuthConfig(keys, credentials) {
    const auth = secretForms(credentials)[1];
    const auths = Object.fromEntries(keys.map(key => [key, { auth }]));
    return `${JSON.stringify({ auths }, null, 2)}\n`;
}
/**
 * Writes the kept login into `dir` (the private 0700 folder): a folder per
 * tool family (0700), a file each (0600), so that a later login by one tool
 * (`podman login` rewrites its whole file) cannot spoil another's. Returns
 * the value of each variable.
 */
function kept_login_writeKeptLogin(dir, host, credentials) {
    const keys = keptLoginKeys(host);
    const paths = {
        DOCKER_CONFIG: {
            file: path.join(dir, 'docker', 'config.json'),
            value: path.join(dir, 'docker')
        },
        REGISTRY_AUTH_FILE: {
            file: path.join(dir, 'containers', 'auth.json'),
            value: path.join(dir, 'containers', 'auth.json')
        },
        HELM_REGISTRY_CONFIG: {
            file: path.join(dir, 'helm', 'registry', 'config.json'),
            value: path.join(dir, 'helm', 'registry', 'config.json')
        }
    };
    for (const name of kept_login_KEPT_LOGIN_VARIABLES) {
        const { file } = paths[name];
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        // wx: a file already there (a path reused by mistake) is an error, never overwritten in place.
        fs.writeFileSync(file, keptAuthConfig(keys[name], credentials), { mode: 0o600, flag: 'wx' });
    }
    return {
        DOCKER_CONFIG: paths.DOCKER_CONFIG.value,
        REGISTRY_AUTH_FILE: paths.REGISTRY_AUTH_FILE.value,
        HELM_REGISTRY_CONFIG: paths.HELM_REGISTRY_CONFIG.value
    };
}

// EXTERNAL MODULE: ./src/credentials/private-dir.ts
var private_dir = __webpack_require__(1655);
// EXTERNAL MODULE: ./src/runner/saved-state.ts
var saved_state = __webpack_require__(3313);
;// CONCATENATED MODULE: ./src/runner/keep-login.ts




/** Saved state: what each variable held before the main step exported its own (JSON, null for unset). */
const PREVIOUS_KEY = saved_state/* KEYS */.Rk.keptLoginPrevious;
/**
 * `keep-login: true`, after a main step that succeeded: writes the login into
 * a private folder of its own (0700, files 0600) and exports
 * `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE` and `HELM_REGISTRY_CONFIG` for the
 * later steps of the job. Only the login outlives the step: the tools' own
 * auth files, digest files and CA copies went with the step's folder as
 * always. `onPrivateDir` is told the folder before anything is written into
 * it (the saved state), so the post step removes it, also when the job
 * failed or was cancelled; the post step then puts the variables back
 * (`restoreKeptLoginVariables`).
 */
function keepLogin(settings, log, onPrivateDir) {
    if (!settings.credentials) {
        log.warning('keep-login: this step did not log in (username and password are empty), so there is no login to keep; later steps use whatever login the machine has');
        return;
    }
    const previous = Object.fromEntries(KEPT_LOGIN_VARIABLES.map(name => [name, process.env[name] ?? null]));
    const overridden = KEPT_LOGIN_VARIABLES.filter(name => previous[name]);
    if (overridden.length > 0) {
        // Not refused: an earlier step's export (a setup step isolating docker)
        // is common and works. Said loudly, because a job- or workflow-level
        // `env:` of the same name wins over any export, and logins made before
        // this step are hidden from later steps until the post step.
        log.warning(`keep-login: ${overridden.map(name => `${name} was "${previous[name]}"`).join(', ')}; later steps of this job now read the kept login instead, until the post step of harbor-push puts the old value back. A workflow or job env: that sets ${overridden.join(' / ')} wins over this, and then later steps do not see the kept login`);
    }
    core.saveState(PREVIOUS_KEY, JSON.stringify(previous));
    const dir = createPrivateDir();
    onPrivateDir(dir);
    let values;
    try {
        values = writeKeptLogin(dir, settings.registry.host, settings.credentials);
    }
    catch (error) {
        removePrivateDir(dir);
        throw error;
    }
    for (const name of KEPT_LOGIN_VARIABLES)
        core.exportVariable(name, values[name]);
    log.info(`keep-login: the login to ${settings.registry.host} is kept for the later steps of this job until the post step of harbor-push removes it: ${KEPT_LOGIN_VARIABLES.map(name => `${name}=${values[name]}`).join(', ')}. docker, podman, skopeo, helm, cosign, crane and oras read it; logins made before this step (in ~/.docker, podman's or helm's own files) are hidden from them until then`);
}
/**
 * The post step, after the kept folder was removed: gives each variable the
 * value it had before the main step, for the post steps of actions that ran
 * earlier (docker/login-action logs out in its post step, through
 * `DOCKER_CONFIG`). A variable that was unset is set empty, the runner
 * having no way to unset one: docker/cli (`config.Dir`), containers/image
 * (`REGISTRY_AUTH_FILE`) and oras-go read an empty value as unset, and helm
 * gives an empty `HELM_REGISTRY_CONFIG` to its registry client, which then
 * takes its default file (`pkg/registry/client.go`, `NewClient`).
 */
function restoreKeptLoginVariables() {
    const saved = lib_core.getState(PREVIOUS_KEY);
    if (!saved)
        return;
    const previous = JSON.parse(saved);
    for (const name of kept_login_KEPT_LOGIN_VARIABLES)
        lib_core.exportVariable(name, previous[name] ?? '');
}


/***/ })

};

//# sourceMappingURL=606.index.js.map