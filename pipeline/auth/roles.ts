/** The roles (a module of its own: the account and token schemas use them as they load). */
export const ROLES = ['regulator', 'investigator', 'data_scientist', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}
