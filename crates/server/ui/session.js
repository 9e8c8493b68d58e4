// Who is signed in (from GET /whoami) and what their role lets them do.

const RANK = { viewer: 0, operator: 1, editor: 2, admin: 3 };

/** @type {{tenant: string, role: string, installation_admin: boolean, token_id: ?string}|null} */
export const session = { who: null };

/**
 * Whether the current role may do something needing `role`:
 * operator (trigger, clear, mark, pause), editor (variables, connections, pools), admin (tokens).
 * @param {'viewer'|'operator'|'editor'|'admin'} role
 */
export function can(role) {
  const who = session.who;
  if (!who) return false;
  if (who.installation_admin) return true;
  return (RANK[who.role] ?? -1) >= (RANK[role] ?? 99);
}

/** Title for a disabled control the role may not use. */
export function needs(role) {
  return `Needs the ${role} role`;
}
