export const id = 90;
export const ids = [90];
export const modules = {

/***/ 7090:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  findCharts: () => (/* binding */ findCharts)
});

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
var external_node_fs_default = /*#__PURE__*/__webpack_require__.n(external_node_fs_);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(3916);
// EXTERNAL MODULE: ./src/settings/chart-inputs.ts
var chart_inputs = __webpack_require__(1531);
// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __webpack_require__(8815);
// EXTERNAL MODULE: ./src/settings/reference.ts
var reference = __webpack_require__(6124);
;// CONCATENATED MODULE: ./src/charts/chart-yaml.ts
/**
 * Reads a chart's Chart.yaml: the name and version that make its OCI
 * reference, and the dependencies that decide whether it can be packaged.
 */



/**
 * Parses Chart.yaml `text` found at `where` (named in every error). Checks
 * what helm needs before it can package or push: apiVersion, a name that can
 * be an OCI repository name. The version is checked by the caller, which
 * knows whether chart-version replaces it.
 */
function parseChartYaml(text, where) {
    let document;
    try {
        document = parseText(text);
    }
    catch (error) {
        throw new errors/* InputError */.dz(`${where} is not valid YAML: ${firstLine((0,errors/* messageOf */.bD)(error))}`);
    }
    if (!isRecord(document)) {
        throw new errors/* InputError */.dz(`${where} holds no chart metadata (apiVersion, name, version)`);
    }
    const apiVersion = scalar(document.apiVersion);
    if (!['v1', 'v2'].includes(apiVersion)) {
        throw new errors/* InputError */.dz(`${where}: apiVersion "${apiVersion}" is not a Helm chart apiVersion; use "v2" (Helm 3 charts)`);
    }
    const name = scalar(document.name);
    if (!name)
        throw new errors/* InputError */.dz(`${where} has no "name"`);
    if (name.includes('/') || !reference/* REPOSITORY_PATH */.bn.test(name)) {
        throw new errors/* InputError */.dz(`${where}: chart name "${name}" cannot name an OCI repository; use lower-case letters, digits and "-" (e.g. "apim-gateway")`);
    }
    return {
        apiVersion,
        name,
        version: scalar(document.version),
        dependencies: parseDependencies(document.dependencies, where)
    };
}
/** The `dependencies` list of Chart.yaml or of a v1 chart's requirements.yaml. */
function parseDependencies(value, where) {
    if (value === undefined || value === '')
        return [];
    if (!Array.isArray(value))
        throw new errors/* InputError */.dz(`${where}: "dependencies" is not a list`);
    return value.map((entry, index) => {
        const name = isRecord(entry) ? scalar(entry.name) : '';
        if (!isRecord(entry) || !name) {
            throw new errors/* InputError */.dz(`${where}: dependency ${index + 1} has no "name"`);
        }
        return { name, repository: scalar(entry.repository) };
    });
}
/** The `dependencies` of a v1 chart's requirements.yaml text. */
function parseRequirementsYaml(text, where) {
    let document;
    try {
        document = parseText(text);
    }
    catch (error) {
        throw new errors/* InputError */.dz(`${where} is not valid YAML: ${firstLine((0,errors/* messageOf */.bD)(error))}`);
    }
    return parseDependencies(isRecord(document) ? document.dependencies : undefined, where);
}
/**
 * Every scalar as the text written: `version: 1.10` is the version "1.10", not
 * the number 1.1 that YAML's core schema would make of it.
 */
function parseText(text) {
    return (0,dist/* parse */.qg)(text, { schema: 'failsafe' });
}
function scalar(value) {
    return typeof value === 'string' ? value.trim() : '';
}
function isRecord(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function firstLine(text) {
    return text.split('\n')[0];
}

// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __webpack_require__(8522);
var external_node_zlib_default = /*#__PURE__*/__webpack_require__.n(external_node_zlib_);
// EXTERNAL MODULE: ./src/tar.ts
var src_tar = __webpack_require__(4616);
;// CONCATENATED MODULE: ./src/charts/archive.ts
/**
 * A packaged chart read the way helm reads it (helm's pkg/chart/loader): the
 * first path segment of every entry is the chart folder and is dropped; what
 * is left must stay inside the chart. Whatever helm would read differently
 * from these checks is refused, so that the chart checked is the chart
 * pushed: several top-level folders (helm merges them into one chart, the
 * last Chart.yaml winning), paths outside the chart, links and devices (helm
 * reads them as empty files), the same path twice. Sizes are bounded before
 * anything is parsed.
 */




const MiB = 1024 * 1024;
/** helm (v3.17+, v4) refuses a chart whose files unpack to more than this in all... */
const MAX_CHART_BYTES = 100 * MiB;
/** ...or to more than this for one file. */
const MAX_FILE_BYTES = 5 * MiB;
/** The tar stream holds headers and padding too: room for them over helm's 100 MiB of files. */
const MAX_TAR_BYTES = MAX_CHART_BYTES + 28 * MiB;
/** Reads the packaged chart `file`; throws an Error saying what helm would read differently. */
function readChartArchive(file) {
    // Compressed, a chart is smaller than unpacked: a larger file is not even read into memory.
    if (external_node_fs_default().statSync(file).size > MAX_TAR_BYTES) {
        throw new Error(`it is larger than ${MAX_TAR_BYTES / MiB} MiB; helm reads at most ${MAX_CHART_BYTES / MiB} MiB of files`);
    }
    let tar;
    try {
        tar = external_node_zlib_default().gunzipSync(external_node_fs_default().readFileSync(file), { maxOutputLength: MAX_TAR_BYTES });
    }
    catch (error) {
        // zlib's errors come from Node's own realm, where `instanceof Error` can fail (jest's vm).
        const { code, message } = error;
        if (code === 'ERR_BUFFER_TOO_LARGE') {
            throw new Error(`it unpacks to more than ${MAX_TAR_BYTES / MiB} MiB; helm reads at most ${MAX_CHART_BYTES / MiB} MiB of files`);
        }
        throw new Error(message ?? String(error));
    }
    let folder;
    const files = new Map();
    let total = 0;
    for (const entry of (0,src_tar/* readTar */.s)(tar)) {
        if (entry.kind === 'folder')
            continue; // helm skips them: they hold nothing
        const shown = `entry "${entry.name}"`;
        if (entry.kind !== 'file') {
            throw new Error(`${shown} is a ${entry.kind}: helm would read it as an empty file; a packaged chart holds files and folders only`);
        }
        // helm's own split: on "\" when the name has one (archives made on Windows), else on "/".
        const delimiter = entry.name.includes('\\') ? '\\' : '/';
        const [top, ...rest] = entry.name.split(delimiter);
        const inside = external_node_path_default().posix.normalize(rest.join('/')).replace(/(.)\/+$/, '$1');
        if (top === '' || external_node_path_default().posix.isAbsolute(inside) || /^[a-zA-Z]:\//.test(inside)) {
            throw new Error(`${shown} is an absolute path (helm: "chart illegally contains absolute paths")`);
        }
        if (inside.startsWith('..') || top === '..') {
            throw new Error(`${shown} reaches outside the chart (helm: "chart illegally references parent directory")`);
        }
        if (inside === '.')
            throw new Error(`${shown} is outside the chart folder`);
        if (folder !== undefined && top !== folder) {
            throw new Error(`it holds two top-level folders, "${folder}" and "${top}": helm would read them as one chart, the last Chart.yaml winning`);
        }
        folder = top;
        if (files.has(inside)) {
            throw new Error(`it holds "${top}/${inside}" twice: helm would keep the last one`);
        }
        const size = entry.body.length;
        if (size > MAX_FILE_BYTES) {
            throw new Error(`${shown} unpacks to ${size} bytes: helm reads no file over ${MAX_FILE_BYTES / MiB} MiB`);
        }
        total += size;
        if (total > MAX_CHART_BYTES) {
            throw new Error(`its files unpack to more than ${MAX_CHART_BYTES / MiB} MiB, the most helm reads`);
        }
        files.set(inside, entry.body);
    }
    if (folder === undefined)
        throw new Error('it holds no files');
    return { folder, files };
}

;// CONCATENATED MODULE: ./src/charts/metadata.ts
/** Chart.yaml of a chart folder or of a packaged chart, read without helm. */





/**
 * Real Chart.yaml files are a few KB; parsing a huge one takes seconds and
 * hundreds of MB (a 200 MB description ran Node out of memory).
 */
const MAX_CHART_YAML_BYTES = 1024 * 1024;
/**
 * The Chart.yaml of a packaged chart (`<folder>/Chart.yaml`, as helm reads
 * it), or undefined when it has none. Throws when helm would read the archive
 * differently, or when Chart.yaml is too large to read.
 */
function readChartYamlOfTgz(file) {
    const archive = readChartArchive(file);
    const chartYaml = archive.files.get('Chart.yaml');
    if (chartYaml === undefined)
        return undefined;
    checkChartYamlSize(chartYaml.length, `"${archive.folder}/Chart.yaml"`);
    // helm drops a UTF-8 byte order mark.
    return chartYaml.toString('utf8').replace(/^\uFEFF/, '');
}
function checkChartYamlSize(bytes, where) {
    if (bytes > MAX_CHART_YAML_BYTES) {
        throw new errors/* InputError */.dz(`${where} is ${bytes} bytes: a Chart.yaml of more than 1 MiB is not read; keep it to a few KB, long text belongs in README.md`);
    }
}
/** The metadata of `source`; an InputError names the chart when it cannot be read. */
function readMetadata(source) {
    if (source.kind === 'tgz') {
        const where = describe(source);
        let text;
        try {
            text = readChartYamlOfTgz(source.path);
        }
        catch (error) {
            throw new errors/* InputError */.dz(`${where} cannot be read as a packaged chart (${reason(error)}); give a .tgz made by helm package`);
        }
        if (text === undefined) {
            throw new errors/* InputError */.dz(`${where} holds no <chart>/Chart.yaml: it is not a packaged chart; give a .tgz made by helm package`);
        }
        return parseChartYaml(text, `Chart.yaml in ${where}`);
    }
    const chartYaml = external_node_path_default().join(source.path, 'Chart.yaml');
    checkChartYamlSize(external_node_fs_default().statSync(chartYaml).size, `"${shown(chartYaml)}"`);
    const metadata = parseChartYaml(external_node_fs_default().readFileSync(chartYaml, 'utf8'), `"${shown(chartYaml)}"`);
    const requirements = external_node_path_default().join(source.path, 'requirements.yaml');
    // apiVersion v1 charts declare their dependencies in requirements.yaml.
    if (metadata.apiVersion === 'v1' && external_node_fs_default().existsSync(requirements)) {
        metadata.dependencies = parseRequirementsYaml(external_node_fs_default().readFileSync(requirements, 'utf8'), `"${shown(requirements)}"`);
    }
    return metadata;
}
/** How messages name a chart source. */
function describe(source) {
    const kind = source.kind === 'tgz' ? 'packaged chart' : 'chart folder';
    return `${kind} "${shown(source.path)}"`;
}
/** A path as the user wrote it: relative to the working folder when inside it. */
function shown(file) {
    const relative = external_node_path_default().relative(process.cwd(), file) || '.';
    return relative.startsWith('..') ? file : relative;
}
/** zlib's errors come from Node's own realm, where `instanceof Error` can fail (jest's vm). */
function reason(error) {
    return typeof error === 'object' && error !== null && 'message' in error
        ? String(error.message)
        : String(error);
}

;// CONCATENATED MODULE: ./src/charts/dependencies.ts
/**
 * Whether a chart folder can be packaged as it is, needs its dependencies
 * built from local folders first, or cannot be packaged here at all. Only
 * `file://` dependencies are built: fetching from chart repositories would
 * need their credentials and network, which this step has no business with.
 */




/**
 * Decides what packaging `folder` (whose Chart.yaml declares `dependencies`)
 * needs. `where` names the chart in errors.
 */
function dependencySteps(folder, dependencies, where) {
    const vendored = vendoredNames(folder);
    const missing = dependencies.filter(dependency => !vendored.has(dependency.name));
    if (missing.length === 0)
        return 'none';
    // `helm dependency build` fetches every dependency, not just the missing
    // ones: it is only run when all of them are local.
    const isLocal = (dependency) => dependency.repository.startsWith('file://');
    const missingRemote = missing.find(dependency => !isLocal(dependency));
    if (missingRemote) {
        throw new errors/* InputError */.dz(`${where} depends on "${missingRemote.name}" from "${missingRemote.repository || '(no repository)'}", which is not in its charts/ folder; harbor-push builds only file:// dependencies: run "helm dependency build" before this step so that charts/ holds it`);
    }
    const remote = dependencies.find(dependency => !isLocal(dependency));
    if (remote) {
        throw new errors/* InputError */.dz(`${where}: its file:// dependency "${missing[0].name}" is not built, and "helm dependency build" would also fetch "${remote.name}" from "${remote.repository || '(no repository)'}", which harbor-push does not do; run "helm dependency build" before this step`);
    }
    for (const dependency of missing) {
        const target = external_node_path_default().resolve(folder, dependency.repository.slice('file://'.length));
        if (!external_node_fs_default().existsSync(external_node_path_default().join(target, 'Chart.yaml'))) {
            throw new errors/* InputError */.dz(`${where}: dependency "${dependency.name}" points to "${dependency.repository}", but ${target} holds no Chart.yaml; fix the repository path in Chart.yaml`);
        }
    }
    return 'build';
}
/** Chart names found in `folder/charts`: unpacked subcharts and packaged ones. */
function vendoredNames(folder) {
    const names = new Set();
    const charts = external_node_path_default().join(folder, 'charts');
    if (!external_node_fs_default().existsSync(charts))
        return names;
    for (const entry of external_node_fs_default().readdirSync(charts, { withFileTypes: true })) {
        const full = external_node_path_default().join(charts, entry.name);
        const name = entry.isDirectory()
            ? nameIn(() => external_node_fs_default().readFileSync(external_node_path_default().join(full, 'Chart.yaml'), 'utf8'))
            : entry.name.endsWith('.tgz')
                ? nameIn(() => readChartYamlOfTgz(full) ?? '')
                : undefined;
        if (name)
            names.add(name);
    }
    return names;
}
/** The `name:` line of a Chart.yaml, or undefined when it cannot be read; helm judges the rest. */
function nameIn(read) {
    try {
        return /^name:\s*["']?([^"'\s#]+)/m.exec(read())?.[1];
    }
    catch {
        return undefined;
    }
}
/**
 * Keeps a chart folder as it was found: `helm dependency build` writes
 * charts/ and Chart.lock into it, and the user's workspace is not ours to
 * change. Returns the function that puts everything back.
 */
function preserveDependencyFiles(folder, backupDir) {
    external_node_fs_default().mkdirSync(backupDir, { recursive: true });
    const saved = ['charts', 'Chart.lock'].map(name => {
        const original = external_node_path_default().join(folder, name);
        const copy = external_node_path_default().join(backupDir, name);
        const existed = external_node_fs_default().existsSync(original);
        if (existed)
            external_node_fs_default().cpSync(original, copy, {
                recursive: true,
                verbatimSymlinks: true,
                preserveTimestamps: true
            });
        return { original, copy, existed };
    });
    return () => {
        for (const { original, copy, existed } of saved) {
            external_node_fs_default().rmSync(original, { recursive: true, force: true });
            if (existed)
                external_node_fs_default().cpSync(copy, original, {
                    recursive: true,
                    verbatimSymlinks: true,
                    preserveTimestamps: true
                });
        }
    };
}

// EXTERNAL MODULE: ./node_modules/@actions/glob/lib/glob.js + 17 modules
var glob = __webpack_require__(3324);
;// CONCATENATED MODULE: ./src/charts/resolve.ts
/**
 * Turns the `charts` entries into the chart folders and packaged charts they
 * name. Only the file system is read: nothing is packaged or pushed here.
 */




const GLOB_CHARACTERS = /[*?[]/;
/**
 * Resolves `entries` (paths or globs, relative to `cwd`; `!pattern` excludes)
 * into chart sources, in the order given, each path once. A path that does
 * not exist, a folder without Chart.yaml, or a pattern that matches no chart
 * is an InputError naming the entry.
 */
async function resolveCharts(entries, cwd = process.cwd()) {
    const excludes = entries.filter(entry => entry.startsWith('!'));
    const found = [];
    const fromPatterns = new Set();
    for (const entry of entries.filter(candidate => !candidate.startsWith('!'))) {
        if (GLOB_CHARACTERS.test(entry)) {
            const sources = await matchPattern(entry, excludes, cwd);
            for (const source of sources)
                fromPatterns.add(source);
            found.push(...sources);
        }
        else {
            found.push(explicitSource(entry, cwd));
        }
    }
    const unique = found.filter((source, index) => found.findIndex(other => other.path === source.path) === index);
    // A pattern such as charts/** also reaches the subcharts and vendored
    // dependencies inside a chart; those travel inside their parent.
    const folders = unique.filter(source => source.kind === 'dir').map(source => source.path);
    return unique.filter(source => !fromPatterns.has(source) ||
        !folders.some(folder => source.path.startsWith(`${folder}${(external_node_path_default()).sep}`)));
}
/** A path named as it is: it must be a chart folder or a packaged chart. */
function explicitSource(entry, cwd) {
    const absolute = external_node_path_default().resolve(cwd, entry);
    let stat;
    try {
        stat = external_node_fs_default().statSync(absolute);
    }
    catch {
        throw new errors/* InputError */.dz(`chart "${entry}" not found: no such folder or .tgz file (relative paths start at ${cwd})`);
    }
    if (stat.isDirectory()) {
        if (!hasChartYaml(absolute)) {
            throw new errors/* InputError */.dz(`chart folder "${entry}" has no Chart.yaml; give the folder that holds Chart.yaml (helm create makes one)`);
        }
        return { kind: 'dir', path: absolute, entry };
    }
    if (!absolute.endsWith('.tgz')) {
        throw new errors/* InputError */.dz(`chart "${entry}" is neither a chart folder nor a packaged chart (.tgz, made by helm package)`);
    }
    return { kind: 'tgz', path: absolute, entry };
}
/** What a glob matches: chart folders and .tgz files; anything else it reaches is passed over. */
async function matchPattern(pattern, excludes, cwd) {
    const absolute = (text) => text.startsWith('!') ? `!${external_node_path_default().resolve(cwd, text.slice(1))}` : external_node_path_default().resolve(cwd, text);
    const globber = await glob/* create */.v([pattern, ...excludes].map(absolute).join('\n'), {
        implicitDescendants: false,
        matchDirectories: true
    });
    const sources = [];
    for (const match of (await globber.glob()).sort()) {
        const stat = external_node_fs_default().statSync(match);
        if (stat.isDirectory() && hasChartYaml(match)) {
            sources.push({ kind: 'dir', path: match, entry: pattern });
        }
        else if (stat.isFile() && match.endsWith('.tgz')) {
            sources.push({ kind: 'tgz', path: match, entry: pattern });
        }
    }
    if (sources.length === 0) {
        throw new errors/* InputError */.dz(`charts pattern "${pattern}" matches no chart folder (with Chart.yaml) and no .tgz file (relative paths start at ${cwd})`);
    }
    return sources;
}
function hasChartYaml(folder) {
    return external_node_fs_default().existsSync(external_node_path_default().join(folder, 'Chart.yaml'));
}

;// CONCATENATED MODULE: ./src/charts/prepare.ts
/**
 * From the `charts` input to the .tgz files to push, in two steps so that
 * every problem is found before anything is pushed: `inspectCharts` reads and
 * checks every chart without running a tool; `packageCharts` packages the
 * chart folders with helm into the step's private directory.
 */








/**
 * The OCI tag helm pushes a version as: "+" is not allowed in tags, so helm
 * writes build metadata with "_" (1.0.0+build.1 → 1.0.0_build.1).
 */
function ociTag(version) {
    return version.replace(/\+/g, '_');
}
/** `oci://<registry prefix>/<name>:<tag>`: where a chart lands. */
function chartReference(prefix, chart) {
    return `oci://${prefix}/${chart.name}:${ociTag(chart.version)}`;
}
/**
 * Resolves and checks every chart: a name and a SemVer 2 version each,
 * dependencies that can be built here, no two charts with the same name and
 * version. Throws an InputError naming the chart and the fix.
 */
async function inspectCharts(settings, log) {
    const sources = await resolveCharts(settings.charts);
    const charts = sources.map(source => inspect(source, settings));
    const owner = new Map();
    for (const chart of charts) {
        const key = `${chart.name}:${ociTag(chart.version)}`;
        const previous = owner.get(key);
        if (previous) {
            throw new errors/* InputError */.dz(`${describe(previous.source)} and ${describe(chart.source)} are both chart "${chart.name}" version "${chart.version}" and would be pushed to the same reference; keep one of them${settings.chartVersion ? ' (chart-version gives every chart folder the same version)' : ''}`);
        }
        owner.set(key, chart);
    }
    const packaged = charts.filter(chart => chart.source.kind === 'tgz');
    if (packaged.length > 0 && (settings.chartVersion || settings.chartAppVersion)) {
        log.warning(`chart-version and chart-app-version apply when packaging chart folders only; ${packaged.map(chart => `${describe(chart.source)} (${chart.version})`).join(', ')} ${packaged.length === 1 ? 'is' : 'are'} pushed as packaged`);
    }
    if (!settings.registry.path) {
        // Harbor reads the first path segment as the project: here it would be the chart name.
        log.warning(`registry "${settings.registry.host}" has no project path: charts go to oci://${settings.registry.host}/<chart name>, which Harbor reads as a project named after the chart; give the registry as ${settings.registry.host}/<project>`);
    }
    return charts;
}
function inspect(source, settings) {
    const metadata = readMetadata(source);
    const where = describe(source);
    const override = source.kind === 'dir' ? settings.chartVersion : '';
    const version = override || metadata.version;
    if (!version) {
        throw new errors/* InputError */.dz(`${where}: Chart.yaml has no "version"; add one, or set chart-version`);
    }
    const problem = override ? undefined : (0,chart_inputs/* chartVersionProblem */.C8)(version);
    if (problem) {
        const fix = source.kind === 'dir' ? 'fix Chart.yaml or set chart-version' : 'package it again';
        throw new errors/* InputError */.dz(`${where}: version "${version}" in Chart.yaml is not valid: ${problem}; ${fix}`);
    }
    const dependencies = source.kind === 'dir' && metadata.dependencies.length > 0
        ? dependencySteps(source.path, metadata.dependencies, where)
        : 'none';
    return { source, name: metadata.name, version, dependencies };
}
/**
 * Packages the chart folders into `workDir` (inside the private directory),
 * building file:// dependencies first and leaving each folder as it was
 * found. Packaged charts pass through once helm has read them. A chart helm
 * cannot package or read is an InputError: nothing has been pushed yet.
 */
async function packageCharts(charts, helm, workDir, settings, log) {
    const prepared = [];
    for (const chart of charts) {
        if (chart.source.kind === 'tgz') {
            await checkWithHelm(chart, helm);
            prepared.push({ ...chart, file: chart.source.path });
            continue;
        }
        external_node_fs_default().mkdirSync(workDir, { recursive: true, mode: 0o700 });
        const work = external_node_fs_default().mkdtempSync(external_node_path_default().join(workDir, `${chart.name}-`));
        const destination = external_node_path_default().join(work, 'package');
        external_node_fs_default().mkdirSync(destination);
        const restore = chart.dependencies === 'build'
            ? preserveDependencyFiles(chart.source.path, external_node_path_default().join(work, 'kept'))
            : () => undefined;
        try {
            if (chart.dependencies === 'build')
                await helm.dependencyBuild(chart.source.path);
            const file = await helm.package(chart.source.path, destination, {
                version: settings.chartVersion,
                appVersion: settings.chartAppVersion
            });
            prepared.push({ ...chart, file });
            log.info(`Packaged ${describe(chart.source)} as ${external_node_path_default().basename(file)}${chart.dependencies === 'build' ? ' (file:// dependencies built)' : ''}`);
        }
        catch (error) {
            const detail = error instanceof errors/* ToolError */.v4 ? lastLines(error.stderr) : (0,errors/* messageOf */.bD)(error);
            throw new errors/* InputError */.dz(`helm cannot package ${describe(chart.source)}: ${detail}`);
        }
        finally {
            restore();
        }
    }
    return prepared;
}
/**
 * Reads a packaged chart with helm's own loader (the one `helm push` runs),
 * which is stricter than the checks above (values.yaml, templates,
 * subcharts): a chart helm refuses, or reads as another name or version,
 * fails here rather than at its push, after the images were pushed.
 */
async function checkWithHelm(chart, helm) {
    const where = describe(chart.source);
    let shown;
    try {
        shown = await helm.showChart(chart.source.path);
    }
    catch (error) {
        const detail = error instanceof errors/* ToolError */.v4 ? lastLines(error.stderr) : (0,errors/* messageOf */.bD)(error);
        throw new errors/* InputError */.dz(`helm cannot read ${where}: ${detail}; give a .tgz made by helm package`);
    }
    const read = parseChartYaml(shown, `Chart.yaml of ${where} as helm reads it`);
    if (read.name !== chart.name || read.version !== chart.version) {
        throw new errors/* InputError */.dz(`helm reads ${where} as chart "${read.name}" version "${read.version}", not "${chart.name}" version "${chart.version}" as its Chart.yaml says; give a .tgz made by helm package`);
    }
}
function lastLines(text) {
    return text
        .trim()
        .split('\n')
        .slice(-5)
        .join(' ')
        .replace(/^Error: /, '');
}

// EXTERNAL MODULE: ./src/tools/container-tool.ts
var container_tool = __webpack_require__(7131);
// EXTERNAL MODULE: ./src/tools/credential-helpers.ts
var credential_helpers = __webpack_require__(1342);
// EXTERNAL MODULE: ./src/tools/stall-watch.ts
var stall_watch = __webpack_require__(9519);
// EXTERNAL MODULE: ./src/settings/helm-versions.ts
var helm_versions = __webpack_require__(4931);
;// CONCATENATED MODULE: ./src/tools/helm-version.ts
/**
 * Which helm can do what. Registry flags came to helm over several releases,
 * and passing a flag that a helm lacks fails with a bare "unknown flag"; so
 * the flags are chosen from the version, and a helm too old for what the
 * settings ask for is refused up front with the version it needs.
 */


/**
 * The first release of each flag this project passes. The tested versions'
 * `--help` confirm the two ends: v3.17.3 has every flag but `registry login
 * --plain-http`; v4.1.4 has all of them.
 */
const FLAG_SINCE = {
    /** `helm registry login --insecure` (present since logins came to helm 3). */
    loginInsecure: helm_versions/* MINIMUM_HELM */.AF,
    /** `helm push --ca-file / --insecure-skip-tls-verify` (helm/helm#11599). */
    pushTls: { major: 3, minor: 11, patch: 0, text: 'v3.11.0' },
    /** `helm registry login --ca-file` (helm/helm#11623). */
    loginCaFile: { major: 3, minor: 12, patch: 0, text: 'v3.12.0' },
    /** `helm push --plain-http` (helm/helm#12128). */
    pushPlainHttp: { major: 3, minor: 13, patch: 0, text: 'v3.13.0' },
    /**
     * `helm registry login --plain-http`. Before it, login tried HTTPS and fell
     * back to plain HTTP by itself (through a proxy, with --insecure only);
     * helm 4 no longer falls back.
     */
    loginPlainHttp: { major: 3, minor: 18, patch: 0, text: 'v3.18.0' }
};
/**
 * The TLS and plain-HTTP flags `helm registry login` and `helm push` need for
 * the registry `host`, reached over `scheme`. Throws an InputError when the
 * settings cannot work with that registry, or naming the helm version needed
 * when this one lacks a flag the settings require.
 */
function registryFlags(version, host, scheme, tls, willLogin) {
    const need = (since, what) => {
        if (!(0,helm_versions/* atLeast */.jZ)(version, since)) {
            throw new errors/* InputError */.dz(`helm ${version.text} cannot ${what}: that needs helm ${since.text} or newer; put a newer helm on PATH, or remove helm from PATH so that helm-version is installed`);
        }
    };
    if (scheme === 'http') {
        if (tls.tlsVerify) {
            throw new errors/* InputError */.dz(`the registry "${host}" speaks plain HTTP: set tls-verify: false (and no ca-file) to push to it without TLS`);
        }
        need(FLAG_SINCE.pushPlainHttp, 'push to a plain-HTTP registry (helm push --plain-http)');
        // Older logins try HTTPS and fall back to plain HTTP: on their own for a
        // direct connection, but through a proxy only with --insecure (seen with
        // v3.17.3 behind squid). tls-verify is false here, so --insecure asks no more.
        const login = (0,helm_versions/* atLeast */.jZ)(version, FLAG_SINCE.loginPlainHttp) ? ['--plain-http'] : ['--insecure'];
        return { login, push: ['--plain-http'] };
    }
    if (version.major < 4 && isLoopback(host)) {
        // helm 3 resolves registries with containerd's rules, which send plain
        // HTTP to every loopback host whatever the TLS flags say (seen with
        // v3.17.3); the push then fails with a bare "400 Bad Request".
        throw new errors/* InputError */.dz(`helm ${version.text} cannot push to the TLS registry "${host}": helm 3 always talks plain HTTP to loopback hosts; use helm 4 (put it on PATH, or take helm off PATH and set helm-version, e.g. v4.1.4)`);
    }
    if (!tls.tlsVerify) {
        need(FLAG_SINCE.pushTls, 'skip TLS verification (helm push --insecure-skip-tls-verify)');
        return { login: ['--insecure'], push: ['--insecure-skip-tls-verify'] };
    }
    if (tls.caFile) {
        need(FLAG_SINCE.pushTls, 'trust ca-file (helm push --ca-file)');
        if (willLogin)
            need(FLAG_SINCE.loginCaFile, 'trust ca-file (helm registry login --ca-file)');
        return { login: ['--ca-file', tls.caFile], push: ['--ca-file', tls.caFile] };
    }
    return { login: [], push: [] };
}
/** localhost, 127.0.0.0/8 or ::1, with or without a port. */
function isLoopback(host) {
    const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0];
    return name === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(name) || name === '::1';
}

;// CONCATENATED MODULE: ./src/tools/helm.ts








/**
 * helm, run through the project's one Runner: argv arrays only, the secret on
 * stdin only. With a login of its own (`isolated`), every helm file lives in
 * the step's private directory: the registry login (`--registry-config`) and
 * helm's config, cache and data homes, so the user's helm setup is neither
 * read nor changed.
 */
class Helm {
    run;
    binary;
    tls;
    name = 'helm';
    registryConfig;
    env;
    flags;
    detected;
    constructor(run, 
    /** The helm binary: `helm` from PATH, or an absolute path from the tool cache. */
    binary, paths, tls) {
        this.run = run;
        this.binary = binary;
        this.tls = tls;
        const home = external_node_path_default().join(paths.dir, 'helm');
        this.registryConfig = paths.isolated ? external_node_path_default().join(home, 'registry.json') : undefined;
        this.env = paths.isolated
            ? {
                HELM_CONFIG_HOME: external_node_path_default().join(home, 'config'),
                HELM_CACHE_HOME: external_node_path_default().join(home, 'cache'),
                HELM_DATA_HOME: external_node_path_default().join(home, 'data')
            }
            : undefined;
    }
    /** The version of this helm (`helm version --template {{.Version}}`); refuses one older than v3.8.0. */
    async version() {
        if (this.detected)
            return this.detected;
        let printed;
        try {
            printed = (await this.helm(['version', '--template', '{{.Version}}'])).stdout.trim();
        }
        catch (error) {
            throw new errors/* InputError */.dz(`helm (${this.binary}) does not run here: ${(0,errors/* messageOf */.bD)(error)}`);
        }
        const version = (0,helm_versions/* parseHelmVersion */.En)(printed);
        if (!version) {
            throw new errors/* InputError */.dz(`helm (${this.binary}) printed "${printed}" as its version; use helm 3 or 4`);
        }
        if (!(0,helm_versions/* atLeast */.jZ)(version, helm_versions/* MINIMUM_HELM */.AF)) {
            throw new errors/* InputError */.dz(`helm ${version.text} (${this.binary}) is too old to push charts to OCI registries: it needs ${helm_versions/* MINIMUM_HELM */.AF.text} or newer`);
        }
        this.detected = version;
        return version;
    }
    /**
     * Works out the flags that reaching `host` over `scheme` (what the registry
     * answered on) needs with the TLS settings; throws an InputError when the
     * settings or this helm cannot. Returns the scheme.
     */
    async connect(host, willLogin, scheme) {
        const version = await this.version();
        this.flags = registryFlags(version, host, scheme, this.tls, willLogin);
        return scheme;
    }
    /** `helm dependency build`: fills charts/ from the chart's file:// dependencies. */
    async dependencyBuild(folder) {
        await this.helm(['dependency', 'build', folder]);
    }
    /** `helm package` into `destination`; returns the path of the .tgz it wrote. */
    async package(folder, destination, options) {
        const args = ['package', folder, '--destination', destination];
        if (options.version)
            args.push('--version', options.version);
        if (options.appVersion)
            args.push('--app-version', options.appVersion);
        const { stdout: output } = await this.helm(args);
        const saved = /saved it to:\s*(.+\.tgz)\s*$/m.exec(output)?.[1];
        const file = saved ?? external_node_fs_default().readdirSync(destination).find(name => name.endsWith('.tgz'));
        if (!file)
            throw new errors/* PushError */.Vc(`helm package "${folder}" wrote no .tgz to ${destination}`);
        return external_node_path_default().resolve(destination, file);
    }
    /**
     * `helm show chart <file>`: the Chart.yaml of a packaged chart as helm's
     * loader reads it, the loader `helm push` runs too. Throws what helm says
     * when it refuses the chart.
     */
    async showChart(file) {
        return (await this.helm(['show', 'chart', file])).stdout;
    }
    /** `helm registry login <host>` with the password on stdin, into the private registry config. */
    async login(host, credentials) {
        // Without this, a docker-credential-secretservice (or -pass) on PATH gets the login.
        if (this.registryConfig)
            (0,credential_helpers/* writeFileOnlyAuthConfig */.uu)(this.registryConfig, host);
        await this.helm([
            'registry',
            'login',
            host,
            '--username',
            credentials.username,
            '--password-stdin',
            ...this.configFlags(),
            ...this.connection().login
        ], credentials.password);
    }
    /**
     * `helm push <file> oci://<prefix>`: helm adds `<name>:<version>` itself.
     * Returns the reference and the manifest digest helm printed.
     */
    async push(file, prefix) {
        const { stdout, stderr } = await this.helm(['push', file, `oci://${prefix}`, ...this.configFlags(), ...this.connection().push], undefined, (0,stall_watch/* pushStallMs */.Ro)());
        // helm 3 and 4 print the result on stderr; stdout is read too in case that changes.
        const output = `${stdout}\n${stderr}`;
        const pushed = /^Pushed:\s*(\S+)/m.exec(output)?.[1];
        const digest = new RegExp(`^Digest:\\s*(${container_tool/* DIGEST */.Dh.source})`, 'm').exec(output)?.[1];
        if (!pushed || !digest) {
            throw new errors/* PushError */.Vc(`helm push "${external_node_path_default().basename(file)}" printed no "Pushed:" and "Digest:" lines: ${output.trim()}`);
        }
        return { pushed, digest };
    }
    configFlags() {
        return this.registryConfig ? ['--registry-config', this.registryConfig] : [];
    }
    connection() {
        if (!this.flags)
            throw new Error('Helm.connect() must run before login and push');
        return this.flags;
    }
    async helm(args, input, stallMs) {
        return this.run(this.binary, args, {
            ...(input === undefined ? {} : { input }),
            ...(this.env ? { env: this.env } : {}),
            ...(stallMs ? { stallMs } : {})
        });
    }
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
var external_node_crypto_default = /*#__PURE__*/__webpack_require__.n(external_node_crypto_);
// EXTERNAL MODULE: ./node_modules/@actions/io/lib/io.js
var io = __webpack_require__(8701);
// EXTERNAL MODULE: ./node_modules/@actions/tool-cache/lib/tool-cache.js + 2 modules
var tool_cache = __webpack_require__(9805);
// EXTERNAL MODULE: ./src/redact.ts
var redact = __webpack_require__(6670);
;// CONCATENATED MODULE: ./src/tools/helm-install.ts
/**
 * Which helm runs: the one on PATH when there is one (the user chose it),
 * else `helm-version` from the runner's tool cache, downloaded from
 * `helm-download-url` and checked against its published sha256 before it is
 * unpacked, cached or run.
 */







/** helm's release names for Node's `process.arch`. */
const ARCH = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64'
};
/** `<os>-<arch>` of helm's release archives for this machine. */
function helmPlatform(platform = process.platform, arch = process.arch) {
    const helmArch = ARCH[arch];
    if (!['linux', 'darwin'].includes(platform) || !helmArch) {
        throw new errors/* InputError */.dz(`helm is not on PATH, and harbor-push installs helm only on Linux and macOS (this is ${platform}/${arch}); install helm before this step`);
    }
    return `${platform}-${helmArch}`;
}
/**
 * The helm to run. `workDir` (inside the private directory) takes the
 * download while it is checked, so nothing unchecked outlives the step.
 */
async function locateHelm(settings, workDir, log) {
    const onPath = await io/* which */.K7('helm', false);
    if (onPath)
        return { binary: onPath, from: 'PATH' };
    const platform = helmPlatform();
    const arch = platform.split('-')[1];
    const version = settings.helmVersion;
    if (!process.env.RUNNER_TOOL_CACHE) {
        throw new errors/* InputError */.dz(`helm is not on PATH, and RUNNER_TOOL_CACHE is not set, so helm ${version} cannot be installed: install helm, or set RUNNER_TOOL_CACHE to a folder harbor-push may install it into`);
    }
    const cached = tool_cache/* find */.I6('helm', version, arch);
    if (cached)
        return { binary: external_node_path_default().join(cached, 'helm'), from: 'tool cache' };
    const archiveName = `helm-${version}-${platform}.tar.gz`;
    // A login in the mirror URL goes in an Authorization header: the toolkit
    // prints the URL it downloads in debug lines (and sends no userinfo itself).
    const mirror = (0,redact/* splitUserinfo */.Gw)(settings.helmDownloadUrl);
    const url = `${mirror.url}/${archiveName}`;
    log.info(`helm is not on PATH: installing helm ${version} from ${redacted(url)}`);
    external_node_fs_default().mkdirSync(workDir, { recursive: true, mode: 0o700 });
    const sumFile = await download(`${url}.sha256sum`, external_node_path_default().join(workDir, `${archiveName}.sha256sum`), version, mirror.authorization);
    const archive = await download(url, external_node_path_default().join(workDir, archiveName), version, mirror.authorization);
    const expected = /^[a-f0-9]{64}\b/i
        .exec(external_node_fs_default().readFileSync(sumFile, 'utf8').trim())?.[0]
        .toLowerCase();
    if (!expected) {
        throw new Error(`${redacted(url)}.sha256sum holds no sha256; refusing to run an unchecked helm (check helm-download-url)`);
    }
    const actual = await sha256(archive);
    if (actual !== expected) {
        external_node_fs_default().rmSync(archive, { force: true });
        throw new Error(`${redacted(url)} does not match its published sha256 (${expected}; the download is ${actual}): refusing to install or run it; check helm-download-url (is the mirror serving another file?)`);
    }
    const unpacked = await tool_cache/* extractTar */.nN(archive, external_node_path_default().join(workDir, 'unpacked'));
    const folder = external_node_path_default().join(unpacked, platform);
    if (!external_node_fs_default().existsSync(external_node_path_default().join(folder, 'helm'))) {
        throw new Error(`${redacted(url)} holds no ${platform}/helm; check helm-download-url`);
    }
    const installed = await tool_cache/* cacheDir */.e8(folder, 'helm', version, arch);
    return { binary: external_node_path_default().join(installed, 'helm'), from: 'download' };
}
async function download(url, destination, version, authorization) {
    try {
        return await tool_cache/* downloadTool */.bq(url, destination, authorization);
    }
    catch (error) {
        if (error instanceof tool_cache/* HTTPError */.Hl && error.httpStatusCode === 404) {
            throw new errors/* InputError */.dz(`helm ${version} is not at ${redacted(url)} (HTTP 404): check helm-version (e.g. v3.17.3) and helm-download-url`);
        }
        throw new Error(`could not download ${redacted(url)}: ${(0,errors/* messageOf */.bD)(error)}; check helm-download-url, or put helm on PATH before this step`);
    }
}
function sha256(file) {
    return new Promise((resolve, reject) => {
        const hash = external_node_crypto_default().createHash('sha256');
        external_node_fs_default().createReadStream(file)
            .on('data', chunk => hash.update(chunk))
            .on('error', reject)
            .on('end', () => resolve(hash.digest('hex')));
    });
}
/** A URL without the user and password a mirror URL may carry. */
function redacted(url) {
    return (0,redact/* redactUserinfo */.PM)(url);
}

// EXTERNAL MODULE: ./src/push/destination.ts
var destination = __webpack_require__(3428);
// EXTERNAL MODULE: ./src/push/pipeline.ts + 2 modules
var pipeline = __webpack_require__(4571);
;// CONCATENATED MODULE: ./src/push/adapters/chart.ts
/** Helm charts, packaged, pushed by helm to `oci://<registry>`. */





function chartAdapter(helm, prefix) {
    const reference = ({ destination }) => `oci://${destination.reference}`;
    return {
        kind: 'chart',
        tool: 'helm',
        login: (host, credentials) => helm.login(host, credentials),
        loginKept: 'private registry config',
        // The same .tgz (a chart's one layer) is not pushed again.
        read: sources => Promise.all(sources.map(async (chart) => ({
            expected: {
                layerDigest: `sha256:${external_node_crypto_default().createHash('sha256')
                    .update(await external_node_fs_default().promises.readFile(chart.file))
                    .digest('hex')}`
            }
        }))),
        push: async (target) => {
            // helm adds `<name>:<version>` to the prefix itself: say so when it lands elsewhere.
            const pushed = await helm.push(target.source.file, prefix);
            const planned = target.destination.reference;
            return {
                digest: pushed.digest,
                reference: `oci://${pushed.pushed}`,
                notes: pushed.pushed === planned ? [] : [`helm reported ${pushed.pushed}, not ${planned}`]
            };
        },
        label: target => {
            const { name, version } = target.source;
            return {
                reference: reference(target),
                source: `${name} ${version}`,
                noun: 'chart ',
                plan: `${name} ${version} `
            };
        },
        result: (target, _content, outcome) => ({
            kind: 'chart',
            fields: {
                chart: target.source.name,
                version: target.source.version,
                reference: outcome.reference ?? reference(target)
            }
        }),
        describe: (target, _content, outcome) => [
            `chart:       ${target.source.name} ${target.source.version}`,
            `file:        ${target.source.file}`,
            `reference:   ${outcome.reference ?? reference(target)}`,
            (0,pipeline/* digestLine */.lt)(outcome)
        ]
    };
}
/** Every chart and the tag it goes to (its version; helm writes "+" as "_"). */
function chartBatch(charts, registry, helm) {
    return {
        adapter: chartAdapter(helm, registry.prefix),
        entries: charts.map(chart => ({
            source: chart,
            destinations: [(0,destination/* destinationOf */.M)(registry, chart.name, ociTag(chart.version))]
        }))
    };
}

;// CONCATENATED MODULE: ./src/push/push-charts.ts





/**
 * Everything about the charts that can fail without asking the registry:
 * each chart read and checked, helm found (or installed). Then `package`,
 * once the registry's scheme is known. Throws on any problem; a front end
 * calls this before it checks the images and the registry.
 */
async function findCharts(settings, run, paths, log, locate = locateHelm) {
    const inspected = await inspectCharts(settings, log);
    const location = await locate(settings, external_node_path_default().join(paths.dir, 'helm-install'), log);
    const helm = new Helm(run, location.binary, paths, {
        tlsVerify: settings.tlsVerify,
        caFile: settings.caFile
    });
    log.info(usingHelm((await helm.version()).text, location, settings.helmVersion));
    return {
        package: async (scheme) => {
            await helm.connect(settings.registry.host, settings.credentials !== undefined, scheme);
            if (scheme === 'http') {
                log.info(`${settings.registry.host} speaks plain HTTP: helm uses --plain-http`);
            }
            const charts = await packageCharts(inspected, helm, external_node_path_default().join(paths.dir, 'charts'), settings, log);
            return chartBatch(charts, settings.registry, helm);
        }
    };
}
function usingHelm(version, location, wanted) {
    if (location.from === 'PATH') {
        return `Using helm ${version} from PATH (${location.binary}); helm-version ${wanted} is installed only when helm is not on PATH`;
    }
    return `Using helm ${version} (${location.from === 'download' ? 'downloaded, checked against its sha256 and cached' : 'from the tool cache'}: ${location.binary})`;
}


/***/ })

};

//# sourceMappingURL=90.index.js.map