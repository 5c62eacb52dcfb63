export const id = 664;
export const ids = [664];
export const modules = {

/***/ 9664:
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
 * The docker config that logs `host` in: `{"auths":{"<host>":{"auth":"<base64 user:password>"}}}`.
 * `host` is `host[:port]`, the key docker, containers/image and oras-go look a registry up by.
 */
function keptAuthConfig(host, credentials) {
    const auth = secretForms(credentials)[1];
    return `${JSON.stringify({ auths: { [host]: { auth } } }, null, 2)}\n`;
}
/**
 * Writes the kept login into `dir` (the private 0700 folder): a folder per
 * tool family (0700), a file each (0600), so that a later login by one tool
 * (`podman login` rewrites its whole file) cannot spoil another's. Returns
 * the value of each variable.
 */
function kept_login_writeKeptLogin(dir, host, credentials) {
    const config = keptAuthConfig(host, credentials);
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
    for (const { file } of Object.values(paths)) {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        // wx: a file already there (a path reused by mistake) is an error, never overwritten in place.
        fs.writeFileSync(file, config, { mode: 0o600, flag: 'wx' });
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

//# sourceMappingURL=664.index.js.map