/**
 * Who is calling the test Harbor, and what they may do: the part of the rig
 * that follows Harbor's security middleware and RBAC. Each rule names the
 * Harbor source file it follows (goharbor/harbor, v2.x main branch).
 */
import crypto from 'node:crypto'
import type http from 'node:http'

/** Harbor's project roles (`src/common/rbac/project/rbac_role.go`). */
export type Role = 'projectAdmin' | 'maintainer' | 'developer' | 'guest' | 'limitedGuest'

/** What a role may do to a project's repositories, as tokens name it (`pull`, `push`, `delete`). */
const ROLE_ACTIONS: Record<Role, string[]> = {
  projectAdmin: ['pull', 'push', 'delete'],
  maintainer: ['pull', 'push', 'delete'],
  developer: ['pull', 'push'],
  guest: ['pull'],
  limitedGuest: ['pull']
}

export interface HarborUser {
  /** The password (database mode) or, in OIDC mode, the CLI secret from the user profile. */
  password: string
  /** Role per project (a group's role counts the same). */
  roles?: Record<string, Role>
  /** A system administrator: every project, and 404 for a missing one on the project API. */
  admin?: boolean
}

/** A project robot: its permissions are its own list, not a role (`src/common/security/robot/`). */
export interface HarborRobot {
  secret: string
  /**
   * Per project: repository actions (`pull`, `push`, `delete`) and `read`
   * (project read, which the project API needs; a robot made for pushing may
   * lack it).
   */
  permissions: Record<string, ('pull' | 'push' | 'delete' | 'read')[]>
  disabled?: boolean
  /** Past its expiry date (`expires_at`). */
  expired?: boolean
}

export interface HarborProject {
  /** Anyone, even anonymous, may pull and read it (`src/common/rbac/project/rbac_util.go`). */
  public?: boolean
}

export interface SecurityOptions {
  users: Record<string, HarborUser>
  /** Keyed by the robot's name without the prefix: `<project>+<name>`. */
  robots: Record<string, HarborRobot>
  /** Harbor's `robot_name_prefix` setting (default `robot$`). */
  robotPrefix: string
  /** `oidc_auth`: users sign in to CLIs with their CLI secret, and only on some paths. */
  authMode: 'db_auth' | 'oidc_auth'
  projects: Record<string, HarborProject>
}

/** A request's security context, as `src/server/middleware/security/security.go` builds it. */
export interface Caller {
  /** The username ('' for anonymous). */
  name: string
  authenticated: boolean
  admin: boolean
  /** Repository actions allowed in `project`. */
  repositoryActions(project: string): string[]
  /** Project read (`ResourceSelf` read), which `GET /api/v2.0/projects/{name}` needs. */
  canReadProject(project: string): boolean
}

/** A failed login: Harbor sleeps 1.5 s and locks the name for as long (`src/core/auth/authenticator.go`). */
export const FROZEN_MS = 1500

export class HarborSecurity {
  /** Every failed login (`auth.Login` with an `ErrAuth`): the name and the path it came on. */
  readonly failedLogins: { name: string; path: string }[] = []
  private readonly lockedUntil = new Map<string, number>()
  private readonly tokens = new Map<string, { caller: Caller; access: Access[]; exp: number }>()
  private readonly signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey

  constructor(private readonly options: SecurityOptions) {}

  /**
   * The caller of a request. The generators run in Harbor's order
   * (`security.go`: secret, oidcCli, v2Token, ..., robot, basicAuth), the
   * first that recognises the request wins, and a request none recognises is
   * anonymous (`unauthorized.go`). A rejected Authorization is not an error
   * here: the request goes on as anonymous.
   */
  async caller(request: http.IncomingMessage, path: string): Promise<Caller> {
    const header = request.headers.authorization ?? ''
    const bearer = /^Bearer (.+)$/i.exec(header)?.[1]
    if (bearer) {
      // v2_token.go: a token of this Harbor's issuer, valid and unexpired.
      const token = this.tokens.get(bearer)
      if (token && token.exp > Date.now()) return tokenCaller(token.caller, token.access)
      return this.anonymous()
    }
    const basic = basicCredentials(header)
    if (!basic) return this.anonymous()
    const { username, password } = basic
    // oidc_cli.go: in OIDC mode a user's CLI secret is accepted only for the
    // token service, /v2 and a few list endpoints; robots are left to robot.go.
    if (
      this.options.authMode === 'oidc_auth' &&
      oidcCliPath(request.method ?? 'GET', path) &&
      !username.startsWith(this.options.robotPrefix)
    ) {
      const user = this.options.users[username]
      if (user && user.password === password) return this.userCaller(username, user)
    }
    // robot.go: a robot with the right secret, enabled and unexpired.
    if (username.startsWith(this.options.robotPrefix)) {
      const robot = this.options.robots[username.slice(this.options.robotPrefix.length)]
      if (robot && robot.secret === password && !robot.disabled && !robot.expired) {
        return this.robotCaller(username, robot)
      }
    }
    // basic_auth.go -> auth.Login (authenticator.go): a locked name fails at
    // once; in OIDC mode a password login is not supported (no lock, no sleep)
    // except for the admin; a wrong password locks the name and sleeps 1.5 s.
    if ((this.lockedUntil.get(username) ?? 0) > Date.now()) return this.anonymous()
    const user = this.options.users[username]
    const passwordLogin = this.options.authMode === 'db_auth' || user?.admin === true
    if (!passwordLogin) return this.anonymous()
    if (user && user.password === password) return this.userCaller(username, user)
    this.failedLogins.push({ name: username, path })
    this.lockedUntil.set(username, Date.now() + FROZEN_MS)
    await new Promise(resolve => setTimeout(resolve, FROZEN_MS))
    return this.anonymous()
  }

  /**
   * A token for `scopes` (`src/core/service/token/creator.go`,
   * `generalCreator.Create`): an anonymous caller with no scope gets
   * undefined (401); otherwise every repository scope is granted what the
   * caller may do there, whatever was asked (`repositoryFilter`: the actions
   * are replaced, not intersected), and nothing for a missing project or a
   * name without a project. The subject is the caller's name, left out when
   * anonymous (`authutils.go` `MakeToken`, `sub` is omitempty).
   */
  issue(
    caller: Caller,
    scopes: string[],
    seconds: number
  ): { token: string; access: Access[] } | undefined {
    if (!caller.authenticated && scopes.length === 0) return undefined
    const access = scopes.map(scope => {
      const parts = scope.split(':')
      const type = parts[0] ?? ''
      const name = parts.length > 2 ? parts.slice(1, -1).join(':') : (parts[1] ?? '')
      const project = name.includes('/') ? name.split('/')[0] : undefined
      let actions: string[] = []
      if (type === 'repository' && project !== undefined && this.options.projects[project]) {
        actions = caller.repositoryActions(project)
      } else if (type === 'registry' && name === 'catalog' && caller.admin) {
        actions = ['*']
      }
      return { type, name, actions }
    })
    const token = this.sign(caller.name, access, seconds)
    this.tokens.set(token, { caller, access, exp: Date.now() + seconds * 1000 })
    return { token, access }
  }

  /** Every token issued so far is refused from now on, as an expired one is. */
  expireTokens(): void {
    for (const token of this.tokens.values()) token.exp = 0
  }

  /** No credentials, or rejected ones: public projects only. */
  private anonymous(): Caller {
    const isPublic = (project: string): boolean => this.options.projects[project]?.public === true
    return {
      name: '',
      authenticated: false,
      admin: false,
      repositoryActions: project => (isPublic(project) ? ['pull'] : []),
      canReadProject: isPublic
    }
  }

  private userCaller(name: string, user: HarborUser): Caller {
    const roleIn = (project: string): string[] => {
      if (user.admin) return ['pull', 'push', 'delete']
      const role = user.roles?.[project]
      if (role) return ROLE_ACTIONS[role]
      return this.options.projects[project]?.public ? ['pull'] : []
    }
    return {
      name,
      authenticated: true,
      admin: user.admin === true,
      repositoryActions: roleIn,
      canReadProject: project =>
        user.admin === true ||
        user.roles?.[project] !== undefined ||
        this.options.projects[project]?.public === true
    }
  }

  private robotCaller(name: string, robot: HarborRobot): Caller {
    const granted = (project: string): string[] => robot.permissions[project] ?? []
    return {
      name,
      authenticated: true,
      admin: false,
      repositoryActions: project => {
        const own = granted(project).filter(action => action !== 'read')
        if (own.length === 0 && this.options.projects[project]?.public) return ['pull']
        return own
      },
      canReadProject: project =>
        granted(project).includes('read') || this.options.projects[project]?.public === true
    }
  }

  private sign(subject: string, access: Access[], seconds: number): string {
    const now = Math.floor(Date.now() / 1000)
    const encode = (value: object): string =>
      Buffer.from(JSON.stringify(value)).toString('base64url')
    const header = encode({ alg: 'RS256', typ: 'JWT', kid: 'harbor-test' })
    const claims = encode({
      iss: 'harbor-token-issuer',
      ...(subject ? { sub: subject } : {}),
      aud: 'harbor-registry',
      exp: now + seconds,
      nbf: now,
      iat: now,
      jti: crypto.randomBytes(8).toString('hex'),
      access
    })
    const signature = crypto
      .sign('sha256', Buffer.from(`${header}.${claims}`), this.signingKey)
      .toString('base64url')
    return `${header}.${claims}.${signature}`
  }
}

export interface Access {
  type: string
  name: string
  actions: string[]
}

/**
 * A bearer token's caller (`src/common/security/v2token/context.go`): it may
 * do what the token's access lists, and is authenticated when it has a subject.
 */
function tokenCaller(caller: Caller, access: Access[]): Caller {
  return {
    name: caller.name,
    authenticated: caller.name !== '',
    admin: false,
    repositoryActions: project =>
      access
        .filter(entry => entry.type === 'repository' && entry.name.split('/')[0] === project)
        .flatMap(entry => entry.actions),
    canReadProject: () => false
  }
}

/** The paths where `oidc_cli.go` accepts a CLI secret (its `valid`). */
function oidcCliPath(method: string, path: string): boolean {
  const trimmed = path.replace(/\/$/, '')
  if (trimmed === '/service/token' || trimmed.startsWith('/v2')) return true
  if (method === 'POST' && trimmed === '/api/v2.0/projects') return true
  if (method === 'GET') {
    return (
      trimmed === '/api/v2.0/projects' ||
      trimmed === '/api/v2.0/systeminfo' ||
      /^\/api\/v2\.0\/projects\/.*\/repositories(\/.*\/artifacts)?$/.test(trimmed)
    )
  }
  return false
}

/** The username and password of a Basic Authorization header. */
export function basicCredentials(
  header: string
): { username: string; password: string } | undefined {
  if (!/^Basic /i.test(header)) return undefined
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}
