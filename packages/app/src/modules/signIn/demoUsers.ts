/** Demo users of examples/org.yaml offered on the development sign-in page. */
export interface DemoUser {
  /** Catalog user name, sent in the `x-mvr-demo-user` header. */
  name: string;
  displayName: string;
  role: string;
}

export const DEMO_USERS: DemoUser[] = [
  {
    name: 'alice',
    displayName: 'Alice',
    role: 'Compliance officer (voice-recording admin)',
  },
  {
    name: 'fiona',
    displayName: 'Fiona',
    role: 'Second compliance officer (admin): approves what Alice requests, e.g. releasing a legal hold',
  },
  { name: 'bob', displayName: 'Bob', role: 'Trader' },
  { name: 'carol', displayName: 'Carol', role: 'Trader' },
  { name: 'dave', displayName: 'Dave', role: 'Observer' },
  {
    name: 'erik',
    displayName: 'Erik',
    role: 'Trader, four-eyes (an observer confirms his access to recordings)',
  },
];

/** localStorage key remembering the chosen demo user across reloads. */
export const DEMO_USER_STORAGE_KEY = 'mvr.demoSignIn.user';
export const DEMO_USER_HEADER = 'x-mvr-demo-user';
export const DEMO_PROVIDER_ID = 'demo';
