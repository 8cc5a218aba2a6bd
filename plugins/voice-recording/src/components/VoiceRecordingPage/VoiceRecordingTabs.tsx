import { Tab, Tabs } from '@material-ui/core';
import { Link, useLocation } from 'react-router-dom';

export interface TabDef {
  path: string;
  label: string;
}

/** Tabs that are links to the page's sub-routes (relative to `basePath`). */
export function VoiceRecordingTabs(props: {
  basePath: string;
  tabs: TabDef[];
}) {
  const { pathname } = useLocation();
  const rest = pathname.startsWith(props.basePath)
    ? pathname.slice(props.basePath.length)
    : pathname;
  const segment = rest.replace(/^\/+/, '').split('/')[0];
  const active = props.tabs.find(t => t.path === segment)?.path ?? false;
  return (
    <Tabs
      value={active}
      indicatorColor="primary"
      textColor="primary"
      aria-label="Voice recording sections"
    >
      {props.tabs.map(t => (
        <Tab
          key={t.path}
          value={t.path}
          label={t.label}
          component={Link}
          to={`${props.basePath.replace(/\/$/, '')}/${t.path}`}
        />
      ))}
    </Tabs>
  );
}
