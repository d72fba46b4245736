import { AppShell, Burger, Button, Group, Menu, NavLink, ScrollArea, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { Me } from '../api/types.ts';
import { BrandMark } from '../brand/BrandMark.tsx';
import { useCurrentUnitId } from '../hierarchy/unit-queries.ts';
import { handleLinkClick, navigate, useLocation } from '../routing/router.tsx';
import { buildPath } from '../routing/routes.ts';
import { signOut } from '../session/sign-out.ts';
import { hasPrivilege } from '../session/use-me.ts';
import { navigationSections } from './navigation.ts';

/** The signed-in frame: brand and user menu on top, the sections on the left, the screen in the middle. */
export function Shell({ me, children }: { me: Me; children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const unitId = useCurrentUnitId();
  const queryClient = useQueryClient();
  const unitQuery = location.query.get('unit') ? { unit: unitId ?? undefined } : {};

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Show the navigation" />
            <UnstyledButton
              component="a"
              href="/units"
              onClick={(event) => handleLinkClick(event, '/units')}
              aria-label="Home"
            >
              <BrandMark />
            </UnstyledButton>
          </Group>
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <Button variant="subtle" aria-label={`Account menu of ${me.user.displayName}`} data-testid="user-menu">
                <Text size="sm" truncate maw={220}>
                  {me.user.displayName}
                </Text>
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>{me.user.email}</Menu.Label>
              <Menu.Item onClick={() => navigate('/account')}>Account and security</Menu.Item>
              <Menu.Item color="red" onClick={() => void signOut(queryClient).then(() => navigate('/units'))}>
                Sign out
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Sections">
        <ScrollArea>
          <nav>
            {navigationSections.map((section) => {
              const items = section.items.filter((item) => hasPrivilege(me, item.privilege));
              if (items.length === 0) return null;
              return (
                <div key={section.title ?? 'main'}>
                  {section.title ? (
                    <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="md" pb={4}>
                      {section.title}
                    </Text>
                  ) : null}
                  {items.map((item) => {
                    const to = buildPath(item.path, {}, unitQuery);
                    const active = location.path === item.path || location.path.startsWith(`${item.path}/`);
                    return (
                      <NavLink
                        key={item.path}
                        component="a"
                        href={to}
                        label={item.label}
                        active={active}
                        aria-current={active ? 'page' : undefined}
                        onClick={(event) => {
                          handleLinkClick(event, to);
                          close();
                        }}
                      />
                    );
                  })}
                </div>
              );
            })}
          </nav>
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
