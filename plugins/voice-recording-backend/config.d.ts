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
    demoData?: {
      /**
       * YAML file with planning models and numbers loaded at startup when the
       * plugin's tables are empty (see examples/voice-recording.yaml).
       */
      file?: string;
    };
  };
}
