export interface Config {
  voiceRecording?: {
    /** The SIPREC recorder (Session Recording Server, RFC 7866). */
    recorder?: {
      /** Default true. */
      enabled?: boolean;
      /** Address the SIP and RTP sockets bind to. Default 0.0.0.0. */
      bindAddress?: string;
      /** Address put in SDP answers and Contact (reachable by the SRC). Default: the bind address, or the first external IPv4 address. */
      advertisedAddress?: string;
      /** Recorder instance name stored on conversations. Default: host name. */
      instanceId?: string;
      /**
       * Every this many seconds the recording decision is taken again for the calls in
       * progress (one lookup per recorded number): a number switched to private mode,
       * deactivated or deleted stops its calls' recording within one interval even when
       * the recorder was not told (no events bus to the portal). Skipped while the
       * database is down. Default 60; 0 = never.
       */
      policyRecheckSeconds?: number;
      /**
       * Graceful drain when the backend is told to stop (SIGTERM): OPTIONS and the health
       * endpoint answer 503 `draining` at once, new INVITEs get 503 with Retry-After (a
       * dispatcher or SBC moves on to another recorder), and the calls in progress run on
       * to their BYE for up to `timeoutSeconds`; the calls still running then are ended
       * (`shutdown`). A second SIGTERM ends the drain at once. Give the supervisor
       * (Kubernetes `terminationGracePeriodSeconds`, systemd `TimeoutStopSec`) more than this.
       */
      drain?: {
        /** Default 120; 0 = no drain (calls in progress are ended at once). */
        timeoutSeconds?: number;
      };
      /**
       * Uploads to object storage, when `voiceRecording.storage.s3` is set: finished
       * recordings are staged in `storage.archiveDir` and uploaded by this recorder's
       * `upload` jobs (verified by a re-read, then the local file is deleted). An object
       * store outage only delays them: they retry with back-off and calls go on being
       * recorded (docs/object-storage.md, "The recorder's upload queue").
       */
      upload?: {
        /** Uploads at a time (1 to 64). Default 2. */
        concurrency?: number;
        /** First retry after a failed attempt, seconds; each next one waits twice as long. Default 5. */
        retryMinSeconds?: number;
        /** Longest wait between attempts, seconds. Default 300. */
        retryMaxSeconds?: number;
        /** Attempts before a job is dead (shown to admins). Default 10000: an outage never kills an upload. */
        maxAttempts?: number;
        /** Log a warning (once a minute at most) while the oldest staged recording is older than this, seconds. Default 600. */
        warnAfterSeconds?: number;
      };
      sip?: {
        /** UDP and TCP port. Default 5060. */
        port?: number;
        /** Default ['udp', 'tcp']. */
        transports?: Array<'udp' | 'tcp'>;
        /**
         * SIP over TLS (TLS 1.2+), on its own port. Present = listening; the files are
         * checked at startup (the error names the key). Each file value is a path of a
         * PEM file, or PEM text when the value starts with `-----BEGIN`.
         */
        tls?: {
          /** TCP port of SIP over TLS. Default 5061. */
          port?: number;
          /** PEM file: the recorder's certificate, then any intermediates (leaf first). */
          certificate?: string;
          /**
           * PEM file: the certificate's private key (not encrypted).
           * @visibility secret
           */
          privateKey?: string;
          /** PEM file: CA certificate(s) that SBC client certificates must chain to (with requestClientCertificate). */
          ca?: string;
          /** Require a client certificate signed by `ca` from every SBC. Default false. */
          requestClientCertificate?: boolean;
        };
        /** Limits and deadlines of each TCP and TLS listener (floods, slowloris). */
        connections?: {
          /**
           * Connections open at once, TLS handshakes included. At the limit the oldest
           * connection that never completed a SIP message is closed for the new one. Default 1024.
           */
          maxConnections?: number;
          /** Connections from one IP address; more are closed at once. Default 256 (at most maxConnections). */
          maxConnectionsPerAddress?: number;
          /** A message must arrive whole within this many seconds of its first byte. Default 10. */
          messageTimeoutSeconds?: number;
          /** A new connection must complete its first message within this many seconds. Default 30. */
          firstMessageTimeoutSeconds?: number;
          /** Close a connection after this many seconds without a byte; 0 = never. Default 900. */
          idleTimeoutSeconds?: number;
        };
      };
      rtp?: {
        /** First RTP port (even ports are used). Default: ephemeral ports. */
        portMin?: number;
        /** Last RTP port. */
        portMax?: number;
        /** A call without RTP for this long (not on hold) is ended. Default 30; 0 = never. */
        inactivityTimeoutSeconds?: number;
      };
      storage?: {
        /** Crash-safe call journals of calls in progress. Default ./.data/journal. */
        journalDir?: string;
        /** Finished recordings. Default ./.data/recordings. */
        archiveDir?: string;
        /** New calls are refused (503) below this free space. Default 64. */
        minFreeMegabytes?: number;
        /**
         * How call journals reach the disk. filesystem (default): every call's second goes to
         * the page cache and one syncfs of the journal directory's file system makes the
         * journals of a tick durable together (needs the native addon built by
         * scripts/build-native-rtp.sh; without it, file). file: each journal's writes are
         * durable by themselves (O_DSYNC), one wait for the disk per call and second.
         */
        journalSync?: 'filesystem' | 'file';
      };
      /** opus (default, Ogg/Opus stereo ~16 kbit/s) or wav-g711 (lossless G.711 stereo WAV). */
      archiveFormat?: 'opus' | 'wav-g711';
      /** Ogg/Opus archive encoder (archiveFormat opus). */
      opus?: {
        /**
         * Opus layer: celt (default; a third of SILK's CPU per second of speech, unconstrained
         * VBR) or silk (the default before: smaller files in conversation, more CPU).
         */
        layer?: 'celt' | 'silk';
        /**
         * Target bit rate of both channels together (bit/s). Default per layer: celt 18800,
         * silk 15000 (either ≤ 7.2 MB per hour on a continuous signal, ~3–4.5 MB in conversation).
         */
        bitrate?: number;
        /** libopus complexity 0–10. Default 0 (half the CPU of 5, same size, same waveform correlation). */
        complexity?: number;
        /**
         * Encoder worker threads; 0 encodes on the event loop (call-end only). Default: cores − 1,
         * at least 1. Also the default of voiceRecording.archive.encoderThreads (the compress jobs).
         */
        encoderThreads?: number;
        /**
         * background (default): a call is registered at its end with a lossless WAV and a
         * compress job, which a process taking archive jobs (this recorder by default, another
         * recorder, a portal or an archiver: voiceRecording.archive) replaces with the Opus file
         * on lowest-priority encoder threads, with these opus settings (both hashes audited).
         * call-end: encoded before the call is registered.
         */
        encode?: 'background' | 'call-end';
        /** Opus frame duration in ms: 20, 40 or 60. Default 60 (less CPU, smaller files, the same or better fidelity than 20). */
        frameMs?: 20 | 40 | 60;
        /**
         * Skip the encoder on silent frames (below -60 dBFS, away from speech onsets and
         * tails): they are written as 1-byte DTX packets, the timeline stays exact. Default true.
         */
        skipSilence?: boolean;
      };
      /**
       * The quality check made as each call is archived (verdict ok / warning / failed
       * with reasons, stored with the conversation; docs/recorder.md).
       */
      qualityCheck?: {
        /** Default true. */
        enabled?: boolean;
        /** A side with speech in less of its 20 ms frames is silent (0..1). Default 0.02. */
        silentMaxSpeechShare?: number;
        /** Lost packets (% of those sent) from which the verdict is a warning. Default 5. */
        packetLossWarningPercent?: number;
        /** Lost packets (%) from which the verdict is failed. Default 20. */
        packetLossFailedPercent?: number;
        /** Packets too late for the jitter buffer (% of those received): warning. Default 5. */
        latePacketsWarningPercent?: number;
        /** Interarrival jitter (ms), when the figures hold one: warning. Default 60. */
        jitterWarningMs?: number;
        /** Clipped frames (% of a side's speech frames): warning. Default 5. */
        clippingWarningPercent?: number;
        /** Calls shorter than this (s): warning. Default 3. */
        minDurationSeconds?: number;
        /** RTP lost on a stream for this long at a stretch (s): warning. Default 5. */
        maxGapSeconds?: number;
      };
      sessionTimer?: {
        /** Smallest Session-Expires accepted (s). Default 90. */
        minSE?: number;
        /** Largest Session-Expires agreed (s). Default 7200. */
        maxInterval?: number;
      };
    };
  };
}
