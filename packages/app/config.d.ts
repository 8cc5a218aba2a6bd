export interface Config {
  app?: {
    /** The portal's sign-in page (packages/app/src/modules/signIn, docs/auth.md). */
    signIn?: {
      /**
       * Identity providers offered on the sign-in page outside development (when
       * `auth.environment` is not `development` or the demo sign-in is disabled).
       * Default: the OpenID Connect provider `oidc` (`auth.providers.oidc`).
       * @visibility frontend
       */
      providers?: Array<{
        /**
         * Backend auth provider id; `oidc` is the one the app supports.
         * @visibility frontend
         */
        id: 'oidc';
        /**
         * Button card title. Default "Company account".
         * @visibility frontend
         */
        title?: string;
        /**
         * Text of the card. Default "Sign in with your company account".
         * @visibility frontend
         */
        message?: string;
      }>;
    };
  };
  voiceRecording?: {
    demoSignIn?: {
      /**
       * The development-only demo sign-in (needs `auth.environment: development`
       * too). Default true; false removes it from the backend and the sign-in page.
       * @visibility frontend
       */
      enabled?: boolean;
    };
  };
}
