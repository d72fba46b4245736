import { builtinRoleId } from '../../src/identity/builtin-roles.ts';
import { privileges } from '../../src/identity/privileges.ts';
import type { TestDatabaseFactory } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  createApiKey,
  createRole,
  createRootUnit,
  createSession,
  createUnit,
  createUser,
} from '../helpers/principals.ts';
import type { MatrixPrincipal, MatrixUnits, MatrixWorld, Relation } from './fixture.ts';

export interface MatrixHarness {
  readonly world: MatrixWorld;
  /**
   * A user at the unit of `relation` with a role holding everything or everything but
   * `privilege`, signed in or with an API key. Shared between routes unless `fresh`.
   */
  principal(
    relation: Relation,
    privileged: boolean,
    privilege: string | undefined,
    kind: 'session' | 'apikey',
    options?: { fresh?: boolean },
  ): Promise<MatrixPrincipal>;
}

/** One server and tree per database; principals are created on first use. */
export async function buildMatrix(factory: TestDatabaseFactory): Promise<MatrixHarness> {
  const server = await buildIdentityServer(factory);
  const root = server.rootId;
  const parent = await createUnit(server, root, { name: 'Parent' });
  const target = await createUnit(server, parent, { name: 'Target', code: 'tgt' });
  const child = await createUnit(server, target, { name: 'Child' });
  const sibling = await createUnit(server, parent, { name: 'Sibling' });
  const otherRoot = await createRootUnit(server, 'Other root');
  const units: MatrixUnits = { root, parent, target, child, sibling, otherRoot };
  const adminUser = await createUser(server, { buId: root });
  const admin = await createSession(server, adminUser, { mfaVerified: true });
  const world: MatrixWorld = { server, units, admin, adminUser };
  const unitOf: Record<Relation, string> = { same: target, ancestor: parent, descendant: child, sibling, otherRoot };

  // "Everything but X" roles, defined in each tree's root so they are usable everywhere in it.
  const withoutRoles = new Map<string, string>();
  async function roleWithout(privilege: string, treeRoot: string): Promise<string> {
    const key = `${treeRoot}/${privilege}`;
    let id = withoutRoles.get(key);
    if (!id) {
      id = await createRole(
        server,
        treeRoot,
        privileges.filter((p) => p !== privilege),
        `all but ${privilege}`,
      );
      withoutRoles.set(key, id);
    }
    return id;
  }

  async function create(
    relation: Relation,
    privileged: boolean,
    privilege: string | undefined,
    kind: 'session' | 'apikey',
  ) {
    const buId = unitOf[relation];
    const roleId =
      privileged || !privilege
        ? builtinRoleId('administrator')
        : await roleWithout(privilege, relation === 'otherRoot' ? otherRoot : root);
    const user = await createUser(server, { buId, roleId });
    const credential =
      kind === 'session' ? await createSession(server, user, { mfaVerified: true }) : await createApiKey(server, user);
    return { relation, privileged, credential, user };
  }

  const shared = new Map<string, Promise<MatrixPrincipal>>();
  return {
    world,
    principal(relation, privileged, privilege, kind, options = {}) {
      if (options.fresh) return create(relation, privileged, privilege, kind);
      const key = `${relation}/${privileged || !privilege ? '*' : privilege}/${kind}`;
      let principal = shared.get(key);
      if (!principal) {
        principal = create(relation, privileged, privilege, kind);
        shared.set(key, principal);
      }
      return principal;
    },
  };
}
