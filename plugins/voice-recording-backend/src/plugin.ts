import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import {
  ConversationLegalHold,
  voiceRecordingPermissions,
} from '@mvr/plugin-voice-recording-common';
import {
  ArchiveJobQueue,
  createBlobStoreFromConfig,
  LocalFileBlobStore,
  openRecordingBlobStore,
  openRecordingBlobStoreWhenReachable,
  s3StoreOf,
  VoiceRecordingPolicyHandler,
  voiceRecordingCasePermissionRules,
  voiceRecordingCaseResourceRef,
  voiceRecordingConversationPermissionRules,
  voiceRecordingConversationResourceRef,
  CaptureSource,
  StatusChangeNotifier,
  voiceRecordingCaptureExtensionPoint,
  voiceRecordingNotifierExtensionPoint,
  VOICE_RECORDING_HEALTH_TOPIC,
} from '@mvr/plugin-voice-recording-node';
import { CaptureSources, createCaptureContext } from './capture';
import {
  archiveWorkFromConfig,
  mp3DeriveHandler,
  readArchiveWorkConfig,
} from './archive';
import { ArchiveJobsStore } from './database/ArchiveJobsStore';
import { NumberChanges } from './capture/numberChanges';
import { readVoiceRecordingConfig } from './config';
import {
  applyDatabaseMigrations,
  cacheSqliteStatements,
  KnexAuditLogStore,
  KnexNumbersStore,
  KnexPlanningModelsStore,
} from './database';
import { KnexConversationsStore } from './database/ConversationsStore';
import { loadDemoData } from './demoData';
import { BackstageNotificationNotifier } from './notifiers/BackstageNotificationNotifier';
import { HttpSmsGatewayNotifier } from './notifiers/HttpSmsGatewayNotifier';
import { NotificationDispatcher } from './notifiers/NotificationDispatcher';
import {
  voiceRecordingNumberPermissionRules,
  voiceRecordingNumberResourceRef,
} from './permissions';
import { AccessControl } from './service/AccessControl';
import { AuditRecorder } from './service/AuditRecorder';
import { BulkScheduleService } from './service/bulk/BulkScheduleService';
import { ServiceContext } from './service/context';
import { NumbersService } from './service/NumbersService';
import { PlanningModelsService } from './service/PlanningModelsService';
import { PolicyService } from './service/PolicyService';
import { ServicePrincipalPermissions } from './service/ServicePrincipalPermissions';
import { createRouter } from './service/router';
import { archiveJobsAdmin } from './service/archiveJobs/archiveJobsPurge';
import { ConversationSearchStore } from './database/ConversationSearchStore';
import { ConversationsService } from './service/conversations/ConversationsService';
import { PeopleResolver } from './service/conversations/PeopleResolver';
import { loadDemoConversations } from './demoConversations';
import { loadDemoCases } from './demoCases';
import { loadDemoLegalHold } from './demoCompliance';
import { caseClaimsOf, CasesStore } from './database/CasesStore';
import { AccessRequestsStore } from './database/AccessRequestsStore';
import { AccessRequestNotifier } from './notifiers/AccessRequestNotifier';
import { CasesService } from './service/cases/CasesService';
import { AccessRequestsService } from './service/cases/AccessRequestsService';
import { ManagerResolver } from './service/cases/ManagerResolver';
import { FourEyesStore } from './database/FourEyesStore';
import { FourEyesNotifier } from './notifiers/FourEyesNotifier';
import { FourEyesService } from './service/fourEyes/FourEyesService';
import { loadDemoFourEyes } from './demoFourEyes';
import { CoverageStore } from './database/CoverageStore';
import { AssuranceReportNotifier } from './notifiers/AssuranceReportNotifier';
import { AssuranceReportTask } from './service/health/AssuranceReportTask';
import { readCoverageConfig } from './service/health/coverageConfig';
import { CoverageJob } from './service/health/CoverageJob';
import { OwnerGroups } from './service/health/OwnerGroups';
import { RecordingHealthService } from './service/health/RecordingHealthService';
import { loadDemoSilentNumber } from './demoRecordingHealth';
import { RecordingAlarmsStore } from './database/RecordingAlarmsStore';
import { RecordingSignalsStore } from './database/RecordingSignalsStore';
import { RecordingAlarmNotifier } from './notifiers/RecordingAlarmNotifier';
import { LegalHoldsStore } from './database/LegalHoldsStore';
import { LegalHoldNotifier } from './notifiers/LegalHoldNotifier';
import { LegalHoldsService } from './service/legalHolds/LegalHoldsService';
import { readRecordingAlarmsConfig } from './service/health/alarmsConfig';
import { RecordingAlarmsService } from './service/health/RecordingAlarmsService';
import { RetentionStore } from './database/RetentionStore';
import { RetentionService } from './service/retention/RetentionService';
import { CatalogRetentionGroups } from './service/retention/RetentionGroups';
import { DisposalJob } from './service/retention/DisposalJob';
import { ObjectLockSync } from './service/retention/ObjectLockSync';
import { readRetentionConfig } from './service/retention/retentionConfig';
import { loadRecordingSigner } from './integrity/signingKey';
import { ExportJobsStore } from './database/ExportJobsStore';
import { ExportPackageBuilder } from './service/exports/ExportPackageBuilder';
import { ExportWorker } from './service/exports/ExportWorker';
import { readExportsConfig } from './service/exports/exportsConfig';
import { RecordingSignaturesStore } from './database/RecordingSignaturesStore';
import { RecordingSigning } from './integrity/RecordingSigning';
import { IntegrityService } from './integrity/IntegrityService';
import { readIntegritySweepConfig } from './integrity/integrityConfig';
import { IntegrityStore } from './database/IntegrityStore';
import { IntegrityNotifier } from './notifiers/IntegrityNotifier';
import { AuditHeadsStore } from './database/AuditHeadsStore';
import { AuditChainVerifier } from './service/audit/AuditChainVerifier';
import { AuditHeadsTask } from './service/audit/AuditHeadsTask';
import { AuditChainNotifier } from './notifiers/AuditChainNotifier';
import { readAcceptedBreaks } from './service/audit/auditTrailConfig';

/**
 * The voice-recording backend plugin: recorded numbers, schedules, planning models,
 * bulk scheduling, recording policy and audit.
 *
 * @public
 */
export const voiceRecordingPlugin = createBackendPlugin({
  pluginId: 'voice-recording',
  register(env) {
    const extraNotifiers: StatusChangeNotifier[] = [];
    env.registerExtensionPoint(voiceRecordingNotifierExtensionPoint, {
      addNotifier(...notifiers) {
        extraNotifiers.push(...notifiers);
      },
    });
    const captureSources: CaptureSource[] = [];
    env.registerExtensionPoint(voiceRecordingCaptureExtensionPoint, {
      addCaptureSource(source) {
        captureSources.push(source);
      },
    });

    env.registerInit({
      deps: {
        logger: coreServices.logger,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        lifecycle: coreServices.lifecycle,
        scheduler: coreServices.scheduler,
        events: eventsServiceRef,
        notifications: notificationService,
        catalog: catalogServiceRef,
        userInfo: coreServices.userInfo,
        auth: coreServices.auth,
      },
      async init(deps) {
        const config = readVoiceRecordingConfig(deps.config);
        const knex = await deps.database.getClient();
        if (!deps.database.migrations?.skip)
          await applyDatabaseMigrations(knex);
        // SQLite (better-sqlite3): the recorder's statements prepared once per connection
        cacheSqliteStatements(knex);

        const numbersStore = new KnexNumbersStore(knex);
        const planningModelsStore = new KnexPlanningModelsStore(knex);
        const auditLog = new KnexAuditLogStore(knex);

        deps.permissionsRegistry.addResourceType({
          resourceRef: voiceRecordingNumberResourceRef,
          permissions: voiceRecordingPermissions.filter(
            p =>
              'resourceType' in p &&
              p.resourceType === voiceRecordingNumberResourceRef.resourceType,
          ),
          rules: Object.values(voiceRecordingNumberPermissionRules),
          getResources: async ids =>
            Promise.all(ids.map(id => numbersStore.get(id))),
        });
        const conversationSearch = new ConversationSearchStore(knex);
        const casesStore = new CasesStore(knex);
        deps.permissionsRegistry.addResourceType({
          resourceRef: voiceRecordingConversationResourceRef,
          permissions: voiceRecordingPermissions.filter(
            p =>
              'resourceType' in p &&
              p.resourceType ===
                voiceRecordingConversationResourceRef.resourceType,
          ),
          rules: Object.values(voiceRecordingConversationPermissionRules),
          // with the facts of its cases, for the in-memory rules (HAS_CASE_RIGHT)
          getResources: async ids =>
            Promise.all(
              ids.map(async id => {
                const c = await conversationSearch.get(id);
                return c
                  ? { ...c, caseAccess: await casesStore.accessFactsOf(id) }
                  : undefined;
              }),
            ),
        });
        deps.permissionsRegistry.addResourceType({
          resourceRef: voiceRecordingCaseResourceRef,
          permissions: voiceRecordingPermissions.filter(
            p =>
              'resourceType' in p &&
              p.resourceType === voiceRecordingCaseResourceRef.resourceType,
          ),
          rules: Object.values(voiceRecordingCasePermissionRules),
          getResources: async ids =>
            Promise.all(
              ids.map(async id => {
                const c = await casesStore.getCase(id);
                return c
                  ? {
                      ...c,
                      grants: (await casesStore.grantsOf([id])).get(id) ?? [],
                    }
                  : undefined;
              }),
            ),
        });
        deps.permissionsRegistry.addPermissions(voiceRecordingPermissions);
        const conversationTransform = createConditionTransformer(
          deps.permissionsRegistry.getPermissionRuleset(
            voiceRecordingConversationResourceRef,
          ),
        );
        // local files (the default) or S3 object storage (voiceRecording.storage.s3,
        // docs/object-storage.md): a bucket that is missing, refuses the credentials or
        // lacks the configured Object Lock stops the start here; so does a store that does
        // not answer, except in a process that records (its recorder stages calls on its
        // own disk meanwhile: an outage must not keep it from starting)
        const configuredStorage = createBlobStoreFromConfig(deps.config, {
          defaultLocalDirectory: config.storageDirectory,
        });
        let storageDown = false;
        if (configuredStorage.kind === 's3') {
          try {
            await configuredStorage.store.verifyBucket();
          } catch (e) {
            storageDown =
              captureSources.length > 0 &&
              (e as Error)?.name === 'StorageUnavailableError';
            if (!storageDown) {
              throw new Error(
                `voice-recording storage: ${configuredStorage.description} cannot be used: ${(e as Error).message} (voiceRecording.storage.s3)`,
              );
            }
          }
        }
        // encrypted at rest when voiceRecording.encryption has keys (docs/encryption.md);
        // a wrong or missing key stops the start here, naming the key id
        const blobs =
          configuredStorage.kind === 's3' && storageDown
            ? (
                await openRecordingBlobStoreWhenReachable(
                  deps.config,
                  configuredStorage.store,
                  { logger: deps.logger, where: 'portal storage' },
                )
              ).store
            : await openRecordingBlobStore(
                deps.config,
                configuredStorage.kind === 's3'
                  ? configuredStorage.store
                  : new LocalFileBlobStore(config.storageDirectory),
                { logger: deps.logger, where: 'portal storage' },
              );
        deps.logger.info(
          configuredStorage.kind === 's3'
            ? `voice-recording storage: ${configuredStorage.description}`
            : `voice-recording storage: local files in ${config.storageDirectory}`,
        );
        const transform = createConditionTransformer(
          deps.permissionsRegistry.getPermissionRuleset(
            voiceRecordingNumberResourceRef,
          ),
        );

        const audit = new AuditRecorder(deps.auditor, auditLog, deps.logger);
        // the installation's Ed25519 key (docs/integrity.md): signs recordings, the
        // audit trail's daily chain heads and export manifests; one signer for all
        const signer = await loadRecordingSigner(deps.config, deps.logger);
        const recordingSignatures = new RecordingSignaturesStore(knex);
        const recordingSigning = new RecordingSigning({
          signer,
          store: recordingSignatures,
          logger: deps.logger,
        });
        // the integrity sweep and verification on request (docs/integrity.md)
        const integritySweepConfig = readIntegritySweepConfig(deps.config);
        const integrity = new IntegrityService({
          conversations: { get: id => conversationSearch.get(id) },
          blobs,
          signing: recordingSigning,
          store: new IntegrityStore(knex),
          audit,
          notifier: new IntegrityNotifier(
            deps.notifications,
            VoiceRecordingPolicyHandler.fromConfig(deps.config).adminEntityRefs,
            deps.logger,
            audit,
          ),
          logger: deps.logger,
          sweep: integritySweepConfig,
        });
        if (integritySweepConfig.enabled)
          await deps.scheduler.scheduleTask({
            id: 'voice-recording-integrity-sweep',
            frequency: integritySweepConfig.frequency,
            timeout: { hours: 6 },
            initialDelay: { minutes: 2 },
            scope: 'global',
            fn: async () => {
              await integrity.sweep(new Date());
            },
          });
        const notifiers: StatusChangeNotifier[] = [
          new BackstageNotificationNotifier(deps.notifications),
          ...(config.smsHttp
            ? [new HttpSmsGatewayNotifier(config.smsHttp, deps.logger)]
            : []),
          ...extraNotifiers,
        ];
        deps.logger.info(
          `voice-recording status-change notifiers: ${notifiers
            .map(n => n.id)
            .join(', ')}`,
        );
        const ctx: ServiceContext = {
          logger: deps.logger,
          config,
          numbers: numbersStore,
          planningModels: planningModelsStore,
          audit,
          events: deps.events,
          catalog: deps.catalog,
          notifications: new NotificationDispatcher(
            notifiers,
            deps.logger,
            audit,
          ),
        };

        if (config.demoDataFile) {
          await loadDemoData({
            file: config.demoDataFile,
            config,
            numbers: numbersStore,
            planningModels: planningModelsStore,
            logger: deps.logger,
          });
        }

        const accessRequestsStore = new AccessRequestsStore(knex);
        if (config.demoDataFile) {
          await loadDemoConversations({
            store: conversationSearch,
            numbers: numbersStore,
            blobs,
            logger: deps.logger,
            // old demo calls at the end of their retention (upcoming disposals)
            retentionMinimum: readRetentionConfig(
              deps.config,
              config.defaultCountry,
            ).minimumPeriod,
          });
          // the demo's calls are signed like recorded ones (idempotent)
          await integrity.signUnsigned();
          await loadDemoCases({
            cases: casesStore,
            requests: accessRequestsStore,
            conversations: conversationSearch,
            logger: deps.logger,
          });
        }

        // legal holds on cases (docs/legal-hold.md): held conversations are marked
        const legalHoldsStore = new LegalHoldsStore(knex);
        // the demo's standing hold on the demo case (demoCompliance.ts)
        if (config.demoDataFile)
          await loadDemoLegalHold({
            cases: casesStore,
            holds: legalHoldsStore,
            conversations: conversationSearch,
            logger: deps.logger,
          });
        const numbers = new NumbersService(ctx);
        // the archive work queue (issue 20): uploads, compression, derived files
        const archiveJobsQueue = new ArchiveJobsStore(knex);
        const conversationsService = new ConversationsService({
          store: conversationSearch,
          blobs,
          audit,
          logger: deps.logger,
          timeZone: config.defaultTimeZone,
          // the MP3 of a call longer than 2 minutes is a derive job (the download answers 202)
          mp3Jobs: { queue: archiveJobsQueue, inlineMaxMs: 120_000 },
          // a standard user sees the labels of the cases that let them see the call
          labelsOf: (ids, visibility) =>
            casesStore.labelsOf(
              ids,
              visibility ? caseClaimsOf(visibility) : undefined,
            ),
          legalHoldsOf: async (ids, visibility) =>
            (await legalHoldsStore.holdsOf(
              ids,
              visibility ? caseClaimsOf(visibility) : undefined,
            )) as Map<string, ConversationLegalHold[]>,
        });
        const accessRequests = new AccessRequestsService({
          store: accessRequestsStore,
          cases: casesStore,
          audit,
          logger: deps.logger,
          // the manager's approval first, when configured (manager read from the catalog)
          managers: config.managerApproval
            ? new ManagerResolver(deps.catalog)
            : undefined,
          maxExpiryDays: config.accessRequestMaxExpiryDays,
          // approvers: the admin groups of the suite's policy (voiceRecording.adminGroups)
          notifier: new AccessRequestNotifier(
            deps.notifications,
            VoiceRecordingPolicyHandler.fromConfig(deps.config).adminEntityRefs,
            deps.logger,
            audit,
          ),
        });
        // requests nobody decided in time (and approved ones past their end) are
        // recorded as expired and audited; the visibility filter ignores them already
        await deps.scheduler.scheduleTask({
          id: 'voice-recording-expire-access-requests',
          frequency: { minutes: 5 },
          timeout: { minutes: 2 },
          initialDelay: { seconds: 30 },
          fn: async () => {
            await accessRequests.expireDue();
          },
        });
        // four-eyes users: recordings only during a session an observer confirmed
        const fourEyesStore = new FourEyesStore(knex);
        if (config.demoDataFile)
          await loadDemoFourEyes({ store: fourEyesStore, logger: deps.logger });
        const fourEyes = new FourEyesService({
          store: fourEyesStore,
          audit,
          userInfo: deps.userInfo,
          notifier: new FourEyesNotifier(
            deps.notifications,
            deps.catalog,
            deps.logger,
            audit,
          ),
          logger: deps.logger,
          sessionMinutes: config.fourEyesSessionMinutes,
        });
        // sessions past their end are recorded (and audited) as expired; the gate
        // ignores them already
        await deps.scheduler.scheduleTask({
          id: 'voice-recording-expire-four-eyes-sessions',
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
          initialDelay: { seconds: 30 },
          fn: async () => {
            await fourEyes.expireDue();
          },
        });
        // recording alarms (proof of recording): evaluated by one instance at a time,
        // told to the admins, re-raised daily, resolved when calls come through again
        const alarmsConfig = readRecordingAlarmsConfig(deps.config);
        const recordingAlarms = new RecordingAlarmsService({
          alarms: new RecordingAlarmsStore(knex),
          signals: new RecordingSignalsStore(knex),
          numbers: numbersStore,
          notifier: new RecordingAlarmNotifier(
            deps.notifications,
            VoiceRecordingPolicyHandler.fromConfig(deps.config).adminEntityRefs,
            deps.logger,
            audit,
          ),
          audit,
          config: alarmsConfig,
          logger: deps.logger,
          // the catalog module refreshes the numbers' recording health
          onChange: change =>
            deps.events.publish({
              topic: VOICE_RECORDING_HEALTH_TOPIC,
              eventPayload: change,
            }),
        });
        if (alarmsConfig.enabled) {
          // the demo's silent number is flagged before anyone opens the portal
          if (config.demoDataFile) {
            await loadDemoSilentNumber({ knex, logger: deps.logger });
            // once every plugin is up (the notifications backend answers only then),
            // not awaited: the startup does not wait for the notifications
            deps.lifecycle.addStartupHook(() => {
              recordingAlarms
                .evaluate()
                .catch(e =>
                  deps.logger.error(
                    `voice-recording demo: recording alarms not evaluated at startup: ${e}`,
                  ),
                );
            });
          }
          await deps.scheduler.scheduleTask({
            id: 'voice-recording-recording-alarms',
            frequency: { minutes: alarmsConfig.evaluationMinutes },
            timeout: { minutes: 10 },
            initialDelay: { seconds: 30 },
            scope: 'global',
            fn: async () => {
              await recordingAlarms.evaluate(new Date());
            },
          });
        }
        // recording coverage (proof of recording): per number and day, expected vs
        // recorded; one instance at a time computes closed days once and today (and
        // yesterday) again every few minutes, then announces yesterday's report if due
        const coverageConfig = readCoverageConfig(deps.config);
        const coverageStore = new CoverageStore(knex);
        const people = new PeopleResolver(deps.catalog);
        const ownerGroups = new OwnerGroups(deps.catalog);
        const recordingHealth = new RecordingHealthService({
          coverage: coverageStore,
          ownerGroups,
          groupMembers: (group, credentials) =>
            people.groupMembers(group, credentials),
          alarms: new RecordingAlarmsStore(knex),
          timeZone: coverageConfig.timeZone,
        });
        const coverageJob = new CoverageJob({
          store: coverageStore,
          numbers: numbersStore,
          timeZone: coverageConfig.timeZone,
          backfillDays: coverageConfig.backfillDays,
          logger: deps.logger,
        });
        const reportTask = coverageConfig.report.notify
          ? new AssuranceReportTask({
              health: recordingHealth,
              coverage: coverageStore,
              notifier: new AssuranceReportNotifier(
                deps.notifications,
                VoiceRecordingPolicyHandler.fromConfig(
                  deps.config,
                ).adminEntityRefs,
                deps.logger,
                audit,
              ),
              notifyAt: coverageConfig.report.notifyAt,
            })
          : undefined;
        // the demo's figures are on the Recording health page before the first run
        if (coverageConfig.enabled && config.demoDataFile)
          await coverageJob.refresh();
        if (coverageConfig.enabled)
          await deps.scheduler.scheduleTask({
            id: 'voice-recording-recording-coverage',
            frequency: { minutes: coverageConfig.frequencyMinutes },
            timeout: { minutes: 15 },
            initialDelay: { seconds: 20 },
            scope: 'global',
            fn: async () => {
              const now = new Date();
              await coverageJob.refresh(now);
              await reportTask?.runDue(now);
            },
          });
        deps.lifecycle.addShutdownHook(() => conversationsService.close());
        // the audit trail's hash chain (docs/audit-trail.md): every past UTC day's last
        // entry signed with the installation's key, by one instance at a time; hourly
        // and idempotent, so that a day missed while the portal was down is signed later
        const auditHeads = new AuditHeadsStore(knex);
        const auditChainVerifier = new AuditChainVerifier({
          log: auditLog,
          heads: auditHeads,
          publicKey: signer,
          acceptedBreaks: readAcceptedBreaks(deps.config),
        });
        // a broken chain is never signed (audited, the task fails until dealt with)
        const auditHeadsTask = new AuditHeadsTask({
          log: auditLog,
          heads: auditHeads,
          signer,
          audit,
          verifier: auditChainVerifier,
          notifier: new AuditChainNotifier(
            deps.notifications,
            VoiceRecordingPolicyHandler.fromConfig(deps.config).adminEntityRefs,
            deps.logger,
            audit,
          ),
        });
        await deps.scheduler.scheduleTask({
          id: 'voice-recording-audit-heads',
          frequency: { hours: 1 },
          timeout: { minutes: 10 },
          initialDelay: { seconds: 30 },
          scope: 'global',
          fn: async () => {
            await auditHeadsTask.signDue(new Date());
          },
        });
        // regulator and client exports (docs/regulator-export.md): packages built in
        // the background, one instance per job, kept until they expire
        const exportsConfig = readExportsConfig(deps.config);
        const exportJobs = new ExportJobsStore(knex);
        const exportWorker = new ExportWorker({
          jobs: exportJobs,
          builder: new ExportPackageBuilder({
            knex,
            store: conversationSearch,
            blobs,
            signer,
            labelsOf: (ids, visibility) =>
              casesStore.labelsOf(
                ids,
                visibility ? caseClaimsOf(visibility) : undefined,
              ),
            signaturesOf: ids => recordingSignatures.listForConversations(ids),
            mp3Of: async c => (await conversationsService.mp3(c)).blob,
          }),
          blobs,
          audit,
          logger: deps.logger,
          expiryDays: exportsConfig.expiryDays,
        });
        if (exportsConfig.worker) {
          deps.lifecycle.addStartupHook(() => exportWorker.start());
          deps.lifecycle.addShutdownHook(() => exportWorker.stop());
        }
        // retention and disposal (docs/retention.md): the configured policies become
        // rows and every archived conversation gets its retention end once the catalog
        // answers (group scopes); the disposal job runs on one instance at a time
        const retentionConfig = readRetentionConfig(
          deps.config,
          config.defaultCountry,
        );
        const retentionStore = new RetentionStore(knex);
        const retention = new RetentionService({
          store: retentionStore,
          numbers: { get: id => numbersStore.get(id) },
          groups: new CatalogRetentionGroups(deps.catalog, deps.auth),
          audit,
          logger: deps.logger,
          config: retentionConfig,
        });
        const disposalJob = new DisposalJob({
          store: retentionStore,
          retention,
          blobs,
          audit,
          logger: deps.logger,
          ...retentionConfig.disposal,
        });
        // S3 Object Lock kept in step with the portal (docs/object-storage.md "Legal hold
        // and retention in S3"): legal holds become S3 legal holds, a lengthened retention
        // lengthens the archives' lock; one instance at a time, retried every pass
        const lockedS3 = s3StoreOf(blobs);
        const objectLockSync = lockedS3?.objectLock
          ? new ObjectLockSync({
              db: knex,
              s3: lockedS3,
              audit,
              logger: deps.logger.child({ task: 'object-lock-sync' }),
            })
          : undefined;
        const objectLockSyncMinutes =
          deps.config.getOptionalNumber(
            'voiceRecording.storage.s3.objectLock.syncMinutes',
          ) ?? 5;
        if (!(objectLockSyncMinutes >= 1))
          throw new Error(
            `voiceRecording.storage.s3.objectLock.syncMinutes: must be at least 1, not ${objectLockSyncMinutes}`,
          );
        if (objectLockSync)
          await deps.scheduler.scheduleTask({
            id: 'voice-recording-object-lock-sync',
            frequency: { minutes: objectLockSyncMinutes },
            timeout: { hours: 12 },
            initialDelay: { minutes: 1 },
            scope: 'global',
            fn: async () => {
              await objectLockSync.run();
            },
          });
        deps.lifecycle.addStartupHook(() => {
          retention
            .syncConfig()
            .catch(e =>
              deps.logger.error(
                `voice-recording retention: configured policies not applied: ${e}`,
              ),
            );
        });
        if (retentionConfig.disposal.enabled)
          await deps.scheduler.scheduleTask({
            id: 'voice-recording-disposal',
            frequency: { minutes: retentionConfig.disposal.frequencyMinutes },
            timeout: { hours: 2 },
            initialDelay: { minutes: 2 },
            scope: 'global',
            fn: async () => {
              await retention.refreshGroupTargets();
              await disposalJob
                .run('scheduled', { ref: 'plugin:voice-recording' })
                .catch(e =>
                  deps.logger.warn(`voice-recording disposal run skipped: ${e}`),
                );
            },
          });
        // the archive work queue's admin side (docs/deployment.md "Archive work queue"):
        // figures and dead jobs on the Recording health page; old done jobs deleted
        const archiveQueueAdmin = await archiveJobsAdmin({
          knex,
          config: deps.config,
          scheduler: deps.scheduler,
          logger: deps.logger,
        });
        // the <audio> element authenticates with the Backstage user cookie; each
        // route still demands full credentials except the audio one (allowLimitedAccess)
        deps.httpRouter.addAuthPolicy({
          path: '/conversations',
          allow: 'user-cookie',
        });
        // service principals get only the rights of their channel (Backstage allows
        // them everything): one wrapper for every permission check of the routes
        const permissions = new ServicePrincipalPermissions(deps.permissions);
        deps.httpRouter.use(
          await createRouter({
            httpAuth: deps.httpAuth,
            access: new AccessControl(
              permissions,
              transform,
              numbersStore,
              audit,
            ),
            audit,
            auditLog,
            numbers,
            planningModels: new PlanningModelsService(ctx),
            bulk: new BulkScheduleService(ctx),
            policy: new PolicyService(ctx, numbers),
            conversations: {
              permissions,
              transform: conversationTransform,
              defaultCountry: config.defaultCountry,
              conversations: conversationsService,
              people: new PeopleResolver(deps.catalog),
            },
            cases: {
              permissions,
              cases: new CasesService(casesStore, audit),
              casesStore,
              accessRequests,
              conversations: conversationsService,
              conversationTransform,
              caseTransform: createConditionTransformer(
                deps.permissionsRegistry.getPermissionRuleset(
                  voiceRecordingCaseResourceRef,
                ),
              ),
            },
            fourEyes: { permissions, fourEyes },
            exports: {
              permissions,
              transform: conversationTransform,
              jobs: exportJobs,
              blobs,
              cases: casesStore,
              numbers: numbersStore,
              people: new PeopleResolver(deps.catalog),
              defaultCountry: config.defaultCountry,
              onCreated: () => exportWorker.kick(),
            },
            legalHolds: {
              permissions,
              legalHolds: new LegalHoldsService({
                store: legalHoldsStore,
                audit,
                // every step told to the admin groups (voiceRecording.adminGroups)
                notifier: new LegalHoldNotifier(
                  deps.notifications,
                  deps.catalog,
                  VoiceRecordingPolicyHandler.fromConfig(
                    deps.config,
                  ).adminEntityRefs,
                  deps.logger,
                  audit,
                ),
                objectLock: objectLockSync,
              }),
            },
            coverage: { health: recordingHealth, ownerGroups },
            auditChain: auditChainVerifier,
            alarms: { alarms: recordingAlarms },
            integrity: {
              permissions,
              transform: conversationTransform,
              conversations: conversationsService,
              integrity,
            },
            retention: {
              retention,
              store: retentionStore,
              disposal: disposalJob,
            },
            archiveJobs: { jobs: archiveQueueAdmin },
          }),
        );

        // recorders: started once the router is up, stopped (awaited) at shutdown
        const conversationsStore = new KnexConversationsStore(knex);
        // number changes (private mode, deletion, ...) reach the recorders' calls in progress
        const numberChanges = new NumberChanges(deps.logger);
        await numberChanges.subscribe(deps.events);
        // the queue as capture sources get it (archive work, when it runs here, looks at
        // once at what they enqueue)
        let captureQueue: ArchiveJobQueue = archiveJobsQueue;
        const compressOpus = readArchiveWorkConfig(deps.config, {
          captureSources: captureSources.length,
        }).opus;
        const contextFor = (sourceId: string) =>
          createCaptureContext({
            sourceId,
            numbers: numbersStore,
            conversations: conversationsStore,
            audit,
            logger: deps.logger,
            config,
            storage: blobs,
            onNumbersChanged: numberChanges.listen,
            signing: recordingSigning,
            // the retention end, set when a conversation is archived
            retention,
            archiveJobs: captureQueue,
            compressOpus,
          });
        // archive work (issue 20): this process takes compress jobs when
        // voiceRecording.archive.enabled (default: where a recorder runs); an archiver is
        // this plugin with no capture source and archive.enabled: true
        const archiveContexts = new Map<string, ReturnType<typeof contextFor>>();
        const archiveWork = archiveWorkFromConfig(deps.config, {
          captureSources: captureSources.length,
          queue: archiveJobsQueue,
          store: conversationsStore,
          blobStore: blobs,
          logger: deps.logger.child({ task: 'archive-work' }),
          derive: mp3DeriveHandler({
            conversation: id => conversationSearch.get(id),
            mp3: c => conversationsService.mp3(c),
          }),
          conversationsOf: sourceId => {
            let context = archiveContexts.get(sourceId);
            if (!context) {
              context = contextFor(sourceId);
              archiveContexts.set(sourceId, context);
            }
            return context.conversations;
          },
        });
        if (archiveWork) captureQueue = archiveWork.notifying(archiveJobsQueue);
        const capture = new CaptureSources(captureSources, {
          logger: deps.logger,
          audit,
          contextFor,
        });
        deps.lifecycle.addShutdownHook(async () => {
          await capture.stopAll();
          await archiveWork?.stop();
        });
        await capture.startAll();
        archiveWork?.start();
      },
    });
  },
});
