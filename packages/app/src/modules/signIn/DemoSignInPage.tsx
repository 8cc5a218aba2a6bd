import { useCallback, useState } from 'react';
import {
  Content,
  ContentHeader,
  ErrorPanel,
  Header,
  InfoCard,
  Page,
  ProxiedSignInPage,
} from '@backstage/core-components';
import {
  BackstageUserIdentity,
  IdentityApi,
  ProfileInfo,
} from '@backstage/core-plugin-api';
import { SignInPageProps } from '@backstage/plugin-app-react';
import Button from '@material-ui/core/Button';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemSecondaryAction from '@material-ui/core/ListItemSecondaryAction';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import {
  DEMO_PROVIDER_ID,
  DEMO_USER_HEADER,
  DEMO_USER_STORAGE_KEY,
  DEMO_USERS,
} from './demoUsers';

function readStoredUser(): string | undefined {
  try {
    const stored = window.localStorage.getItem(DEMO_USER_STORAGE_KEY);
    return DEMO_USERS.some(u => u.name === stored) ? stored! : undefined;
  } catch {
    return undefined;
  }
}

function storeUser(name: string | undefined) {
  try {
    if (name) {
      window.localStorage.setItem(DEMO_USER_STORAGE_KEY, name);
    } else {
      window.localStorage.removeItem(DEMO_USER_STORAGE_KEY);
    }
  } catch {
    // Storage unavailable (private mode): the choice just isn't remembered.
  }
}

/** Identity of a demo sign-in whose sign-out forgets the remembered user. */
class DemoIdentity implements IdentityApi {
  constructor(private readonly inner: IdentityApi) {}
  getProfileInfo(): Promise<ProfileInfo> {
    return this.inner.getProfileInfo();
  }
  getBackstageIdentity(): Promise<BackstageUserIdentity> {
    return this.inner.getBackstageIdentity();
  }
  getCredentials(): Promise<{ token?: string }> {
    return this.inner.getCredentials();
  }
  async signOut(): Promise<void> {
    storeUser(undefined);
    await this.inner.signOut();
  }
}

/**
 * DEVELOPMENT ONLY sign-in page: pick one of the demo users and sign in through the
 * backend's `demo` auth provider, which exists only when auth.environment is
 * `development`. The choice is kept in localStorage so a reload keeps the session.
 */
export const DemoSignInPage = (props: SignInPageProps) => {
  const [user, setUser] = useState<string | undefined>(readStoredUser);
  const { onSignInSuccess } = props;

  const choose = useCallback((name: string | undefined) => {
    storeUser(name);
    setUser(name);
  }, []);

  const handleSuccess = useCallback(
    (identity: IdentityApi) => onSignInSuccess(new DemoIdentity(identity)),
    [onSignInSuccess],
  );

  if (user) {
    return (
      <ProxiedSignInPage
        key={user}
        {...props}
        provider={DEMO_PROVIDER_ID}
        headers={{ [DEMO_USER_HEADER]: user }}
        onSignInSuccess={handleSuccess}
        ErrorComponent={({ error }) => (
          <Page themeId="home">
            <Header title="Mobile Voice Recording" subtitle="Demo sign-in" />
            <Content>
              <ErrorPanel
                title={`Could not sign in as ${user}`}
                error={error ?? new Error('Unknown error')}
              />
              <Button
                variant="contained"
                color="primary"
                onClick={() => choose(undefined)}
                style={{ marginTop: 16 }}
              >
                Choose another user
              </Button>
            </Content>
          </Page>
        )}
      />
    );
  }

  return (
    <Page themeId="home">
      <Header title="Mobile Voice Recording" subtitle="Demo sign-in" />
      <Content>
        <ContentHeader title="Choose a demo user" />
        <InfoCard title="Demo users">
          <Typography variant="body2" paragraph>
            Development only: signs in as the chosen catalog user without a
            password. Production uses the company's identity provider.
          </Typography>
          <List aria-label="Demo users">
            {DEMO_USERS.map(demoUser => (
              <ListItem key={demoUser.name} divider>
                <ListItemText
                  primary={demoUser.displayName}
                  secondary={demoUser.role}
                />
                <ListItemSecondaryAction>
                  <Button
                    variant="contained"
                    color="primary"
                    onClick={() => choose(demoUser.name)}
                  >
                    Sign in as {demoUser.displayName}
                  </Button>
                </ListItemSecondaryAction>
              </ListItem>
            ))}
          </List>
        </InfoCard>
      </Content>
    </Page>
  );
};
