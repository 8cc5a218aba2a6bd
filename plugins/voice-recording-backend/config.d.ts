export interface Config {
  /** Settings of the voice-recording (Mobile Voice Recording) backend. */
  voiceRecording?: {
    /**
     * ISO 3166 alpha-2 country used to read national numbers (0470 12 34 56).
     * Default: BE.
     */
    defaultCountry?: string;
    /** IANA time zone of new numbers' schedules. Default: Europe/Brussels. */
    defaultTimeZone?: string;
    /** Numbers whose calls are never recorded. Default: ['112', '100', '101']. */
    emergencyNumbers?: string[];
    /**
     * Groups whose members are voice-recording admins (read by the permission policy
     * module). Default: ['group:default/compliance'].
     */
    adminGroups?: string[];
    /**
     * Schedule given to a new number created without slots or planning model.
     * Default: one slot Mon-Fri 08:00-18:00.
     */
    defaultSlots?: Array<{
      /** ISO weekdays (1 = Monday) or a string such as "Mon-Fri". */
      weekdays: number[] | string;
      /** HH:mm */
      start: string;
      /** HH:mm, may be 24:00 */
      end: string;
    }>;
    /** SMS delivery of status-change notifications. */
    sms?: {
      /** An HTTP SMS gateway that accepts POST JSON `{ from, to, text }`. */
      http?: {
        url: string;
        /** @visibility secret */
        token?: string;
        /** Sender id or number. */
        from?: string;
        /** Per-attempt timeout in milliseconds. Default: 5000. */
        timeoutMs?: number;
        /** Retries after a 5xx answer or a network error. Default: 2. */
        retries?: number;
      };
    };
    /**
     * The installation's Ed25519 signing key (docs/integrity.md): signs every
     * recording, the audit trail's daily chain heads and export manifests. Set one of
     * the two; without either a key is generated on the first start into
     * `voice-recording-signing-key.pem` beside the storage directory (development only).
     */
    signing?: {
      /**
       * PKCS#8 PEM of an Ed25519 private key (`openssl genpkey -algorithm ed25519`).
       * @visibility secret
       */
      privateKey?: string;
      /** A file holding that PEM, absolute or relative to the working directory. */
      privateKeyFile?: string;
    };
    /** The integrity of the archive (docs/integrity.md). */
    integrity?: {
      /** The scheduled integrity sweep: re-hashes archives and checks their signatures. */
      sweep?: {
        /** Default: true. */
        enabled?: boolean;
        /** Share of the archive re-hashed per run, in (0, 1]. Default: 0.05. */
        share?: number;
        /**
         * How often: a duration (e.g. { hours: 24 }) or a cron expression. Default:
         * every 24 hours.
         */
        frequency?: string | { [unit: string]: number };
      };
    };
    /**
     * Encryption at rest of recorded audio, derived files and peaks (docs/encryption.md):
     * AES-256-GCM in 64 KiB segments, a data key per file wrapped by a key-encryption key.
     * Read by the portal and the SIPREC recorder: give both the same keys. Absent: files
     * are stored in plain, and the start fails if the storage holds encrypted files.
     */
    encryption?: {
      /**
       * Encrypt new files. Default: true when keys are configured. false writes new files
       * in plain and keeps reading encrypted ones with the configured keys.
       */
      enabled?: boolean;
      /** The key that wraps the data keys of new files. Default: the only key, when there is one. */
      activeKeyId?: string;
      /**
       * Key-encryption keys by id (1-64 letters, digits, `_ . -`). Keep every key whose id
       * files still use (see the rewrap command, docs/encryption.md, "Rotating keys").
       */
      keys?: Array<{
        /** Key id, written into each file's header. */
        id: string;
        /**
         * The key: 32 random bytes as base64 (`openssl rand -base64 32`). Set either
         * `key` or `keyFile`.
         * @visibility secret
         */
        key?: string;
        /** A file holding the key (32 raw bytes or their base64), relative to the working directory. */
        keyFile?: string;
        /**
         * Create `keyFile` with a random key when it is missing (the demo portal only: in
         * production the key lives outside the data directory and is backed up). Default: false.
         */
        createIfMissing?: boolean;
      }>;
      /** Plaintext bytes per encrypted segment of new files (16 to 16777216). Default: 65536. */
      segmentSize?: number;
    };
    /** Where recorded audio (and derived files: WAV, MP3, waveforms) is stored. */
    storage?: {
      local?: {
        /**
         * Directory of the local-file blob store, absolute or relative to the
         * backend's working directory. Default: ../../.data/recordings (the repository's
         * .data/recordings when the backend runs from packages/backend).
         */
        directory?: string;
      };
      /**
       * S3-compatible object storage (AWS S3, Ceph RADOS Gateway, MinIO, ...) instead of
       * local files; set either `local` or `s3`. See docs/object-storage.md.
       */
      s3?: {
        /** Bucket name (created beforehand; with Object Lock enabled for WORM). */
        bucket: string;
        /** Key prefix: '' (default) or segments ending in '/', e.g. 'bank-a/'. */
        prefix?: string;
        /** Endpoint URL, e.g. https://rgw.example.net; AWS S3 when omitted. */
        endpoint?: string;
        /** Region. Default: us-east-1. */
        region?: string;
        /** Path-style URLs (https://host/bucket/key); Ceph RGW and MinIO usually need it. Default: false. */
        forcePathStyle?: boolean;
        /** Static credentials; without them the default AWS credential chain is used. */
        credentials?: {
          /** @visibility secret */
          accessKeyId: string;
          /** @visibility secret */
          secretAccessKey: string;
          /** @visibility secret */
          sessionToken?: string;
        };
        /**
         * Object Lock retention given to every recording put (the bucket must have Object
         * Lock enabled). Omitted: none per object (a bucket default still applies).
         */
        objectLock?: {
          /** GOVERNANCE (privileged users may bypass) or COMPLIANCE (nobody can delete early). */
          mode: 'GOVERNANCE' | 'COMPLIANCE';
          /**
           * Whole days from the upload, for an archive whose conversation has no retention
           * end yet (the retention policies' end is used when known; docs/object-storage.md).
           */
          retentionDays: number;
          /**
           * Minutes between passes that mirror legal holds to S3 legal holds and lengthen
           * the archives' retention after a policy change (at least 1). Default: 5.
           */
          syncMinutes?: number;
        };
        /** Multipart part size in MiB (5 to 5120); also the single-upload threshold. Default: 8. */
        partSizeMegabytes?: number;
        /** Parts uploaded at once per recording (1 to 64). Default: 4. */
        partConcurrency?: number;
        /** Socket idle timeout of one request, in seconds. Default: 30. */
        requestTimeoutSeconds?: number;
      };
    };
    /**
     * Archive work of this process (docs/recorder.md "Compression", docs/deployment.md
     * "Archiver"): the compress jobs of the queue (interim WAV -> Ogg/Opus), taken by any
     * process that enables it.
     */
    archive?: {
      /**
       * Take compress jobs in this process. Default: true where a recorder (capture
       * module) runs, false in a portal-only process; true in the archiver
       * (app-config.archiver.yaml).
       */
      enabled?: boolean;
      /**
       * Opus encoder threads, at the lowest priority (nice 19), 1 to 64. Default:
       * voiceRecording.recorder.opus.encoderThreads when set, else the cores but one.
       */
      encoderThreads?: number;
      /** Compress jobs worked on at once (1 to 256). Default: encoderThreads. */
      concurrency?: number;
      /**
       * Seconds between the scans that enqueue a job for archives awaiting compression
       * that have none (registered before the queue, or their enqueue failed), 1 to
       * 86400. Default: 60.
       */
      scanIntervalSeconds?: number;
      /**
       * Whole days a done archive job is kept (the queue's history) before the hourly
       * purge deletes it, 0 to 3650 (docs/deployment.md "Archive work queue"). Read by
       * whichever instance runs the purge: set it alike everywhere. Default: 7.
       */
      doneJobsKeepDays?: number;
    };
    /** The access-request workflow of cases. */
    accessRequests?: {
      /**
       * Require the approval of the requester's manager before an admin's approval
       * takes effect. The manager is read from the catalog: the annotation
       * `voice-recording/manager` (an entity ref) of the user, else of their groups
       * (team groups first), else the `ownedBy` relation of their team group.
       * Default: false.
       */
      managerApproval?: boolean;
      /**
       * The longest an access request may run: its expiration date (`expiresAt`) at
       * most this many days after the request is made (else HTTP 400 naming
       * `expiresAt`); the request form offers no later date. Whole days, 1 to 3650.
       * Default: 90.
       */
      maxExpiryDays?: number;
    };
    fourEyes?: {
      /**
       * How long a four-eyes user may open recordings once an observer confirmed their
       * session, in minutes (1 to 1440). Default: 60.
       */
      sessionMinutes?: number;
    };
    recordingHealth?: {
      /**
       * IANA time zone of the coverage's calendar days, of the API's from/to/day and of
       * the assurance report's times. Default: voiceRecording.defaultTimeZone.
       */
      timeZone?: string;
      /** Coverage per recorded number and day (docs/configuration.md "Recording coverage"). */
      coverage?: {
        /** Run the coverage task on this backend. Default: true. */
        enabled?: boolean;
        /** Minutes between two runs (1 to 1440). Default: 5. */
        frequencyMinutes?: number;
        /** Days back a number without coverage is computed on the first run (1 to 3650). Default: 90. */
        backfillDays?: number;
      };
      /** The daily recording assurance report. */
      report?: {
        /** Notify the admins every day that yesterday's report is ready. Default: false. */
        notify?: boolean;
        /** Local time HH:mm (in timeZone) from which the report is announced. Default: 06:00. */
        notifyAt?: string;
      };
      /**
       * Recording alarms (docs/configuration.md "Recording alarms"): evaluated every few
       * minutes by one backend instance, told to the admins (voiceRecording.adminGroups)
       * as Backstage notifications, re-raised while they last, resolved automatically.
       */
      alarms?: {
        /** Evaluate alarms at all. Default: true. */
        enabled?: boolean;
        /** Minutes between two evaluations (1 to 1440). Default: 5. */
        evaluationMinutes?: number;
        /** Hours after which an open alarm that lasts is notified again (1 to 720). Default: 24. */
        reRaiseHours?: number;
        silentNumber?: {
          /**
           * Expected-recording hours (professional mode by schedule or manual status,
           * MVR active) without a recorded call before a number is flagged silent.
           * Default: 24 (three working days of 8 hours).
           */
          expectedHours?: number;
        };
        refusals?: {
          /** The window refusals are counted over, in hours. Default: 24. */
          windowHours?: number;
          /** Refused calls in the window before the share counts. Default: 5. */
          minRefused?: number;
          /** Share of refused calls among refused and recorded ones (0.01 to 1). Default: 0.2. */
          share?: number;
          /**
           * Refusal reasons that are the recording rules at work, not a problem.
           * Default: mvr-inactive, manual-private, outside-schedule, emergency-number,
           * simultaneous-calls, unknown-number.
           */
          ignoredReasons?: string[];
        };
        failedQuality?: {
          /** The window checked calls are looked at over, in hours. Default: 24. */
          windowHours?: number;
          /** Flag when the last N checked calls of the window all failed. Default: 3. */
          consecutive?: number;
          /** Or when this share of them failed (0.01 to 1)... Default: 0.5. */
          share?: number;
          /** ...among at least this many checked calls. Default: 4. */
          minCalls?: number;
        };
        idleRecorder?: {
          /** A recorder instance that took no call for this many minutes... Default: 30. */
          idleMinutes?: number;
          /** ...while its peers took at least this many calls. Default: 10. */
          minPeerCalls?: number;
        };
      };
    };
    /** Regulator and client exports (docs/regulator-export.md). */
    exports?: {
      /** Days a done export package is kept before it is deleted (1 to 365). Default: 7. */
      expiryDays?: number;
      /** Build export packages on this backend instance. Default: true. */
      worker?: boolean;
    };
    /**
     * Retention and disposal (docs/retention.md): how long recordings are kept and the
     * job that disposes of them afterwards.
     */
    retention?: {
      /**
       * The regulatory minimum, an ISO 8601 period of years, months and days: no
       * conversation is ever kept shorter (policies shorter than it never win; a
       * conversation no policy applies to is kept this long). Default: P5Y (MiFID II).
       */
      minimumPeriod?: string;
      /**
       * Policies declared here (read-only in the portal; the portal adds its own). The
       * longest applicable one wins. Neither `groups` nor `numbers`: the default policy.
       */
      policies?: Array<{
        /** Unique name (1 to 100 characters), e.g. "MiFID II". */
        name: string;
        /** ISO 8601 period, e.g. P5Y, P7Y, P1Y6M. */
        period: string;
        /** Catalog groups (their members and child groups' members), e.g. group:default/trading. */
        groups?: string[];
        /** Recorded numbers (E.164). */
        numbers?: string[];
      }>;
      disposal?: {
        /** Run the scheduled disposal job (one instance at a time). Default: true. */
        enabled?: boolean;
        /** Minutes between two runs (1 to 10080). Default: 60. */
        frequencyMinutes?: number;
        /** Conversations per batch: one claim, one transaction, one audit entry (1 to 5000). Default: 500. */
        batchSize?: number;
        /** At most this many conversations per run. Default: 100000. */
        maxPerRun?: number;
        /** Files deleted in parallel within a batch (1 to 64). Default: 8. */
        deleteConcurrency?: number;
      };
    };
    /** The tamper-evident audit trail (docs/audit-trail.md). */
    auditTrail?: {
      /**
       * Breaks of the hash chain accepted after an investigation: the entry numbers
       * (`seq`) a verification named. The verification reports them in
       * `acceptedBreaks` and goes on past them, and the daily heads are signed again.
       * Default: none.
       */
      acceptedBreaks?: number[];
    };
    demoData?: {
      /**
       * YAML file with planning models and numbers loaded at startup when the
       * plugin's tables are empty (see examples/voice-recording.yaml).
       */
      file?: string;
    };
  };
}
