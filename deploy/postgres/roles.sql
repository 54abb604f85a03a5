-- PostgreSQL roles and grants for the gateway: least privilege (docs/operations.md).
--
-- Run as a superuser, connected to the gateway's database, before the first start AND again after
-- every upgrade's migrations (it is idempotent):
--     psql -v ON_ERROR_STOP=1 -h DBHOST -U postgres -d gateway -f roles.sql
--
--   gateway_owner  owns the schema "gateway" and every table in it. Migrations (which any gateway
--                  command applies when it opens the store) and `gateway audit prune` run as this
--                  role, and nothing else does: use it for installs, upgrades and maintenance.
--   gateway_app    what `gateway run` and the day-to-day commands connect as. Reads and writes the
--                  data tables; on the exchange log (audit_log and its key index) SELECT and
--                  INSERT only, so even a compromised gateway cannot rewrite history; reads the
--                  schema version but cannot record one; creates nothing.
--
-- Passwords are not set here; set them from your secret store, e.g. in psql:
--     \password gateway_owner
--     \password gateway_app

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gateway_owner') THEN
        CREATE ROLE gateway_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gateway_app') THEN
        CREATE ROLE gateway_app LOGIN;
    END IF;
END
$$;

-- Only these two roles connect; both find the gateway's tables first on their search path.
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO gateway_owner', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO gateway_app', current_database());
    EXECUTE format('ALTER ROLE gateway_owner IN DATABASE %I SET search_path = gateway',
                   current_database());
    EXECUTE format('ALTER ROLE gateway_app IN DATABASE %I SET search_path = gateway',
                   current_database());
END
$$;

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS gateway AUTHORIZATION gateway_owner;
REVOKE ALL ON SCHEMA gateway FROM PUBLIC;
GRANT USAGE ON SCHEMA gateway TO gateway_app;

-- A table a future migration adds is only readable until this file runs again: fail closed,
-- so a new append-only table can never be writable by accident.
ALTER DEFAULT PRIVILEGES FOR ROLE gateway_owner IN SCHEMA gateway
    GRANT SELECT ON TABLES TO gateway_app;
ALTER DEFAULT PRIVILEGES FOR ROLE gateway_owner IN SCHEMA gateway
    GRANT USAGE, SELECT ON SEQUENCES TO gateway_app;

-- The tables the migrations have created so far.
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT tablename FROM pg_tables WHERE schemaname = 'gateway' LOOP
        EXECUTE format('REVOKE ALL ON gateway.%I FROM gateway_app', name);
        IF name IN ('audit_log', 'audit_key_index') THEN
            EXECUTE format('GRANT SELECT, INSERT ON gateway.%I TO gateway_app', name);
        ELSIF name = 'schema_version' THEN
            EXECUTE format('GRANT SELECT ON gateway.%I TO gateway_app', name);
        ELSE
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON gateway.%I TO gateway_app',
                           name);
        END IF;
    END LOOP;
END
$$;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA gateway TO gateway_app;
