import { render, screen } from '@testing-library/react';

describe('App', () => {
  it('starts on the demo sign-in page listing the demo users', async () => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'Mobile Voice Recording' },
            backend: { baseUrl: 'http://localhost:7007' },
            // the demo picker is offered only in development (signInMode.ts)
            auth: { environment: 'development' },
          },
          context: 'test',
        },
      ] as any,
    };
    window.localStorage.clear();
    // Imported after APP_CONFIG is set: the app reads its config when created.
    const { default: App } = await import('./App');

    render(App.createRoot());

    expect(
      await screen.findByRole(
        'button',
        { name: 'Sign in as Alice' },
        { timeout: 90_000 },
      ),
    ).toBeInTheDocument();
    for (const name of ['Bob', 'Carol', 'Dave']) {
      expect(
        screen.getByRole('button', { name: `Sign in as ${name}` }),
      ).toBeInTheDocument();
    }
  }, 120_000);
});
