import { ReactNode } from 'react';
import { useLocation } from 'react-router-dom';
import { Tab, TabList, TabPanel, Tabs } from '@backstage/ui';

export interface TabDef {
  path: string;
  label: string;
}

/**
 * Tabs that are links to the page's sub-routes (relative to `basePath`). The tab whose
 * path starts the current URL is selected (`/numbers/42` selects "Numbers"), and the
 * section's content (`children`) is its tab panel, so that each tab controls an element
 * that exists (`aria-controls`). A page that is no tab's (a standard user's own number,
 * `/numbers/42`, without a Numbers tab) is shown without a selected tab (key `''`, as
 * Backstage UI's own routed tabs do). The selection is given from the first render, so
 * the section's content is mounted once, in its panel. Used for the plugin's sections
 * and for the Workflows tab's own sections.
 */
export function VoiceRecordingTabs(props: {
  basePath: string;
  tabs: TabDef[];
  /** The tab list's accessible name. Default: "Voice recording sections". */
  label?: string;
  children?: ReactNode;
}) {
  const base = props.basePath.replace(/\/$/, '');
  const { pathname } = useLocation();
  const selected = props.tabs.find(t => {
    const path = `${base}/${t.path}`;
    return pathname === path || pathname.startsWith(`${path}/`);
  });
  return (
    <>
      <Tabs selectedKey={selected?.path ?? ''}>
        {/* an admin's twelve sections are wider than a 1024 px window beside the
            sidebar: the tab row scrolls on its own, never the page */}
        <div style={{ overflowX: 'auto', maxWidth: '100%' }}>
          <TabList aria-label={props.label ?? 'Voice recording sections'}>
            {props.tabs.map(t => (
              <Tab
                key={t.path}
                id={t.path}
                href={`${base}/${t.path}`}
                matchStrategy="prefix"
              >
                {t.label}
              </Tab>
            ))}
          </TabList>
        </div>
        {selected && (
          <TabPanel
            // a new panel per section: react-aria keeps a panel's first id when only
            // its `id` prop changes, so after a click on another tab that tab would
            // control a panel id that no longer exists
            key={selected.path}
            id={selected.path}
            style={{ paddingInline: 0, minWidth: 0 }}
          >
            {props.children}
          </TabPanel>
        )}
      </Tabs>
      {!selected && props.children}
    </>
  );
}
