import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 1655:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   V: () => (/* binding */ removePrivateDir)
/* harmony export */ });
/* unused harmony export createPrivateDir */
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3024);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_fs__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(8161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__nccwpck_require__.n(node_os__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(6760);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__nccwpck_require__.n(node_path__WEBPACK_IMPORTED_MODULE_2__);



/**
 * The step's private directory: the only place a login is written (docker
 * config, podman auth file) and where digest files and CA copies live. 0700,
 * so other users of a shared runner cannot read it, and removed when the step
 * ends (by the post step if the main step died).
 */
function createPrivateDir() {
    const root = process.env.RUNNER_TEMP || os.tmpdir();
    fs.mkdirSync(root, { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, 'harbor-push-'));
    fs.chmodSync(dir, 0o700);
    return dir;
}
/** Removes the private directory; safe to call twice or on a path already gone. */
function removePrivateDir(dir) {
    // Only ever remove what createPrivateDir made, whatever the saved state says.
    if (!node_path__WEBPACK_IMPORTED_MODULE_2___default().basename(dir).startsWith('harbor-push-'))
        return;
    node_fs__WEBPACK_IMPORTED_MODULE_0___default().rmSync(dir, { recursive: true, force: true });
}


/***/ }),

/***/ 6908:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _post_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(5983);
/**
 * The post step's bundle (dist/post/index.js): only the clean-up after a
 * main step that was killed, so the step that runs at the end of every job
 * does not load the push code.
 */

await (0,_post_js__WEBPACK_IMPORTED_MODULE_0__/* .post */ .b)();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 5983:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  b: () => (/* binding */ post)
});

;// CONCATENATED MODULE: ./src/errors.ts
/**
 * Error classes shared by every module. Modules throw; only the front ends
 * (the action's `main.ts`) decide how a failure ends the run.
 */
/** Bad input: nothing was run. The command line exits 2 on it. */
class errors_InputError extends Error {
    constructor(message) {
        super(message);
        this.name = 'InputError';
    }
}
/** A tool (docker, podman, helm) failed; `stderr` is kept for translation. */
class errors_ToolError extends Error {
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
class errors_PushError extends Error {
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
function errors_messageOf(error) {
    return error instanceof Error ? error.message : String(error);
}

// EXTERNAL MODULE: ./src/credentials/private-dir.ts
var private_dir = __nccwpck_require__(1655);
;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
var external_node_fs_default = /*#__PURE__*/__nccwpck_require__.n(external_node_fs_);
// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __nccwpck_require__(8161);
var external_node_os_default = /*#__PURE__*/__nccwpck_require__.n(external_node_os_);
;// CONCATENATED MODULE: ./src/tools/children.ts



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
function children_onRunningGroups(listen) {
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
        const child = (0,external_node_child_process_namespaceObject.spawn)(command, args, {
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
                exitCode: exit?.code ?? 128 + (signal ? (external_node_os_default()).constants.signals[signal] : 0),
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
        const stat = external_node_fs_default().readFileSync(`/proc/${pid}/stat`, 'utf8');
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
    for (const entry of external_node_fs_default().readdirSync('/proc')) {
        if (!/^\d+$/.test(entry))
            continue;
        let stat;
        try {
            stat = external_node_fs_default().readFileSync(`/proc/${entry}/stat`, 'utf8');
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

;// CONCATENATED MODULE: external "node:dns/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:dns/promises");
// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __nccwpck_require__(7030);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
var external_node_path_default = /*#__PURE__*/__nccwpck_require__.n(external_node_path_);
;// CONCATENATED MODULE: ./src/tools/container-tool.ts

/** A digest as registries print it. */
const container_tool_DIGEST = /sha256:[a-f0-9]{64}/;
/** Image IDs are printed with or without the algorithm; always keep it. */
function normaliseImageId(id) {
    const trimmed = id.trim();
    return trimmed.startsWith('sha256:') ? trimmed : `sha256:${trimmed}`;
}
/** `<tool> image inspect --format` for a LocalImage, one line per image. */
const container_tool_LOCAL_IMAGE_FORMAT = '{{.Id}} {{.RootFS.Layers}} {{json .RepoDigests}}';
/** One line of LOCAL_IMAGE_FORMAT: `<id> [sha256:... sha256:...] ["host/repo@sha256:..."]` (podman: `null` for none). */
function container_tool_parseLocalImage(line) {
    const text = line.trim();
    const space = text.indexOf(' ');
    const rest = space === -1 ? '' : text.slice(space + 1);
    const layersEnd = rest.indexOf(']') + 1;
    const recorded = recordedNames(rest.slice(layersEnd).trim());
    return {
        id: normaliseImageId(space === -1 ? text : text.slice(0, space)),
        layers: rest.slice(0, layersEnd).match(new RegExp(container_tool_DIGEST.source, 'g')) ?? [],
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
async function container_tool_inspectLocalImages(inspectAll, inspectOne, refs) {
    if (refs.length === 0)
        return [];
    try {
        const lines = (await inspectAll(refs))
            .split('\n')
            .map(line => line.trim())
            .filter(line => line !== '');
        if (lines.length === refs.length)
            return lines.map(container_tool_parseLocalImage);
    }
    catch (error) {
        if (!(error instanceof ToolError))
            throw error;
    }
    return Promise.all(refs.map(inspectOne));
}

;// CONCATENATED MODULE: ./src/tools/credential-helpers.ts
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
function credential_helpers_writeFileOnlyAuthConfig(file, host) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const config = { auths: {}, credHelpers: { [host]: '' } };
    fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
/**
 * Writes a registries.conf for podman (CONTAINERS_REGISTRIES_CONF) that is
 * the one podman would read, with `credential-helpers` set to the auth file
 * only; every other registry setting the machine has is kept.
 */
function writeAuthFileOnlyRegistriesConf(file, env = process.env) {
    const source = mainRegistriesConf(env);
    const original = source && fs.existsSync(source) ? fs.readFileSync(source, 'utf8') : '';
    const text = [
        '# Written by harbor-push: the login stays in the --authfile, never in a credential helper.',
        `credential-helpers = ["${AUTH_FILE_HELPER}"]`,
        withoutCredentialHelpers(original)
    ].join('\n');
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, text, { mode: 0o600 });
}
/**
 * registries.conf drop-ins are read even with CONTAINERS_REGISTRIES_CONF
 * set, and one that names an external helper first would receive the
 * secret: refuse before the login rather than hand it over.
 */
function checkRegistriesConfDropIns(env = process.env) {
    const dirs = [
        '/etc/containers/registries.conf.d',
        ...userConfigDirs(env).map(dir => path.join(dir, 'containers/registries.conf.d'))
    ];
    for (const dir of dirs) {
        let names;
        try {
            names = fs.readdirSync(dir).filter(name => name.endsWith('.conf'));
        }
        catch {
            continue;
        }
        for (const name of names) {
            const file = path.join(dir, name);
            const helpers = credentialHelpersOf(readOrEmpty(file));
            if (helpers && helpers[0] !== AUTH_FILE_HELPER) {
                throw new InputError(`podman would hand the login to the credential helper "${helpers[0]}" named by credential-helpers in ${file}, where it would outlive this step; harbor-push keeps the login in its private folder only: put "${AUTH_FILE_HELPER}" first in that list (or remove it), or use container-tool: docker`);
            }
        }
    }
}
/** The main registries.conf podman reads: CONTAINERS_REGISTRIES_CONF, the user's, or the system's. */
function mainRegistriesConf(env) {
    if (env.CONTAINERS_REGISTRIES_CONF)
        return env.CONTAINERS_REGISTRIES_CONF;
    for (const dir of userConfigDirs(env)) {
        const user = path.join(dir, 'containers/registries.conf');
        if (fs.existsSync(user))
            return user;
    }
    return '/etc/containers/registries.conf';
}
/** Where podman looks for the user's configuration: ~/.config (podman 4), and XDG_CONFIG_HOME (newer). */
function userConfigDirs(env) {
    const home = path.join(env.HOME || os.homedir(), '.config');
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
        return fs.readFileSync(file, 'utf8');
    }
    catch {
        return '';
    }
}

;// CONCATENATED MODULE: ./src/tools/stall-watch.ts



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
function stall_watch_pushStallMs(env = process.env) {
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
class stall_watch_StalledError extends errors_PushError {
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
    const running = spawnTool(command, args, {
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
            throw new stall_watch_StalledError(`"${line}" made no progress for ${Math.round(options.stallMs / 1000)} s (no output, under 64 KiB read or written), so it was stopped`);
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
            io = external_node_fs_default().readFileSync(`/proc/${pid}/io`, 'utf8');
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
        entries = external_node_fs_default().readdirSync('/proc').filter(entry => /^\d+$/.test(entry));
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
        const stat = external_node_fs_default().readFileSync(`/proc/${pid}/stat`, 'utf8');
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
        const stat = external_node_fs_default().readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    }
    catch {
        return false;
    }
}

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
        this.configDir = paths.isolated ? path.join(paths.dir, 'docker') : undefined;
        this.env = this.configDir ? { DOCKER_CONFIG: this.configDir } : undefined;
    }
    async prepare(host) {
        const { version, registryConfig } = await this.daemonInfo(host);
        this.insecure = await treatsAsInsecure(registryConfig, host);
        if (!this.tls.tlsVerify && !this.insecure) {
            throw new InputError(`tls-verify: false: docker cannot skip TLS verification per command, and the docker daemon does not treat "${host}" as insecure; add it to "insecure-registries" in the daemon's /etc/docker/daemon.json and restart the daemon, or use container-tool: podman, or ca-file`);
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
            throw new InputError(`container-tool "docker" does not work here: ${messageOf(error)}; start the docker engine (or set DOCKER_HOST), or set container-tool: podman`);
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
                throw new InputError(`tls-verify: false: could not read the docker daemon's registry settings to check that "${host}" is allowed as insecure (${messageOf(error)})`);
            }
        }
        return { version, registryConfig };
    }
    async imageId(ref) {
        return (await this.localImage(ref))?.id;
    }
    localImages(refs) {
        return inspectLocalImages(refs => this.docker(['image', 'inspect', '--format', LOCAL_IMAGE_FORMAT, ...refs]), ref => this.localImage(ref), refs);
    }
    async localImage(ref) {
        try {
            return parseLocalImage(await this.docker(['image', 'inspect', '--format', LOCAL_IMAGE_FORMAT, ref]));
        }
        catch (error) {
            if (error instanceof ToolError && /no such image/i.test(error.stderr))
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
            writeFileOnlyAuthConfig(path.join(this.configDir, 'config.json'), server);
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
            const output = await this.docker(['push', destination], { stallMs: pushStallMs() }).catch((error) => {
                // The engine does the upload and keeps a stalled one after its client is stopped:
                // another `docker push` would only join it and wait again.
                if (!(error instanceof StalledError))
                    throw error;
                throw new PushError(`${error.message}. The docker engine keeps the stalled upload after its client is stopped, so it was not tried again: check the engine's network path to the registry (its own proxy settings, not the step's) and restart the engine`);
            });
            const digest = /digest: (sha256:[a-f0-9]{64})/.exec(output)?.[1] ?? DIGEST.exec(output)?.[0];
            if (!digest)
                throw new PushError(`docker pushed "${destination}" but printed no digest`);
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
        const dir = path.join(this.certsRoot, host);
        const placed = {
            file: path.join(dir, `harbor-push-${process.pid}-${Date.now()}.crt`),
            createdDir: topmostMissing(dir)
        };
        this.hooks.onCaFilePlaced?.(placed);
        try {
            fs.mkdirSync(dir, { recursive: true });
            fs.copyFileSync(this.tls.caFile, placed.file);
        }
        catch (error) {
            throw new InputError(`ca-file: docker reads registry CAs from ${dir}/ on the daemon's machine, and it cannot be written here (${messageOf(error)}); place the CA there as ca.crt yourself, or use container-tool: podman`);
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
    const addresses = net.isIP(hostname)
        ? [hostname]
        : await dns.lookup(hostname, { all: true }).then(found => found.map(entry => entry.address), () => []);
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
    for (let current = dir; !fs.existsSync(current); current = path.dirname(current)) {
        missing = current;
    }
    return missing;
}
function inCidrs(address, cidrs) {
    const list = new net.BlockList();
    for (const cidr of cidrs) {
        const [network, prefix] = cidr.split('/');
        const family = net.isIPv6(network) ? 'ipv6' : 'ipv4';
        list.addSubnet(network, Number(prefix), family);
    }
    return list.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
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
            ? await runWatched(command, args, { ...spawning, stallMs: options.stallMs })
            : await spawnTool(command, args, spawning);
        if (result.exitCode !== 0) {
            const line = [command, ...args].join(' ');
            const detail = (result.stderr.trim() || result.stdout.trim())
                .split('\n')
                .slice(-20)
                .join('\n');
            throw new errors_ToolError(`"${line}" failed (exit ${result.exitCode}): ${detail}`, line, result.exitCode, result.stderr || result.stdout);
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
    onRunningGroups(toolGroups => update({ toolGroups }));
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
    const running = await stopTools(leftovers.toolGroups);
    if (running.length > 0) {
        warn(`tool processes (groups ${running.join(', ')}) did not end after SIGKILL; the private folder is removed anyway`);
    }
    for (const temp of leftovers.tempTags) {
        try {
            await restoreTempTag(run, temp);
        }
        catch (error) {
            // A step stopped between telling the tag and making it leaves no tag to remove.
            if (!(error instanceof errors_ToolError && /no such image/i.test(error.stderr))) {
                warn(`could not put the local tag "${temp.tag}" back: ${errors_messageOf(error)}`);
            }
        }
    }
    try {
        if (leftovers.caFile)
            removePlacedCaFile(leftovers.caFile);
    }
    catch (error) {
        warn(`could not remove the CA file "${leftovers.caFile?.file}": ${errors_messageOf(error)}`);
    }
    if (leftovers.privateDir)
        (0,private_dir/* removePrivateDir */.V)(leftovers.privateDir);
}
let leftovers_stopping = false;
/**
 * Whether a signal is stopping the run: what fails from then on fails
 * because its tool was stopped, and the signal's handler ends the process.
 */
const beingStopped = () => leftovers_stopping;
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
            if (leftovers_stopping)
                return;
            leftovers_stopping = true;
            void cleanUpLeftovers(current(), warn)
                .catch((error) => warn(`clean-up: ${messageOf(error)}`))
                .finally(() => stopped(signal, status));
        });
    }
}

// EXTERNAL MODULE: ./src/runner/saved-state.ts
var saved_state = __nccwpck_require__(3313);
;// CONCATENATED MODULE: ./src/post.ts



/**
 * The post step: the main step removes its credentials itself; this catches
 * the case where it was killed (timeout, cancel, OOM) before it could, and
 * removes the login a `keep-login` step kept for the later steps of the job
 * (runs even when the job failed or was cancelled: `post-if: always()`). The
 * tools it started may outlive it (the runner kills only the step's own
 * process): they are stopped and waited for first, so no login they were
 * still doing writes its auth file after the folder was removed.
 */
async function post() {
    // @actions/core (and the HTTP client it brings) is loaded only when there
    // is something to say: a quiet post step, the usual one, starts in a third
    // of the time.
    let printed = Promise.resolve();
    const warn = (message) => {
        printed = printed
            .then(() => __nccwpck_require__.e(/* import() */ 421).then(__nccwpck_require__.bind(__nccwpck_require__, 6421)))
            .then(core => core.warning(`harbor-push cleanup: ${message}`));
    };
    try {
        await cleanUpLeftovers((0,saved_state/* savedLeftovers */.CO)(), warn);
    }
    catch (error) {
        warn(errors_messageOf(error));
    }
    // After the folder went: the variables of a kept login name nothing now.
    // Only a keep-login step saved them; its module (with @actions/core) is loaded only then.
    if ((0,saved_state/* keptLoginSaved */.Th)()) {
        try {
            const { restoreKeptLoginVariables } = await Promise.all(/* import() */[__nccwpck_require__.e(421), __nccwpck_require__.e(606)]).then(__nccwpck_require__.bind(__nccwpck_require__, 606));
            restoreKeptLoginVariables();
        }
        catch (error) {
            warn(errors_messageOf(error));
        }
    }
    await printed;
}


/***/ }),

/***/ 3313:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   CO: () => (/* binding */ savedLeftovers),
/* harmony export */   Rk: () => (/* binding */ KEYS),
/* harmony export */   Th: () => (/* binding */ keptLoginSaved)
/* harmony export */ });
/* unused harmony export isPost */
/**
 * Reading what the main step saved, for the post step. The runner hands
 * each saved value to the post step as the variable STATE_<name> (what
 * @actions/core's getState reads); this module reads it without loading
 * @actions/core, which brings its HTTP client (undici, ~1 MB) along and
 * would triple the post step's start-up.
 */
const KEYS = {
    isPost: 'isPost',
    privateDir: 'privateDir',
    caFile: 'dockerCaFile',
    tempTags: 'dockerTempTags',
    toolGroups: 'toolProcessGroups',
    /** What the variables of a kept login held before (keep-login.ts). */
    keptLoginPrevious: 'keptLoginPrevious'
};
const getState = (name) => process.env[`STATE_${name}`] ?? '';
const isPost = () => getState(KEYS.isPost) === 'true';
/** Whether a keep-login step saved variables for the post step to put back. */
const keptLoginSaved = () => getState(KEYS.keptLoginPrevious) !== '';
/** The leftovers the main step saved last. */
function savedLeftovers() {
    return {
        privateDir: getState(KEYS.privateDir) || undefined,
        caFile: parsed(getState(KEYS.caFile)),
        tempTags: parsed(getState(KEYS.tempTags)) ?? [],
        toolGroups: getState(KEYS.toolGroups)
            .split(' ')
            .map(group => /^(\d+)(?:@(\d+))?$/.exec(group))
            .filter(match => match !== null)
            .map(([, id, started]) => ({
            id: Number(id),
            started: started === undefined ? undefined : Number(started)
        }))
    };
}
function parsed(value) {
    return value ? JSON.parse(value) : undefined;
}


/***/ }),

/***/ 2613:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");

/***/ }),

/***/ 5317:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("child_process");

/***/ }),

/***/ 6982:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");

/***/ }),

/***/ 4434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 9896:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");

/***/ }),

/***/ 8611:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("http");

/***/ }),

/***/ 5692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("https");

/***/ }),

/***/ 9278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 4589:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:assert");

/***/ }),

/***/ 6698:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:async_hooks");

/***/ }),

/***/ 4573:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:buffer");

/***/ }),

/***/ 7540:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:console");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 3053:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:diagnostics_channel");

/***/ }),

/***/ 610:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:dns");

/***/ }),

/***/ 8474:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:events");

/***/ }),

/***/ 3024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 7067:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");

/***/ }),

/***/ 2467:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http2");

/***/ }),

/***/ 7030:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");

/***/ }),

/***/ 8161:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");

/***/ }),

/***/ 6760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 643:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:perf_hooks");

/***/ }),

/***/ 1792:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:querystring");

/***/ }),

/***/ 7075:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");

/***/ }),

/***/ 1692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");

/***/ }),

/***/ 3136:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");

/***/ }),

/***/ 7975:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");

/***/ }),

/***/ 3429:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util/types");

/***/ }),

/***/ 5919:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");

/***/ }),

/***/ 8522:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");

/***/ }),

/***/ 857:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");

/***/ }),

/***/ 6928:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");

/***/ }),

/***/ 3193:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");

/***/ }),

/***/ 3557:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("timers");

/***/ }),

/***/ 4756:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tls");

/***/ }),

/***/ 9023:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util");

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".index.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(6908);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 

//# sourceMappingURL=index.js.map