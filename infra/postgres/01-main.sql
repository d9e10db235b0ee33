-- FLOps.Orleans: Orleans ADO.NET shared query catalog for PostgreSQL (invariant "Npgsql").
-- Implements the contract of the Orleans 10.4.2 ADO.NET providers (clustering, persistence,
-- reminders): every provider reads its SQL by key from OrleansQuery at start-up
-- ("SELECT QueryKey, QueryText FROM OrleansQuery").
-- Written for this project; idempotent (safe to apply any number of times).

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL,
    QueryText varchar(8000) NOT NULL,

    CONSTRAINT OrleansQuery_Key PRIMARY KEY (QueryKey)
);
