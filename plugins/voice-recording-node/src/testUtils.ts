/*
 * Test helpers for other packages' tests (`@mvr/plugin-voice-recording-node/testUtils`):
 * the S3 test server (a Ceph RGW named by MVR_TEST_S3_*), fresh buckets with or without
 * Object Lock, and their removal. Only for tests: it uses jest's globals.
 */
export {
  createTestBucket,
  describeWithS3,
  removeTestBucket,
  s3AdminClient,
  s3StoreOptions,
  s3TestServer,
  S3_SKIP_MESSAGE,
} from './testing/s3TestServer';
export type { S3TestServer } from './testing/s3TestServer';
