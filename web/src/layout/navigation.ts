/** One entry of the side navigation: shown when the principal's role holds `privilege`. */
export interface NavigationItem {
  path: string;
  label: string;
  privilege: string;
}

export interface NavigationSection {
  title: string | null;
  items: NavigationItem[];
}

/** The console's sections, in the order of the side navigation. */
export const navigationSections: NavigationSection[] = [
  {
    title: null,
    items: [
      { path: '/units', label: 'Hierarchy', privilege: 'bu.read' },
      { path: '/sources', label: 'Data sources', privilege: 'datasource.read' },
      { path: '/consumption', label: 'Consumption', privilege: 'bu.read' },
      { path: '/billing', label: 'Billing', privilege: 'billing.read' },
      { path: '/reports', label: 'Reports and alerts', privilege: 'report.read' },
    ],
  },
  {
    title: 'Administration',
    items: [
      { path: '/admin/users', label: 'Users', privilege: 'user.read' },
      { path: '/admin/roles', label: 'Roles', privilege: 'role.read' },
      { path: '/admin/api-keys', label: 'API keys', privilege: 'apikey.read' },
      { path: '/admin/audit', label: 'Audit log', privilege: 'audit.read' },
    ],
  },
];
