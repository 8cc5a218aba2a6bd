export * from './NumbersStore';
export * from './PlanningModelsStore';
export * from './AuditLogStore';
export { applyDatabaseMigrations, migrationConfig } from './util';
export { cacheSqliteStatements } from './sqliteStatementCache';
