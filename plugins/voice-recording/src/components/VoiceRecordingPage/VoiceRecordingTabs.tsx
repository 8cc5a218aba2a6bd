import { Tab, TabList, Tabs } from '@backstage/ui';

export interface TabDef {
  path: string;
  label: string;
}

/**
 * Tabs that are links to the page's sub-routes (relative to `basePath`). The tab whose
 * path starts the current URL is selected (`/numbers/42` selects "Numbers").
 */
export function VoiceRecordingTabs(props: {
  basePath: string;
  tabs: TabDef[];
}) {
  const base = props.basePath.replace(/\/$/, '');
  return (
    <Tabs>
      <TabList aria-label="Voice recording sections">
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
    </Tabs>
  );
}
