import { useMemo } from 'react';
import {
  Content,
  ErrorPanel,
  Header,
  Page,
  SignInPage,
} from '@backstage/core-components';
import { configApiRef, useApi } from '@backstage/frontend-plugin-api';
import { SignInPageProps } from '@backstage/plugin-app-react';
import { DemoSignInPage } from './DemoSignInPage';
import { oidcAuthApiRef } from './oidcAuthApi';
import { readSignInMode } from './signInMode';

/**
 * The portal's sign-in page: the demo user picker in development only, otherwise the
 * configured identity providers (`app.signIn.providers`, default OIDC). See
 * docs/auth.md.
 */
export const PortalSignInPage = (props: SignInPageProps) => {
  const configApi = useApi(configApiRef);
  const mode = useMemo(() => {
    try {
      return readSignInMode(configApi);
    } catch (error) {
      return error as Error;
    }
  }, [configApi]);

  if (mode instanceof Error) {
    return (
      <Page themeId="home">
        <Header title="Mobile Voice Recording" subtitle="Sign-in" />
        <Content>
          <ErrorPanel title="Sign-in is not configured" error={mode} />
        </Content>
      </Page>
    );
  }
  if (mode.kind === 'demo') {
    return <DemoSignInPage {...props} />;
  }
  return (
    <SignInPage
      {...props}
      title="Mobile Voice Recording"
      align="center"
      providers={mode.providers.map(provider => ({
        id: `${provider.id}-auth-provider`,
        title: provider.title,
        message: provider.message,
        apiRef: oidcAuthApiRef,
      }))}
    />
  );
};
