export const id = 54;
export const ids = [54];
export const modules = {

/***/ 2431:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   EY: () => (/* binding */ backoffDelay),
/* harmony export */   R$: () => (/* binding */ retrying),
/* harmony export */   Vs: () => (/* binding */ retryAfterMs),
/* harmony export */   yy: () => (/* binding */ sleep)
/* harmony export */ });
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8500);
/* harmony import */ var node_timers_promises__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_timers_promises__WEBPACK_IMPORTED_MODULE_0__);

/**
 * How long to wait before attempt `attempt + 1`: exponential from `baseMs`,
 * with jitter (x0.5 to x1.5) so parallel pushes that failed together do not
 * come back together.
 */
function backoffDelay(attempt, baseMs) {
    return Math.round(baseMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
}
/** A `Retry-After` header (seconds or an HTTP date) in milliseconds, capped; undefined when absent or unreadable. */
function retryAfterMs(header, capMs = 60_000) {
    if (!header)
        return undefined;
    const seconds = Number(header);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
    return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), capMs) : undefined;
}
/** Waits `ms`; rejects at once when `signal` aborts (then no timer keeps the process alive). */
const sleep = (ms, signal) => (0,node_timers_promises__WEBPACK_IMPORTED_MODULE_0__.setTimeout)(ms, undefined, { signal });
/**
 * Runs `attempt` until it succeeds, fails with what `retryable` refuses, or
 * runs out of retries, with `backoffDelay` between attempts; the last
 * failure is thrown as it came.
 */
async function retrying(attempt, loop) {
    const base = loop.baseDelayMs ?? 1000;
    for (let number = 1;; number++) {
        try {
            return await attempt();
        }
        catch (error) {
            if (number > loop.retries || loop.signal?.aborted || !loop.retryable(error))
                throw error;
            const delay = backoffDelay(number, base);
            loop.onRetry?.(number, error, delay);
            await sleep(delay);
        }
    }
}


/***/ }),

/***/ 8054:
/***/ ((__unused_webpack_module, __unused_webpack___webpack_exports__, __webpack_require__) => {


// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
var external_node_fs_default = /*#__PURE__*/__webpack_require__.n(external_node_fs_);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
var external_node_os_default = /*#__PURE__*/__webpack_require__.n(external_node_os_);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
;// CONCATENATED MODULE: ./src/credentials/private-dir.ts



/**
 * The step's private directory: the only place a login is written (docker
 * config, podman auth file) and where digest files and CA copies live. 0700,
 * so other users of a shared runner cannot read it, and removed when the step
 * ends (by the post step if the main step died).
 */
function createPrivateDir() {
    const root = process.env.RUNNER_TEMP || external_node_os_default().tmpdir();
    external_node_fs_default().mkdirSync(root, { recursive: true });
    const dir = external_node_fs_default().mkdtempSync(external_node_path_default().join(root, 'harbor-push-'));
    external_node_fs_default().chmodSync(dir, 0o700);
    return dir;
}
/** Removes the private directory; safe to call twice or on a path already gone. */
function removePrivateDir(dir) {
    // Only ever remove what createPrivateDir made, whatever the saved state says.
    if (!external_node_path_default().basename(dir).startsWith('harbor-push-'))
        return;
    external_node_fs_default().rmSync(dir, { recursive: true, force: true });
}

// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/tools/children.ts
var children = __webpack_require__(5576);
// EXTERNAL MODULE: external "node:dns/promises"
var promises_ = __webpack_require__(1553);
var promises_default = /*#__PURE__*/__webpack_require__.n(promises_);
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(7030);
var external_node_net_default = /*#__PURE__*/__webpack_require__.n(external_node_net_);
// EXTERNAL MODULE: ./src/tools/container-tool.ts
var container_tool = __webpack_require__(7131);
// EXTERNAL MODULE: ./src/tools/credential-helpers.ts
var credential_helpers = __webpack_require__(1342);
// EXTERNAL MODULE: ./src/tools/stall-watch.ts
var stall_watch = __webpack_require__(9519);
;// CONCATENATED MODULE: ./src/tools/docker.ts








/** Where the docker daemon looks for per-registry CA files (`*.crt`). */
const DOCKER_CERTS_ROOT = '/etc/docker/certs.d';
/** `docker info` of the engine's version and registry settings, on one line. */
const DAEMON_INFO_FORMAT = '{{.ServerVersion}} {{json .RegistryConfig}}';
/**
 * docker: the daemon, not the command, talks to the registry. Logins are
 * isolated with DOCKER_CONFIG; TLS settings are the daemon's, so they can be
 * checked here but not changed per command.
 */
class Docker {
    run;
    tls;
    hooks;
    certsRoot;
    name = 'docker';
    recordsPushes = true;
    daemonDecidesTls = true;
    env;
    configDir;
    placed;
    insecure = false;
    tempTags = new Map();
    constructor(run, paths, tls, hooks = {}, certsRoot = DOCKER_CERTS_ROOT) {
        this.run = run;
        this.tls = tls;
        this.hooks = hooks;
        this.certsRoot = certsRoot;
        this.configDir = paths.isolated ? external_node_path_default().join(paths.dir, 'docker') : undefined;
        this.env = this.configDir ? { DOCKER_CONFIG: this.configDir } : undefined;
    }
    async prepare(host) {
        const { version, registryConfig } = await this.daemonInfo(host);
        this.insecure = await treatsAsInsecure(registryConfig, host);
        if (!this.tls.tlsVerify && !this.insecure) {
            throw new errors/* InputError */.dz(`tls-verify: false: docker cannot skip TLS verification per command, and the docker daemon does not treat "${host}" as insecure; add it to "insecure-registries" in the daemon's /etc/docker/daemon.json and restart the daemon, or use container-tool: podman, or ca-file`);
        }
        if (this.tls.caFile)
            this.placed = this.placeCaFile(host);
        return `docker engine ${version}`;
    }
    /** The daemon skips verification (and falls back to HTTP) for registries it treats as insecure. */
    registryTls() {
        return this.insecure ? { tlsVerify: false, caFile: '' } : this.tls;
    }
    cleanup() {
        if (!this.placed)
            return;
        removePlacedCaFile(this.placed);
        this.placed = undefined;
        this.hooks.onCaFileRemoved?.();
    }
    /**
     * The engine's version and registry settings, in one call: each docker
     * command costs a process start and a daemon round trip (0.02 s), a tenth
     * of a re-run where every tag is already there.
     */
    async daemonInfo(host) {
        let printed;
        try {
            printed = (await this.docker(['info', '--format', DAEMON_INFO_FORMAT])).trim();
        }
        catch (error) {
            throw new errors/* InputError */.dz(`container-tool "docker" does not work here: ${(0,errors/* messageOf */.bD)(error)}; start the docker engine (or set DOCKER_HOST), or set container-tool: podman`);
        }
        const space = printed.indexOf(' ');
        const version = space === -1 ? printed : printed.slice(0, space);
        let registryConfig = {};
        try {
            registryConfig = JSON.parse(printed.slice(space + 1)) ?? {};
        }
        catch (error) {
            // Only tls-verify: false depends on them: without, the registry is asked with TLS as given.
            if (!this.tls.tlsVerify) {
                throw new errors/* InputError */.dz(`tls-verify: false: could not read the docker daemon's registry settings to check that "${host}" is allowed as insecure (${(0,errors/* messageOf */.bD)(error)})`);
            }
        }
        return { version, registryConfig };
    }
    async imageId(ref) {
        return (await this.localImage(ref))?.id;
    }
    localImages(refs) {
        return (0,container_tool/* inspectLocalImages */.oV)(refs => this.docker(['image', 'inspect', '--format', container_tool/* LOCAL_IMAGE_FORMAT */.mc, ...refs]), ref => this.localImage(ref), refs);
    }
    async localImage(ref) {
        try {
            return (0,container_tool/* parseLocalImage */.ei)(await this.docker(['image', 'inspect', '--format', container_tool/* LOCAL_IMAGE_FORMAT */.mc, ref]));
        }
        catch (error) {
            if (error instanceof errors/* ToolError */.v4 && /no such image/i.test(error.stderr))
                return undefined;
            throw error;
        }
    }
    async login(host, credentials) {
        // docker/cli stores a Docker Hub login under https://index.docker.io/v1/,
        // the key its pushes of docker.io/... and index.docker.io/... look up
        // (cli/config/configfile/file.go getAuthConfigKey), only when told
        // "docker.io"; told "index.docker.io" it stores it under that host name
        // (cli/command/registry/login.go runLogin), where no push finds it.
        const server = host.toLowerCase() === 'index.docker.io' ? 'docker.io' : host;
        // Without this, a docker-credential-secretservice (or -pass) on PATH gets the login.
        if (this.configDir)
            (0,credential_helpers/* writeFileOnlyAuthConfig */.uu)(external_node_path_default().join(this.configDir, 'config.json'), server);
        await this.run('docker', ['login', '--username', credentials.username, '--password-stdin', server], { input: credentials.password, env: this.env });
    }
    async push(source, destination) {
        // docker pushes tags, so the destination needs a local tag. Afterwards the
        // tag is removed, or pointed back at what it named before: local storage
        // is left as it was found. The tag is told before it is made, so a post
        // step can put it back after a main step killed mid-push.
        let temp;
        if (source !== destination) {
            temp = {
                tag: destination,
                before: await this.imageId(destination),
                dockerConfig: this.env?.DOCKER_CONFIG
            };
            this.tempTags.set(destination, temp);
            this.hooks.onTempTags?.([...this.tempTags.values()]);
            await this.docker(['tag', source, destination]);
        }
        try {
            const output = await this.docker(['push', destination], { stallMs: (0,stall_watch/* pushStallMs */.Ro)() }).catch((error) => {
                // The engine does the upload and keeps a stalled one after its client is stopped:
                // another `docker push` would only join it and wait again.
                if (!(error instanceof stall_watch/* StalledError */.OV))
                    throw error;
                throw new errors/* PushError */.Vc(`${error.message}. The docker engine keeps the stalled upload after its client is stopped, so it was not tried again: check the engine's network path to the registry (its own proxy settings, not the step's) and restart the engine`);
            });
            const digest = /digest: (sha256:[a-f0-9]{64})/.exec(output)?.[1] ?? container_tool/* DIGEST */.Dh.exec(output)?.[0];
            if (!digest)
                throw new errors/* PushError */.Vc(`docker pushed "${destination}" but printed no digest`);
            return digest;
        }
        finally {
            // Only a tag put back is forgotten: one left (a run being stopped) stays for the clean-up.
            if (temp &&
                (await restoreTempTag(this.run, temp).then(() => true, () => false))) {
                this.tempTags.delete(destination);
                this.hooks.onTempTags?.([...this.tempTags.values()]);
            }
        }
    }
    /**
     * `ca-file`: the daemon trusts every `*.crt` in certs.d/<host>/. A file of
     * our own name leaves any CA the user placed untouched.
     */
    placeCaFile(host) {
        const dir = external_node_path_default().join(this.certsRoot, host);
        const placed = {
            file: external_node_path_default().join(dir, `harbor-push-${process.pid}-${Date.now()}.crt`),
            createdDir: topmostMissing(dir)
        };
        this.hooks.onCaFilePlaced?.(placed);
        try {
            external_node_fs_default().mkdirSync(dir, { recursive: true });
            external_node_fs_default().copyFileSync(this.tls.caFile, placed.file);
        }
        catch (error) {
            throw new errors/* InputError */.dz(`ca-file: docker reads registry CAs from ${dir}/ on the daemon's machine, and it cannot be written here (${(0,errors/* messageOf */.bD)(error)}); place the CA there as ca.crt yourself, or use container-tool: podman`);
        }
        return placed;
    }
    async docker(args, options = {}) {
        return (await this.run('docker', args, { env: this.env, ...options })).stdout;
    }
}
/**
 * Whether the daemon treats `host` as an insecure registry (its
 * insecure-registries setting, or an address in an insecure range such as
 * the default 127.0.0.0/8). docker has no per-command TLS switch, so this
 * is what `tls-verify: false` can rely on.
 */
async function treatsAsInsecure(config, host) {
    if (config.IndexConfigs?.[host]?.Secure === false)
        return true;
    const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    // dockerd treats a name as insecure when any of its addresses is in an insecure range.
    const addresses = external_node_net_default().isIP(hostname)
        ? [hostname]
        : await promises_default().lookup(hostname, { all: true }).then(found => found.map(entry => entry.address), () => []);
    const cidrs = config.InsecureRegistryCIDRs ?? [];
    return addresses.some(address => inCidrs(address, cidrs));
}
/**
 * Removes a CA file placed by `placeCaFile`, then the folders this step
 * created for it, deepest first, each only while empty: whatever another job
 * put in them meanwhile (its own CA, another registry's folder) stays.
 */
function removePlacedCaFile(placed) {
    external_node_fs_default().rmSync(placed.file, { force: true });
    if (!placed.createdDir)
        return;
    for (let dir = external_node_path_default().dirname(placed.file);; dir = external_node_path_default().dirname(dir)) {
        // Never climb above the folder this step created, whatever the saved state says.
        if (!isWithin(dir, placed.createdDir))
            return;
        try {
            external_node_fs_default().rmdirSync(dir);
        }
        catch (error) {
            // Not empty: someone else's things are in it, and in every folder above.
            if (error.code !== 'ENOENT')
                return;
        }
        if (dir === placed.createdDir)
            return;
    }
}
function isWithin(dir, top) {
    const relative = external_node_path_default().relative(top, dir);
    return relative === '' || (!relative.startsWith('..') && !external_node_path_default().isAbsolute(relative));
}
/** Puts a temporary tag back: pointed at what it named before, or removed. */
async function restoreTempTag(run, temp) {
    const env = temp.dockerConfig ? { DOCKER_CONFIG: temp.dockerConfig } : undefined;
    const args = temp.before ? ['tag', temp.before, temp.tag] : ['image', 'rm', temp.tag];
    await run('docker', args, { env });
}
/** The highest folder on the way to `dir` that does not exist yet, if any. */
function topmostMissing(dir) {
    let missing;
    for (let current = dir; !external_node_fs_default().existsSync(current); current = external_node_path_default().dirname(current)) {
        missing = current;
    }
    return missing;
}
function inCidrs(address, cidrs) {
    const list = new (external_node_net_default()).BlockList();
    for (const cidr of cidrs) {
        const [network, prefix] = cidr.split('/');
        const family = external_node_net_default().isIPv6(network) ? 'ipv6' : 'ipv4';
        list.addSubnet(network, Number(prefix), family);
    }
    return list.check(address, external_node_net_default().isIPv6(address) ? 'ipv6' : 'ipv4');
}

;// CONCATENATED MODULE: ./src/tools/exec.ts



/**
 * The one way this project runs a tool. Output is captured, not streamed, so
 * parallel pushes never interleave their lines; a failure throws a ToolError
 * carrying stderr so it can be translated into advice. Each tool runs in a
 * process group of its own that a stopped run stops (tools/children.ts).
 */
const runTool = runner({});
/**
 * The runner of the clean-up after a stopped run (putting a docker tag
 * back): it still starts tools once the run's own were stopped, and gives
 * each one a time limit, so a hung engine cannot hold the exit.
 */
const runCleanupTool = runner({ afterStop: true, limitMs: 15_000 });
function runner(spawnOptions) {
    return async (command, args, options = {}) => {
        // Always given: without it the tool would inherit every variable, secrets included.
        const env = childEnv(process.env, options.env);
        const spawning = { ...spawnOptions, input: options.input, env };
        const result = options.stallMs
            ? await (0,stall_watch/* runWatched */.ox)(command, args, { ...spawning, stallMs: options.stallMs })
            : await (0,children/* spawnTool */.My)(command, args, spawning);
        if (result.exitCode !== 0) {
            const line = [command, ...args].join(' ');
            const detail = (result.stderr.trim() || result.stdout.trim())
                .split('\n')
                .slice(-20)
                .join('\n');
            throw new errors/* ToolError */.v4(`"${line}" failed (exit ${result.exitCode}): ${detail}`, line, result.exitCode, result.stderr || result.stdout);
        }
        return { stdout: result.stdout, stderr: result.stderr };
    };
}
/**
 * Variables that hold a secret a tool never needs: the action's inputs
 * (`INPUT_PASSWORD`, and every input: none is meant for a tool), the
 * command's `HARBOR_PASSWORD`, and the runner's own tokens. The secret
 * reaches a tool on stdin only.
 */
function holdsSecret(name) {
    const upper = name.toUpperCase();
    return (upper.startsWith('INPUT_') ||
        upper === 'HARBOR_PASSWORD' ||
        upper === 'ACTIONS_RUNTIME_TOKEN' ||
        upper === 'ACTIONS_ID_TOKEN_REQUEST_TOKEN');
}
/**
 * The environment of a tool: this process's, without the variables that
 * hold secrets, plus `extra`. A list of what to drop rather than of what to
 * keep: docker, podman and helm read many variables a runner may rely on
 * (DOCKER_*, CONTAINERS_*, HELM_*, XDG_*, proxies, SSL_CERT_*, locale, ...).
 */
function childEnv(parent, extra = {}) {
    const env = {};
    for (const [key, value] of Object.entries(parent)) {
        if (value !== undefined && !holdsSecret(key))
            env[key] = value;
    }
    return { ...env, ...extra };
}

;// CONCATENATED MODULE: ./src/push/leftovers.ts





/**
 * Follows a run's leftovers as they come and go: the hooks to give
 * harborPush, and the leftovers now. Each change is told to `save` before
 * the thing it names exists (the hooks are called first), so a front end
 * that dies at any point leaves a complete list to its clean-up.
 */
function trackLeftovers(save = () => undefined) {
    const leftovers = { tempTags: [], toolGroups: [] };
    const update = (changed) => {
        Object.assign(leftovers, changed);
        save(changed);
    };
    (0,children/* onRunningGroups */.J3)(toolGroups => update({ toolGroups }));
    return {
        hooks: {
            onPrivateDir: privateDir => update({ privateDir }),
            onCaFilePlaced: caFile => update({ caFile }),
            onCaFileRemoved: () => update({ caFile: undefined }),
            onTempTags: tempTags => update({ tempTags })
        },
        current: () => ({ ...leftovers })
    };
}
/**
 * Undoes what a stopped run left, in the only safe order: first every tool
 * is stopped and waited for, so none can write a login after its folder is
 * gone; then the docker tags are put back, the CA file removed, and last the
 * private folder. Each part is tried even when another failed; a failure is
 * told to `warn`.
 */
async function cleanUpLeftovers(leftovers, warn, run = runCleanupTool) {
    const running = await (0,children/* stopTools */.aM)(leftovers.toolGroups);
    if (running.length > 0) {
        warn(`tool processes (groups ${running.join(', ')}) did not end after SIGKILL; the private folder is removed anyway`);
    }
    for (const temp of leftovers.tempTags) {
        try {
            await restoreTempTag(run, temp);
        }
        catch (error) {
            // A step stopped between telling the tag and making it leaves no tag to remove.
            if (!(error instanceof errors/* ToolError */.v4 && /no such image/i.test(error.stderr))) {
                warn(`could not put the local tag "${temp.tag}" back: ${(0,errors/* messageOf */.bD)(error)}`);
            }
        }
    }
    try {
        if (leftovers.caFile)
            removePlacedCaFile(leftovers.caFile);
    }
    catch (error) {
        warn(`could not remove the CA file "${leftovers.caFile?.file}": ${(0,errors/* messageOf */.bD)(error)}`);
    }
    if (leftovers.privateDir)
        removePrivateDir(leftovers.privateDir);
}
let stopping = false;
/**
 * Whether a signal is stopping the run: what fails from then on fails
 * because its tool was stopped, and the signal's handler ends the process.
 */
const beingStopped = () => stopping;
/** The exit status of a process ended by each signal a run is stopped with (128 + its number). */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
/**
 * Stopping the run cleanly on SIGINT (Ctrl-C; GitHub's runner on cancel),
 * SIGTERM and SIGHUP: `current()` is cleaned up, then `stopped` ends the
 * process with the signal's exit status. A second signal while cleaning up
 * is ignored: the clean-up is bounded (tools get SIGKILL after 2 s, docker's
 * clean-up commands 15 s), and leaving half way would leave a login behind.
 */
function cleanUpOnSignals(current, warn, stopped) {
    for (const [signal, status] of Object.entries(STOP_SIGNALS)) {
        process.on(signal, () => {
            if (stopping)
                return;
            stopping = true;
            void cleanUpLeftovers(current(), warn)
                .catch((error) => warn(`clean-up: ${(0,errors/* messageOf */.bD)(error)}`))
                .finally(() => stopped(signal, status));
        });
    }
}

;// CONCATENATED MODULE: ./src/credentials/secrets.ts
/**
 * Every form of the secret that may appear anywhere: the password itself and
 * the base64 `user:password` that docker, podman and helm auth files hold
 * (and that an error dump of such a file would show).
 */
function secretForms(credentials) {
    const { username, password } = credentials;
    return [password, Buffer.from(`${username}:${password}`).toString('base64')];
}

// EXTERNAL MODULE: ./src/oci.ts
var oci = __webpack_require__(166);
;// CONCATENATED MODULE: ./src/tools/podman.ts







/**
 * podman: daemonless, so every registry setting is a flag of each command:
 * `--authfile` for the private login, `--tls-verify` / `--cert-dir` for TLS.
 */
class Podman {
    run;
    paths;
    tls;
    name = 'podman';
    recordsPushes = false;
    daemonDecidesTls = false;
    authFile;
    certDir;
    /** A registries.conf whose credential-helpers is the auth file only (see credential-helpers.ts). */
    registriesConf;
    digestCount = 0;
    constructor(run, paths, tls) {
        this.run = run;
        this.paths = paths;
        this.tls = tls;
        this.authFile = external_node_path_default().join(paths.dir, 'podman-auth.json');
        this.certDir = external_node_path_default().join(paths.dir, 'podman-certs');
        this.registriesConf = external_node_path_default().join(paths.dir, 'podman-registries.conf');
    }
    async prepare() {
        let version;
        try {
            version = (await this.run('podman', ['--version'])).stdout.trim();
        }
        catch (error) {
            throw new errors/* InputError */.dz(`container-tool "podman" does not work here (${(0,errors/* messageOf */.bD)(error)}); install podman or set container-tool: docker`);
        }
        if (this.tls.caFile)
            this.prepareCertDir();
        if (this.paths.isolated) {
            (0,credential_helpers/* checkRegistriesConfDropIns */.Rk)();
            (0,credential_helpers/* writeAuthFileOnlyRegistriesConf */.BD)(this.registriesConf);
        }
        return version;
    }
    registryTls() {
        return this.tls;
    }
    cleanup() {
        // Everything podman needs lives in the private directory.
    }
    async imageId(ref) {
        return (await this.localImage(ref))?.id;
    }
    /**
     * The images `refs` name. A manifest list (`podman manifest create` and
     * `add`) is inspected by podman as its native platform's image, which a
     * plain `podman push` would push alone: lists are found first, and each
     * carries its platforms, so that it is pushed whole.
     */
    async localImages(refs) {
        const [images, lists] = await Promise.all([
            (0,container_tool/* inspectLocalImages */.oV)(async (refs) => (await this.inspect(refs)).stdout, ref => this.localImage(ref), refs),
            this.manifestLists()
        ]);
        return Promise.all(images.map(async (image, index) => {
            const ref = refs[index];
            if (!image || !(lists.has(ref) || lists.has(`localhost/${ref}`)))
                return image;
            return { ...image, layers: [], platforms: await this.listPlatforms(ref) };
        }));
    }
    /** Every manifest list in local storage, as `repository:tag`. */
    async manifestLists() {
        const { stdout } = await this.run('podman', [
            'images',
            '--filter',
            'manifest=true',
            '--format',
            '{{.Repository}}:{{.Tag}}'
        ]);
        return new Set(stdout
            .split('\n')
            .map(line => line.trim())
            .filter(Boolean));
    }
    /** The platforms of the manifest list `ref`, each with its image's ID. */
    async listPlatforms(ref) {
        const list = JSON.parse((await this.run('podman', ['manifest', 'inspect', ref])).stdout);
        const instances = list.manifests ?? [];
        if (instances.length === 0) {
            throw new errors/* InputError */.dz(`"${ref}" is a manifest list with no images: add one with podman manifest add`);
        }
        const { stdout } = await this.run('podman', [
            'image',
            'inspect',
            '--format',
            '{{.Id}}',
            ...instances.map(instance => `${ref}@${instance.digest}`)
        ]);
        const ids = stdout
            .split('\n')
            .map(line => line.trim())
            .filter(Boolean);
        return instances.map((instance, index) => ({
            platform: (0,oci/* platformName */.$r)(instance.platform),
            id: (0,container_tool/* normaliseImageId */.rS)(ids[index] ?? '')
        }));
    }
    async localImage(ref) {
        try {
            return (0,container_tool/* parseLocalImage */.ei)((await this.inspect([ref])).stdout);
        }
        catch (error) {
            if (error instanceof errors/* ToolError */.v4 && /image not known|no such image/i.test(error.stderr)) {
                return undefined;
            }
            throw error;
        }
    }
    inspect(refs) {
        return this.run('podman', ['image', 'inspect', '--format', container_tool/* LOCAL_IMAGE_FORMAT */.mc, ...refs]);
    }
    async login(host, credentials) {
        await this.run('podman', [
            'login',
            ...this.registryFlags(),
            '--username',
            credentials.username,
            '--password-stdin',
            host
        ], { input: credentials.password, ...this.registryEnv() });
    }
    async push(source, destination, image) {
        const digestFile = external_node_path_default().join(this.paths.dir, `digest-${++this.digestCount}`);
        // A manifest list goes with `manifest push --all`: every platform, then the list itself.
        const command = image?.platforms ? ['manifest', 'push', '--all'] : ['push'];
        try {
            await this.run('podman', [
                ...command,
                ...this.registryFlags(),
                '--digestfile',
                digestFile,
                source,
                `docker://${destination}`
            ], { ...this.registryEnv(), stallMs: (0,stall_watch/* pushStallMs */.Ro)() });
            const digest = container_tool/* DIGEST */.Dh.exec(external_node_fs_default().readFileSync(digestFile, 'utf8'));
            if (!digest)
                throw new errors/* PushError */.Vc(`podman pushed "${destination}" but wrote no digest`);
            return digest[0];
        }
        finally {
            external_node_fs_default().rmSync(digestFile, { force: true });
        }
    }
    /** Flags every command that talks to the registry takes. */
    registryFlags() {
        const flags = this.paths.isolated ? ['--authfile', this.authFile] : [];
        if (!this.tls.tlsVerify)
            flags.push('--tls-verify=false');
        if (this.tls.caFile)
            flags.push('--cert-dir', this.certDir);
        return flags;
    }
    /** The environment of commands that read or write the login: the private registries.conf. */
    registryEnv() {
        return this.paths.isolated ? { env: { CONTAINERS_REGISTRIES_CONF: this.registriesConf } } : {};
    }
    /** podman trusts every `*.crt` in `--cert-dir`; a private copy keeps the user's folder out of it. */
    prepareCertDir() {
        external_node_fs_default().mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
        external_node_fs_default().copyFileSync(this.tls.caFile, external_node_path_default().join(this.certDir, 'ca.crt'));
    }
}

;// CONCATENATED MODULE: ./src/tools/create.ts


/** The container tool the settings ask for. */
function createContainerTool(settings, run, paths, hooks) {
    const tls = { tlsVerify: settings.tlsVerify, caFile: settings.caFile };
    return settings.containerTool === 'docker'
        ? new Docker(run, paths, tls, hooks)
        : new Podman(run, paths, tls);
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
var external_node_crypto_default = /*#__PURE__*/__webpack_require__.n(external_node_crypto_);
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
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/**
 * The key docker/cli keeps a Docker Hub login under in `config.json`
 * (`IndexServer` in moby, `authConfigKey` in docker/cli
 * `cli/config/configfile/file.go`, `getAuthConfigKey`).
 */
const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
/** The names images on Docker Hub are written with: `defaultDomain` and `legacyDefaultDomain`. */
const DOCKER_HUB_DOMAINS = new Set(['docker.io', 'index.docker.io']);
/**
 * Whether `host` (`host[:port]`, as written) names Docker Hub: `docker.io`,
 * `index.docker.io` or its API host `registry-1.docker.io`. Host names are
 * compared without case (DNS ignores it); a port makes it another registry,
 * as in distribution/reference.
 */
function isDockerHub(host) {
    const name = host.toLowerCase();
    return DOCKER_HUB_DOMAINS.has(name) || name === DOCKER_HUB_API_HOST;
}
/** The `host[:port]` whose `/v2/` API serves images named with `host`: Docker Hub's API host for its names. */
function registryApiHost(host) {
    return DOCKER_HUB_DOMAINS.has(host.toLowerCase()) ? DOCKER_HUB_API_HOST : host;
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

;// CONCATENATED MODULE: ./src/settings/settings.ts
/** The typed, validated settings every module works from. */

/** How the containers tools (skopeo) and the report name an archive source: `<transport>:<path>[:<ref>]`. */
function archiveReference(source) {
    return `${source.transport}:${source.path}${source.ref ? `:${source.ref}` : ''}`;
}
/** How logs, errors and the report name a registry source: `docker://host/repo:tag` or `@digest`. */
function registryReference(source) {
    const reference = source.digest ? `@${source.digest}` : `:${source.tag}`;
    return `docker://${source.host}/${source.repository}${reference}`;
}
/**
 * The login for reading a `docker://` source on `host`: `source-username` /
 * `source-password` when given; else, on the destination registry itself
 * (a promotion), the destination's login; else none (anonymous).
 */
function sourceCredentialsFor(settings, host) {
    if (settings.sourceCredentials)
        return settings.sourceCredentials;
    // One registry under two names (docker.io and index.docker.io) is one login.
    const registryOf = (name) => registryApiHost(name).toLowerCase();
    return registryOf(host) === registryOf(settings.registry.host) ? settings.credentials : undefined;
}

;// CONCATENATED MODULE: ./src/tools/skopeo.ts








/**
 * skopeo: copies images from archives and layouts (`docker save`, `podman
 * save`, `buildx --output type=oci`) to a registry with no container engine,
 * multi-platform indexes whole, when no username/password is given (its own
 * login on the machine pushes; with them, the own registry client does). The same containers libraries as podman, so
 * the login is podman's auth file format, and TLS the same flags, with
 * `--dest-` in front for a copy.
 */
class Skopeo {
    run;
    paths;
    tls;
    authFile;
    certDir;
    digestCount = 0;
    constructor(run, paths, tls) {
        this.run = run;
        this.paths = paths;
        this.tls = tls;
        this.authFile = external_node_path_default().join(paths.dir, 'skopeo-auth.json');
        this.certDir = external_node_path_default().join(paths.dir, 'skopeo-certs');
    }
    /** Checks skopeo works; returns its version. */
    async prepare() {
        let version;
        try {
            version = (await this.run('skopeo', ['--version'])).stdout.trim();
        }
        catch (error) {
            throw new errors/* InputError */.dz(`archives and layouts are pushed with skopeo when no username/password is given (its login on this machine then pushes), and skopeo does not work here (${(0,errors/* messageOf */.bD)(error)}): give username and password, or install skopeo (apt-get install skopeo; GitHub's Ubuntu runners have it)`);
        }
        if (this.tls.caFile) {
            external_node_fs_default().mkdirSync(this.certDir, { recursive: true, mode: 0o700 });
            external_node_fs_default().copyFileSync(this.tls.caFile, external_node_path_default().join(this.certDir, 'ca.crt'));
        }
        return version;
    }
    /**
     * What the archive or layout holds, read without pushing: the manifest's
     * digest (an OCI image or index keeps it byte for byte in the registry),
     * the config digest (a docker archive's image ID, since its manifest is
     * made anew on the way) and the platforms of an index. A missing or
     * unreadable source is an input error.
     */
    async inspect(source) {
        const reference = archiveReference(source);
        let raw;
        try {
            raw = (await this.run('skopeo', ['inspect', '--raw', reference])).stdout;
        }
        catch (error) {
            const why = error instanceof errors/* ToolError */.v4 ? lastLine(error.stderr) : (0,errors/* messageOf */.bD)(error);
            throw new errors/* InputError */.dz(`"${reference}" could not be read (${why}): check the path, and that it is ${TRANSPORT_WORDS[source.transport]}. Nothing was pushed.`);
        }
        const manifest = JSON.parse(raw);
        const digest = `sha256:${external_node_crypto_default().createHash('sha256').update(raw).digest('hex')}`;
        // Archives that share a layer are then pushed one after the other: the
        // first uploads it and skopeo mounts it for the rest (its blob-info cache
        // knows where it went); side by side, each would upload it.
        const layers = (manifest.layers ?? []).flatMap(layer => (layer.digest ? [layer.digest] : []));
        if (source.transport === 'docker-archive') {
            const config = (await this.run('skopeo', ['inspect', '--config', '--raw', reference])).stdout;
            const id = `sha256:${external_node_crypto_default().createHash('sha256').update(config).digest('hex')}`;
            return { id, layers };
        }
        const platforms = manifest.manifests?.map(entry => ({
            platform: (0,oci/* platformName */.$r)(entry.platform),
            id: entry.digest ?? ''
        }));
        return {
            id: manifest.config?.digest ?? digest,
            layers,
            digest,
            ...(platforms ? { platforms } : {})
        };
    }
    /** Logs in to `host` with the password on stdin, into the private directory. */
    async login(host, credentials) {
        await this.run('skopeo', [
            'login',
            '--authfile',
            this.authFile,
            ...this.tlsFlags(''),
            '--username',
            credentials.username,
            '--password-stdin',
            host
        ], { input: credentials.password });
    }
    /**
     * Copies the source to `destination` (every platform of an index); an OCI
     * source keeps its digests (`--preserve-digests`: the copy fails rather
     * than rewrite a manifest). Returns the digest the registry holds.
     */
    async push(source, destination) {
        const digestFile = external_node_path_default().join(this.paths.dir, `skopeo-digest-${++this.digestCount}`);
        try {
            await this.run('skopeo', [
                'copy',
                '--all',
                ...(source.transport === 'docker-archive' ? [] : ['--preserve-digests']),
                ...(this.paths.isolated ? ['--dest-authfile', this.authFile] : []),
                ...this.tlsFlags('dest-'),
                '--digestfile',
                digestFile,
                archiveReference(source),
                `docker://${destination}`
            ], { stallMs: (0,stall_watch/* pushStallMs */.Ro)() });
            const digest = container_tool/* DIGEST */.Dh.exec(external_node_fs_default().readFileSync(digestFile, 'utf8'));
            if (!digest)
                throw new errors/* PushError */.Vc(`skopeo copied to "${destination}" but wrote no digest`);
            return digest[0];
        }
        finally {
            external_node_fs_default().rmSync(digestFile, { force: true });
        }
    }
    tlsFlags(prefix) {
        const flags = [];
        if (!this.tls.tlsVerify)
            flags.push(`--${prefix}tls-verify=false`);
        if (this.tls.caFile)
            flags.push(`--${prefix}cert-dir`, this.certDir);
        return flags;
    }
}
const TRANSPORT_WORDS = {
    'oci-archive': 'an OCI archive (podman save --format oci-archive, buildx --output type=oci)',
    oci: 'an OCI image layout folder (holding index.json)',
    'docker-archive': 'a docker save / podman save tar'
};
function lastLine(text) {
    const lines = text
        .trim()
        .split('\n')
        .filter(line => line.trim() !== '');
    return (lines.at(-1) ?? '').replace(/^time=".*?" level=\w+ msg="?|"$/g, '').replace(/\\"/g, '"');
}

// EXTERNAL MODULE: ./src/push/pipeline.ts + 2 modules
var pipeline = __webpack_require__(4571);
;// CONCATENATED MODULE: ./src/push/adapters/image.ts

/** What reading an image tells the pipeline. */
function imageContent(image) {
    return { expected: expectedOf(image), layers: image.layers, image };
}
/** What a tag holds once this image is in it: its ID, or each platform's for a multi-platform image. */
function expectedOf(image) {
    const recorded = image.recorded ? { recorded: image.recorded } : {};
    if (image.digest)
        return { manifestDigest: image.digest, ...recorded };
    return image.platforms
        ? { platformIds: image.platforms.map(platform => platform.id), ...recorded }
        : { configDigest: image.id, ...recorded };
}
/** How an image is named and reported, whatever pushes it. */
const imageLabels = {
    kind: 'image',
    label: ({ source, destination }) => ({
        reference: destination.reference,
        source: source.reference,
        noun: ''
    }),
    result: (target, content, outcome) => {
        const platforms = platformsOf(content, outcome);
        const { source, destination } = target;
        return {
            kind: 'image',
            fields: {
                source: source.reference,
                destination: destination.reference,
                ...(platforms ? { platforms } : {})
            }
        };
    },
    describe: (target, content, outcome) => {
        const platforms = platformsOf(content, outcome);
        return [
            `source:      ${target.source.reference}`,
            `destination: ${target.destination.reference}`,
            (0,pipeline/* digestLine */.lt)(outcome),
            ...(platforms ? [`platforms:   ${platforms.join(', ')}`] : [])
        ];
    }
};
/**
 * A multi-platform image's platforms, when the tag holds it now: as the
 * source lists them, else as the registry does (docker's containerd image
 * store pushes an index the step cannot list locally).
 */
function platformsOf(content, outcome) {
    if (outcome.status !== 'pushed' && outcome.status !== 'unchanged')
        return undefined;
    return content.image.platforms?.map(image => image.platform) ?? outcome.platforms;
}

;// CONCATENATED MODULE: ./src/push/adapters/archive.ts

function archiveAdapter(skopeo) {
    return {
        ...imageLabels,
        tool: 'skopeo',
        prepare: async () => `Using ${await skopeo.prepare()} for archives and layouts`,
        login: (host, credentials) => skopeo.login(host, credentials),
        loginKept: 'private credentials',
        // An unreadable archive is an input error, before anything is pushed.
        read: sources => Promise.all(sources.map(async (source) => imageContent(await skopeo.inspect(source.archive)))),
        push: async ({ source, destination }) => ({
            digest: await skopeo.push(source.archive, destination.reference)
        })
    };
}

// EXTERNAL MODULE: external "node:events"
var external_node_events_ = __webpack_require__(8474);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __webpack_require__(8522);
var external_node_zlib_default = /*#__PURE__*/__webpack_require__.n(external_node_zlib_);
// EXTERNAL MODULE: ./src/backoff.ts
var backoff = __webpack_require__(2431);
// EXTERNAL MODULE: ./src/pool.ts
var pool = __webpack_require__(9537);
// EXTERNAL MODULE: ./src/registry/content.ts
var content = __webpack_require__(5378);
// EXTERNAL MODULE: ./src/registry/errors.ts
var registry_errors = __webpack_require__(6764);
// EXTERNAL MODULE: ./src/registry/http.ts + 1 modules
var registry_http = __webpack_require__(3222);
;// CONCATENATED MODULE: ./src/registry/copy.ts
/**
 * Copies one image (or a multi-platform index, whole) from a ContentSource
 * to a repository of the session's registry, the way the OCI distribution
 * spec's "Push" workflow describes it (opencontainers/distribution-spec,
 * spec.md): every blob first, then the manifests an index lists, then the
 * index or manifest itself under each tag. Manifests travel as the bytes
 * the source stores, so the destination digest is the source digest and
 * signatures made on it stay valid.
 */







/** Blobs copied at once unless told. */
const DEFAULT_PARALLEL = 4;
/** Copies `source` to `destination` on `client`'s registry; throws on the first failure that retries do not cure. */
async function copyImage(client, source, destination, options = {}) {
    const root = checked(await fromSource(source, 'the manifest', () => source.root()), source.label);
    const rootParsed = (0,content/* parseManifest */.Ng)(root, source.label);
    // The tree below the root: manifests an index lists (recursively), and every blob once.
    const children = [];
    const blobs = new Map();
    const listed = new Set();
    const visit = async (parsed) => {
        if (parsed.manifests) {
            // Counted before any is read: each is held until the push, up to 4 MiB.
            for (const entry of parsed.manifests)
                listed.add(entry.digest);
            (0,content/* checkManifestCount */.$j)(source.label, listed.size);
            for (const entry of parsed.manifests) {
                // An index may list one manifest twice (or two indexes one): read and pushed once.
                if (children.some(child => child.digest === entry.digest))
                    continue;
                const child = checked(await fromSource(source, `manifest "${entry.digest}"`, () => source.manifest(entry)), source.label);
                if (child.digest !== entry.digest) {
                    throw new content/* ContentError */.yg(`${source.label}: the index lists "${entry.digest}" but the source gave "${child.digest}"`);
                }
                (0,content/* checkListedSize */.TG)(source.label, entry, child);
                await visit((0,content/* parseManifest */.Ng)(child, source.label));
                children.push(child);
            }
            return;
        }
        for (const blob of [...(parsed.config ? [parsed.config] : []), ...(parsed.layers ?? [])]) {
            blobs.set(blob.digest, blob);
        }
    };
    await visit(rootParsed);
    const counts = { bytesUploaded: 0, blobsMounted: 0, blobsSkipped: 0, blobsUploaded: 0 };
    const mountFrom = source.mountFrom && source.mountFrom.host === client.host
        ? source.mountFrom.repository
        : undefined;
    const stop = new AbortController();
    const ledger = ledgerOf(client);
    let failure;
    await (0,pool/* mapWithLimit */.c)([...blobs.values()], options.parallel ?? DEFAULT_PARALLEL, async (blob) => {
        if (failure)
            return;
        // Another copy of this run is sending the same blob to another repository
        // of this registry: wait for it, then mount from there (what skopeo and
        // podman do with their blob-info cache) rather than send it twice.
        const elsewhere = ledger.get(blob.digest);
        const landed = new Deferred();
        if (!elsewhere)
            ledger.set(blob.digest, landed.promise);
        try {
            const there = elsewhere && (await elsewhere);
            const from = mountFrom ?? (there !== destination.repository ? there : undefined);
            // An upload's body is a stream that cannot be sent twice: after a
            // transient failure the whole blob copy starts over, from the HEAD
            // (the last try may have landed).
            const how = await (0,backoff/* retrying */.R$)(() => copyBlob(client, source, destination.repository, blob, from, stop.signal), {
                retries: options.retry?.retries ?? 0,
                baseDelayMs: options.retry?.baseDelayMs,
                retryable: copy_transient,
                onRetry: (attempt, error, delay) => options.retry?.onRetry?.(attempt, causeOf(error), delay),
                signal: stop.signal
            });
            landed.resolve(destination.repository);
            if (how === 'skipped')
                counts.blobsSkipped++;
            else if (how === 'mounted')
                counts.blobsMounted++;
            else {
                counts.blobsUploaded++;
                counts.bytesUploaded += blob.size;
            }
        }
        catch (error) {
            if (!elsewhere) {
                // Others waiting for it send it themselves.
                ledger.delete(blob.digest);
                landed.resolve(undefined);
            }
            // The first failure ends the copy: the uploads still running are cancelled.
            failure ??= error instanceof Error ? error : new Error(String(error));
            stop.abort(failure);
        }
    });
    if (failure)
        throw failure;
    // The manifests an index lists must exist before the index (the registry checks).
    for (const child of children) {
        await putManifest(client, destination.repository, child, child.digest);
    }
    for (const tag of destination.tags.length > 0 ? destination.tags : [root.digest]) {
        await putManifest(client, destination.repository, root, tag);
    }
    const platforms = rootParsed.manifests?.map(entry => (0,oci/* platformName */.$r)(entry.platform));
    return {
        digest: root.digest,
        mediaType: root.mediaType,
        ...(platforms ? { platforms } : {}),
        ...counts
    };
}
/**
 * Blobs each registry session has in flight or has copied, by digest: the
 * repository they go to. A run copying many images that share layers sends
 * each shared layer once and mounts it everywhere else.
 */
const ledgers = new WeakMap();
function ledgerOf(client) {
    let ledger = ledgers.get(client);
    if (!ledger)
        ledgers.set(client, (ledger = new Map()));
    return ledger;
}
class Deferred {
    resolve;
    promise = new Promise(resolve => (this.resolve = resolve));
}
/**
 * One blob: nothing to do when the repository has it (HEAD); a mount from
 * the source repository on the same registry; else an upload streamed from
 * the source ("POST then PUT", the spec's monolithic upload, which every
 * conformant registry supports: one request carries the bytes, with their
 * length and digest).
 */
async function copyBlob(client, source, repository, blob, mountFrom, signal) {
    if (await hasBlob(client, repository, blob.digest))
        return 'skipped';
    const mounted = mountFrom === undefined
        ? undefined
        : await mountBlob(client, repository, blob.digest, mountFrom);
    if (mounted === 'mounted')
        return 'mounted';
    const location = mounted?.location ?? (await startUpload(client, repository));
    // The Location may be relative and may carry query parameters of its own (distribution's `_state`).
    const url = new URL(location, client.baseUrl);
    url.searchParams.set('digest', blob.digest);
    const what = `blob "${blob.digest}"`;
    const body = await fromSource(source, what, () => source.blob(blob));
    const put = await client
        .request('PUT', url.toString(), repository, {
        push: true,
        headers: {
            'Content-Type': 'application/octet-stream',
            'Content-Length': String(body.size)
        },
        body: readFrom(source, what, body.body),
        signal
    })
        // A corrupt or failing source stops the upload from inside fetch: say what it found, not "fetch failed".
        .catch((error) => {
        throw sourceCause(error) ?? error;
    });
    await (0,registry_http/* discardBody */.LL)(put);
    return 'uploaded';
}
/** Whether `repository` has the blob `digest` (HEAD). */
async function hasBlob(client, repository, digest, signal) {
    const head = await client.request('HEAD', `/v2/${repository}/blobs/${digest}`, repository, {
        push: true,
        accept: [404],
        signal
    });
    await (0,registry_http/* discardBody */.LL)(head);
    return head.status === 200;
}
/**
 * Mounts `digest` into `repository` from `from` on the same registry (spec.md,
 * "Mounting a blob from another repository"): 'mounted' (201); the upload
 * session the registry started instead (202), for the caller to send the
 * bytes to; undefined when the mount was refused (a token without pull on
 * `from`: 401/403) or the 202 named no session.
 */
async function mountBlob(client, repository, digest, from, signal) {
    const query = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const mount = await client.request('POST', `/v2/${repository}/blobs/uploads/?${query}`, repository, {
        push: true,
        mountFrom: from,
        accept: [202, 401, 403],
        signal
    });
    await (0,registry_http/* discardBody */.LL)(mount);
    if (mount.status === 201)
        return 'mounted';
    const location = mount.status === 202 ? mount.headers.get('location') : null;
    return location ? { location } : undefined;
}
/** Starts an upload session in `repository`; its Location (relative or not, with distribution's `_state`). */
async function startUpload(client, repository, signal) {
    const start = await client.request('POST', `/v2/${repository}/blobs/uploads/`, repository, {
        push: true,
        accept: [202],
        signal
    });
    await (0,registry_http/* discardBody */.LL)(start);
    const location = start.headers.get('location');
    if (location === null) {
        throw new registry_errors/* RegistryError */.g(start.status, 'the upload session has no Location', start.url);
    }
    return location;
}
/**
 * Pushes a manifest as its stored bytes under `reference` (a tag, or its
 * digest for the manifests an index lists) and checks the registry kept
 * them: spec.md, "Pushing Manifests": the registry MUST store the manifest
 * without modification and answer its digest in Docker-Content-Digest.
 * A manifest listed by an index that the repository has already is not sent again.
 */
async function putManifest(client, repository, manifest, reference) {
    const path = `/v2/${repository}/manifests/${reference}`;
    if (reference === manifest.digest) {
        const head = await client.request('HEAD', path, repository, {
            push: true,
            headers: { Accept: manifest.mediaType },
            accept: [404]
        });
        await (0,registry_http/* discardBody */.LL)(head);
        if (head.status === 200)
            return;
    }
    // Bytes, not a stream: the client retries transient failures of this request itself.
    const response = await client.request('PUT', path, repository, {
        push: true,
        headers: { 'Content-Type': manifest.mediaType },
        body: manifest.bytes
    });
    await (0,registry_http/* discardBody */.LL)(response);
    const stored = response.headers.get('docker-content-digest');
    if (stored && stored !== manifest.digest) {
        throw new content/* ContentError */.yg(`the registry stored "${repository}:${reference}" as "${stored}", not as the source's "${manifest.digest}": it rewrote the manifest`);
    }
}
/** Whether another attempt of a blob copy may cure `error` (a network failure, a 5xx; never corrupt content). */
function copy_transient(error) {
    const cause = sourceCause(error);
    if (cause)
        return cause instanceof content/* SourceError */.c8 && cause.transient;
    return transientFailure(error);
}
function transientFailure(error) {
    if (error instanceof registry_errors/* RegistryError */.g)
        return registry_http/* TRANSIENT_STATUS */.uU.has(error.status);
    return (0,registry_http/* isTransientNetworkFailure */.rV)(error);
}
/**
 * `read` of the source, its failures named as the source's: a registry
 * answer such as a 403 would otherwise read as the destination's refusal.
 * A ContentError names the source already.
 */
async function fromSource(source, what, read) {
    try {
        return await read();
    }
    catch (error) {
        throw sourceFailure(source, what, error);
    }
}
/** The bytes of a blob as the source gives them, a failure on the way named as the source's. */
async function* readFrom(source, what, body) {
    try {
        yield* body;
    }
    catch (error) {
        throw sourceFailure(source, what, error);
    }
}
function sourceFailure(source, what, error) {
    // Bad input (a layout with no index.json) and failures that name the source already stay as they are.
    if (error instanceof content/* ContentError */.yg ||
        error instanceof content/* SourceError */.c8 ||
        error instanceof errors/* InputError */.dz) {
        return error;
    }
    const detail = error instanceof registry_errors/* RegistryError */.g ? error.message : (0,registry_http/* networkCause */.u6)(error);
    return new content/* SourceError */.c8(`${source.label}: reading ${what} from the source failed: ${detail}`, transientFailure(error), error);
}
function causeOf(error) {
    return error instanceof Error ? error.message : String(error);
}
/** The source's own failure behind an upload's (undici wraps what the body's stream threw). */
function sourceCause(error) {
    for (let current = error, depth = 0; current !== undefined && depth < 8; depth++) {
        if (current instanceof content/* ContentError */.yg || current instanceof content/* SourceError */.c8)
            return current;
        current = current instanceof Error ? current.cause : undefined;
    }
    return undefined;
}
/** The manifest, checked against its digest: what goes to the registry is byte for byte what the source holds. */
function checked(manifest, label) {
    const actual = (0,content/* sha256Digest */.sI)(manifest.bytes);
    if (actual !== manifest.digest) {
        throw new content/* ContentError */.yg(`${label}: manifest "${manifest.digest}" has the sha256 "${actual}": the source is corrupt`);
    }
    return manifest;
}

;// CONCATENATED MODULE: ./src/registry/gzip-stream.ts
/**
 * gzip of a byte stream, as it streams, in libuv's thread pool (node:zlib):
 * level 1, except that a window of bytes that does not compress (already
 * compressed files in a layer, random bytes) is stored, not compressed.
 * At level 1 zlib takes longer over such bytes than over text, and ten
 * times longer than storing them; the Go compressor under skopeo
 * (klauspost/compress, through pgzip) likewise hurries through
 * incompressible data and stores what does not shrink.
 *
 * The output depends on the input bytes only (each window's level is
 * decided from its own bytes, and the level changes between writes once
 * zlib has flushed), so one layer compressed twice (a retry, another run)
 * gives the same blob and digest.
 *
 * The levels were measured (README, "How archives and layouts are pushed").
 */



/** The gzip level of bytes that compress. */
const GZIP_LEVEL = 1;
/** Bytes whose level is decided at once: a read of the source, a chunk of output. */
const WINDOW = 1 << 20;
/** Samples of a window compressed to decide its level, and their size. */
const SAMPLES = 4;
const SAMPLE_BYTES = 8 * 1024;
/** A sample that level 1 shrinks by less than this share is taken as incompressible. */
const STORED_ABOVE = 0.97;
/**
 * The gzip header (RFC 1952): deflate, no name, no time (so the output
 * depends on the bytes only), "fastest" (XFL 4, as zlib writes it for level
 * 1), Unix. zlib's own gzip streams cannot change their level midway
 * (node applies params() to deflate streams only), so the deflate stream is
 * raw and the header and trailer are written here.
 */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]);
/** `input` gzip-compressed; `seen` is told every input byte, in order, as it is read. */
async function* gzipStream(input, seen) {
    if (typeof (external_node_zlib_default()).crc32 !== 'function') {
        // Node before 20.15 has no crc32 to write the trailer with: zlib's own gzip, at level 1 throughout.
        yield* plainGzip(input, seen);
        return;
    }
    // Output in windows too: with zlib's 16 KiB chunks, handing each over cost more than the deflating.
    const deflate = external_node_zlib_default().createDeflateRaw({ level: GZIP_LEVEL, chunkSize: WINDOW });
    // An error closes it too (once() rejects on one): either way, nothing more is written.
    const closed = (0,external_node_events_.once)(deflate, 'close').then(() => undefined, () => undefined);
    const trailer = { crc: 0, size: 0 };
    const feeding = feed(input, deflate, chunk => {
        trailer.crc = external_node_zlib_default().crc32(chunk, trailer.crc);
        trailer.size += chunk.length;
        seen(chunk);
    }, closed).catch((error) => deflate.destroy(error instanceof Error ? error : new Error(String(error))));
    try {
        yield GZIP_HEADER;
        for await (const chunk of deflate)
            yield chunk;
        await feeding;
        // CRC-32 and the size modulo 2^32, little-endian.
        const end = Buffer.alloc(8);
        end.writeUInt32LE(trailer.crc >>> 0, 0);
        end.writeUInt32LE(trailer.size % 2 ** 32, 4);
        yield end;
    }
    finally {
        deflate.destroy();
    }
}
/** Writes `input` to `deflate` window by window, each at its level; stops when `deflate` closes. */
async function feed(input, deflate, seen, closed) {
    let level = GZIP_LEVEL;
    for await (const window of windows(input)) {
        seen(window);
        const wanted = compresses(window) ? GZIP_LEVEL : 0;
        if (wanted !== level) {
            // params() flushes what was written, then changes the level: every later byte gets the new one.
            const changed = new Promise(resolve => deflate.params(wanted, (external_node_zlib_default()).constants.Z_DEFAULT_STRATEGY, () => resolve()));
            if ((await Promise.race([changed.then(() => 'changed'), closed])) === undefined)
                return;
            level = wanted;
        }
        if (!deflate.write(window)) {
            const drained = (0,external_node_events_.once)(deflate, 'drain').then(() => 'drained');
            if ((await Promise.race([drained, closed])) === undefined)
                return;
        }
    }
    deflate.end();
}
async function* plainGzip(input, seen) {
    const gzip = external_node_zlib_default().createGzip({ level: GZIP_LEVEL });
    const source = external_node_stream_.Readable.from(input).on('data', seen);
    source.on('error', error => gzip.destroy(error));
    source.pipe(gzip);
    try {
        yield* gzip;
    }
    finally {
        source.destroy();
        gzip.destroy();
    }
}
/** The stream in windows of WINDOW bytes (the last one shorter). */
async function* windows(input) {
    let held = [];
    let size = 0;
    for await (const chunk of input) {
        if (size === 0 && chunk.length === WINDOW) {
            // Read a window at a time (docker-archive.ts does): nothing to join.
            yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
            continue;
        }
        held.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        size += chunk.length;
        while (size >= WINDOW) {
            const joined = Buffer.concat(held, size);
            yield joined.subarray(0, WINDOW);
            held = size > WINDOW ? [joined.subarray(WINDOW)] : [];
            size -= WINDOW;
        }
    }
    if (size > 0)
        yield Buffer.concat(held, size);
}
/** Whether level 1 shrinks samples spread over `window` (a few per cent of its bytes, compressed here). */
function compresses(window) {
    const step = Math.max(SAMPLE_BYTES, Math.floor(window.length / SAMPLES));
    let raw = 0;
    let packed = 0;
    for (let start = 0; start < window.length; start += step) {
        const sample = window.subarray(start, start + SAMPLE_BYTES);
        raw += sample.length;
        packed += external_node_zlib_default().deflateRawSync(sample, { level: GZIP_LEVEL }).length;
    }
    return raw === 0 || packed < raw * STORED_ABOVE;
}

;// CONCATENATED MODULE: ./src/registry/compose.ts
/**
 * Pushes an image whose registry manifest is made on the way: a docker
 * archive (`docker save`, `podman save --format docker-archive`) holds an
 * image's config and its layers as plain tars, not what a registry serves.
 * What goes up is what skopeo makes of it (a Docker schema 2 manifest): the
 * config byte for byte (so the image ID stays the source's), each plain
 * layer gzip-compressed while it streams (gzip-stream.ts), layers
 * compressed already sent as they are. Every layer's
 * uncompressed bytes are hashed on the way and must be the config's
 * `rootfs.diff_ids` entry: a layer that is not fails the image before its
 * manifest is put, so nothing is tagged.
 *
 * A layer's compressed digest is known only once it is sent, so it goes up
 * as distribution's "stream upload": POST a session, PATCH the bytes with
 * no length (chunked), PUT `?digest=` to close it (distribution,
 * registry/handlers/blobupload.go: a PATCH without Content-Range is a
 * stream; opencontainers/distribution-spec spec.md, "Pushing a blob in
 * chunks", for the POST / PATCH / PUT sequence; Harbor hands these requests
 * to distribution unchanged). The registry checks the digest against the
 * bytes it received, and keeps nothing under it if they differ.
 */










const DOCKER = {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    gzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip'
};
/** Docker schema 2 has no zstd layer type: an image with one goes up as OCI. */
const OCI = {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    zstd: 'application/vnd.oci.image.layer.v1.tar+zstd'
};
/** Layers sent at once unless told. */
const compose_DEFAULT_PARALLEL = 4;
/**
 * Layers each registry session has sent or is sending, by diffID: a layer
 * several archives of one run share is compressed and sent once, then
 * mounted (or found present) under the digest the first push gave it.
 */
const compose_ledgers = new WeakMap();
function compose_ledgerOf(client) {
    let ledger = compose_ledgers.get(client);
    if (!ledger)
        compose_ledgers.set(client, (ledger = new Map()));
    return ledger;
}
/** Pushes `image` to `destination` on `client`'s registry; throws on the first failure that retries do not cure. */
async function pushComposed(client, image, destination, options = {}) {
    const { repository } = destination;
    const types = image.layers.some(layer => layer.compression === 'zstd') ? OCI : DOCKER;
    const counts = { bytesUploaded: 0, blobsMounted: 0, blobsSkipped: 0, blobsUploaded: 0 };
    const stop = new AbortController();
    const retried = (attempt) => (0,backoff/* retrying */.R$)(attempt, {
        retries: options.retry?.retries ?? 0,
        baseDelayMs: options.retry?.baseDelayMs,
        retryable: copy_transient,
        onRetry: (number, error, delay) => options.retry?.onRetry?.(number, causeOf(error), delay),
        signal: stop.signal
    });
    const count = (how, size) => {
        if (how === 'skipped')
            counts.blobsSkipped++;
        else if (how === 'mounted')
            counts.blobsMounted++;
        else {
            counts.blobsUploaded++;
            counts.bytesUploaded += size;
        }
    };
    const config = {
        mediaType: types.config,
        digest: image.config.digest,
        size: image.config.bytes.length
    };
    const configSource = {
        label: image.label,
        blob: () => Promise.resolve({
            size: config.size,
            body: external_node_stream_.Readable.from([image.config.bytes])
        })
    };
    const ledger = compose_ledgerOf(client);
    const layers = [];
    let failure;
    const fail = (error) => {
        failure ??= error instanceof Error ? error : new Error(String(error));
        stop.abort(failure);
    };
    // The config goes up beside the layers: three round trips that need not hold them back.
    const configSent = retried(() => copyBlob(client, configSource, repository, config, undefined, stop.signal)).then(how => count(how, config.size), fail);
    await (0,pool/* mapWithLimit */.c)(image.layers.map((layer, index) => ({ layer, index })), options.parallel ?? compose_DEFAULT_PARALLEL, async ({ layer, index }) => {
        if (failure)
            return;
        const elsewhere = ledger.get(layer.diffId);
        const landed = new Deferred();
        if (!elsewhere)
            ledger.set(layer.diffId, landed.promise);
        try {
            const there = elsewhere && (await elsewhere);
            const reused = there && (await retried(() => reuse(client, repository, there, stop.signal)));
            if (there && (reused === 'skipped' || reused === 'mounted')) {
                count(reused, there.descriptor.size);
                layers[index] = there.descriptor;
                return;
            }
            const location = typeof reused === 'object' ? reused.location : undefined;
            let first = true;
            const sent = await retried(() => {
                // A mount's upload session serves the first try only.
                const session = first ? location : undefined;
                first = false;
                return upload(client, repository, image.label, index, layer, types, session, stop.signal);
            });
            count('uploaded', sent.size);
            layers[index] = sent;
            if (!elsewhere)
                landed.resolve({ descriptor: sent, repository });
        }
        catch (error) {
            fail(error);
        }
        finally {
            if (!elsewhere && !layers[index]) {
                // Others waiting for it send it themselves.
                ledger.delete(layer.diffId);
                landed.resolve(undefined);
            }
        }
    });
    await configSent;
    if (failure)
        throw failure;
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: types.manifest, config, layers }));
    const stored = { digest: (0,content/* sha256Digest */.sI)(manifest), mediaType: types.manifest, bytes: manifest };
    for (const tag of destination.tags.length > 0 ? destination.tags : [stored.digest]) {
        await putManifest(client, repository, stored, tag);
    }
    return { digest: stored.digest, mediaType: stored.mediaType, ...counts };
}
/**
 * A layer another push of this run sent: present in `repository` already
 * (HEAD, when it went to this repository), or mounted from where it went. 'upload' when neither works (the
 * mount refused, and no session given); `{ location }` when the registry
 * answered the mount with an upload session instead.
 */
async function reuse(client, repository, there, signal) {
    const { digest } = there.descriptor;
    if (there.repository === repository) {
        // Another tag of this repository: the layer is there unless that push lost it.
        return (await hasBlob(client, repository, digest, signal)) ? 'skipped' : 'upload';
    }
    // Another repository: straight to the mount, one round trip (a blob there already mounts too).
    return (await mountBlob(client, repository, digest, there.repository, signal)) ?? 'upload';
}
/** One layer sent as a stream upload (POST, PATCH, PUT ?digest=): its descriptor in the manifest. */
async function upload(client, repository, label, index, layer, types, session, signal) {
    const location = session ?? (await startUpload(client, repository, signal));
    const tally = new LayerTally();
    const body = layer.compression === 'none'
        ? gzipped(layer, tally)
        : checkedCompressed(layer, tally, label, index);
    // No Content-Length: the size is known once the bytes are compressed, and undici sends the stream chunked.
    const patch = await client
        .request('PATCH', new URL(location, client.baseUrl).toString(), repository, {
        push: true,
        headers: { 'Content-Type': 'application/octet-stream' },
        body,
        accept: [202],
        signal
    })
        .catch((error) => {
        throw sourceCause(error) ?? error;
    });
    await (0,registry_http/* discardBody */.LL)(patch);
    // Checked before the upload is closed: a layer that is not what the config says never lands.
    const sent = tally.result(layer, label, index);
    const url = new URL(patch.headers.get('location') ?? location, client.baseUrl);
    url.searchParams.set('digest', sent.digest);
    const put = await client.request('PUT', url.toString(), repository, {
        push: true,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: '',
        accept: [201],
        signal
    });
    await (0,registry_http/* discardBody */.LL)(put);
    const mediaType = layer.compression === 'zstd' ? OCI.zstd : types === OCI ? OCI.gzip : DOCKER.gzip;
    return { mediaType, digest: sent.digest, size: sent.size };
}
/** What a layer's stream read and sent: the uncompressed bytes' hash, the compressed ones'. */
class LayerTally {
    uncompressed = (0,external_node_crypto_.createHash)('sha256');
    compressed = (0,external_node_crypto_.createHash)('sha256');
    /** Bytes read from the source. */
    read = 0;
    /** Bytes sent. */
    sent = 0;
    /** The sent blob's digest and size, once the uncompressed bytes are checked against the diffID. */
    result(layer, label, index) {
        if (this.read !== layer.size) {
            throw new content/* ContentError */.yg(`${label}: layer ${index + 1} gave ${this.read} bytes where the archive says ${layer.size}: the archive changed while it was read`);
        }
        const diffId = `sha256:${this.uncompressed.digest('hex')}`;
        if (diffId !== layer.diffId) {
            throw new content/* ContentError */.yg(`${label}: layer ${index + 1} holds content with the sha256 "${diffId}" where the image's config says "${layer.diffId}" (rootfs.diff_ids): the archive is corrupt or was altered; nothing of this image was tagged`);
        }
        return { digest: `sha256:${this.compressed.digest('hex')}`, size: this.sent };
    }
}
/** A plain layer, hashed as it is read and gzip-compressed (in libuv's thread pool) as it streams. */
async function* gzipped(layer, tally) {
    const seen = (chunk) => {
        tally.uncompressed.update(chunk);
        tally.read += chunk.length;
    };
    for await (const chunk of gzipStream(layer.open(), seen)) {
        tally.compressed.update(chunk);
        tally.sent += chunk.length;
        yield chunk;
    }
}
/**
 * A layer compressed already, sent as it is; its bytes are decompressed
 * on the side (the thread pool again) only to hash what they hold.
 */
async function* checkedCompressed(layer, tally, label, index) {
    const inflate = decompressor(layer.compression, label, index);
    inflate.on('data', (chunk) => tally.uncompressed.update(chunk));
    const ended = new Promise((resolve, reject) => {
        inflate.once('end', resolve);
        inflate.once('error', reject);
    });
    ended.catch(() => undefined);
    const unreadable = (error) => new content/* ContentError */.yg(`${label}: layer ${index + 1} is not readable ${layer.compression} (${causeOf(error)}): the archive is corrupt`);
    try {
        for await (const chunk of layer.open()) {
            tally.read += chunk.length;
            tally.compressed.update(chunk);
            tally.sent += chunk.length;
            // Bounded memory: the next chunk waits while the decompressor is behind.
            if (!inflate.write(chunk))
                await Promise.race([(0,external_node_events_.once)(inflate, 'drain'), ended]);
            yield chunk;
        }
        inflate.end();
        await ended.catch((error) => {
            throw unreadable(error);
        });
    }
    catch (error) {
        throw error instanceof content/* ContentError */.yg ? error : unreadable(error);
    }
    finally {
        inflate.destroy();
    }
}
function decompressor(compression, label, index) {
    if (compression === 'gzip')
        return external_node_zlib_default().createGunzip();
    // Node 22.15 and later; the action runs on Node 24.
    if (typeof (external_node_zlib_default()).createZstdDecompress !== 'function') {
        throw new content/* ContentError */.yg(`${label}: layer ${index + 1} is zstd-compressed, which this Node.js (${process.version}) cannot read: run harbor-push on Node 22.15 or later`);
    }
    return external_node_zlib_default().createZstdDecompress();
}

// EXTERNAL MODULE: ./src/tar.ts
var tar = __webpack_require__(4616);
;// CONCATENATED MODULE: ./src/sources/archive-files.ts
/**
 * The files of an archive read in place (an OCI archive, a docker archive):
 * its tar entries are indexed once (where each file's bytes lie) and every
 * file is then read or streamed as a byte range of the archive. Nothing is
 * extracted, nothing held in memory whole.
 *
 * An archive comes from another job and is checked as hostile: links,
 * absolute paths, `..`, devices, a name given twice and sizes beyond the
 * file are refused before anything is pushed.
 */




/** The files of one archive, by their cleaned name (`./blobs/x` is `blobs/x`). */
class ArchiveFiles {
    file;
    label;
    kind;
    index;
    /** Links the archive holds (when its kind keeps them): never read, only named in errors. */
    links = new Map();
    constructor(file, 
    /** `oci-archive:/path:ref`: how errors name it. */
    label, kind) {
        this.file = file;
        this.label = label;
        this.kind = kind;
    }
    /** Every file, indexed on first use; hostile entries refused (an InputError). */
    entries() {
        this.index ??= indexArchive(this.file, this.label, this.kind, this.links);
        return this.index;
    }
    /** `symbolic link`, `hard link` when `name` is a link the archive holds. */
    linkKind(name) {
        this.entries();
        return this.links.get(name);
    }
    get(name) {
        return this.entries().get(name);
    }
    /** A small file's bytes; undefined when there is none, a ContentError when larger than `maxBytes`. */
    async read(name, maxBytes) {
        const entry = this.get(name);
        if (!entry)
            return undefined;
        if (entry.size > maxBytes) {
            throw new content/* ContentError */.yg(`${this.label}: "${name}" is ${entry.size} bytes, too large`);
        }
        return this.readAt(entry, 0, entry.size, name);
    }
    /** `length` bytes of `entry` from `start` (fewer when the entry is shorter). */
    async readAt(entry, start, length, name = entry.name) {
        const wanted = Math.max(0, Math.min(length, entry.size - start));
        const handle = await external_node_fs_default().promises.open(this.file);
        try {
            const bytes = Buffer.alloc(wanted);
            const { bytesRead } = await handle.read(bytes, 0, wanted, entry.offset + start);
            if (bytesRead !== wanted)
                throw new content/* ContentError */.yg(`${this.label}: "${name}" is cut short`);
            return bytes;
        }
        finally {
            await handle.close();
        }
    }
    /** The bytes of `entry`, streamed from the file (a new stream each call), `chunkBytes` a read. */
    stream(entry, chunkBytes) {
        return entry.size === 0
            ? emptyBody()
            : external_node_fs_default().createReadStream(this.file, {
                start: entry.offset,
                end: entry.offset + entry.size - 1,
                ...(chunkBytes ? { highWaterMark: chunkBytes } : {})
            });
    }
}
/** The files of the archive by their cleaned name; hostile entries refused. */
function indexArchive(file, label, kind, links) {
    let fd;
    try {
        fd = external_node_fs_default().openSync(file, 'r');
    }
    catch (error) {
        throw new errors/* InputError */.dz(`"${label}" cannot be opened (${(0,errors/* messageOf */.bD)(error)}): check the path. Nothing was pushed.`);
    }
    try {
        const total = external_node_fs_default().fstatSync(fd).size;
        const read = (offset, length) => {
            const bytes = Buffer.alloc(Math.max(0, Math.min(length, total - offset)));
            const bytesRead = bytes.length > 0 ? external_node_fs_default().readSync(fd, bytes, 0, bytes.length, offset) : 0;
            return bytes.subarray(0, bytesRead);
        };
        const head = read(0, 2);
        if (head[0] === 0x1f && head[1] === 0x8b) {
            // Read in place means read at any offset: a compressed stream has none to read at.
            throw new errors/* InputError */.dz(`"${label}" is gzip-compressed: harbor-push reads ${kind.article} ${kind.noun} in place, as an uncompressed tar (${kind.madeBy.replace(/^as /, '')}); gunzip it first. Nothing was pushed.`);
        }
        let located;
        try {
            located = (0,tar/* tarEntries */.O)(read, total);
        }
        catch (error) {
            throw new errors/* InputError */.dz(`"${label}" is not a readable ${kind.noun} (${(0,errors/* messageOf */.bD)(error)}): check that it is an uncompressed tar, ${kind.madeBy}. Nothing was pushed.`);
        }
        const files = new Map();
        for (const entry of located) {
            const name = cleanName(entry.name, label);
            if (entry.kind === 'folder')
                continue;
            if (files.has(name) || links.has(name)) {
                throw new errors/* InputError */.dz(`"${label}" holds "${name}" twice: which one counts is ambiguous. Nothing was pushed.`);
            }
            const isLink = entry.kind === 'symbolic link' || entry.kind === 'hard link';
            if (isLink && kind.keepsLinks) {
                links.set(name, entry.kind);
                continue;
            }
            if (entry.kind !== 'file') {
                throw new errors/* InputError */.dz(`"${label}" holds "${entry.name}", a ${entry.kind === 'other' ? 'special file' : entry.kind}: ${kind.article} ${kind.noun} holds plain files only, and harbor-push reads no other kind. Nothing was pushed.`);
            }
            files.set(name, entry);
        }
        return files;
    }
    finally {
        external_node_fs_default().closeSync(fd);
    }
}
/** The name without `./`; absolute names and `..` are refused (they point outside the archive). */
function cleanName(name, label) {
    const parts = name.split('/').filter(part => part !== '' && part !== '.');
    if (name.startsWith('/') || parts.includes('..')) {
        throw new errors/* InputError */.dz(`"${label}" holds "${name}", a path outside the archive's own folder: refused. Nothing was pushed.`);
    }
    return parts.join('/');
}
async function* emptyBody() { }

;// CONCATENATED MODULE: ./src/sources/oci-layout.ts
/**
 * OCI image layouts as content sources (image-spec, image-layout.md): a
 * folder holding `index.json` and `blobs/<algorithm>/<hex>`, read in place,
 * or the same files inside an OCI archive (oci-archive.ts). The image is
 * chosen as skopeo's `oci:` transport chooses it: the manifest of
 * `index.json` whose `org.opencontainers.image.ref.name` annotation is
 * `REF`, or, with no `REF`, the only one there is.
 */





/** The annotation that names an image of a layout (image-spec, annotations.md). */
const REF_NAME = 'org.opencontainers.image.ref.name';
/** How many of a layout's image names an error lists, and how much of each. */
const SHOWN_NAMES = 5;
const NAME_CHARS = 80;
/**
 * `it holds "a", "b", and 3 more`: the names an archive or layout holds, for
 * an error that says a name is not there; '' when it names none. A few names
 * say enough; an archive may hold thousands, of any length.
 */
function heldNames(names) {
    const named = names.filter(Boolean);
    const shown = named.slice(0, SHOWN_NAMES).map(name => {
        const text = String(name);
        return `"${text.length > NAME_CHARS ? `${text.slice(0, NAME_CHARS)}…` : text}"`;
    });
    const more = named.length > SHOWN_NAMES ? `, and ${named.length - SHOWN_NAMES} more` : '';
    return named.length > 0 ? `it holds ${shown.join(', ')}${more}` : '';
}
/** An image of an OCI layout (folder or archive), chosen by `ref`. */
class LayoutSource {
    files;
    ref;
    label;
    chosen;
    constructor(files, ref, 
    /** `oci:/path:ref`, `oci-archive:/path:ref`: how errors name it. */
    label) {
        this.files = files;
        this.ref = ref;
        this.label = label;
    }
    /**
     * The entry of `index.json` that `ref` names, checked once: a missing or
     * unreadable index.json, or a `ref` it does not hold, is an input error
     * that says what the layout holds.
     */
    entry() {
        this.chosen ??= this.choose();
        return this.chosen;
    }
    async choose() {
        const bytes = await this.files.read('index.json', oci/* MAX_MANIFEST_BYTES */.ZJ);
        if (!bytes) {
            throw new errors/* InputError */.dz(`"${this.label}" holds no index.json: it is not an OCI image layout. Nothing was pushed.`);
        }
        let entries;
        try {
            const parsed = JSON.parse(bytes.toString('utf8'));
            if (!Array.isArray(parsed.manifests))
                throw new Error('no "manifests" list');
            entries = parsed.manifests;
        }
        catch (error) {
            throw new errors/* InputError */.dz(`"${this.label}": its index.json cannot be read (${error instanceof Error ? error.message : String(error)}). Nothing was pushed.`);
        }
        const held = heldNames(entries.map(entry => entry.annotations?.[REF_NAME]));
        const matches = this.ref
            ? entries.filter(entry => entry.annotations?.[REF_NAME] === this.ref)
            : entries;
        if (matches.length !== 1) {
            const why = this.ref
                ? matches.length === 0
                    ? `holds no image named "${this.ref}"${held ? ` (${held})` : ''}`
                    : `holds ${matches.length} images named "${this.ref}"`
                : `holds ${entries.length} images, not one${held ? ` (${held})` : ''}: name one after the path, as ":REF"`;
            throw new errors/* InputError */.dz(`"${this.label}" ${why}. Nothing was pushed.`);
        }
        const [entry] = matches;
        if (typeof entry.digest !== 'string' || !oci/* SHA256_DIGEST */.fu.test(entry.digest)) {
            throw new errors/* InputError */.dz(`"${this.label}": its index.json names the digest "${String(entry.digest)}", not a sha256 digest. Nothing was pushed.`);
        }
        return entry;
    }
    /**
     * What the image holds, checked without reading a layer: every manifest
     * readable and matching its digest, every blob present with its size. A
     * problem is an input error naming the source: nothing is pushed of it.
     */
    async inspect() {
        try {
            const root = await this.root();
            const blobs = new Map();
            const parsed = (0,content/* parseManifest */.Ng)(root, this.label);
            const children = parsed.manifests ?? [];
            // The whole tree, as the copier copies it (an index may list indexes),
            // and what the copier refuses (copy.ts) is refused here, before anything is pushed.
            const manifests = [parsed];
            let listed = 0;
            const walk = async (entries) => {
                listed += entries.length;
                (0,content/* checkManifestCount */.$j)(this.label, listed);
                for (const child of await Promise.all(entries.map(entry => this.child(entry)))) {
                    manifests.push(child);
                    if (child.manifests)
                        await walk(child.manifests);
                }
            };
            await walk(children);
            for (const manifest of manifests) {
                for (const blob of [
                    ...(manifest.config ? [manifest.config] : []),
                    ...(manifest.layers ?? [])
                ]) {
                    blobs.set(blob.digest, blob);
                }
            }
            for (const blob of blobs.values()) {
                const size = await this.files.size(this.blobPath(blob));
                if (size === undefined)
                    throw this.missing(blob);
                if (size !== blob.size) {
                    throw new content/* ContentError */.yg(`${this.label}: blob "${blob.digest}" is ${size} bytes where its descriptor says ${blob.size}: the source is corrupt`);
                }
            }
            return {
                digest: root.digest,
                mediaType: root.mediaType,
                ...(parsed.config ? { configDigest: parsed.config.digest } : {}),
                ...(parsed.manifests
                    ? {
                        platforms: children.map(entry => ({
                            platform: (0,oci/* platformName */.$r)(entry.platform),
                            digest: entry.digest
                        }))
                    }
                    : {}),
                blobs: [...blobs.values()]
            };
        }
        catch (error) {
            if (error instanceof content/* ContentError */.yg)
                throw new errors/* InputError */.dz(`${error.message}. Nothing was pushed.`);
            throw error;
        }
    }
    /** A manifest an index lists, parsed, with the size the index gives it. */
    async child(entry) {
        const child = await this.manifest(entry);
        (0,content/* checkListedSize */.TG)(this.label, entry, child);
        return (0,content/* parseManifest */.Ng)(child, this.label);
    }
    async root() {
        return this.manifest(await this.entry());
    }
    async manifest(descriptor) {
        if (descriptor.size > oci/* MAX_MANIFEST_BYTES */.ZJ) {
            throw new content/* ContentError */.yg(`${this.label}: manifest "${descriptor.digest}" is ${descriptor.size} bytes, more than a manifest may be`);
        }
        const bytes = await this.files.read(this.blobPath(descriptor), oci/* MAX_MANIFEST_BYTES */.ZJ);
        if (!bytes)
            throw this.missing(descriptor);
        const actual = (0,content/* sha256Digest */.sI)(bytes);
        if (actual !== descriptor.digest) {
            throw new content/* ContentError */.yg(`${this.label}: manifest "${descriptor.digest}" has the sha256 "${actual}": its bytes are not what its name says, the source is corrupt`);
        }
        let mediaType = descriptor.mediaType;
        try {
            mediaType =
                JSON.parse(bytes.toString('utf8')).mediaType ?? mediaType;
        }
        catch {
            // The copier says it is not JSON, with the digest.
        }
        return { digest: descriptor.digest, mediaType, bytes };
    }
    async blob(descriptor) {
        const file = await this.files.open(this.blobPath(descriptor));
        if (!file)
            throw this.missing(descriptor);
        if (file.size !== descriptor.size) {
            throw new content/* ContentError */.yg(`${this.label}: blob "${descriptor.digest}" is ${file.size} bytes where its descriptor says ${descriptor.size}: the source is corrupt`);
        }
        return { size: file.size, body: (0,content/* checkedBytes */.Dp)(file.body, descriptor, this.label) };
    }
    /** `blobs/sha256/<hex>`; a digest of any other shape never becomes a path. */
    blobPath(descriptor) {
        if (!oci/* SHA256_DIGEST */.fu.test(descriptor.digest)) {
            throw new content/* ContentError */.yg(`${this.label}: "${descriptor.digest}" is not a sha256 digest`);
        }
        return `blobs/sha256/${descriptor.digest.slice('sha256:'.length)}`;
    }
    missing(descriptor) {
        return new content/* ContentError */.yg(`${this.label}: blob "${descriptor.digest}" is missing from the layout (an image whose layers were left out is not pushable)`);
    }
}
/** An image of the OCI layout folder `dir`, read in place. */
function ociLayoutSource(dir, ref) {
    const label = `oci:${dir}${ref ? `:${ref}` : ''}`;
    const files = {
        async read(name, maxBytes) {
            const file = external_node_path_default().join(dir, name);
            const size = await sizeOf(file);
            if (size === undefined)
                return undefined;
            if (size > maxBytes)
                throw new content/* ContentError */.yg(`${label}: "${name}" is ${size} bytes, too large`);
            return external_node_fs_default().promises.readFile(file);
        },
        async open(name) {
            const file = external_node_path_default().join(dir, name);
            const size = await sizeOf(file);
            if (size === undefined)
                return undefined;
            return { size, body: external_node_fs_default().createReadStream(file) };
        },
        size: name => sizeOf(external_node_path_default().join(dir, name))
    };
    return new LayoutSource(files, ref, label);
}
/** The size of a regular file; undefined when there is none. */
async function sizeOf(file) {
    try {
        const stat = await external_node_fs_default().promises.stat(file);
        return stat.isFile() ? stat.size : undefined;
    }
    catch (error) {
        if (error.code === 'ENOENT')
            return undefined;
        throw error;
    }
}

;// CONCATENATED MODULE: ./src/sources/docker-archive.ts
/**
 * Docker archives read in place: the legacy layout of `docker save` (up to
 * Docker 24) and `podman save --format docker-archive` (`manifest.json`
 * listing each image's config `<hex>.json` and layers `<id>/layer.tar` or
 * `<hex>.tar`), and Docker 25+'s, an OCI layout with the same
 * `manifest.json` beside it (config and layers `blobs/sha256/<hex>`). Both
 * are read through `manifest.json`. Nothing is extracted: the tar's entries
 * are indexed once (archive-files.ts, hostile entries refused) and each
 * layer is streamed as a byte range of the file when it is pushed.
 *
 * The image is chosen as skopeo's docker-archive transport chooses it
 * (containers/image, docker/internal/tarfile/reader.go,
 * ChooseManifestItem): `:NAME:TAG` is the image with that tag among its
 * RepoTags (both normalised, `web:v1` is `docker.io/library/web:v1`), `:@N`
 * the N-th image (from 0), none the only image there is.
 */






/** No image has more layers (overlay stacks end at 128; Docker refuses more than 125). */
const MAX_LAYERS = 1000;
/** An image of the docker archive `file`, chosen by `ref` (`name:tag`, `@N` or ''). */
class DockerArchiveSource {
    ref;
    label;
    files;
    constructor(file, ref) {
        this.ref = ref;
        this.label = `docker-archive:${file}${ref ? `:${ref}` : ''}`;
        this.files = new ArchiveFiles(file, this.label, {
            noun: 'docker archive',
            article: 'a',
            madeBy: 'as docker save and podman save --format docker-archive write it',
            keepsLinks: true
        });
    }
    /**
     * The image, checked without reading a layer: the config present and
     * matching its name, every layer present, one diffID for each. A problem
     * is an input error naming the archive: nothing is pushed of it.
     */
    async inspect() {
        try {
            return await this.image();
        }
        catch (error) {
            if (error instanceof content/* ContentError */.yg) {
                throw new errors/* InputError */.dz(`${error.message}. Nothing was pushed.`);
            }
            throw error;
        }
    }
    async image() {
        const item = await this.choose();
        if (typeof item.Config !== 'string') {
            throw new content/* ContentError */.yg(`${this.label}: its manifest.json names no Config for the image`);
        }
        const configName = cleanName(item.Config, this.label);
        this.refuseLink(configName);
        const bytes = await this.files.read(configName, oci/* MAX_MANIFEST_BYTES */.ZJ);
        if (!bytes)
            throw new content/* ContentError */.yg(`${this.label}: its config "${configName}" is missing`);
        const digest = (0,content/* sha256Digest */.sI)(bytes);
        // The config's name is its digest in either layout (`<hex>.json`, `blobs/sha256/<hex>`).
        const named = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/.exec(configName)?.[1];
        if (named && `sha256:${named}` !== digest) {
            throw new content/* ContentError */.yg(`${this.label}: its config "${configName}" has the sha256 "${digest}": its bytes are not what its name says, the archive is corrupt`);
        }
        const diffIds = diffIdsOf(bytes, this.label);
        const names = Array.isArray(item.Layers) ? item.Layers : undefined;
        if (!names || !names.every(name => typeof name === 'string')) {
            throw new content/* ContentError */.yg(`${this.label}: its manifest.json lists no Layers for the image`);
        }
        if (names.length > MAX_LAYERS) {
            throw new content/* ContentError */.yg(`${this.label}: its manifest.json lists ${names.length} layers, more than ${MAX_LAYERS}: no image has that many, the archive is broken or hostile`);
        }
        if (names.length !== diffIds.length) {
            throw new content/* ContentError */.yg(`${this.label}: its manifest.json lists ${names.length} layers where the image's config lists ${diffIds.length} (rootfs.diff_ids): the archive is corrupt`);
        }
        const layers = await Promise.all(names.map(async (given, index) => {
            const name = cleanName(given, this.label);
            this.refuseLink(name);
            const entry = this.files.get(name);
            if (!entry) {
                throw new content/* ContentError */.yg(`${this.label}: layer "${name}" is missing from the archive (an image whose layers were left out is not pushable)`);
            }
            const head = await this.files.readAt(entry, 0, 4, name);
            return {
                diffId: diffIds[index],
                compression: compressionOf(head),
                size: entry.size,
                // A window of the compressor a read: its level is decided per window, with nothing to join.
                open: () => this.files.stream(entry, WINDOW)
            };
        }));
        return { label: this.label, config: { digest, bytes }, layers };
    }
    /** A file manifest.json names must be a plain file: a link is never followed (it could point anywhere). */
    refuseLink(name) {
        const link = this.files.linkKind(name);
        if (link) {
            throw new errors/* InputError */.dz(`"${this.label}" holds "${name}", a ${link}, where its manifest.json names a file: harbor-push follows no link in an archive. Nothing was pushed.`);
        }
    }
    /** The item of manifest.json that `ref` names; an input error saying what the archive holds otherwise. */
    async choose() {
        this.refuseLink('manifest.json');
        const bytes = await this.files.read('manifest.json', oci/* MAX_MANIFEST_BYTES */.ZJ);
        if (!bytes) {
            throw new errors/* InputError */.dz(`"${this.label}" holds no manifest.json: it is not a docker archive (docker save, podman save --format docker-archive). Nothing was pushed.`);
        }
        let items;
        try {
            const parsed = JSON.parse(bytes.toString('utf8'));
            if (!Array.isArray(parsed))
                throw new Error('not a list of images');
            items = parsed.map(item => typeof item === 'object' && item !== null ? item : {});
        }
        catch (error) {
            throw new errors/* InputError */.dz(`"${this.label}": its manifest.json cannot be read (${error instanceof Error ? error.message : String(error)}). Nothing was pushed.`);
        }
        (0,content/* checkManifestCount */.$j)(this.label, items.length);
        const tagsOf = (item) => Array.isArray(item.RepoTags)
            ? item.RepoTags.filter((tag) => typeof tag === 'string')
            : [];
        const held = heldNames(items.flatMap(tagsOf));
        const index = /^@(\d+)$/.exec(this.ref)?.[1];
        if (index !== undefined) {
            const item = items[Number(index)];
            if (!item) {
                throw new errors/* InputError */.dz(`"${this.label}" holds ${items.length} ${items.length === 1 ? 'image' : 'images'}: "@${index}" names none (the first is @0). Nothing was pushed.`);
            }
            return item;
        }
        if (!this.ref) {
            if (items.length !== 1) {
                throw new errors/* InputError */.dz(`"${this.label}" holds ${items.length} images, not one${held ? ` (${held})` : ''}: name one after the path, as ":NAME:TAG" or ":@N". Nothing was pushed.`);
            }
            return items[0];
        }
        const wanted = normalisedName(this.ref);
        const item = items.find(candidate => tagsOf(candidate).some(tag => normalisedName(tag) === wanted));
        if (!item) {
            throw new errors/* InputError */.dz(`"${this.label}" holds no image tagged "${this.ref}"${held ? ` (${held})` : ''}. Nothing was pushed.`);
        }
        return item;
    }
}
/** The config's `rootfs.diff_ids`, each a sha256 digest. */
function diffIdsOf(config, label) {
    let parsed;
    try {
        parsed = JSON.parse(config.toString('utf8'));
    }
    catch {
        throw new content/* ContentError */.yg(`${label}: the image's config is not JSON`);
    }
    const diffIds = parsed?.rootfs?.diff_ids;
    if (!Array.isArray(diffIds) ||
        !diffIds.every(id => typeof id === 'string' && oci/* SHA256_DIGEST */.fu.test(id))) {
        throw new content/* ContentError */.yg(`${label}: the image's config lists no rootfs.diff_ids of sha256 digests: it is not an image config`);
    }
    return diffIds;
}
/** How a layer is stored, from its first bytes: gzip (1f 8b), zstd (28 b5 2f fd), else a plain tar. */
function compressionOf(head) {
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)
        return 'gzip';
    if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528)
        return 'zstd';
    return 'none';
}
/**
 * `name:tag` as distribution/reference's ParseNormalizedNamed writes it: a
 * first component that is no host (no `.` or `:`, not `localhost`) is on
 * docker.io, and a one-component name there is in `library/`.
 */
function normalisedName(reference) {
    const slash = reference.indexOf('/');
    const first = slash === -1 ? '' : reference.slice(0, slash);
    const isHost = first !== '' && (/[.:]/.test(first) || first === 'localhost');
    let domain = isHost ? first : 'docker.io';
    let rest = isHost ? reference.slice(slash + 1) : reference;
    if (domain === 'index.docker.io')
        domain = 'docker.io';
    if (domain === 'docker.io' && !rest.includes('/'))
        rest = `library/${rest}`;
    return `${domain}/${rest}`;
}

;// CONCATENATED MODULE: ./src/registry/client.ts





/** Every manifest kind a tag may hold: OCI and Docker, images and indexes. */
const MANIFEST_ACCEPT = [
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json'
].join(', ');
/** How long the end of a run waits for a request that only tidies up (a cancelled upload probe). */
const TIDY_UP_TIMEOUT_MS = 5_000;
/** A token service's answer larger than this is no token (Harbor's are ~1 KiB, cloud registries' a few). */
const TOKEN_ANSWER_BYTES = 1024 * 1024;
/** A token's lifetime when the realm does not say (the token spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;
/**
 * A small client of the OCI distribution API: enough to check a login, the
 * actions an account may take on a repository, and what a tag holds. Bearer
 * tokens are fetched from the realm with the account's credentials and
 * cached per scope. Credentials are never put in a message.
 */
class RegistryClient {
    baseUrl;
    tls;
    credentials;
    retry;
    challenge;
    tokens = new Map();
    /** Cancelled upload probes still on their way: nothing needs to wait for them but the end of the run. */
    tidying = [];
    constructor(
    /** `https://host[:port]` or `http://host[:port]` */
    baseUrl, tls, credentials, 
    /** Transient failures (network, 429, 5xx) are retried as this allows. */
    retry, 
    /** `/v2/`'s answer when the caller has it already (the scheme probe asks the same). */
    challenge) {
        this.baseUrl = baseUrl;
        this.tls = tls;
        this.credentials = credentials;
        this.retry = retry;
        this.challenge = challenge;
    }
    /** `/v2/` without credentials: what auth the registry asks for. */
    async ping() {
        if (this.challenge)
            return this.challenge;
        const url = `${this.baseUrl}/v2/`;
        const response = await (0,registry_http/* registryFetch */.ab)(url, this.tls, { retry: this.retry });
        await (0,registry_http/* discardBody */.LL)(response);
        const challenge = challengeOf(response.status, response.headers.get('www-authenticate'));
        if (!challenge)
            throw new registry_errors/* RegistryError */.g(response.status, '', url);
        return (this.challenge = challenge);
    }
    /**
     * Checks the credentials, with one request that carries them: `/v2/` with
     * basic auth, or a token from the realm, asked for push and pull on
     * `repositories` (none: the way `docker login` asks) so that the same
     * token then serves every request on them. Throws a RegistryError with
     * status 401 when they are rejected.
     */
    async checkLogin(repositories = []) {
        const challenge = await this.ping();
        if (challenge.scheme === 'bearer') {
            // Many repositories take a few tokens: the first checks the secret
            // alone, then the rest are asked at once.
            const [first = [], ...rest] = chunks(repositories, SCOPES_PER_TOKEN);
            await this.tokenForAll(first);
            await Promise.all(rest.map(chunk => this.tokenForAll(chunk)));
        }
        else if (challenge.scheme === 'basic') {
            const response = await this.request('GET', '/v2/', '');
            await (0,registry_http/* discardBody */.LL)(response);
        }
    }
    /**
     * The actions (`pull`, `push`) the account may take on each repository.
     * With Harbor-style tokens one token asked for all of them says it in its
     * `access` claim (and serves every later request); otherwise a blob upload
     * is started and cancelled per repository, which is what a push would do
     * first.
     */
    async grantedActions(repositories) {
        if (repositories.length === 0)
            return new Map();
        const challenge = await this.ping();
        if (challenge.scheme === 'bearer') {
            const tokens = await Promise.all(repositories.map(name => this.token(`repository:${name}:pull,push`)));
            if (tokens.every(token => token.access)) {
                return new Map(repositories.map((name, index) => [name, tokens[index].access?.get(name) ?? new Set()]));
            }
        }
        const granted = await (0,pool/* mapWithLimit */.c)(repositories, 8, name => this.probeUpload(name));
        return new Map(repositories.map((name, index) => [name, granted[index]]));
    }
    /** Starts a blob upload and cancels it: `push` and `pull` when allowed, else `pull` only. */
    async probeUpload(repository) {
        const response = await this.request('POST', `/v2/${repository}/blobs/uploads/`, repository, {
            push: true,
            accept: [202, 401, 403]
        });
        await (0,registry_http/* discardBody */.LL)(response);
        if (response.status !== 202)
            return new Set(['pull']);
        const location = response.headers.get('location');
        if (location) {
            // The answer is known now; the cancel goes on while the checks do. A
            // lost one only leaves an empty upload that the registry purges.
            this.tidying.push(this.request('DELETE', location, repository, {
                push: true,
                accept: [204, 404],
                tidyUp: true
            })
                .then(cancel => (0,registry_http/* discardBody */.LL)(cancel))
                .then(() => undefined, () => undefined));
        }
        return new Set(['pull', 'push']);
    }
    /** Waits for the requests that tidy up after the checks (cancelled upload probes). */
    async tidied() {
        await Promise.all(this.tidying);
    }
    /**
     * What `repository:tag` holds (a GET: Harbor counts it as a pull), or
     * undefined when there is no such tag. A pull policy that refuses to hand it
     * out is `{ policy }`, with the registry's words.
     */
    async manifest(repository, reference) {
        const response = await this.request('GET', `/v2/${repository}/manifests/${reference}`, repository, { headers: { Accept: MANIFEST_ACCEPT }, accept: [200, 404, 412] });
        if (response.status !== 200) {
            const words = await (0,registry_http/* bodyWords */.Ob)(response);
            return response.status === 404 ? undefined : { policy: (0,registry_errors/* errorDetail */.m)(words) };
        }
        const { bytes, more } = await (0,registry_http/* readBounded */.CB)(response, oci/* MAX_MANIFEST_BYTES */.ZJ);
        if (more)
            throw new Error(`${response.url}: the manifest is larger than 4 MiB, more than any registry takes`);
        const body = bytes.toString('utf8');
        const parsed = JSON.parse(body);
        return {
            // Read by tag, a manifest's digest is that of its bytes, should a registry not say it.
            digest: response.headers.get('docker-content-digest') ?? (0,content/* sha256Digest */.sI)(bytes),
            mediaType: parsed.mediaType ?? response.headers.get('content-type') ?? '',
            configDigest: parsed.config?.digest,
            layers: (parsed.layers ?? []).map(layer => layer.digest ?? ''),
            ...(parsed.manifests
                ? {
                    children: parsed.manifests.map(entry => entry.digest ?? ''),
                    platforms: parsed.manifests.map(entry => (0,oci/* platformName */.$r)(entry.platform))
                }
                : {})
        };
    }
    /**
     * The digest `repository:tag` holds, from a HEAD (not a pull in Harbor's
     * audit log, pull time or retention rules), or undefined when there is no
     * such tag. A pull policy answers a HEAD with a bare 412: the words are then
     * read from a GET, which the policy refuses too (a refused GET is no pull).
     */
    async tagDigest(repository, reference) {
        const response = await this.request('HEAD', `/v2/${repository}/manifests/${reference}`, repository, { headers: { Accept: MANIFEST_ACCEPT }, accept: [200, 404, 412] });
        await (0,registry_http/* discardBody */.LL)(response);
        if (response.status === 404)
            return undefined;
        if (response.status === 412) {
            const held = await this.manifest(repository, reference);
            return held && 'policy' in held ? held : { policy: 'HTTP 412 Precondition Failed' };
        }
        return response.headers.get('docker-content-digest') ?? '';
    }
    /**
     * Whether a Harbor project exists, from `HEAD /api/v2.0/projects?project_name=`,
     * which answers any signed-in account whether or not it is a member
     * (Harbor's `HeadProject`; the project itself answers 403 to a non-member
     * for a missing project too). 'unknown' when the registry is not a Harbor
     * or the credentials are not taken there (an OIDC user's CLI secret).
     */
    async harborProjectExists(name) {
        const url = `${this.baseUrl}/api/v2.0/projects?project_name=${encodeURIComponent(name)}`;
        const response = await (0,registry_http/* registryFetch */.ab)(url, this.tls, {
            method: 'HEAD',
            headers: { Accept: 'application/json', ...this.basicHeader() },
            retry: this.retry
        });
        await (0,registry_http/* discardBody */.LL)(response);
        if (response.status === 200)
            return 'exists';
        const isJson = (response.headers.get('content-type') ?? '').includes('json');
        if (response.status === 404 && isJson)
            return 'missing';
        return 'unknown';
    }
    /** `host[:port]` of the registry, as references name it. */
    get host() {
        return new URL(this.baseUrl).host;
    }
    /**
     * One authenticated request. `repository` names the scope of the token
     * ('' for none); `push` asks for push as well as pull, `mountFrom` for pull
     * on a second repository in the same token (a cross-repository mount
     * needs both: distribution's token spec allows several scopes in one
     * request). Statuses outside `accept` (default 2xx) throw a RegistryError
     * with the body's words.
     */
    async request(method, pathOrUrl, repository, options = {}) {
        const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.baseUrl}${pathOrUrl}`;
        const challenge = await this.ping();
        const scope = [
            repository ? `repository:${repository}:${options.push ? 'pull,push' : 'pull'}` : '',
            options.mountFrom ? `repository:${options.mountFrom}:pull` : ''
        ]
            .filter(Boolean)
            .join(' ');
        const streamed = options.body !== undefined && (0,registry_http/* isStream */.rL)(options.body);
        let token = challenge.scheme === 'bearer' ? await this.token(scope) : undefined;
        if (token && streamed && Date.now() >= token.staleAt) {
            // A stream cannot be sent a second time after a 401: renew first.
            this.tokens.delete(scope);
            token = await this.token(scope);
        }
        const send = () => {
            const headers = { ...options.headers };
            if (challenge.scheme === 'basic')
                Object.assign(headers, this.basicHeader());
            if (token)
                headers.Authorization = `Bearer ${token.value}`;
            return (0,registry_http/* registryFetch */.ab)(url, this.tls, {
                method,
                headers,
                body: options.body,
                signal: options.signal,
                ...(options.tidyUp
                    ? { timeoutMs: TIDY_UP_TIMEOUT_MS }
                    : {
                        retry: this.retry,
                        // No overall limit on a stream either way: the pool's idle timeouts guard it.
                        ...(streamed || options.streamBody ? { timeoutMs: Infinity } : {})
                    })
            });
        };
        let response = await send();
        if (response.status === 401 && token && !streamed && Date.now() >= token.staleAt) {
            // Tokens expire (Harbor's after 30 minutes) and a long push outlives
            // one: the digest read back afterwards asks once for a new token. A
            // fresh token refused means no access, and is not asked again.
            await (0,registry_http/* discardBody */.LL)(response);
            this.tokens.delete(scope);
            token = await this.token(scope);
            response = await send();
        }
        const accepted = options.accept ?? [];
        if ((response.status >= 200 && response.status < 300) || accepted.includes(response.status)) {
            return response;
        }
        throw new registry_errors/* RegistryError */.g(response.status, (0,registry_errors/* errorDetail */.m)(await (0,registry_http/* bodyWords */.Ob)(response)), url);
    }
    basicHeader() {
        if (!this.credentials)
            return {};
        const { username, password } = this.credentials;
        return { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
    }
    /** A bearer token for `scope` ('' for a login check; several scopes space-separated), fetched once per scope. */
    token(scope) {
        return this.tokens.get(scope) ?? this.cacheToken([scope], this.fetchToken(scope.split(' ')));
    }
    /**
     * One token for push and pull on every repository (the token spec allows
     * many scopes in one request): one round trip instead of one per
     * repository, remembered for each of them. At most SCOPES_PER_TOKEN.
     */
    tokenForAll(repositories) {
        if (repositories.length === 0)
            return this.token('');
        const scopes = repositories.map(name => `repository:${name}:pull,push`);
        return this.cacheToken([...scopes, ...repositories.map(name => `repository:${name}:pull`)], this.fetchToken(scopes));
    }
    /** Remembers `token` for `scopes`; a failed fetch is forgotten, so the next call tries again. */
    cacheToken(scopes, token) {
        for (const scope of scopes)
            this.tokens.set(scope, token);
        token.catch(() => {
            for (const scope of scopes)
                if (this.tokens.get(scope) === token)
                    this.tokens.delete(scope);
        });
        return token;
    }
    /**
     * A token from the realm. The first request that carries a login goes
     * alone, for every client of this process with the same realm and login
     * (a promotion reads the source with the destination's login, through a
     * client of its own): the others wait for its answer, and a rejected
     * login fails them too, unsent. A wrong secret costs one failed login,
     * which is what locks accounts.
     */
    async fetchToken(scopes) {
        const challenge = await this.ping();
        if (!this.credentials)
            return this.askToken(challenge, scopes);
        const key = JSON.stringify([
            challenge.realm,
            this.credentials.username,
            this.credentials.password
        ]);
        const first = firstLogins.get(key);
        if (!first) {
            const asked = this.askToken(challenge, scopes);
            firstLogins.set(key, asked);
            // Only a rejection is shared; a network failure leaves the next one free to try.
            asked.catch((error) => {
                if (!(error instanceof registry_errors/* RegistryError */.g && error.status === 401))
                    firstLogins.delete(key);
            });
            return asked;
        }
        await first.catch((error) => {
            if (error instanceof registry_errors/* RegistryError */.g && error.status === 401)
                throw error;
        });
        return this.askToken(challenge, scopes);
    }
    async askToken(challenge, scopes) {
        const url = this.realmUrl(challenge);
        if (challenge.service)
            url.searchParams.set('service', challenge.service);
        for (const scope of scopes)
            if (scope)
                url.searchParams.append('scope', scope);
        const response = await (0,registry_http/* registryFetch */.ab)(url.toString(), this.tls, {
            headers: this.basicHeader(),
            retry: this.retry
        });
        const { bytes, more } = await (0,registry_http/* readBounded */.CB)(response, TOKEN_ANSWER_BYTES);
        const body = bytes.toString('utf8');
        const where = url.origin + url.pathname;
        if (response.status !== 200)
            throw new registry_errors/* RegistryError */.g(response.status, (0,registry_errors/* errorDetail */.m)(body), where);
        const parsed = tokenAnswer(body);
        const value = parsed?.token ?? parsed?.access_token;
        if (typeof value !== 'string' || value === '' || more) {
            // containerd's ErrInvalidTokenResponse: a login portal's HTML page, a proxy's answer.
            throw new Error(`the token service ${where} answered HTTP 200 without a token (${(0,registry_errors/* errorDetail */.m)(body) || 'an empty body'}): it is not a registry's token service, or something in between answered for it`);
        }
        const claims = tokenClaims(value);
        if (this.credentials && claims?.access && !claims.sub) {
            // Harbor answers wrong credentials with an anonymous token (no
            // subject) whenever a scope is asked, and 401 only without one
            // (core/service/token/creator.go): for us that is a rejected login.
            throw new registry_errors/* RegistryError */.g(401, 'the token service answered with an anonymous token: the username or secret was not accepted', where);
        }
        const seconds = parsed?.expires_in ?? DEFAULT_TOKEN_SECONDS;
        return {
            value,
            access: claims?.access && accessOf(claims.access),
            staleAt: Date.now() + (seconds * 1000) / 2
        };
    }
    /**
     * Where a token is asked for: the realm the registry names, on whatever
     * host, as docker and containerd do (Docker Hub's is auth.docker.io). But
     * a login is never sent in clear text from a registry reached over https:
     * a realm over plain http there is a misconfigured external URL or
     * someone rewriting the registry's answers.
     */
    realmUrl(challenge) {
        let url;
        try {
            url = new URL(challenge.realm ?? '');
        }
        catch {
            // Said below.
        }
        if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
            throw new Error(`the registry ${this.baseUrl} asks for a token but names no token service it can be asked at (realm "${challenge.realm ?? ''}")`);
        }
        if (url.protocol === 'http:' && this.baseUrl.startsWith('https:') && this.credentials) {
            throw new Error(`the registry ${this.baseUrl} names the token service "${url.origin}${url.pathname}", which is plain http: the login would cross the network unencrypted, so it was not sent; the registry's own URL setting must say https (Harbor: external_url in harbor.yml)`);
        }
        return url;
    }
}
/** The first token request of each realm and login, and how it ended (see fetchToken). */
const firstLogins = new Map();
/**
 * Scopes asked in one token request. They travel in the URL, and the proxy in
 * front of a Harbor refuses request lines of over ~8 KiB (nginx's default);
 * 40 scopes of long Harbor names stay well under it.
 */
const SCOPES_PER_TOKEN = 40;
function chunks(items, size) {
    return Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
}
/** What `/v2/`'s status and WWW-Authenticate say about auth; undefined when it is no registry's answer. */
function challengeOf(status, authenticate) {
    if (status === 200)
        return { scheme: 'none' };
    if (status === 401)
        return parseChallenge(authenticate ?? '');
    return undefined;
}
/** `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`. */
function parseChallenge(header) {
    const scheme = header.split(' ')[0].toLowerCase();
    const params = {};
    for (const match of header.matchAll(/(\w+)="([^"]*)"/g))
        params[match[1]] = match[2];
    if (scheme === 'bearer')
        return { scheme: 'bearer', realm: params.realm, service: params.service };
    return { scheme: 'basic', realm: params.realm };
}
/** The token service's JSON answer; undefined when it is not a JSON object. */
function tokenAnswer(body) {
    try {
        const parsed = JSON.parse(body);
        return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
    }
    catch {
        return undefined;
    }
}
/** The claims of a JWT; undefined for an opaque token. */
function tokenClaims(token) {
    const payload = token.split('.')[1];
    if (!payload)
        return undefined;
    try {
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
        return typeof claims === 'object' && claims !== null ? claims : undefined;
    }
    catch {
        return undefined;
    }
}
/** The granted actions per repository of a token's `access` claim. */
function accessOf(access) {
    if (!Array.isArray(access))
        return undefined;
    const granted = new Map();
    for (const entry of access) {
        if (entry.type === 'repository' && entry.name) {
            granted.set(entry.name, new Set(entry.actions ?? []));
        }
    }
    return granted;
}

;// CONCATENATED MODULE: ./src/registry/probe.ts



const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i;
/**
 * Whether `host` answers over HTTPS or only over plain HTTP: tools need to be
 * told (helm `--plain-http`), and a user asking for TLS deserves to hear that
 * the registry has none. Both are asked at once (no credentials go with
 * either), so a plain-HTTP registry costs no extra round trip. Throws when
 * neither answers, or when the registry is still failing (5xx, 429) after
 * the retries.
 */
async function detectScheme(host, tls, retry) {
    // Plain HTTP is asked alongside and given up as soon as it is not needed:
    // a closed or filtered port 80 must not keep the step waiting.
    const stopHttp = new AbortController();
    const overHttp = answer(`http://${host}/v2/`, tls, retry, stopHttp.signal);
    overHttp.catch(() => undefined);
    try {
        let httpsFailure;
        try {
            const { challenge } = await answer(`https://${host}/v2/`, tls, retry);
            return { scheme: 'https', challenge };
        }
        catch (error) {
            if (error instanceof registry_errors/* RegistryError */.g)
                throw error;
            httpsFailure = (0,registry_http/* networkCause */.u6)(error);
            // It speaks TLS, with a certificate this step does not trust.
            if (CERTIFICATE_ERROR.test(httpsFailure))
                return { scheme: 'https' };
        }
        let http;
        try {
            http = await overHttp;
        }
        catch (error) {
            if (error instanceof registry_errors/* RegistryError */.g)
                throw error;
            // Neither: report the HTTPS failure, the one a user expects to work.
        }
        // A TLS server answers a plain-HTTP request with a 400 of its own.
        if (http && !/HTTP request to an HTTPS server/i.test(http.body)) {
            return { scheme: 'http', challenge: http.challenge };
        }
        throw new Error(`"${host}" could not be reached over HTTPS or HTTP: ${httpsFailure}`);
    }
    finally {
        stopHttp.abort();
    }
}
/** `/v2/`'s answer; a RegistryError when the registry is still failing after the retries. */
async function answer(url, tls, retry, signal) {
    const response = await (0,registry_http/* registryFetch */.ab)(url, tls, { timeoutMs: 10_000, retry, signal });
    const body = await (0,registry_http/* bodyWords */.Ob)(response);
    if (registry_http/* TRANSIENT_STATUS */.uU.has(response.status)) {
        throw new registry_errors/* RegistryError */.g(response.status, (0,registry_errors/* errorDetail */.m)(body), url);
    }
    return { body, challenge: challengeOf(response.status, response.headers.get('www-authenticate')) };
}

;// CONCATENATED MODULE: ./src/sources/registry.ts
/**
 * A `docker://` source: an image (or a multi-platform index) read from a
 * registry with the project's own client, manifests as the registry stores
 * them (checked against their sha256), blobs streamed through. Within one
 * registry the copier mounts the blobs instead (`mountFrom`).
 */






class RegistryContentSource {
    client;
    source;
    label;
    mountFrom;
    /** The repository path the API knows: `library/alpine` for Docker Hub's `alpine` (docker-hub.ts). */
    repository;
    /** The digest `resolve()` found: `root()` reads that, even if the tag moves meanwhile. */
    digest;
    constructor(
    /** A client of the source's registry (its API host: `registryApiHost`), with the source's login. */
    client, source) {
        this.client = client;
        this.source = source;
        // The label keeps the user's spelling; requests use the API's names.
        this.label = registryReference(source);
        this.repository = registryApiRepository(source.host, source.repository);
        // The copier compares it with its client's host, which URL parsing lower-cases.
        this.mountFrom = {
            host: registryApiHost(source.host).toLowerCase(),
            repository: this.repository
        };
        this.digest = source.digest;
    }
    /**
     * What the reference names now: a HEAD (no pull in Harbor's audit log or
     * retention rules), a GET only when the registry gives no digest with it.
     * Registry failures (401, 403, network) are thrown as they came.
     */
    async resolve() {
        const { repository } = this;
        const held = await this.client.tagDigest(repository, this.reference());
        if (held === undefined)
            return { kind: 'missing' };
        if (typeof held !== 'string')
            return { kind: 'refused', policy: held.policy };
        if (this.source.digest && held && held !== this.source.digest) {
            throw new content/* ContentError */.yg(`${this.label}: the registry says this digest names "${held}": a broken registry or proxy`);
        }
        this.digest = held || (await this.read(this.reference())).digest;
        return { kind: 'found', digest: this.digest };
    }
    async root() {
        if (!this.digest)
            await this.resolve();
        return this.read(this.digest || this.reference(), this.digest);
    }
    manifest(descriptor) {
        return this.read(descriptor.digest, descriptor.digest);
    }
    async blob(descriptor) {
        const { repository } = this;
        const response = await this.client.request('GET', `/v2/${repository}/blobs/${descriptor.digest}`, repository, { streamBody: true });
        if (!response.body)
            throw new Error(`${this.label}: blob ${descriptor.digest} came with no body`);
        return {
            size: descriptor.size,
            // Checked as it streams: a corrupt blob ends in a ContentError before its last bytes go on.
            body: (0,content/* checkedBytes */.Dp)(response.body, descriptor, this.label)
        };
    }
    /** `:tag` or `@digest` as the API's path takes it. */
    reference() {
        return this.source.digest || this.source.tag;
    }
    /**
     * A manifest or index as stored, by tag or digest, checked: its sha256
     * must be `expected` (when read by digest) and the digest the registry
     * says it is.
     */
    async read(reference, expected = '') {
        const { repository } = this;
        const response = await this.client.request('GET', `/v2/${repository}/manifests/${reference}`, repository, { headers: { Accept: MANIFEST_ACCEPT } });
        // Read up to the bound whatever Content-Length says: a chunked answer has none.
        const { bytes, more } = await (0,registry_http/* readBounded */.CB)(response, oci/* MAX_MANIFEST_BYTES */.ZJ);
        if (more) {
            throw new content/* ContentError */.yg(`${this.label}: the manifest "${reference}" is larger than 4 MiB, more than any registry takes: a broken registry or proxy`);
        }
        const digest = (0,content/* sha256Digest */.sI)(bytes);
        const said = response.headers.get('docker-content-digest') ?? '';
        const wanted = expected || said;
        if (wanted && wanted !== digest) {
            throw new content/* ContentError */.yg(`${this.label}: manifest "${wanted}" came with the sha256 ${digest}: its bytes are not what its name says (a broken registry or proxy)`);
        }
        // What it says it is, else what the answer says; the copier checks both the type and the JSON.
        let mediaType;
        try {
            mediaType = JSON.parse(bytes.toString('utf8'))?.mediaType;
        }
        catch {
            // Not JSON: the copier says so, with the digest.
        }
        mediaType ??= (response.headers.get('content-type') ?? '').split(';')[0].trim();
        return { digest, mediaType: mediaType, bytes };
    }
}

// EXTERNAL MODULE: ./src/push/translate.ts
var translate = __webpack_require__(6446);
;// CONCATENATED MODULE: ./src/push/registry-sources.ts
/**
 * The preflight of `docker://` sources, before anything is pushed: each
 * source registry reached (the scheme probed as the destination's is, with
 * the same TLS settings), its login accepted, and every source resolved to
 * the digest it names now, which shows that it exists and that the account
 * may pull it. Problems are named all at once, each with its fix.
 */








/** Why a source cannot be read: bad input (it does not exist) or a refusal of the registry. */
class SourceProblem extends Error {
    missing;
    constructor(message, missing = false) {
        super(message);
        this.missing = missing;
    }
}
/**
 * Checks every source (in order) and returns each with its digest; throws
 * an InputError when sources do not exist, a PushError when a registry
 * refuses (login, pull rights, a pull policy) or cannot be reached, naming
 * each source and the fix. Nothing is pushed or pulled: HEAD requests only.
 */
async function checkRegistrySources(sources, settings, log) {
    const tls = { tlsVerify: settings.tlsVerify, caFile: settings.caFile };
    const retry = {
        retries: settings.retries,
        onRetry: (attempt, cause, delay) => log.warning(`source registry check attempt ${attempt} failed (${cause}); retrying in ${delay} ms`)
    };
    // One client per registry: one scheme probe, one login check, one token cache.
    const clients = new Map();
    const clientFor = (source) => {
        // docker.io and index.docker.io are one registry: one client.
        const key = registryApiHost(source.host).toLowerCase();
        let client = clients.get(key);
        if (!client) {
            client = openClient(source, settings, tls, retry);
            clients.set(key, client);
        }
        return client;
    };
    const checked = await Promise.allSettled(sources.map(async (source) => {
        const client = await clientFor(source);
        return checkOne(new RegistryContentSource(client, source), settings);
    }));
    const problems = checked.flatMap(outcome => outcome.status === 'rejected' ? [outcome.reason] : []);
    if (problems.length > 0) {
        // A login rejected is said once per registry, however many sources it holds.
        const words = [...new Set(problems.map(problem => problem.message))];
        const allMissing = problems.every(problem => problem instanceof SourceProblem && problem.missing);
        const message = `${words.join('; ')}. Nothing was pushed.`;
        throw allMissing ? new errors/* InputError */.dz(message) : new errors/* PushError */.Vc(message);
    }
    const found = checked.flatMap(outcome => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    for (const { source, digest } of found)
        log.info(`Source ${source.label}: ${digest}`);
    return found;
}
/** A client of the source's registry, its scheme probed and its login (if any) checked. */
async function openClient(source, settings, tls, retry) {
    const credentials = sourceCredentialsFor(settings, source.host);
    const context = contextOf(source, credentials);
    // Docker Hub's images are named docker.io, its API is registry-1.docker.io (docker-hub.ts).
    const apiHost = registryApiHost(source.host);
    const probe = await detectScheme(apiHost, tls, retry).catch((error) => {
        throw translated(error, context);
    });
    if (probe.scheme === 'http' && tls.tlsVerify) {
        throw new SourceProblem(`source "${registryReference(source)}": ${translate/* ADVICE */.hc.plainHttp(context)}`);
    }
    const client = new RegistryClient(`${probe.scheme}://${apiHost}`, tls, credentials, retry, probe.challenge);
    if (credentials) {
        await client.checkLogin().catch((error) => {
            if (error instanceof registry_errors/* RegistryError */.g && error.status === 401) {
                throw new SourceProblem(loginRejected(source, settings, credentials));
            }
            throw translated(error, context);
        });
    }
    return client;
}
/** One source resolved: its digest, or why it cannot be read. */
async function checkOne(source, settings) {
    const credentials = sourceCredentialsFor(settings, source.source.host);
    const resolved = await source.resolve().catch((error) => {
        if (error instanceof registry_errors/* RegistryError */.g && (error.status === 401 || error.status === 403)) {
            throw new SourceProblem(pullDenied(source.source, settings, credentials));
        }
        throw translated(error, contextOf(source.source, credentials));
    });
    if (resolved.kind === 'missing') {
        const what = source.source.digest ? 'digest' : 'tag';
        throw new SourceProblem(`source "${source.label}" not found: the registry has no such ${what} in "${source.repository}"; check the ${what} and the repository (and that the image was pushed there)`, true);
    }
    if (resolved.kind === 'refused') {
        throw new SourceProblem(`source "${source.label}": a pull policy of its project refuses to hand it out (${resolved.policy}); sign the image, or ask a project admin to exempt it`);
    }
    return { source, digest: resolved.digest };
}
function contextOf(source, credentials) {
    return {
        action: 'login',
        tool: 'harbor-push',
        host: source.host,
        project: source.repository.split('/')[0],
        username: credentials?.username,
        reference: registryReference(source)
    };
}
/** Where the source's login came from, for the fix. */
function whose(settings) {
    return settings.sourceCredentials
        ? 'check "source-username" and "source-password"'
        : 'it is the destination\'s login (source-username is empty): give "source-username" and "source-password" for the source registry, or check "username" and "password"';
}
function loginRejected(source, settings, credentials) {
    return `login to the source registry "${source.host}" rejected for user "${credentials.username}" (reading "${registryReference(source)}"): ${whose(settings)}; for Harbor, the CLI secret from the user profile or a robot's secret (robot$<project>+<name>)`;
}
function pullDenied(source, settings, credentials) {
    const reference = registryReference(source);
    const project = source.repository.split('/')[0];
    if (!credentials) {
        return `source "${reference}" may not be pulled anonymously: give "source-username" and "source-password" of an account that may pull it`;
    }
    return `user "${credentials.username}" may not pull "${reference}" (or its project "${project}" does not exist): it needs pull on "${source.repository}" (in Harbor any role in project "${project}", or a robot with pull); ${whose(settings)}`;
}
/** A failure of the source's registry in the words of translate.ts, naming the source. */
function translated(error, context) {
    const failure = (0,translate/* translateFailure */.Ph)(error, context);
    return new SourceProblem(`source "${context.reference ?? context.host}": ${failure.message}`);
}

;// CONCATENATED MODULE: ./src/push/adapters/registry.ts



function registryAdapter(settings, log) {
    return {
        ...imageLabels,
        tool: 'registry client',
        // Every source checked before anything is pushed: it exists, and the account may pull it.
        read: async (sources) => {
            const checked = await checkRegistrySources(sources.map(source => source.registry), settings, log);
            // Byte for byte: the destination holds the source's own digest once copied.
            return checked.map(({ source, digest }) => ({
                ...imageContent({ id: digest, digest, layers: [] }),
                source
            }));
        },
        push: async ({ destination }, content, client) => {
            if (!client) {
                throw new Error(`a docker:// source is copied by harbor-push's own registry client, which needs "username" and "password" for "${destination.host}"`);
            }
            const copied = await copyImage(client, content.source, { repository: destination.repository, tags: [destination.tag] }, {
                parallel: settings.parallel,
                retry: {
                    retries: settings.retries,
                    onRetry: (attempt, cause, delay) => log.warning(`${destination.reference}: blob copy attempt ${attempt} failed (${cause}); retrying in ${delay} ms`)
                }
            });
            // An index's platforms are known once it was read for the copy.
            if (copied.platforms) {
                content.image.platforms = copied.platforms.map(platform => ({ platform, id: '' }));
            }
            return copiedResult(copied);
        }
    };
}
/** The session's client, which a push by the own client needs: there is one whenever credentials are given or the registry asks for none. */
function sessionClient(client, label) {
    if (!client) {
        throw new Error(`the registry API cannot be used for "${label}": give username and password`);
    }
    return client;
}
/** A copy's result for the pipeline: the digest, and what moved in words for the log and the summary. */
function copiedResult(copied) {
    const moved = bytesMoved(copied);
    return { digest: copied.digest, notes: [moved], note: moved };
}
/** What a copy moved, in words: `3 blobs mounted, 0 bytes uploaded`. */
function bytesMoved(copied) {
    const parts = [
        ...(copied.blobsMounted > 0 ? [`${copied.blobsMounted} blobs mounted`] : []),
        ...(copied.blobsSkipped > 0 ? [`${copied.blobsSkipped} blobs already there`] : []),
        `${size(copied.bytesUploaded)} uploaded${copied.blobsUploaded > 0 ? ` (${copied.blobsUploaded} blobs)` : ''}`
    ];
    return parts.join(', ');
}
/** Bytes as a person reads them at a glance: exact below a megabyte, else in MB. */
function size(bytes) {
    return bytes < 1e6 ? `${bytes} bytes` : `${(bytes / 1e6).toFixed(1)} MB`;
}

;// CONCATENATED MODULE: ./src/push/adapters/docker-archive.ts
/**
 * Images in docker archives (`docker-archive:`, `docker save`, `podman save
 * --format docker-archive`), pushed by the project's own registry client
 * with the session's login: no tool, no temporary copy. The registry
 * manifest is made on the way (registry/compose.ts): the config byte for
 * byte, so a re-run finds the tag `unchanged` by the image ID without
 * compressing anything; each plain layer gzip-compressed as it streams and
 * checked against its diffID. A layer that archives of one run share is
 * compressed and sent once: the others wait for that layer only, then
 * mount it, while their own layers go up.
 */




/** Layers of one image sent at once. */
const LAYERS_AT_ONCE = 4;
function dockerArchiveAdapter(retry) {
    return {
        ...imageLabels,
        tool: 'registry client',
        // A missing, unreadable, hostile or corrupt archive is an input error, before anything is pushed.
        read: sources => Promise.all(sources.map(async ({ archive }) => {
            const composed = await new DockerArchiveSource(archive.path, archive.ref).inspect();
            return {
                // The tag is compared by image ID (config digest), as for every docker archive.
                // No layers for the pipeline to order images by: archives sharing a layer wait for
                // each other layer by layer (compose.ts), their own layers going up meanwhile.
                ...imageContent({ id: composed.config.digest, layers: [] }),
                composed
            };
        })),
        push: async ({ destination }, { composed }, client) => {
            const pushed = await pushComposed(sessionClient(client, composed.label), composed, { repository: destination.repository, tags: [destination.tag] }, { parallel: LAYERS_AT_ONCE, retry });
            return copiedResult(pushed);
        }
    };
}

;// CONCATENATED MODULE: ./src/sources/oci-archive.ts
/**
 * OCI archives (`podman save --format oci-archive`, `buildx --output
 * type=oci`) read in place: a tar of an OCI layout. Its entries are indexed
 * once (archive-files.ts) and every blob is then streamed as a byte range of
 * the archive: nothing is extracted, nothing held in memory. skopeo, by
 * contrast, unpacks the whole archive to a temporary folder first.
 *
 * An archive comes from another job and is checked as hostile: links,
 * absolute paths, `..`, devices, a name given twice and sizes beyond the
 * file are refused before anything is pushed; a blob whose bytes do not
 * hash to its name fails its push (oci-layout.ts checks on the way).
 */


/** An image of the OCI archive `file`, chosen by `ref` as in a layout. */
function ociArchiveSource(file, ref) {
    const label = `oci-archive:${file}${ref ? `:${ref}` : ''}`;
    const archive = new ArchiveFiles(file, label, {
        noun: 'OCI archive',
        article: 'an',
        madeBy: 'as podman save --format oci-archive writes it'
    });
    const files = {
        read: (name, maxBytes) => archive.read(name, maxBytes),
        open(name) {
            const entry = archive.get(name);
            return entry && { size: entry.size, body: archive.stream(entry) };
        },
        size: name => archive.get(name)?.size
    };
    return new LayoutSource(files, ref, label);
}

;// CONCATENATED MODULE: ./src/push/adapters/layout.ts
/**
 * Images in OCI layouts and OCI archives (`oci:`, `oci-archive:`), copied by
 * the project's own registry client (registry/copy.ts) with the session's
 * client and login: no tool, no temporary copy of an archive, every digest
 * byte for byte, an index whole, blobs that copies of this run share sent
 * once. Chosen over skopeo by measurement (bench/REPORT.md, "Archives and
 * layouts: own client vs skopeo").
 */





/** Blobs of one image copied at once. */
const BLOBS_AT_ONCE = 4;
/** The transports this adapter reads; `docker-archive:` is docker-archive.ts's (its manifest is made anew). */
function isLayout(archive) {
    return archive.transport === 'oci' || archive.transport === 'oci-archive';
}
function layoutAdapter(retry) {
    return {
        ...imageLabels,
        tool: 'registry client',
        // A missing, unreadable or corrupt layout is an input error, before anything is pushed.
        read: sources => Promise.all(sources.map(async ({ archive }) => {
            const layout = archive.transport === 'oci'
                ? ociLayoutSource(archive.path, archive.ref)
                : ociArchiveSource(archive.path, archive.ref);
            const held = await layout.inspect();
            const platforms = held.platforms?.map(({ platform, digest }) => ({
                platform,
                id: digest
            }));
            return {
                ...imageContent({
                    id: held.configDigest ?? held.digest,
                    layers: [],
                    digest: held.digest,
                    ...(platforms ? { platforms } : {})
                }),
                layout
            };
        })),
        push: async ({ destination }, { layout }, client) => {
            const copied = await copyImage(sessionClient(client, layout.label), layout, { repository: destination.repository, tags: [destination.tag] }, { parallel: BLOBS_AT_ONCE, retry });
            return copiedResult(copied);
        }
    };
}

;// CONCATENATED MODULE: ./src/push/adapters/local-image.ts
/** Images in local docker or podman storage, pushed by that tool. */


function localImageAdapter(tool, host) {
    return {
        ...imageLabels,
        tool: tool.name,
        prepare: async () => `Using ${await tool.prepare(host)}`,
        login: (host, credentials) => tool.login(host, credentials),
        loginKept: 'private credentials',
        // Local storage is asked once for all of its images, and every missing one is named at once.
        read: async (sources) => {
            const references = sources.map(source => source.reference);
            const stored = await tool.localImages(references);
            const missing = references.filter((_, index) => stored[index] === undefined);
            if (missing.length > 0) {
                const names = missing.map(source => `"${source}"`).join(', ');
                throw new errors/* InputError */.dz(`${names} not in local ${tool.name} storage; check the source tag / path (\`${tool.name} images\`). Nothing was pushed.`);
            }
            return stored.map(image => imageContent(image));
        },
        push: async ({ source, destination }, { image }, client) => {
            const digest = await tool.push(source.reference, destination.reference, image);
            // docker's containerd image store names an image by the digest it pushes,
            // an index for a multi-platform image, whose platforms it does not list
            // (image inspect of API 1.45): the registry's copy says them. One GET (a
            // pull in Harbor's audit log), only for images of that store.
            if (!client || image.platforms || digest !== image.id)
                return { digest };
            const pushed = await client.manifest(destination.repository, digest).catch(() => undefined);
            const platforms = pushed && 'platforms' in pushed ? pushed.platforms : undefined;
            return { digest, ...(platforms ? { platforms } : {}) };
        }
    };
}

// EXTERNAL MODULE: ./src/push/destination.ts
var destination = __webpack_require__(3428);
;// CONCATENATED MODULE: ./src/push/plan.ts







/** Resolves the settings into the pushes to make; pure, so it is cheap to test. */
function planImages(settings) {
    const prefix = settings.sourcePath ? `${settings.sourcePath}/` : '';
    return settings.images.map(image => {
        const tags = settings.destinationTags.length ? settings.destinationTags : [image.tag];
        return {
            source: image.archive
                ? archiveReference(image.archive)
                : image.registry
                    ? registryReference(image.registry)
                    : `${prefix}${image.name}:${image.tag}`,
            ...(image.archive ? { archive: image.archive } : {}),
            ...(image.registry ? { registry: image.registry } : {}),
            destinations: tags.map(tag => (0,destination/* destinationOf */.M)(settings.registry, image.name, tag))
        };
    });
}
/**
 * Whether skopeo copies an archive or layout: only when no username/password
 * is given (then the skopeo login already on this machine is what pushes).
 * Otherwise OCI layouts and archives are copied by the project's own
 * registry client, and docker archives pushed by it with a manifest made on
 * the way, with the session's login (measured faster, with no temporary
 * copy: README, "How archives and layouts are pushed").
 */
function needsSkopeo(settings) {
    return settings.credentials === undefined;
}
/**
 * Every image as a batch of the pipeline, in the order given (each kind is
 * still read at once): local ones pushed by `container` (docker or podman),
 * archives and layouts by the own registry client (every archive by skopeo
 * when no login is given), registry sources (`docker://`) by the own
 * registry client too, with no tool at all.
 */
function imageBatches(settings, container, skopeo, log) {
    const local = container && localImageAdapter(container, settings.registry.host);
    const archives = skopeo && archiveAdapter(skopeo);
    const layouts = layoutAdapter({ retries: settings.retries });
    const dockerArchives = dockerArchiveAdapter({ retries: settings.retries });
    const registries = settings.images.some(image => image.registry)
        ? registryAdapter(settings, log)
        : undefined;
    return planImages(settings).map(({ source, archive, registry, destinations }) => {
        if (registry && registries) {
            return {
                adapter: registries,
                entries: [{ source: { reference: source, registry }, destinations }]
            };
        }
        if (archive && !needsSkopeo(settings)) {
            return {
                adapter: isLayout(archive) ? layouts : dockerArchives,
                entries: [{ source: { reference: source, archive }, destinations }]
            };
        }
        if (archive) {
            if (!archives)
                throw new Error('an archive source without skopeo');
            return {
                adapter: archives,
                entries: [{ source: { reference: source, archive }, destinations }]
            };
        }
        if (!local)
            throw new Error('a local source without a container tool');
        return { adapter: local, entries: [{ source: { reference: source }, destinations }] };
    });
}

// EXTERNAL MODULE: ./src/push/decide.ts
var decide = __webpack_require__(9750);
// EXTERNAL MODULE: ./src/push/tag-state.ts
var tag_state = __webpack_require__(9116);
;// CONCATENATED MODULE: ./src/push/session.ts









/** The `service` of Harbor's token realm: how a Harbor is told from other registries. */
const HARBOR_SERVICE = 'harbor-registry';
/** How the pushing tools name the project's own registry client (registry sources). */
const OWN_CLIENT = 'registry client';
/**
 * The run's one conversation with the registry's API, for the images and the
 * charts together: the scheme probed once (and told to helm), one client
 * with one token cache, one login check and one rights check over every
 * repository. A wrong secret then costs one failed login per run (accounts
 * get locked after a few), and nothing is asked twice.
 */
class RegistrySession {
    settings;
    tls;
    tools;
    context;
    log;
    probe;
    client;
    constructor(settings, tls, tools, context, log, probe, retry) {
        this.settings = settings;
        this.tls = tls;
        this.tools = tools;
        this.context = context;
        this.log = log;
        this.probe = probe;
        const baseUrl = `${probe.scheme}://${registryApiHost(settings.registry.host)}`;
        this.client = new RegistryClient(baseUrl, tls, settings.credentials, retry, probe.challenge);
    }
    /**
     * Probes whether the registry answers over HTTPS or plain HTTP, without
     * credentials. `tools` are the tools that will push; `tls` is what the
     * first of them really uses (helm takes the settings as given; a docker
     * daemon may treat the registry as insecure), and it words the advice on
     * failures.
     */
    static async open(settings, tls, tools, log) {
        const context = {
            action: 'login',
            tool: tools[0],
            host: settings.registry.host,
            project: settings.registry.path.split('/')[0],
            username: settings.credentials?.username
        };
        const retry = {
            retries: settings.retries,
            onRetry: (attempt, cause, delay) => log.warning(`registry check attempt ${attempt} failed (${cause}); retrying in ${delay} ms`)
        };
        // Docker Hub's images are named docker.io, its API is registry-1.docker.io (docker-hub.ts).
        const apiHost = registryApiHost(settings.registry.host);
        const probe = await detectScheme(apiHost, tls, retry).catch((error) => registryFailure(error, context, settings.retries));
        return new RegistrySession(settings, tls, tools, context, log, probe, retry);
    }
    /** What the registry answers on: helm must be told (`--plain-http`). */
    get scheme() {
        return this.probe.scheme;
    }
    /**
     * Asks the registry, before anything is pushed, what a push would run
     * into: plain HTTP, whether the login is accepted, what each target tag
     * holds now compared with `expected` (which may still be being read from
     * local storage), and whether the account may push to every repository
     * that will be pushed to (and if not, why: a read-only role, a project
     * that does not exist or is not visible). A re-run where every tag is
     * unchanged needs no push rights. Throws a PushError with the advice of
     * DESIGN.md's error table; every repository's problem is named at once.
     */
    async check(targets, expected, options = {}) {
        const { settings, context, client, log } = this;
        const credentials = settings.credentials;
        const fail = (error) => registryFailure(error, context, settings.retries);
        // Where the local read is quick and tells pushed digests (docker), a tag
        // holding one needs no manifest GET; else the GETs do not wait for it.
        const recorded = options.awaitRecorded
            ? expected.then(all => all.map(wanted => wanted.recorded), () => undefined)
            : undefined;
        const dockerHub = isDockerHub(settings.registry.host);
        // Docker Hub counts manifest GETs against the pull rate limit: a HEAD goes first there.
        const read = () => readTags(client, targets, recorded, dockerHub);
        const compare = async (held) => {
            const wanted = await expected;
            return held.map((tag, index) => (0,tag_state/* tagState */.s)(tag, wanted[index]));
        };
        if (this.scheme === 'http' && this.tls.tlsVerify)
            throw new errors/* PushError */.Vc(translate/* ADVICE */.hc.plainHttp(context));
        const challenge = await client.ping().catch(fail);
        // Harbor keeps every repository in a project (its artifactinfo middleware
        // answers 400 to a one-segment name): bad input, said before any login.
        const bare = targets.filter(target => !target.repository.includes('/'));
        if (challenge.service === HARBOR_SERVICE && bare.length > 0) {
            throw new errors/* InputError */.dz(translate/* ADVICE */.hc.noProject({ ...context, reference: bare[0].repository }));
        }
        // Docker Hub keeps every repository under a namespace (a user or an
        // organisation); a one-segment name is an official image there, which
        // docker and podman push to library/<name> and only Docker may write.
        if (dockerHub && bare.length > 0) {
            throw new errors/* InputError */.dz(`Docker Hub keeps every repository under a namespace (a user or an organisation): "${bare[0].repository}" names none, and docker would push it to the official images' library/${bare[0].repository}; give the namespace in registry ("${settings.registry.host}/<namespace>"). Nothing was pushed.`);
        }
        if (!credentials) {
            if (challenge.scheme !== 'none' && this.tools.includes(OWN_CLIENT)) {
                // The own client has no login on this machine to fall back on.
                throw new errors/* InputError */.dz(`${settings.registry.host} asks for a login, and docker:// sources are copied by harbor-push's own registry client, which has only "username" and "password": give them. Nothing was pushed.`);
            }
            if (challenge.scheme !== 'none') {
                log.info(`No username/password: the registry API cannot be asked about permissions or existing tags; the push relies on the ${this.tools.join(' and ')} login${this.tools.length > 1 ? 's' : ''} on this machine`);
                return { states: await compare(targets.map(() => 'unknown')) };
            }
            return { client, states: await compare(await read().catch(fail)) };
        }
        // The credentials go out once first: a wrong secret must count as one
        // failed login. With a token, the same request asks for every
        // repository, and the token serves every read.
        const repositories = [...new Set(targets.map(target => target.repository))];
        await client.checkLogin(repositories).catch((error) => {
            if (error instanceof registry_errors/* RegistryError */.g && error.status === 401) {
                throw new errors/* PushError */.Vc(`${translate/* ADVICE */.hc.loginRejected(context)} (${error.detail || 'HTTP 401'})`);
            }
            fail(error);
        });
        const states = await compare(await read().catch(fail));
        const toPush = [
            ...new Set(targets
                .filter((_, index) => (0,decide/* decide */.LD)(settings.ifExists, states[index]) === 'push')
                .map(target => target.repository))
        ];
        const granted = await client.grantedActions(toPush).catch(fail);
        const denied = toPush.filter(repository => !granted.get(repository)?.has('push'));
        const problems = await Promise.all([...new Set(denied.map(repository => repository.split('/')[0]))].map(async (project) => {
            const projectContext = { ...context, action: 'push', project };
            const mayPull = denied.some(repository => repository.split('/')[0] === project && granted.get(repository)?.has('pull'));
            // Harbor grants pull to a read-only role (and on a public project) and
            // nothing where the project is missing or the account has no role in
            // it; only the existence check tells those two apart.
            if (mayPull)
                return translate/* ADVICE */.hc.pushDenied(projectContext);
            const exists = await client.harborProjectExists(project).catch(() => 'unknown');
            if (exists === 'missing')
                return translate/* ADVICE */.hc.missingProject(projectContext);
            if (exists === 'exists')
                return translate/* ADVICE */.hc.noRole(projectContext);
            return translate/* ADVICE */.hc.missingOrHidden(projectContext);
        }));
        if (problems.length > 0)
            throw new errors/* PushError */.Vc(`${problems.join('; ')}. Nothing was pushed.`);
        log.info(`Registry ${client.baseUrl}: login accepted, ${toPush.length > 0 ? `push allowed to ${toPush.length} repositories` : 'nothing to push'}`);
        return { client, states };
    }
    /** Waits for the requests that tidy up after the checks (cancelled upload probes). */
    tidied() {
        return this.client.tidied();
    }
}
/** A registry failure in the words of DESIGN.md's error table. */
function registryFailure(error, context, retries) {
    const failure = (0,translate/* translateFailure */.Ph)(error, context);
    // Registry requests were retried already (see the RetryPolicy in open).
    if (failure.transient && retries > 0) {
        throw new errors/* PushError */.Vc(`gave up after ${retries + 1} attempts: ${failure.message}`, true);
    }
    throw failure;
}
/** What each target tag holds now, read from the registry; the push rights check says why where 'unknown'. */
function readTags(client, targets, recorded, headFirst) {
    return (0,pool/* mapWithLimit */.c)(targets, 8, (target, index) => (0,tag_state/* readTag */.z)(client, target, recorded?.then(all => all?.[index]), headFirst));
}

;// CONCATENATED MODULE: ./src/push/harbor-push.ts








/**
 * The whole job, shared by every front end: everything the settings ask for,
 * pushed, with credentials that exist only while it runs. Throws on bad input
 * or a failed login (nothing pushed); a failed push is in the report.
 */
async function harborPush(settings, log, hooks = {}) {
    const dir = createPrivateDir();
    hooks.onPrivateDir?.(dir);
    const run = hooks.runner ?? runTool;
    const paths = { dir, isolated: settings.credentials !== undefined };
    const settingsTls = { tlsVerify: settings.tlsVerify, caFile: settings.caFile };
    // A step with no local image (charts, archives) needs no container tool, so none is made or checked.
    const tool = settings.images.some(image => !image.archive && !image.registry)
        ? createContainerTool(settings, run, paths, hooks)
        : undefined;
    const skopeo = settings.images.some(image => image.archive) && needsSkopeo(settings)
        ? new Skopeo(run, paths, settingsTls)
        : undefined;
    const pushingTools = [
        ...(settings.charts.length > 0 ? ['helm'] : []),
        ...(tool ? [tool.name] : []),
        ...(skopeo ? ['skopeo'] : []),
        ...(settings.images.some(image => image.registry) ? [OWN_CLIENT] : [])
    ];
    let session;
    try {
        // Nothing is pushed until everything was checked, in this order: the
        // charts (read, helm told the registry's scheme, packaged), the images
        // (their tools; local storage read while the registry is asked), and the
        // registry for both at once: one login check, one rights check, one
        // token cache. The scheme is probed once: for helm when there are charts
        // (it takes the TLS settings as given), else with the TLS the container
        // tool really uses (a docker daemon may treat the registry as insecure).
        // Then one pipeline (push/pipeline.ts) pushes images and charts alike.
        let charts;
        if (settings.charts.length > 0) {
            // Loaded only for charts: helm's code, its installer, YAML and globs are a
            // third of the bundle, which a run of images alone would compile for nothing.
            const { findCharts } = await Promise.all(/* import() */[__webpack_require__.e(218), __webpack_require__.e(90)]).then(__webpack_require__.bind(__webpack_require__, 7090));
            const found = await findCharts(settings, run, paths, log);
            session = await RegistrySession.open(settings, settingsTls, pushingTools, log);
            charts = await found.package(session.scheme);
        }
        const opening = () => RegistrySession.open(settings, tool?.registryTls() ?? settingsTls, pushingTools, log);
        // The probe goes out while the tools are checked, unless a docker daemon's
        // settings decide its TLS; its failure waits for theirs (bad input first).
        const early = session || tool?.daemonDecidesTls ? undefined : opening();
        early?.catch(() => undefined);
        const push = await (0,pipeline/* preparePush */._E)([...imageBatches(settings, tool, skopeo, log), ...(charts ? [charts] : [])], settings, log);
        const checking = (async () => {
            session ??= await (early ?? opening());
            return session.check(push.targets, push.expected, {
                awaitRecorded: tool?.recordsPushes
            });
        })();
        // A missing image is reported first: it is bad input, whatever the registry says.
        const [read, checked] = await Promise.allSettled([push.expected, checking]);
        if (read.status === 'rejected')
            throw read.reason;
        if (checked.status === 'rejected')
            throw checked.reason;
        push.refuseConflicts(checked.value.states);
        return await push.push(checked.value);
    }
    finally {
        // Cancelled upload probes of the rights check may still be on their way.
        await session?.tidied();
        // Every tool has ended here, unless a failure cut a wait short: one still
        // running is stopped first, or it could write its login after the folder went.
        await (0,children/* stopStrayTools */.LT)();
        tool?.cleanup();
        removePrivateDir(dir);
    }
}

;// CONCATENATED MODULE: ./src/push/results.ts
/** What became of each thing the step was asked to push. */

/** `N pushed, N unchanged, N skipped, N failed`, images and charts together. */
function countLine(results) {
    const count = (status) => results.filter(result => result.status === status).length;
    return `${count('pushed')} pushed, ${count('unchanged')} unchanged, ${count('skipped')} skipped, ${count('failed')} failed`;
}
/** Every failure of the report, one line each; '' when nothing failed. */
function failureList(report) {
    const failed = [
        ...report.images.map(image => ({ what: image.destination, ...image })),
        ...report.charts.map(chart => ({ what: chart.reference, ...chart }))
    ].filter(result => result.status === 'failed');
    const total = report.images.length + report.charts.length;
    if (failed.length === 0)
        return '';
    return (`${failed.length} of ${total} pushes failed:\n` +
        failed.map(result => `- ${result.what}: ${result.error ?? ''}`).join('\n'));
}
/**
 * The report as every front end publishes it: the action's `images`,
 * `charts`, `refs` and `subject-checksums` outputs and the command's
 * `--json` are made here, so they cannot differ.
 */
function outputsOf(report) {
    return {
        images: report.images.map(({ source, destination, digest, status, platforms }) => ({
            source,
            destination,
            digest,
            status,
            ...(platforms ? { platforms } : {})
        })),
        charts: report.charts.map(({ chart, version, reference, digest, status }) => ({
            chart,
            version,
            reference,
            digest,
            status
        })),
        refs: refsOf(report),
        subjectChecksums: subjectChecksumsOf(report)
    };
}
/**
 * `<destination>@<digest>` (tag and digest: a valid reference) of everything
 * now in the registry, for signing or attestation steps. Charts are named
 * without `oci://`, as signing tools expect.
 */
function refsOf(report) {
    return nowInRegistry(report).map(result => `${result.ref}@${result.digest}`);
}
/**
 * The `subject-checksums` lines: `<hex>  <registry>/<repository>`, one per
 * repository and digest of everything now in the registry (several tags of
 * one image are one subject). The format is what actions/attest (behind
 * actions/attest-build-provenance) parses in src/subject.ts: the digest up
 * to the first space, then one optional ' ' or '*' flag, then the name;
 * 64 hex digits are sha256. With push-to-registry the name is an image name
 * without tag or digest (`@sigstore/oci` attaches the attestation to
 * `<name>@sha256:<hex>`). That parser also drops repeated name+digest pairs;
 * doing it here keeps the file what `sha256sum` would write.
 */
function subjectChecksumsOf(report) {
    const lines = nowInRegistry(report).map(result => `${result.digest.slice(result.digest.indexOf(':') + 1)}  ${withoutTag(result.ref)}`);
    return [...new Set(lines)];
}
/**
 * The `subject-checksums` file's text: each line ending in os.EOL, the
 * separator actions/attest splits the file on (and what `sha256sum -c`
 * reads on Linux).
 */
function subjectChecksumsText(lines) {
    return lines.map(line => `${line}${(external_node_os_default()).EOL}`).join('');
}
/** What this step pushed or found already there, named without `oci://`. */
function nowInRegistry(report) {
    return ([
        ...report.images.map(image => ({ ref: image.destination, ...image })),
        ...report.charts.map(chart => ({ ref: chart.reference.replace(/^oci:\/\//, ''), ...chart }))
    ]
        // Skipped tags hold someone else's content: nothing to sign as this step's work.
        .filter(result => result.digest && (result.status === 'pushed' || result.status === 'unchanged'))
        .map(({ ref, digest }) => ({ ref, digest })));
}
/**
 * `host[:port]/repository` of `host[:port]/repository:tag`. The report keeps
 * destinations as strings (the string form of a typed `Destination`: a host,
 * a repository and a tag); a tag never holds '/' and a port always
 * comes before one, so the tag is what follows the last ':' after the last '/'.
 */
function withoutTag(reference) {
    return reference.replace(/:[^/:]*$/, '');
}

;// CONCATENATED MODULE: ./src/settings/defaults-file.ts



/**
 * The keys of a product defaults file (the reference script's
 * `PRODUCT_DEFAULTS`) and the input each one gives a default for.
 */
const DEFAULTS_KEYS = {
    REGISTRY: 'registry',
    IMAGES: 'images',
    SOURCE_PATH: 'source-path',
    SOURCE_TAG: 'source-tag',
    DESTINATION_TAG: 'destination-tag',
    CONTAINER_TOOL: 'container-tool',
    CHARTS: 'charts'
};
/** Keys that take a list: a bash array `KEY=(a b)` or words separated by spaces or newlines. */
const LIST_KEYS = new Set(['IMAGES', 'DESTINATION_TAG', 'CHARTS']);
const isKey = (name) => Object.hasOwn(DEFAULTS_KEYS, name);
/**
 * Parses the text of a defaults file. The file is data, read the way bash
 * would read its assignments, but never run: `export`, quotes, comments,
 * blank lines and bash arrays are understood; `$VAR`, `$(...)` and other
 * shell syntax are refused rather than silently taken literally. `file`
 * names the file in every error, as `file:line`.
 */
function parseDefaultsFile(text, file) {
    return new DefaultsParser(text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'), file).entries();
}
/**
 * Reads and parses a defaults file. Relative `CHARTS` entries are resolved
 * against the file's folder, where the file's author meant them.
 */
function readDefaultsFile(file) {
    let text;
    try {
        text = external_node_fs_default().readFileSync(file, 'utf8');
    }
    catch (error) {
        const reason = error.code ?? (0,errors/* messageOf */.bD)(error);
        throw new errors/* InputError */.dz(`defaults-file "${file}" cannot be read (${reason}); give the path of a KEY=VALUE file, relative to ${process.cwd()}`);
    }
    const folder = external_node_path_default().dirname(external_node_path_default().resolve(file));
    return parseDefaultsFile(text, file).map(entry => entry.key === 'CHARTS' ? { ...entry, value: resolveCharts(entry.value, folder) } : entry);
}
function resolveCharts(value, folder) {
    return value
        .split(/[\s,]+/)
        .filter(entry => entry !== '')
        .map(entry => {
        // A glob's exclusion ("!pattern") keeps its "!" in front of the resolved path.
        const negated = entry.startsWith('!');
        const pattern = negated ? entry.slice(1) : entry;
        const resolved = external_node_path_default().isAbsolute(pattern) ? pattern : external_node_path_default().join(folder, pattern);
        return negated ? `!${resolved}` : resolved;
    })
        .join('\n');
}
class DefaultsParser {
    text;
    file;
    pos = 0;
    line = 1;
    constructor(text, file) {
        this.text = text;
        this.file = file;
    }
    entries() {
        const entries = [];
        const seen = new Map();
        for (;;) {
            this.skipBlankAndComments();
            if (this.pos >= this.text.length)
                return entries;
            const entry = this.assignment();
            const previous = seen.get(entry.key);
            if (previous !== undefined) {
                throw this.error(entry.line, `${entry.key} is set twice (lines ${previous} and ${entry.line}); keep one`);
            }
            seen.set(entry.key, entry.line);
            entries.push(entry);
        }
    }
    assignment() {
        const line = this.line;
        const match = /(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)(\+?=)/y;
        match.lastIndex = this.pos;
        const found = match.exec(this.text);
        if (!found) {
            const rest = this.text.slice(this.pos).split('\n')[0].trim();
            const spaced = /^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s+\+?=/.test(rest);
            throw this.error(line, spaced
                ? `expected KEY=VALUE, found "${rest.slice(0, 60)}"; write no spaces around "="`
                : `expected KEY=VALUE, found "${rest.slice(0, 60)}"; the file is read as data, not run as a shell script`);
        }
        const [whole, name, operator] = found;
        if (!isKey(name)) {
            const secret = /PASS|SECRET|TOKEN|USER/i.test(name)
                ? '; credentials never go in a defaults file (use the password input, --password-stdin or HARBOR_PASSWORD)'
                : '';
            throw this.error(line, `unknown key "${name}"; the keys are ${Object.keys(DEFAULTS_KEYS).join(', ')}${secret}`);
        }
        if (operator === '+=') {
            throw this.error(line, `"${name}+=" is not supported; give ${name} once, with every value`);
        }
        this.pos += whole.length;
        const isList = this.text[this.pos] === '(';
        if (isList && !LIST_KEYS.has(name)) {
            throw this.error(line, `${name} takes one value, not a list "(...)"`);
        }
        const value = isList ? this.array(name) : this.scalar();
        return { key: name, input: DEFAULTS_KEYS[name], value, line };
    }
    /** `(a "b c" d)`, possibly over several lines, with comments; entries joined by newlines. */
    array(name) {
        const start = this.line;
        this.pos++; // (
        const words = [];
        for (;;) {
            this.skipBlankAndComments();
            if (this.pos >= this.text.length) {
                throw this.error(start, `the list of ${name} is not closed with ")"`);
            }
            if (this.text[this.pos] === ')') {
                this.pos++;
                this.endOfLine();
                return words.join('\n');
            }
            words.push(this.word(true));
        }
    }
    /** The rest of the line: quoted and unquoted parts, up to a comment. */
    scalar() {
        const value = this.word(false);
        this.endOfLine();
        return value.trim();
    }
    /**
     * Quoted and unquoted parts glued together, as bash joins them. In a list,
     * a word ends at white space; a single value runs to the end of the line
     * (unquoted spaces kept, as env files do).
     */
    word(inList) {
        let value = '';
        while (this.pos < this.text.length) {
            const char = this.text[this.pos];
            if (char === '\n')
                break;
            if (char === ' ' || char === '\t') {
                const rest = /[ \t]*/y;
                rest.lastIndex = this.pos;
                const spaces = rest.exec(this.text)?.[0] ?? '';
                const next = this.text[this.pos + spaces.length];
                if (inList || next === '#' || next === '\n' || next === undefined)
                    break;
                value += spaces;
                this.pos += spaces.length;
                continue;
            }
            if (char === ')' && inList)
                break;
            if (char === "'")
                value += this.singleQuoted();
            else if (char === '"')
                value += this.doubleQuoted();
            else if (char === '\\')
                value += this.escaped(true);
            else {
                this.refuseShellSyntax(char, false);
                value += char;
                this.pos++;
            }
        }
        return value;
    }
    singleQuoted() {
        const start = this.line;
        const end = this.text.indexOf("'", this.pos + 1);
        if (end === -1)
            throw this.error(start, "a single quote (') is not closed");
        const value = this.text.slice(this.pos + 1, end);
        this.line += value.split('\n').length - 1;
        this.pos = end + 1;
        return value;
    }
    doubleQuoted() {
        const start = this.line;
        this.pos++; // "
        let value = '';
        while (this.pos < this.text.length) {
            const char = this.text[this.pos];
            if (char === '"') {
                this.pos++;
                return value;
            }
            if (char === '\\') {
                value += this.escaped(false);
                continue;
            }
            this.refuseShellSyntax(char, true);
            if (char === '\n')
                this.line++;
            value += char;
            this.pos++;
        }
        throw this.error(start, 'a double quote (") is not closed');
    }
    /** A backslash: line continuation, or an escaped character (inside "..." only \ " $ ` escape). */
    escaped(unquoted) {
        const next = this.text[this.pos + 1];
        this.pos += 2;
        if (next === undefined)
            return '\\';
        if (next === '\n') {
            this.line++;
            return '';
        }
        if (unquoted || '\\"$`'.includes(next))
            return next;
        return `\\${next}`;
    }
    refuseShellSyntax(char, inDoubleQuotes) {
        const refused = inDoubleQuotes ? '$`' : '$`;&|<>()';
        if (!refused.includes(char))
            return;
        const what = char === '$' || char === '`'
            ? `"${char}": variables and commands are not expanded (the file is data, not a shell script); write the value itself`
            : `"${char}" is shell syntax; put the value in quotes`;
        throw this.error(this.line, what);
    }
    /** After a value: only white space and a comment may follow on its line. */
    endOfLine() {
        const rest = /[ \t]*(#[^\n]*)?(\n|$)/y;
        rest.lastIndex = this.pos;
        const found = rest.exec(this.text);
        if (!found) {
            const extra = this.text.slice(this.pos).split('\n')[0].trim();
            throw this.error(this.line, `unexpected "${extra.slice(0, 60)}" after the value`);
        }
        this.pos += found[0].length;
        if (found[2] === '\n')
            this.line++;
    }
    skipBlankAndComments() {
        const blank = /[ \t]*(#[^\n]*)?\n/y;
        for (;;) {
            blank.lastIndex = this.pos;
            const found = blank.exec(this.text);
            if (found) {
                this.pos += found[0].length;
                this.line++;
                continue;
            }
            // The last line, without a newline.
            const last = /[ \t]*(#[^\n]*)?$/y;
            last.lastIndex = this.pos;
            const end = last.exec(this.text);
            if (end && this.pos + end[0].length === this.text.length)
                this.pos = this.text.length;
            else {
                const spaces = /[ \t]*/y;
                spaces.lastIndex = this.pos;
                this.pos += spaces.exec(this.text)?.[0].length ?? 0;
            }
            return;
        }
    }
    error(line, message) {
        return new errors/* InputError */.dz(`defaults-file ${this.file}:${line}: ${message}`);
    }
}

// EXTERNAL MODULE: ./src/settings/chart-inputs.ts
var chart_inputs = __webpack_require__(1531);
// EXTERNAL MODULE: ./src/settings/reference.ts
var reference = __webpack_require__(6124);
;// CONCATENATED MODULE: ./src/settings/registry-entry.ts
/**
 * `[name=]docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`: an image in a registry,
 * read with the project's own registry client (no container engine, no
 * tool). The name defaults to the last segment of REPO.
 */



const ENTRY = /^(?:([^=]+)=)?docker:\/\/(.*)$/i;
/** The only digests the client verifies what it reads against. */
const SHA256 = /^sha256:[a-f0-9]{64}$/;
/** The entry as a registry source, or undefined when it is no `docker://` entry. */
function parseRegistryEntry(entry) {
    const match = ENTRY.exec(entry);
    if (!match)
        return undefined;
    const given = match[1];
    const rest = match[2];
    const example = 'e.g. docker://registry.example.com/staging/app:v1';
    // A login in the entry would sit unmasked in the workflow file: refused, and
    // never echoed (the value is shown with *** in its place).
    // (`name@sha256:...` with no host is a digest, refused below for its missing host.)
    const userinfo = /^[^/]*@/.exec(rest);
    if (userinfo && !/^[^/@]*@sha256:[a-f0-9]{64}$/.test(rest)) {
        const shown = `${given ? `${given}=` : ''}docker://***@${rest.slice(userinfo[0].length)}`;
        throw new errors/* InputError */.dz(`image "${shown}" carries a user name and password: write docker://HOST/REPO:TAG and give the login as "source-username" and "source-password" (from a secret store); if that password is written in the workflow, change it`);
    }
    const slash = rest.indexOf('/');
    const host = slash === -1 ? rest : rest.slice(0, slash);
    const path = slash === -1 ? '' : rest.slice(slash + 1);
    const domain = reference/* DOMAIN */.V2.exec(host);
    const port = domain?.[1] === undefined ? undefined : Number(domain[1]);
    // docker, podman and skopeo read a name without a host (`alpine:3.20`,
    // `myorg/app:1`) as an image on Docker Hub (distribution/reference's
    // splitDockerDomain). harbor-push does not: like an implicit "latest", an
    // implicit registry would let a forgotten or mistyped host (or an internal
    // one-word host name) quietly fetch a public image, under Docker Hub's
    // anonymous pull limits, and push it into the registry as the one meant.
    // The entry names its registry, and Docker Hub is written docker.io.
    const namesNoHost = rest !== '' &&
        (slash === -1 ? !(domain && isRegistryHost(host)) : domain !== null && !isRegistryHost(host));
    if (namesNoHost) {
        const onHub = slash === -1 ? `library/${rest}` : rest;
        const why = slash === -1 ? '' : ` ("${host}" has no "." or ":" and is not localhost)`;
        throw new errors/* InputError */.dz(`image "${entry}" names no registry host${why}: docker, podman and skopeo would read it as an image on Docker Hub, which harbor-push never assumes; write docker://docker.io/${onHub} for Docker Hub, or the registry's full host name or HOST:PORT first (docker://HOST[:PORT]/REPO:TAG), ${example}`);
    }
    if (!host || !domain || (port !== undefined && (port < 1 || port > 65535))) {
        throw new errors/* InputError */.dz(`image "${entry}": "${host}" is not a valid registry host[:port]; write docker://HOST[:PORT]/REPO:TAG, ${example}`);
    }
    if (!path) {
        throw new errors/* InputError */.dz(`image "${entry}" names no repository on "${host}"; write docker://${host}/REPO:TAG, ${example}`);
    }
    const at = path.indexOf('@');
    const digest = at === -1 ? '' : path.slice(at + 1);
    const named = at === -1 ? path : path.slice(0, at);
    const colon = named.lastIndexOf(':');
    const repository = colon === -1 ? named : named.slice(0, colon);
    const tag = colon === -1 ? '' : named.slice(colon + 1);
    if (tag && digest) {
        throw new errors/* InputError */.dz(`image "${entry}" names both a tag ("${tag}") and a digest; give one: docker://${host}/${repository}:${tag} or docker://${host}/${repository}@${digest}`);
    }
    if (at !== -1 && !SHA256.test(digest)) {
        throw new errors/* InputError */.dz(`image "${entry}": "${digest}" is not a sha256 digest; write @sha256: and 64 lower-case hex digits (the digest the registry shows), or name a tag with :TAG`);
    }
    if (!tag && !digest) {
        throw new errors/* InputError */.dz(`image "${entry}" names no tag or digest (there is no implicit "latest"); write docker://${host}/${repository}:TAG or @sha256:<digest>`);
    }
    if (tag) {
        const problem = (0,reference/* tagProblem */.qH)(tag);
        if (problem) {
            throw new errors/* InputError */.dz(`image "${entry}": tag "${tag}" is not a valid tag: ${problem}; e.g. "v6.0.0" or "6.0.0-rc.1"`);
        }
    }
    if (!reference/* REPOSITORY_PATH */.bn.test(repository)) {
        throw new errors/* InputError */.dz(`image "${entry}": "${repository}" is not a valid repository; use lower-case letters, digits and "._-", with "/" between parts`);
    }
    if (`${host}/${repository}`.length > reference/* NAME_MAX */.fo) {
        throw new errors/* InputError */.dz(`image "${entry}": the source name "${host}/${repository}" is longer than ${reference/* NAME_MAX */.fo} characters, which no registry accepts; check the entry`);
    }
    const name = given ?? repository.slice(repository.lastIndexOf('/') + 1);
    if (!reference/* REPOSITORY_PATH */.bn.test(name)) {
        throw new errors/* InputError */.dz(`image "${entry}": "${name}" is not a valid image name; write "<name>=docker://..." with lower-case letters, digits and "._-"`);
    }
    return { name, tag, registry: { host, repository, tag, digest } };
}

;// CONCATENATED MODULE: ./src/settings/parse.ts








/**
 * Turns raw inputs into settings, or throws an InputError naming the bad
 * value and the fix. Nothing outside the process is touched except reading
 * `ca-file`, so a failure here means nothing was run.
 */
function parseSettings(raw, warn) {
    const input = (name) => (raw[name] ?? '').trim();
    const registry = parseRegistry(input('registry'), warn);
    const sourceTag = input('source-tag');
    if (sourceTag)
        checkTag('source-tag', sourceTag);
    const images = parseImages(input('images'), sourceTag);
    const chartInputs = (0,chart_inputs/* parseChartInputs */.JO)(input, splitList);
    if (images.length === 0 && chartInputs.charts.length === 0) {
        throw new errors/* InputError */.dz(`"images" is empty and so is "charts": at least one of images and charts must name something to push; list local images (e.g. "apim-le-cache apim-le-toolkit") and/or chart folders or .tgz files (e.g. "charts/*")`);
    }
    const destinationTags = splitList(input('destination-tag'));
    for (const tag of destinationTags)
        checkTag('destination-tag', tag);
    const tlsVerify = parseBoolean('tls-verify', input('tls-verify'), true);
    const caFile = parseCaFile(input('ca-file'));
    if (caFile && !tlsVerify) {
        throw new errors/* InputError */.dz(`"ca-file" and "tls-verify: false" were both set; use one: ca-file keeps TLS verified against your CA, tls-verify: false skips verification`);
    }
    const settings = {
        registry,
        credentials: parseCredentials(input('username'), secretInput(raw.password ?? '')),
        ...sourceCredentials(input('source-username'), secretInput(raw['source-password'] ?? '', 'source-password'), images, warn),
        containerTool: parseContainerTool(input('container-tool')),
        images,
        sourcePath: parseSourcePath(input('source-path')),
        destinationTags: [...new Set(destinationTags)],
        tlsVerify,
        caFile,
        ifExists: parseChoice('if-exists', input('if-exists') || 'overwrite', [
            'overwrite',
            'skip',
            'fail'
        ]),
        parallel: parseInteger('parallel', input('parallel'), 3, 1, 32),
        retries: parseInteger('retries', input('retries'), 2, 0, 10),
        dryRun: parseBoolean('dry-run', input('dry-run'), false),
        summary: parseBoolean('summary', input('summary'), true),
        ...chartInputs
    };
    checkDestinationsDistinct(settings);
    checkNameLengths(settings);
    return settings;
}
/** Splits a list given with newlines, commas or spaces; drops empty entries. */
function splitList(value) {
    return value.split(/[\s,]+/).filter(entry => entry !== '');
}
/**
 * `host[:port][/path]`. A scheme and trailing slashes are what users paste
 * from a browser or from the reference script's docs; they are stripped with
 * a warning rather than refused.
 */
function parseRegistry(value, warn) {
    if (!value) {
        throw new errors/* InputError */.dz(`"registry" is required: give host[:port][/project], e.g. registry-oci.example.com/catalog-apps-myorg-myproject`);
    }
    refuseUserinfo(value);
    let rest = value;
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest);
    if (scheme) {
        if (!['https', 'http', 'oci'].includes(scheme[1].toLowerCase())) {
            throw new errors/* InputError */.dz(`registry "${value}" starts with an unknown scheme "${scheme[0]}"; give host[:port][/path] without a scheme`);
        }
        rest = rest.slice(scheme[0].length);
        warn(`registry "${value}": dropped the scheme "${scheme[0]}"; registries are given as host[:port][/path]`);
    }
    if (rest.endsWith('/')) {
        rest = rest.replace(/\/+$/, '');
        warn(`registry "${value}": dropped the trailing "/" (it would make "//" in image names)`);
    }
    const slash = rest.indexOf('/');
    const host = slash === -1 ? rest : rest.slice(0, slash);
    const repositoryPath = slash === -1 ? '' : rest.slice(slash + 1);
    checkBrackets(`registry "${value}"`, host);
    const domain = reference/* DOMAIN */.V2.exec(host);
    const port = domain?.[1] === undefined ? undefined : Number(domain[1]);
    if (!domain || (port !== undefined && (port < 1 || port > 65535))) {
        throw new errors/* InputError */.dz(`registry "${value}": "${host}" is not a valid host[:port]; give e.g. registry-oci.example.com or 127.0.0.1:5000`);
    }
    if (repositoryPath.includes('chartrepo')) {
        throw new errors/* InputError */.dz(`registry "${value}" contains "chartrepo": Harbor's OCI registry takes host/project (e.g. ${host}/<project>), never /chartrepo/`);
    }
    if (repositoryPath && !reference/* REPOSITORY_PATH */.bn.test(repositoryPath)) {
        throw new errors/* InputError */.dz(`registry "${value}": the path "${repositoryPath}" is not a valid repository path; use lower-case letters, digits and "._-" between "/" (no "//")`);
    }
    return { host, path: repositoryPath, prefix: repositoryPath ? `${host}/${repositoryPath}` : host };
}
/**
 * Brackets in a host: an IPv6 address literal, or a mistake. Neither is
 * taken: podman and helm cannot name an image on an IPv6 literal ("invalid
 * reference format"), so a run would fail half way; a host name that
 * resolves to the address works with every tool.
 */
function checkBrackets(what, host) {
    if (!/[[\]]/.test(host))
        return;
    const literal = /^\[([^\]]*)\](:\d+)?$/.exec(host);
    if (literal && external_node_net_default().isIPv6(literal[1])) {
        throw new errors/* InputError */.dz(`${what}: "${host}" is an IPv6 address, which podman and helm cannot use in image names; give a host name that resolves to it instead (e.g. the line "${literal[1]} registry.local" in /etc/hosts, then registry.local${literal[2] ?? ''})`);
    }
    throw new errors/* InputError */.dz(`${what}: "${host}" is not a valid host[:port]: brackets belong only around an IPv6 address; give e.g. registry-oci.example.com or 127.0.0.1:5000`);
}
/**
 * `https://user:password@host/...`: refused, not stripped. Using a login
 * taken from a value that is not a secret would keep it unmasked in the
 * workflow; dropping it would end in a puzzling "login rejected". The
 * message shows the value with `***` in place of the login.
 */
function refuseUserinfo(value) {
    const userinfo = /^((?:[a-z][a-z0-9+.-]*:\/\/)?)[^/]*@/i.exec(value);
    if (!userinfo)
        return;
    const shown = `${userinfo[1]}***@${value.slice(userinfo[0].length)}`;
    throw new errors/* InputError */.dz(`registry "${shown}" carries a user name and password: give the registry as host[:port][/path], the user as "username" and the secret as "password" (from a secret store); if that password is written in the workflow, change it`);
}
function parseImages(value, sourceTag) {
    const images = [];
    const seen = new Set();
    for (const entry of splitList(value)) {
        const fromRegistry = parseRegistryEntry(entry);
        if (fromRegistry?.registry) {
            const key = `${fromRegistry.name}=${registryReference(fromRegistry.registry)}`;
            if (seen.has(key))
                throw new errors/* InputError */.dz(`image "${entry}" is listed twice in "images"`);
            seen.add(key);
            images.push(fromRegistry);
            continue;
        }
        const archive = parseArchiveEntry(entry);
        if (archive) {
            // One layout may hold several images (by REF): the same name and reference twice is the repeat.
            const key = `${archive.name}=${archive.archive ? archiveReference(archive.archive) : ''}`;
            if (seen.has(key))
                throw new errors/* InputError */.dz(`image "${entry}" is listed twice in "images"`);
            seen.add(key);
            images.push(archive);
            continue;
        }
        if (entry.includes('@')) {
            throw new errors/* InputError */.dz(`image "${entry}": digests are not accepted; name a local image as name or name:tag`);
        }
        const colon = entry.lastIndexOf(':');
        const name = colon === -1 ? entry : entry.slice(0, colon);
        const ownTag = colon === -1 ? '' : entry.slice(colon + 1);
        if (!reference/* REPOSITORY_PATH */.bn.test(name)) {
            throw new errors/* InputError */.dz(`image "${entry}": "${name}" is not a valid image name; use lower-case letters, digits and "._-", with "/" between parts`);
        }
        if (colon !== -1)
            checkTag(`image "${entry}"`, ownTag);
        const tag = ownTag || sourceTag;
        if (!tag) {
            throw new errors/* InputError */.dz(`image "${entry}" has no tag: set "source-tag" or write "${name}:<tag>" (there is no implicit "latest")`);
        }
        const key = `${name}:${tag}`;
        if (seen.has(key))
            throw new errors/* InputError */.dz(`image "${key}" is listed twice in "images"`);
        seen.add(key);
        images.push({ name, tag });
    }
    return images;
}
const TRANSPORT = /^(?:([^=]+)=)?(oci-archive|oci|docker-archive):(.+)$/;
/**
 * `[name=]oci-archive:PATH[:REF]`, `[name=]oci:DIR[:REF]`,
 * `[name=]docker-archive:PATH[:REF]`: an image in an archive or layout. The
 * name defaults to the file or folder name without its extension; the tag is
 * REF's (a layout's tag, or the tag of a docker archive's `name:tag`), and
 * `destination-tag` may name others. undefined for any other entry.
 */
function parseArchiveEntry(entry) {
    const match = TRANSPORT.exec(entry);
    if (!match)
        return undefined;
    const [, given, transport, rest] = match;
    // PATH[:REF]: a layout's REF is a tag (no "/"); a docker archive's is name:tag or @N.
    const split = transport === 'docker-archive'
        ? /^(.+?):((?:[^:]+:[^:/]+)|@\d+)$/.exec(rest)
        : /^(.+):([^:/]+)$/.exec(rest);
    const file = split ? split[1] : rest;
    const ref = split ? split[2] : '';
    const name = given ??
        external_node_path_default().basename(file)
            .replace(/(\.oci)?(\.tar)?(\.gz)?$|\.tgz$/, '')
            .replace(/\.oci$/, '')
            .toLowerCase();
    if (!reference/* REPOSITORY_PATH */.bn.test(name)) {
        throw new errors/* InputError */.dz(`image "${entry}": "${name}" is not a valid image name${given ? '' : ' (taken from the file name)'}; write "<name>=${transport}:${rest}" with lower-case letters, digits and "._-"`);
    }
    // A docker archive's REF is name:tag (or @N); a layout's REF is its tag.
    const tag = transport === 'docker-archive' ? (/:([^:/]+)$/.exec(ref)?.[1] ?? '') : ref;
    if (tag)
        checkTag(`image "${entry}"`, tag);
    return { name, tag, archive: { transport, path: external_node_path_default().resolve(file), ref } };
}
function parseSourcePath(value) {
    const trimmed = value.replace(/^\/+|\/+$/g, '');
    if (!trimmed)
        return '';
    // A local path may start with a registry-like domain, e.g. podman's "localhost/".
    const [first, ...rest] = trimmed.split('/');
    checkBrackets(`source-path "${value}"`, first);
    const restOk = rest.length === 0 || reference/* REPOSITORY_PATH */.bn.test(rest.join('/'));
    const firstOk = reference/* REPOSITORY_PATH */.bn.test(first) || (rest.length > 0 && reference/* DOMAIN */.V2.test(first));
    if (!firstOk || !restOk) {
        throw new errors/* InputError */.dz(`source-path "${value}" is not a valid local repository path; use e.g. "apim" or "localhost/apim"`);
    }
    return trimmed;
}
function checkTag(what, tag) {
    const problem = (0,reference/* tagProblem */.qH)(tag);
    if (problem) {
        const label = what.startsWith('image') ? `${what}: tag` : what;
        throw new errors/* InputError */.dz(`${label} "${tag}" is not a valid tag: ${problem}; e.g. "v6.0.0" or "6.0.0-rc.1"`);
    }
}
/**
 * The secret as given: spaces at either end belong to it (podman, docker
 * and helm keep them too); only one final newline (`\n` or `\r\n`), which
 * `echo` and files add, is not part of it. One made of white space only
 * counts as not given. A line break inside would be cut by the tools (and
 * masked in pieces by the runner): refused, without printing it.
 */
function secretInput(value, name = 'password') {
    const secret = withoutFinalNewline(value);
    if (secret.trim() === '')
        return '';
    if (/[\r\n]/.test(secret)) {
        throw new errors/* InputError */.dz(`"${name}" holds a line break inside it (a multi-line value, or two values pasted together); a registry secret is one line: check the secret's value (it is not printed here)`);
    }
    return secret;
}
/** `value` without one final `\n` or `\r\n`. */
function withoutFinalNewline(value) {
    return value.replace(/\r?\n$/, '');
}
function parseCredentials(username, password) {
    if (!username && !password)
        return undefined;
    if (!password) {
        throw new errors/* InputError */.dz(`"username" is set but "password" is empty: pass the Harbor CLI secret (or robot secret) as "password", e.g. \${{ secrets.HARBOR_CLI_SECRET }}`);
    }
    if (!username) {
        throw new errors/* InputError */.dz(`"password" is set but "username" is empty: set the Harbor user name or the robot account (robot$<project>+<name>)`);
    }
    if (/\s/.test(username)) {
        throw new errors/* InputError */.dz(`username "${username}" contains white space; check the value`);
    }
    return { username, password };
}
/**
 * `source-username` / `source-password`: the login for `docker://` sources,
 * paired like the destination's. Given for a run with no such source, they
 * are not used, and that is said.
 */
function sourceCredentials(username, password, images, warn) {
    if (!username && !password)
        return {};
    if (!password) {
        throw new errors/* InputError */.dz(`"source-username" is set but "source-password" is empty: pass the secret of the source registry's account as "source-password", e.g. \${{ secrets.STAGING_REGISTRY_SECRET }}`);
    }
    if (!username) {
        throw new errors/* InputError */.dz(`"source-password" is set but "source-username" is empty: set the user or robot account of the source registry as "source-username"`);
    }
    if (/\s/.test(username)) {
        throw new errors/* InputError */.dz(`source-username "${username}" contains white space; check the value`);
    }
    if (!images.some(image => image.registry)) {
        warn('source-username and source-password are set, but no "images" entry is a docker:// source: they are not used');
    }
    return { sourceCredentials: { username, password } };
}
function parseContainerTool(value) {
    return parseChoice('container-tool', value || 'docker', ['docker', 'podman']);
}
function parseCaFile(value) {
    if (!value)
        return '';
    const file = external_node_path_default().resolve(value);
    let text;
    try {
        text = external_node_fs_default().readFileSync(file, 'utf8');
    }
    catch {
        throw new errors/* InputError */.dz(`ca-file "${value}" cannot be read; give the path of a PEM certificate bundle`);
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
        throw new errors/* InputError */.dz(`ca-file "${value}" holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); give the registry's CA in PEM form`);
    }
    return file;
}
function parseChoice(name, value, choices) {
    const found = choices.find(choice => choice === value.toLowerCase());
    if (!found) {
        throw new errors/* InputError */.dz(`${name} "${value}" is not supported; use one of: ${choices.join(', ')}`);
    }
    return found;
}
/** YAML 1.2 core booleans, as the runner's own boolean inputs accept. */
function parseBoolean(name, value, fallback) {
    if (!value)
        return fallback;
    if (['true', 'True', 'TRUE'].includes(value))
        return true;
    if (['false', 'False', 'FALSE'].includes(value))
        return false;
    throw new errors/* InputError */.dz(`${name} "${value}" is not a boolean; use true or false`);
}
function parseInteger(name, value, fallback, min, max) {
    if (!value)
        return fallback;
    const number = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(number) || number < min || number > max) {
        throw new errors/* InputError */.dz(`${name} "${value}" is not a whole number from ${min} to ${max}`);
    }
    return number;
}
/**
 * Two images that would land on the same destination reference would
 * silently overwrite each other; refuse before anything runs.
 */
function checkDestinationsDistinct(settings) {
    const owner = new Map();
    for (const image of settings.images) {
        if (!image.tag && settings.destinationTags.length === 0 && image.registry) {
            throw new errors/* InputError */.dz(`image "${image.name}" from "${registryReference(image.registry)}" names a digest and no tag: set "destination-tag" to say where it goes`);
        }
        if (!image.tag && settings.destinationTags.length === 0) {
            throw new errors/* InputError */.dz(`image "${image.name}" from ${image.archive?.transport ?? 'an archive'} "${image.archive?.path ?? ''}" has no tag: set "destination-tag", or name the image inside with ":<tag>" (there is no implicit "latest")`);
        }
        const tags = settings.destinationTags.length ? settings.destinationTags : [image.tag];
        for (const tag of tags) {
            const destination = `${settings.registry.prefix}/${image.name}:${tag}`;
            const previous = owner.get(destination);
            if (previous) {
                throw new errors/* InputError */.dz(`images "${previous}" and "${image.name}:${image.tag}" would both be pushed to "${destination}"; push them in separate steps or give each its own destination tag`);
            }
            owner.set(destination, `${image.name}:${image.tag}`);
        }
    }
}
/**
 * An image name, registry host and path included, is at most 255
 * characters: docker, podman and the registry all refuse longer ones, and
 * would do so only half way through the run.
 */
function checkNameLengths(settings) {
    for (const image of settings.images) {
        const names = [
            ['destination', `${settings.registry.prefix}/${image.name}`],
            ...(image.registry
                ? []
                : [['source', settings.sourcePath ? `${settings.sourcePath}/${image.name}` : image.name]])
        ];
        for (const [which, name] of names) {
            if (name.length > reference/* NAME_MAX */.fo) {
                throw new errors/* InputError */.dz(`image "${image.name}": the ${which} name "${name}" is ${name.length} characters long; image names (host and path included) may be at most ${reference/* NAME_MAX */.fo}: use a shorter ${which === 'source' ? 'source-path' : 'registry path'} or image name`);
            }
        }
    }
}

;// CONCATENATED MODULE: ./src/settings/load.ts


/**
 * Fills in the inputs left empty from `defaults-file`, if one is named. The
 * rule, for the action and the command alike: an input (or flag) counts as
 * given when it is not empty after trimming, and a given value always wins
 * over the file. That is why inputs the file can set have an empty default
 * in action.yml (`container-tool` too): a non-empty default would always
 * win. Their real defaults (`docker`, ...) apply after the file.
 */
function applyDefaultsFile(raw) {
    const file = (raw['defaults-file'] ?? '').trim();
    const inputs = { ...raw };
    const fromFile = [];
    const overridden = [];
    if (!file)
        return { inputs, fromFile, overridden };
    for (const entry of readDefaultsFile(file)) {
        if ((raw[entry.input] ?? '').trim() !== '') {
            overridden.push(entry.input);
        }
        else if (entry.value.trim() !== '') {
            inputs[entry.input] = entry.value;
            fromFile.push(entry.input);
        }
    }
    return { inputs, fromFile, overridden };
}
/**
 * What every front end calls: raw inputs by their action.yml name, merged
 * with the defaults file, validated into settings. Throws an InputError
 * naming the bad value (or the defaults file's `file:line`) and the fix.
 */
function loadSettings(raw, warn, info = () => undefined) {
    const { inputs, fromFile, overridden } = applyDefaultsFile(raw);
    if (fromFile.length > 0 || overridden.length > 0) {
        const given = overridden.length > 0 ? `; given explicitly: ${overridden.join(', ')}` : '';
        info(`Defaults from ${(raw['defaults-file'] ?? '').trim()}: ${fromFile.join(', ') || 'none used'}${given}`);
    }
    return parseSettings(inputs, warn);
}

// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __webpack_require__(7975);
;// CONCATENATED MODULE: ./src/cli/args.ts


/**
 * Every flag, in the order of the usage. One table drives the parser and
 * the usage, so `-h` cannot drift from what is accepted.
 */
const FLAGS = [
    {
        long: 'registry',
        short: 'r',
        value: 'host[:port][/path]',
        input: true,
        help: 'registry[/project], e.g. registry-oci.example.com/my-project'
    },
    {
        long: 'images',
        short: 'i',
        value: 'name[:tag]',
        repeatable: true,
        input: true,
        help: 'image to push; repeatable (default: IMAGES of the defaults file)'
    },
    {
        long: 'container-tool',
        short: 'c',
        value: 'docker|podman',
        input: true,
        help: 'tool that holds the images (default: docker)'
    },
    {
        long: 'source-path',
        short: 'p',
        value: 'path',
        input: true,
        help: 'local path: the source is <path>/<name>:<tag>'
    },
    {
        long: 'source-tag',
        short: 's',
        value: 'tag',
        input: true,
        help: 'tag of the local images (no implicit latest)'
    },
    {
        long: 'destination-tag',
        short: 'd',
        value: 'tag',
        repeatable: true,
        input: true,
        help: 'tag to push as; repeatable (default: the source tag)'
    },
    {
        long: 'no-tls-verify',
        short: 't',
        help: 'do not verify TLS (the same as --tls-verify false)'
    },
    {
        long: 'username',
        short: 'u',
        value: 'name',
        input: true,
        help: 'Harbor user, or robot account robot$<project>+<name>'
    },
    {
        long: 'password-stdin',
        help: 'read the CLI secret (or robot secret) from stdin'
    },
    {
        long: 'source-username',
        value: 'name',
        input: true,
        help: 'user or robot of the registry that docker:// sources are read from'
    },
    {
        long: 'source-password-stdin',
        help: 'read the source secret from stdin (else HARBOR_SOURCE_PASSWORD)'
    },
    {
        long: 'defaults-file',
        value: 'file',
        input: true,
        help: 'KEY=VALUE product defaults; flags win over them'
    },
    {
        long: 'tls-verify',
        value: 'true|false',
        boolean: true,
        input: true,
        help: 'false skips TLS verification'
    },
    {
        long: 'ca-file',
        value: 'file',
        input: true,
        help: 'PEM bundle to trust for the registry'
    },
    {
        long: 'charts',
        value: 'path',
        repeatable: true,
        input: true,
        help: 'chart folder or .tgz (globs allowed); repeatable'
    },
    {
        long: 'chart-version',
        value: 'version',
        input: true,
        help: 'version set when packaging chart folders'
    },
    {
        long: 'chart-app-version',
        value: 'version',
        input: true,
        help: 'appVersion set when packaging chart folders'
    },
    {
        long: 'helm-version',
        value: 'version',
        input: true,
        help: 'helm to download when none is on PATH'
    },
    {
        long: 'helm-download-url',
        value: 'url',
        input: true,
        help: 'base URL of helm releases (a mirror)'
    },
    {
        long: 'if-exists',
        value: 'overwrite|skip|fail',
        input: true,
        help: 'when a tag holds other content (default: overwrite)'
    },
    {
        long: 'parallel',
        value: 'n',
        input: true,
        help: 'pushes at once, 1-32 (default: 3)'
    },
    {
        long: 'retries',
        value: 'n',
        input: true,
        help: 'extra attempts on transient failures, 0-10 (default: 2)'
    },
    {
        long: 'dry-run',
        value: 'true|false',
        boolean: true,
        input: true,
        help: 'check everything and print the plan; push nothing'
    },
    {
        long: 'summary',
        value: 'true|false',
        boolean: true,
        input: true,
        help: 'false: no table at the end, only the count line'
    },
    {
        long: 'json',
        help: 'print the report as JSON on stdout'
    },
    {
        long: 'subject-checksums',
        value: 'file',
        help: 'write <sha256 hex>  <registry>/<repository> of what was pushed (attestation subjects)'
    },
    { long: 'help', short: 'h', help: 'print this usage' }
];
const BOOLEAN_WORDS = ['true', 'True', 'TRUE', 'false', 'False', 'FALSE'];
/** `--subject-checksums FILE`, given once with a file name, as CliArgs' field. */
function subjectChecksumsFile(given) {
    if (!Array.isArray(given))
        return {};
    if (given.length > 1) {
        throw new errors/* InputError */.dz(`--subject-checksums was given ${given.length} times; give it once`);
    }
    if (!given[0].trim()) {
        throw new errors/* InputError */.dz('--subject-checksums needs a file name, e.g. --subject-checksums subjects.sha256');
    }
    return { subjectChecksums: given[0] };
}
/**
 * Parses the command line (without node and the script) with node's own
 * `util.parseArgs`. Throws an InputError for anything it cannot take,
 * without ever echoing a value that might be a secret.
 */
function parseCommandLine(argv) {
    refusePasswordFlag(argv);
    const options = {};
    for (const flag of FLAGS) {
        options[flag.long] = {
            type: flag.value ? 'string' : 'boolean',
            ...(flag.short ? { short: flag.short } : {}),
            ...(flag.value ? { multiple: true } : {})
        };
    }
    let values;
    try {
        ;
        ({ values } = (0,external_node_util_.parseArgs)({
            args: withBooleanValues(argv),
            options,
            strict: true,
            allowPositionals: false
        }));
    }
    catch (error) {
        throw new errors/* InputError */.dz(`${describeParseError(error)}; see harbor-push -h`);
    }
    const inputs = {};
    for (const flag of FLAGS) {
        const given = values[flag.long];
        if (!flag.input || !Array.isArray(given))
            continue;
        if (given.length > 1 && !flag.repeatable) {
            throw new errors/* InputError */.dz(`${label(flag)} was given ${given.length} times; give it once`);
        }
        inputs[flag.long] = given.join('\n');
    }
    if (values['no-tls-verify'] === true) {
        const explicit = inputs['tls-verify'];
        if (explicit !== undefined && !['false', 'False', 'FALSE'].includes(explicit)) {
            throw new errors/* InputError */.dz(`-t (do not verify TLS) and --tls-verify ${explicit} contradict; use one`);
        }
        inputs['tls-verify'] = 'false';
    }
    return {
        inputs,
        passwordStdin: values['password-stdin'] === true,
        sourcePasswordStdin: values['source-password-stdin'] === true,
        json: values.json === true,
        ...subjectChecksumsFile(values['subject-checksums']),
        help: values.help === true
    };
}
/** The usage `-h` prints, made from FLAGS. */
function usage() {
    const names = (flag) => [
        flag.short ? `-${flag.short}, ` : '    ',
        `--${flag.long}`,
        flag.value ? ` <${flag.value}>` : ''
    ]
        .join('')
        .trimEnd();
    const width = Math.max(...FLAGS.map(flag => names(flag).length)) + 2;
    const lines = FLAGS.map(flag => `  ${names(flag).padEnd(width)}${flag.help}`);
    return [
        'Usage: harbor-push -r <registry>[/<path>] [-i <image>]... [options]',
        '',
        'Logs in to a Harbor (or any OCI) registry and pushes local docker or podman images, with the',
        'flags of push-images.sh. Every action input is a long flag of the same name.',
        '',
        'Options:',
        ...lines,
        '',
        'The secret never goes on the command line: pipe it to --password-stdin, or set HARBOR_PASSWORD;',
        'the secret of docker:// sources: --source-password-stdin (one of the two), or HARBOR_SOURCE_PASSWORD.',
        "Without -r and -u, HARBOR_HOST + HARBOR_PROJECT and HARBOR_USERNAME (GitLab's Harbor integration).",
        '',
        'Examples:',
        '  harbor-push -r registry-oci.example.com/apim-trial --defaults-file apim.env -t',
        '  harbor-push -r registry-oci.example.com/apim-trial -i apim-le-toolkit -i apim-le-cache -d trials',
        '  printf %s "$CLI_SECRET" | harbor-push -u "$USER" --password-stdin -r ... -i ...',
        '',
        'Exit status: 0 everything pushed, 1 a push (or the login) failed, 2 bad input (nothing pushed).'
    ].join('\n');
}
function label(flag) {
    return flag.short ? `-${flag.short}/--${flag.long}` : `--${flag.long}`;
}
/**
 * A secret given as a flag value is in the process list and the shell's
 * history before any program can refuse it; refuse it anyway, and say why.
 */
function refusePasswordFlag(argv) {
    for (const arg of argv) {
        if (arg === '--')
            return;
        for (const [flag, variable] of [
            ['password', 'HARBOR_PASSWORD'],
            ['source-password', 'HARBOR_SOURCE_PASSWORD']
        ]) {
            if (arg === `--${flag}` || arg.startsWith(`--${flag}=`)) {
                throw new errors/* InputError */.dz(`--${flag} is refused: a secret on the command line is visible to other users (ps, /proc/<pid>/cmdline) and stays in the shell history. Pipe it to --${flag}-stdin, or set ${variable}`);
            }
        }
    }
}
/** `--dry-run` alone means `--dry-run true`, as a switch would. */
function withBooleanValues(argv) {
    const booleans = new Set(FLAGS.filter(flag => flag.boolean).map(flag => `--${flag.long}`));
    const result = [];
    for (let index = 0; index < argv.length; index++) {
        const arg = argv[index];
        result.push(arg);
        if (arg === '--') {
            result.push(...argv.slice(index + 1));
            break;
        }
        if (booleans.has(arg) && !BOOLEAN_WORDS.includes(argv[index + 1] ?? ''))
            result.push('true');
    }
    return result;
}
/**
 * parseArgs errors name the option, never its value. A stray word is not
 * echoed: it may be a secret typed after --password-stdin.
 */
function describeParseError(error) {
    // parseArgs' errors may come from another realm (a test VM): read the message, not instanceof.
    const { message } = error;
    if (typeof message !== 'string')
        return (0,errors/* messageOf */.bD)(error);
    if (message.startsWith('Unexpected argument')) {
        return 'unexpected argument: the command takes no bare words; images are given with -i (e.g. -i apim-le-cache), every other value with its flag, and the secret on stdin';
    }
    return message.replace(/\s*\n\s*/g, ' ').replace(/\. This command does not take.*$/, '');
}

;// CONCATENATED MODULE: ./src/cli/harbor-variables.ts
/**
 * GitLab's Harbor integration (Settings → Integrations → Harbor) gives every
 * job HARBOR_HOST, HARBOR_PROJECT, HARBOR_USERNAME and HARBOR_PASSWORD; a
 * Jenkins `withCredentials` block or any shell can set the same. The command
 * reads them where no flag was given (DESIGN.md, "Command line").
 */


/** Where the variables come from, for the errors' fixes. */
const WHERE = "GitLab's Harbor integration, or set them yourself";
/**
 * Fills `registry` and `username` from the Harbor variables where the
 * command line left them empty; flags win. The secret is not read here:
 * main.ts reads HARBOR_PASSWORD or --password-stdin (said by
 * `passwordStdin`) and hands it in as `password`, only so that a user
 * without a secret can be refused.
 * Throws an InputError naming the variable and the fix when only some of
 * them are set; notes on `log` what it took, so a run says where its
 * registry and user came from.
 */
function withHarborVariables(inputs, env, log, { passwordStdin = false } = {}) {
    const variable = (name) => (env[name] ?? '').trim();
    const given = (name) => (inputs[name] ?? '').trim() !== '';
    const result = { ...inputs };
    const taken = [];
    const host = variable('HARBOR_HOST');
    const project = variable('HARBOR_PROJECT');
    if (given('registry')) {
        if (host || project) {
            log.info('-r/--registry was given: HARBOR_HOST and HARBOR_PROJECT are not used');
        }
    }
    else if (host || project) {
        result.registry = registryFrom(host, project, log);
        taken.push(`registry ${result.registry} (HARBOR_HOST, HARBOR_PROJECT)`);
    }
    const username = variable('HARBOR_USERNAME');
    const secret = (inputs.password ?? '').trim();
    if (given('username')) {
        const flag = (inputs.username ?? '').trim();
        // GitLab sets HARBOR_PASSWORD for HARBOR_USERNAME: paired with another user it is most likely the wrong secret.
        if (username && username !== flag && secret && !passwordStdin) {
            log.warning(`-u/--username "${flag}" is used with HARBOR_PASSWORD, which belongs to HARBOR_USERNAME "${username}"; if the login is rejected, pipe that user's secret to --password-stdin, or leave out -u`);
        }
    }
    else if (username) {
        if (!secret) {
            throw new errors/* InputError */.dz(`HARBOR_USERNAME "${username}" is set but there is no secret: set HARBOR_PASSWORD too (${WHERE}), or pipe the secret to --password-stdin`);
        }
        result.username = username;
        taken.push(`username ${username} (HARBOR_USERNAME)`);
    }
    if (taken.length > 0)
        log.info(`From the Harbor variables: ${taken.join('; ')}`);
    return result;
}
/**
 * `host/project` from HARBOR_HOST and HARBOR_PROJECT. GitLab's HARBOR_HOST
 * may be a URL (https://harbor.example.com): the host goes through the same
 * check as the `registry` input, which drops a scheme or a trailing "/"
 * with its warning, here said to be about HARBOR_HOST.
 */
function registryFrom(host, project, log) {
    if (!host) {
        throw new errors/* InputError */.dz(`HARBOR_PROJECT "${project}" is set but HARBOR_HOST is empty: set HARBOR_HOST to the Harbor host (e.g. registry-oci.example.com; ${WHERE}), or give the registry as -r <host>/${project}`);
    }
    if (!project) {
        throw new errors/* InputError */.dz(`HARBOR_HOST "${host}" is set but HARBOR_PROJECT is empty: set HARBOR_PROJECT to the Harbor project to push to (${WHERE}), or give the registry as -r <host>/<project>`);
    }
    let target;
    try {
        target = parseRegistry(host, message => log.warning(`HARBOR_HOST: ${message}`));
    }
    catch (error) {
        if (error instanceof errors/* InputError */.dz)
            throw new errors/* InputError */.dz(`HARBOR_HOST: ${(0,errors/* messageOf */.bD)(error)}`);
        throw error;
    }
    return `${target.prefix}/${project.replace(/^\/+|\/+$/g, '')}`;
}

;// CONCATENATED MODULE: ./src/cli/report.ts

const STATUSES = ['pushed', 'unchanged', 'skipped', 'failed'];
/**
 * `--json`: the action's outputs (the same objects, made by the same code),
 * refs as an array, the counts, and each failure with its reason.
 */
function reportJson(report) {
    const results = [...report.images, ...report.charts];
    const counts = Object.fromEntries(STATUSES.map(status => [status, results.filter(result => result.status === status).length]));
    const failures = [
        ...report.images.map(image => ({ reference: image.destination, ...image })),
        ...report.charts
    ]
        .filter(result => result.status === 'failed')
        .map(result => ({ reference: result.reference, error: result.error ?? '' }));
    return JSON.stringify({ ...outputsOf(report), counts, failures }, null, 2);
}
/** The table at the end: one row per destination reference and chart, then the count line. */
function reportTable(report, terminal) {
    const rows = [
        ...report.images.map(image => ({ ...image })),
        ...report.charts.map(chart => ({
            ...chart,
            source: `chart ${chart.chart} ${chart.version}`,
            destination: chart.reference
        }))
    ].map(result => ({
        cells: [
            result.source,
            result.destination,
            result.digest ? result.digest.slice(0, 'sha256:'.length + 12) : '-',
            result.status,
            `${result.seconds}s`
        ],
        status: result.status
    }));
    const header = ['SOURCE', 'DESTINATION', 'DIGEST', 'STATUS', 'TIME'];
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map(row => row.cells[column].length)));
    const line = (cells, status) => cells
        .map((cell, column) => {
        const padded = column === cells.length - 1 ? cell : cell.padEnd(widths[column]);
        return column === 3 && status ? terminal.paintStatus('stdout', status, padded) : padded;
    })
        .join('  ')
        .trimEnd();
    return [
        line(header),
        ...rows.map(row => line(row.cells, row.status)),
        '',
        countLine([...report.images, ...report.charts])
    ].join('\n');
}

;// CONCATENATED MODULE: ./src/log.ts

/**
 * Lines that a GitHub runner shows and never obeys. The runner reads any
 * output line that starts with `::` (after white space) as a workflow
 * command, and any line holding `##[` as one in the old syntax: text from
 * outside (registry answers, tool output) could end the step with its own
 * `::error::`, save state the post step trusts, or stop masking. When a
 * line could be read so, the block is fenced with `::stop-commands::` and a
 * token nobody outside can know, which switches every command off until
 * the token comes back: nothing needs escaping, and the text is shown as
 * it came.
 */
function inertForRunner(lines, token = `hp-${(0,external_node_crypto_.randomUUID)()}`) {
    if (!lines.some(line => /::|##\[/.test(line)))
        return lines;
    return [`::stop-commands::${token}`, ...lines, `::${token}::`];
}

// EXTERNAL MODULE: ./src/redact.ts
var redact = __webpack_require__(6670);
;// CONCATENATED MODULE: ./src/cli/terminal.ts


const STATUS_COLOR = {
    pushed: '32', // green
    unchanged: '2', // dim
    skipped: '33', // yellow
    failed: '31' // red
};
/**
 * The command's terminal: the report on stdout, progress and messages on
 * stderr, so `--json` output stays parseable. Everything written goes
 * through `redact`: a secret this terminal was told about is printed as
 * `***`, whatever code path tried to print it. No workflow commands
 * (`::add-mask::`, `::group::`) are written outside GitHub Actions; inside
 * it, the secret forms are also handed to the runner's masking, on stderr.
 */
class Terminal {
    stdout;
    stderr;
    env;
    secrets = [];
    /** Lines already handed to the runner's masking. */
    masked = new Set();
    constructor(stdout, stderr, env) {
        this.stdout = stdout;
        this.stderr = stderr;
        this.env = env;
    }
    /** Hides every later occurrence of `secret` in what this terminal prints. */
    addSecret(secret) {
        if (!secret || this.secrets.includes(secret))
            return;
        this.secrets.push(secret);
        // Longest first, so a secret that contains another is hidden whole.
        this.secrets.sort((a, b) => b.length - a.length);
        if (this.env.GITHUB_ACTIONS === 'true') {
            for (const line of secret.split(/\r?\n/).filter(part => part.trim() !== '')) {
                if (this.masked.has(line))
                    continue;
                this.masked.add(line);
                this.stderr.write(`::add-mask::${line}\n`);
            }
        }
    }
    redact(text) {
        let result = text;
        for (const secret of this.secrets)
            result = result.split(secret).join('***');
        return result;
    }
    /** The report: stdout. */
    print(text) {
        this.stdout.write(`${this.redact(text)}\n`);
    }
    /**
     * Progress and messages: stderr. Inside GitHub Actions the runner reads
     * stderr for workflow commands too: text from outside is kept inert.
     */
    note(text) {
        const shown = (0,redact/* redactUserinfo */.PM)(this.redact(text));
        const lines = this.env.GITHUB_ACTIONS === 'true' ? inertForRunner([shown]) : [shown];
        this.stderr.write(`${lines.join('\n')}\n`);
    }
    /** Colours on a terminal, unless NO_COLOR or TERM=dumb says otherwise; FORCE_COLOR forces them. */
    colors(stream) {
        const { FORCE_COLOR, NO_COLOR, TERM } = this.env;
        if (FORCE_COLOR !== undefined && FORCE_COLOR !== '0')
            return true;
        if (NO_COLOR !== undefined && NO_COLOR !== '')
            return false;
        if (TERM === 'dumb')
            return false;
        return this[stream].isTTY === true;
    }
    paint(stream, code, text) {
        return this.colors(stream) ? `\u001b[${code}m${text}\u001b[0m` : text;
    }
    paintStatus(stream, status, text = status) {
        return this.paint(stream, STATUS_COLOR[status], text);
    }
    /** The core's Log, on stderr: progress lines while pushing, one block per finished push. */
    log = {
        info: message => this.note(message),
        warning: message => this.note(`${this.paint('stderr', '33', 'warning:')} ${message}`),
        group: (title, lines) => {
            const [first, ...rest] = title.split(' ');
            const status = first;
            const head = Object.hasOwn(STATUS_COLOR, first)
                ? [this.paintStatus('stderr', status), ...rest].join(' ')
                : title;
            // The table at the end shows source, destination and digest; the
            // progress block keeps what only it has (errors, retries, notes).
            const extra = lines.filter(line => !/^(source|destination|digest):/.test(line));
            this.note([head, ...extra.map(line => `    ${line}`)].join('\n'));
        }
    };
    error(message) {
        this.note(`${this.paint('stderr', '31', 'harbor-push:')} ${message}`);
    }
    /**
     * Text that library code (the actions toolkit behind charts: glob,
     * tool-cache) wrote to stdout, diverted here so that stdout holds the
     * report only. Its workflow commands are for a runner: inside GitHub
     * Actions they go on as they are (the runner reads stderr too); outside,
     * `::debug::` and the like are dropped and warnings become plain lines.
     */
    stray(text) {
        for (const line of text.split(/\r?\n/)) {
            if (line === '')
                continue;
            const command = /^::([A-Za-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
            if (!command) {
                this.note(line);
                continue;
            }
            if (this.env.GITHUB_ACTIONS === 'true') {
                // The toolkit's own commands (it escapes their data), for the runner to obey.
                this.stderr.write(`${(0,redact/* redactUserinfo */.PM)(this.redact(line))}\n`);
                continue;
            }
            const [, name, message] = command;
            if (name === 'warning' || name === 'error')
                this.note(`${name}: ${message}`);
            else if (name === 'notice' || name === 'group')
                this.note(message);
        }
    }
}
/**
 * Sends every later `stream.write` to `sink` instead, until the returned
 * function is called; the caller keeps the original `write` for itself.
 */
function divertWrites(stream, sink) {
    const original = stream.write;
    const diverted = (chunk, ...rest) => {
        sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
        const callback = rest.find(arg => typeof arg === 'function');
        if (callback)
            process.nextTick(callback);
        return true;
    };
    stream.write = diverted;
    return () => {
        stream.write = original;
    };
}

;// CONCATENATED MODULE: ./src/cli/main.ts













/** Exit statuses of the command (DESIGN.md, "Command line"). */
const EXIT = { ok: 0, failed: 1, badInput: 2 };
/**
 * The command, start to end; the one error boundary of the command line.
 * argv → raw inputs by their action.yml name → the same loadSettings and
 * harborPush as the action → the report on stdout. Returns the exit status:
 * 0 everything pushed, 1 a push or the login failed, 2 bad input.
 */
async function runCli(argv, io, hooks = {}) {
    const terminal = new Terminal(io.stdout, io.stderr, io.env);
    const restoreStdout = io.divertStdout?.(text => terminal.stray(text));
    try {
        const args = parseCommandLine(argv);
        if (args.help) {
            terminal.print(usage());
            return EXIT.ok;
        }
        if (argv.length === 0) {
            terminal.note(usage());
            return EXIT.badInput;
        }
        if (args.passwordStdin && args.sourcePasswordStdin) {
            throw new errors/* InputError */.dz('--password-stdin and --source-password-stdin were both given, and standard input holds one secret: pipe one of them, and set the other in its variable (HARBOR_PASSWORD or HARBOR_SOURCE_PASSWORD)');
        }
        const password = await readSecret(args.passwordStdin, DESTINATION_SECRET, io, terminal);
        const sourcePassword = await readSecret(args.sourcePasswordStdin, SOURCE_SECRET, io, terminal);
        const raw = withHarborVariables({ ...args.inputs, password, 'source-password': sourcePassword }, io.env, terminal.log, { passwordStdin: args.passwordStdin });
        checkCredentialsPaired(raw, args.passwordStdin ? '--password-stdin' : 'HARBOR_PASSWORD');
        checkSourceCredentialsPaired(raw, args.sourcePasswordStdin ? '--source-password-stdin' : 'HARBOR_SOURCE_PASSWORD');
        const settings = loadSettings(raw, message => terminal.log.warning(message), message => terminal.log.info(message));
        // The auth files hold base64(user:password): hide that form too.
        if (settings.credentials)
            secretForms(settings.credentials).forEach(s => terminal.addSecret(s));
        if (settings.sourceCredentials) {
            secretForms(settings.sourceCredentials).forEach(s => terminal.addSecret(s));
        }
        if (args.subjectChecksums)
            checkWritable(args.subjectChecksums);
        const report = await harborPush(settings, terminal.log, hooks);
        if (beingStopped())
            return EXIT.failed;
        if (args.json)
            terminal.print(reportJson(report));
        else if (settings.summary)
            terminal.print(reportTable(report, terminal));
        else
            terminal.print(countLine([...report.images, ...report.charts]));
        if (args.subjectChecksums)
            writeSubjectChecksums(args.subjectChecksums, report);
        const failures = failureList(report);
        if (failures) {
            terminal.error(failures);
            return EXIT.failed;
        }
        return EXIT.ok;
    }
    catch (error) {
        // The tools were stopped under it: the signal's handler says so, not this.
        if (beingStopped())
            return EXIT.failed;
        if (error instanceof errors/* InputError */.dz) {
            terminal.error(`invalid input: ${(0,errors/* messageOf */.bD)(error)}`);
            return EXIT.badInput;
        }
        terminal.error((0,errors/* messageOf */.bD)(error));
        return EXIT.failed;
    }
    finally {
        restoreStdout?.();
    }
}
const DESTINATION_SECRET = { flag: '--password-stdin', variable: 'HARBOR_PASSWORD' };
const SOURCE_SECRET = {
    flag: '--source-password-stdin',
    variable: 'HARBOR_SOURCE_PASSWORD'
};
/**
 * A secret: its stdin flag, else its variable, else none. Never a flag value
 * (parseCommandLine refuses `--password` and `--source-password`). The
 * terminal is told every form before anything else can print it.
 */
async function readSecret(fromStdin, { flag, variable }, io, terminal) {
    const fromEnv = io.env[variable] ?? '';
    terminal.addSecret(fromEnv);
    terminal.addSecret(fromEnv.trim());
    if (!fromStdin)
        return fromEnv;
    if (fromEnv)
        terminal.log.warning(`${variable} is ignored: ${flag} was given`);
    if (io.stdin.isTTY) {
        throw new errors/* InputError */.dz(`${flag} reads the secret from a pipe or a file, and standard input is a terminal: run e.g. printf %s "$HARBOR_CLI_SECRET" | harbor-push ${flag} ..., or set ${variable}`);
    }
    let text = '';
    for await (const chunk of io.stdin)
        text += typeof chunk === 'string' ? chunk : chunk.toString();
    terminal.addSecret(text);
    // One final newline is not part of the secret; spaces are (settings check the rest).
    const secret = withoutFinalNewline(text);
    terminal.addSecret(secret);
    terminal.addSecret(secret.trim());
    if (!secret.trim()) {
        throw new errors/* InputError */.dz(`${flag}: standard input was empty; pipe the secret, e.g. printf %s "$HARBOR_CLI_SECRET" | harbor-push ${flag} ...`);
    }
    return secret;
}
/**
 * Bad input before anything is pushed: `--subject-checksums` names a file in
 * a folder that exists and may be written, and not a folder itself.
 */
function checkWritable(file) {
    const folder = external_node_path_default().dirname(external_node_path_default().resolve(file));
    try {
        external_node_fs_default().accessSync(folder, (external_node_fs_default()).constants.W_OK);
    }
    catch {
        throw new errors/* InputError */.dz(`--subject-checksums "${file}": the folder "${folder}" does not exist or may not be written; create it or name a file elsewhere`);
    }
    if (external_node_fs_default().statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
        throw new errors/* InputError */.dz(`--subject-checksums "${file}" is a folder; name a file`);
    }
}
/**
 * `--subject-checksums FILE`: the same lines as the action's
 * `subject-checksums` file, written even when empty, so a file from an
 * earlier run never passes for this one's.
 */
function writeSubjectChecksums(file, report) {
    try {
        external_node_fs_default().writeFileSync(file, subjectChecksumsText(subjectChecksumsOf(report)));
    }
    catch (error) {
        throw new Error(`--subject-checksums "${file}" could not be written: ${(0,errors/* messageOf */.bD)(error)}`);
    }
}
/** The command's words for a login half given (the action's name inputs the command has no flag for). */
function checkCredentialsPaired(raw, secretFrom) {
    const username = (raw.username ?? '').trim();
    const password = (raw.password ?? '').trim();
    if (password && !username) {
        throw new errors/* InputError */.dz(`a secret was given (${secretFrom}) but no -u/--username and no HARBOR_USERNAME: give the Harbor user or the robot account (robot$<project>+<name>) with -u, or set HARBOR_USERNAME`);
    }
    if (username && !password) {
        throw new errors/* InputError */.dz(`-u/--username "${username}" was given without a secret: pipe the CLI secret to --password-stdin, or set HARBOR_PASSWORD`);
    }
}
/** The same for the login of `docker://` sources. */
function checkSourceCredentialsPaired(raw, secretFrom) {
    const username = (raw['source-username'] ?? '').trim();
    const password = (raw['source-password'] ?? '').trim();
    if (password && !username) {
        throw new errors/* InputError */.dz(`a source secret was given (${secretFrom}) but no --source-username: give the user or robot account of the source registry with --source-username`);
    }
    if (username && !password) {
        throw new errors/* InputError */.dz(`--source-username "${username}" was given without a secret: pipe the source registry's secret to --source-password-stdin, or set HARBOR_SOURCE_PASSWORD`);
    }
}
/**
 * What the action's post step does for a killed main step, done at once:
 * on Ctrl-C (or SIGTERM, SIGHUP) the tools still running are stopped and
 * waited for, then docker's temporary tags are put back and the private
 * login and a CA file placed for docker removed, before the command exits.
 * Returns the hooks that tell it what there is to clean up.
 */
function cleanupOnSignals(stderr) {
    const leftovers = trackLeftovers();
    cleanUpOnSignals(leftovers.current, message => stderr.write(`harbor-push: ${message}\n`), (signal, status) => {
        stderr.write(`harbor-push: stopped by ${signal}; the private login was removed\n`);
        process.exit(status);
    });
    return leftovers.hooks;
}

;// CONCATENATED MODULE: ./src/cli/command.ts
/** The command `harbor-push`, the same core as the action, for any pipeline or a shell; loaded by src/cli/index.ts. */



// The report owns stdout: the command keeps the real write for itself, and
// whatever else writes to process.stdout is diverted (see Terminal.stray).
const write = process.stdout.write.bind(process.stdout);
const stdout = { write: (text) => write(text), isTTY: process.stdout.isTTY };
void runCli(process.argv.slice(2), {
    stdin: process.stdin,
    stdout,
    stderr: process.stderr,
    env: process.env,
    divertStdout: sink => divertWrites(process.stdout, sink)
}, cleanupOnSignals(process.stderr)).then(status => {
    // A signal's handler ends the command once its clean-up is done.
    if (beingStopped())
        return;
    // Exit now: a keep-alive connection left in a pool must not hold a finished command open.
    write('', () => process.exit(status));
});


/***/ }),

/***/ 3916:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Vc: () => (/* binding */ PushError),
/* harmony export */   bD: () => (/* binding */ messageOf),
/* harmony export */   dz: () => (/* binding */ InputError),
/* harmony export */   v4: () => (/* binding */ ToolError)
/* harmony export */ });
/**
 * Error classes shared by every module. Modules throw; only the front ends
 * (the action's `main.ts`) decide how a failure ends the run.
 */
/** Bad input: nothing was run. The command line exits 2 on it. */
class InputError extends Error {
    constructor(message) {
        super(message);
        this.name = 'InputError';
    }
}
/** A tool (docker, podman, helm) failed; `stderr` is kept for translation. */
class ToolError extends Error {
    command;
    exitCode;
    stderr;
    constructor(message, command, exitCode, stderr) {
        super(message);
        this.command = command;
        this.exitCode = exitCode;
        this.stderr = stderr;
        this.name = 'ToolError';
    }
}
/** A failure already translated into words a user can act on. */
class PushError extends Error {
    transient;
    constructor(message, 
    /** Worth another attempt (network, 5xx, 429, timeouts). */
    transient = false) {
        super(message);
        this.transient = transient;
        this.name = 'PushError';
    }
}
/** The message of anything thrown, without a stack. */
function messageOf(error) {
    return error instanceof Error ? error.message : String(error);
}


/***/ }),

/***/ 166:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $r: () => (/* binding */ platformName),
/* harmony export */   Wq: () => (/* binding */ MAX_MANIFESTS),
/* harmony export */   ZJ: () => (/* binding */ MAX_MANIFEST_BYTES),
/* harmony export */   fu: () => (/* binding */ SHA256_DIGEST)
/* harmony export */ });
/**
 * Words of the OCI image and distribution specs that the tools, the
 * registry client and the content sources all use.
 */
/** The characters a part of a platform's name keeps. */
const PLATFORM_PART_CHARS = 64;
/**
 * `os/architecture[/variant]` of an OCI index entry's `platform`. The index
 * may come from anyone, and the name goes into outputs, logs and the job
 * summary: strings only, each part clipped (real ones are a few letters).
 */
function platformName(platform) {
    return [platform?.os, platform?.architecture, platform?.variant]
        .filter((part) => typeof part === 'string' && part !== '')
        .map(part => part.length > PLATFORM_PART_CHARS ? `${part.slice(0, PLATFORM_PART_CHARS - 1)}…` : part)
        .join('/');
}
/**
 * Manifests larger than this are refused unread: the distribution spec asks
 * registries to take at least 4 MiB, and distribution refuses more.
 */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** A digest the project reads and writes: sha256, the only algorithm the sources and the copier check. */
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
/**
 * Manifests an index (with the indexes it lists) may name: real ones list a
 * few dozen, platforms and their attestations.
 */
const MAX_MANIFESTS = 1000;


/***/ }),

/***/ 9537:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   c: () => (/* binding */ mapWithLimit),
/* harmony export */   h: () => (/* binding */ mapAfter)
/* harmony export */ });
/**
 * Maps `items` through `work` with at most `limit` running at once, keeping
 * the order of results. `work` must not throw: a failure is a result too.
 */
function mapWithLimit(items, limit, work) {
    return mapAfter(items, limit, () => [], work);
}
/**
 * mapWithLimit where item `i` starts only once every item of `after(i)` has
 * finished (all earlier than `i`, so nothing waits forever); a free slot goes
 * to the first item that may start.
 */
function mapAfter(items, limit, after, work) {
    return new Promise((resolve, reject) => {
        const results = new Array(items.length);
        const state = items.map(() => 'waiting');
        let running = 0;
        let finished = 0;
        const startWhatMay = () => {
            if (finished === items.length)
                return resolve(results);
            for (let index = 0; index < items.length && running < limit; index++) {
                if (state[index] !== 'waiting' || after(index).some(other => state[other] !== 'done')) {
                    continue;
                }
                state[index] = 'running';
                running++;
                work(items[index], index).then(result => {
                    results[index] = result;
                    state[index] = 'done';
                    running--;
                    finished++;
                    startWhatMay();
                }, reject);
            }
        };
        startWhatMay();
    });
}


/***/ }),

/***/ 9750:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   LD: () => (/* binding */ decide),
/* harmony export */   Ox: () => (/* binding */ stateDigest),
/* harmony export */   Vr: () => (/* binding */ heldBy),
/* harmony export */   od: () => (/* binding */ planLine),
/* harmony export */   wz: () => (/* binding */ refuseConflicts)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3916);

/**
 * Identical content is never pushed again; different content follows
 * `if-exists` (`fail` never gets here: refuseConflicts stops the step first).
 */
function decide(ifExists, state) {
    if (state.kind === 'same')
        return 'unchanged';
    // A tag whose content a pull policy hides may hold anything: it counts as different.
    if ((state.kind === 'different' || state.kind === 'unreadable') && ifExists === 'skip') {
        return 'skip';
    }
    return 'push';
}
/** `if-exists: fail`: any tag holding different content stops the step before anything is pushed. */
function refuseConflicts(ifExists, entries) {
    if (ifExists !== 'fail')
        return;
    const conflicts = entries.filter(entry => entry.state.kind === 'different' || entry.state.kind === 'unreadable');
    if (conflicts.length === 0)
        return;
    const list = conflicts
        .map(entry => entry.state.kind === 'unreadable'
        ? `"${entry.reference}" (${heldBy(entry.state)})`
        : `"${entry.reference}" (holds ${stateDigest(entry.state)})`)
        .join(', ');
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PushError */ .Vc(`if-exists: fail: ${list} already ${conflicts.length === 1 ? 'holds' : 'hold'} ${conflicts.every(entry => entry.state.kind === 'different') ? 'different' : 'different or unreadable'} content; nothing was pushed. Push a new tag, or set if-exists: overwrite or skip`);
}
/** One line of a dry run's plan. */
function planLine(ifExists, state) {
    switch (decide(ifExists, state)) {
        case 'unchanged':
            return 'unchanged (already holds this content)';
        case 'skip':
            return `skip (${heldBy(state)}; if-exists: skip)`;
        default:
            if (state.kind === 'different')
                return `would overwrite (holds ${state.digest})`;
            if (state.kind === 'unreadable')
                return `would overwrite (${heldBy(state)})`;
            return state.kind === 'unknown'
                ? 'would push (current content unknown)'
                : 'would push (new tag)';
    }
}
/** What a tag holds, in words: its digest, or why its content cannot be read. */
function heldBy(state) {
    if (state.kind === 'unreadable') {
        return `exists, but a pull policy of the project keeps its content from being read (${state.policy})`;
    }
    return `holds other content (${stateDigest(state)})`;
}
/** The digest a tag holds now, or ''. */
function stateDigest(state) {
    return 'digest' in state ? state.digest : '';
}


/***/ }),

/***/ 3428:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   M: () => (/* binding */ destinationOf),
/* harmony export */   v: () => (/* binding */ projectOf)
/* harmony export */ });
/** `name:tag` below the registry's host and path. */
function destinationOf(registry, name, tag) {
    const repository = [registry.path, name].filter(Boolean).join('/');
    return {
        host: registry.host,
        repository,
        tag,
        reference: `${registry.host}/${repository}:${tag}`
    };
}
/** The Harbor project a destination lands in: the repository's first segment when there is more than one, else ''. */
function projectOf(destination) {
    const segments = destination.repository.split('/');
    return segments.length > 1 ? segments[0] : '';
}


/***/ }),

/***/ 4571:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  lt: () => (/* binding */ digestLine),
  _E: () => (/* binding */ preparePush)
});

// UNUSED EXPORTS: uploadOrder

// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/pool.ts
var pool = __webpack_require__(9537);
// EXTERNAL MODULE: ./src/push/decide.ts
var decide = __webpack_require__(9750);
// EXTERNAL MODULE: ./src/push/destination.ts
var destination = __webpack_require__(3428);
// EXTERNAL MODULE: ./src/push/tag-state.ts
var tag_state = __webpack_require__(9116);
// EXTERNAL MODULE: ./src/push/translate.ts
var translate = __webpack_require__(6446);
;// CONCATENATED MODULE: ./src/push/read-back.ts



/**
 * Reads a pushed tag's digest back (a HEAD: no pull in Harbor's books) and
 * checks that it is what the tool says it pushed. Returns a note when a pull
 * policy of the project refuses to say (Harbor's content trust or
 * vulnerability prevention answer 412 to reading a manifest): the push landed,
 * and the digest is the one the push reported. Throws when the tag holds
 * something else (another push raced this one) or nothing.
 */
async function readBack(client, target, pushed, context) {
    const held = await client.tagDigest(target.repository, target.tag).catch((error) => {
        throw (0,translate/* translateFailure */.Ph)(error, context);
    });
    if (held !== undefined && typeof held !== 'string') {
        return `pushed; the project's pull policy keeps it from being read back (${held.policy}), so the digest is the one the push reported`;
    }
    if (held !== pushed) {
        throw new errors/* PushError */.Vc(`the push of "${context.reference ?? ''}" reported ${pushed}, but the registry holds ${held ?? 'nothing'} for that tag: another push may have raced this one; check the tag`);
    }
    return undefined;
}
/**
 * After a tool reported a failure: whether the tag holds what was to be
 * pushed all the same (a tool may fail after the registry took the push, for
 * example writing its digest file on a full disk). Its digest when it does;
 * undefined when it does not, or when the registry cannot tell.
 */
async function landedAnyway(client, target, expected) {
    const held = await (0,tag_state/* readTag */.z)(client, target).catch(() => 'unknown');
    const state = (0,tag_state/* tagState */.s)(held, expected);
    return state.kind === 'same' ? state.digest : undefined;
}

// EXTERNAL MODULE: ./src/backoff.ts
var backoff = __webpack_require__(2431);
;// CONCATENATED MODULE: ./src/push/retry.ts


/**
 * Runs `attempt` until it succeeds, fails for good, or runs out of retries.
 * Only transient failures (network, 5xx, 429, timeouts) are retried: another
 * try cannot fix a wrong secret or an immutable tag, it only hides them.
 */
async function withRetries(attempt, translate, options) {
    let attempts = 0;
    try {
        return await (0,backoff/* retrying */.R$)(async () => {
            attempts++;
            return await attempt().catch((error) => {
                throw translate(error);
            });
        }, {
            retries: options.retries,
            baseDelayMs: options.baseDelayMs,
            retryable: failure => failure.transient,
            onRetry: (number, failure, delay) => options.onRetry?.(number, failure, delay)
        });
    }
    catch (error) {
        const failure = error;
        if (!failure.transient || attempts === 1)
            throw failure;
        throw new errors/* PushError */.Vc(`gave up after ${attempts} attempts: ${failure.message}`, true);
    }
}

;// CONCATENATED MODULE: ./src/push/pipeline.ts
/**
 * The one push pipeline: every kind of source (local images, archives and
 * layouts, charts) goes through the same steps here, and only an adapter per
 * kind says how to read, push and name it.
 */







/** How often a long push says it is still going. */
const HEARTBEAT_MS = 20_000;
/**
 * Starts reading every source while each kind's tool is checked (a tool
 * that does not work is the error thrown first; a missing source rejects
 * `expected`).
 */
async function preparePush(batches, settings, log, options = {}) {
    // One read and one tool check per kind, however many batches it has: local
    // storage is asked once for all of its images.
    const adapters = [...new Set(batches.map(batch => batch.adapter))];
    const read = Promise.all(adapters.map(async (adapter) => {
        const entries = batches.filter(batch => batch.adapter === adapter).flatMap(b => b.entries);
        const contents = await adapter.read(entries.map(entry => entry.source));
        return entries.map((entry, index) => [entry, contents[index]]);
    })).then(pairs => new Map(pairs.flat()));
    // Whoever awaits it hears why; a tool or registry failure may come first.
    read.catch(() => undefined);
    const ready = await Promise.all(adapters.map(async (adapter) => adapter.prepare?.()));
    for (const line of ready)
        if (line)
            log.info(line);
    // The targets of one source, in order: they are pushed one after the other.
    const groups = batches.flatMap(({ adapter, entries }) => entries.map(entry => entry.destinations.map(destination => {
        const target = { source: entry.source, destination };
        return { adapter, entry, target, label: adapter.label(target) };
    })));
    const planned = groups.flat();
    const contents = read.then(held => planned.map(({ entry }) => held.get(entry)));
    const expected = contents.then(all => all.map(content => content.expected));
    expected.catch(() => undefined);
    return {
        targets: planned.map(({ target }) => target.destination),
        expected,
        // One message naming every conflict, charts first (as the step always listed them).
        refuseConflicts: states => {
            const entries = planned.map(({ adapter, label }, index) => ({
                kind: adapter.kind,
                reference: label.reference,
                state: states[index]
            }));
            (0,decide/* refuseConflicts */.wz)(settings.ifExists, [
                ...entries.filter(entry => entry.kind === 'chart'),
                ...entries.filter(entry => entry.kind !== 'chart')
            ]);
        },
        push: async (check) => {
            const everyContent = await contents;
            let index = 0;
            // The decision is made here, once per target; every later step reads it.
            const decided = groups.map(group => group.map(planned => {
                const state = check.states[index];
                return {
                    ...planned,
                    content: everyContent[index++],
                    state,
                    decision: (0,decide/* decide */.LD)(settings.ifExists, state)
                };
            }));
            return runPipeline(decided, check.client, settings, log, options);
        }
    };
}
/**
 * Logs in each tool that will push (in a dry run every tool, as the check
 * that the secret works) and pushes every target that needs it, with bounded
 * parallelism and retries, reading each digest back. A rejected login throws;
 * a failed push is a result, and the others go on.
 */
async function runPipeline(groups, client, settings, log, options) {
    const { host } = settings.registry;
    const retry = { retries: settings.retries, baseDelayMs: options.retryBaseDelayMs };
    const context = (tool) => ({
        action: 'login',
        tool,
        host,
        project: settings.registry.path.split('/')[0],
        username: settings.credentials?.username
    });
    const targets = groups.flat();
    const pushing = targets.filter(target => target.decision === 'push');
    for (const adapter of new Set((settings.dryRun ? targets : pushing).map(target => target.adapter))) {
        const { tool, loginKept } = adapter;
        const credentials = settings.credentials;
        if (!adapter.login)
            continue;
        if (!credentials) {
            log.info(`No username/password given: relying on the existing ${tool} login for ${host}`);
            continue;
        }
        await withRetries(() => adapter.login(host, credentials), error => (0,translate/* translateFailure */.Ph)(error, context(tool)), {
            ...retry,
            onRetry: (attempt, error, delay) => log.warning(`${tool} login attempt ${attempt} failed, retrying in ${delay} ms: ${error.message}`)
        });
        log.info(`Logged in to ${host} as ${credentials.username} (${tool}, ${loginKept ?? 'private credentials'})`);
    }
    if (settings.dryRun)
        return reportOf(dryRun(targets, settings, log));
    const progress = { done: 0, total: pushing.length };
    /** One target: unchanged, skipped, or pushed with retries and read back; never throws. */
    const handle = async (planned) => {
        const { adapter, target, content, label, state, decision } = planned;
        if (decision !== 'push') {
            log.info(decision === 'unchanged'
                ? `Unchanged: ${label.reference} already holds ${label.source} (${(0,decide/* stateDigest */.Ox)(state)})`
                : `Skipped: ${label.reference} ${(0,decide/* heldBy */.Vr)(state)}; if-exists: skip`);
            return finished(planned, standing(planned));
        }
        if (state.kind === 'different' || state.kind === 'unreadable') {
            log.warning(`Overwriting ${label.reference}: it ${(0,decide/* heldBy */.Vr)(state)}; if-exists: overwrite`);
        }
        log.info(`Pushing ${label.noun}${label.source} -> ${label.reference}`);
        const started = Date.now();
        // Big images and charts take minutes: say now and then that the push is alive.
        const heartbeat = setInterval(() => {
            log.info(`... still pushing ${label.reference} (${since(started)}s; ${progress.done}/${progress.total} done)`);
        }, options.heartbeatMs ?? HEARTBEAT_MS);
        const notes = [];
        const pushContext = {
            ...context(adapter.tool),
            action: 'push',
            project: (0,destination/* projectOf */.v)(target.destination),
            reference: label.reference
        };
        let outcome;
        try {
            const pushed = await withRetries(() => adapter.push(target, content, client), error => (0,translate/* translateFailure */.Ph)(error, pushContext), {
                ...retry,
                onRetry: (attempt, error, delay) => notes.push(`attempt ${attempt} failed, retried after ${delay} ms: ${error.message}`)
            });
            notes.push(...(pushed.notes ?? []));
            const readNote = client && (await readBack(client, target.destination, pushed.digest, pushContext));
            if (readNote)
                notes.push(readNote);
            const note = [pushed.note, readNote].filter(Boolean).join('; ');
            outcome = {
                digest: pushed.digest,
                status: 'pushed',
                ...(pushed.reference ? { reference: pushed.reference } : {}),
                ...(pushed.platforms ? { platforms: pushed.platforms } : {}),
                ...(note ? { note } : {}),
                seconds: since(started)
            };
        }
        catch (error) {
            // A tool may fail after the registry took the push: say what the registry holds, not what the tool said.
            const landed = client && (await landedAnyway(client, target.destination, content.expected));
            const note = `${adapter.tool} reported a failure after the push landed (${(0,translate/* lastLine */.fM)((0,errors/* messageOf */.bD)(error))}); the registry holds this ${adapter.kind}`;
            outcome = landed
                ? { digest: landed, status: 'pushed', note, seconds: since(started) }
                : { digest: '', status: 'failed', error: (0,errors/* messageOf */.bD)(error), seconds: since(started) };
            if (landed)
                notes.push(note);
        }
        finally {
            clearInterval(heartbeat);
        }
        progress.done++;
        log.group(`${outcome.status} ${label.noun}${outcome.reference ?? label.reference} (${progress.done}/${progress.total}, ${outcome.seconds}s)`, [...adapter.describe(target, content, outcome), ...notes]);
        return finished(planned, outcome);
    };
    // Parallel across sources, in order across the tags of one source: the
    // first push uploads the layers, the next tags only add a manifest, and two
    // uploads of the same layers never race each other.
    const after = uploadOrder(groups, target => target.decision === 'push', target => target.content.layers ?? []);
    if (after.some(earlier => earlier.length > 0)) {
        log.info('Images that share layers with an earlier one start once it is pushed: each shared layer is uploaded once, then mounted');
    }
    const perSource = await (0,pool/* mapAfter */.h)(groups, settings.parallel, index => after[index], async (group) => {
        const results = [];
        for (const target of group)
            results.push(await handle(target));
        return results;
    });
    return reportOf(perSource.flat());
}
/**
 * For each group of targets with one source, the earlier groups it must
 * wait for: those that upload first a layer it shares. Parallel pushes of
 * images with a common base would each upload the base at once (none can
 * mount what is not there yet); one after the other, the first uploads it
 * and the rest mount it. Groups with nothing to push wait for nobody and
 * upload nothing.
 */
function uploadOrder(groups, pushes, layers) {
    const uploader = new Map();
    return groups.map((group, index) => {
        if (!group.some(pushes))
            return [];
        const after = new Set();
        for (const layer of layers(group[0])) {
            const first = uploader.get(layer);
            if (first === undefined)
                uploader.set(layer, index);
            else if (first !== index)
                after.add(first);
        }
        return [...after];
    });
}
/** The plan, printed per kind; nothing pushed. Targets that would be pushed are reported as skipped. */
function dryRun(targets, settings, log) {
    for (const kind of ['image', 'chart']) {
        const ofKind = targets.filter(target => target.adapter.kind === kind);
        const count = ofKind.length;
        if (count === 0)
            continue;
        log.group(`Dry run: the plan for ${count} ${kind === 'image' ? 'destinations' : count === 1 ? 'chart' : 'charts'}; nothing is pushed`, ofKind.map(({ label, state }) => `${label.reference}: ${label.plan ?? ''}${(0,decide/* planLine */.od)(settings.ifExists, state)}`));
    }
    return targets.map(target => finished(target, {
        ...standing(target),
        ...(target.decision === 'push' ? { error: 'dry run: would push' } : {})
    }));
}
/** A target left as it stands: unchanged, or skipped (and, in a dry run, not pushed). */
function standing({ state, decision }) {
    const status = decision === 'unchanged' ? 'unchanged' : 'skipped';
    const platforms = state.kind === 'same' ? state.platforms : undefined;
    return { digest: (0,decide/* stateDigest */.Ox)(state), status, ...(platforms ? { platforms } : {}), seconds: 0 };
}
/** The result group's digest line, or its error line when the push failed. */
function digestLine(outcome) {
    return outcome.digest ? `digest:      ${outcome.digest}` : `error:       ${outcome.error ?? ''}`;
}
function finished({ adapter, target, content }, outcome) {
    return { own: adapter.result(target, content, outcome), outcome };
}
function reportOf(results) {
    const report = { images: [], charts: [] };
    for (const { own, outcome } of results) {
        const { digest, status, error, note, seconds } = outcome;
        const common = {
            digest,
            status,
            ...(error ? { error } : {}),
            ...(note ? { note } : {}),
            seconds
        };
        if (own.kind === 'image')
            report.images.push({ ...own.fields, ...common });
        else
            report.charts.push({ ...own.fields, ...common });
    }
    return report;
}
function since(started) {
    return Math.round((Date.now() - started) / 100) / 10;
}


/***/ }),

/***/ 9116:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   s: () => (/* binding */ tagState),
/* harmony export */   z: () => (/* binding */ readTag)
/* harmony export */ });
/* harmony import */ var _registry_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6764);

/**
 * What a tag holds now. The manifest is read (GET) where its content must be
 * compared; a HEAD goes first only where it can spare that read or a GET
 * costs more than a HEAD:
 * - a digest the engine recorded for the image in this repository
 *   (`recorded`, awaited before asking) is the same image, known from the
 *   HEAD alone;
 * - Docker Hub counts manifest GETs against the account's pull rate limit,
 *   HEADs not (docs.docker.com/docker-hub/usage/pulls).
 * Elsewhere a HEAD first would only add a round trip: where the tag exists
 * its manifest is read anyway, and Harbor books one pull for that GET either
 * way (src/server/registry/manifest.go fires the pull event on a GET that
 * found the artifact, never on a HEAD or a 404). A tag the account may not
 * read is 'unknown'.
 */
async function readTag(client, target, recorded, headFirst = false) {
    try {
        const prefix = `${target.host}/${target.repository}@`;
        const records = (await recorded)?.filter(name => name.startsWith(prefix)) ?? [];
        if (headFirst || records.length > 0) {
            const digest = await client.tagDigest(target.repository, target.tag);
            if (typeof digest !== 'string')
                return digest;
            if (records.includes(`${prefix}${digest}`))
                return { digest, recorded: true };
        }
        const held = await client.manifest(target.repository, target.tag);
        if (!held || 'policy' in held || !held.children)
            return held;
        // An index: what each platform's manifest names as its config.
        const children = await Promise.all(held.children.map(child => client.manifest(target.repository, child)));
        const platformConfigs = children.map(child => child && 'configDigest' in child ? (child.configDigest ?? '') : '');
        return { ...held, platformConfigs };
    }
    catch (error) {
        if (error instanceof _registry_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .RegistryError */ .g && (error.status === 401 || error.status === 403)) {
            return 'unknown';
        }
        throw error;
    }
}
/** A tag compared with what would be pushed. */
function tagState(held, expected) {
    if (held === 'unknown')
        return { kind: 'unknown' };
    if (!held)
        return { kind: 'absent' };
    if ('policy' in held)
        return { kind: 'unreadable', policy: held.policy };
    if ('recorded' in held)
        return { kind: 'same', digest: held.digest };
    const same = expected.manifestDigest
        ? held.digest === expected.manifestDigest
        : expected.platformIds
            ? sameSet(held.platformConfigs ?? [], expected.platformIds)
            : (expected.configDigest !== undefined && sameImage(held, expected.configDigest)) ||
                (expected.layerDigest !== undefined && held.layers.includes(expected.layerDigest));
    if (!same)
        return { kind: 'different', digest: held.digest };
    return {
        kind: 'same',
        digest: held.digest,
        ...(held.platforms ? { platforms: held.platforms } : {})
    };
}
/**
 * Whether a tag holds the local image with this ID. The classic docker store
 * and podman give the config digest as the ID; docker's containerd image
 * store (the default of fresh Docker 29 installs) gives the digest of the
 * image's target, the manifest or index it pushes byte for byte (moby/moby
 * #51779, #52937; its `docker push` writes an index even for one platform,
 * #51532). A config digest can never equal a manifest digest (different
 * bytes), so either match is the same image.
 */
function sameImage(held, id) {
    return held.configDigest === id || held.digest === id;
}
function sameSet(a, b) {
    return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}


/***/ }),

/***/ 6446:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Ph: () => (/* binding */ translateFailure),
/* harmony export */   fM: () => (/* binding */ lastLine),
/* harmony export */   hc: () => (/* binding */ ADVICE)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3916);
/* harmony import */ var _registry_content_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(5378);
/* harmony import */ var _registry_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6764);
/* harmony import */ var _registry_http_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3222);




/** Harbor's roles that may push, and this product's group that has one. */
const PUSH_ROLES = "Developer, Maintainer or Project Admin; e.g. the project's Edge-Manager group";
const who = (context) => context.username ? `user "${context.username}"` : 'this account';
const project = (context) => context.project ? `project "${context.project}"` : `registry "${context.host}"`;
/** What to tell the user, by the kind of failure; shared by tool output and registry API answers. */
const ADVICE = {
    untrusted: (c) => `the TLS certificate of "${c.host}" is not trusted: set ca-file to the registry's CA bundle (PEM), or tls-verify: false`,
    plainHttp: (c) => c.tool === 'docker'
        ? `the registry "${c.host}" speaks plain HTTP: add it to "insecure-registries" in the docker daemon's daemon.json, or use container-tool: podman with tls-verify: false`
        : `the registry "${c.host}" speaks plain HTTP: set tls-verify: false`,
    immutable: (c) => `tag "${c.reference ?? ''}" is immutable in Harbor (a tag immutability rule of ${project(c)}): push a new tag instead of overwriting this one`,
    quota: (c) => `the storage quota of ${project(c)} is exceeded: delete old artifacts or ask a Harbor administrator to raise the quota`,
    readOnlyMode: (c) => `the registry "${c.host}" is in read-only mode (Harbor maintenance): push again when an administrator turns it off`,
    proxyCache: (c) => `${project(c)} is a proxy-cache project, which only mirrors another registry and takes no pushes: push to a normal project`,
    proxyRefused: (c) => `the proxy in HTTPS_PROXY / HTTP_PROXY refused the connection to "${c.host}": a 407 needs the proxy's credentials in the variable (http://user:password@proxy:port); otherwise check that the proxy allows the registry, or list the registry in NO_PROXY`,
    htmlProxy: (c) => `something between here and "${c.host}" (a proxy or firewall) answered with an HTML page instead of the registry: check the proxy settings and that the registry is allowed`,
    missingProject: (c) => `${project(c)} not found: Harbor does not create projects on push; check the registry path or ask for the project to be created`,
    missingOrHidden: (c) => `${project(c)} not found or not visible to this account: Harbor does not create projects on push; check the registry path, or ask a project admin for a role that may push (${PUSH_ROLES})`,
    noRole: (c) => `${who(c)} has no role in ${project(c)}: ask a project admin for a role that may push (${PUSH_ROLES}); a robot account must be one of this project's, with push permission`,
    noProject: (c) => `Harbor keeps every repository in a project: "${c.reference ?? ''}" names none; give the project in registry ("${c.host}/<project>"), so that it is pushed as "<project>/${c.reference ?? ''}". Nothing was pushed.`,
    pullPolicy: (c) => `a pull policy of ${project(c)} (content trust or vulnerability prevention) refuses to read "${c.reference ?? ''}", and ${c.tool} reads a tag that exists before it pushes over it: push a new tag, or ask a project admin to sign the artifact or exempt it`,
    loginRejected: (c) => `login to "${c.host}" rejected for user "${c.username ?? ''}": use the CLI secret from the Harbor user profile (not the SSO password); robot account names start with robot$ (Harbor's default prefix; an administrator may set another) and name their project: robot$<project>+<name>`,
    pushDenied: (c) => pushDenied(c),
    unreachable: (c) => `"${c.host}" could not be reached or failed temporarily`,
    partialIndex: (c) => `docker's containerd image store holds only some platforms of the multi-platform image for "${c.reference ?? ''}", and docker pushes such an image whole, as its index (harbor-push never pushes a part of one): pull or build every platform it lists into the engine (docker pull --platform <os/arch> for each), or push an image built for one platform`
};
/**
 * Tool output and registry error patterns, most specific first. They match
 * what docker, podman, helm and Harbor print; the registry's own error codes
 * (DENIED, NAME_UNKNOWN...) appear inside that output.
 */
const RULES = [
    {
        test: /x509:|certificate signed by unknown authority|certificate is not valid|tls: failed to verify|SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_/i,
        advice: ADVICE.untrusted
    },
    { test: /server gave HTTP response to HTTPS client/i, advice: ADVICE.plainHttp },
    // docker's containerd image store pushes a multi-platform image as its
    // index and refuses when a platform is not local (docker/cli #4959: "missing
    // content: content digest sha256:...: not found", "not all of them are
    // available locally or available to the remote repository").
    {
        test: /missing content: content digest|not all of them are available locally/i,
        advice: ADVICE.partialIndex
    },
    {
        // Docker Hub's 429 (TOOMANYREQUESTS): a limit per account, or per IP address when anonymous
        // (a hosted runner shares its address), counted over hours: the retries rarely help.
        test: /pull rate limit/i,
        transient: true,
        advice: c => c.username
            ? `Docker Hub's pull rate limit of "${c.username}" is used up: wait for it, or use an account with a higher limit`
            : `Docker Hub's pull rate limit for anonymous pulls (counted per IP address, which runners share) is used up: give "source-username" and "source-password" of a Docker Hub account (a personal access token)`
    },
    {
        // helm with no login for the registry: v3 "no basic auth credentials", v4 "basic credential not found".
        test: /no basic auth credentials|basic credential not found/i,
        advice: c => c.username
            ? `helm holds no login for "${c.host}" although it logged in as "${c.username}": check that the registry is given as host[:port][/project] (the login is stored for the host)`
            : `helm holds no login for "${c.host}": no username/password were given, so the helm login already on this machine was used, and it has none for this registry; set username and password`
    },
    {
        // Flags are chosen by helm version; this is the fallback when a helm reports one it lacks.
        test: /unknown flag: --/i,
        advice: c => `this ${c.tool} is too old for a flag the registry settings need: put a newer ${c.tool} on PATH, or take it off PATH so that helm-version is installed`
    },
    // Harbor's pull policies answer 412 too, on reads: never an immutable tag.
    {
        test: /PROJECTPOLICYVIOLATION|is not signed by|cannot be pulled due to configured policy|(HEAD|GET) request to \S+\/manifests\/\S+: 412/i,
        advice: ADVICE.pullPolicy
    },
    { test: /\b412\b|precondition failed|immutable/i, advice: ADVICE.immutable },
    { test: /invalid repository name/i, advice: ADVICE.noProject },
    { test: /quota|exceed the configured upper limit/i, advice: ADVICE.quota },
    { test: /read[- ]only mode|registry is in read[- ]only|READ_ONLY/i, advice: ADVICE.readOnlyMode },
    { test: /proxy[- ]cache|proxy project/i, advice: ADVICE.proxyCache },
    {
        test: /project .{0,80}not found|project .{0,40}does not exist/i,
        advice: ADVICE.missingProject
    },
    // undici's tunnel through HTTPS_PROXY refused by the proxy (407 wants credentials, 403 a rule).
    {
        test: /Proxy response \(\d+\) !== 200 when HTTP Tunneling|Proxy Authentication Required/i,
        advice: ADVICE.proxyRefused
    },
    // A corporate proxy or firewall answering with its own HTML page, not the registry.
    // (A 5xx page is left to the transient rule below: gateways recover.)
    {
        test: /error parsing HTTP [1-4]\d\d response body|HTTP [1-4]\d\d from .*<html>/i,
        advice: ADVICE.htmlProxy
    },
    {
        test: /unauthorized|invalid username\/password|incorrect username or password|authentication required|\b401\b/i,
        advice: c => (c.action === 'login' ? ADVICE.loginRejected(c) : ADVICE.pushDenied(c))
    },
    { test: /denied|insufficient_scope|forbidden|\b403\b/i, advice: ADVICE.pushDenied },
    {
        test: /connection refused|deadline exceeded|connection reset|no route to host|i\/o timeout|timed out|timeout|TLS handshake|unexpected EOF|\bEOF\b|too many requests|\b429\b|\b50[0-4]\b|service unavailable|bad gateway|gateway time|ECONNREFUSED|ECONNRESET|ETIMEDOUT|UND_ERR|socket hang up|fetch failed/i,
        transient: true,
        advice: ADVICE.unreachable
    }
];
function pushDenied(c) {
    if (!c.username) {
        return `the registry refused the push to ${project(c)}: no username/password were given, so the ${c.tool} login already on this machine was used; set username and password`;
    }
    return `user "${c.username}" may pull but not push to ${project(c)}: it needs a role that may push (${PUSH_ROLES})`;
}
/**
 * Turns a failure (a tool's output, a registry's error answer, a network
 * error) into a PushError whose message says what to do, with the original
 * words kept as the cause. Unknown failures pass through whole.
 */
function translateFailure(error, context) {
    if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PushError */ .Vc)
        return error;
    // The source's words: advice about the destination would mislead.
    if (error instanceof _registry_content_js__WEBPACK_IMPORTED_MODULE_1__/* .SourceError */ .c8)
        return new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PushError */ .Vc(error.message, error.transient);
    const text = failureText(error);
    const rule = RULES.find(candidate => candidate.test.test(text));
    if (!rule)
        return new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PushError */ .Vc(error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ToolError */ .v4 ? error.message : text);
    return new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .PushError */ .Vc(`${rule.advice(context)} (${lastLine(text)})`, rule.transient);
}
function failureText(error) {
    if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ToolError */ .v4)
        return error.stderr;
    if (error instanceof _registry_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .RegistryError */ .g)
        return error.message;
    // Duck-typed: fetch errors may come from another realm, where instanceof fails.
    const { name, message } = (error ?? {});
    if (message === 'fetch failed')
        return (0,_registry_http_js__WEBPACK_IMPORTED_MODULE_3__/* .networkCause */ .u6)(error);
    if (name === 'TimeoutError')
        return `timeout: ${String(message)}`;
    return (0,_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .messageOf */ .bD)(error);
}
/** The last non-empty line of a tool's output: usually the one that says what went wrong. */
function lastLine(text) {
    const lines = text
        .trim()
        .split('\n')
        .filter(line => line.trim() !== '');
    return (lines.at(-1) ?? '').replace(/^(Error: |error: )/, '').trim();
}


/***/ }),

/***/ 6670:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Gw: () => (/* binding */ splitUserinfo),
/* harmony export */   PM: () => (/* binding */ redactUserinfo)
/* harmony export */ });
/* unused harmony export userinfoPasswords */
/**
 * Credentials written into a URL (`https://user:password@host/`): a
 * registry or mirror address pasted with its login. Shared by every module,
 * like errors.ts: whatever prints a URL prints it through here.
 */
/** `scheme://user:password@` or `user:password@` in front of a host. */
const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;
/** `text` with the userinfo of every URL in it replaced by `***`. */
function redactUserinfo(text) {
    return text.replace(USERINFO, '$1***@');
}
/** A URL's userinfo, split off: the URL without it, and the Basic authorization it stood for. */
function splitUserinfo(url) {
    let parsed;
    try {
        parsed = new URL(url);
    }
    catch {
        return { url };
    }
    if (!parsed.username && !parsed.password)
        return { url };
    const user = decodeURIComponent(parsed.username);
    const password = decodeURIComponent(parsed.password);
    parsed.username = '';
    parsed.password = '';
    const bare = parsed.href.endsWith('/') && !url.endsWith('/') ? parsed.href.slice(0, -1) : parsed.href;
    return {
        url: bare,
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
    };
}
/** The passwords written into URLs in `text` (as written, and decoded), to be masked. */
function userinfoPasswords(text) {
    const found = new Set();
    // With a scheme anywhere, or at the start of a line (a registry given as user:password@host).
    for (const match of text.matchAll(/(?:^|[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:([^\s/@]+)@/gim)) {
        found.add(match[1]);
        try {
            found.add(decodeURIComponent(match[1]));
        }
        catch {
            // Not percent-encoded: the form as written is masked.
        }
    }
    return [...found];
}


/***/ }),

/***/ 5378:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $j: () => (/* binding */ checkManifestCount),
/* harmony export */   Dp: () => (/* binding */ checkedBytes),
/* harmony export */   Ng: () => (/* binding */ parseManifest),
/* harmony export */   TG: () => (/* binding */ checkListedSize),
/* harmony export */   c8: () => (/* binding */ SourceError),
/* harmony export */   sI: () => (/* binding */ sha256Digest),
/* harmony export */   yg: () => (/* binding */ ContentError)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _oci_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(166);


/**
 * A source's content is not what it says: a blob or manifest whose bytes
 * do not hash to its digest, or a size that differs. Never retried.
 */
class ContentError extends Error {
    constructor(message) {
        super(message);
        this.name = 'ContentError';
    }
}
/**
 * A source could not be read in the middle of a copy: its registry refused,
 * failed or went silent, or its file could not be read. The message names
 * the source, so that the failure is never taken for one of the destination.
 */
class SourceError extends Error {
    transient;
    constructor(message, 
    /** Another attempt may cure it (a network failure, a 5xx). */
    transient, cause) {
        super(message, { cause });
        this.transient = transient;
        this.name = 'SourceError';
    }
}
/** `sha256:<hex>` of `bytes`. */
function sha256Digest(bytes) {
    return `sha256:${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256').update(bytes).digest('hex')}`;
}
/**
 * The bytes of `stream`, checked against `descriptor` on the way: the last
 * chunk is held back until the digest and size are known to match, so a
 * corrupt blob never reaches a registry whole. `where` names the source in
 * the error.
 */
async function* checkedBytes(stream, descriptor, where) {
    const [algorithm, expected] = descriptor.digest.split(':');
    if (algorithm !== 'sha256') {
        throw new ContentError(`${where}: blob "${descriptor.digest}" uses an unsupported digest algorithm`);
    }
    const hash = (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createHash)('sha256');
    let size = 0;
    let held;
    for await (const chunk of stream) {
        hash.update(chunk);
        size += chunk.length;
        if (size > descriptor.size)
            break;
        if (held)
            yield held;
        held = chunk;
    }
    if (size !== descriptor.size) {
        throw new ContentError(`${where}: blob "${descriptor.digest}" holds ${size > descriptor.size ? 'more than' : 'only'} ${Math.min(size, descriptor.size)} bytes where its descriptor says ${descriptor.size}: the source is corrupt`);
    }
    const actual = hash.digest('hex');
    if (actual !== expected) {
        throw new ContentError(`${where}: blob "${descriptor.digest}" has the sha256 ${actual}: its bytes are not what its name says, the source is corrupt`);
    }
    if (held)
        yield held;
}
const IMAGE_TYPES = new Set([
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json'
]);
const INDEX_TYPES = new Set([
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json'
]);
/**
 * A manifest's JSON: an index with the manifests it lists, or an image
 * manifest with its config and layers. Anything else is a ContentError
 * naming the source (`label`) and the manifest.
 */
function parseManifest(manifest, label) {
    // It goes as the PUT's Content-Type: one a registry takes for a manifest, nothing else.
    if (!INDEX_TYPES.has(manifest.mediaType) && !IMAGE_TYPES.has(manifest.mediaType)) {
        throw new ContentError(`${label}: manifest "${manifest.digest}" has the media type ${JSON.stringify(manifest.mediaType)?.slice(0, 200)}, not one of an image manifest or index`);
    }
    let parsed;
    try {
        parsed = JSON.parse(manifest.bytes.toString('utf8'));
    }
    catch {
        throw new ContentError(`${label}: manifest "${manifest.digest}" is not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null) {
        throw new ContentError(`${label}: manifest "${manifest.digest}" is not a JSON object`);
    }
    const isIndex = INDEX_TYPES.has(manifest.mediaType) || Array.isArray(parsed.manifests);
    if (isIndex && !Array.isArray(parsed.manifests)) {
        throw new ContentError(`${label}: index "${manifest.digest}" lists no manifests`);
    }
    if (!isIndex && !parsed.config) {
        throw new ContentError(`${label}: manifest "${manifest.digest}" names no config blob`);
    }
    const result = isIndex
        ? { manifests: parsed.manifests }
        : { config: parsed.config, layers: parsed.layers ?? [] };
    // Digests become paths of registry URLs and files, sizes Content-Lengths:
    // one that is a path (`sha256:…/../../api`) would send a request with the
    // destination's login anywhere on its host.
    const layers = result.layers ?? [];
    const descriptors = [
        ...(result.manifests ?? []),
        ...(result.config ? [result.config] : []),
        ...(Array.isArray(layers) ? layers : [undefined])
    ];
    if (!descriptors.every(isDescriptor)) {
        const what = isIndex ? 'index' : 'manifest';
        const listed = isIndex ? 'a manifest' : 'a blob';
        throw new ContentError(`${label}: ${what} "${manifest.digest}" lists ${listed} that is not a sha256 digest with a size`);
    }
    return result;
}
/**
 * Refuses an index tree listing more than MAX_MANIFESTS manifests: each is
 * read and held until the push, and no image has that many platforms.
 */
function checkManifestCount(label, listed) {
    if (listed > _oci_js__WEBPACK_IMPORTED_MODULE_1__/* .MAX_MANIFESTS */ .Wq) {
        throw new ContentError(`${label}: the index lists more than ${_oci_js__WEBPACK_IMPORTED_MODULE_1__/* .MAX_MANIFESTS */ .Wq} manifests (${listed} so far): no image has that many platforms, the source is broken or hostile`);
    }
}
/** A manifest an index lists must have the size the index gives it: clients that check sizes (containerd, containers/image) fail to pull it otherwise. */
function checkListedSize(label, entry, child) {
    if (child.bytes.length !== entry.size) {
        throw new ContentError(`${label}: manifest "${entry.digest}" is ${child.bytes.length} bytes where the index says ${entry.size}: the source is corrupt`);
    }
}
function isDescriptor(value) {
    if (typeof value !== 'object' || value === null)
        return false;
    const { digest, size } = value;
    return (typeof digest === 'string' &&
        _oci_js__WEBPACK_IMPORTED_MODULE_1__/* .SHA256_DIGEST */ .fu.test(digest) &&
        typeof size === 'number' &&
        Number.isSafeInteger(size) &&
        size >= 0);
}


/***/ }),

/***/ 6764:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   g: () => (/* binding */ RegistryError),
/* harmony export */   m: () => (/* binding */ errorDetail)
/* harmony export */ });
/** A registry answered with an error status; the body's `errors` kept for translation. */
class RegistryError extends Error {
    status;
    detail;
    url;
    constructor(status, 
    /** `code: message` of each entry of the `{"errors":[...]}` body, or the body's start. */
    detail, url) {
        super(`HTTP ${status} from ${url}${detail ? `: ${detail}` : ''}`);
        this.status = status;
        this.detail = detail;
        this.url = url;
        this.name = 'RegistryError';
    }
}
/**
 * The words of an error body: the distribution spec's
 * `{"errors":[{"code","message","detail"}]}`, or the start of anything else
 * (an HTML page from a proxy says more in its title than in its status).
 */
function errorDetail(body) {
    try {
        const parsed = JSON.parse(body);
        if (Array.isArray(parsed.errors) && parsed.errors.length > 0) {
            return clipped(parsed.errors
                .map(entry => [entry.code, entry.message].filter(Boolean).join(': '))
                .join('; '));
        }
    }
    catch {
        // Not JSON.
    }
    const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1];
    if (title)
        return clipped(`<html> ${title.trim()}`);
    return withoutCredentials(body.trim()).slice(0, 200);
}
/** The words a registry's answer puts in a message at most: a registry may send pages of them. */
const DETAIL_CHARS = 300;
/**
 * `Basic <base64>` or `Bearer <token>` that a registry or a debugging proxy
 * echoes back: the runner masks the password and its base64 form whole,
 * but not a bearer token, nor a base64 form cut short by the clipping.
 */
const ECHOED_CREDENTIALS = /\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{16,}/gi;
function withoutCredentials(text) {
    return text.replace(ECHOED_CREDENTIALS, '$1 ***');
}
function clipped(text) {
    const told = withoutCredentials(text);
    return told.length > DETAIL_CHARS ? `${told.slice(0, DETAIL_CHARS - 1)}…` : told;
}


/***/ }),

/***/ 3222:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  uU: () => (/* binding */ TRANSIENT_STATUS),
  Ob: () => (/* binding */ bodyWords),
  LL: () => (/* binding */ discardBody),
  rL: () => (/* binding */ isStream),
  rV: () => (/* binding */ isTransientNetworkFailure),
  u6: () => (/* binding */ networkCause),
  CB: () => (/* binding */ readBounded),
  ab: () => (/* binding */ registryFetch)
});

// UNUSED EXPORTS: REQUEST_TIMEOUT_MS, dispatcherFor

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
var external_node_fs_default = /*#__PURE__*/__webpack_require__.n(external_node_fs_);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
// EXTERNAL MODULE: external "node:tls"
var external_node_tls_ = __webpack_require__(1692);
// EXTERNAL MODULE: ./node_modules/undici/index.js
var undici = __webpack_require__(6752);
// EXTERNAL MODULE: ./src/backoff.ts
var backoff = __webpack_require__(2431);
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(7030);
var external_node_net_default = /*#__PURE__*/__webpack_require__.n(external_node_net_);
;// CONCATENATED MODULE: ./src/registry/proxy.ts

/**
 * The proxy for a request to `url`, from the standard variables, or
 * undefined to go direct.
 *
 * podman, helm and the docker engine are Go programs: they pick their proxy
 * with Go's `http.ProxyFromEnvironment` (golang.org/x/net/http/httpproxy,
 * proxy.go). The action's own registry requests follow the same rules, so a
 * preflight never takes another path than the push that follows it:
 * - `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http URLs (no fallback
 *   from one to the other); the upper-case name first, then the lower-case
 *   one; a value without a scheme is `http://`.
 * - `localhost` and loopback IP literals (127.0.0.0/8, ::1) never use a proxy,
 *   listed in `NO_PROXY` or not (unlike curl, which proxies them unless listed).
 * - `NO_PROXY`: comma-separated; `*` excludes everything; an IP or CIDR
 *   (`10.0.0.0/8`) matches IP literals; `example.com` matches it and its
 *   subdomains, `.example.com` and `*.example.com` only subdomains; `:port`
 *   narrows an entry to one port.
 * The docker engine takes its proxy from its own service, not from the step:
 * there the same variables must be set for the daemon.
 */
function proxyFor(url, env = process.env) {
    const names = url.protocol === 'https:'
        ? ['HTTPS_PROXY', 'https_proxy']
        : url.protocol === 'http:'
            ? ['HTTP_PROXY', 'http_proxy']
            : [];
    const proxy = firstSet(env, names);
    if (!proxy)
        return undefined;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    if (!usesProxy(host, port, firstSet(env, ['NO_PROXY', 'no_proxy']) ?? ''))
        return undefined;
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}
function firstSet(env, names) {
    for (const name of names) {
        const value = env[name]?.trim();
        if (value)
            return value;
    }
    return undefined;
}
function usesProxy(host, port, noProxy) {
    if (host === 'localhost')
        return false;
    const ip = external_node_net_default().isIP(host) !== 0;
    if (ip && isLoopback(host))
        return false;
    for (const raw of noProxy.split(',')) {
        const entry = raw.trim().toLowerCase();
        if (!entry)
            continue;
        if (entry === '*')
            return false;
        if (entry.includes('/')) {
            if (ip && inCidr(host, entry))
                return false;
            continue;
        }
        const [entryHost, entryPort] = splitHostPort(entry);
        if (!entryHost || (entryPort && entryPort !== port))
            continue;
        if (external_node_net_default().isIP(entryHost) !== 0) {
            if (ip && sameAddress(host, entryHost))
                return false;
            continue;
        }
        const domain = entryHost.replace(/^\*\./, '.');
        if (domain.startsWith('.')
            ? host.endsWith(domain)
            : host === domain || host.endsWith(`.${domain}`)) {
            return false;
        }
    }
    return true;
}
/** `host`, `host:port`, `[v6]`, `[v6]:port`; a bare IPv6 address has no port. */
function splitHostPort(entry) {
    const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(entry);
    if (bracketed)
        return [bracketed[1], bracketed[2] ?? ''];
    if (external_node_net_default().isIPv6(entry))
        return [entry, ''];
    const withPort = /^(.*):(\d+)$/.exec(entry);
    return withPort ? [withPort[1], withPort[2]] : [entry, ''];
}
function isLoopback(ip) {
    if (external_node_net_default().isIPv4(ip))
        return ip.startsWith('127.');
    return sameAddress(ip, '::1') || /^::ffff:127\./i.test(ip);
}
function sameAddress(a, b) {
    const list = new (external_node_net_default()).BlockList();
    list.addAddress(b, external_node_net_default().isIPv6(b) ? 'ipv6' : 'ipv4');
    return list.check(a, external_node_net_default().isIPv6(a) ? 'ipv6' : 'ipv4');
}
function inCidr(ip, cidr) {
    const [network, bits] = cidr.split('/');
    const family = external_node_net_default().isIPv6(network) ? 'ipv6' : external_node_net_default().isIPv4(network) ? 'ipv4' : undefined;
    const prefix = Number(bits);
    if (!family || !Number.isInteger(prefix))
        return false;
    const list = new (external_node_net_default()).BlockList();
    try {
        list.addSubnet(network, prefix, family);
    }
    catch {
        return false;
    }
    return list.check(ip, external_node_net_default().isIPv6(ip) ? 'ipv6' : 'ipv4');
}

;// CONCATENATED MODULE: ./src/registry/http.ts






/** Every request to a registry gives up after this long. */
const REQUEST_TIMEOUT_MS = 30_000;
const dispatchers = new Map();
/**
 * The connection pool for the TLS settings asked for: the registry's CA from
 * `ca-file` (trusted on top of the system's), or no verification at all.
 * Node's global fetch cannot take a CA, so undici's own fetch is used. Each
 * request goes through the proxy that podman, helm and docker would use for
 * its URL (see proxy.ts), with the same TLS settings towards the registry
 * through the proxy's tunnel; a redirect to another host picks its own.
 */
function dispatcherFor(tls) {
    const key = `${tls.tlsVerify}:${tls.caFile}`;
    let dispatcher = dispatchers.get(key);
    if (!dispatcher) {
        const ca = tls.caFile ? external_node_fs_default().readFileSync(tls.caFile, 'utf8') : undefined;
        const registryTls = {
            rejectUnauthorized: tls.tlsVerify,
            ...(ca ? { ca: [...external_node_tls_.rootCertificates, ca] } : {})
        };
        const timeouts = { headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS };
        const direct = new undici/* Agent */.g6({ connect: registryTls, ...timeouts });
        const proxied = new Map();
        dispatcher = new ByOrigin(origin => {
            const proxy = proxyFor(origin);
            if (!proxy)
                return direct;
            const proxyUrl = new URL(proxy);
            if (proxyUrl.protocol !== 'http:' && proxyUrl.protocol !== 'https:') {
                // Go's clients also take socks5://; undici has no SOCKS support.
                proxyUrl.username = '';
                proxyUrl.password = '';
                const variable = origin.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY';
                throw new Error(`the proxy "${proxyUrl.href}" (${variable}) is not an http:// or https:// proxy, the only kinds harbor-push's own registry requests can use: give an HTTP proxy, or list "${origin.hostname}" in NO_PROXY`);
            }
            let agent = proxied.get(proxy);
            if (!agent) {
                agent = new undici/* ProxyAgent */.kT({
                    uri: proxy,
                    requestTls: registryTls,
                    // Plain-HTTP registries get absolute-URI requests, as Go's clients send them,
                    // rather than a CONNECT tunnel that many proxies allow to port 443 only.
                    proxyTunnel: false,
                    ...timeouts
                });
                proxied.set(proxy, agent);
            }
            return agent;
        });
        dispatchers.set(key, dispatcher);
    }
    return dispatcher;
}
/** Hands each request to the dispatcher chosen for its origin. */
class ByOrigin extends undici/* Dispatcher */.mk {
    choose;
    constructor(choose) {
        super();
        this.choose = choose;
    }
    dispatch(options, handler) {
        return this.choose(new URL(String(options.origin))).dispatch(options, handler);
    }
}
/** Statuses worth another attempt: rate limits and gateways or registries that are briefly down. */
const TRANSIENT_STATUS = new Set([429, 500, 502, 503, 504]);
/**
 * Network failures worth another attempt. Narrow on purpose: a TLS protocol
 * or certificate error will not go away, and probing HTTPS on a plain-HTTP
 * registry must fail at once.
 */
const TRANSIENT_NETWORK = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR_SOCKET|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|other side closed|TimeoutError|timeout/i;
/**
 * One HTTP request to a registry with the step's TLS settings and a timeout.
 * Transient failures (network, 429, 5xx) are retried with backoff as the
 * policy allows, honouring `Retry-After`; the last answer or error is
 * returned or thrown as it came.
 */
async function registryFetch(url, tls, request = {}) {
    const streamed = request.body !== undefined && isStream(request.body);
    const retries = streamed ? 0 : (request.retry?.retries ?? 0);
    const base = request.retry?.baseDelayMs ?? 1000;
    if (streamed)
        return sendStream(url, tls, request, request.body);
    for (let attempt = 1;; attempt++) {
        let cause;
        let delay;
        try {
            const response = await (0,undici/* fetch */.hd)(url, {
                method: request.method ?? 'GET',
                headers: request.headers,
                body: request.body,
                redirect: 'follow',
                dispatcher: dispatcherFor(tls),
                signal: withTimeout(request.signal, request.timeoutMs ?? REQUEST_TIMEOUT_MS)
            });
            if (!TRANSIENT_STATUS.has(response.status) || attempt > retries)
                return response;
            cause = `HTTP ${response.status}`;
            delay = (0,backoff/* retryAfterMs */.Vs)(response.headers.get('retry-after')) ?? (0,backoff/* backoffDelay */.EY)(attempt, base);
            await discardBody(response).catch(() => undefined);
        }
        catch (error) {
            cause =
                error instanceof Error && error.name === 'TimeoutError'
                    ? 'TimeoutError'
                    : networkCause(error);
            if (attempt > retries || !TRANSIENT_NETWORK.test(cause) || request.signal?.aborted) {
                throw error;
            }
            delay = (0,backoff/* backoffDelay */.EY)(attempt, base);
        }
        request.retry?.onRetry?.(attempt, `${cause} from ${url}`, delay);
        await (0,backoff/* sleep */.yy)(delay, request.signal);
    }
}
/**
 * An upload, sent once through undici's request API and answered as fetch
 * answers. fetch passes a request body through a web stream that copies
 * every chunk: measured with seven 64 MiB uploads at once to a loopback
 * sink, 555-644 MiB peak RSS with fetch, 173 MiB with this. The agent's
 * header and body timeouts still apply (undici renews the header timeout
 * with every chunk written, so a slow link is not cut, a stalled one is).
 * No redirect is followed: the body cannot be sent twice.
 */
async function sendStream(url, tls, request, body) {
    const answer = await (0,undici/* request */.Em)(url, {
        method: (request.method ?? 'PUT'),
        headers: request.headers,
        body: external_node_stream_.Readable.from(body, { objectMode: false }),
        dispatcher: dispatcherFor(tls),
        signal: request.signal
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
        for (const one of Array.isArray(value) ? value : [value ?? ''])
            headers.append(name, one);
    }
    const empty = [204, 205, 304].includes(answer.statusCode);
    if (empty)
        answer.body.destroy();
    // The body stays a stream: whoever reads it reads what it needs (bounded), not all of it.
    const answered = empty ? null : external_node_stream_.Readable.toWeb(answer.body);
    return new undici.Response(answered, { status: answer.statusCode, headers });
}
/**
 * The first `maxBytes` of a body, and whether there was more: the rest is
 * never read (the stream is cancelled), so a registry that answers with an
 * endless or huge body costs at most `maxBytes` of memory. `Content-Length`
 * is not trusted for this: a chunked answer has none.
 */
async function readBounded(response, maxBytes) {
    const chunks = [];
    let size = 0;
    // Leaving the loop early cancels the stream: the rest is never read.
    for await (const chunk of (response.body ?? [])) {
        const room = maxBytes - size;
        if (chunk.length > room) {
            chunks.push(Buffer.from(chunk.subarray(0, room)));
            return { bytes: Buffer.concat(chunks), more: true };
        }
        chunks.push(Buffer.from(chunk));
        size += chunk.length;
    }
    return { bytes: Buffer.concat(chunks), more: false };
}
/** How much of an answer is read when only its words are wanted (an error, `/v2/`). */
const WORDS_BYTES = 64 * 1024;
/** The start of a body read for its words (an error's `errors`, an HTML title); the rest is left unread. */
async function bodyWords(response) {
    return (await readBounded(response, WORDS_BYTES)).bytes.toString('utf8');
}
/**
 * Lets an answer go whose body is not wanted: a small one is read to its
 * end (so its connection serves the next request), a large or endless one
 * (a broken proxy, a hostile registry) is cut after WORDS_BYTES.
 */
async function discardBody(response) {
    await readBounded(response, WORDS_BYTES);
}
/** Whether a request that threw `error` may succeed another time (a network failure registryFetch would retry). */
function isTransientNetworkFailure(error) {
    if (error instanceof Error && error.name === 'TimeoutError')
        return true;
    return TRANSIENT_NETWORK.test(networkCause(error));
}
/** A body that is a stream (an upload): sent once, never retried or resent. */
function isStream(body) {
    return typeof body !== 'string' && !(body instanceof Uint8Array);
}
function withTimeout(signal, ms) {
    if (ms === Infinity)
        return signal;
    const timeout = AbortSignal.timeout(ms);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
}
/** The innermost cause of a fetch failure ("fetch failed" says nothing). */
function networkCause(error) {
    // Duck-typed: undici's errors may come from another realm (a test VM), where instanceof fails.
    let current = asError(error);
    for (let cause = asError(current?.cause); cause; cause = asError(cause.cause))
        current = cause;
    if (!current)
        return String(error);
    const code = current.code;
    return code && !current.message.includes(code) ? `${code}: ${current.message}` : current.message;
}
function asError(value) {
    return typeof value === 'object' && value !== null && 'message' in value
        ? value
        : undefined;
}


/***/ }),

/***/ 1531:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   C8: () => (/* binding */ chartVersionProblem),
/* harmony export */   JO: () => (/* binding */ parseChartInputs)
/* harmony export */ });
/* unused harmony exports SEMVER, DEFAULT_HELM_DOWNLOAD_URL */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3916);
/* harmony import */ var _redact_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6670);
/* harmony import */ var _helm_versions_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(4931);
/**
 * The chart inputs: `charts`, `chart-version`, `chart-app-version`,
 * `helm-version`, `helm-download-url`. Pure checks of the values; finding the
 * charts on disk is src/charts' job.
 */



/** SemVer 2.0.0, as semver.org gives it: what Helm requires of a chart version. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const DEFAULT_HELM_DOWNLOAD_URL = 'https://get.helm.sh';
/** Why `version` is no SemVer 2 chart version, or undefined when it is one. */
function chartVersionProblem(version) {
    if (SEMVER.test(version)) {
        // helm stores "+" as "_" in the OCI tag, which is limited to 128 characters.
        return version.length > 128
            ? `it is ${version.length} characters long (at most 128)`
            : undefined;
    }
    if (/^v\d/.test(version) && SEMVER.test(version.slice(1)))
        return 'drop the leading "v"';
    return 'it is not SemVer 2 (MAJOR.MINOR.PATCH[-prerelease][+build], e.g. 1.4.0 or 1.4.0-rc.1)';
}
/**
 * Parses the chart inputs; `list` splits `charts` the way every list input
 * is split.
 */
function parseChartInputs(input, list) {
    const chartVersion = input('chart-version');
    if (chartVersion) {
        const problem = chartVersionProblem(chartVersion);
        if (problem)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz(`chart-version "${chartVersion}" is not valid: ${problem}`);
    }
    const chartAppVersion = input('chart-app-version');
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(chartAppVersion)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz(`chart-app-version "${chartAppVersion}" holds a line break or control character; give one line, e.g. "6.0.0"`);
    }
    return {
        charts: [...new Set(list(input('charts')))],
        chartVersion,
        chartAppVersion,
        helmVersion: parseHelmVersionInput(input('helm-version')),
        helmDownloadUrl: parseDownloadUrl(input('helm-download-url'))
    };
}
function parseHelmVersionInput(value) {
    if (!value)
        return _helm_versions_js__WEBPACK_IMPORTED_MODULE_1__/* .DEFAULT_HELM_VERSION */ .KK;
    const version = (0,_helm_versions_js__WEBPACK_IMPORTED_MODULE_1__/* .parseHelmVersion */ .En)(value);
    if (!version) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz(`helm-version "${value}" is not a helm release version; give one such as "${_helm_versions_js__WEBPACK_IMPORTED_MODULE_1__/* .DEFAULT_HELM_VERSION */ .KK}"`);
    }
    if (!(0,_helm_versions_js__WEBPACK_IMPORTED_MODULE_1__/* .atLeast */ .jZ)(version, _helm_versions_js__WEBPACK_IMPORTED_MODULE_1__/* .MINIMUM_HELM */ .AF)) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz(`helm-version "${value}" is too old: pushing charts to OCI registries needs helm ${_helm_versions_js__WEBPACK_IMPORTED_MODULE_1__/* .MINIMUM_HELM */ .AF.text} or newer`);
    }
    return version.text;
}
function parseDownloadUrl(value) {
    if (!value)
        return DEFAULT_HELM_DOWNLOAD_URL;
    let url;
    try {
        url = new URL(value);
    }
    catch {
        url = new URL('invalid:');
    }
    if (!['https:', 'http:'].includes(url.protocol) || !url.host) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz(`helm-download-url "${(0,_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .redactUserinfo */ .PM)(value)}" is not an http(s) URL; give the base of helm releases, e.g. ${DEFAULT_HELM_DOWNLOAD_URL}`);
    }
    if (url.search || url.hash) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .dz(`helm-download-url "${(0,_redact_js__WEBPACK_IMPORTED_MODULE_2__/* .redactUserinfo */ .PM)(value)}" has a query or fragment; give the base URL only (the archive name is appended)`);
    }
    return value.replace(/\/+$/, '');
}


/***/ }),

/***/ 4931:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   AF: () => (/* binding */ MINIMUM_HELM),
/* harmony export */   En: () => (/* binding */ parseHelmVersion),
/* harmony export */   KK: () => (/* binding */ DEFAULT_HELM_VERSION),
/* harmony export */   jZ: () => (/* binding */ atLeast)
/* harmony export */ });
/**
 * helm's versions as the settings and the tools both read them: the one
 * installed by default, the oldest that can push to an OCI registry, and how
 * to read and compare a version.
 */
/** The helm installed when none is on PATH: the action.yml default, tested in CI. */
const DEFAULT_HELM_VERSION = 'v3.17.3';
/** `helm push` and OCI support left "experimental" in v3.8.0. */
const MINIMUM_HELM = { major: 3, minor: 8, patch: 0, text: 'v3.8.0' };
/** `v3.17.3`, `3.17.3`, `v4.1.4-rc.1` → a version; undefined when it is none of those. */
function parseHelmVersion(text) {
    const match = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/.exec(text.trim());
    if (!match)
        return undefined;
    const [major, minor, patch] = [match[1], match[2], match[3]].map(Number);
    return { major, minor, patch, text: `v${major}.${minor}.${patch}${match[4] ?? ''}` };
}
/** Whether `version` is `since` or newer (pre-releases count as their release). */
function atLeast(version, since) {
    if (version.major !== since.major)
        return version.major > since.major;
    if (version.minor !== since.minor)
        return version.minor > since.minor;
    return version.patch >= since.patch;
}


/***/ }),

/***/ 6124:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   V2: () => (/* binding */ DOMAIN),
/* harmony export */   bn: () => (/* binding */ REPOSITORY_PATH),
/* harmony export */   fo: () => (/* binding */ NAME_MAX),
/* harmony export */   qH: () => (/* binding */ tagProblem)
/* harmony export */ });
/* unused harmony export TAG */
/**
 * The image reference grammar of the distribution project
 * (distribution/reference), as regular expressions: one source of truth for
 * what a registry, a repository path, an image name and a tag may be.
 */
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainName}|${ipv6})`;
const port = '[0-9]+';
/** `host[:port]` */
const DOMAIN = new RegExp(`^${host}(?::(${port}))?$`);
/** One or more lower-case path components separated by `/`. */
const REPOSITORY_PATH = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
/** The longest image name, host and path included (distribution's NameTotalLengthMax). */
const NAME_MAX = 255;
/** ASCII letters, digits, `_`, `.`, `-`; not starting with `.` or `-`; at most 128. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Why a tag is not valid, or undefined when it is. */
function tagProblem(tag) {
    if (TAG.test(tag))
        return undefined;
    if (tag.length > 128)
        return `it is ${tag.length} characters long (at most 128)`;
    if (/^[.-]/.test(tag))
        return 'it begins with "." or "-"';
    return 'it may hold only ASCII letters, digits, "_", "." and "-"';
}


/***/ }),

/***/ 4616:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   O: () => (/* binding */ tarEntries),
/* harmony export */   s: () => (/* binding */ readTar)
/* harmony export */ });
/**
 * Reads a tar archive the way Go's archive/tar does, since that is the reader
 * helm uses: ustar names with their prefix, GNU long names, pax `path` and
 * `size` records, the end-of-archive marker. Whatever Go could read
 * differently (ambiguous extension headers, sparse files, unknown entry
 * types, data after the end) is an error or an entry of kind `other`, never
 * a guess. No tool is run, so a chart archive can be checked before helm is
 * even installed. The same walk indexes an OCI archive in place: where each
 * entry's content lies, read from the file header by header, never whole.
 */
const BLOCK = 512;
/** An extension header (long name, pax records) larger than this is refused, not read. */
const MAX_EXTENSION_BYTES = 1 << 20;
const KINDS = {
    '\0': 'file',
    '0': 'file',
    '7': 'file',
    '1': 'hard link',
    '2': 'symbolic link',
    '5': 'folder'
};
/** Entry types whose size field Go ignores: no content follows their header. */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);
/** The file-type bits of the mode field, which Go also reads the kind from. */
const MODE_TYPE = 0o170000;
const MODE_TYPES = { file: 0o100000, folder: 0o040000 };
/** Every entry of the uncompressed tar `tar`; throws when it is not a tar archive or is ambiguous. */
function readTar(tar) {
    const readAt = (offset, length) => tar.subarray(offset, offset + length);
    return tarEntries(readAt, tar.length).map(({ name, kind, offset, size }) => ({
        name,
        kind,
        body: kind === 'file' ? tar.subarray(offset, offset + size) : Buffer.alloc(0)
    }));
}
/**
 * Where every entry of an uncompressed tar of `total` bytes lies, read
 * through `read`: headers and extension headers only, never a file's
 * content. Throws when it is not a tar archive, is ambiguous, or claims
 * content beyond its end.
 */
function tarEntries(read, total) {
    const entries = [];
    let longName;
    let pax;
    for (let offset = 0; offset < total;) {
        const header = read(offset, BLOCK);
        if (header.every(byte => byte === 0)) {
            // Go stops at two zero blocks and refuses a zero block followed by anything else.
            if (!read(offset + BLOCK, BLOCK).every(byte => byte === 0)) {
                throw new Error(`the tar archive goes on after its end marker (byte ${offset})`);
            }
            break;
        }
        if (header.length < BLOCK)
            throw new Error('the tar archive ends in the middle of a header');
        checkChecksum(header, offset);
        const type = String.fromCharCode(header[156]);
        const paxSize = pax?.get('size');
        const size = HEADER_ONLY.has(type)
            ? 0
            : paxSize !== undefined
                ? readPaxSize(paxSize)
                : readSize(header.subarray(124, 136));
        const contentOffset = offset + BLOCK;
        if (contentOffset + size > total)
            throw new Error('the tar archive ends in the middle of a file');
        offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
        if (type === 'L' || type === 'x') {
            if (size > MAX_EXTENSION_BYTES)
                throw new Error('the tar archive has an oversized extended header');
            const body = read(contentOffset, size);
            // Go keeps only the last of several, and gives a GNU long name and a pax path each
            // their own precedence: an archive that has both kinds, or two of one, is ambiguous.
            if (longName !== undefined || pax !== undefined) {
                throw new Error('the tar archive has two extended headers for one entry');
            }
            if (type === 'L')
                longName = cString(body);
            else
                pax = paxRecords(body);
            continue;
        }
        if (type === 'g') {
            // Go returns a global header as an entry of its own, dropping what came before it.
            if (longName !== undefined || pax !== undefined) {
                throw new Error('the tar archive has an extended header before a global one');
            }
            continue;
        }
        if (type === 'K')
            continue; // a link's long target: links are refused by kind anyway
        const name = pax?.get('path') ?? longName ?? headerName(header);
        const sparse = [...(pax?.keys() ?? [])].some(key => key.startsWith('GNU.sparse.'));
        longName = undefined;
        pax = undefined;
        const kind = sparse ? 'other' : kindOf(type, name, readOctal(header.subarray(100, 108)));
        entries.push({ name, kind, offset: contentOffset, size: kind === 'file' ? size : 0 });
    }
    return entries;
}
function kindOf(type, name, mode) {
    // Go reads an old-style entry (type NUL) whose name ends in "/" as a folder.
    const kind = type === '\0' && name.endsWith('/') ? 'folder' : (KINDS[type] ?? 'other');
    const modeType = mode & MODE_TYPE;
    return modeType === 0 || modeType === MODE_TYPES[kind] ? kind : 'other';
}
/** ustar splits long paths into prefix and name; GNU and old (v7) headers have no prefix. */
function headerName(header) {
    const name = cString(header.subarray(0, 100));
    const ustar = header.subarray(257, 265).toString('latin1') === 'ustar\u000000';
    if (!ustar)
        return name;
    // star archives end the header with "tar\0" and keep a shorter prefix.
    const star = header.subarray(508, 512).toString('latin1') === 'tar\u0000';
    const prefix = cString(header.subarray(345, star ? 476 : 500));
    return prefix ? `${prefix}/${name}` : name;
}
function cString(bytes) {
    const end = bytes.indexOf(0);
    return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}
/** Octal, or base-256 when the first byte has its high bit set (GNU, for large files). */
function readSize(field) {
    if (field[0] & 0x80) {
        let size = field[0] & 0x7f;
        for (const byte of field.subarray(1))
            size = size * 256 + byte;
        if (!Number.isSafeInteger(size))
            throw new Error('a tar header has an invalid size');
        return size;
    }
    return readOctal(field);
}
function readOctal(field) {
    const text = cString(field).trim();
    if (!/^[0-7]*$/.test(text))
        throw new Error('a tar header has an invalid number');
    const value = text === '' ? 0 : parseInt(text, 8);
    if (!Number.isSafeInteger(value))
        throw new Error('a tar header has an invalid number');
    return value;
}
function readPaxSize(text) {
    const size = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(size))
        throw new Error(`a pax header has an invalid size "${text}"`);
    return size;
}
function checkChecksum(header, offset) {
    const stored = parseInt(cString(header.subarray(148, 156)).trim(), 8);
    let sum = 0;
    for (let index = 0; index < BLOCK; index++) {
        sum += index >= 148 && index < 156 ? 0x20 : header[index];
    }
    if (stored !== sum)
        throw new Error(`not a tar archive (bad header checksum at byte ${offset})`);
}
/** The records of a pax extended header: `<length> <key>=<value>\n` each. */
function paxRecords(body) {
    const records = new Map();
    for (let offset = 0; offset < body.length && body[offset] !== 0;) {
        const space = body.indexOf(0x20, offset);
        const length = space === -1 ? NaN : Number(body.subarray(offset, space).toString('latin1'));
        const record = body.subarray(space + 1, offset + length);
        const equals = record.indexOf('=');
        if (!Number.isSafeInteger(length) || length <= 0 || record.at(-1) !== 0x0a || equals < 1) {
            throw new Error('a pax extended header is malformed');
        }
        const key = record.subarray(0, equals).toString('utf8');
        const value = record.subarray(equals + 1, -1).toString('utf8');
        if (key === 'path' && value.includes('\0'))
            throw new Error('a pax path holds a NUL byte');
        records.set(key, value);
        offset += length;
    }
    return records;
}


/***/ }),

/***/ 5576:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   J3: () => (/* binding */ onRunningGroups),
/* harmony export */   LT: () => (/* binding */ stopStrayTools),
/* harmony export */   My: () => (/* binding */ spawnTool),
/* harmony export */   aM: () => (/* binding */ stopTools)
/* harmony export */ });
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1421);
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_child_process__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_os__WEBPACK_IMPORTED_MODULE_2__);



/**
 * Every tool runs as the leader of a process group of its own, so stopping it
 * stops what it started too (podman's re-executed child in its user
 * namespace, a credential helper); a stopped run must leave nothing that
 * could write a login into a folder after the folder was removed. The groups
 * still running are known here, and told to one listener (the action saves
 * them for its post step, which outlives a killed main step).
 */
const running = new Map();
const WINDOWS = process.platform === 'win32';
let listener = () => undefined;
/** The stop under way, once the run is being stopped: from then on only clean-up tools start. */
let stopping;
/** Tells `listen` the process groups still running whenever that changes. */
function onRunningGroups(listen) {
    listener = listen;
}
function changed() {
    listener([...running.values()]);
}
/** After exit, how long the output pipes may stay open (held by a helper that outlives the tool). */
const CLOSE_GRACE_MS = 10_000;
/** Runs `command` to its end in a process group of its own; never through a shell. */
function spawnTool(command, args, options = {}) {
    if (stopping && !options.afterStop) {
        return Promise.reject(new Error(`"${command}" was not started: the run is being stopped`));
    }
    return new Promise((resolve, reject) => {
        const child = (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.spawn)(command, args, {
            env: options.env ?? process.env,
            stdio: ['pipe', 'pipe', 'pipe'],
            // POSIX: a session and process group of its own. Windows has no groups
            // (detached there means a console of its own): the tool alone is stopped.
            detached: !WINDOWS
        });
        const stdout = [];
        const stderr = [];
        // The clean-up's own tools are not the run's: no stop is for them (their time limit is).
        const group = options.afterStop ? undefined : child.pid;
        if (group !== undefined) {
            running.set(group, { id: group, started: startTime(group) });
            changed();
        }
        let limit;
        let closeGrace;
        const pid = child.pid;
        if (options.limitMs !== undefined && pid !== undefined) {
            limit = setTimeout(() => signalGroup(pid, 'SIGKILL'), options.limitMs);
        }
        let exit;
        let settled = false;
        const finish = (error) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(limit);
            clearTimeout(closeGrace);
            if (group !== undefined && running.delete(group))
                changed();
            if (error) {
                reject(error);
                return;
            }
            const signal = exit?.signal;
            resolve({
                exitCode: exit?.code ?? 128 + (signal ? (node_os__WEBPACK_IMPORTED_MODULE_2___default().constants).signals[signal] : 0),
                stdout: Buffer.concat(stdout).toString('utf8'),
                stderr: Buffer.concat(stderr).toString('utf8')
            });
        };
        child.stdout.on('data', (chunk) => stdout.push(chunk));
        child.stderr.on('data', (chunk) => stderr.push(chunk));
        child.on('error', error => finish(new Error(error.code === 'ENOENT'
            ? `"${command}" was not found on PATH; install it or put it on PATH`
            : `"${command}" could not be started: ${error.message}`)));
        child.on('exit', (code, signal) => {
            exit = { code, signal };
            closeGrace = setTimeout(() => finish(), CLOSE_GRACE_MS);
        });
        child.on('close', (code, signal) => {
            exit ??= { code, signal };
            finish();
        });
        options.onSpawn?.(child);
        // A tool that exits before reading its stdin is its own failure, reported by its exit code.
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.input === undefined ? undefined : Buffer.from(options.input));
    });
}
/**
 * Stops every tool this process started and the groups in `others` (saved by
 * a main step that was killed), and waits until none of them runs: SIGTERM,
 * then SIGKILL for what is left after `graceMs`. From then on no tool is
 * started but the clean-up's own. Resolves with the groups that still ran
 * after `limitMs` (none, unless a process hangs in the kernel).
 */
async function stopTools(others = [], limits = {}) {
    const stillTheirs = others.filter(group => !reused(group)).map(group => group.id);
    stopping = stopGroups([...running.keys(), ...stillTheirs], limits);
    return stopping;
}
/**
 * Stops the tools of this process that are still running, as stopTools does,
 * but lets new ones start (and does nothing while a stop is under way): for a run that ends while a tool it no longer
 * waits for still runs (a failure elsewhere cut the wait short), before the
 * folder that tool writes into is removed.
 */
async function stopStrayTools(limits = {}) {
    // Once the run is being stopped, the stop does this: wait for it (its clean-up's own tools are not stray).
    if (stopping)
        return stopping;
    return stopGroups([...running.keys()], limits);
}
/**
 * Whether the pid that led `group` now belongs to a later process. The
 * system gives a pid again only once no process uses it as its group, so the
 * saved group has then ended. (A leader gone while others of its group live
 * on: nothing to compare, and the group is still the saved one.)
 */
function reused(group) {
    if (group.started === undefined)
        return false;
    const now = startTime(group.id);
    return now !== undefined && now !== group.started;
}
/** When process `pid` started (Linux: /proc/<pid>/stat field 22), if that can be read. */
function startTime(pid) {
    if (process.platform !== 'linux')
        return undefined;
    try {
        const stat = node_fs__WEBPACK_IMPORTED_MODULE_1___default().readFileSync(`/proc/${pid}/stat`, 'utf8');
        // After "pid (comm) ", field 3 (state) is at index 0: field 22 at index 19.
        const value = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
        return Number.isFinite(value) ? value : undefined;
    }
    catch {
        return undefined;
    }
}
async function stopGroups(all, { graceMs = 2_000, limitMs = 10_000 }) {
    const groups = [...new Set(all)].filter(group => group > 1);
    if (groups.length === 0)
        return [];
    for (const group of groups)
        signalGroup(group, 'SIGTERM');
    let alive = await waitGone(groups, graceMs);
    for (const group of alive)
        signalGroup(group, 'SIGKILL');
    alive = await waitGone(alive, limitMs);
    return alive;
}
function signalGroup(group, signal) {
    try {
        process.kill(WINDOWS ? group : -group, signal);
    }
    catch {
        // gone already, or not ours to signal
    }
}
async function waitGone(groups, limitMs) {
    const deadline = Date.now() + limitMs;
    let alive = liveGroups(groups);
    while (alive.length > 0 && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 50));
        alive = liveGroups(alive);
    }
    return alive;
}
/**
 * The groups of `groups` that still have a process that can act. On Linux a
 * zombie (dead, waiting for its parent to collect it) does not count: an
 * orphan's zombie may wait for an init that is slow to reap it.
 */
function liveGroups(groups) {
    const exists = groups.filter(group => {
        try {
            process.kill(WINDOWS ? group : -group, 0);
            return true;
        }
        catch {
            // ESRCH: gone; EPERM: the id went to someone else's processes, not ours to wait for
            return false;
        }
    });
    if (exists.length === 0 || process.platform !== 'linux')
        return exists;
    const acting = new Set();
    for (const entry of node_fs__WEBPACK_IMPORTED_MODULE_1___default().readdirSync('/proc')) {
        if (!/^\d+$/.test(entry))
            continue;
        let stat;
        try {
            stat = node_fs__WEBPACK_IMPORTED_MODULE_1___default().readFileSync(`/proc/${entry}/stat`, 'utf8');
        }
        catch {
            continue;
        }
        // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (state !== 'Z' && state !== 'X')
            acting.add(Number(pgrp));
    }
    return exists.filter(group => acting.has(group));
}


/***/ }),

/***/ 7131:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Dh: () => (/* binding */ DIGEST),
/* harmony export */   ei: () => (/* binding */ parseLocalImage),
/* harmony export */   mc: () => (/* binding */ LOCAL_IMAGE_FORMAT),
/* harmony export */   oV: () => (/* binding */ inspectLocalImages),
/* harmony export */   rS: () => (/* binding */ normaliseImageId)
/* harmony export */ });
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3916);

/** A digest as registries print it. */
const DIGEST = /sha256:[a-f0-9]{64}/;
/** Image IDs are printed with or without the algorithm; always keep it. */
function normaliseImageId(id) {
    const trimmed = id.trim();
    return trimmed.startsWith('sha256:') ? trimmed : `sha256:${trimmed}`;
}
/** `<tool> image inspect --format` for a LocalImage, one line per image. */
const LOCAL_IMAGE_FORMAT = '{{.Id}} {{.RootFS.Layers}} {{json .RepoDigests}}';
/** One line of LOCAL_IMAGE_FORMAT: `<id> [sha256:... sha256:...] ["host/repo@sha256:..."]` (podman: `null` for none). */
function parseLocalImage(line) {
    const text = line.trim();
    const space = text.indexOf(' ');
    const rest = space === -1 ? '' : text.slice(space + 1);
    const layersEnd = rest.indexOf(']') + 1;
    const recorded = recordedNames(rest.slice(layersEnd).trim());
    return {
        id: normaliseImageId(space === -1 ? text : text.slice(0, space)),
        layers: rest.slice(0, layersEnd).match(new RegExp(DIGEST.source, 'g')) ?? [],
        ...(recorded.length > 0 ? { recorded } : {})
    };
}
/** `{{json .RepoDigests}}`; anything else (an engine printing it otherwise) tells nothing. */
function recordedNames(json) {
    try {
        const names = JSON.parse(json);
        return Array.isArray(names) ? names.filter(name => typeof name === 'string') : [];
    }
    catch {
        return [];
    }
}
/**
 * The local images `refs` name, in order. One `<tool> image inspect` for all
 * of them costs one tool start instead of one per image (podman takes ~0.1 s
 * to start); when some are missing the tool fails the whole call, so each is
 * then asked alone to know which.
 */
async function inspectLocalImages(inspectAll, inspectOne, refs) {
    if (refs.length === 0)
        return [];
    try {
        const lines = (await inspectAll(refs))
            .split('\n')
            .map(line => line.trim())
            .filter(line => line !== '');
        if (lines.length === refs.length)
            return lines.map(parseLocalImage);
    }
    catch (error) {
        if (!(error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ToolError */ .v4))
            throw error;
    }
    return Promise.all(refs.map(inspectOne));
}


/***/ }),

/***/ 1342:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   BD: () => (/* binding */ writeAuthFileOnlyRegistriesConf),
/* harmony export */   Rk: () => (/* binding */ checkRegistriesConfDropIns),
/* harmony export */   uu: () => (/* binding */ writeFileOnlyAuthConfig)
/* harmony export */ });
/* unused harmony export credentialHelpersOf */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_os__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3916);
/**
 * Keeping a login off the machine's credential helpers.
 *
 * docker, helm (oras-go) and podman (containers/image) hand a login to a
 * credential helper (`docker-credential-<name>`: secretservice, pass,
 * osxkeychain, wincred, desktop) instead of writing it into the auth file
 * they were given:
 *
 * - docker and helm, when their config file names no auth at all, look for
 *   `docker-credential-pass` / `-secretservice` (Linux) on PATH and use it.
 *   A config that names the registry in `credHelpers` with an empty helper
 *   counts as "auth configured" (no detection) and sends that registry to
 *   the file itself. (`{"auths":{},"credsStore":""}` does not help: an empty
 *   store is exactly what triggers the detection.)
 * - podman writes to the first entry of `credential-helpers` in
 *   registries.conf (and its registries.conf.d drop-ins), which may name an
 *   external helper before the auth file.
 *
 * Checked against the real tools (docker 28, helm 3.17 and 4.1, podman 4.3)
 * in __tests__/integration/credential-helpers.test.ts.
 */




/** podman's name for "the auth file" in `credential-helpers`. */
const AUTH_FILE_HELPER = 'containers-auth.json';
/**
 * Writes a docker `config.json` / helm `registry.json` (0600, folder 0700)
 * that keeps `host`'s login in the file itself. Written before the login;
 * the tool adds its `auths` entry and keeps this one.
 */
function writeFileOnlyAuthConfig(file, host) {
    node_fs__WEBPACK_IMPORTED_MODULE_0___default().mkdirSync(node_path__WEBPACK_IMPORTED_MODULE_2___default().dirname(file), { recursive: true, mode: 0o700 });
    const config = { auths: {}, credHelpers: { [host]: '' } };
    node_fs__WEBPACK_IMPORTED_MODULE_0___default().writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
/**
 * Writes a registries.conf for podman (CONTAINERS_REGISTRIES_CONF) that is
 * the one podman would read, with `credential-helpers` set to the auth file
 * only; every other registry setting the machine has is kept.
 */
function writeAuthFileOnlyRegistriesConf(file, env = process.env) {
    const source = mainRegistriesConf(env);
    const original = source && node_fs__WEBPACK_IMPORTED_MODULE_0___default().existsSync(source) ? node_fs__WEBPACK_IMPORTED_MODULE_0___default().readFileSync(source, 'utf8') : '';
    const text = [
        '# Written by harbor-push: the login stays in the --authfile, never in a credential helper.',
        `credential-helpers = ["${AUTH_FILE_HELPER}"]`,
        withoutCredentialHelpers(original)
    ].join('\n');
    node_fs__WEBPACK_IMPORTED_MODULE_0___default().mkdirSync(node_path__WEBPACK_IMPORTED_MODULE_2___default().dirname(file), { recursive: true, mode: 0o700 });
    node_fs__WEBPACK_IMPORTED_MODULE_0___default().writeFileSync(file, text, { mode: 0o600 });
}
/**
 * registries.conf drop-ins are read even with CONTAINERS_REGISTRIES_CONF
 * set, and one that names an external helper first would receive the
 * secret: refuse before the login rather than hand it over.
 */
function checkRegistriesConfDropIns(env = process.env) {
    const dirs = [
        '/etc/containers/registries.conf.d',
        ...userConfigDirs(env).map(dir => node_path__WEBPACK_IMPORTED_MODULE_2___default().join(dir, 'containers/registries.conf.d'))
    ];
    for (const dir of dirs) {
        let names;
        try {
            names = node_fs__WEBPACK_IMPORTED_MODULE_0___default().readdirSync(dir).filter(name => name.endsWith('.conf'));
        }
        catch {
            continue;
        }
        for (const name of names) {
            const file = node_path__WEBPACK_IMPORTED_MODULE_2___default().join(dir, name);
            const helpers = credentialHelpersOf(readOrEmpty(file));
            if (helpers && helpers[0] !== AUTH_FILE_HELPER) {
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_3__/* .InputError */ .dz(`podman would hand the login to the credential helper "${helpers[0]}" named by credential-helpers in ${file}, where it would outlive this step; harbor-push keeps the login in its private folder only: put "${AUTH_FILE_HELPER}" first in that list (or remove it), or use container-tool: docker`);
            }
        }
    }
}
/** The main registries.conf podman reads: CONTAINERS_REGISTRIES_CONF, the user's, or the system's. */
function mainRegistriesConf(env) {
    if (env.CONTAINERS_REGISTRIES_CONF)
        return env.CONTAINERS_REGISTRIES_CONF;
    for (const dir of userConfigDirs(env)) {
        const user = node_path__WEBPACK_IMPORTED_MODULE_2___default().join(dir, 'containers/registries.conf');
        if (node_fs__WEBPACK_IMPORTED_MODULE_0___default().existsSync(user))
            return user;
    }
    return '/etc/containers/registries.conf';
}
/** Where podman looks for the user's configuration: ~/.config (podman 4), and XDG_CONFIG_HOME (newer). */
function userConfigDirs(env) {
    const home = node_path__WEBPACK_IMPORTED_MODULE_2___default().join(env.HOME || node_os__WEBPACK_IMPORTED_MODULE_1___default().homedir(), '.config');
    return [...new Set([env.XDG_CONFIG_HOME || home, home])];
}
/** The `credential-helpers` list a TOML file sets at its top level, if it does. */
function credentialHelpersOf(text) {
    const topLevel = text.split(/^\s*\[/m)[0];
    const match = /^\s*credential-helpers\s*=\s*\[([^\]]*)\]/m.exec(topLevel);
    if (!match)
        return undefined;
    return [...match[1].matchAll(/["']([^"']*)["']/g)].map(entry => entry[1]);
}
/** `text` without its top-level `credential-helpers = [...]` (which may span lines). */
function withoutCredentialHelpers(text) {
    return text.replace(/^\s*credential-helpers\s*=\s*\[[^\]]*\][^\n]*\n?/m, '');
}
function readOrEmpty(file) {
    try {
        return node_fs__WEBPACK_IMPORTED_MODULE_0___default().readFileSync(file, 'utf8');
    }
    catch {
        return '';
    }
}


/***/ }),

/***/ 9519:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   OV: () => (/* binding */ StalledError),
/* harmony export */   Ro: () => (/* binding */ pushStallMs),
/* harmony export */   ox: () => (/* binding */ runWatched)
/* harmony export */ });
/* unused harmony export PUSH_STALL_MS */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(3916);
/* harmony import */ var _children_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(5576);



/**
 * How long a push may make no progress before it is stopped and tried again.
 * "Progress" is the tool printing anything, or the tool (or a process it
 * started) reading or writing any bytes: an upload moving, a layer read from
 * storage, docker's CLI receiving the engine's progress. A big layer uploads
 * for minutes without a line of output but never without bytes; what is left
 * is a connection nobody answers. Five minutes stays clear of the slowest
 * pause we know of (a registry committing a multi-GB layer to object storage
 * before it answers) and far below a job's timeout.
 */
const PUSH_STALL_MS = 300_000;
/** The bound: PUSH_STALL_MS, or HARBOR_PUSH_STALL_SECONDS (a hidden setting for tests). */
function pushStallMs(env = process.env) {
    const seconds = Number(env.HARBOR_PUSH_STALL_SECONDS);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : PUSH_STALL_MS;
}
/**
 * Bytes that count as progress. An idle Go program (podman, helm, docker's
 * CLI) still reads and writes a few bytes a second for its own wake-ups;
 * the slowest real upload moves far more than this within the bound.
 */
const PROGRESS_BYTES = 64 * 1024;
/** Between SIGTERM and SIGKILL for a tool that was stopped. */
const STOP_GRACE_MS = 3_000;
/** A tool stopped for making no progress: transient, so the retry policy tries again. */
class StalledError extends _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .PushError */ .Vc {
    constructor(message) {
        super(message, true);
        this.name = 'StalledError';
    }
}
/**
 * Runs a tool like `@actions/exec` does (argv only, `input` on stdin, output
 * captured), and stops it, with every process it started, once it has made no
 * progress for `stallMs`: that throws a StalledError saying so, which the
 * retry policy tries again. Stopping walks the tool's process tree (a helper
 * may have left the tool's process group).
 * Where /proc does not show a process's bytes (not Linux), only a tool that
 * exits ends the wait: no push is stopped on a guess.
 */
async function runWatched(command, args, options) {
    let lastProgress = Date.now();
    let movedSinceProgress = 0;
    const progress = () => {
        lastProgress = Date.now();
        movedSinceProgress = 0;
    };
    let pid;
    let bytes;
    // Started like every tool (spawnTool: captured output, stdin, a process
    // group of its own that a stopped run stops); watched from here.
    const running = (0,_children_js__WEBPACK_IMPORTED_MODULE_2__/* .spawnTool */ .My)(command, args, {
        ...options,
        onSpawn: child => {
            pid = child.pid;
            bytes = pid ? bytesByProcess(pid) : undefined;
            child.stdout.on('data', progress);
            child.stderr.on('data', progress);
        }
    });
    let stopped;
    const watch = setInterval(() => {
        if (!pid || stopped)
            return;
        const now = bytesByProcess(pid);
        movedSinceProgress += now ? moved(bytes, now) : PROGRESS_BYTES;
        bytes = now;
        if (movedSinceProgress >= PROGRESS_BYTES)
            progress();
        if (Date.now() - lastProgress >= options.stallMs)
            stopped = stopTree(pid);
    }, Math.min(1000, Math.max(100, options.stallMs / 3)));
    try {
        const result = await running;
        if (stopped) {
            await stopped;
            const line = [command, ...args].join(' ');
            throw new StalledError(`"${line}" made no progress for ${Math.round(options.stallMs / 1000)} s (no output, under 64 KiB read or written), so it was stopped`);
        }
        return result;
    }
    finally {
        clearInterval(watch);
    }
}
/** rchar + wchar of every live process in the tree under `root`; undefined when /proc cannot tell. */
function bytesByProcess(root) {
    const bytes = new Map();
    for (const pid of processTree(root)) {
        let io;
        try {
            io = node_fs__WEBPACK_IMPORTED_MODULE_0___default().readFileSync(`/proc/${pid}/io`, 'utf8');
        }
        catch {
            if (pid === root)
                return undefined;
            continue;
        }
        const count = (name) => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1] ?? 0);
        bytes.set(pid, count('rchar') + count('wchar'));
    }
    return bytes;
}
/** Bytes read or written since the last look, by the processes then and new ones. */
function moved(before, now) {
    let total = 0;
    for (const [pid, count] of now)
        total += Math.max(0, count - (before?.get(pid) ?? 0));
    return total;
}
/** `root` and its descendants, from the parent pids in /proc/<pid>/stat. */
function processTree(root) {
    const children = new Map();
    let entries = [];
    try {
        entries = node_fs__WEBPACK_IMPORTED_MODULE_0___default().readdirSync('/proc').filter(entry => /^\d+$/.test(entry));
    }
    catch {
        return [root];
    }
    for (const entry of entries) {
        const parent = parentOf(Number(entry));
        if (parent !== undefined)
            children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    }
    const tree = [root];
    for (let index = 0; index < tree.length; index++)
        tree.push(...(children.get(tree[index]) ?? []));
    return tree;
}
function parentOf(pid) {
    try {
        const stat = node_fs__WEBPACK_IMPORTED_MODULE_0___default().readFileSync(`/proc/${pid}/stat`, 'utf8');
        // The command name (in parentheses) may hold spaces: fields start after its last ')'.
        const [, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(ppid);
    }
    catch {
        return undefined;
    }
}
/** SIGTERM to the tree, SIGKILL to whatever of it still lives after the grace. */
async function stopTree(root) {
    const pids = processTree(root);
    signal(pids, 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    while (pids.some(alive) && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 100));
    }
    signal(pids.filter(alive), 'SIGKILL');
}
function signal(pids, name) {
    for (const pid of pids) {
        try {
            process.kill(pid, name);
        }
        catch {
            // already gone
        }
    }
}
/** Running, not a zombie waiting to be reaped. */
function alive(pid) {
    try {
        const stat = node_fs__WEBPACK_IMPORTED_MODULE_0___default().readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    }
    catch {
        return false;
    }
}


/***/ })

};

//# sourceMappingURL=54.index.js.map