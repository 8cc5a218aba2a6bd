export interface Config {
  voiceRecording?: {
    /**
     * The suite's ready-made permission policy
     * (`@mvr/plugin-permission-backend-module-voice-recording`).
     */
    permissionPolicy?: {
      /**
       * What the policy answers for every permission of other plugins (catalog,
       * scaffolder, notifications, ...): `deny` (the default: nothing is opened up
       * unless the portal chooses to) or `allow` (to everybody signed in). Catalog
       * entity permissions get this answer AND the suite's restriction (recorded-number
       * entities only for their owner and the voice-recording admins).
       */
      otherPermissions?: 'deny' | 'allow';
    };
  };
}
