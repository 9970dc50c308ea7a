/**
 * The tour's cast. Everyone is made up and every address is on a domain reserved for examples
 * (RFC 2606), so the demo never carries anyone's real personal data. User ids get a per-run
 * suffix: the data of `npm start` survives restarts, and each run should start its own story.
 */
export interface TeamMember {
  readonly name: string;
  readonly role: 'owner' | 'admin' | 'member';
  readonly sub: string;
  readonly email: string;
}

export interface Customer {
  readonly name: string;
  readonly email: string;
  readonly phone: string;
}

export function teamFor(run: string): { owner: TeamMember; admin: TeamMember; member: TeamMember } {
  return {
    owner: {
      name: 'Olivia (owner)',
      role: 'owner',
      sub: `demo-olivia-${run}`,
      email: 'olivia.owner@example.com',
    },
    admin: { name: 'Adam (admin)', role: 'admin', sub: `demo-adam-${run}`, email: 'adam.admin@example.com' },
    member: { name: 'Mia (member)', role: 'member', sub: `demo-mia-${run}`, email: 'mia.member@example.com' },
  };
}

/** Data subjects: the organization's customers. Phone numbers are from Ofcom's drama range. */
export const JANE: Customer = { name: 'Jane Roe', email: 'jane.roe@example.net', phone: '+442079460001' };
export const JOHN: Customer = { name: 'John Doe', email: 'john.doe@example.net', phone: '+442079460002' };
/** Jane's corrected address (rectification). */
export const JANE_NEW_EMAIL = 'jane.roe@example.org';

export const ORG_NAME = 'Fixit Repairs (demo)';
/** The backup password Olivia chooses (12+ characters). */
export const BACKUP_PASSWORD = 'correct horse battery staple';
